"""The virtual phone: what a member's app does, over the platform's real HTTP API."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

from facility.config.models import Platform
from facility.platform import PlatformClient, PlatformError

DEFAULT_PLATFORM = "http://127.0.0.1:8710/v1"


class AppClient:
    """The member app's calls, through the platform client every program uses, with each answer's HTTP status."""

    def __init__(self, base_url: str = DEFAULT_PLATFORM, timeout: float = 10.0) -> None:
        self.platform = PlatformClient(Platform(base_url=base_url, timeout_seconds=timeout))
        self.base_url = self.platform.base_url

    def call(self, method: str, path: str, body: dict | None = None, answers: tuple[int, ...] = (), **params) -> dict:
        """One request; the JSON answer with its status. A 2xx is an answer, and so is any status in `answers`
        (a door that did not answer: 504); anything else raises PlatformError with the platform's words."""
        try:
            status, raw = self.platform.exchange(method, path, body, **params)
            answer = json.loads(raw) if raw else {}
        except PlatformError as refused:
            if refused.status not in answers:
                raise
            status, answer = refused.status, refused.body
        if not isinstance(answer, dict):
            raise PlatformError(status, "bad_answer", "the answer is not a JSON object", retryable=True)
        return answer | {"status": status}

    def add_member(self, name: str, plan: str) -> dict:
        """Register a member."""
        return self.call("POST", "/members", {"name": name, "plan": plan})


class Phone:
    """One member's phone with the network's app."""

    def __init__(self, member_id: int, client: AppClient | None = None) -> None:
        self.member_id = member_id
        self.client = client or AppClient()
        self.door_passes: dict[int, list[dict]] = {}  # reservation -> its passes not shown yet (docs/doors.md)
        # facility -> passes fetched while the platform answered, not shown yet: as a real app caches its pass
        self.kept_passes: dict[str | None, list[dict]] = {}
        self.shown_kept = False  # the last pass shown was a kept one (the platform could not be reached)

    def show_pass(self, facility_id: str | None = None, now: datetime | None = None) -> str:
        """Tap 'show 2D code': a fresh signed pass (bound to the facility whose desk code was scanned). Given the
        time `now`, a phone that cannot reach the platform shows a pass it kept instead, while one is still valid
        (LookupError when none is)."""
        self.shown_kept = False
        try:
            return self._fetch_pass(facility_id)["pass"]
        except PlatformError as exc:
            if now is None or exc.status != 0:
                raise
            text = self.show_kept_pass(facility_id, now)
            self.shown_kept = True
            return text

    def keep_pass(self, facility_id: str | None = None, keep: int = 3) -> int:
        """Fetch a pass and keep it for when the platform cannot be reached (the app refreshes it in the
        background); at most `keep` are kept, the newest. Returns how many are kept."""
        kept = self.kept_passes.setdefault(facility_id, [])
        kept.append(self._fetch_pass(facility_id))
        del kept[:-keep]
        return len(kept)

    def show_kept_pass(self, facility_id: str | None, now: datetime) -> str:
        """The newest kept pass still valid at `now`, with no network at all; each is shown once."""
        kept = self.kept_passes.get(facility_id, [])
        valid = [answer for answer in kept if answer["expires"] > now.timestamp()]
        if not valid:
            raise LookupError(f"no pass kept for {facility_id or 'any facility'} is still valid at {now.isoformat()}")
        shown = valid[-1]
        kept.remove(shown)
        return shown["pass"]

    def _fetch_pass(self, facility_id: str | None) -> dict:
        """A fresh pass from the platform: its text, id and when it expires."""
        return self.client.call("POST", f"/members/{self.member_id}/pass", {"facility_id": facility_id})

    def scan_desk_code(self, code_text: str) -> dict:
        """Scan the front-desk code: the platform checks it and the kiosk answers."""
        return self.client.call("POST", "/desk-checkins", {"member_id": self.member_id, "code": code_text})

    def book(self, facility_id: str, room_id: str, starts_at: datetime, minutes: int, guests: int = 0) -> dict:
        """Book a room, booth or seat."""
        body = {
            "member_id": self.member_id,
            "facility_id": facility_id,
            "room_id": room_id,
            "guests": guests,
            "starts_at": starts_at.isoformat(),
            "ends_at": (starts_at + timedelta(minutes=minutes)).isoformat(),
        }
        return self.client.call("POST", "/reservations", body)

    def cancel(self, reservation_id: int) -> dict:
        """Cancel one of this member's bookings."""
        return self.client.call("DELETE", f"/reservations/{reservation_id}", member_id=self.member_id)

    def fetch_door_passes(self, reservation_id: int) -> int:
        """Keep a booking's door passes (the app does so when the booking is made): shown at the door offline."""
        answer = self.client.call("GET", f"/members/{self.member_id}/reservations/{reservation_id}/door-passes")
        self.door_passes[reservation_id] = list(answer["passes"])
        return len(answer["passes"])

    def show_door_pass(self, reservation_id: int, now: datetime) -> str:
        """The pass for the booking that is current at `now` and not shown yet, with no network at all; each
        pass is shown once (the door spends it), so the next one is taken for a second try; the newest current one
        first, which has the longest left to live."""
        kept = self.door_passes.get(reservation_id, [])
        moment = now.timestamp()
        current = [p for p in kept if p["not_before"] <= moment <= p["expires"]]
        if not current:
            raise LookupError(f"no door pass of booking {reservation_id} is current at {now.isoformat()}")
        shown = max(current, key=lambda p: p["not_before"])  # the newest: the longest left to live
        kept.remove(shown)
        return shown["pass"]

    def unlock(self, facility_id: str, door_id: str) -> dict:
        """Tap 'unlock' (開錠) at a door; the door's answer comes back (504: it did not answer)."""
        return self.client.call(
            "POST", f"/facilities/{facility_id}/doors/{door_id}/unlock", {"member_id": self.member_id}, answers=(504,)
        )
