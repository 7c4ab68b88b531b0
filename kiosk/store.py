"""The kiosk's durable state in SQLite: check-ins, the outbox to the platform, companions, the staff audit.

A check-in and its outbox item are one transaction, committed before the screen turns green.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

from facility.clock import Clock
from facility.contract import CheckInBody, checkins_path
from facility.models import CheckIn, EntryKind, Plan
from facility.reservations import ReservationStore
from facility.retention import retain_shared, retention_round
from facility.rules.calendar import business_day_start, local
from facility.rules.desk import DeskCheckDue
from facility.store import SqliteSeenIds, add_columns
from facility.tally import RefusalTally

log = logging.getLogger(__name__)
# Passes the facility's other kiosks admitted (SpentPass): all that one kiosk's broker credential can make another
# kiosk keep (docs/mqtt.md, 'Limits'). A notice is kept at most MAX_PASS_LIFETIME + 2 x the clock skew + REPLAY_MARGIN
# (600 s at the largest skew a facility file allows). The busiest reception admits 5 members a second (the rush bench:
# ten times the 300 members in 10 minutes the network plans for), 3,000 live notices a kiosk at most; a kiosk would
# have to admit 10,000 members in ten minutes to see one of its notices refused.
SPENT_PER_KIOSK = 10_000
SPENT_ALL_KIOSKS = 5 * SPENT_PER_KIOSK  # all senders together: bounded even if one credential could use many names
SPENT_LOG_SECONDS = 60.0  # refused notices: one log line per reason and minute, carrying the count of the others

SCHEMA = """
CREATE TABLE IF NOT EXISTS checkin (
    key TEXT PRIMARY KEY, member_id INTEGER NOT NULL, name TEXT NOT NULL, plan TEXT NOT NULL, at TEXT NOT NULL,
    kind TEXT NOT NULL, ends_at TEXT, checked_out_at TEXT, new_use INTEGER NOT NULL, pass_id TEXT,
    source TEXT NOT NULL, note TEXT NOT NULL DEFAULT '', reservation_id INTEGER, companions INTEGER NOT NULL DEFAULT 0,
    booker INTEGER NOT NULL DEFAULT 1);
