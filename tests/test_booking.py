"""Bookings (docs/domain.md): when they can be made and cancelled, and who may open the door."""

from __future__ import annotations

from datetime import timedelta

import pytest

from facility.config.timeofday import parse_range
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


def booking(
    room: str = "booth-a", member=PREMIUM, start: str = "2026-11-24 10:00", minutes: int = 60, **kw
) -> Reservation:
    """A reservation of a room by a member."""
    return Reservation(55, room, member.member_id, at(start), at(start) + timedelta(minutes=minutes), **kw)


@pytest.mark.parametrize(
    ("start", "now", "reason"),
    [
        ("2026-12-01 10:00", "2026-11-24 10:00", None),
        ("2026-12-01 10:01", "2026-11-24 10:00", Reason.BOOKING_TOO_EARLY),
        ("2026-11-24 10:00", "2026-11-24 10:00", Reason.BOOKING_IN_PAST),
        ("2026-11-24 10:01", "2026-11-24 10:00", None),
    ],
    ids=[
        "bookings: one week ahead is allowed",
        "bookings: more than a week ahead is refused",
        "bookings: not once started",
        "bookings: up to the start",
    ],
)
def test_booking_window(start: str, now: str, reason) -> None:
    assert booking_refusal(H1T, at(start), at(start) + timedelta(minutes=60), at(now)) is reason


def test_bookings_are_at_least_the_facility_s_shortest() -> None:
    start, now = at("2026-11-24 12:00"), at("2026-11-24 10:00")
    assert H1T.rules.shortest_booking_minutes == 30
    assert booking_refusal(H1T, start, start + timedelta(minutes=29), now) is Reason.BOOKING_TOO_SHORT
    assert booking_refusal(H1T, start, start + timedelta(minutes=30), now) is None


@pytest.mark.parametrize(
    ("start", "minutes", "reason"),
    [
        ("2026-11-24 08:00", 60, None),
        ("2026-11-24 20:00", 60, None),
        ("2026-11-24 21:00", 60, Reason.BOOKING_OUTSIDE_HOURS),
        ("2026-11-24 07:00", 60, Reason.BOOKING_OUTSIDE_HOURS),
        ("2026-11-24 20:30", 60, Reason.BOOKING_OUTSIDE_HOURS),
        ("2026-11-23 08:00", 60, None),
    ],
    ids=[
        "hours: a booking at opening",
        "hours: a booking ending at closing",
        "hours: 21:00-22:00 is after closing",
        "hours: 07:00-08:00 is before opening",
        "hours: a booking may not run past closing",
        "hours: daily means public holidays too (2026-11-23)",
    ],
)
def test_bookings_lie_inside_the_opening_hours(start: str, minutes: int, reason) -> None:
    # The guide's H1T card: 毎日 8:00-21:00.
    assert booking_refusal(H1T, at(start), at(start) + timedelta(minutes=minutes), at("2026-11-22 10:00")) is reason


def test_holiday_hours_bound_bookings_on_a_public_holiday() -> None:
    shorter = H1T.model_copy(update={"hours": H1T.hours.model_copy(update={"holiday": [parse_range("10:00-17:00")]})})
    now = at("2026-11-22 10:00")
    assert booking_refusal(shorter, at("2026-11-23 09:00"), at("2026-11-23 10:00"), now) is Reason.BOOKING_OUTSIDE_HOURS
    assert booking_refusal(shorter, at("2026-11-23 16:30"), at("2026-11-23 17:30"), now) is Reason.BOOKING_OUTSIDE_HOURS
    assert booking_refusal(shorter, at("2026-11-23 10:00"), at("2026-11-23 17:00"), now) is None
    assert booking_refusal(shorter, at("2026-11-24 09:00"), at("2026-11-24 10:00"), now) is None  # an ordinary Tuesday


