"""Entry cut-offs (docs/domain.md): e.g. no new entry after 18:00 on Fridays and before public holidays."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from facility.config.models import WEEKDAYS, EntryCutoff, OpeningHours, Rules
from facility.rules.calendar import TOKYO, is_day_before_holiday, is_public_holiday, local
from facility.rules.hours import next_opening


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


def next_admission(rules: Rules, hours: OpeningHours, moment: datetime, within_days: int = 14) -> datetime | None:
    """The first moment from `moment` on at which a new member may come in: the facility open and no cut-off in
    force (after a Friday cut-off at a 24-hour branch, Saturday 0:00; on a closed Sunday, Monday's opening). None
    when there is none within `within_days` days."""
    now = local(moment)
    limit = now + timedelta(days=within_days)
    while now <= limit:
        opening = next_opening(hours, now, within_days)
        if opening is None:
            return None
        cutoff = cutoff_in_force(rules, opening)
        if cutoff is None:
            return opening
        day = datetime.combine(opening.date(), time(0), TOKYO)
        now = max(day + timedelta(minutes=cutoff.until), opening + timedelta(minutes=1))
    return None
