"""Reception: a pass is verified offline, the facility's rules decide, the check-in is kept, then the verdict.

Qt-free, so it is the same whether the pass came from the camera, from the platform after
a desk-code scan, or from staff. The replay record, the decision and the check-in with its
outbox item are one transaction: the screen turns green only after the commit.

Occupancy is per space, in the space's unit (facility/rules/rooms.py): each check-in keeps the space it was judged
for and, where the space counts rooms, its room group; rooms held by phone are kept here too.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta

from facility.clock import Clock
from facility.config import FacilityConfig
from facility.config.models import Space
from facility.keyset import SiteKeys
from facility.messages import CheckinAnswer
from facility.models import CheckIn, EntryKind, Member, Occupancy, Plan, Reservation, RoomHold
from facility.reasons import Reason
from facility.rules.booking import closest_reservation, reservation_refusal
from facility.rules.calendar import since_yesterday
from facility.rules.capacity import Vacancy, free_seats, vacancy
from facility.rules.checkin import CheckInDecision, decide_checkin
from facility.rules.desk import DeskCheckDue
from facility.rules.hours import is_open
from facility.rules.rooms import HoldRefusal, hold_refusal, lapses_at, occupancy_of
from facility.tally import RefusalTally
from facility.tokens import (
    Keyring,
    MemberPass,
    Refusal,
    Revocations,
    verify_member_pass,
)
from facility.tokens.verify import MAX_PASS_LIFETIME, REPLAY_MARGIN, UNAUTHENTICATED
from facility.trustcache import cached_revocations
from facility.usage import facility_day
from kiosk.doorway import Doorway, SpaceVacancy, doorway
from kiosk.store import KioskStore, Recorded, new_key

# A member shown again this soon after coming in, and still in, is the same arrival (a second tap, the app's code shown
# twice, a member unsure it worked): "already checked in", and nothing is recorded. Stepping out and back in takes
# longer than a minute; a re-entry is kept from then on.
REPEAT_SECONDS = 60


@dataclass(frozen=True)
class CheckinVerdict:
    """What the screen shows after a pass: admitted or refused, for whom, until when, what staff must do."""

    admitted: bool
    name: str = ""
    member_id: int | None = None
    reasons: tuple[Reason, ...] = ()
    entry: EntryKind | None = None
    ends_at: datetime | None = None
    desk_checks: tuple[DeskCheckDue, ...] = ()
    repeat: bool = False
    source: str = "member_screen"
    plan: Plan | None = None
    at: float = field(default_factory=time.monotonic)
    room: str = ""  # a staffed meeting room: the booked room's name
    companions: int = 0  # and the guests who come along free
    # What a refused pass said, so that staff who override it admit the member the rules judged: a first visit at
    # the chain still owes its desk checks, and a representative still comes for the booking the pass named.
    first_visit: bool = False
    reservation_id: int | None = None

    def answer(self) -> CheckinAnswer:
        """The verdict as the kiosk answers the platform (desk-code check-ins)."""
        refusal = self.reasons[0] if self.reasons else None
        return CheckinAnswer(
            result="admitted" if self.admitted else "refused",
            name=self.name,
            repeat=self.repeat,
            ends_at=self.ends_at,
            desk_checks=[check.code for check in self.desk_checks],
            room=self.room or None,
            companions=self.companions if self.room else None,
            reason=refusal.code if refusal else None,
            message_ja=refusal.ja if refusal else None,
            message_en=refusal.en if refusal else None,
        )


class Reception:
    """The facility's desk: passes in, verdicts out, every check-in kept and queued for the platform."""

    def __init__(
        self,
        cfg: FacilityConfig,
        store: KioskStore,
        clock: Clock,
        on_spent: Callable[[bytes, float], None] = lambda pass_id, keep_until: None,
    ) -> None:
        self.cfg = cfg
        self.store = store
        self.clock = clock
        # The pinned keys, and those of the signed key set held (with a root key) or the platform's published
        # ones for passes (where the facility allows them): facility/keyset.py decides which.
        self.keys = SiteKeys(
            cfg,
            store,
            clock,
            lambda action, reason, detail: store.audit(None, clock.now(), action, None, reason, detail),
            published_for="member_pass",
        ).load()
        self.on_spent = on_spent  # after the commit: tell the facility's other kiosks (pass id, remember until)
        # Before a pass is judged: revocations at least as new as the last change notice (kiosk/assembly.py wires the
        # trust refresh's bounded wait; a reception on its own judges by the list its store keeps).
        self.await_revocations: Callable[[], object] = lambda: True
        # The list to judge by (kiosk/assembly.py: the trust refresh's, unknown while a change notice waits for it).
        self.current_revocations: Callable[[], Revocations] = lambda: cached_revocations(self.store)
        self.last_refusal: CheckinVerdict | None = None
        self.last_refusal_at: datetime | None = None  # when it was refused (staff see it beside the override)
        self._lock = threading.Lock()
        self._junk = RefusalTally(clock.monotonic)

    def present(self, text: str, source: str = "member_screen") -> CheckinVerdict:
        """Judge a pass and, if admitted, keep the check-in before answering."""
        self.await_revocations()
        with self._lock:
            now = self.clock.now()
            with self.store.transaction() as db:
                verified = verify_member_pass(
                    text,
                    self.keyring(),
                    now.timestamp(),
                    skew=self.cfg.tokens.clock_skew_seconds,
                    seen=self.store.seen,
                    revocations=self.revocations(),
                    facility_id=self.cfg.facility.id,
                    issued_after=self.store.issued_after(self.cfg.tokens.clock_skew_seconds),
                )
                if not isinstance(verified, Refusal) and self.store.checkin_for_pass(verified.pass_id.hex()):
                    # Already kept here, though the replay memory let it through (it must never count twice).
                    verified = Refusal(Reason.REPLAYED, "a check-in for this pass is kept", verified.pass_id.hex())
                if isinstance(verified, Refusal):
                    verdict = self._refused_token(verified, source)
                    if not verdict.repeat:
                        self._audit_refusal(db, now, verified)
                else:
                    verdict = self._decide(db, verified, now, source)
            if verdict.admitted and not isinstance(verified, Refusal):  # a repeat comes from a refusal
                self.on_spent(verified.pass_id, verified.expires + self.cfg.tokens.clock_skew_seconds + REPLAY_MARGIN)
            if not verdict.admitted:
                self.last_refusal, self.last_refusal_at = verdict, now
            return verdict

    def spent_elsewhere(self, pass_id: bytes, keep_until: float, kiosk: str) -> str:
        """Another kiosk of this facility (`kiosk`, as its topic names it) admitted this pass: refuse it here from now
        on, for no longer than a pass admitted now could be shown (a sibling's notice cannot make this kiosk keep
        anything for years), and within that kiosk's quota of live notices (kiosk/store.py, SpentElsewhere: a sibling's
        credential cannot fill this kiosk's store). What became of the notice (SqliteSeenIds.told_by)."""
        now = self.clock.now().timestamp()
        longest = MAX_PASS_LIFETIME + 2 * self.cfg.tokens.clock_skew_seconds + REPLAY_MARGIN
        with self._lock, self.store.transaction():
            return self.store.spent.note(kiosk, pass_id, keep_until, now, longest)  # seen: refused here too

    def _audit_refusal(self, db, now: datetime, refusal: Refusal) -> None:
        """Audit a refused pass; one that no signature vouches for (anyone can show or send one) at most once per
        reason a minute, the row carrying the count of those it stands for."""
        detail = refusal.detail
        if refusal.reason in UNAUTHENTICATED:
            tallied = self._junk.note(refusal.reason.code)
            if not tallied.audit_now:
                return
            detail = tallied.detail(detail)
        self.store.audit(db, now, "refused", None, refusal.reason.code, detail)

    def write_tally(self) -> None:
        """At a stop: audit the unauthenticated refusals counted since their reason's last row."""
        for reason, count in sorted(self._junk.drain().items()):
            detail = f"{count} more pass(es) refused, not audited one by one"
            self.store.audit(None, self.clock.now(), "refused", None, reason, detail)

    def _refused_token(self, refusal: Refusal, source: str) -> CheckinVerdict:
        """A pass that failed verification; the same pass shown again gets its first verdict back."""
        if refusal.reason is Reason.REPLAYED:
            earlier = self.store.checkin_for_pass(refusal.token_id)
            if earlier is not None:
                return self._repeat(earlier, source)
        return CheckinVerdict(False, reasons=(refusal.reason,), source=source)

    def _repeat(self, earlier: Recorded, source: str) -> CheckinVerdict:
        """The verdict for a member already in: their check-in's, marked a repeat (nothing new is kept)."""
        return CheckinVerdict(
            True,
            earlier.name,
            earlier.member_id,
            (),
            earlier.kind,
            earlier.ends_at,
            (),
            True,
            source,
            earlier.plan,
            room=self.room_name(earlier.reservation_id),
            companions=earlier.companions,
        )

    def _just_in(self, member_id: int, space: Space, now: datetime) -> Recorded | None:
        """The member's latest check-in (or re-entry) in this space within REPEAT_SECONDS, if they are still in."""
        since = now - timedelta(seconds=REPEAT_SECONDS)
        recent = [
            kept
            for kept in self.store.recent_checkins(member_id, since, now)
            if since <= kept.at <= now
            and kept.checked_out_at is None
            and (kept.ends_at is None or kept.ends_at > now)
            and self.space_of(kept) == space.id
        ]
        return max(recent, key=lambda kept: kept.at) if recent else None

    def _decide(self, db, member_pass: MemberPass, now: datetime, source: str) -> CheckinVerdict:
        """The facility's rules for a genuine pass; an admission is kept with its outbox item."""
        member = Member(member_pass.member_id, member_pass.plan, member_pass.name, member_pass.first_visit_at_chain)
        space, decision = self._rules(member, now, member_pass.reservation_id)
        earlier = self._just_in(member.member_id, space, now)
        if earlier is not None:  # a second scan moments after the first (a new code): already in, not a re-entry
            return self._repeat(earlier, source)
        if not decision.admitted:
            self.store.audit(db, now, "refused", member.member_id, decision.reasons[0].code, source)
            return CheckinVerdict(
                False,
                member.name,
                member.member_id,
                decision.reasons,
                source=source,
                plan=member.plan,
                first_visit=member.first_visit_at_chain,
                reservation_id=member_pass.reservation_id,
            )
        self._keep(db, space, member, decision, now, source, member_pass.pass_id.hex())
        return self._admitted(member, decision, source)

    def _admitted(self, member: Member, decision: CheckInDecision, source: str) -> CheckinVerdict:
        """The verdict for an admission: until when, the desk checks, and at a meeting room the room and guests."""
        reservation = decision.reservation
        return CheckinVerdict(
            True,
            member.name,
            member.member_id,
            (),
            decision.entry,
            decision.ends_at,
            decision.desk_checks,
            False,
            source,
            member.plan,
            room=self.room_name(reservation.reservation_id if reservation else None),
            companions=decision.companions,
        )

    def room_name(self, reservation_id: int | None) -> str:
        """The name of the room a reservation holds ("" for none)."""
        reservation = self.store.reservation(reservation_id) if reservation_id is not None else None
        room = self.cfg.room(reservation.room_id) if reservation else None
        return room.name if room else ""

    def _keep(
        self,
        db,
        space: Space,
        member: Member,
        decision: CheckInDecision,
        now: datetime,
        source: str,
        pass_id: str,
        note: str = "",
    ) -> None:
        """Write the check-in, in its space and room group, and its outbox item; the hold it takes is used (in the
        caller's transaction)."""
        reservation = decision.reservation
        placement = decision.placement
        rooms = placement is not None and placement.rooms
        record = Recorded(
            new_key(),
            member.member_id,
            member.name,
            member.plan,
            now,
            decision.entry,
            decision.ends_at,
            None,
            decision.new_use,
            pass_id,
            source,
            note,
            reservation.reservation_id if reservation else None,
            decision.companions,
            decision.booker,
            space.id,
            (placement.group or new_key()) if placement is not None and rooms else "",  # a new room: a new group
        )
        self.store.add_checkin(db, self.cfg.facility.id, record, self.clock.now().timestamp())
        self.store.add_desk_checks(db, record, decision.desk_checks)  # on the staff list until ticked
        if placement is not None and placement.hold is not None:
            self.store.use_hold(db, placement.hold, record.key, now)

    # --- staff actions (each audited) -----------------------------------------------------------

    def admit_by_staff(
        self,
        member_id: int,
        name: str,
        plan: Plan,
        reason: str,
        *,
        first_visit: bool = False,
        reservation_id: int | None = None,
    ) -> CheckinVerdict:
        """A manual check-in (no phone, or a refusal overridden), with the reason staff gave; `first_visit` and
        `reservation_id` as the refused pass said (a member typed in by number is taken as known to staff)."""
        member = Member(member_id, plan, name, first_visit)
        with self._lock:  # judged and kept as one, as a pass is: a room or hold is not given twice
            now = self.clock.now()
            # The core says what staff overrode and what follows from it.
            space, granted = self._rules(member, now, reservation_id, forced_by=reason)
            with self.store.transaction() as db:
                overridden = ",".join(r.code for r in granted.overridden)
                self.store.audit(db, now, "staff_admit", member_id, overridden, reason)
                self._keep(db, space, member, granted, now, "staff", "", f"staff: {reason}")
        return replace(self._admitted(member, granted, "staff"), desk_checks=())  # staff owe them: on the list

    def needs_new_place(
        self,
        member_id: int,
        name: str,
        plan: Plan,
        *,
        first_visit: bool = False,
        reservation_id: int | None = None,
    ) -> bool:
        """True when admitting this member now takes a seat or room of its own (staff are asked first while full);
        False for one who joins a group's room, takes the room held for them, or is still in."""
        member = Member(member_id, plan, name, first_visit)
        _, decision = self._rules(member, self.clock.now(), reservation_id, forced_by="")  # what staff would do
        return decision.placement is None or decision.placement.new_place

    def override_last_refusal(self, reason: str) -> CheckinVerdict | None:
        """Admit the member who was just refused, if the pass told us who they were."""
        refused = self.last_refusal
        return self.override(refused, reason) if refused is not None else None

    def override(self, refused: CheckinVerdict, reason: str) -> CheckinVerdict | None:
        """Admit this refused member (the one staff were shown, not whoever was refused since), if known."""
        if refused.member_id is None:
            return None
        if self.last_refusal is refused:
            self.last_refusal = None
        return self.admit_by_staff(
            refused.member_id,
            refused.name,
            refused.plan or Plan.INDIVIDUAL_PREMIUM,
            reason,
            first_visit=refused.first_visit,
            reservation_id=refused.reservation_id,
        )

    def check_out(self, key: str, reason: str = "") -> Recorded | None:
        """Staff check a member out (their seat becomes free); None when they were already out."""
        return self.store.check_out(key, self.clock.now(), reason)

    def companion_arrives(self) -> int | None:
        """A paying non-member companion sits down; returns the fee to collect."""
        now = self.clock.now()
        fee = self.cfg.venue(self.cfg.reception_space).companions.drop_in_fee_yen  # the walk-in space's fee
        self.store.add_companion(now, fee)
        self.store.audit(None, now, "companion_in", None, "", f"fee {fee}")
        return fee

    def companion_leaves(self) -> bool:
        """A companion leaves."""
        left = self.store.companion_leaves(self.clock.now())
        if left:
            self.store.audit(None, self.clock.now(), "companion_out")
        return left

    # --- state --------------------------------------------------------------------------------------

    def _rules(
        self, member: Member, now: datetime, reservation_id: int | None = None, forced_by: str | None = None
    ) -> tuple[Space, CheckInDecision]:
        """The space this member comes for, and its rules' decision now (forced in by staff, with `forced_by`'s
        reason), from the member's history and the space's own occupancy."""
        history = self.history(member.member_id, now)
        space, booking = self.space_for(member.member_id, reservation_id, now)
        venue = self.cfg.venue(space)
        return space, decide_checkin(venue, member, history, self.occupancy(now, space), now, booking, forced_by)

    def space_for(self, member_id: int, reservation_id: int | None, now: datetime) -> tuple[Space, Reservation | None]:
        """The space a pass is judged for, and the booking it comes with.

        A pass naming a booking comes for that booking's room; a member whose own booking of a room checked in at
        reception admits them now comes for it; anyone else comes for the walk-in space. A facility with no walk-in
        space (a staffed meeting room) judges the member's nearest booking, or, with none, the booking running now,
        so they hear that only its representative checks in (and, forced in, come as a guest)."""
        if reservation_id is not None:
            booking = self.store.reservation(reservation_id)
            space = self.cfg.space_of_room(booking.room_id) if booking is not None else None
            if space is not None and space.kind.checks_in_at_reception:
                return space, booking
        booked = [
            space for space in self.cfg.spaces if space.kind.needs_reservation and space.kind.checks_in_at_reception
        ]
        for space in booked:
            booking = closest_reservation(
                self.cfg.venue(space), space.rooms, self.store.reservations_of(member_id), member_id, now
            )
            if booking is not None and (self.cfg.walk_in_space is None or self._admits(space, booking, member_id, now)):
                return space, booking
        walk_in = self.cfg.walk_in_space
        if walk_in is not None or not booked:
            return walk_in or self.cfg.reception_space, None
        running = [r for r in self.store.reservations_running(now) if r.room_id in booked[0].rooms]
        return booked[0], next(iter(running), None)

    def _admits(self, space: Space, booking: Reservation, member_id: int, now: datetime) -> bool:
        """True when the booking admits its member now (a mixed facility then judges it, else the walk-in space)."""
        return reservation_refusal(self.cfg.venue(space), space.rooms, booking, member_id, now) is None

    def history(self, member_id: int, now: datetime) -> list[CheckIn]:
        """What the rules need of the member's history: since yesterday began (today's uses, a booking that ran
        over midnight) and any visit still running. The cost does not grow with the months kept."""
        return [c.as_checkin() for c in self.store.recent_checkins(member_id, since_yesterday(now), now)]

    def day_history(self, day: date) -> list[CheckIn]:
        """Every check-in of one day, as the usage report reads it."""
        return [c.as_checkin() for c in self.store.checkins_on(day, self.cfg.rules.day_starts_at)]

    def occupancy(self, now: datetime | None = None, space: Space | None = None) -> Occupancy:
        """Who is in one space now (the reception's walk-in space unless named): members whose visit runs (visits
        past their limit no longer count), its paying companions, and where it counts rooms its room groups and the
        phone holds counted now."""
        return self.occupancies(now)[(space or self.cfg.reception_space).id]

    def occupancies(self, now: datetime | None = None) -> dict[str, Occupancy]:
        """Every space's occupancy now, from one read of the running visits and the open holds. A check-in belongs to
        the space it was judged for: a meeting room's representative takes no walk-in seat. Companions are the
        reception space's (they pay its fee at its desk)."""
        now = now or self.clock.now()
        running = self.store.running(now)
        holds = self.store.open_holds()
        starts = self.store.group_starts({visit.room_group for visit in running if visit.room_group})
        reception = self.cfg.reception_space.id
        companions = self.store.companions_in()
        return {
            space.id: occupancy_of(
                [visit.as_checkin() for visit in running if self.space_of(visit) == space.id],
                companions if space.id == reception else 0,
                [hold for hold in holds if hold.space == space.id],
                now,
                starts,
            )
            for space in self.cfg.spaces
        }

    def space_of(self, visit: Recorded) -> str:
        """The space a check-in was judged for; one kept before spaces: its booking's, else the reception space."""
        if visit.space:
            return visit.space
        booking = self.store.reservation(visit.reservation_id) if visit.reservation_id is not None else None
        space = self.cfg.space_of_room(booking.room_id) if booking is not None else None
        return (space or self.cfg.reception_space).id

    def vacancy(self) -> Vacancy | None:
        """The colour the app shows for this facility now: its walk-in space's."""
        now = self.clock.now()
        walk_in = self.cfg.venue(self.cfg.reception_space)  # what the kiosk's vacancy is about: its walk-in space
        return vacancy(walk_in.seats, self.occupancy(now), is_open(walk_in.hours, now)) if walk_in.seats else None

    def vacancies(self) -> tuple[SpaceVacancy, ...]:
        """Each space's vacancy now, in the space's unit, as the reception page lists them (a space without a
        capacity takes bookings only)."""
        now = self.clock.now()
        occupancies = self.occupancies(now)
        shown = []
        for space in self.cfg.spaces:
            venue = self.cfg.venue(space)
            open_now, seats = is_open(venue.hours, now), venue.seats
            state = vacancy(seats, occupancies[space.id], open_now) if seats else None
            free = free_seats(seats, occupancies[space.id]) if seats else None
            shown.append(SpaceVacancy(space.id, space.name, open_now, state, free, seats.unit if seats else ""))
        return tuple(shown)

    def doorway(self) -> Doorway:
        """Whether the reception's space takes new members now (closed, past the cut-off, full, few left, free); with
        it closed, reception is still open while another space it checks members in for is (a meeting room booked
        past the open space's hours): its bookers need the desk code and the camera."""
        now = self.clock.now()
        reception = self.cfg.reception_space
        state = doorway(self.cfg.venue(reception), self.occupancy(now), now)
        if state is not Doorway.CLOSED:
            return state
        others = (s for s in self.cfg.spaces if s is not reception and s.kind.checks_in_at_reception)
        return Doorway.OPEN if any(is_open(self.cfg.venue(s).hours, now) for s in others) else state

    # --- rooms: groups and holds -------------------------------------------------------------------

    @property
    def hold_spaces(self) -> list[Space]:
        """The spaces where reception holds rooms for bookings taken by phone."""
        return [space for space in self.cfg.spaces if space.phone_holds]

    def counts_rooms(self, space_id: str) -> bool:
        """True where the space's capacity is counted in rooms a group shares."""
        space = self.cfg.space(space_id)
        return space is not None and space.capacity is not None and space.capacity.unit == "rooms"

    def hold_room(
        self, space_id: str, starts_at: datetime, minutes: int, member_id: int | None = None, name: str = ""
    ) -> RoomHold | HoldRefusal:
        """Hold a room for a booking taken by phone (audited), or say why not (facility/rules/rooms.py)."""
        space = self.cfg.space(space_id)
        if space is None:
            return HoldRefusal.NO_HOLDS
        venue = self.cfg.venue(space)
        with self._lock:
            now = self.clock.now()
            self.store.lapse_holds(now)  # a hold that lapsed is no longer one of the space's rooms
            hold = RoomHold(0, space.id, starts_at, minutes, member_id, name.strip())
            refusal = hold_refusal(
                venue.seats, venue.hours, space.phone_holds, self.store.open_holds(space.id), hold, now
            )
            if refusal is not None:
                return refusal
            return self.store.add_hold(hold, lapses_at(hold), now)

    def cancel_hold(self, hold_id: int) -> RoomHold | None:
        """Staff cancel a hold (audited); None when it was used, lapsed or cancelled already."""
        with self._lock:
            return self.store.cancel_hold(hold_id, self.clock.now())

    def lapse_holds(self) -> list[RoomHold]:
        """Holds whose member has not come by their lapse time lapse now (audited); the kiosk asks every second."""
        return self.store.lapse_holds(self.clock.now())

    def new_room(self, key: str) -> Recorded | None:
        """Staff give a member a room of their own (a group of one, from their check-in); None for a check-in that is
        not kept or not in a space that counts rooms."""
        found = self.store.checkin(key)
        if found is None or not self.counts_rooms(self.space_of(found)):
            return None
        return self.store.regroup(key, new_key(), self.clock.now(), "room_new")

    def join_room(self, key: str, with_key: str) -> Recorded | None:
        """Staff put a member into another member's room (their group); None when either is not kept, they are in
        different spaces, or the space does not count rooms."""
        moving, joined = self.store.checkin(key), self.store.checkin(with_key)
        if moving is None or joined is None or key == with_key:
            return None
        space = self.space_of(moving)
        if space != self.space_of(joined) or not self.counts_rooms(space) or not joined.room_group:
            return None
        return self.store.regroup(key, joined.room_group, self.clock.now(), "room_join")

    def keyring(self) -> Keyring:
        """The keys trusted for passes now, as the site's keys say (pinned, certified by a root, or published)."""
        return self.keys.keyring()

    def revocations(self) -> Revocations:
        """Revocations cached from the platform (keys, members, passes), validated when they were cached; unknown
        while a change notice waits for its fetch."""
        return self.current_revocations()

    def today(self) -> list[Recorded]:
        """This business day's check-ins."""
        return self.store.checkins_on(facility_day(self.cfg, self.clock.now()), self.cfg.rules.day_starts_at)