CREATE INDEX IF NOT EXISTS checkin_pass ON checkin (pass_id);
CREATE INDEX IF NOT EXISTS checkin_member ON checkin (member_id, at);
CREATE INDEX IF NOT EXISTS checkin_at ON checkin (at);
CREATE INDEX IF NOT EXISTS checkin_end ON checkin (ends_at);
CREATE TABLE IF NOT EXISTS outbox (
    key TEXT PRIMARY KEY, path TEXT NOT NULL, body TEXT NOT NULL, state TEXT NOT NULL, attempts INTEGER NOT NULL,
    next_at REAL NOT NULL, last_error TEXT NOT NULL DEFAULT '', created_at TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS outbox_state ON outbox (state, next_at);
CREATE TABLE IF NOT EXISTS companion (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL, fee_yen INTEGER, left_at TEXT);
CREATE INDEX IF NOT EXISTS companion_left ON companion (left_at);
CREATE TABLE IF NOT EXISTS audit (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL, action TEXT NOT NULL, member_id INTEGER,
    reason TEXT NOT NULL DEFAULT '', detail TEXT NOT NULL DEFAULT '');
CREATE TABLE IF NOT EXISTS desk_check (
    checkin_key TEXT NOT NULL, check_code TEXT NOT NULL, member_id INTEGER NOT NULL, name TEXT NOT NULL,
    due_at TEXT NOT NULL, done_at TEXT, PRIMARY KEY (checkin_key, check_code));
CREATE INDEX IF NOT EXISTS desk_check_pending ON desk_check (done_at, due_at);
"""  # the reservation tables come with ReservationStore (a staffed meeting room admits against them)
# Columns a newer kiosk added to a store an older one made.
_NEWER_CHECKIN_COLUMNS = {
    "reservation_id": "INTEGER",
    "companions": "INTEGER NOT NULL DEFAULT 0",
    "booker": "INTEGER NOT NULL DEFAULT 1",
}
_CHECKIN_COLUMNS = (
    "key, member_id, name, plan, at, kind, ends_at, checked_out_at, new_use, pass_id, source, note, "
    "reservation_id, companions, booker"
)


@dataclass(frozen=True)
class Recorded:
    """A check-in as the kiosk keeps it."""

    key: str
    member_id: int
    name: str
    plan: Plan
    at: datetime
    kind: EntryKind
    ends_at: datetime | None
    checked_out_at: datetime | None
    new_use: bool
    pass_id: str
    source: str
    note: str
    reservation_id: int | None = None
    companions: int = 0  # a representative's guests, free and not counted
    booker: bool = True  # False: a member let in as someone's guest at a meeting room (never a use)

    def as_checkin(self) -> CheckIn:
        """The entry as the rules read history."""
        return CheckIn(
            self.member_id,
            self.at,
            self.plan,
            self.kind,
            self.ends_at,
            self.checked_out_at,
            reservation_id=self.reservation_id,
            booker=self.booker,
            pass_id=self.pass_id,
        )


@dataclass(frozen=True)
class OutboxItem:
    """One request waiting to reach the platform."""

    key: str
    path: str
    body: dict
    state: str
    attempts: int
    next_at: float
    last_error: str


@dataclass(frozen=True)
class PendingCheck:
    """A desk check staff still owe a member (temperature, photo ID, sign-up), until they tick it."""

    checkin_key: str
    check: DeskCheckDue
    member_id: int
    name: str
    due_at: datetime


def _time(text: str | None) -> datetime | None:
    """A stored time."""
    return datetime.fromisoformat(text) if text else None


class SpentElsewhere:
    """The passes the facility's other kiosks say they admitted, kept in the replay memory within fixed bounds whatever
    they send: at most `per_kiosk` live rows from each sending kiosk and `all_kiosks` from all of them, each for at most
    `longest` seconds. Refused notices are logged in aggregate: the first of each reason in a minute at once, the others
    as a count carried by the next line, so a sibling's flood grows neither the store nor the journal without bound."""

    def __init__(
        self,
        seen: SqliteSeenIds,
        monotonic: Callable[[], float],
        per_kiosk: int = SPENT_PER_KIOSK,
        all_kiosks: int = SPENT_ALL_KIOSKS,
    ) -> None:
        self.seen = seen
        self.per_kiosk, self.all_kiosks = per_kiosk, all_kiosks
        self.refusals: dict[str, int] = {}  # reason -> notices refused since start (a fixed set of reasons)
        self._tally = RefusalTally(monotonic, SPENT_LOG_SECONDS)

    def note(self, kiosk: str, pass_id: bytes, keep_until: float, now: float, longest: float) -> str:
        """Remember that `kiosk` admitted this pass (inside the caller's transaction); what became of the notice
        (SqliteSeenIds.told_by: only NEW adds a row)."""
        outcome = self.seen.told_by(
            kiosk, pass_id, keep_until, now, longest=longest, quota=self.per_kiosk, total=self.all_kiosks
        )
        if outcome in (SqliteSeenIds.SENDER_FULL, SqliteSeenIds.ALL_FULL):
            self.refused(
                outcome,
                f"kiosk {kiosk} has {self.seen.held(kiosk)} spent passes kept here, at most {self.per_kiosk} "
                f"({self.all_kiosks} from all kiosks)",
            )
        return outcome

    def refused(self, reason: str, detail: str) -> None:
        """Count a refused notice (reason: one of a fixed few) and log it if it is its reason's first in a minute."""
        self.refusals[reason] = self.refusals.get(reason, 0) + 1
        tallied = self._tally.note(reason)
        if tallied.audit_now:
            log.warning("spent-pass notice refused (%s): %s", reason, tallied.detail(detail))

    def log_rest(self) -> None:
        """At a stop: log the refusals counted since their reason's last line, so no count is lost."""
        for reason, count in sorted(self._tally.drain().items()):
            log.warning("spent-pass notice refused (%s): %d more since the last line", reason, count)


class KioskStore(ReservationStore):
    """One SQLite file (WAL, synchronous FULL) for everything the kiosk must not lose."""

    def __init__(self, path: str | Path, clock: Clock | None = None) -> None:
        super().__init__(path, SCHEMA, clock)
        add_columns(self.db, "checkin", _NEWER_CHECKIN_COLUMNS)
        self.spent = SpentElsewhere(self.seen, self.clock.monotonic)  # the other kiosks' spent passes, bounded

    # --- check-ins ------------------------------------------------------------------------

    def add_checkin(self, db: sqlite3.Connection, facility_id: str, record: Recorded, now: float) -> None:
        """Keep a check-in and queue it for the platform (inside the caller's transaction)."""
        db.execute(
            f"INSERT INTO checkin ({_CHECKIN_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (
                record.key,
                record.member_id,
                record.name,
                record.plan.value,
                record.at.isoformat(),
                record.kind.value,
                record.ends_at.isoformat() if record.ends_at else None,
                None,
                int(record.new_use),
                record.pass_id,
                record.source,
                record.note,
                record.reservation_id,
                record.companions,
                int(record.booker),
            ),
        )
        meeting = record.reservation_id is not None  # a representative: one use of the booking; the guests pay nothing
        body = CheckInBody(
            member_id=record.member_id,
            at=record.at,
            kind=record.kind,
            plan=record.plan,
            ends_at=record.ends_at,
            new_use=record.new_use,
            pass_id=record.pass_id,
            source=record.source,
            note=record.note,
            reservation_id=record.reservation_id,
            companions=record.companions if meeting else None,
            companion_fee_yen=0 if meeting else None,
        )
        db.execute(
            "INSERT INTO outbox VALUES (?,?,?,?,?,?,?,?)",
            (
                record.key,
                checkins_path(facility_id),
                body.model_dump_json(exclude_none=True),
                "queued",
                0,
                now,
                "",
                record.at.isoformat(),
            ),
        )

    def add_desk_checks(self, db: sqlite3.Connection, record: Recorded, checks: tuple[DeskCheckDue, ...]) -> None:
        """The checks staff owe this check-in (inside the check-in's transaction, so none is lost)."""
        db.executemany(
            "INSERT INTO desk_check VALUES (?,?,?,?,?,NULL)",
            [(record.key, check.code, record.member_id, record.name, record.at.isoformat()) for check in checks],
        )

    def pending_desk_checks(self) -> list[PendingCheck]:
        """Desk checks not yet ticked, oldest first."""
        with self._lock:
            rows = self.db.execute(
                "SELECT checkin_key, check_code, member_id, name, due_at FROM desk_check "
                "WHERE done_at IS NULL ORDER BY due_at"
            ).fetchall()
        return [
            PendingCheck(key, _desk_check(code), member, name, datetime.fromisoformat(due))
            for key, code, member, name, due in rows
        ]

    def tick_desk_check(self, checkin_key: str, check_code: str, at: datetime) -> bool:
        """Staff did the check: it leaves the list, and the audit says who and when. False if it was not pending."""
        with self.transaction() as db:
            done = db.execute(
                "UPDATE desk_check SET done_at = ? WHERE checkin_key = ? AND check_code = ? AND done_at IS NULL",
                (at.isoformat(), checkin_key, check_code),
            ).rowcount
            if done:
                member = db.execute(
                    "SELECT member_id FROM desk_check WHERE checkin_key = ? AND check_code = ?",
                    (checkin_key, check_code),
                ).fetchone()[0]
                self.audit(db, at, "desk_check_done", member, check_code, checkin_key)
        return bool(done)

    def checkins(self, since: datetime | None = None) -> list[Recorded]:
        """Check-ins in time order (since a moment, if given)."""
        query = f"SELECT {_CHECKIN_COLUMNS} FROM checkin" + (" WHERE at >= ?" if since else "") + " ORDER BY at"
        return self._recorded(query, (since.isoformat(),) if since else ())

    def _recorded(self, query: str, arguments: tuple) -> list[Recorded]:
        """Check-in rows as records."""
        with self._lock:
            rows = self.db.execute(query, arguments).fetchall()
        return [
            Recorded(
                key,
                member,
                name,
                Plan(plan),
                datetime.fromisoformat(at),
                EntryKind(kind),
                _time(ends),
                _time(out),
                bool(new_use),
                pass_id or "",
                source,
                note,
                reservation,
                companions,
                bool(booker),
            )
            for (
                key,
                member,
                name,
                plan,
                at,
                kind,
                ends,
                out,
                new_use,
                pass_id,
                source,
                note,
                reservation,
                companions,
                booker,
            ) in rows
        ]

    def checkins_on(self, day: date, day_starts_at: int = 0) -> list[Recorded]:
        """The business day's check-ins (through the time index); the day begins `day_starts_at` minutes after
        midnight. Times are kept in Tokyo ISO form, which sorts as time."""
        start = business_day_start(day, day_starts_at)
        return self._recorded(
            f"SELECT {_CHECKIN_COLUMNS} FROM checkin WHERE at >= ? AND at < ? ORDER BY at",
            (start.isoformat(), (start + timedelta(days=1)).isoformat()),
        )

    def recent_checkins(self, member_id: int, since: datetime, now: datetime) -> list[Recorded]:
        """The member's check-ins since a moment, and any of theirs still running now (through the member index)."""
        return self._recorded(
            f"SELECT {_CHECKIN_COLUMNS} FROM checkin WHERE member_id = ? AND (at >= ? OR ends_at IS "
            "NULL OR ends_at > ?) ORDER BY at",
            (member_id, local(since).isoformat(), local(now).isoformat()),
        )

    def members_in(self, now: datetime) -> int:
        """Members whose visit runs now: checked in, not checked out, not past its end (through the end index)."""
        moment = local(now).isoformat()
        with self._lock:
            # Two range reads of the end index (still running, or never ending): only live rows are visited.
            return self.db.execute(
                "SELECT COUNT(DISTINCT member_id) FROM (SELECT member_id, kind, at, checked_out_at FROM checkin "
                "WHERE ends_at > ? UNION ALL SELECT member_id, kind, at, checked_out_at FROM checkin "
                "WHERE ends_at IS NULL) "
                "WHERE kind = ? AND at <= ? AND (checked_out_at IS NULL OR checked_out_at > ?)",
                (moment, EntryKind.CHECK_IN.value, moment, moment),
            ).fetchone()[0]

    def checkin_for_pass(self, pass_id: str) -> Recorded | None:
        """The check-in a pass was used for, if any (through the pass_id index)."""
        found = (
            self._recorded(f"SELECT {_CHECKIN_COLUMNS} FROM checkin WHERE pass_id = ? LIMIT 1", (pass_id,))
            if pass_id
            else []
        )
        return found[0] if found else None

    def check_out(self, key: str, at: datetime, reason: str = "") -> Recorded | None:
        """A member leaves for good (audited in the same transaction); None when already out or unknown."""
        with self.transaction() as db:
            left = db.execute(
                "UPDATE checkin SET checked_out_at = ? WHERE key = ? AND checked_out_at IS NULL", (at.isoformat(), key)
            ).rowcount
            if left:
                self.audit(db, at, "check_out", None, "", f"{key} {reason}".strip())
        found = self._recorded(f"SELECT {_CHECKIN_COLUMNS} FROM checkin WHERE key = ?", (key,))
        return found[0] if left and found else None

    # --- companions and audit --------------------------------------------------------------------

    def add_companion(self, at: datetime, fee_yen: int | None) -> None:
        """A paying non-member companion sits down."""
        with self.transaction() as db:
            db.execute("INSERT INTO companion (at, fee_yen) VALUES (?, ?)", (at.isoformat(), fee_yen))

    def companion_leaves(self, at: datetime) -> bool:
        """The longest-staying companion leaves; False when none is in."""
        with self.transaction() as db:
            return (
                db.execute(
                    "UPDATE companion SET left_at = ? WHERE seq = (SELECT MIN(seq) FROM companion WHERE "
                    "left_at IS NULL)",
                    (at.isoformat(),),
                ).rowcount
                == 1
            )

    def companions_in(self) -> int:
        """Companions who have not left."""
        with self._lock:
            return self.db.execute("SELECT COUNT(*) FROM companion WHERE left_at IS NULL").fetchone()[0]

    def audit(
        self,
        db: sqlite3.Connection | None,
        at: datetime,
        action: str,
        member_id: int | None = None,
        reason: str = "",
        detail: str = "",
    ) -> None:
        """Append to the staff and refusal audit (in the caller's transaction, or its own)."""
        row = (at.isoformat(), action, member_id, reason, detail)
        if db is not None:
            db.execute("INSERT INTO audit (at, action, member_id, reason, detail) VALUES (?,?,?,?,?)", row)
            return
        with self.transaction() as own:
            own.execute("INSERT INTO audit (at, action, member_id, reason, detail) VALUES (?,?,?,?,?)", row)

    def audit_rows(self) -> list[tuple]:
        """The audit trail: (at, action, member, reason, detail)."""
        with self._lock:
            return self.db.execute("SELECT at, action, member_id, reason, detail FROM audit ORDER BY seq").fetchall()

    # --- outbox -----------------------------------------------------------------------------------

    def outbox(self, state: str | None = None) -> list[OutboxItem]:
        """Outbox items, oldest first, of one state if given."""
        query = "SELECT key, path, body, state, attempts, next_at, last_error FROM outbox"
        with self._lock:
            rows = self.db.execute(
                query + (" WHERE state = ?" if state else "") + " ORDER BY created_at, key", (state,) if state else ()
            ).fetchall()
        return [OutboxItem(k, p, json.loads(b), s, a, n, e) for k, p, b, s, a, n, e in rows]

    def next_due(self) -> OutboxItem | None:
        """The queued item due soonest (through the state index: sent items are never read)."""
        with self._lock:
            row = self.db.execute(
                "SELECT key, path, body, state, attempts, next_at, last_error FROM outbox "
                "WHERE state = 'queued' ORDER BY next_at LIMIT 1"
            ).fetchone()
        return OutboxItem(row[0], row[1], json.loads(row[2]), *row[3:]) if row else None

    def outbox_count(self, state: str) -> int:
        """How many items are in a state (queued, dead, sent)."""
        with self._lock:
            return self.db.execute("SELECT COUNT(*) FROM outbox WHERE state = ?", (state,)).fetchone()[0]

    def settle(self, key: str, state: str, attempts: int, next_at: float, error: str = "") -> None:
        """Record a send's outcome: sent, dead, or queued again for later."""
        with self.transaction() as db:
            db.execute(
                "UPDATE outbox SET state = ?, attempts = ?, next_at = ?, last_error = ? WHERE key = ?",
                (state, attempts, next_at, error, key),
            )


