"""What the stand-in platform knows and the operations on it; thread-safe, in memory.

Booking rules come from the shared core, so the platform refuses exactly what docs/domain.md says.
"""

from __future__ import annotations

import base64
import itertools
import threading
from collections.abc import Collection
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from facility.clock import Clock
from facility.config import FacilityConfig
from facility.contract import ReservationItem
from facility.models import Plan, Reservation
from facility.reasons import Reason
from facility.rules.booking import (
    bookable_rooms,
    booking_refusal,
    cancellation_refusal,
    closest_reservation,
    overlaps,
    reservation_refusal,
)
from facility.tokens import (
    DeskCode,
    Keyring,
    MemberPass,
    Refusal,
    Revocations,
    SigningKey,
    display_name,
    facility_tag,
    mint,
    new_id,
    peek,
    verify_desk_code,
)
from simulator.platform.errors import ApiError
from simulator.platform.keys import PlatformKeys
from simulator.platform.seed import LoadedSeed

PASS_LIFETIME = 90
# A booking's door passes (docs/doors.md): one every DOOR_PASS_STEP seconds from the early entry to the end, each
# valid DOOR_PASS_LIFETIME seconds (so one is always current), for a booking of at most MAX_DOOR_PASS_HOURS.
DOOR_PASS_STEP = 60
DOOR_PASS_LIFETIME = 90
MAX_DOOR_PASS_HOURS = 24


@dataclass
class MemberRecord:
    """A member as the platform holds them."""

    member_id: int
    name: str
    plan: Plan
    chains_visited: set[str] = field(default_factory=set)

    def public(self) -> dict:
        """The member as the API shows it."""
        return {
            "member_id": self.member_id,
            "name": self.name,
            "plan": self.plan.value,
            "chains_visited": sorted(self.chains_visited),
        }


@dataclass
class BookingRecord:
    """A reservation with the facility it belongs to and the change counter when it last changed."""

    facility_id: str
    reservation: Reservation
    version: int

    def public(self) -> dict:
        """The reservation as the API shows it."""
        return ReservationItem.of(self.facility_id, self.reservation, self.version).model_dump(mode="json")


@dataclass(frozen=True)
class RecordedCheckIn:
    """A check-in the platform committed, with the answer it gave, replayed for a repeated key."""

    facility_id: str
    key: str
    body: dict
    answer: dict


def _kept_before(
    kept: dict[str, RecordedCheckIn], facility_id: str, key: str, body: dict, what: tuple[str, str]
) -> RecordedCheckIn | None:
    """What an idempotency key already recorded, if the same body came under it; 409 if another did. `what` names
    the kind of record in English and Japanese."""
    earlier = kept.get(key)
    if earlier is not None and (earlier.body != body or earlier.facility_id != facility_id):
        raise ApiError(
            409,
            "idempotency_conflict",
            f"this key was used for another {what[0]}",
            f"この冪等キーは別の{what[1]}で使用済みです",
        )
    return earlier


