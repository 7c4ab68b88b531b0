"""Entry cut-offs (docs/domain.md): e.g. no new entry after 18:00 on Fridays and before public holidays."""

from __future__ import annotations

from datetime import date, datetime

from facility.config.models import WEEKDAYS, EntryCutoff, Rules
from facility.rules.calendar import is_day_before_holiday, is_public_holiday, local


def day_labels(day: date) -> set[str]:
    """The labels a cut-off's `on` list can match for this day."""
    labels: set[str] = {WEEKDAYS[day.weekday()]}
    if is_public_holiday(day):
        labels.add("holiday")
    if is_day_before_holiday(day):
        labels.add("day_before_holiday")
    return labels


def cutoff_in_force(rules: Rules, moment: datetime) -> EntryCutoff | None:
    """The cut-off that bars new entry at this moment, if any."""
    now = local(moment)
    minute = now.hour * 60 + now.minute
    labels = day_labels(now.date())
    return next((c for c in rules.entry_cutoffs if labels & set(c.on) and c.after <= minute < c.until), None)
