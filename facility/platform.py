"""The platform seam: an HTTPS client for the network's platform (requests), shared by kiosk and lockd.

Every request has a timeout; TLS always verifies (the system CAs or the file's CA bundle);
every answer is checked against its model in facility/contract.py. Answers are sorted into
success, worth retrying (no answer, 429, 5xx, a 2xx that is not the documented body),
"the facility's credentials need attention" (401, 403) and final refusals.
"""

from __future__ import annotations

import json
import math
import random
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import requests
from pydantic import BaseModel, ValidationError

from facility.config.models import Platform
from facility.errors import FacilityError

A = TypeVar("A", bound=BaseModel)
MAX_ANSWER_BYTES = 64 * 1024 * 1024  # a year of reservations is far less; anything bigger is not an answer
CREDENTIAL_STATUSES = frozenset({401, 403})
# Only these say the request itself is wrong (malformed, conflicting, too large, unprocessable). Anything
# else that is not a success (404 of a facility the platform does not know yet, 405, 410...) is a
# configuration or platform problem that may be fixed, so it is retried, never thrown away.
FINAL_STATUSES = frozenset({400, 409, 413, 422})


class PlatformError(FacilityError):
    """The platform did not give the answer asked for; `retryable` says whether trying again may help.

    `body` is the platform's own answer ({"error", "message_en", "message_ja"}), for people to read.
    """

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        retryable: bool,
        retry_after: float | None = None,
        body: dict | None = None,
    ) -> None:
        super().__init__(
            f"{status} {code}: {message}" if status else f"{code}: the platform cannot be reached ({message})"
        )
        self.status = status
        self.code = code
        self.retryable = retryable
        self.retry_after = retry_after
        self.body = body or {"error": code, "message_en": message}

    @property
    def credentials(self) -> bool:
        """True when the platform refused the facility itself (a withdrawn or expired API token): alarm, go on."""
        return self.status in CREDENTIAL_STATUSES

    @property
    def final(self) -> bool:
        """True when the platform says the request itself is wrong: sending it again can never succeed."""
        return self.status in FINAL_STATUSES


def backoff_delay(attempt: int, base: float = 1.0, cap: float = 300.0, at_least: float | None = None) -> float:
    """Seconds to wait after `attempt` failures: exponential with full jitter, never over cap, never under a
    Retry-After (itself held to the cap: a platform cannot park a check-in for a year)."""
    ceiling = min(cap, base * 2 ** min(attempt, 30))  # 2**1024 would not fit a float after days of outage
    return max(random.uniform(0, ceiling), min(at_least or 0.0, cap))


@dataclass
class Backoff:
    """Exponential back-off with full jitter, so many sites coming back at once do not stampede."""

    base: float = 1.0
    cap: float = 300.0
    attempt: int = 0

    def next_delay(self, at_least: float | None = None) -> float:
        """Seconds to wait before the next try (never less than a server's Retry-After)."""
        delay = backoff_delay(self.attempt, self.base, self.cap, at_least)
        self.attempt += 1
        return delay

    def reset(self) -> None:
        """After a success: start again from the shortest wait."""
        self.attempt = 0


def _retry_after(response: requests.Response) -> float | None:
    """The Retry-After header in seconds, if it is a finite, non-negative number (inf, NaN, -5 are ignored)."""
    try:
        seconds = float(response.headers.get("Retry-After", ""))
    except ValueError:
        return None
    return seconds if math.isfinite(seconds) and seconds >= 0 else None


class PlatformClient:
    """Calls to the platform's API with the facility file's base URL, timeout, CA bundle and token."""

    def __init__(self, config: Platform, session: requests.Session | None = None) -> None:
        self.base_url = config.base_url
        self.timeout = config.timeout_seconds
        self.session = session or requests.Session()
        self.session.verify = str(config.ca_file) if config.ca_file else True
        if config.api_token_file:
            token = Path(config.api_token_file).read_text().strip()
            self.session.headers["Authorization"] = f"Bearer {token}"

    @staticmethod
    def _read_within(response: requests.Response, deadline: float) -> bytes:
        """The whole body by the deadline and under MAX_ANSWER_BYTES: requests' timeout is per read, so a platform
        that drips a byte at a time would otherwise hold a loop for ever while it looks alive."""
        chunks, size = [], 0
        try:
            for chunk in response.iter_content(65536):
                chunks.append(chunk)
                size += len(chunk)
                if time.monotonic() > deadline or size > MAX_ANSWER_BYTES:
                    raise requests.Timeout("the answer took too long or was too large")
        finally:
            response.close()
        return b"".join(chunks)

    def call(
        self,
        method: str,
        path: str,
        answer: type[A],
        body: BaseModel | dict | None = None,
        headers: dict[str, str] | None = None,
        **params,
    ) -> A:
        """One call whose 2xx answer must be `answer`; PlatformError otherwise (a wrong body is worth retrying).

        A body may be a model (sent as the contract writes it) or a dict already checked against one
        and sent exactly as kept (a retried check-in must be byte-for-byte what the platform may have)."""
        sent = body.model_dump(mode="json", exclude_none=True) if isinstance(body, BaseModel) else body
        status, content = self.exchange(method, path, sent, headers, **params)
        try:  # strict: "false" is not false, 2.7 guests are not 2, true is not reservation 1
            return answer.model_validate_json(content or b"null", strict=True)
        except ValidationError as exc:
            problem = exc.errors()[0]
            where = ".".join(str(part) for part in problem["loc"]) or "the body"
            raise PlatformError(
                status,
                "bad_answer",
                f"a {status} answer is not the documented {answer.__name__} ({where}: {problem['msg']})",
                retryable=True,
                body={
                    "error": "bad_answer",
                    "message_en": "the platform answered something unexpected",
                    "message_ja": "プラットフォームから想定外の応答がありました",
                },
            ) from None

    def exchange(
        self, method: str, path: str, body: dict | None = None, headers: dict[str, str] | None = None, **params
    ) -> tuple[int, bytes]:
        """One request; (status, the raw body) for 2xx, PlatformError otherwise (call() checks the body too)."""
        try:
            response = self.session.request(
                method,
                f"{self.base_url}{path}",
                json=body,
                headers=headers,
                params=params or None,
                timeout=self.timeout,
                stream=True,
            )
            content = self._read_within(response, time.monotonic() + self.timeout * 2)
        except requests.RequestException as exc:
            raise PlatformError(
                0,
                "unreachable",
                type(exc).__name__,
                retryable=True,
                body={
                    "error": "unreachable",
                    "message_en": f"the platform cannot be reached ({type(exc).__name__})",
                    "message_ja": "プラットフォームに接続できません",
                },
            ) from None
        if 200 <= response.status_code < 300:
            return response.status_code, content
        try:
            parsed = json.loads(content) if content else None
        except ValueError:
            parsed = None  # HTML from a captive portal, a proxy's error page...
        error = parsed if isinstance(parsed, dict) else {"error": "http_error"}
        retryable = response.status_code == 429 or response.status_code >= 500
        raise PlatformError(
            response.status_code,
            str(error.get("error", "http_error")),
            str(error.get("message_en", response.reason)),
            retryable,
            _retry_after(response),
            error,
        )
