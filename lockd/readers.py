"""Passes shown at a door's reader: lockd decides them offline, under the same rules as an app's unlock.

What a member shows is one of their booking's door passes (docs/doors.md): a member pass signed by the platform that
names the booking and the facility and lives 90 s; the app holds the booking's passes from the moment it was made,
so neither the phone nor the site needs the platform at the door. Each pass opens once.

    reader thread -> shown() -> at most 5 reads a second per door -> a bounded queue -> this loop's thread:
    size -> revocations as new as the last change notice -> authentic (parse, key, signature)
    -> clock trusted, facility, time window, issued after the store began, revoked, a booking named, the cache not
       older than offline_entry_hours, the booking's rules (booker, window, hours, daily limit); nothing written yet
    -> an opening: in one transaction the pass spent (seen ids), the audit row, the entry, the decision for the
       platform (outbox) -> commit -> relay -> the reader's LED and beeper -> the audit row and the door's event
    -> a refusal: the first of a current pass at this door is written like an opening (its row tells staff who tried
       and why); the pass is not spent, so a member at the wrong door keeps it for the right one.

What anyone can make without a current genuine pass (a coupon's QR, noise, a forgery, an old screenshot, another
facility's pass, one already spent) and a current pass refused again at the same door write nothing per read: they
are counted and written out as one audit row and one report per door, reader and reason a minute (lockd/junk.py),
so neither a flood nor a drawer of old passes can fill the disk or the platform's queue.
"""

from __future__ import annotations

import logging
import queue
import sqlite3
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from facility.clock import Clock
from facility.config import FacilityConfig
from facility.config.models import Door, Lockd
from facility.contract import DoorDecisionBody, door_decisions_path
from facility.loop import BackgroundLoop
from facility.reasons import Reason
from facility.rules.calendar import local
from facility.tokens import Keyring, MemberPass, Refusal, Revocations, authenticate_member_pass, judge_member_pass
from facility.tokens.verify import MAX_PASS_LIFETIME, REPLAY_MARGIN
from lockd.clocktrust import ClockTrust
from lockd.commands import booking_rules
from lockd.junk import JUNK_AUDIT_SECONDS, JunkTally
from lockd.reader import MAX_SHOWN_CHARS, PassReader, TokenBucket
from lockd.store import AuditRow, LockdStore

log = logging.getLogger(__name__)
QUEUED_READS = 32  # reads waiting for a decision; more at once is a flood the readers' own limits let through
IDLE_SECONDS = 60.0
READS_PER_SECOND, READ_BURST = 5.0, 10  # per door, whatever its reader does (a camera has no limit of its own)
MAX_REFUSED = 10_000  # current passes refused once, remembered so that showing one again is counted
# Refusals of a pass that needs no current genuine pass to make: an old screenshot, another facility's pass, a pass
# from before the store began or one already spent. Counted like junk: a drawer of old passes costs no disk.
COUNTED = frozenset(
    {
        Reason.EXPIRED,
        Reason.NOT_YET_VALID,
        Reason.LIFETIME_TOO_LONG,
        Reason.WRONG_FACILITY,
        Reason.NO_FACILITY,
        Reason.ISSUED_BEFORE_STORE,
        Reason.REPLAYED,
    }
)


@dataclass(frozen=True)
class Read:
    """One code read at a door, waiting for its decision."""

    door_id: str
    reader: str
    text: str


@dataclass(frozen=True)
class ReaderVerdict:
    """A decided read: the audit row written (None for junk, counted only) and whether the door opens."""

    door_id: str
    reader: str
    opens: bool
    reason: str
    row: AuditRow | None


