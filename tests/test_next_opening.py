"""The next opening and the next time new members are admitted, from the hours, holidays and cut-offs (issue 26):
across a simulated week with a public holiday (Monday 2026-11-23, 勤労感謝の日) and the Friday cut-off."""

from __future__ import annotations

import pytest

from facility.rules.cutoffs import next_admission
from facility.rules.hours import next_opening
from tests.rulebook import KAIKATSU, KARAOKE, REGUS, at

# Regus: weekdays 9-18, closed at weekends and on public holidays.
REGUS_WEEK = [
    ("2026-11-16 08:00", "2026-11-16 09:00"),  # Monday before opening
    ("2026-11-16 10:00", "2026-11-16 10:00"),  # open: now
    ("2026-11-16 18:00", "2026-11-17 09:00"),  # closing time: tomorrow morning
    ("2026-11-20 19:30", "2026-11-24 09:00"),  # Friday evening: Saturday, Sunday and the holiday Monday closed
    ("2026-11-21 12:00", "2026-11-24 09:00"),  # Saturday
    ("2026-11-23 09:30", "2026-11-24 09:00"),  # the holiday itself
]


@pytest.mark.parametrize(("now", "expected"), REGUS_WEEK)
def test_the_next_opening_skips_weekends_and_holidays(now: str, expected: str) -> None:
    assert next_opening(REGUS.hours, at(now)) == at(expected)
    assert next_admission(REGUS.rules, REGUS.hours, at(now)) == at(expected)  # no cut-offs at Regus


# Kaikatsu: open around the clock, no new entry after 18:00 on Fridays and the day before a holiday.
KAIKATSU_WEEK = [
    ("2026-11-19 23:00", "2026-11-19 23:00"),  # Thursday night: no cut-off
    ("2026-11-20 17:59", "2026-11-20 17:59"),  # Friday, a minute before the cut-off
    ("2026-11-20 18:00", "2026-11-21 00:00"),  # the cut-off: new entries from 0:00
    ("2026-11-20 23:45", "2026-11-21 00:00"),
    ("2026-11-22 19:00", "2026-11-23 00:00"),  # Sunday, the day before the holiday
    ("2026-11-23 19:00", "2026-11-23 19:00"),  # the holiday itself has no cut-off
]


@pytest.mark.parametrize(("now", "expected"), KAIKATSU_WEEK)
def test_after_the_cut_off_new_entries_start_at_midnight(now: str, expected: str) -> None:
    assert next_opening(KAIKATSU.hours, at(now)) == at(now)  # always open
    assert next_admission(KAIKATSU.rules, KAIKATSU.hours, at(now)) == at(expected)


def test_overnight_hours_open_on_the_evening() -> None:
    evening = next_opening(KARAOKE.hours, at("2026-11-18 07:00"))
    assert evening is not None and at("2026-11-18 07:00") < evening <= at("2026-11-19 07:00")
    assert next_opening(KARAOKE.hours, evening) == evening


def test_a_facility_that_never_opens_has_no_next_opening() -> None:
    shut = REGUS.hours.model_copy(update={day: [] for day in ("mon", "tue", "wed", "thu", "fri")})
    assert next_opening(shut, at("2026-11-16 10:00")) is None
    assert next_admission(REGUS.rules, shut, at("2026-11-16 10:00")) is None
