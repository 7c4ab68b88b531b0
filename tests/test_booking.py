"""Bookings (DOMAIN.md): when they can be made and cancelled, and who may open the door."""

from __future__ import annotations

from datetime import timedelta

import pytest

from facility.models import CheckIn, Reservation
from facility.reasons import Reason
from facility.rules.booking import (
    bookable_rooms,
    booking_refusal,
    cancellation_refusal,
    decide_unlock,
)
from tests.rulebook import CORPORATE, H1T, PREMIUM, at

BOOTH_A, MEETING = H1T.door("booth-a"), H1T.door("meeting-1")


def booking(room: str = "booth-a", member=PREMIUM, start: str = "2026-11-24 10:00", minutes: int = 60, **kw) -> Reservation:
    """A reservation of a room by a member."""
    return Reservation(55, room, member.member_id, at(start), at(start) + timedelta(minutes=minutes), **kw)


@pytest.mark.parametrize(("start", "now", "reason"), [
    ("2026-12-01 10:00", "2026-11-24 10:00", None),
    ("2026-12-01 10:01", "2026-11-24 10:00", Reason.BOOKING_TOO_EARLY),
    ("2026-11-24 10:00", "2026-11-24 10:00", Reason.BOOKING_IN_PAST),
    ("2026-11-24 10:01", "2026-11-24 10:00", None),
], ids=["bookings: one week ahead is allowed", "bookings: more than a week ahead is refused",
        "bookings: not once started", "bookings: up to the start"])
def test_booking_window(start: str, now: str, reason) -> None:
    assert booking_refusal(H1T.rules, at(start), at(start) + timedelta(minutes=60), at(now)) is reason


def test_bookings_are_at_least_the_facility_s_shortest() -> None:
    start, now = at("2026-11-24 12:00"), at("2026-11-24 10:00")
    assert H1T.rules.shortest_booking_minutes == 30
    assert booking_refusal(H1T.rules, start, start + timedelta(minutes=29), now) is Reason.BOOKING_TOO_SHORT
    assert booking_refusal(H1T.rules, start, start + timedelta(minutes=30), now) is None


@pytest.mark.parametrize(("now", "reason"), [
    ("2026-11-24 08:00", None), ("2026-11-24 08:01", Reason.CANCEL_TOO_LATE),
], ids=["cancellation: up to 2 hours before", "cancellation: refused inside 2 hours"])
def test_cancellation_window(now: str, reason) -> None:
    assert cancellation_refusal(at("2026-11-24 10:00"), at(now)) is reason


def test_rooms_held_back_for_private_hire_are_not_offered() -> None:
    assert "private-1" not in {room.id for room in bookable_rooms(H1T)}
    assert {"booth-a", "booth-b", "meeting-1"} <= {room.id for room in bookable_rooms(H1T)}


CASES = {
    "unlock: the booker in the window opens": (BOOTH_A, booking(), PREMIUM, "2026-11-24 10:00", None),
    "unlock: early entry within 5 minutes": (BOOTH_A, booking(), PREMIUM, "2026-11-24 09:55", None),
    "unlock: earlier than that is refused": (BOOTH_A, booking(), PREMIUM, "2026-11-24 09:54", Reason.TOO_EARLY),
    "unlock: refused once the booking ended": (BOOTH_A, booking(), PREMIUM, "2026-11-24 11:00", Reason.RESERVATION_OVER),
    "unlock: no reservation": (BOOTH_A, None, PREMIUM, "2026-11-24 10:00", Reason.NO_RESERVATION),
    "unlock: cancelled reservation": (BOOTH_A, booking(cancelled=True), PREMIUM, "2026-11-24 10:00", Reason.RESERVATION_CANCELLED),
    "unlock: reservation for another room": (BOOTH_A, booking("booth-b"), PREMIUM, "2026-11-24 10:00", Reason.WRONG_ROOM),
    "meeting room: only the booker opens": (MEETING, booking("meeting-1", guests=3), CORPORATE, "2026-11-24 10:00", Reason.NOT_BOOKER),
    "meeting room: the booker opens for the guests": (MEETING, booking("meeting-1", guests=3), PREMIUM, "2026-11-24 10:00", None),
}


@pytest.mark.parametrize(("door", "reservation", "member", "now", "reason"), CASES.values(), ids=CASES.keys())
def test_unlock_rule(door, reservation, member, now: str, reason) -> None:
    decision = decide_unlock(H1T, door, reservation, member.member_id, [], at(now))
    assert decision.reasons == ((reason,) if reason else ())
    assert decision.admitted is (reason is None)


def earlier_uses(count: int) -> list[CheckIn]:
    """count entries today, each with its own reservation."""
    return [CheckIn(PREMIUM.member_id, at(f"2026-11-24 0{n}:00"), PREMIUM.plan, reservation_id=100 + n) for n in range(count)]


def test_daily_limit_counts_each_booking_as_one_use() -> None:
    assert decide_unlock(H1T, BOOTH_A, booking(), PREMIUM.member_id, earlier_uses(4), at("2026-11-24 10:00")).new_use
    refused = decide_unlock(H1T, BOOTH_A, booking(), PREMIUM.member_id, earlier_uses(5), at("2026-11-24 10:00"))
    assert refused.reasons == (Reason.DAILY_LIMIT,)


def test_opening_the_same_booking_again_is_not_a_new_use_even_at_the_limit() -> None:
    history = earlier_uses(4) + [CheckIn(PREMIUM.member_id, at("2026-11-24 10:00"), PREMIUM.plan, reservation_id=55)]
    decision = decide_unlock(H1T, BOOTH_A, booking(), PREMIUM.member_id, history, at("2026-11-24 10:30"))
    assert decision.admitted and not decision.new_use
