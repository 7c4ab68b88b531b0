"""Clock times and opening ranges as written in facility files ("09:00", "22:00-06:00")."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import BeforeValidator, PlainSerializer

_CLOCK = re.compile(r"^(\d{2}):(\d{2})$")
MINUTES_PER_DAY = 24 * 60


def parse_clock(value: Any) -> int:
    """Minutes after midnight for "HH:MM"; "24:00" is the end of the day."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    match = _CLOCK.match(value) if isinstance(value, str) else None
    if not match:
        raise ValueError(f"expected a time as HH:MM, got {value!r}")
    hours, minutes = int(match[1]), int(match[2])
    if minutes > 59 or hours > 24 or (hours == 24 and minutes):
        raise ValueError(f"{value!r} is not a time of day (00:00 to 24:00)")
    return hours * 60 + minutes


def format_clock(minutes: int) -> str:
    """ "HH:MM" for minutes after midnight."""
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


ClockTime = Annotated[int, BeforeValidator(parse_clock), PlainSerializer(format_clock)]


@dataclass(frozen=True)
class TimeRange:
    """An opening range; an end at or before the start runs past midnight into the next day."""

    start: int
    end: int

    @property
    def overnight(self) -> bool:
        """True when the range ends on the following day."""
        return self.end <= self.start

    def __str__(self) -> str:
        return f"{format_clock(self.start)}-{format_clock(self.end)}"


def parse_range(value: Any) -> TimeRange:
    """A TimeRange from "HH:MM-HH:MM"."""
    if isinstance(value, TimeRange):
        return value
    if not isinstance(value, str) or value.count("-") != 1:
        raise ValueError(f"expected an opening range like '09:00-18:00', got {value!r}")
    start_text, end_text = value.split("-")
    start, end = parse_clock(start_text.strip()), parse_clock(end_text.strip())
    if start == MINUTES_PER_DAY:
        raise ValueError(f"{value!r} starts at 24:00; start at 00:00 instead")
    if start == end:
        raise ValueError(f"{value!r} opens and closes at the same time; use '00:00-24:00' for all day")
    return TimeRange(start, end)


OpeningRange = Annotated[TimeRange, BeforeValidator(parse_range), PlainSerializer(str)]
