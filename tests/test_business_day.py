"""The day of a limit (issue 24): a facility may say when its business day begins (`[rules] day_starts_at`);
daily limits, one use a day and the daily report count business days. The guide counts uses per day
(「時間制限のない施設では、同じ日に2回利用しても1回の利用です」, 「1日1回まで」) without saying where a day
ends at a store open past midnight: the facility's file settles it, midnight unless it says otherwise."""

from __future__ import annotations

from datetime import date

import pytest
from pydantic import ValidationError

from facility.config.models import Rules
from facility.models import Occupancy
from facility.reasons import Reason
from facility.rules.checkin import decide_checkin
from facility.usage import facility_day, usage_report_csv, uses_on
from tests.rulebook import KAIKATSU, KARAOKE, PREMIUM, at, visit, with_rules

DAY_STARTS_AT_FIVE = 5 * 60


def test_karaoke_coming_back_at_one_is_the_evening_s_use_when_the_day_begins_at_five() -> None:
    # 時間制限のない施設では、同じ日に2回利用しても1回の利用です (the night's visits: one use).
    history = [visit(PREMIUM, "2026-11-24 21:00", "2026-11-24 23:30")]
    back = decide_checkin(
        with_rules(KARAOKE, day_starts_at=DAY_STARTS_AT_FIVE), PREMIUM, history, Occupancy(), at("2026-11-25 01:00")
    )
    assert back.admitted and back.new_use is False
    midnight = decide_checkin(
        with_rules(KARAOKE, day_starts_at=0), PREMIUM, history, Occupancy(), at("2026-11-25 01:00")
    )
    assert midnight.admitted and midnight.new_use is True  # the default: a new calendar day, a new use


def test_a_one_a_day_store_counts_a_visit_past_midnight_in_the_day_it_began() -> None:
    # 1日1回まで: a 23:00-02:00 visit, then a check-in at 02:30.
    one_a_day = with_rules(KAIKATSU, day_starts_at=DAY_STARTS_AT_FIVE, entry_cutoffs=[])
    history = [visit(PREMIUM, "2026-11-24 23:00", "2026-11-25 02:00")]
    again = decide_checkin(one_a_day, PREMIUM, history, Occupancy(), at("2026-11-25 02:30"))
    assert again.reasons == (Reason.DAILY_LIMIT,)
    after_five = decide_checkin(one_a_day, PREMIUM, history, Occupancy(), at("2026-11-25 05:00"))
    assert after_five.admitted  # the next business day
    by_midnight = decide_checkin(
        with_rules(KAIKATSU, entry_cutoffs=[]), PREMIUM, history, Occupancy(), at("2026-11-25 02:30")
    )
    assert by_midnight.admitted  # midnight (the default) counts 02:30 as a new day


def test_the_daily_report_holds_the_business_day() -> None:
    cfg = with_rules(KARAOKE, day_starts_at=DAY_STARTS_AT_FIVE)
    history = [
        visit(PREMIUM, "2026-11-24 04:30", None),  # the night before's business day
        visit(PREMIUM, "2026-11-24 21:00", None),
        visit(PREMIUM, "2026-11-25 01:00", None),  # the same night: the same use
    ]
    assert facility_day(cfg, at("2026-11-25 04:59")) == date(2026, 11, 24)
    (use,) = uses_on(cfg, history, date(2026, 11, 24))
    assert use.check_ins == 2 and use.started_at.startswith("2026-11-24T21:00")
    assert usage_report_csv(cfg, history, date(2026, 11, 24)).count("\n") == 2  # the header and one use


@pytest.mark.parametrize("value", ["24:00", "5", "25:00", "-01:00"])
def test_a_day_start_that_is_not_a_time_of_day_is_refused(value: str) -> None:
    with pytest.raises(ValidationError):
        Rules.model_validate({"plans_admitted": ["corporate"], "day_starts_at": value})
    assert Rules.model_validate({"plans_admitted": ["corporate"], "day_starts_at": "05:00"}).day_starts_at == 300


def test_the_kiosk_s_today_and_its_report_follow_the_business_day(tmp_path) -> None:
    from tests.kiosk_desk import member_pass, reception

    cfg = with_rules(KARAOKE, day_starts_at=DAY_STARTS_AT_FIVE)
    desk = reception(cfg, tmp_path, at("2026-11-24 23:00"))
    assert desk.present(member_pass(cfg, at=desk.clock.now().timestamp())).admitted
    desk.clock.shift(3 * 3600)  # 02:00 the next calendar day: still the evening's business day
    assert [kept.member_id for kept in desk.today()] == [1001]
    assert len(desk.day_history(facility_day(cfg, desk.clock.now()))) == 1
