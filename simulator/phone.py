"""The virtual phone: what a member's app does, over the platform's real HTTP API."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import requests

from facility.errors import FacilityError

DEFAULT_PLATFORM = "http://127.0.0.1:8710/v1"


class PlatformAnswer(FacilityError):
    """The platform refused or failed; carries its status and its words."""

    def __init__(self, status: int, body: dict) -> None:
        self.status = status
        self.body = body
        super().__init__(f"{status} {body.get('error', '')}: {body.get('message_en', '')} / {body.get('message_ja', '')}")


@dataclass
class PlatformClient:
    """Plain calls to the platform, with a timeout on every one."""

    base_url: str = DEFAULT_PLATFORM
    timeout: float = 10.0

    def call(self, method: str, path: str, body: dict | None = None, ok: tuple[int, ...] = (200, 201, 202),
             **params) -> dict:
        """One request; the JSON answer, or PlatformAnswer for any other status."""
        try:
            response = requests.request(method, f"{self.base_url}{path}", json=body, params=params or None,
                                        timeout=self.timeout)
        except requests.RequestException as exc:
            raise PlatformAnswer(0, {"error": "unreachable", "message_en": str(exc),
                                     "message_ja": "プラットフォームに接続できません"}) from None
        try:
            answer = response.json()
        except ValueError:
            answer = {"error": "not_json", "message_en": response.text[:200], "message_ja": "応答を読み取れません"}
        if response.status_code not in ok:
            raise PlatformAnswer(response.status_code, answer)
        return answer | {"status": response.status_code}

    def add_member(self, name: str, plan: str) -> dict:
        """Register a member."""
        return self.call("POST", "/members", {"name": name, "plan": plan})


class Phone:
    """One member's phone with the network's app."""

    def __init__(self, member_id: int, client: PlatformClient | None = None) -> None:
        self.member_id = member_id
        self.client = client or PlatformClient()

    def show_pass(self, facility_id: str | None = None) -> str:
        """Tap 'show 2D code': a fresh signed pass (bound to the facility whose desk code was scanned)."""
        return self.client.call("POST", f"/members/{self.member_id}/pass", {"facility_id": facility_id})["pass"]

    def scan_desk_code(self, code_text: str) -> dict:
        """Scan the front-desk code: the platform checks it and the kiosk answers."""
        return self.client.call("POST", "/desk-checkins", {"member_id": self.member_id, "code": code_text})

    def book(self, facility_id: str, room_id: str, starts_at: datetime, minutes: int, guests: int = 0) -> dict:
        """Book a room, booth or seat."""
        body = {"member_id": self.member_id, "facility_id": facility_id, "room_id": room_id, "guests": guests,
                "starts_at": starts_at.isoformat(), "ends_at": (starts_at + timedelta(minutes=minutes)).isoformat()}
        return self.client.call("POST", "/reservations", body)

    def cancel(self, reservation_id: int) -> dict:
        """Cancel one of this member's bookings."""
        return self.client.call("DELETE", f"/reservations/{reservation_id}", member_id=self.member_id)

    def unlock(self, facility_id: str, door_id: str) -> dict:
        """Tap 'unlock' (開錠) at a door; the door's answer comes back (504: it did not answer)."""
        return self.client.call("POST", f"/facilities/{facility_id}/doors/{door_id}/unlock",
                                {"member_id": self.member_id}, ok=(200, 504))
