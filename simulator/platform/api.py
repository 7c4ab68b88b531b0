"""The platform's REST routes (docs/platform-api.md); each returns (status, JSON body)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

from pydantic import BaseModel, ValidationError

from facility.contract import (
    BookingBody,
    CheckInBody,
    DeskCheckinBody,
    MemberBody,
    OccupancyBody,
    PassRequest,
    RevocationsAnswer,
    RevokeBody,
    UnlockRequest,
)
from simulator.platform.errors import ApiError
from simulator.platform.faults import Fault
from simulator.platform.service import PlatformService

ID = r"[a-z0-9][a-z0-9_-]*"


@dataclass
class Request:
    """A parsed HTTP request."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: dict | None
    params: dict[str, str] = field(default_factory=dict)
    after: list[Callable[[], None]] = field(default_factory=list)


Answer = tuple[int, dict]
M = TypeVar("M", bound=BaseModel)


def need(body: dict | None, name: str, kind: type) -> object:
    """A required field of the JSON body, of the given type; 400 otherwise."""
    value = (body or {}).get(name)
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise ApiError.bad_request(f"field {name!r} must be a {kind.__name__}")
    return value


def valid(model: type[M], body: dict | None) -> M:
    """The body as the contract's model; 400 naming the first wrong field otherwise."""
    try:
        return model.model_validate(body or {})
    except ValidationError as exc:
        problem = exc.errors()[0]
        where = ".".join(str(part) for part in problem["loc"]) or "body"
        raise ApiError.bad_request(f"{where}: {problem['msg']}") from None


