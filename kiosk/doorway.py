"""Whether the facility takes new members now (closed, past the cut-off, full, few left, free), and today's hours."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import Enum

from facility.config import FacilityConfig
from facility.config.timeofday import MINUTES_PER_DAY
from facility.models import Occupancy
from facility.rules.calendar import local
from facility.rules.capacity import Vacancy, vacancy
from facility.rules.cutoffs import cutoff_in_force
from facility.rules.hours import is_open, ranges_on


class Doorway(Enum):
    """Whether the facility takes new members now, as the reception page says it (never 'free' when it is not)."""

    OPEN = ("open", "#1565c0", "#ffffff")  # no seat count kept (a meeting room's reception)
    VACANT = ("vacant", "#1565c0", "#ffffff")
    FEW_LEFT = ("few_left", "#ffb300", "#1c1c1c")  # dark ink on amber: 9.9:1, where white was 1.97:1
    FULL = ("full", "#b3261e", "#ffffff")
    AFTER_CUTOFF = ("after_cutoff", "#5f6368", "#ffffff")
    CLOSED = ("closed", "#5f6368", "#ffffff")

    def __init__(self, code: str, background: str, ink: str) -> None:
        self.code = code
        self.background = background
        self.ink = ink

    @property
    def takes_new_members(self) -> bool:
        """False while closed, full or past the cut-off: the page must not invite a scan then."""
        return self in (Doorway.OPEN, Doorway.VACANT, Doorway.FEW_LEFT)


_FROM_VACANCY = {
    Vacancy.VACANT: Doorway.VACANT,
    Vacancy.FEW_LEFT: Doorway.FEW_LEFT,
    Vacancy.FULL: Doorway.FULL,
    Vacancy.CLOSED: Doorway.CLOSED,
}


def doorway(cfg: FacilityConfig, occupancy: Occupancy, now: datetime) -> Doorway:
    """The doorway now, of the space `cfg` is the venue of (Reception: its walk-in space): closed, then the day's
    cut-off, then the seats or rooms (in the space's unit)."""
    if not is_open(cfg.hours, now):
        return Doorway.CLOSED
    if cutoff_in_force(cfg.rules, now) is not None:
        return Doorway.AFTER_CUTOFF
    if cfg.seats is None:
        return Doorway.OPEN
    return _FROM_VACANCY[vacancy(cfg.seats, occupancy, True)]


@dataclass(frozen=True)
class SpaceVacancy:
    """One space as the reception page lists it where a facility has several: open or not, its vacancy and what is
    free in its unit ("seats" or "rooms"; "" and no vacancy: a space taken by booking only)."""

    space: str
    name: str
    open: bool
    state: Vacancy | None = None
    free: int | None = None
    unit: str = ""


@dataclass(frozen=True)
class TodaysHours:
    """Today's opening hours as the reception page shows them."""

    ranges: tuple[str, ...] = ()  # '8:00–21:00' each; none: closed all day
    around_the_clock: bool = False


def hours_today(cfg: FacilityConfig, now: datetime) -> TodaysHours:
    """Today's opening hours."""
    ranges = ranges_on(cfg.hours, local(now).date())
    whole_day = len(ranges) == 1 and ranges[0].start == 0 and ranges[0].end == MINUTES_PER_DAY
    return TodaysHours(tuple(f"{_clock(r.start)}–{_clock(r.end)}" for r in ranges), whole_day)


def _clock(minutes: int) -> str:
    """Minutes after midnight as H:MM (24:00 stays 24:00)."""
    return f"{minutes // 60}:{minutes % 60:02d}"
