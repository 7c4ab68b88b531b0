"""The unlock decision: every check of docs/architecture.md and issue 'lockd', committed before the relay moves.

bytes decided before? -> retained? -> authentic (size, parse, key known/unrevoked/valid, signature)
-> clock trustworthy? -> door, time, issued after the store began, replay, revocation ->
reservation in the cache -> the facility's rules (booker, window, daily limit).
Everything up to "authentic" writes nothing: junk is counted in memory and audited in aggregate
(lockd/junk.py), so a flood cannot slow the session down. From there on, the replay record, the
decision, the audit row and the entry of every authentic command that arrived together are one
transaction (group commit: one fsync for the batch), so a crash either forgets the batch entirely
(the broker redelivers it) or keeps all of it.
"""

from __future__ import annotations

import hashlib
import logging
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from facility.clock import Clock
from facility.config import FacilityConfig
from facility.messages import UnlockAnswer
from facility.reasons import Reason
from facility.rules.booking import decide_unlock
from facility.rules.calendar import since_yesterday
from facility.tokens import (
    Keyring,
    Refusal,
    Revocations,
    UnlockCommand,
    judge_unlock_command,
)
from facility.topics import SiteTopics
from facility.trustcache import cached_revocations
from lockd.clocktrust import ClockTrust
from lockd.failpoints import failpoint
from lockd.junk import JunkTally
from lockd.screening import Screener
from lockd.store import AuditRow, LockdStore
from messagebus import Inbound

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class UnlockVerdict:
    """The outcome for one message: the answer to send and, when it opens, the digest to mark once pulsed."""

    answer: UnlockAnswer
    opens: bool = False
    digest: str = ""
    audit: AuditRow | None = None
    junk: bool = False  # refused before any durable write; audited in aggregate


Arrival = tuple[str, Inbound]  # the door a message came for (by its topic), and the message
# The verdict, and whether the message is new (False: a redelivery answered before).
Outcome = tuple[UnlockVerdict, bool]


@dataclass(frozen=True)
class Pending:
    """An authentic command of a batch, waiting for the batch's transaction."""

    index: int
    door_id: str
    message: Inbound
    digest: str
    command: UnlockCommand


def message_digest(message: Inbound) -> str:
    """What names a message's exact bytes on its topic (the key of the stored answers)."""
    return hashlib.sha256(message.topic.encode() + b"\0" + message.payload).hexdigest()


@dataclass(frozen=True)
class Checked:
    """What the checks found: a refusal, the command once it could be read, and whether it starts a use."""

    refusal: Refusal | None
    command: UnlockCommand | None = None
    new_use: bool = False


def answer_body(door_id: str, reason: Reason | None, command_id: str = "") -> UnlockAnswer:
    """The application answer sent on the response topic."""
    if reason is None:
        return UnlockAnswer(result="opened", door=door_id, command_id=command_id)
    return UnlockAnswer(
        result="refused",
        door=door_id,
        command_id=command_id,
        reason=reason.code,
        message_ja=reason.ja,
        message_en=reason.en,
    )


def booking_rules(
    cfg: FacilityConfig,
    store: LockdStore,
    is_stale: Callable[[datetime], bool],
    door_id: str,
    member_id: int,
    reservation_id: int,
    now: datetime,
) -> tuple[Reason | None, bool]:
    """The booking in the cache and the rules of its space (booker, window, hours, daily limit), for an app's unlock
    and a pass at a door's reader alike: the refusal's reason (a stale cache named as why it may be wrong), or None
    and whether the opening starts a new use."""
    reservation = store.reservation(reservation_id)
    door = cfg.door(door_id)
    assert door is not None, "lockd decides only for the doors of its file"
    room = reservation.room_id if reservation is not None else door.rooms[0]
    decision = decide_unlock(
        cfg.venue_of_room(room),  # the rules of the space the booked room belongs to
        door,
        reservation,
        member_id,
        store.entries_of(member_id, since_yesterday(now)),
        now,
    )
    if decision.admitted:
        return None, decision.new_use
    reason = decision.reasons[0]
    if reason is Reason.NO_RESERVATION and is_stale(now):
        reason = Reason.RESERVATIONS_STALE
    return reason, False


