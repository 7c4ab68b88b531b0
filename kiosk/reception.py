"""Reception: a pass is verified offline, the facility's rules decide, the check-in is kept, then the verdict.

Qt-free, so it is the same whether the pass came from the camera, from the platform after
a desk-code scan, or from staff. The replay record, the decision and the check-in with its
outbox item are one transaction: the screen turns green only after the commit.
"""

from __future__ import annotations

import base64
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date, datetime

from facility.clock import Clock
from facility.config import FacilityConfig
from facility.keyset import SiteKeys
from facility.models import CheckIn, EntryKind, Member, Occupancy, Plan, Reservation
from facility.reasons import Reason
from facility.rules.booking import closest_reservation
from facility.rules.calendar import local, since_yesterday
from facility.rules.capacity import Vacancy, vacancy
from facility.rules.checkin import CheckInDecision, decide_checkin
from facility.rules.desk import DeskCheckDue, desk_checks_due
from facility.rules.hours import is_open
from facility.rules.visits import visit_ends_at
from facility.tokens import (
    Keyring,
    MemberPass,
    Refusal,
    Revocations,
    verify_member_pass,
)
from facility.tokens.demo import is_demo_key
from facility.tokens.verify import REPLAY_MARGIN
from facility.trustcache import cached_keys, cached_revocations
from facility.usage import starts_new_use
from kiosk.doorway import Doorway, doorway
from kiosk.store import KioskStore, Recorded, new_key


