"""Helpers for the kiosk's tests: a reception at an example facility, and members' passes."""

from __future__ import annotations

import time
from datetime import datetime
from pathlib import Path
from typing import TypeVar

from facility.clock import Clock
from facility.config import FacilityConfig
from facility.contract import RevocationsAnswer
from facility.models import Member, Plan, Reservation
from facility.store import SqliteStore
from facility.tokens import NO_REVOCATIONS, MemberPass, Revocations, SigningKey, facility_tag, mint, new_id
from kiosk.reception import Reception
from kiosk.store import KioskStore
from simulator.clock import ShiftedClock
from tests.conftest import CONFIG_DIR
from tests.rulebook import MEETING, at

PLATFORM_KEY = SigningKey.load(CONFIG_DIR / "demo-keys" / "platform-demo.pem")
REPRESENTATIVE = Member(1001, Plan.CORPORATE, "佐藤 葵")
S = TypeVar("S", bound=SqliteStore)


def member_pass(
    cfg: FacilityConfig,
    member_id: int = 1001,
    plan: Plan = Plan.CORPORATE,
    name: str = "佐藤 葵",
    first_visit: bool = False,
    at: float | None = None,
    key: SigningKey = PLATFORM_KEY,
    facility_id: str | None = None,
    clock: Clock | None = None,
    reservation_id: int | None = None,
) -> str:
    """A fresh pass as the app shows it, bound to the facility (and a booking), issued at `at`, or now on `clock`
    (the real clock)."""
    issued = int(at if at is not None else (clock.now().timestamp() if clock is not None else time.time()))
    return mint(
        MemberPass(
            member_id,
            plan,
            new_id(8),
            issued,
            90,
            facility_tag(facility_id or cfg.facility.id),
            reservation_id,
            name,
            first_visit,
        ),
        key,
    )


def clock_at(moment: datetime) -> ShiftedClock:
    """A clock reading moment now and running on from there."""
    return ShiftedClock((moment - ShiftedClock().now()).total_seconds())


def kiosk_store(path: Path, clock: Clock) -> KioskStore:
    """A kiosk's store that has asked the platform once: nothing revoked (a store that never asked accepts nothing a
    revocation could change, facility/trustcache.py)."""
    return revocations_fetched(KioskStore(path, clock))


def revocations_fetched(store: S, revoked: Revocations = NO_REVOCATIONS) -> S:
    """The store with a revocation list kept, as the trust refresh keeps it."""
    store.cache("revocations", RevocationsAnswer.of(revoked).model_dump(mode="json"))
    return store


def reception(cfg: FacilityConfig, tmp_path: Path, moment: datetime) -> Reception:
    """A reception for the facility with its own store, its clock set to moment."""
    clock = clock_at(moment)
    return Reception(cfg, kiosk_store(tmp_path / "kiosk.db", clock), clock)


def due_now(store: KioskStore) -> None:
    """Make every queued check-in due at once: the platform is back, and a test need not wait out the back-off."""
    for item in store.outbox("queued"):
        store.settle(item.key, "queued", item.attempts, 0)


def meeting_desk(tmp_path: Path, moment: str, guests: int = 2, **booking) -> tuple[Reception, Reservation]:
    """The staffed meeting room's reception at a moment, holding the representative's booking of room A 10:00-12:00."""
    clock = clock_at(at(moment))
    desk = Reception(MEETING, kiosk_store(tmp_path / "kiosk.db", clock), clock)
    fields = {
        "reservation_id": 77,
        "room_id": "room-a",
        "member_id": REPRESENTATIVE.member_id,
        "starts_at": at("2026-11-24 10:00"),
        "ends_at": at("2026-11-24 12:00"),
        "guests": guests,
        "plan": Plan.CORPORATE,
    } | booking
    reservation = Reservation(**fields)
    desk.store.apply_changes([reservation], 1, clock.now())
    return desk, reservation


def shown(desk: Reception, member: Member = REPRESENTATIVE, reservation_id: int | None = None):
    """The member's app pass shown at the meeting room's reception."""
    return desk.present(
        member_pass(
            MEETING,
            member.member_id,
            member.plan,
            member.name,
            at=desk.clock.now().timestamp(),
            reservation_id=reservation_id,
        )
    )


def running(app):
    """Start a kiosk as a running one is: its window up, and the platform's revocation list fetched once (a kiosk
    that never fetched one admits no one: facility/trustcache.py); the kiosk's platform must be answering."""
    app.start(full_screen=False)
    assert app.parts.trust_refresh.current(10.0), "the kiosk could not fetch its revocation list"
    return app
