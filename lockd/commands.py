"""The unlock decision: every check of docs/architecture.md and issue 'lockd', committed before the relay moves.

bytes decided before? -> retained? -> authentic (size, parse, key known/unrevoked/valid, signature)
-> clock trustworthy? -> door, time, issued after the store began, replay, revocation ->
reservation in the cache -> the facility's rules (booker, window, daily limit).
Everything up to "authentic" writes nothing: junk is counted in memory and audited in aggregate
(lockd/junk.py), so a flood cannot slow the session down. From there on, the replay record, the
decision, the audit row and the entry are one transaction, so a crash either forgets the command
entirely (the broker redelivers it) or keeps all of it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from facility.clock import Clock
from facility.config import FacilityConfig
from facility.reasons import Reason
from facility.rules.booking import decide_unlock
from facility.rules.calendar import since_yesterday
from facility.tokens import (
    Keyring,
    Refusal,
    Revocations,
    UnlockCommand,
    authenticate_unlock_command,
    judge_unlock_command,
)
from facility.topics import SiteTopics
from facility.trustcache import cached_revocations
from lockd.clocktrust import ClockTrust
from lockd.failpoints import failpoint
from lockd.junk import JunkTally
from lockd.store import AuditRow, LockdStore
from messagebus import Inbound


@dataclass(frozen=True)
class Verdict:
    """The outcome for one message: the answer to send and, when it opens, the digest to mark once pulsed."""

    answer: dict
    opens: bool = False
    digest: str = ""
    audit: AuditRow | None = None
    junk: bool = False  # refused before any durable write; audited in aggregate


@dataclass(frozen=True)
class Checked:
    """What the checks found: a refusal, the command once it could be read, and whether it starts a use."""

    refusal: Refusal | None
    command: UnlockCommand | None = None
    new_use: bool = False


def answer_body(door_id: str, reason: Reason | None, command_id: str = "") -> dict:
    """The application answer sent on the response topic."""
    if reason is None:
        return {"result": "opened", "door": door_id, "command_id": command_id}
    return {"result": "refused", "door": door_id, "command_id": command_id, "reason": reason.code,
            "message_ja": reason.ja, "message_en": reason.en}


class UnlockHandler:
    """Decides each unlock command for the site's doors and records the decision durably."""

    def __init__(self, cfg: FacilityConfig, store: LockdStore, keyring: Keyring, topics: SiteTopics, clock: Clock,
                 trust: ClockTrust, is_stale: Callable[[datetime], bool],
                 prepare: Callable[[UnlockCommand], None] = lambda command: None) -> None:
        self.cfg = cfg
        self.store = store
        self.keyring = keyring
        self.topics = topics
        self.clock = clock
        self.trust = trust
        self.is_stale = is_stale
        self.prepare = prepare  # runs for authentic commands only (e.g. fetch a reservation booked a moment ago)
        self.junk = JunkTally()

    def decide(self, door_id: str, message: Inbound) -> tuple[Verdict, bool]:
        """The verdict for a message, and whether it is new (False: a QoS 1 redelivery, answered before).

        Only a redelivery (DUP set) gets its stored answer again; the same bytes published anew
        are refused as replayed, whatever the clocks say, and like all junk without a durable write.
        """
        digest = hashlib.sha256(message.topic.encode() + b"\0" + message.payload).hexdigest()
        earlier = self.store.answer_for(digest)
        if earlier is not None and message.duplicate:
            return Verdict(earlier), False
        if earlier is not None:
            return self._junk(door_id, Refusal(Reason.REPLAYED, "these exact bytes were decided before")), True
        now = self.clock.now()
        revocations = cached_revocations(self.store)
        screened = self._screen(message, now, revocations)
        if isinstance(screened, Refusal):
            return self._junk(door_id, screened), True
        self.prepare(screened)
        with self.store.transaction() as db:
            checked = self._check(door_id, screened, message, now, revocations)
            command, refusal = checked.command, checked.refusal
            command_id = command.command_id.hex() if command else (refusal.token_id if refusal else "")
            answer = answer_body(door_id, refusal.reason if refusal else None, command_id)
            expires = datetime.fromtimestamp(command.expires + self.cfg.tokens.clock_skew_seconds, now.tzinfo) if command else None
            self.store.record_command(db, digest, door_id, command_id, now, answer, expires)
            row = self._audit(db, door_id, now, checked)
        failpoint("after_commit")
        return Verdict(answer, refusal is None, digest, row), True

    def _junk(self, door_id: str, refusal: Refusal) -> Verdict:
        """Answer junk and count it; nothing is written to disk for it."""
        self.junk.count(door_id, refusal.reason, self.clock.now())
        return Verdict(answer_body(door_id, refusal.reason, refusal.token_id), junk=True)

    def _screen(self, message: Inbound, now: datetime, revocations: Revocations) -> UnlockCommand | Refusal:
        """The checks that need no durable write: not retained, text, authentic (size, parse, key, signature)."""
        if message.retain:
            return Refusal(Reason.RETAINED, "retained message")
        try:
            text = message.payload.decode("ascii")
        except UnicodeDecodeError:
            return Refusal(Reason.BAD_FORMAT, "payload is not text")
        return authenticate_unlock_command(text, self.keyring, now.timestamp(), topics=self.topics,
                                           revocations=revocations)

    def _check(self, door_id: str, command: UnlockCommand, message: Inbound, now: datetime,
               revocations: Revocations) -> Checked:
        """The checks of an authentic command, in order: the first refusal, or the command that may open the door."""
        if not self.trust.trusted(now):
            return Checked(Refusal(Reason.CLOCK_UNTRUSTED, f"clock reads {now.isoformat()}", command.command_id.hex()),
                           command)
        result = judge_unlock_command(
            command, now.timestamp(), topics=self.topics, door_id=door_id, arrived_on=message.topic,
            skew=self.cfg.tokens.clock_skew_seconds, seen=self.store.seen,
            revocations=revocations, issued_after=self.store.created_at)
        if isinstance(result, Refusal):
            return Checked(result, command)
        return self._rules(door_id, result, now)

    def _rules(self, door_id: str, command: UnlockCommand, now: datetime) -> Checked:
        """The reservation and the facility's rules; a stale cache is named as the reason it may be wrong."""
        reservation = self.store.reservation(command.reservation_id)
        door = self.cfg.door(door_id)
        assert door is not None, "lockd subscribes only to the doors of its file"
        decision = decide_unlock(self.cfg, door, reservation, command.member_id,
                                 self.store.entries_of(command.member_id, since_yesterday(now)), now)
        if decision.admitted:
            return Checked(None, command, decision.new_use)
        reason = decision.reasons[0]
        if reason is Reason.NO_RESERVATION and self.is_stale(now):
            reason = Reason.RESERVATIONS_STALE
        return Checked(Refusal(reason, f"reservation {command.reservation_id}", command.command_id.hex()), command)

    def _audit(self, db, door_id: str, now: datetime, checked: Checked) -> AuditRow:
        """The audit row (and, for an opening, the entry), inside the decision's transaction."""
        command, refusal = checked.command, checked.refusal
        member = command.member_id if command else None
        reservation = command.reservation_id if command else None
        if refusal is not None:
            row = AuditRow(now.isoformat(), door_id, "refused", refusal.reason.code, refusal.token_id, member,
                           reservation, refusal.detail)
        else:
            assert command is not None, "an opening always has its command"
            row = AuditRow(now.isoformat(), door_id, "unlock", "", command.command_id.hex(), member, reservation)
            self.store.record_entry(db, command.member_id, now, door_id, command.reservation_id, checked.new_use)
        self.store.audit(db, row)
        return row
