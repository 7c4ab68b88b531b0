"""The check-in decision at reception: every rule of docs/domain.md that applies to a walk-in member.

Staff may force a member in (`forced_by`, as pretix's check-in `force`): the rules still say which of
their refusals staff overrode, how long the visit runs, whether it is a use and which desk checks are due.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from facility.config.schema import FacilityConfig
from facility.models import CheckIn, EntryKind, Member, Occupancy, Reservation
from facility.reasons import Reason
from facility.rules.booking import reservation_refusal
from facility.rules.capacity import Vacancy, free_seats, vacancy
from facility.rules.cutoffs import cutoff_in_force
from facility.rules.desk import DeskCheckDue, desk_checks_due
from facility.rules.hours import is_open
from facility.rules.plans import plan_admitted
from facility.rules.rooms import Placement, place
from facility.rules.visits import over_daily_limit, running_visit, visit_ends_at
from facility.usage import starts_new_use


@dataclass(frozen=True)
class CheckInDecision:
    """Admit or refuse, why, until when, which desk checks are due, and whether it is a new use."""

    admitted: bool
    entry: EntryKind
    reasons: tuple[Reason, ...] = ()
    ends_at: datetime | None = None
    desk_checks: tuple[DeskCheckDue, ...] = ()
    new_use: bool = False
    vacancy: Vacancy | None = None
    reservation: Reservation | None = None  # a staffed meeting room: the representative's booking
    companions: int = 0  # guests who come along with the representative, free and not counted
    booker: bool = True  # False: a member let in by staff as someone's guest at a meeting room
    forced_by: str | None = None  # staff forced this admission, with this reason (None: the rules alone decided)
    overridden: tuple[Reason, ...] = ()  # the refusals staff overrode (empty when the rules admitted anyway)
    placement: Placement | None = None  # where the space counts rooms: the group joined or the hold taken

    @property
    def forced(self) -> bool:
        """True when staff admitted a member the rules refused (pretix's `forced`)."""
        return self.forced_by is not None and bool(self.overridden)

    def record(self, member: Member, now: datetime) -> CheckIn:
        """The history entry to store for an admitted decision."""
        return CheckIn(
            member.member_id,
            now,
            member.plan,
            self.entry,
            self.ends_at,
            reservation_id=self.reservation.reservation_id if self.reservation else None,
            booker=self.booker,
            group=self.placement.group if self.placement else "",
        )


def decide_checkin(
    cfg: FacilityConfig,
    member: Member,
    history: Sequence[CheckIn],
    occupancy: Occupancy,
    now: datetime,
    reservation: Reservation | None = None,
    forced_by: str | None = None,
) -> CheckInDecision:
    """Decide a member's check-in at reception from the facility's rules, history, occupancy and the time
    (and, at a staffed meeting room, the reservation the representative comes for); `forced_by`: staff admit the
    member whatever the rules say, for this reason, and the decision names the refusals they overrode."""
    decision = _decide(cfg, member, history, occupancy, now, reservation)
    if forced_by is None:
        return decision
    if decision.admitted:
        return replace(decision, forced_by=forced_by)
    return _forced(cfg, member, history, occupancy, now, reservation, decision, forced_by)


def _decide(
    cfg: FacilityConfig,
    member: Member,
    history: Sequence[CheckIn],
    occupancy: Occupancy,
    now: datetime,
    reservation: Reservation | None,
) -> CheckInDecision:
    """The rules' own decision, before any staff override."""
    open_now = is_open(cfg.hours, now)  # once: every rule below asks the same question of the same moment
    state = vacancy(cfg.seats, occupancy, open_now) if cfg.seats else None
    if not cfg.facility.kind.checks_in_at_reception:
        return CheckInDecision(False, EntryKind.CHECK_IN, (Reason.NOT_DROP_IN,), vacancy=state)
    if cfg.facility.kind.needs_reservation:
        return _representative(cfg, member, reservation, history, now, open_now)
    running = running_visit(history, member.member_id, now)
    placement = place(cfg.seats, occupancy, member, now, running)  # a new seat or room, a group joined, a hold
    if running is not None and cfg.rules.step_out_allowed:
        return _re_entry(cfg, member, running, open_now, state, placement)
    candidate = CheckIn(member.member_id, now, member.plan)
    new_use = starts_new_use(cfg, history, candidate)
    reasons = _common_refusals(cfg, member, open_now) + _new_entry_refusals(
        cfg, history, member, occupancy, now, open_now, new_use, placement
    )
    if reasons:
        return CheckInDecision(False, EntryKind.CHECK_IN, reasons, vacancy=state)
    checks = desk_checks_due(cfg.desk_checks, member)
    return CheckInDecision(
        True, EntryKind.CHECK_IN, (), visit_ends_at(cfg, now), checks, new_use, state, placement=placement
    )


def _forced(
    cfg: FacilityConfig,
    member: Member,
    history: Sequence[CheckIn],
    occupancy: Occupancy,
    now: datetime,
    reservation: Reservation | None,
    refused: CheckInDecision,
    forced_by: str,
) -> CheckInDecision:
    """A refused member whom staff admit anyway: a new check-in, its end, its use and the desk checks staff owe.

    At a meeting room a member with no booking of their own (`reservation` is someone else's, or none) comes
    as a guest: free, and never a use. Where the space counts rooms the member still joins a group or takes their
    hold when they can (a new room only when they cannot: over capacity, as staff were asked)."""
    booked = cfg.facility.kind.needs_reservation
    own = reservation if booked and reservation is not None and reservation.member_id == member.member_id else None
    guest = booked and own is None
    candidate = CheckIn(member.member_id, now, member.plan, reservation_id=own.reservation_id if own else None)
    running = running_visit(history, member.member_id, now)  # where rooms are counted: they keep their room
    return CheckInDecision(
        True,
        EntryKind.CHECK_IN,
        (),
        visit_ends_at(cfg, now, own),  # the booking's end (a refused one too), the time limit or closing
        desk_checks_due(cfg.desk_checks, member),
        not guest and starts_new_use(cfg, history, candidate),
        refused.vacancy,
        own,
        guests_now(own, history) if own else 0,
        booker=not guest,
        forced_by=forced_by,
        overridden=refused.reasons,
        placement=None if booked else place(cfg.seats, occupancy, member, now, running),
    )


def _common_refusals(cfg: FacilityConfig, member: Member, open_now: bool) -> tuple[Reason, ...]:
    """Rules every entry obeys, re-entries too: the plan and the opening hours."""
    reasons = []
    if not plan_admitted(cfg.rules, member.plan):
        reasons.append(Reason.PLAN_NOT_ADMITTED)
    if not open_now:
        reasons.append(Reason.CLOSED)
    return tuple(reasons)


def _new_entry_refusals(
    cfg: FacilityConfig,
    history: Sequence[CheckIn],
    member: Member,
    occupancy: Occupancy,
    now: datetime,
    open_now: bool,
    new_use: bool,
    placement: Placement,
) -> tuple[Reason, ...]:
    """Rules only a new entry obeys: cut-offs, the daily limit and free seats (full refuses only a member who needs a
    new seat or room: not one whose visit still runs, nor one who joins a group's room or takes the room held for
    them)."""
    reasons = []
    if open_now and cutoff_in_force(cfg.rules, now) is not None:
        reasons.append(Reason.AFTER_CUTOFF)
    if new_use and over_daily_limit(cfg, history, member.member_id, now):
        reasons.append(Reason.DAILY_LIMIT)
    if cfg.seats and placement.new_place and free_seats(cfg.seats, occupancy) == 0:
        reasons.append(Reason.FULL)
    return tuple(reasons)


def _representative(
    cfg: FacilityConfig,
    member: Member,
    reservation: Reservation | None,
    history: Sequence[CheckIn],
    now: datetime,
    open_now: bool,
) -> CheckInDecision:
    """A staffed meeting room: only the representative checks in, inside the booking; the guests come along free."""
    refusal = reservation_refusal(
        cfg, [room.id for room in cfg.rooms], reservation, member.member_id, now, not_booker=Reason.NOT_REPRESENTATIVE
    )
    reasons = _common_refusals(cfg, member, open_now) + ((refusal,) if refusal else ())
    if reasons or reservation is None:
        return CheckInDecision(False, EntryKind.CHECK_IN, reasons or (Reason.NO_RESERVATION,))
    back = any(c.reservation_id == reservation.reservation_id for c in history)
    entry = EntryKind.RE_ENTRY if back else EntryKind.CHECK_IN
    candidate = CheckIn(member.member_id, now, member.plan, entry, reservation_id=reservation.reservation_id)
    new_use = starts_new_use(cfg, history, candidate)  # the booking is one use of its representative
    if new_use and over_daily_limit(cfg, history, member.member_id, now):
        return CheckInDecision(False, entry, (Reason.DAILY_LIMIT,))
    checks = () if back else desk_checks_due(cfg.desk_checks, member)
    ends = visit_ends_at(cfg, now, reservation)  # the booking's end, or closing if the hours changed since
    return CheckInDecision(True, entry, (), ends, checks, new_use, None, reservation, guests_now(reservation, history))


def guests_now(reservation: Reservation, history: Sequence[CheckIn]) -> int:
    """The booking's guests, counted once per booking: with the representative's first admission for it, never
    again when they step out and back in (the guide: 共連れ come along with the booking, not with each entry)."""
    admitted_before = any(c.reservation_id == reservation.reservation_id for c in history)
    return 0 if admitted_before else reservation.guests


def _re_entry(
    cfg: FacilityConfig,
    member: Member,
    running: CheckIn,
    open_now: bool,
    state: Vacancy | None,
    placement: Placement,
) -> CheckInDecision:
    """Coming back after stepping out, inside the running visit: no new use, no new checks, the same room."""
    reasons = _common_refusals(cfg, member, open_now)
    if reasons:
        return CheckInDecision(False, EntryKind.RE_ENTRY, reasons, vacancy=state)
    return CheckInDecision(True, EntryKind.RE_ENTRY, (), running.ends_at, (), False, state, placement=placement)