@dataclass(frozen=True)
class Verdict:
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

    def answer(self) -> dict:
        """The verdict as the kiosk answers the platform (desk-code check-ins)."""
        body: dict[str, object] = {
            "result": "admitted" if self.admitted else "refused",
            "name": self.name,
            "repeat": self.repeat,
            "ends_at": self.ends_at.isoformat() if self.ends_at else None,
            "desk_checks": [c.code for c in self.desk_checks],
        }
        if self.room:
            body |= {"room": self.room, "companions": self.companions}
        if self.reasons:
            body |= {"reason": self.reasons[0].code, "message_ja": self.reasons[0].ja, "message_en": self.reasons[0].en}
        return body


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
        self.pinned = Keyring.from_config(cfg.tokens.trusted_keys)
        # With a root key: the pinned keys and those of the signed key set held (facility/keyset.py).
        self.keys = SiteKeys(
            cfg,
            store,
            clock,
            lambda action, reason, detail: store.audit(None, clock.now(), action, None, reason, detail),
        ).load()
        self.on_spent = on_spent  # after the commit: tell the facility's other kiosks (pass id, remember until)
        self.last_refusal: Verdict | None = None
        self.last_refusal_at: datetime | None = None  # when it was refused (staff see it beside the override)
        self._lock = threading.Lock()

    def present(self, text: str, source: str = "member_screen") -> Verdict:
        """Judge a pass and, if admitted, keep the check-in before answering."""
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
                    issued_after=self.store.created_at,
                )
                if not isinstance(verified, Refusal) and self.store.checkin_for_pass(verified.pass_id.hex()):
                    # Already kept here, though the replay memory let it through (it must never count twice).
                    verified = Refusal(Reason.REPLAYED, "a check-in for this pass is kept", verified.pass_id.hex())
                if isinstance(verified, Refusal):
                    verdict = self._refused_token(verified, source)
                    if not verdict.repeat:
                        self.store.audit(db, now, "refused", None, verified.reason.code, verified.detail)
                else:
                    verdict = self._decide(db, verified, now, source)
            if verdict.admitted and not isinstance(verified, Refusal):  # a repeat comes from a refusal
                self.on_spent(verified.pass_id, verified.expires + self.cfg.tokens.clock_skew_seconds + REPLAY_MARGIN)
            if not verdict.admitted:
                self.last_refusal, self.last_refusal_at = verdict, now
            return verdict

    def spent_elsewhere(self, pass_id: bytes, keep_until: float) -> None:
        """Another kiosk of this facility admitted this pass: refuse it here from now on."""
        with self._lock, self.store.transaction():
            self.store.seen.first_sighting(pass_id, keep_until, self.clock.now().timestamp())  # seen: refused here too

    def _refused_token(self, refusal: Refusal, source: str) -> Verdict:
        """A pass that failed verification; the same pass shown again gets its first verdict back."""
        if refusal.reason is Reason.REPLAYED:
            earlier = self.store.checkin_for_pass(refusal.token_id)
            if earlier is not None:
                return Verdict(
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
                    room=self._room_name(earlier.reservation_id),
                    companions=earlier.companions,
                )
        return Verdict(False, reasons=(refusal.reason,), source=source)

    def _decide(self, db, member_pass: MemberPass, now: datetime, source: str) -> Verdict:
        """The facility's rules for a genuine pass; an admission is kept with its outbox item."""
        member = Member(member_pass.member_id, member_pass.plan, member_pass.name, member_pass.first_visit_at_chain)
        decision = self._rules(member, now, member_pass.reservation_id)
        if not decision.admitted:
            self.store.audit(db, now, "refused", member.member_id, decision.reasons[0].code, source)
            return Verdict(False, member.name, member.member_id, decision.reasons, source=source, plan=member.plan)
        self._keep(db, member, decision, now, source, member_pass.pass_id.hex())
        return self._admitted(member, decision, source)

    def _admitted(self, member: Member, decision: CheckInDecision, source: str) -> Verdict:
        """The verdict for an admission: until when, the desk checks, and at a meeting room the room and guests."""
        reservation = decision.reservation
        return Verdict(
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
            room=self._room_name(reservation.reservation_id if reservation else None),
            companions=decision.companions,
        )

    def _room_name(self, reservation_id: int | None) -> str:
        """The name of the room a reservation holds ("" for none)."""
        reservation = self.store.reservation(reservation_id) if reservation_id is not None else None
        room = self.cfg.room(reservation.room_id) if reservation else None
        return room.name if room else ""

    def _keep(
        self, db, member: Member, decision: CheckInDecision, now: datetime, source: str, pass_id: str, note: str = ""
    ) -> None:
        """Write the check-in and its outbox item (in the caller's transaction)."""
        reservation = decision.reservation
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
        )
        self.store.add_checkin(db, self.cfg.facility.id, record, self.clock.now().timestamp())
        self.store.add_desk_checks(db, record, decision.desk_checks)  # on the staff list until ticked

    # --- staff actions (each audited) -----------------------------------------------------------

    def admit_by_staff(self, member_id: int, name: str, plan: Plan, reason: str) -> Verdict:
        """A manual check-in (no phone, or a refusal overridden), with the reason staff gave."""
        now = self.clock.now()
        member = Member(member_id, plan, name)
        decision = self._rules(member, now)
        entry = decision.entry if decision.admitted else EntryKind.CHECK_IN
        booking = self._reservation(member_id, None, now)  # at a meeting room: the member's own, even if refused
        ends = decision.ends_at if decision.admitted else visit_ends_at(self.cfg, now, booking)
        candidate = CheckIn(member_id, now, plan, entry, reservation_id=booking.reservation_id if booking else None)
        # At a meeting room a member without a booking of their own comes as someone's guest: free, not a use.
        guest = booking is None and self.cfg.facility.kind.needs_reservation
        new_use = not guest and starts_new_use(self.cfg, self.history(member_id, now), candidate)
        checks = desk_checks_due(self.cfg.desk_checks, member) if entry is EntryKind.CHECK_IN else ()  # staff owe them
        granted = CheckInDecision(
            True,
            entry,
            (),
            ends,
            checks,
            new_use,
            reservation=booking,
            companions=booking.guests if booking else 0,
            booker=not guest,
        )
        with self.store.transaction() as db:
            self.store.audit(db, now, "staff_admit", member_id, ",".join(r.code for r in decision.reasons), reason)
            self._keep(db, member, granted, now, "staff", "", f"staff: {reason}")
        return replace(self._admitted(member, granted, "staff"), desk_checks=())

    def override_last_refusal(self, reason: str) -> Verdict | None:
        """Admit the member who was just refused, if the pass told us who they were."""
        refused = self.last_refusal
        return self.override(refused, reason) if refused is not None else None

    def override(self, refused: Verdict, reason: str) -> Verdict | None:
        """Admit this refused member (the one staff were shown, not whoever was refused since), if known."""
        if refused.member_id is None:
            return None
        if self.last_refusal is refused:
            self.last_refusal = None
        return self.admit_by_staff(refused.member_id, refused.name, refused.plan or Plan.INDIVIDUAL_PREMIUM, reason)

    def check_out(self, key: str, reason: str = "") -> Recorded | None:
        """Staff check a member out (their seat becomes free); None when they were already out."""
        return self.store.check_out(key, self.clock.now(), reason)

    def companion_arrives(self) -> int | None:
        """A paying non-member companion sits down; returns the fee to collect."""
        now = self.clock.now()
        fee = self.cfg.companions.drop_in_fee_yen
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

    def _rules(self, member: Member, now: datetime, reservation_id: int | None = None) -> CheckInDecision:
        """The facility's rules for this member now; the history is read once for the rules and the occupancy.

        At a staffed meeting room the rules judge the member's booking; a member with none while
        someone else's booking runs is judged against that one, so they hear that only its
        representative checks in.
        """
        history = self.history(member.member_id, now)
        booking = self._reservation(member.member_id, reservation_id, now)
        if booking is None and self.cfg.facility.kind.needs_reservation:
            booking = next(iter(self.store.reservations_running(now)), None)
        return decide_checkin(self.cfg, member, history, self.occupancy(now), now, booking)

    def _reservation(self, member_id: int, reservation_id: int | None, now: datetime) -> Reservation | None:
        """At a staffed meeting room: the booking the pass names, else the member's booking that admits them now."""
        if not self.cfg.facility.kind.needs_reservation:
            return None
        if reservation_id is not None:
            return self.store.reservation(reservation_id)
        rooms = [room.id for room in self.cfg.rooms]
        return closest_reservation(self.cfg, rooms, self.store.reservations_of(member_id), member_id, now)

    def history(self, member_id: int, now: datetime) -> list[CheckIn]:
        """What the rules need of the member's history: since yesterday began (today's uses, a booking that ran
        over midnight) and any visit still running. The cost does not grow with the months kept."""
        return [c.as_checkin() for c in self.store.recent_checkins(member_id, since_yesterday(now), now)]

    def day_history(self, day: date) -> list[CheckIn]:
        """Every check-in of one day, as the usage report reads it."""
        return [c.as_checkin() for c in self.store.checkins_on(day)]

    def occupancy(self, now: datetime | None = None) -> Occupancy:
        """Members whose visit runs now (visits past their limit no longer count) and companions."""
        return Occupancy(self.store.members_in(now or self.clock.now()), self.store.companions_in())

    def vacancy(self) -> Vacancy | None:
        """The colour the app shows for this facility now."""
        now = self.clock.now()
        return vacancy(self.cfg.seats, self.occupancy(now), is_open(self.cfg.hours, now)) if self.cfg.seats else None

    def doorway(self) -> Doorway:
        """Whether the facility takes new members now (closed, past the cut-off, full, few left, free)."""
        now = self.clock.now()
        return doorway(self.cfg, self.occupancy(now), now)

    def keyring(self) -> Keyring:
        """The pinned keys, plus the keys its root certifies (with a root) or the platform's published ones (when the
        facility allows it)."""
        if self.keys.rooted:
            return self.keys.keyring()
        if not self.cfg.tokens.fetch_platform_keys:
            return self.pinned
        ring = Keyring(dict(self.pinned.keys))
        for key in cached_keys(self.store):
            if "member_pass" in key.purposes and key.key_id not in ring.keys:
                kid = ring.trust(f"platform {key.key_id}", base64.b64decode(key.public_key), {"member_pass"})
                if is_demo_key(kid) and not self.cfg.on_loopback:
                    del ring.keys[kid]  # a platform that publishes a demo key is not trusted for it
        return ring

    def revocations(self) -> Revocations:
        """Revocations cached from the platform (keys, members, passes), validated when they were cached."""
        return cached_revocations(self.store)

    def today(self) -> list[Recorded]:
        """Today's check-ins."""
        return self.store.checkins_on(local(self.clock.now()).date())
