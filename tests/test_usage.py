"""How uses are counted (docs/domain.md), and the day's usage report."""

from __future__ import annotations

import csv
import io
from datetime import date

from facility.models import CheckIn, EntryKind
from facility.usage import REPORT_COLUMNS, usage_report_csv, uses_on
from tests.rulebook import CORPORATE, H1T, KARAOKE, PREMIUM, REGUS, at, visit, with_rules

DAY = date(2026, 11, 24)


def test_no_time_limit_two_visits_the_same_day_are_one_use() -> None:
    history = [visit(PREMIUM, "2026-11-24 12:00", None), visit(PREMIUM, "2026-11-24 20:00", None)]
    (use,) = uses_on(KARAOKE, history, DAY)
    assert use.check_ins == 2 and use.started_at.startswith("2026-11-24T12:00")


def test_no_time_limit_visits_on_two_days_are_two_uses() -> None:
    history = [visit(PREMIUM, "2026-11-24 23:30", None), visit(PREMIUM, "2026-11-25 00:30", None)]
    by_midnight = with_rules(KARAOKE, day_starts_at=0)  # the default day; the example's begins at 06:00
    assert len(uses_on(by_midnight, history, DAY)) == 1
    assert len(uses_on(by_midnight, history, date(2026, 11, 25))) == 1
    assert len(uses_on(KARAOKE, history, DAY)) == 1 and not uses_on(KARAOKE, history, date(2026, 11, 25))


def test_time_limit_a_re_check_in_past_the_limit_is_a_second_use() -> None:
    history = [
        visit(PREMIUM, "2026-11-24 09:00", "2026-11-24 13:00"),
        visit(PREMIUM, "2026-11-24 13:30", "2026-11-24 17:30"),
    ]
    assert [u.check_ins for u in uses_on(REGUS, history, DAY)] == [1, 1]


def test_stepping_out_and_back_is_not_a_use() -> None:
    history = [
        visit(PREMIUM, "2026-11-24 09:00", "2026-11-24 13:00"),
        CheckIn(PREMIUM.member_id, at("2026-11-24 11:00"), PREMIUM.plan, EntryKind.RE_ENTRY),
    ]
    assert len(uses_on(REGUS, history, DAY)) == 1


def test_two_members_at_the_same_time_are_two_uses() -> None:
    history = [visit(PREMIUM, "2026-11-24 10:00", None), visit(CORPORATE, "2026-11-24 10:00", None)]
    assert {u.member_id for u in uses_on(KARAOKE, history, DAY)} == {PREMIUM.member_id, CORPORATE.member_id}


def test_a_meeting_room_booking_counts_for_the_booker_only() -> None:
    booker = CheckIn(PREMIUM.member_id, at("2026-11-24 10:00"), PREMIUM.plan, reservation_id=7)
    booker_again = CheckIn(PREMIUM.member_id, at("2026-11-24 10:40"), PREMIUM.plan, reservation_id=7)
    guest = CheckIn(CORPORATE.member_id, at("2026-11-24 10:01"), CORPORATE.plan, reservation_id=7, booker=False)
    (use,) = uses_on(H1T, [booker, guest, booker_again], DAY)
    assert (use.member_id, use.check_ins, use.reservation_id) == (PREMIUM.member_id, 2, 7)


def test_usage_report_csv_has_one_row_per_use() -> None:
    history = [
        visit(PREMIUM, "2026-11-24 09:00", "2026-11-24 13:00"),
        visit(PREMIUM, "2026-11-24 13:30", "2026-11-24 17:30"),
        visit(CORPORATE, "2026-11-24 10:00", "2026-11-24 14:00"),
        visit(CORPORATE, "2026-11-23 10:00", None),
    ]
    rows = list(csv.DictReader(io.StringIO(usage_report_csv(REGUS, history, DAY))))
    assert tuple(rows[0]) == REPORT_COLUMNS
    assert [(r["use_no"], r["member_id"], r["plan"], r["check_ins"]) for r in rows] == [
        ("1", "2", "individual_premium", "1"),
        ("2", "3", "corporate", "1"),
        ("3", "2", "individual_premium", "1"),
    ]
    assert all(r["date"] == "2026-11-24" and r["facility_id"] == "regus-shinjuku-south" for r in rows)
