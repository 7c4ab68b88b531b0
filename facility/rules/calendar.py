"""Japanese public holidays, from the maintained `holidays` package, and the facility's time zone."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

TOKYO = ZoneInfo("Asia/Tokyo")


@lru_cache(maxsize=16)
def _japan(year: int) -> holidays.HolidayBase:
    """Japan's public holidays (including substitute holidays) for one year."""
    return holidays.country_holidays("JP", years=year, language="ja")


def holiday_name(day: date) -> str | None:
    """The holiday's Japanese name, or None on an ordinary day."""
    return _japan(day.year).get(day)


def is_public_holiday(day: date) -> bool:
    """True on a Japanese public holiday."""
    return holiday_name(day) is not None


def is_day_before_holiday(day: date) -> bool:
    """True on the day before a Japanese public holiday."""
    return is_public_holiday(day + timedelta(days=1))


def local(moment: datetime) -> datetime:
    """The moment in the facility's time zone; naive moments are refused."""
    if moment.tzinfo is None:
        raise ValueError("a naive datetime has no time zone; pass an aware one")
    return moment.astimezone(TOKYO)


def since_yesterday(moment: datetime) -> datetime:
    """Midnight at the start of the day before moment's (Tokyo): as far back as a rule looks into a member's
    history (today's uses, and a visit or booking that ran over midnight)."""
    return datetime.combine(local(moment).date() - timedelta(days=1), time(0), TOKYO)


def business_day(moment: datetime, starts_at_minutes: int = 0) -> date:
    """The business day a moment belongs to, for a facility whose day begins `starts_at_minutes` after midnight."""
    return (local(moment) - timedelta(minutes=starts_at_minutes)).date()


def business_day_start(day: date, starts_at_minutes: int = 0) -> datetime:
    """The moment a business day begins (Tokyo)."""
    return datetime.combine(day, time(0), TOKYO) + timedelta(minutes=starts_at_minutes)
