"""lockd's durable state in SQLite: answered commands, the reservation cache, entries, and the audit trail.

Everything is committed before the relay moves or an answer leaves. The audit table is
append-only: triggers refuse any UPDATE or DELETE.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from facility.clock import Clock
from facility.models import CheckIn, Plan, Reservation
from facility.store import SqliteStore, add_columns, open_database
from facility.tokens import Revocations

SCHEMA = """
CREATE TABLE IF NOT EXISTS command (
    digest TEXT PRIMARY KEY, door TEXT NOT NULL, command_id TEXT, received_at TEXT NOT NULL,
    result TEXT NOT NULL, answer TEXT NOT NULL, expires_at TEXT, pulsed INTEGER);
CREATE TABLE IF NOT EXISTS reservation (
    reservation_id INTEGER PRIMARY KEY, room_id TEXT NOT NULL, member_id INTEGER NOT NULL, plan TEXT NOT NULL,
    starts_at TEXT NOT NULL, ends_at TEXT NOT NULL, cancelled INTEGER NOT NULL, guests INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS sync (
    id INTEGER PRIMARY KEY CHECK (id = 1), cursor INTEGER NOT NULL, last_ok TEXT, revocations TEXT NOT NULL DEFAULT '{}');
CREATE TABLE IF NOT EXISTS entry (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, member_id INTEGER NOT NULL, at TEXT NOT NULL, door TEXT NOT NULL,
    reservation_id INTEGER, new_use INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS audit (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL, door TEXT NOT NULL, action TEXT NOT NULL,
    reason TEXT NOT NULL DEFAULT '', command_id TEXT NOT NULL DEFAULT '', member_id INTEGER,
    reservation_id INTEGER, detail TEXT NOT NULL DEFAULT '');
INSERT OR IGNORE INTO sync (id, cursor, last_ok) VALUES (1, 0, NULL);
"""


@dataclass(frozen=True)
class AuditRow:
    """One line of the audit trail."""

    at: str
    door: str
    action: str
    reason: str = ""
    command_id: str = ""
    member_id: int | None = None
    reservation_id: int | None = None
    detail: str = ""


@dataclass(frozen=True)
class SyncState:
    """Where the reservation sync stands."""

    cursor: int
    last_ok: datetime | None
    revocations: Revocations


class LockdStore(SqliteStore):
    """One SQLite file (WAL, synchronous FULL) holding everything lockd must not lose."""

    def __init__(self, path: str | Path, clock: Clock | None = None) -> None:
        super().__init__(path, SCHEMA, clock)
        add_columns(self.db, "sync", {"revocations": "TEXT NOT NULL DEFAULT '{}'"})  # a store made before key revocations

    # --- commands ------------------------------------------------------------------------

    def answer_for(self, digest: str) -> dict | None:
        """The answer already given to this exact message (a QoS 1 duplicate or a redelivery)."""
        with self._lock:
            row = self.db.execute("SELECT answer FROM command WHERE digest = ?", (digest,)).fetchone()
        return json.loads(row[0]) if row else None

    def record_command(self, db: sqlite3.Connection, digest: str, door: str, command_id: str, at: datetime,
                       answer: dict, expires_at: datetime | None = None) -> None:
        """Remember the answer to a message (inside the caller's transaction); an opening awaits its pulse."""
        opened = answer["result"] == "opened"
        # OR IGNORE: a replay of an earlier message keeps the first answer; its refusal is in the audit.
        db.execute("INSERT OR IGNORE INTO command (digest, door, command_id, received_at, result, answer, expires_at, pulsed) "
                   "VALUES (?,?,?,?,?,?,?,?)",
                   (digest, door, command_id, at.isoformat(), answer["result"], json.dumps(answer, ensure_ascii=False),
                    expires_at.isoformat() if expires_at else None, 0 if opened else None))

    def mark_pulsed(self, digest: str, pulsed: bool = True) -> None:
        """The relay moved for this opening (or, with False, it never will: the command expired meanwhile)."""
        with self.transaction() as db:
            db.execute("UPDATE command SET pulsed = ? WHERE digest = ?", (1 if pulsed else -1, digest))

    def awaiting_pulse(self) -> list[tuple[str, str, str, datetime]]:
        """Openings decided but not pulsed (lockd died in between): digest, door, command id, expiry."""
        with self._lock:
            rows = self.db.execute("SELECT digest, door, command_id, expires_at FROM command WHERE pulsed = 0").fetchall()
        return [(digest, door, command_id, datetime.fromisoformat(expires)) for digest, door, command_id, expires in rows]

    # --- audit ---------------------------------------------------------------------------

    @staticmethod
    def audit(db: sqlite3.Connection, row: AuditRow) -> None:
        """Append to the audit trail (inside the caller's transaction)."""
        db.execute("INSERT INTO audit (at, door, action, reason, command_id, member_id, reservation_id, detail) "
                   "VALUES (?,?,?,?,?,?,?,?)", (row.at, row.door, row.action, row.reason, row.command_id, row.member_id,
                                                row.reservation_id, row.detail))

    def append_audit(self, row: AuditRow) -> None:
        """Append one audit row in its own transaction."""
        with self.transaction() as db:
            self.audit(db, row)

    def audit_rows(self, action: str | None = None) -> list[AuditRow]:
        """The audit trail, or only one action."""
        query = "SELECT at, door, action, reason, command_id, member_id, reservation_id, detail FROM audit"
        with self._lock:
            rows = self.db.execute(query + (" WHERE action = ?" if action else "") + " ORDER BY seq",
                                   (action,) if action else ()).fetchall()
        return [AuditRow(*row) for row in rows]

    # --- entries (for the daily limit and use counting) -------------------------------------------

    @staticmethod
    def record_entry(db: sqlite3.Connection, member_id: int, at: datetime, door: str, reservation_id: int,
                     new_use: bool) -> None:
        """A member entered (inside the caller's transaction)."""
        db.execute("INSERT INTO entry (member_id, at, door, reservation_id, new_use) VALUES (?,?,?,?,?)",
                   (member_id, at.isoformat(), door, reservation_id, int(new_use)))

    def entries_of(self, member_id: int) -> list[CheckIn]:
        """The member's entries, as the rules read history."""
        with self._lock:
            rows = self.db.execute("SELECT at, reservation_id FROM entry WHERE member_id = ? ORDER BY seq",
                                   (member_id,)).fetchall()
        return [CheckIn(member_id, datetime.fromisoformat(at), reservation_id=reservation) for at, reservation in rows]

    # --- reservation cache and sync state ---------------------------------------------------------

    def reservation(self, reservation_id: int) -> Reservation | None:
        """A cached reservation."""
        with self._lock:
            row = self.db.execute("SELECT reservation_id, room_id, member_id, starts_at, ends_at, cancelled, guests, plan "
                                  "FROM reservation WHERE reservation_id = ?", (reservation_id,)).fetchone()
        if row is None:
            return None
        rid, room, member, starts, ends, cancelled, guests, plan = row
        return Reservation(rid, room, member, datetime.fromisoformat(starts), datetime.fromisoformat(ends),
                           bool(cancelled), guests, Plan(plan))

    def apply_changes(self, reservations: list[dict], cursor: int, at: datetime, revocations: Revocations) -> None:
        """Store a sync's result: changed reservations, the new cursor, revocations (keys too), and when."""
        rows = [(r["reservation_id"], r["room_id"], r["member_id"], r["plan"], r["starts_at"], r["ends_at"],
                 int(r["cancelled"]), int(r.get("guests", 0))) for r in reservations]
        with self.transaction() as db:
            db.executemany("INSERT OR REPLACE INTO reservation (reservation_id, room_id, member_id, plan, starts_at, "
                           "ends_at, cancelled, guests) VALUES (?,?,?,?,?,?,?,?)", rows)
            db.execute("UPDATE sync SET cursor = ?, last_ok = ?, revocations = ? WHERE id = 1",
                       (cursor, at.isoformat(), json.dumps(revocations.as_answer())))

    def sync_state(self) -> SyncState:
        """The cursor, the last successful sync and the cached revocations."""
        with self._lock:
            cursor, last_ok, revocations = self.db.execute(
                "SELECT cursor, last_ok, revocations FROM sync WHERE id = 1").fetchone()
        return SyncState(cursor, datetime.fromisoformat(last_ok) if last_ok else None,
                         Revocations.from_answer(json.loads(revocations)))


def append_offline_audit(path: Path, rows: list[AuditRow]) -> bool:
    """Append audit rows while lockd is not running (ExecStopPost); never creates a store. False if there is none."""
    if not Path(path).is_file() or Path(path).stat().st_size == 0:
        return False  # creating one here would hide a lost store from the next start
    db = open_database(path)
    try:
        db.execute("BEGIN IMMEDIATE")
        for row in rows:
            LockdStore.audit(db, row)
        db.execute("COMMIT")
    finally:
        db.close()
    return True