def purge_kiosk(
    store: KioskStore, now: datetime, keep: timedelta, export_days: int, trusted: bool = True
) -> dict[str, int]:
    """Retention at the kiosk: what is past `keep` and safe to forget; how much of each went.

    Age is the time the kiosk saw pass since a row was written, with the wall clock (`now`, believed when
    `trusted`: the kiosk's clock_check) only holding rows back (facility/retention.py): a clock stepped forward
    removes nothing early."""
    ages = retention_round(store, now, trusted, keep)
    # Only what the platform has: a queued or dead check-in stays, whatever its age.
    where, arguments = ages.past("checkin", "at", keep, reuses_rowids=True)
    checkins = store.delete_in_batches(
        "checkin", f"{where} AND key IN (SELECT key FROM outbox WHERE state = 'sent')", arguments
    )
    where, arguments = ages.past("outbox", "created_at", keep, reuses_rowids=True)
    sent = store.delete_in_batches("outbox", f"state = 'sent' AND {where}", arguments)
    where, arguments = ages.past("companion", "left_at", keep)
    companions = store.delete_in_batches("companion", f"left_at IS NOT NULL AND {where}", arguments)
    # A ticked check goes with its age; one still owed stays on the staff list, whatever its age.
    where, arguments = ages.past("desk_check", "done_at", keep, reuses_rowids=True)
    ticked = store.delete_in_batches("desk_check", f"done_at IS NOT NULL AND {where}", arguments)
    return {
        "checkins": checkins,
        "outbox_sent": sent,
        "companions": companions,
        "desk_checks": ticked,
        **retain_shared(store, now, keep, export_days, ages),
    }


def _desk_check(code: str) -> DeskCheckDue:
    """The desk check with this code."""
    return next(check for check in DeskCheckDue if check.code == code)


def new_key() -> str:
    """A fresh idempotency key for one check-in."""
    return str(uuid.uuid4())