def test_a_booking_may_run_over_midnight_where_the_opening_does() -> None:
    late = H1T.model_copy(
        update={
            "hours": H1T.hours.model_copy(
                update={day: [parse_range("18:00-02:00")] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
            )
        }
    )
    now = at("2026-11-24 10:00")
    assert booking_refusal(late, at("2026-11-24 23:30"), at("2026-11-25 01:30"), now) is None
    assert booking_refusal(late, at("2026-11-25 01:30"), at("2026-11-25 02:30"), now) is Reason.BOOKING_OUTSIDE_HOURS


@pytest.mark.parametrize(
    ("now", "reason"),
    [
        ("2026-11-24 08:00", None),
        ("2026-11-24 08:01", Reason.CANCEL_TOO_LATE),
    ],
    ids=["cancellation: up to 2 hours before", "cancellation: refused inside 2 hours"],
)
def test_cancellation_window(now: str, reason) -> None:
    assert cancellation_refusal(at("2026-11-24 10:00"), at(now)) is reason


def test_rooms_held_back_for_private_hire_are_not_offered() -> None:
    assert "private-1" not in {room.id for room in bookable_rooms(H1T)}
    assert {"booth-a", "booth-b", "meeting-1"} <= {room.id for room in bookable_rooms(H1T)}


CASES = {
    "unlock: the booker in the window opens": (BOOTH_A, booking(), PREMIUM, "2026-11-24 10:00", None),
    "unlock: early entry within 5 minutes": (BOOTH_A, booking(), PREMIUM, "2026-11-24 09:55", None),
    "unlock: earlier than that is refused": (BOOTH_A, booking(), PREMIUM, "2026-11-24 09:54", Reason.TOO_EARLY),
    "unlock: refused once the booking ended": (
        BOOTH_A,
        booking(),
        PREMIUM,
        "2026-11-24 11:00",
        Reason.RESERVATION_OVER,
    ),
    "unlock: no reservation": (BOOTH_A, None, PREMIUM, "2026-11-24 10:00", Reason.NO_RESERVATION),
    "unlock: cancelled reservation": (
        BOOTH_A,
        booking(cancelled=True),
        PREMIUM,
        "2026-11-24 10:00",
        Reason.RESERVATION_CANCELLED,
    ),
    "unlock: reservation for another room": (
        BOOTH_A,
        booking("booth-b"),
        PREMIUM,
        "2026-11-24 10:00",
        Reason.WRONG_ROOM,
    ),
    "meeting room: only the booker opens": (
        MEETING,
        booking("meeting-1", guests=3),
        CORPORATE,
        "2026-11-24 10:00",
        Reason.NOT_BOOKER,
    ),
    "unlock: refused after closing, though the booking runs on": (
        BOOTH_A,
        booking(start="2026-11-24 20:30", minutes=120),
        PREMIUM,
        "2026-11-24 21:30",
        Reason.CLOSED_FOR_UNLOCK,
    ),
    "unlock: early entry never before opening": (
        BOOTH_A,
        booking(start="2026-11-24 08:00"),
        PREMIUM,
        "2026-11-24 07:56",
        Reason.CLOSED_FOR_UNLOCK,
    ),
    "unlock: at opening for an 8:00 booking": (
        BOOTH_A,
        booking(start="2026-11-24 08:00"),
        PREMIUM,
        "2026-11-24 08:00",
        None,
    ),
    "meeting room: the booker opens for the guests": (
        MEETING,
        booking("meeting-1", guests=3),
        PREMIUM,
        "2026-11-24 10:00",
        None,
    ),
}


@pytest.mark.parametrize(("door", "reservation", "member", "now", "reason"), CASES.values(), ids=CASES.keys())
def test_unlock_rule(door, reservation, member, now: str, reason) -> None:
    decision = decide_unlock(H1T, door, reservation, member.member_id, [], at(now))
    assert decision.reasons == ((reason,) if reason else ())
    assert decision.admitted is (reason is None)


def earlier_uses(count: int) -> list[CheckIn]:
    """count entries today, each with its own reservation."""
    return [
        CheckIn(PREMIUM.member_id, at(f"2026-11-24 0{n}:00"), PREMIUM.plan, reservation_id=100 + n)
        for n in range(count)
    ]


def test_daily_limit_counts_each_booking_as_one_use() -> None:
    assert decide_unlock(H1T, BOOTH_A, booking(), PREMIUM.member_id, earlier_uses(4), at("2026-11-24 10:00")).new_use
    refused = decide_unlock(H1T, BOOTH_A, booking(), PREMIUM.member_id, earlier_uses(5), at("2026-11-24 10:00"))
    assert refused.reasons == (Reason.DAILY_LIMIT,)


def test_opening_the_same_booking_again_is_not_a_new_use_even_at_the_limit() -> None:
    history = [*earlier_uses(4), CheckIn(PREMIUM.member_id, at("2026-11-24 10:00"), PREMIUM.plan, reservation_id=55)]
    decision = decide_unlock(H1T, BOOTH_A, booking(), PREMIUM.member_id, history, at("2026-11-24 10:30"))
    assert decision.admitted and not decision.new_use
