"""Opening hours (docs/domain.md): per weekday, on public holidays, overnight and 24 h."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from facility.config.models import WEEKDAYS, OpeningHours
from facility.config.timeofday import TimeRange
from facility.rules.calendar import TOKYO, is_public_holiday, local

# A place open this long without a break never closes, as far as a visit is concerned.
_ALWAYS_OPEN = timedelta(days=7)


def ranges_on(hours: OpeningHours, day: date) -> list[TimeRange]:
    """The ranges that start on this day: the holiday's on a public holiday, if the file gives them."""
    if hours.holiday is not None and is_public_holiday(day):
        return list(hours.holiday)
    return list(getattr(hours, WEEKDAYS[day.weekday()]))


# The days' ranges as moments, kept per hours and day: open_interval joins up to a week of days for a place open
# around the clock, and lockd asks it for every command. Hours are immutable, so a kept day never changes; the key
# names the hours by identity and the entry holds them, so an id is never reused while its entry lives.
_DAYS_KEPT = 512
_days: dict[tuple[int, date], tuple[OpeningHours, tuple[tuple[datetime, datetime], ...]]] = {}


def _intervals_starting(hours: OpeningHours, day: date) -> tuple[tuple[datetime, datetime], ...]:
    """The day's ranges as moments; an overnight range ends on the next day."""
    kept = _days.get((id(hours), day))
    if kept is not None and kept[0] is hours:
        return kept[1]
    midnight = datetime.combine(day, time(0), TOKYO)
    made = tuple(
        (midnight + timedelta(minutes=r.start), midnight + timedelta(days=r.overnight, minutes=r.end))
        for r in ranges_on(hours, day)
    )
    if len(_days) >= _DAYS_KEPT:
        _days.clear()  # a year of one facility's days, or a few days of many files (tests): start again
    _days[(id(hours), day)] = (hours, made)
    return made


def open_interval(hours: OpeningHours, moment: datetime) -> tuple[datetime, datetime | None] | None:
    """The opening that contains moment (joined across midnight), or None when closed.

    The end is None for a place that never closes (0:00-24:00 every day).
    """
    now = local(moment)
    candidates = _intervals_starting(hours, now.date() - timedelta(days=1)) + _intervals_starting(hours, now.date())
    current = next(((start, end) for start, end in candidates if start <= now < end), None)
    if current is None:
        return None
    start, end = current
    while end - now <= _ALWAYS_OPEN:
        following = next((e for s, e in _intervals_starting(hours, end.date()) if s == end), None)
        if following is None:
            return start, end
        end = following
    return start, None


def is_open(hours: OpeningHours, moment: datetime) -> bool:
    """True while the facility is open."""
    return open_interval(hours, moment) is not None


def closes_at(hours: OpeningHours, moment: datetime) -> datetime | None:
    """When the current opening ends; None if closed now or never closing."""
    interval = open_interval(hours, moment)
    return interval[1] if interval else None


def next_opening(hours: OpeningHours, moment: datetime, within_days: int = 14) -> datetime | None:
    """When the facility next opens after `moment` (the moment itself if it is open then); None if it stays closed
    for `within_days` days (a file with no hours)."""
    now = local(moment)
    if is_open(hours, now):
        return now
    starts = [
        start
        for offset in range(-1, within_days + 1)
        for start, _ in _intervals_starting(hours, now.date() + timedelta(days=offset))
        if start > now
    ]
    return min(starts, default=None)
