"""Bookings (docs/domain.md): when they can be made and cancelled, and who may unlock the booked room."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from facility.config.models import Door, OpeningHours, Room
from facility.config.schema import FacilityConfig
from facility.models import CheckIn, Reservation
from facility.reasons import Reason
from facility.rules.hours import is_open, open_interval
from facility.rules.visits import over_daily_limit
from facility.usage import starts_new_use

BOOKING_OPENS_BEFORE = timedelta(days=7)
CANCELLATION_CLOSES_BEFORE = timedelta(hours=2)


def booking_refusal(cfg: FacilityConfig, starts_at: datetime, ends_at: datetime, now: datetime) -> Reason | None:
    """Why a booking cannot be made now: a week ahead at most, not after the start, not too short, in the hours."""
    if starts_at <= now:
        return Reason.BOOKING_IN_PAST
    if starts_at - now > BOOKING_OPENS_BEFORE:
        return Reason.BOOKING_TOO_EARLY
    if ends_at - starts_at < timedelta(minutes=cfg.rules.shortest_booking_minutes):
        return Reason.BOOKING_TOO_SHORT
    if not within_opening(cfg.hours, starts_at, ends_at):
        return Reason.BOOKING_OUTSIDE_HOURS
    return None


def within_opening(hours: OpeningHours, starts_at: datetime, ends_at: datetime) -> bool:
    """True when the whole span lies inside one opening (holiday hours and openings joined at midnight included)."""
    interval = open_interval(hours, starts_at)
    return interval is not None and (interval[1] is None or ends_at <= interval[1])


def overlaps(reservation: Reservation, starts_at: datetime, ends_at: datetime) -> bool:
    """True when a live reservation holds any part of the span."""
    return not reservation.cancelled and reservation.starts_at < ends_at and starts_at < reservation.ends_at


def cancellation_refusal(starts_at: datetime, now: datetime) -> Reason | None:
    """Why a booking cannot be cancelled now: cancellation closes 2 hours before the start."""
    return Reason.CANCEL_TOO_LATE if now > starts_at - CANCELLATION_CLOSES_BEFORE else None


def bookable_rooms(cfg: FacilityConfig) -> list[Room]:
    """Rooms offered to members; those held back for private hire are not."""
    return [room for room in cfg.rooms if not room.private_hire]


@dataclass(frozen=True)
class UnlockDecision:
    """Open or not, why not, and whether this entry starts a use."""

    admitted: bool
    reasons: tuple[Reason, ...] = ()
    new_use: bool = False


def reservation_refusal(
    cfg: FacilityConfig,
    rooms: Collection[str],
    reservation: Reservation | None,
    member_id: int,
    now: datetime,
    not_booker: Reason = Reason.NOT_BOOKER,
) -> Reason | None:
    """The first way this reservation fails to admit this member to one of these rooms now."""
    if reservation is None:
        return Reason.NO_RESERVATION
    if reservation.cancelled:
        return Reason.RESERVATION_CANCELLED
    if reservation.room_id not in rooms:
        return Reason.WRONG_ROOM
    if reservation.member_id != member_id:
        return not_booker
    if now < reservation.starts_at - timedelta(minutes=cfg.rules.early_entry_minutes):
        return Reason.TOO_EARLY
    if now >= reservation.ends_at:
        return Reason.RESERVATION_OVER
    return None


def closest_reservation(
    cfg: FacilityConfig, rooms: Collection[str], candidates: Iterable[Reservation], member_id: int, now: datetime
) -> Reservation | None:
    """The member's reservation that admits them now, else the one nearest in time (its refusal says why)."""
    mine = sorted(
        (r for r in candidates if r.member_id == member_id), key=lambda r: abs((r.starts_at - now).total_seconds())
    )
    admitting = (r for r in mine if reservation_refusal(cfg, rooms, r, member_id, now) is None)
    return next(admitting, mine[0] if mine else None)


def decide_unlock(
    cfg: FacilityConfig,
    door: Door,
    reservation: Reservation | None,
    member_id: int,
    history: Sequence[CheckIn],
    now: datetime,
) -> UnlockDecision:
    """Decide an unlock at a booking facility or meeting room: only the booker, in the window, while open,
    under the daily limit."""
    refusal = reservation_refusal(cfg, door.rooms, reservation, member_id, now)
    if refusal is not None or reservation is None:
        return UnlockDecision(False, (refusal or Reason.NO_RESERVATION,))
    if not is_open(cfg.hours, now):  # early entry or a booking kept from before the hours changed: the door stays shut
        return UnlockDecision(False, (Reason.CLOSED_FOR_UNLOCK,))
    candidate = CheckIn(member_id, now, reservation.plan, reservation_id=reservation.reservation_id)
    new_use = starts_new_use(cfg, history, candidate)
    if new_use and over_daily_limit(cfg, history, member_id, now):
        return UnlockDecision(False, (Reason.DAILY_LIMIT,))
    return UnlockDecision(True, (), new_use)
