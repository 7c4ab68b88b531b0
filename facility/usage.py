"""How uses are counted (docs/domain.md); this drives corporate billing.

- no time limit: the same member's visits on one business day are one use (a day begins at `[rules]
  day_starts_at`, midnight unless set: a store open past midnight may count 01:00 as the evening before);
- with a time limit: every check-in (a re-check-in past the limit too) is a use;
- different members are different uses;
- a booking is one use of its booker, however often the door opens; guests are not counted.
Re-entries after stepping out continue the running use; one pass is never counted twice.
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Hashable, Iterable
from dataclasses import dataclass
from datetime import date, datetime

from facility.config.schema import FacilityConfig
from facility.contract import UsageReportBody, UsageRow
from facility.models import CheckIn, EntryKind, Plan
from facility.rules.calendar import business_day, local

REPORT_COLUMNS = ("date", "facility_id", "use_no", "member_id", "plan", "started_at", "check_ins", "reservation_id")


@dataclass(frozen=True)
class Use:
    """One billable use: its member, when it started and how many check-ins it merged."""

    member_id: int
    plan: Plan
    started_at: str
    check_ins: int
    reservation_id: int | None


def use_key(cfg: FacilityConfig, entry: CheckIn) -> Hashable | None:
    """The use an entry belongs to; None for entries that never count (re-entries, guests). Uses are the
    facility's, whichever of its spaces asks: a booking is one use, a visit without one counts by the walk-in
    space's time limit."""
    if entry.kind is EntryKind.RE_ENTRY or not entry.booker:
        return None
    if entry.reservation_id is not None:
        return ("reservation", entry.reservation_id)
    walk_in = cfg.walk_in_venue or cfg  # a visit without a booking counts by the walk-in space's time limit
    if walk_in.rules.time_limit_minutes is None:
        return ("day", entry.member_id, facility_day(cfg, entry.at))
    return ("check_in", entry.member_id, entry.at)


def facility_day(cfg: FacilityConfig, moment: datetime) -> date:
    """The facility's business day a moment belongs to (`[rules] day_starts_at`, midnight unless set)."""
    return business_day(moment, cfg.rules.day_starts_at)


def _on_day(cfg: FacilityConfig, history: Iterable[CheckIn], day: date) -> list[CheckIn]:
    """The business day's entries in time order."""
    return sorted((c for c in history if facility_day(cfg, c.at) == day), key=lambda c: c.at)


def uses_on(cfg: FacilityConfig, history: Iterable[CheckIn], day: date) -> list[Use]:
    """The day's uses at this facility, in the order they started."""
    uses: dict[Hashable, Use] = {}
    passes: set[str] = set()
    for entry in _on_day(cfg, history, day):
        key = use_key(cfg, entry)
        if key is None or entry.pass_id in passes:
            continue
        if entry.pass_id:
            passes.add(entry.pass_id)
        earlier = uses.get(key)
        uses[key] = Use(
            entry.member_id,
            entry.plan,
            earlier.started_at if earlier else local(entry.at).isoformat(),
            (earlier.check_ins if earlier else 0) + 1,
            entry.reservation_id,
        )
    return list(uses.values())


def member_uses_on(cfg: FacilityConfig, history: Iterable[CheckIn], member_id: int, day: date) -> int:
    """How many uses this member has started on this day."""
    return sum(1 for use in uses_on(cfg, history, day) if use.member_id == member_id)


def starts_new_use(cfg: FacilityConfig, history: Iterable[CheckIn], candidate: CheckIn) -> bool:
    """True when this entry, if admitted, would start a use rather than continue one."""
    key = use_key(cfg, candidate)
    return key is not None and all(use_key(cfg, c) != key for c in history)


def usage_report_csv(cfg: FacilityConfig, history: Iterable[CheckIn], day: date) -> str:
    """The day's usage report as CSV: one row per use."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(REPORT_COLUMNS)
    for number, use in enumerate(uses_on(cfg, history, day), start=1):
        writer.writerow(
            (
                day.isoformat(),
                cfg.facility.id,
                number,
                use.member_id,
                use.plan.value,
                use.started_at,
                use.check_ins,
                "" if use.reservation_id is None else use.reservation_id,
            )
        )
    return out.getvalue()


def usage_report(cfg: FacilityConfig, history: Iterable[CheckIn], day: date, kiosk: str) -> UsageReportBody:
    """The day's usage report as the platform takes it (`POST /facilities/{facility}/usage-reports`): the CSV's rows."""
    return UsageReportBody(
        day=day,
        kiosk=kiosk,
        uses=[
            UsageRow(
                use_no=number,
                member_id=use.member_id,
                plan=use.plan,
                started_at=datetime.fromisoformat(use.started_at),
                check_ins=use.check_ins,
                reservation_id=use.reservation_id,
            )
            for number, use in enumerate(uses_on(cfg, history, day), start=1)
        ],
    )


def usage_report_key(facility_id: str, report: UsageReportBody) -> str:
    """The report's idempotency key, made from what it says (not when it was made): the same report sent twice is one
    report at the platform, a report with more uses is another."""
    content = report.model_dump_json(exclude_none=True)
    digest = hashlib.sha256(f"{facility_id}\n{content}".encode()).hexdigest()[:32]
    return f"usage-{report.day.isoformat()}-{digest}"