class PlatformApi:
    """Routes requests to the platform service; the server calls route() for each."""

    def __init__(self, service: PlatformService, control) -> None:
        self.service = service
        self.state = service.state
        self.control = control
        self.routes: list[tuple[str, re.Pattern, Callable[[Request], Answer]]] = [
            (method, re.compile(f"^{pattern}$"), handler)
            for method, pattern, handler in [
                ("GET", r"/v1/keys", self.keys),
                ("GET", r"/v1/keyset", self.keyset),
                ("GET", r"/v1/revocations", self.revocations),
                ("POST", r"/v1/revocations", self.revoke),
                ("GET", rf"/v1/facilities/(?P<facility>{ID})/settings", self.settings),
                ("GET", rf"/v1/facilities/(?P<facility>{ID})/reservations", self.reservations),
                ("PUT", rf"/v1/facilities/(?P<facility>{ID})/occupancy", self.occupancy),
                ("POST", rf"/v1/facilities/(?P<facility>{ID})/checkins", self.post_checkin),
                ("GET", rf"/v1/facilities/(?P<facility>{ID})/checkins", self.list_checkins),
                ("POST", rf"/v1/facilities/(?P<facility>{ID})/doors/(?P<door>{ID})/unlock", self.unlock),
                ("POST", r"/v1/members", self.add_member),
                ("GET", r"/v1/members/(?P<member>\d+)", self.get_member),
                ("POST", r"/v1/members/(?P<member>\d+)/pass", self.member_pass),
                ("POST", r"/v1/reservations", self.book),
                ("DELETE", r"/v1/reservations/(?P<reservation>\d+)", self.cancel),
                ("POST", r"/v1/desk-checkins", self.desk_checkin),
                ("GET", r"/v1/_sim/faults", self.get_faults),
                ("PUT", r"/v1/_sim/faults", self.set_faults),
                ("GET", r"/v1/_sim/keys", self.key_status),
                ("POST", r"/v1/_sim/keys", self.rotate_keys),
            ]
        ]

    def allowed(self, path: str) -> list[str]:
        """The methods a path answers to (the Allow header of a 405)."""
        return [method for method, pattern, _ in self.routes if pattern.match(path)]

    def route(self, request: Request) -> Answer:
        """Find the route and run it; 404 or 405 when there is none."""
        allowed = []
        for method, pattern, handler in self.routes:
            match = pattern.match(request.path)
            if match and method == request.method:
                request.params = match.groupdict()
                return handler(request)
            if match:
                allowed.append(method)
        if allowed:
            raise ApiError(
                405, "method_not_allowed", f"use {', '.join(allowed)}", f"{', '.join(allowed)} を使用してください"
            )
        raise ApiError.not_found("route", request.path)

    # --- keys and revocations --------------------------------------------------------------

    def keys(self, request: Request) -> Answer:
        """The platform's public keys."""
        return 200, {"keys": self.state.keys()}

    def keyset(self, request: Request) -> Answer:
        """The platform's signing keys, certified by its root (404 for a platform without a root key)."""
        document = self.state.keyset()
        if document is None:
            raise ApiError(
                404,
                "not_found",
                "this platform has no root key, so no key set",
                "このプラットフォームにはルート鍵がないため、鍵セットはありません",
            )
        return 200, document

    def revocations(self, request: Request) -> Answer:
        """Members and passes withdrawn."""
        return 200, RevocationsAnswer.of(self.state.revocations()).model_dump(mode="json")

    def revoke(self, request: Request) -> Answer:
        """Withdraw a member, a pass or a signing key (technician)."""
        body = valid(RevokeBody, request.body)
        if body.member_id is None and body.pass_id is None and body.key_id is None:
            raise ApiError.bad_request("give member_id, pass_id or key_id")
        self.state.revoke(body.member_id, bytes.fromhex(body.pass_id) if body.pass_id else None, body.key_id)
        return self.revocations(request)

    # --- facilities ----------------------------------------------------------------------

    def settings(self, request: Request) -> Answer:
        """A facility's public settings: who it is, hours, rules, seats, rooms."""
        cfg = self.state.facility(request.params["facility"])
        public = {"facility", "hours", "rules", "desk_checks", "seats", "companions", "rooms"}
        return 200, cfg.model_dump(mode="json", include=public)

    def reservations(self, request: Request) -> Answer:
        """Reservations changed since a cursor (0 for all)."""
        try:
            since = int(request.query.get("since", "0"))
        except ValueError:
            raise ApiError.bad_request("since must be a whole number") from None
        cursor, changed = self.state.changed_since(request.params["facility"], since)
        return 200, {"cursor": cursor, "reservations": changed}

    def occupancy(self, request: Request) -> Answer:
        """A kiosk reports who is in."""
        report = valid(OccupancyBody, request.body)
        return 200, self.state.set_occupancy(request.params["facility"], report.model_dump(mode="json"))

    def post_checkin(self, request: Request) -> Answer:
        """Record a check-in once per Idempotency-Key."""
        key = request.headers.get("idempotency-key", "")
        if not 8 <= len(key) <= 100:
            raise ApiError.bad_request("an Idempotency-Key header of 8 to 100 characters is required")
        valid(CheckInBody, request.body)
        return self.state.record_checkin(request.params["facility"], key, request.body or {})

    def list_checkins(self, request: Request) -> Answer:
        """Every check-in recorded for a facility."""
        return 200, {"checkins": self.state.checkins_of(request.params["facility"])}

    def unlock(self, request: Request) -> Answer:
        """A member's phone asks to open a door."""
        return self.service.unlock(
            request.params["facility"], request.params["door"], valid(UnlockRequest, request.body).member_id
        )

    # --- members and bookings ---------------------------------------------------------------

    def add_member(self, request: Request) -> Answer:
        """Register a member."""
        body = valid(MemberBody, request.body)
        return 201, self.state.add_member(body.name, body.plan).public()

    def get_member(self, request: Request) -> Answer:
        """One member."""
        return 200, self.state.member(int(request.params["member"])).public()

    def member_pass(self, request: Request) -> Answer:
        """A fresh pass for the member's phone ('show 2D code')."""
        facility = valid(PassRequest, request.body).facility_id
        text, issued = self.state.mint_pass(int(request.params["member"]), facility)
        return 201, {"pass": text, "pass_id": issued.pass_id.hex(), "expires": issued.expires}

    def book(self, request: Request) -> Answer:
        """Book a room; the site's doors are told at once."""
        body = valid(BookingBody, request.body)
        record = self.state.book(
            body.member_id, body.facility_id, body.room_id, body.starts_at, body.ends_at, body.guests
        )
        request.after.append(lambda: self.service.announce_reservations(record.facility_id))
        return 201, record.public()

    def cancel(self, request: Request) -> Answer:
        """Cancel a booking (the booker, up to 2 hours before); the doors are told at once."""
        try:
            member = int(request.query.get("member_id", ""))
        except ValueError:
            raise ApiError.bad_request("member_id query parameter is required") from None
        record = self.state.cancel(int(request.params["reservation"]), member)
        request.after.append(lambda: self.service.announce_reservations(record.facility_id))
        return 200, record.public()

    def desk_checkin(self, request: Request) -> Answer:
        """The app submits the front-desk code it scanned."""
        body = valid(DeskCheckinBody, request.body)
        return self.service.desk_checkin(body.member_id, body.code)

    # --- simulator control ------------------------------------------------------------------

    def get_faults(self, request: Request) -> Answer:
        """The fault switch's position."""
        return 200, self.control.faults.setting.public()

    def set_faults(self, request: Request) -> Answer:
        """Turn a fault on ('none' clears); 'unreachable' closes the port for `seconds`."""
        try:
            fault = Fault(need(request.body, "mode", str))
        except ValueError:
            raise ApiError.bad_request(f"mode must be one of {', '.join(f.value for f in Fault)}") from None
        body = request.body or {}
        if fault is Fault.NONE:
            self.control.faults.clear()
        elif fault is Fault.UNREACHABLE:
            seconds = body.get("seconds", 10)
            if not isinstance(seconds, (int, float)) or isinstance(seconds, bool) or seconds <= 0:
                raise ApiError.bad_request("seconds must be a positive number")
            request.after.append(lambda: self.control.go_unreachable(float(seconds)))
        else:
            path = body.get("path")
            if path is not None and not isinstance(path, str):
                raise ApiError.bad_request("path must be a string, e.g. /v1/keyset")
            self.control.faults.set(
                fault,
                body.get("count"),
                int(body.get("retry_after", 1)),
                float(body.get("hang_seconds", 30)),
                int(body.get("status", 200)),
                body.get("item"),
                path,
            )
        return 200, {"mode": fault.value}

    def key_status(self, request: Request) -> Answer:
        """Where a key rotation stands: set version, the key signing now, certified and revoked keys."""
        return 200, self.state.key_set.status()

    def rotate_keys(self, request: Request) -> Answer:
        """One step of a key rotation (simulator/platform/keys.py): add_key, sign_with or revoke_key."""
        body = request.body or {}
        action = need(body, "action", str)
        if action == "add_key":
            bounds = {name: body.get(name) for name in ("not_before", "not_after")}
            if any(
                value is not None and (not isinstance(value, int) or isinstance(value, bool) or value < 0)
                for value in bounds.values()
            ):
                raise ApiError.bad_request("not_before and not_after are Unix seconds")
            return 200, self.service.add_signing_key(**bounds)
        key_id = need(body, "key_id", str)
        if action == "sign_with":
            return 200, self.service.sign_with(str(key_id).lower())
        if action == "revoke_key":
            return 200, self.service.revoke_signing_key(str(key_id).lower())
        raise ApiError.bad_request("action must be add_key, sign_with or revoke_key")