class PlatformState:
    """Members, facilities, reservations, check-ins, occupancy, keys and revocations."""

    def __init__(self, seed: LoadedSeed, clock: Clock) -> None:
        self.clock = clock
        self.facilities = seed.facilities
        self.key_set = PlatformKeys(seed.platform_key, seed.root_key, clock)
        self.kiosk_keys = {(k.facility, k.kiosk): base64.b64decode(k.public_key) for k in seed.seed.kiosks}
        self.members = {m.id: MemberRecord(m.id, m.name, m.plan, set(m.chains_visited)) for m in seed.seed.members}
        self.bookings: dict[int, BookingRecord] = {}
        self.checkins: dict[str, RecordedCheckIn] = {}
        self.door_decisions: dict[str, RecordedCheckIn] = {}  # lockd's decisions at door readers, by key
        self.usage_reports: dict[str, RecordedCheckIn] = {}  # the kiosks' daily usage reports, by key
        self.occupancy: dict[str, dict] = {}
        self.revoked_members: set[int] = set()
        self.revoked_passes: set[bytes] = set()
        self.revoked_keys: set[str] = set()
        self._ids = itertools.count(5001)
        self._versions = itertools.count(1)
        self._lock = threading.RLock()
        self._seed_bookings(seed)

    def _seed_bookings(self, seed: LoadedSeed) -> None:
        """Place the seed's reservations relative to now (the seed is trusted: no booking rules)."""
        now = self.clock.now()
        for r in seed.seed.reservations:
            start = now + timedelta(minutes=r.starts_in_minutes)
            self._store(
                r.facility,
                Reservation(
                    next(self._ids),
                    r.room,
                    r.member,
                    start,
                    start + timedelta(minutes=r.minutes),
                    guests=r.guests,
                    plan=self.member(r.member).plan,
                ),
            )

    # --- look-ups ------------------------------------------------------------------

    def facility(self, facility_id: str) -> FacilityConfig:
        """The facility, or 404."""
        if facility_id not in self.facilities:
            raise ApiError.not_found("facility", facility_id)
        return self.facilities[facility_id]

    def member(self, member_id: int) -> MemberRecord:
        """The member, or 404."""
        if member_id not in self.members:
            raise ApiError.not_found("member", member_id)
        return self.members[member_id]

    @property
    def platform_key(self) -> SigningKey:
        """The key passes and commands are signed with now (a rotation changes it: simulator/platform/keys.py)."""
        return self.key_set.signing_key

    def keys(self) -> list[dict]:
        """The platform's public keys, as facilities fetch them (unsigned; sites with a root key read keyset())."""
        return self.key_set.published()

    def keyset(self) -> dict | None:
        """The signed key set (None without a root key)."""
        return self.key_set.document()

    def revoke_signing_key(self, key_id: str) -> None:
        """Withdraw a signing key in a new key set version, and in the revocations for sites without a root."""
        self.key_set.revoke_key(key_id)
        self.revoke(key_id=key_id)

    def revocations(self) -> Revocations:
        """What is withdrawn now."""
        with self._lock:
            return Revocations(
                frozenset(self.revoked_keys), frozenset(self.revoked_members), frozenset(self.revoked_passes)
            )

    def revoke(self, member_id: int | None = None, pass_id: bytes | None = None, key_id: str | None = None) -> None:
        """Withdraw a member, one pass or a signing key."""
        with self._lock:
            if key_id is not None:
                self.revoked_keys.add(key_id)
            if member_id is not None:
                self.revoked_members.add(member_id)
            if pass_id is not None:
                self.revoked_passes.add(pass_id)

    # --- members and passes ----------------------------------------------------------

    def add_member(self, name: str, plan: Plan) -> MemberRecord:
        """Register a member with the next free number."""
        with self._lock:
            member_id = max(self.members, default=1000) + 1
            self.members[member_id] = MemberRecord(member_id, name, plan)
            return self.members[member_id]

    def mint_pass(self, member_id: int, facility_id: str | None) -> tuple[str, MemberPass]:
        """A fresh pass for the member's phone, bound to a facility when the app knows which."""
        member = self.member(member_id)
        if facility_id is not None and facility_id not in self.facilities:
            # Not a 404: the member (the path's resource) is there; what the body names is not one of ours.
            raise ApiError(
                409,
                "unknown_facility",
                f"no facility {facility_id}: a pass can be bound only to a facility of the network",
                f"施設 {facility_id} は登録されていません",
            )
        first_visit = facility_id is not None and self.facility(facility_id).facility.chain not in member.chains_visited
        booking = self._booking_to_present(facility_id, member_id) if facility_id else None
        issued = MemberPass(
            member.member_id,
            member.plan,
            new_id(8),
            int(self.clock.now().timestamp()),
            PASS_LIFETIME,
            facility_tag(facility_id) if facility_id else None,
            booking.reservation_id if booking else None,
            display_name(member.name),
            first_visit,
        )
        return mint(issued, self.platform_key), issued

    def door_passes(self, member_id: int, reservation_id: int) -> list[tuple[str, MemberPass]]:
        """The booking's door passes for the booker's phone, which holds them to show at the door while offline."""
        member = self.member(member_id)
        with self._lock:
            record = self.bookings.get(reservation_id)
        if record is None or record.reservation.member_id != member_id:
            raise ApiError.not_found("reservation of this member", reservation_id)
        booking, facility = record.reservation, self.facility(record.facility_id)
        early = facility.venue_of_room(booking.room_id).rules.early_entry_minutes
        first = booking.starts_at - timedelta(minutes=early)
        last = min(booking.ends_at, first + timedelta(hours=MAX_DOOR_PASS_HOURS))
        starts = range(int(first.timestamp()), int(last.timestamp()), DOOR_PASS_STEP)
        return [self._door_pass(member, record, at) for at in starts]

    def _door_pass(self, member: MemberRecord, record: BookingRecord, not_before: int) -> tuple[str, MemberPass]:
        """One door pass: the booker's member pass for the booking, bound to its facility, short-lived."""
        issued = MemberPass(
            member.member_id,
            member.plan,
            new_id(8),
            not_before,
            DOOR_PASS_LIFETIME,
            facility_tag(record.facility_id),
            record.reservation.reservation_id,
        )
        return mint(issued, self.platform_key), issued

    def record_door_decision(self, facility_id: str, key: str, body: dict) -> tuple[int, dict]:
        """Keep a decision lockd made at a door reader once per idempotency key; the same key again, the same answer."""
        self.facility(facility_id)
        with self._lock:
            earlier = _kept_before(self.door_decisions, facility_id, key, body, ("decision", "記録"))
            if earlier is not None:
                return 200, earlier.answer
            answer = {"idempotency_key": key, "recorded_at": self.clock.now().isoformat()}
            self.door_decisions[key] = RecordedCheckIn(facility_id, key, body, answer)
            return 201, answer

    def door_decisions_of(self, facility_id: str) -> list[dict]:
        """Every door decision recorded for a facility, in the order they arrived."""
        with self._lock:
            return [dict(d.body, **d.answer) for d in self.door_decisions.values() if d.facility_id == facility_id]

    def record_usage_report(self, facility_id: str, key: str, body: dict) -> tuple[int, dict]:
        """Keep a kiosk's usage report once per idempotency key (the key is the report's content); the same key
        again, the same answer."""
        self.facility(facility_id)
        with self._lock:
            earlier = _kept_before(self.usage_reports, facility_id, key, body, ("usage report", "利用レポート"))
            if earlier is not None:
                return 200, earlier.answer
            answer = {"idempotency_key": key, "recorded_at": self.clock.now().isoformat(), "uses": len(body["uses"])}
            self.usage_reports[key] = RecordedCheckIn(facility_id, key, body, answer)
            return 201, answer

    def usage_reports_of(self, facility_id: str) -> dict[tuple[str, str], dict]:
        """The latest usage report of each business day and kiosk of a facility, by (day, kiosk)."""
        with self._lock:
            latest: dict[tuple[str, str], dict] = {}
            for report in self.usage_reports.values():
                if report.facility_id == facility_id:
                    recorded_at = report.answer["recorded_at"]  # the body's uses stay the list
                    latest[(report.body["day"], report.body["kiosk"])] = dict(report.body, recorded_at=recorded_at)
            return latest

    def _booking_to_present(self, facility_id: str, member_id: int) -> Reservation | None:
        """At a staffed meeting room the app's pass carries the member's booking there (now, or the nearest): any
        space of the facility whose booker checks in at reception (a drop-in office's meeting room too)."""
        cfg = self.facility(facility_id)
        for space in cfg.spaces:
            if space.kind.checks_in_at_reception and space.kind.needs_reservation:
                here = self.reservations_at(facility_id, space.rooms)
                booking = closest_reservation(cfg.venue(space), space.rooms, here, member_id, self.clock.now())
                if booking is not None:
                    return booking
        return None

    def check_desk_code(self, code_text: str) -> DeskCode:
        """The front-desk code the phone scanned, signed by the very kiosk it names and fresh; else 403."""
        claimed = peek(code_text, DeskCode)
        ring = Keyring()
        if claimed is not None and (claimed.facility_id, claimed.kiosk_id) in self.kiosk_keys:
            ring.trust(claimed.kiosk_id, self.kiosk_keys[(claimed.facility_id, claimed.kiosk_id)], {"desk_code"})
        result = verify_desk_code(code_text, ring, self.clock.now().timestamp())
        if isinstance(result, Refusal):
            raise ApiError.refused(result.reason, 403)
        return result

    # --- bookings ---------------------------------------------------------------------

    def _store(self, facility_id: str, reservation: Reservation) -> BookingRecord:
        """Keep a reservation under the next change number."""
        with self._lock:
            record = BookingRecord(facility_id, reservation, next(self._versions))
            self.bookings[reservation.reservation_id] = record
            return record

    def book(
        self, member_id: int, facility_id: str, room_id: str, starts_at: datetime, ends_at: datetime, guests: int = 0
    ) -> BookingRecord:
        """Make a booking under docs/domain.md's rules; ApiError says why not."""
        member, cfg = self.member(member_id), self.facility(facility_id)
        if room_id not in {room.id for room in bookable_rooms(cfg)}:
            raise ApiError.not_found("bookable room", room_id)
        if member.plan not in cfg.rules.plans_admitted:
            raise ApiError.refused(Reason.PLAN_NOT_ADMITTED, 403)
        room = cfg.room(room_id)
        if room is not None and guests + 1 > room.capacity:
            raise ApiError.refused(Reason.TOO_MANY_GUESTS)
        refusal = booking_refusal(cfg.venue_of_room(room_id), starts_at, ends_at, self.clock.now())  # its space's
        if refusal is not None:
            raise ApiError.refused(refusal)
        with self._lock:
            if any(
                b.facility_id == facility_id
                and b.reservation.room_id == room_id
                and overlaps(b.reservation, starts_at, ends_at)
                for b in self.bookings.values()
            ):
                raise ApiError.refused(Reason.ROOM_TAKEN)
            return self._store(
                facility_id,
                Reservation(next(self._ids), room_id, member_id, starts_at, ends_at, guests=guests, plan=member.plan),
            )

    def cancel(self, reservation_id: int, member_id: int) -> BookingRecord:
        """Cancel the member's own booking up to 2 hours before its start."""
        with self._lock:
            record = self.bookings.get(reservation_id)
            if record is None or record.reservation.member_id != member_id:
                raise ApiError.not_found("reservation of this member", reservation_id)
            if record.reservation.cancelled:
                return record
            refusal = cancellation_refusal(record.reservation.starts_at, self.clock.now())
            if refusal is not None:
                raise ApiError.refused(refusal)
            return self._store(record.facility_id, replace(record.reservation, cancelled=True))

    def changed_since(self, facility_id: str, cursor: int) -> tuple[int, list[dict]]:
        """Reservations of a facility changed after cursor (cancellations included) and the new cursor."""
        self.facility(facility_id)
        with self._lock:
            changed = [b for b in self.bookings.values() if b.facility_id == facility_id and b.version > cursor]
            latest = max((b.version for b in self.bookings.values()), default=0)
        return max(cursor, latest), [b.public() for b in sorted(changed, key=lambda b: b.version)]

    def reservation_for_door(self, facility_id: str, door_id: str, member_id: int) -> Reservation:
        """The member's reservation that this door admits now; ApiError with the reason otherwise."""
        cfg = self.facility(facility_id)
        door = cfg.door(door_id)
        if door is None:
            raise ApiError.not_found("door", door_id)
        now = self.clock.now()
        cfg = cfg.venue_of_room(door.rooms[0])  # the door's space: its hours and rules
        here = self.reservations_at(facility_id, door.rooms)
        mine = closest_reservation(cfg, door.rooms, here, member_id, now)
        if mine is not None:
            refusal = reservation_refusal(cfg, door.rooms, mine, member_id, now)
            if refusal is None:
                return mine
            raise ApiError.refused(refusal, 403)
        held_by_other = any(reservation_refusal(cfg, door.rooms, r, r.member_id, now) is None for r in here)
        raise ApiError.refused(Reason.NOT_BOOKER if held_by_other else Reason.NO_RESERVATION, 403)

    def reservations_at(self, facility_id: str, rooms: Collection[str]) -> list[Reservation]:
        """Every reservation of these rooms of a facility."""
        with self._lock:
            return [
                b.reservation
                for b in self.bookings.values()
                if b.facility_id == facility_id and b.reservation.room_id in rooms
            ]

    # --- check-ins and occupancy ------------------------------------------------------------

    def record_checkin(self, facility_id: str, key: str, body: dict) -> tuple[int, dict]:
        """Commit a check-in once per idempotency key and once per pass; the same key again gets the same answer."""
        self.facility(facility_id)
        with self._lock:
            earlier = _kept_before(self.checkins, facility_id, key, body, ("check-in", "チェックイン"))
            if earlier is not None:
                return 200, earlier.answer
            spent = self._checkin_with_pass(body.get("pass_id"))
            if spent is not None:
                raise ApiError(
                    409,
                    "pass_already_used",
                    f"pass {body['pass_id']} was already checked in at {spent.facility_id} "
                    f"(check-in {spent.answer['checkin_id']}); not counted again",
                    "このパスは別の受付でチェックイン済みのため、重複して記録しません",
                )
            answer = {
                "checkin_id": len(self.checkins) + 1,
                "idempotency_key": key,
                "recorded_at": self.clock.now().isoformat(),
            }
            self.checkins[key] = RecordedCheckIn(facility_id, key, body, answer)
            self._note_visit(facility_id, body.get("member_id"))
            return 201, answer

    def _checkin_with_pass(self, pass_id: object) -> RecordedCheckIn | None:
        """The check-in a pass was already spent on (staff admissions carry no pass and never match)."""
        if not isinstance(pass_id, str) or not pass_id:
            return None
        return next((c for c in self.checkins.values() if c.body.get("pass_id") == pass_id), None)

    def _note_visit(self, facility_id: str, member_id: object) -> None:
        """A checked-in member has visited the chain: no first-visit sign-up next time."""
        if isinstance(member_id, int) and member_id in self.members:
            self.members[member_id].chains_visited.add(self.facilities[facility_id].facility.chain)

    def checkins_of(self, facility_id: str) -> list[dict]:
        """Every check-in committed for a facility, in order."""
        with self._lock:
            return [dict(c.body, **c.answer) for c in self.checkins.values() if c.facility_id == facility_id]

    def archive_checkins(self) -> int:
        """Forget the check-ins recorded so far (a long soak in one process: the real platform files them away)."""
        with self._lock:
            count = len(self.checkins)
            self.checkins.clear()
            return count

    def set_occupancy(self, facility_id: str, report: dict) -> dict:
        """Store what a kiosk reports of who is in."""
        self.facility(facility_id)
        with self._lock:
            self.occupancy[facility_id] = dict(report, received_at=self.clock.now().isoformat())
            return self.occupancy[facility_id]