class UnlockHandler:
    """Decides each unlock command for the site's doors and records the decision durably."""

    def __init__(
        self,
        cfg: FacilityConfig,
        store: LockdStore,
        keyring: Keyring,
        topics: SiteTopics,
        clock: Clock,
        trust: ClockTrust,
        is_stale: Callable[[datetime], bool],
        prepare: Callable[[UnlockCommand], None] = lambda command: None,
        await_revocations: Callable[[], object] = lambda: True,
        revocations: Callable[[], Revocations] | None = None,
    ) -> None:
        self.cfg = cfg
        self.store = store
        self.topics = topics
        self.clock = clock
        self.trust = trust
        self.is_stale = is_stale
        self.prepare = prepare  # runs for authentic commands only (e.g. fetch a reservation booked a moment ago)
        # Runs before each batch: revocations as new as the last change notice (lockd waits for them, briefly).
        self.await_revocations = await_revocations
        # The list to decide by (lockd: the trust refresh's, unknown while a change notice waits for its fetch).
        self.revocations = revocations or (lambda: cached_revocations(store))
        self.junk = JunkTally()
        self.screener = Screener(keyring, topics)

    @property
    def keyring(self) -> Keyring:
        """The keys commands are checked against (the screener's: one home, so a rotation reaches every check)."""
        return self.screener.keyring

    @keyring.setter
    def keyring(self, keyring: Keyring) -> None:
        """Adopt the keys of a newer key set."""
        self.screener.keyring = keyring

    def decide(self, door_id: str, message: Inbound) -> Outcome:
        """The verdict for one message, as a batch of one."""
        outcome = self.decide_batch([(door_id, message)])[0]
        if outcome is None:
            raise RuntimeError(f"deciding the command on {message.topic} failed (logged)")
        return outcome

    def decide_batch(self, arrivals: list[Arrival]) -> list[Outcome | None]:
        """Each message's verdict and whether it is new (False: a QoS 1 redelivery, answered before); the batch's
        decisions are written in one transaction, so one durable commit covers them all.

        Only a redelivery (DUP set) gets its stored answer again; the same bytes published anew are refused as
        replayed, whatever the clocks say, and like all junk without a durable write. None marks a message whose
        decision failed: it is logged and rolled back alone, and the batch's other decisions stand.
        """
        self.await_revocations()
        digests = [message_digest(message) for _, message in arrivals]
        earlier = self.store.answers_for(digests)
        now, revocations = self.clock.now(), self.revocations()
        unseen = [index for index, digest in enumerate(digests) if digest not in earlier]
        authentic = dict(
            zip(
                unseen,
                self.screener.screen_all([arrivals[index][1] for index in unseen], now, revocations),
                strict=True,
            )
        )
        outcomes: list[Outcome | None] = [None] * len(arrivals)
        pending: list[Pending] = []
        deciding: dict[str, int] = {}  # digest -> the message of this batch that decides it
        repeats: list[int] = []
        for index, ((door_id, message), digest) in enumerate(zip(arrivals, digests, strict=True)):
            if digest in deciding:
                repeats.append(index)  # the same bytes twice in one batch: answered once the first is decided
                continue
            screened = self._screen_arrival(door_id, message, earlier.get(digest), authentic.get(index))
            if isinstance(screened, UnlockCommand):
                deciding[digest] = index
                pending.append(Pending(index, door_id, message, digest, screened))
            else:
                outcomes[index] = screened
        for item in pending:
            self.prepare(item.command)
        if pending:  # what a fetch for them brought (a sync fetches the revocations after the reservations) counts
            revocations = self.revocations()
        self._decide_pending(pending, now, revocations, outcomes)
        for index in repeats:
            outcomes[index] = self._repeat(arrivals[index], outcomes[deciding[digests[index]]])
        return outcomes

    def _screen_arrival(
        self, door_id: str, message: Inbound, stored: UnlockAnswer | None, screened: UnlockCommand | Refusal | None
    ) -> Outcome | UnlockCommand:
        """Steps 0 to 2, which write nothing: the stored answer, a junk refusal, or the authentic command."""
        if stored is not None and message.duplicate:
            return UnlockVerdict(stored), False
        if stored is not None or screened is None:  # (only bytes not decided before were screened)
            return self._junk(door_id, Refusal(Reason.REPLAYED, "these exact bytes were decided before")), True
        if isinstance(screened, Refusal):
            return self._junk(door_id, screened), True
        return screened

    def _decide_pending(
        self, pending: list[Pending], now: datetime, revocations: Revocations, outcomes: list[Outcome | None]
    ) -> None:
        """Decide every authentic command of the batch in one transaction: one commit, one fsync.

        Should one decision fail, the whole transaction is undone and each command is decided again in its own,
        so that the failure stays with its command and the others stand.
        """
        if not pending:
            return
        try:
            with self.store.transaction() as db:
                decided: list[tuple[int, Outcome | None]] = []
                for item in pending:
                    decided.append((item.index, (self._record(db, item, now, revocations), True)))
                    failpoint("inside_batch", len(decided))  # decided, but not yet committed
        except Exception:
            log.exception("a batch of %d commands failed; deciding each alone", len(pending))
            decided = [(item.index, self._decide_alone(item, now, revocations)) for item in pending]
        failpoint("after_commit", len(pending))
        for index, outcome in decided:
            outcomes[index] = outcome

    def _decide_alone(self, item: Pending, now: datetime, revocations: Revocations) -> Outcome | None:
        """One command in its own transaction (after its batch failed); None if it fails again (logged)."""
        try:
            with self.store.transaction() as db:
                return self._record(db, item, now, revocations), True
        except Exception:
            log.exception("deciding the command on %s failed", item.message.topic)
            return None

    def _record(self, db: sqlite3.Connection, item: Pending, now: datetime, revocations: Revocations) -> UnlockVerdict:
        """Check an authentic command, then write its answer (the replay record), its audit row and any entry."""
        checked = self._check(item.door_id, item.command, item.message, now, revocations)
        refusal = checked.refusal
        command_id = item.command.command_id.hex()
        answer = answer_body(item.door_id, refusal.reason if refusal else None, command_id)
        expires = datetime.fromtimestamp(item.command.expires + self.cfg.tokens.clock_skew_seconds, now.tzinfo)
        self.store.record_command(db, item.digest, item.door_id, command_id, now, answer, expires)
        row = self._audit(db, item.door_id, now, checked)
        return UnlockVerdict(answer, refusal is None, item.digest, row)

    def _repeat(self, arrival: Arrival, first: Outcome | None) -> Outcome | None:
        """A message whose exact bytes came earlier in the batch: the first's answer if redelivered, else replayed."""
        door_id, message = arrival
        if first is None:
            return None
        if message.duplicate:
            return UnlockVerdict(first[0].answer), False
        return self._junk(door_id, Refusal(Reason.REPLAYED, "these exact bytes were decided before")), True

    def _junk(self, door_id: str, refusal: Refusal) -> UnlockVerdict:
        """Answer junk and count it; nothing is written to disk for it."""
        self.junk.count(door_id, refusal.reason, self.clock.now())
        return UnlockVerdict(answer_body(door_id, refusal.reason, refusal.token_id), junk=True)

    def _check(
        self, door_id: str, command: UnlockCommand, message: Inbound, now: datetime, revocations: Revocations
    ) -> Checked:
        """The checks of an authentic command, in order: the first refusal, or the command that may open the door."""
        if not self.trust.trusted(now):
            return Checked(
                Refusal(Reason.CLOCK_UNTRUSTED, f"clock reads {now.isoformat()}", command.command_id.hex()), command
            )
        result = judge_unlock_command(
            command,
            now.timestamp(),
            topics=self.topics,
            door_id=door_id,
            arrived_on=message.topic,
            skew=self.cfg.tokens.clock_skew_seconds,
            seen=self.store.seen,
            revocations=revocations,
            issued_after=self.store.issued_after(self.cfg.tokens.clock_skew_seconds),
        )
        if isinstance(result, Refusal):
            return Checked(result, command)
        return self._rules(door_id, result, now)

    def _rules(self, door_id: str, command: UnlockCommand, now: datetime) -> Checked:
        """The reservation and the facility's rules (booking_rules)."""
        refusal, new_use = booking_rules(
            self.cfg, self.store, self.is_stale, door_id, command.member_id, command.reservation_id, now
        )
        if refusal is None:
            return Checked(None, command, new_use)
        return Checked(Refusal(refusal, f"reservation {command.reservation_id}", command.command_id.hex()), command)

    def _audit(self, db, door_id: str, now: datetime, checked: Checked) -> AuditRow:
        """The audit row (and, for an opening, the entry), inside the decision's transaction."""
        command, refusal = checked.command, checked.refusal
        member = command.member_id if command else None
        reservation = command.reservation_id if command else None
        if refusal is not None:
            row = AuditRow(
                now.isoformat(),
                door_id,
                "refused",
                refusal.reason.code,
                refusal.token_id,
                member,
                reservation,
                refusal.detail,
            )
        else:
            assert command is not None, "an opening always has its command"
            row = AuditRow(now.isoformat(), door_id, "unlock", "", command.command_id.hex(), member, reservation)
            self.store.record_entry(db, command.member_id, now, door_id, command.reservation_id, checked.new_use)
        self.store.audit(db, row)
        return row
