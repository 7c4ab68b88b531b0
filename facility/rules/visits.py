"""Time limits, re-check-in, stepping out and daily limits (docs/domain.md)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from facility.config.schema import FacilityConfig
from facility.models import CheckIn, Reservation
from facility.rules.hours import closes_at
from facility.usage import facility_day, member_uses_on


def running_visit(history: Sequence[CheckIn], member_id: int, now: datetime) -> CheckIn | None:
    """The member's visit that is still running (inside its limit, not checked out), if any."""
    return next((c for c in reversed(history) if c.member_id == member_id and c.active_at(now)), None)


def visit_ends_at(cfg: FacilityConfig, start: datetime, booking: Reservation | None = None) -> datetime | None:
    """When a visit starting now ends: its time limit (or its booking's end) or closing, whichever is first;
    None if neither."""
    closing = closes_at(cfg.hours, start)
    limit = cfg.rules.time_limit_minutes
    by_limit = start + timedelta(minutes=limit) if limit is not None else None
    ends = [moment for moment in (booking.ends_at if booking else by_limit, closing) if moment is not None]
    return min(ends) if ends else None


def over_daily_limit(cfg: FacilityConfig, history: Sequence[CheckIn], member_id: int, now: datetime) -> bool:
    """True when another use this business day would pass the facility's uses-per-day limit."""
    limit = cfg.rules.max_checkins_per_day
    return limit is not None and member_uses_on(cfg, history, member_id, facility_day(cfg, now)) >= limit