class DoorReaders(BackgroundLoop):
    """Decides the passes shown at the site's door readers, one at a time, on its own thread."""

    name = "door-readers"

    def __init__(
        self,
        cfg: FacilityConfig,
        store: LockdStore,
        clock: Clock,
        trust: ClockTrust,
        keyring: Callable[[], Keyring],
        revocations: Callable[[], Revocations],
        await_revocations: Callable[[], object],
        is_stale: Callable[[datetime], bool],
        decided: Callable[[ReaderVerdict], None],
    ) -> None:
        super().__init__()
        self.cfg = cfg
        self.store = store
        self.clock = clock
        self.trust = trust
        self.keyring = keyring
        self.revocations = revocations
        self.await_revocations = await_revocations
        self.is_stale = is_stale
        self.decided = decided  # lockd drives the relay, signals the reader and publishes
        self.readers: dict[str, PassReader] = {}
        self.junk = JunkTally()
        self.dropped = 0  # reads dropped: over a door's rate, or the queue full
        self._buckets: dict[str, TokenBucket] = {}
        self.last: dict[str, ReaderVerdict] = {}  # each door's latest verdict (the technician's panel, the demo)
        self._refused: dict[tuple[str, bytes], float] = {}  # (door, pass id) -> monotonic time it is forgotten
        self._reads: queue.Queue[Read] = queue.Queue(QUEUED_READS)
        self._drop_logged_at = float("-inf")
        self._junk_due: float | None = None

    # --- what readers call, from their own threads ----------------------------------------------

    def attach(self, door_id: str, reader: PassReader, alarm: Callable[[str, bool, str], None]) -> None:
        """Start a door's reader, handing what it reads to this loop."""
        self.readers[door_id] = reader
        reader.start(lambda text: self.shown(door_id, reader.name, text), alarm)

    def shown(self, door_id: str, reader: str, text: str) -> None:
        """A code was read at a door: queue it for a decision. Over the door's rate, or with the queue full, it is
        dropped (counted, and logged once a minute), so one flooded reader cannot crowd out the others."""
        moment = time.monotonic()
        bucket = self._buckets.setdefault(door_id, TokenBucket(READS_PER_SECOND, READ_BURST, moment))
        if not bucket.take(moment):
            self._drop(door_id, "more reads a second than a door's reader may make")
            return
        try:
            self._reads.put_nowait(Read(door_id, reader, text[: MAX_SHOWN_CHARS + 1]))
        except queue.Full:
            self._drop(door_id, f"{QUEUED_READS} reads already wait for a decision")
            return
        self.wake()

    def _drop(self, door_id: str, why: str) -> None:
        """Drop a read unseen: counted, logged at most once a minute."""
        self.dropped += 1
        if time.monotonic() >= self._drop_logged_at + JUNK_AUDIT_SECONDS:
            self._drop_logged_at = time.monotonic()
            log.warning("reads at %s dropped (%d so far): %s", door_id, self.dropped, why)

    def close_readers(self) -> None:
        """Let every reader go (each one's failure logged, never stopping the others)."""
        for door_id, reader in self.readers.items():
            try:
                reader.close()
            except Exception:
                log.exception("closing the reader of %s", door_id)

    # --- the loop -----------------------------------------------------------------------------------

    def cycle(self) -> float:
        """Decide every read waiting, write the junk tally out when its minute is over; wait for the next read."""
        while not self.stopping:
            try:
                read = self._reads.get_nowait()
            except queue.Empty:
                break
            verdict = self.decide(read)
            self.last[read.door_id] = verdict
            self.decided(verdict)
        if self._junk_due is not None and time.monotonic() >= self._junk_due:
            self.write_junk()
        return IDLE_SECONDS if self._junk_due is None else max(0.0, self._junk_due - time.monotonic())

    def decide(self, read: Read) -> ReaderVerdict:
        """The verdict on one read; an opening, and the first refusal of a current pass at a door, are committed
        before it is returned. Everything else is counted (see the module's docstring)."""
        now = self.clock.now()
        if len(read.text) > MAX_SHOWN_CHARS:
            return self._counted(read, Refusal(Reason.TOO_LARGE, f"more than {MAX_SHOWN_CHARS} characters"), now)
        self.await_revocations()  # after a change notice: the revocations it announced, first (at most 1 s)
        revocations = self.revocations()
        authentic = authenticate_member_pass(read.text, self.keyring(), now.timestamp(), revocations=revocations)
        if isinstance(authentic, Refusal):  # unreadable, forged, an unknown or revoked key: anyone can make these
            return self._counted(read, authentic, now)
        refusal, new_use = self._judge(read, authentic, now, revocations)
        if refusal is None:
            return self._admit(read, authentic, new_use, now)
        if refusal.reason in COUNTED or not self._first_refusal(read.door_id, authentic, now):
            return self._counted(read, refusal, now)
        with self.store.transaction() as db:
            row = self._row(read, authentic, refusal, now)
            self.store.audit(db, row)
            self._report(db, read, row, now)
        return ReaderVerdict(read.door_id, read.reader, False, row.reason, row)

    def _admit(self, read: Read, shown: MemberPass, new_use: bool, now: datetime) -> ReaderVerdict:
        """Spend the pass and record the opening in one transaction; a pass spent before is a counted replay."""
        assert shown.reservation_id is not None, "judged: a pass without a booking is refused"
        keep_until = shown.expires + self.cfg.tokens.clock_skew_seconds + REPLAY_MARGIN
        with self.store.transaction() as db:
            spent = not self.store.seen.first_sighting(shown.pass_id, keep_until, now.timestamp())
            if not spent:
                row = self._row(read, shown, None, now)
                self.store.audit(db, row)
                self.store.record_entry(db, shown.member_id, now, read.door_id, shown.reservation_id, new_use)
                self._report(db, read, row, now)
        if spent:
            return self._counted(read, Refusal(Reason.REPLAYED, "this pass opened a door before"), now)
        return ReaderVerdict(read.door_id, read.reader, True, "", row)

    def _first_refusal(self, door_id: str, shown: MemberPass, now: datetime) -> bool:
        """True the first time a current pass is refused at a door (its row tells staff who tried, and why); the
        same pass refused again there is counted. Bounded: entries live as long as a pass may, at most MAX_REFUSED."""
        moment = time.monotonic()
        self._refused = {key: until for key, until in self._refused.items() if until > moment}
        key = (door_id, shown.pass_id)
        if key in self._refused or len(self._refused) >= MAX_REFUSED:
            return False
        self._refused[key] = moment + MAX_PASS_LIFETIME + 2 * self.cfg.tokens.clock_skew_seconds
        return True

    def _judge(
        self, read: Read, shown: MemberPass, now: datetime, revocations: Revocations
    ) -> tuple[Refusal | None, bool]:
        """The checks after authenticity, which write nothing (the pass is spent only when it opens, so a pass
        shown at the wrong door is not used up): the refusal, or None and whether the opening is a new use."""
        pass_id = shown.pass_id.hex()
        if not self.trust.trusted(now):
            return Refusal(Reason.CLOCK_UNTRUSTED, f"clock reads {now.isoformat()}", pass_id), False
        judged = judge_member_pass(
            shown,
            now.timestamp(),
            skew=self.cfg.tokens.clock_skew_seconds,
            revocations=revocations,
            facility_id=self.cfg.facility.id,
            issued_after=self.store.issued_after(self.cfg.tokens.clock_skew_seconds),
        )
        if isinstance(judged, Refusal):
            return judged, False
        if judged.reservation_id is None:
            return Refusal(Reason.NO_RESERVATION, "a pass without a booking opens no door", pass_id), False
        if self._too_long_offline(now):
            return Refusal(Reason.RESERVATIONS_STALE, "no sync within offline_entry_hours", pass_id), False
        reason, new_use = booking_rules(
            self.cfg, self.store, self.is_stale, read.door_id, judged.member_id, judged.reservation_id, now
        )
        if reason is not None:
            return Refusal(reason, f"reservation {judged.reservation_id}", pass_id), False
        return None, new_use

    def _too_long_offline(self, now: datetime) -> bool:
        """True when the last good sync is older than offline_entry_hours (or there was none): a cancellation or a
        revocation made since might not be known here."""
        last_ok = self.store.sync_state().last_ok
        limit = timedelta(hours=self.cfg.lockd_settings.offline_entry_hours)
        return last_ok is None or now - last_ok > limit

    @staticmethod
    def _row(read: Read, shown: MemberPass | Refusal, refusal: Refusal | None, now: datetime) -> AuditRow:
        """The decision's audit row: who, which booking, which pass, at which reader."""
        member = shown.member_id if isinstance(shown, MemberPass) else None
        booking = shown.reservation_id if isinstance(shown, MemberPass) else None
        pass_id = shown.pass_id.hex() if isinstance(shown, MemberPass) else (refusal.token_id if refusal else "")
        if refusal is None:
            return AuditRow(now.isoformat(), read.door_id, "reader_unlock", "", pass_id, member, booking, read.reader)
        detail = f"{read.reader}: {refusal.detail}"[:200]
        return AuditRow(
            now.isoformat(), read.door_id, "reader_refused", refusal.reason.code, pass_id, member, booking, detail
        )

    def _report(self, db: sqlite3.Connection, read: Read, row: AuditRow, now: datetime, count: int = 1) -> None:
        """The decision for the platform, queued in the decision's own transaction (facility/outbox.py sends it)."""
        body = DoorDecisionBody(
            door_id=read.door_id,
            at=local(now),
            reader=read.reader,
            result="opened" if row.action == "reader_unlock" else "refused",
            reason=row.reason,
            member_id=row.member_id,
            reservation_id=row.reservation_id,
            pass_id=row.command_id[:32],
            count=count,
        )
        self.store.enqueue(db, uuid.uuid4().hex, door_decisions_path(self.cfg.facility.id), body, now.timestamp(), now)

    # --- junk -----------------------------------------------------------------------------------------

    def _counted(self, read: Read, refusal: Refusal, now: datetime) -> ReaderVerdict:
        """A read that never authenticated: counted, written out with the others of its minute."""
        self.junk.count(f"{read.door_id}\0{read.reader}", refusal.reason, now)
        if self._junk_due is None:
            self._junk_due = time.monotonic() + JUNK_AUDIT_SECONDS
        return ReaderVerdict(read.door_id, read.reader, False, refusal.reason.code, None)

    def write_junk(self) -> None:
        """One audit row and one report to the platform per door, reader and reason for the junk counted."""
        self._junk_due = None
        since, counts = self.junk.drain()
        if not counts:
            return
        now = self.clock.now()
        with self.store.transaction() as db:
            for (where, reason), count in sorted(counts.items()):
                door_id, reader = where.split("\0", 1)
                detail = f"{reader}: {count} read(s) since {since.isoformat() if since else '?'}"
                row = AuditRow(now.isoformat(), door_id, "reader_refused_junk", reason, detail=detail)
                self.store.audit(db, row)
                self._report(db, Read(door_id, reader, ""), row, now, count)


def installed_reader(settings: Lockd, door: Door) -> PassReader:
    """The reader a door's file names, from the module of its kind (imported only where a door has one: a board
    without the camera extra never imports OpenCV), on the site's OSDP bus for an osdp reader."""
    assert door.reader is not None, "only doors with a reader get one"
    if door.reader.kind == "camera":
        from lockd.camera_reader import CameraReader

        return CameraReader(door.reader)
    from lockd.osdp import osdp_reader

    return osdp_reader(door.reader, settings.osdp)
