"""The check-in decision, one row per rule of docs/domain.md (the row id names the rule)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import pytest

from facility.config.models import DeskCheck
from facility.models import CheckIn, EntryKind, FacilityKind, Member, Occupancy, Reservation
from facility.reasons import Reason
from facility.rules.capacity import Vacancy, size_label, vacancy
from facility.rules.checkin import decide_checkin
from facility.rules.companions import companion_fee
from facility.rules.desk import DeskCheckDue
from facility.rules.hours import closes_at
from tests.rulebook import (
    BASIC,
    CORPORATE,
    H1T,
    KAIKATSU,
    KARAOKE,
    MEETING,
    NEWCOMER,
    PREMIUM,
    REGUS,
    at,
    visit,
    with_rules,
)

R = Reason


@dataclass
class Case:
    """One arrival and what the rules must say of it."""

    cfg: object
    member: Member
    now: str
    reasons: tuple[Reason, ...] = ()
    history: list[CheckIn] = field(default_factory=list)
    occupancy: Occupancy = Occupancy()
    ends: str | None = "any"
    entry: EntryKind = EntryKind.CHECK_IN
    new_use: bool | None = None


CASES = {
    # Opening hours per weekday, on public holidays, overnight and 24 h.
    "hours: open on a weekday": Case(REGUS, PREMIUM, "2026-11-24 10:00", ends="2026-11-24 14:00"),
    "hours: refused before opening": Case(REGUS, PREMIUM, "2026-11-24 08:59", (R.CLOSED,)),
    "hours: closing time is already closed": Case(REGUS, PREMIUM, "2026-11-24 18:00", (R.CLOSED,)),
    "hours: closed at the weekend": Case(REGUS, PREMIUM, "2026-11-21 10:00", (R.CLOSED,)),
    "hours: public holiday uses holiday hours (closed)": Case(REGUS, PREMIUM, "2026-11-23 10:00", (R.CLOSED,)),
    "hours: public holiday without holiday hours keeps the weekday's": Case(KARAOKE, PREMIUM, "2026-11-23 12:00"),
    "hours: overnight range still open after midnight": Case(
        KARAOKE, PREMIUM, "2026-11-25 03:00", ends="2026-11-25 05:00"
    ),
    "hours: overnight range closed after it ends": Case(KARAOKE, PREMIUM, "2026-11-25 05:30", (R.CLOSED,)),
    "hours: 24 h never closes, the visit runs past midnight": Case(
        KAIKATSU, BASIC, "2026-11-25 23:00", ends="2026-11-26 02:00"
    ),
    # Time limit per check-in, re-check-in and stepping out.
    "time limit: the visit ends at the limit": Case(
        REGUS, PREMIUM, "2026-11-24 10:00", ends="2026-11-24 14:00", new_use=True
    ),
    "time limit: a visit never runs past closing": Case(REGUS, PREMIUM, "2026-11-24 16:00", ends="2026-11-24 18:00"),
    "no time limit: the visit runs until closing": Case(KARAOKE, PREMIUM, "2026-11-24 20:00", ends="2026-11-25 05:00"),
    "time limit: checking in again after the limit is a new use": Case(
        REGUS,
        PREMIUM,
        "2026-11-24 13:30",
        history=[visit(PREMIUM, "2026-11-24 09:00", "2026-11-24 13:00")],
        ends="2026-11-24 17:30",
        new_use=True,
    ),
    "stepping out: coming back within the limit is a re-entry": Case(
        REGUS,
        PREMIUM,
        "2026-11-24 11:00",
        history=[visit(PREMIUM, "2026-11-24 09:00", "2026-11-24 13:00")],
        ends="2026-11-24 13:00",
        entry=EntryKind.RE_ENTRY,
        new_use=False,
    ),
    "stepping out not allowed: coming back is a new check-in": Case(
        with_rules(REGUS, step_out_allowed=False),
        PREMIUM,
        "2026-11-24 11:00",
        history=[visit(PREMIUM, "2026-11-24 09:00", "2026-11-24 13:00")],
        ends="2026-11-24 15:00",
        new_use=True,
    ),
    "checked out: coming back is a new check-in": Case(
        REGUS,
        PREMIUM,
        "2026-11-24 11:00",
        history=[visit(PREMIUM, "2026-11-24 09:00", "2026-11-24 13:00", checked_out_at=at("2026-11-24 10:00"))],
        new_use=True,
    ),
    # Check-ins per member per day.
    "daily limit: a second check-in the same day is refused": Case(
        KAIKATSU,
        BASIC,
        "2026-11-24 13:00",
        (R.DAILY_LIMIT,),
        history=[visit(BASIC, "2026-11-24 09:00", "2026-11-24 12:00")],
    ),
    "daily limit: yesterday's check-in does not count": Case(
        KAIKATSU, BASIC, "2026-11-25 09:00", history=[visit(BASIC, "2026-11-24 09:00", "2026-11-24 12:00")]
    ),
    "daily limit: a same-day return at a no-limit facility continues the day's use": Case(
        KARAOKE.model_copy(update={"rules": KARAOKE.rules.model_copy(update={"max_checkins_per_day": 1})}),
        PREMIUM,
        "2026-11-24 20:00",
        history=[visit(PREMIUM, "2026-11-24 12:00", "2026-11-24 13:00", checked_out_at=at("2026-11-24 13:00"))],
        new_use=False,
    ),
    # Entry cut-offs: Fridays and the day before a public holiday, after 18:00.
    "cut-off: Friday before 18:00 is admitted": Case(KAIKATSU, BASIC, "2026-11-20 17:59"),
    "cut-off: Friday from 18:00 is refused": Case(KAIKATSU, BASIC, "2026-11-20 18:00", (R.AFTER_CUTOFF,)),
    "cut-off: it ends at midnight": Case(KAIKATSU, BASIC, "2026-11-21 00:30"),
    "cut-off: the day before a public holiday (Sun 22 Nov)": Case(
        KAIKATSU, BASIC, "2026-11-22 18:30", (R.AFTER_CUTOFF,)
    ),
    "cut-off: the day before Culture Day (Mon 2 Nov)": Case(KAIKATSU, BASIC, "2026-11-02 19:00", (R.AFTER_CUTOFF,)),
    "cut-off: an ordinary Thursday evening is admitted": Case(KAIKATSU, BASIC, "2026-11-19 19:00"),
    "cut-off: a member stepping back in is not a new entry": Case(
        KAIKATSU,
        BASIC,
        "2026-11-20 19:00",
        history=[visit(BASIC, "2026-11-20 17:00", "2026-11-20 20:00")],
        entry=EntryKind.RE_ENTRY,
    ),
    # Plans admitted.
    "plans: individual basic refused where the facility says (Regus)": Case(
        REGUS, BASIC, "2026-11-24 10:00", (R.PLAN_NOT_ADMITTED,)
    ),
    "plans: individual basic admitted where the facility says (Kaikatsu)": Case(KAIKATSU, BASIC, "2026-11-24 10:00"),
    "plans: corporate admitted everywhere": Case(REGUS, CORPORATE, "2026-11-24 10:00"),
    "plans: every applicable reason is given": Case(REGUS, BASIC, "2026-11-21 10:00", (R.PLAN_NOT_ADMITTED, R.CLOSED)),
    # Capacity.
    "capacity: the last seat is given": Case(REGUS, PREMIUM, "2026-11-24 10:00", occupancy=Occupancy(39)),
    "capacity: full is refused": Case(REGUS, PREMIUM, "2026-11-24 10:00", (R.FULL,), occupancy=Occupancy(40)),
    "capacity: paying companions take seats too": Case(
        REGUS, PREMIUM, "2026-11-24 10:00", (R.FULL,), occupancy=Occupancy(35, 5)
    ),
    "capacity: a member stepping back in keeps the seat when full": Case(
        REGUS,
        PREMIUM,
        "2026-11-24 11:00",
        occupancy=Occupancy(40),
        entry=EntryKind.RE_ENTRY,
        history=[visit(PREMIUM, "2026-11-24 09:00", "2026-11-24 13:00")],
    ),
    # Kinds of facility.
    "kinds: a booking facility admits through its doors, not at reception": Case(
        H1T, PREMIUM, "2026-11-24 10:00", (R.NOT_DROP_IN,)
    ),
}


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_check_in_rule(case: Case) -> None:
    decision = decide_checkin(case.cfg, case.member, case.history, case.occupancy, at(case.now))
    assert decision.reasons == case.reasons
    assert decision.admitted is (not case.reasons)
    if case.reasons:
        return
    assert decision.entry is case.entry
    if case.ends != "any":
        assert decision.ends_at == (at(case.ends) if case.ends else None)
    if case.new_use is not None:
        assert decision.new_use is case.new_use


@pytest.mark.parametrize(
    ("cfg", "member", "due"),
    [
        (KAIKATSU, NEWCOMER, (DeskCheckDue.PHOTO_ID, DeskCheckDue.MEMBERSHIP_SIGNUP)),
        (KAIKATSU, BASIC, ()),
        (REGUS, PREMIUM, (DeskCheckDue.TEMPERATURE, DeskCheckDue.PHOTO_ID)),
        (
            KAIKATSU.model_copy(
                update={"desk_checks": KAIKATSU.desk_checks.model_copy(update={"photo_id": DeskCheck.NEVER})}
            ),
            NEWCOMER,
            (DeskCheckDue.MEMBERSHIP_SIGNUP,),
        ),
    ],
    ids=[
        "desk checks: first visit at the chain",
        "desk checks: returning member",
        "desk checks: temperature and photo ID every visit",
        "desk checks: only those the file asks for",
    ],
)
def test_desk_checks_due(cfg, member: Member, due: tuple) -> None:
    decision = decide_checkin(cfg, member, [], Occupancy(), at("2026-11-24 10:00"))
    assert decision.admitted and decision.desk_checks == due


def test_desk_checks_are_not_repeated_on_re_entry() -> None:
    history = [visit(NEWCOMER, "2026-11-24 09:00", "2026-11-24 12:00")]
    decision = decide_checkin(KAIKATSU, NEWCOMER, history, Occupancy(1), at("2026-11-24 10:00"))
    assert decision.entry is EntryKind.RE_ENTRY and decision.desk_checks == ()


@pytest.mark.parametrize(
    ("people", "now", "state"),
    [
        (Occupancy(0), "2026-11-24 10:00", Vacancy.VACANT),
        (Occupancy(34), "2026-11-24 10:00", Vacancy.VACANT),
        (Occupancy(35), "2026-11-24 10:00", Vacancy.FEW_LEFT),
        (Occupancy(39, 1), "2026-11-24 10:00", Vacancy.FULL),
        (Occupancy(0), "2026-11-24 19:00", Vacancy.CLOSED),
    ],
    ids=[
        "vacancy: blue",
        "vacancy: blue above the threshold",
        "vacancy: yellow at the threshold",
        "vacancy: red when full",
        "vacancy: red when closed",
    ],
)
def test_vacancy_colour(people: Occupancy, now: str, state: Vacancy) -> None:
    decision = decide_checkin(REGUS, PREMIUM, [], people, at(now))
    assert decision.vacancy is state
    assert vacancy(REGUS.seats, people, now.endswith("10:00")).colour == state.colour


def test_size_labels() -> None:
    small = REGUS.seats.model_copy(update={"total": 9, "few_left_at": 2})
    assert (size_label(REGUS.seats), size_label(small)) == ("large", "small")


def test_companion_fees() -> None:
    meeting = H1T.model_copy(
        update={"facility": H1T.facility.model_copy(update={"kind": FacilityKind.MEETING_ROOM_UNATTENDED})}
    )
    assert (companion_fee(REGUS), companion_fee(KARAOKE), companion_fee(meeting)) == (2200, 1000, 0)


def test_closing_time_of_a_24h_place_is_none_and_of_an_overnight_place_is_next_morning() -> None:
    assert closes_at(KAIKATSU.hours, at("2026-11-24 10:00")) is None
    assert closes_at(KARAOKE.hours, at("2026-11-24 23:00")) == at("2026-11-25 05:00")
    assert closes_at(REGUS.hours, at("2026-11-24 07:00")) is None


def test_naive_times_are_refused() -> None:
    with pytest.raises(ValueError, match="naive"):
        decide_checkin(REGUS, PREMIUM, [], Occupancy(), datetime(2026, 11, 24, 10, 0))


# Staff forcing a member in (pretix's force): the rules still say what was overridden and what follows.
BOOKING = Reservation(77, "room-a", CORPORATE.member_id, at("2026-11-24 10:00"), at("2026-11-24 12:00"), guests=2)


def forced(cfg, member: Member, now: str, history=(), occupancy=Occupancy(), reservation=None):
    """The decision when staff force this member in, with the reason they gave."""
    return decide_checkin(cfg, member, list(history), occupancy, at(now), reservation, forced_by="manager approved")


@pytest.mark.parametrize(
    ("cfg", "member", "now", "occupancy", "overridden", "ends"),
    [
        (REGUS, BASIC, "2026-11-24 10:00", Occupancy(), (R.PLAN_NOT_ADMITTED,), "2026-11-24 14:00"),
        (REGUS, BASIC, "2026-11-21 10:00", Occupancy(), (R.PLAN_NOT_ADMITTED, R.CLOSED), "2026-11-21 14:00"),
        (REGUS, PREMIUM, "2026-11-24 16:00", Occupancy(40), (R.FULL,), "2026-11-24 18:00"),
        (KAIKATSU, BASIC, "2026-11-20 18:30", Occupancy(), (R.AFTER_CUTOFF,), "2026-11-20 21:30"),
    ],
    ids=["plan", "every reason, closed", "full, ends at closing", "cut-off"],
)
def test_a_refused_member_forced_in_is_admitted_naming_what_staff_overrode(
    cfg, member: Member, now: str, occupancy: Occupancy, overridden: tuple, ends: str
) -> None:
    decision = forced(cfg, member, now, occupancy=occupancy)
    assert decision.admitted and decision.reasons == () and decision.entry is EntryKind.CHECK_IN
    assert decision.overridden == overridden and decision.forced_by == "manager approved" and decision.forced
    assert decision.ends_at == at(ends) and decision.new_use and decision.booker


def test_forcing_a_member_the_rules_admit_anyway_overrides_nothing() -> None:
    rules = decide_checkin(REGUS, PREMIUM, [], Occupancy(), at("2026-11-24 10:00"))
    decision = forced(REGUS, PREMIUM, "2026-11-24 10:00")
    assert rules.forced_by is None and rules.overridden == ()
    assert decision.overridden == () and decision.forced_by == "manager approved" and not decision.forced
    assert (decision.admitted, decision.entry, decision.ends_at, decision.desk_checks, decision.new_use) == (
        rules.admitted,
        rules.entry,
        rules.ends_at,
        rules.desk_checks,
        rules.new_use,
    )


def test_forced_past_the_daily_limit_with_a_time_limit_is_another_use() -> None:
    decision = forced(KAIKATSU, BASIC, "2026-11-24 13:00", [visit(BASIC, "2026-11-24 09:00", "2026-11-24 12:00")])
    assert decision.overridden == (R.DAILY_LIMIT,) and decision.new_use
    assert decision.ends_at == at("2026-11-24 16:00")  # 3 h, at a place open around the clock


def test_forced_back_in_the_same_day_without_a_time_limit_continues_the_day_s_use() -> None:
    earlier = visit(PREMIUM, "2026-11-25 01:00", "2026-11-25 03:00", checked_out_at=at("2026-11-25 03:00"))
    decision = forced(KARAOKE, PREMIUM, "2026-11-25 05:30", [earlier])  # closed since 05:00
    assert decision.overridden == (R.CLOSED,) and not decision.new_use


@pytest.mark.parametrize(
    ("cfg", "member", "now", "due"),
    [
        (REGUS, BASIC, "2026-11-24 10:00", (DeskCheckDue.TEMPERATURE, DeskCheckDue.PHOTO_ID)),
        (KAIKATSU, NEWCOMER, "2026-11-20 18:30", (DeskCheckDue.PHOTO_ID, DeskCheckDue.MEMBERSHIP_SIGNUP)),
    ],
    ids=["every visit", "first visit at the chain"],
)
def test_a_member_forced_in_owes_staff_the_desk_checks(cfg, member: Member, now: str, due: tuple) -> None:
    decision = forced(cfg, member, now)
    assert decision.overridden and decision.desk_checks == due


def test_the_representative_forced_in_early_has_the_booking_and_its_guests() -> None:
    decision = forced(MEETING, CORPORATE, "2026-11-24 09:30", reservation=BOOKING)
    assert decision.overridden == (R.TOO_EARLY,) and decision.booker and decision.new_use
    assert decision.reservation == BOOKING and decision.companions == 2
    assert decision.ends_at == at("2026-11-24 12:00")


@pytest.mark.parametrize(
    ("reservation", "overridden"),
    [(BOOKING, (R.NOT_REPRESENTATIVE,)), (None, (R.NO_RESERVATION,))],
    ids=["someone else's booking runs", "no booking runs"],
)
def test_a_member_without_a_booking_forced_in_at_a_meeting_room_is_a_guest(reservation, overridden) -> None:
    decision = forced(MEETING, PREMIUM, "2026-11-24 10:30", reservation=reservation)
    assert decision.admitted and decision.overridden == overridden
    assert not decision.booker and not decision.new_use and decision.reservation is None and decision.companions == 0
    assert decision.ends_at == at("2026-11-24 21:00")  # no time limit: until closing
    assert decision.record(PREMIUM, at("2026-11-24 10:30")).booker is False
