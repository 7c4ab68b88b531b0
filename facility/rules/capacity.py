"""Vacancy shown to members (DOMAIN.md): blue vacant, yellow few left, red full or closed."""

from __future__ import annotations

from enum import Enum

from facility.config.models import Seats
from facility.models import Occupancy

LARGE_FROM_SEATS = 10


class Vacancy(Enum):
    """The vacancy state with its colour and its words."""

    VACANT = ("vacant", "blue", "空席あり", "Seats free")
    FEW_LEFT = ("few_left", "yellow", "残りわずか", "Few seats left")
    FULL = ("full", "red", "満席", "Full")
    CLOSED = ("closed", "red", "営業時間外", "Closed")

    def __init__(self, code: str, colour: str, ja: str, en: str) -> None:
        self.code = code
        self.colour = colour
        self.ja = ja
        self.en = en


def free_seats(seats: Seats, occupancy: Occupancy) -> int:
    """Seats nobody is using (never negative)."""
    return max(0, seats.total - occupancy.people)


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
