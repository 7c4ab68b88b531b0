"""Answers the platform gives instead of a result, with an HTTP status and words in both languages."""

from __future__ import annotations

from facility.errors import FacilityError
from facility.reasons import Reason

# docs/platform-api.md: a request the contract does not allow is `bad_request`, 422 (FastAPI's status for a value its
# model refuses); a well-formed request a rule refuses (a booking too late, a room taken) is 409 with the rule's reason
# code. The kiosk's outbox and lockd treat 400, 409, 413 and 422 as final (facility/platform.py).
BAD_REQUEST = 422


class ApiError(FacilityError):
    """A refused request: HTTP status, stable code and a message in Japanese and English."""

    def __init__(self, status: int, code: str, en: str, ja: str) -> None:
        super().__init__(f"{status} {code}: {en}")
        self.status = status
        self.code = code
        self.en = en
        self.ja = ja

    @classmethod
    def refused(cls, reason: Reason, status: int = 409) -> ApiError:
        """A refusal for one of the domain's reasons."""
        return cls(status, reason.code, reason.en, reason.ja)

    @classmethod
    def not_found(cls, what: str, ident: object) -> ApiError:
        """Something named in the request does not exist."""
        return cls(404, "not_found", f"no {what} {ident}", f"{what} {ident} が見つかりません")

    @classmethod
    def bad_request(cls, detail: str) -> ApiError:
        """The request itself is malformed."""
        return cls(BAD_REQUEST, "bad_request", detail, f"リクエストが不正です: {detail}")

    def body(self) -> dict:
        """The JSON body of the error answer."""
        return {"error": self.code, "message_en": self.en, "message_ja": self.ja}
