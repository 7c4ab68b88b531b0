"""Vacancy shown to members (docs/domain.md): blue vacant, yellow few left, red full or closed; counted in the
space's unit (seats, or rooms a group shares: facility/rules/rooms.py)."""

from __future__ import annotations

from facility.config.models import Seats
from facility.models import Occupancy
from facility.reasons import Worded
from facility.rules.rooms import in_use

LARGE_FROM_SEATS = 10


class Vacancy(Worded):
    """The vacancy state with its words and the colour the app shows."""

    VACANT = ("vacant", "空席あり", "Seats free", "blue")
    FEW_LEFT = ("few_left", "残りわずか", "Few seats left", "yellow")
    FULL = ("full", "満席", "Full", "red")
    CLOSED = ("closed", "営業時間外", "Closed", "red")

    @property
    def colour(self) -> str:
        """blue, yellow or red."""
        return self.value[3]


def free_seats(seats: Seats, occupancy: Occupancy) -> int:
    """Seats (or rooms) nobody is using, in the space's unit (never negative)."""
    return max(0, seats.total - in_use(seats, occupancy))


def vacancy(seats: Seats, occupancy: Occupancy, is_open: bool) -> Vacancy:
    """The state the app shows for this facility now."""
    if not is_open:
        return Vacancy.CLOSED
    free = free_seats(seats, occupancy)
    if free == 0:
        return Vacancy.FULL
    return Vacancy.FEW_LEFT if free <= seats.few_left_at else Vacancy.VACANT


def size_label(seats: Seats) -> str:
    """'large' (10 seats or more) or 'small', as the app labels facilities."""
    return "large" if seats.total >= LARGE_FROM_SEATS else "small"
