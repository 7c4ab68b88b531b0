"""lockd's durable state in SQLite: answered commands, the reservation cache, entries, and the audit trail.

Everything is committed before the relay moves or an answer leaves. The audit table is
append-only: triggers refuse any UPDATE or DELETE.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from facility.clock import Clock
from facility.messages import UnlockAnswer
from facility.models import CheckIn
from facility.outbox import OUTBOX_SCHEMA, OutboxTable
from facility.reservations import ReservationStore
from facility.retention import retain_shared, retention_round
from facility.rules.calendar import local
from facility.store import open_database

SCHEMA = """
CREATE TABLE IF NOT EXISTS command (
    digest TEXT PRIMARY KEY, door TEXT NOT NULL, command_id TEXT, received_at TEXT NOT NULL,
    result TEXT NOT NULL, answer TEXT NOT NULL, expires_at TEXT, pulsed INTEGER);
CREATE INDEX IF NOT EXISTS command_pulse ON command (pulsed);
CREATE INDEX IF NOT EXISTS command_expiry ON command (expires_at);
CREATE TABLE IF NOT EXISTS entry (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, member_id INTEGER NOT NULL, at TEXT NOT NULL, door TEXT NOT NULL,
    reservation_id INTEGER, new_use INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS entry_member ON entry (member_id, at);
CREATE TABLE IF NOT EXISTS audit (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL, door TEXT NOT NULL, action TEXT NOT NULL,
    reason TEXT NOT NULL DEFAULT '', command_id TEXT NOT NULL DEFAULT '', member_id INTEGER,
    reservation_id INTEGER, detail TEXT NOT NULL DEFAULT '');
"""

DIGESTS_PER_QUERY = 500  # under SQLite's limit of bound parameters in one statement


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


class LockdStore(OutboxTable, ReservationStore):
    """One SQLite file (WAL, synchronous FULL) holding everything lockd must not lose."""

    def __init__(self, path: str | Path, clock: Clock | None = None) -> None:
        super().__init__(path, SCHEMA + OUTBOX_SCHEMA, clock)

    # --- commands ------------------------------------------------------------------------

    def answer_for(self, digest: str) -> UnlockAnswer | None:
        """The answer already given to this exact message (a QoS 1 duplicate or a redelivery)."""
        return self.answers_for([digest]).get(digest)

    def answers_for(self, digests: list[str]) -> dict[str, UnlockAnswer]:
        """The answers already given to any of these messages, by digest: one query for a whole batch."""
        found: dict[str, UnlockAnswer] = {}
        with self._lock:
            for start in range(0, len(digests), DIGESTS_PER_QUERY):
                chunk = digests[start : start + DIGESTS_PER_QUERY]
                rows = self.db.execute(
                    f"SELECT digest, answer FROM command WHERE digest IN ({','.join('?' * len(chunk))})", chunk
                ).fetchall()
                found.update((digest, UnlockAnswer.model_validate_json(answer)) for digest, answer in rows)
        return found

    def record_command(
        self,
        db: sqlite3.Connection,
        digest: str,
        door: str,
        command_id: str,
        at: datetime,
        answer: UnlockAnswer,
        expires_at: datetime | None = None,
    ) -> None:
        """Remember the answer to a message (inside the caller's transaction); an opening awaits its pulse."""
        opened = answer.result == "opened"
        # OR IGNORE: a replay of an earlier message keeps the first answer; its refusal is in the audit.
        db.execute(
            "INSERT OR IGNORE INTO command (digest, door, command_id, received_at, result, answer, expires_at, pulsed) "
            "VALUES (?,?,?,?,?,?,?,?)",
            (
                digest,
                door,
                command_id,
                at.isoformat(),
                answer.result,
                answer.payload().decode(),
                expires_at.isoformat() if expires_at else None,
                0 if opened else None,
            ),
        )

    def mark_pulsed(self, *digests: str, pulsed: bool = True) -> None:
        """The relays moved for these openings (or, with False, never will: the commands expired meanwhile).

        Not fsynced: the note only has to outlive lockd dying, and the WAL frames written here do (the next durable
        commit syncs them). A power cut before that loses the note, and a command still valid at the restart is
        pulsed again (`unlock_resumed`); the power cut released every relay anyway.
        """
        with self.transaction(durable=False) as db:
            db.executemany(
                "UPDATE command SET pulsed = ? WHERE digest = ?", [(1 if pulsed else -1, d) for d in digests]
            )

    def awaiting_pulse(self) -> list[tuple[str, str, str, datetime]]:
        """Openings decided but not pulsed (lockd died in between): digest, door, command id, expiry."""
        with self._lock:
            rows = self.db.execute(
                "SELECT digest, door, command_id, expires_at FROM command WHERE pulsed = 0"
            ).fetchall()
        return [
            (digest, door, command_id, datetime.fromisoformat(expires)) for digest, door, command_id, expires in rows
        ]

    # --- audit ---------------------------------------------------------------------------

    @staticmethod
    def audit(db: sqlite3.Connection, row: AuditRow) -> None:
        """Append to the audit trail (inside the caller's transaction)."""
        db.execute(
            "INSERT INTO audit (at, door, action, reason, command_id, member_id, reservation_id, detail) "
            "VALUES (?,?,?,?,?,?,?,?)",
            (row.at, row.door, row.action, row.reason, row.command_id, row.member_id, row.reservation_id, row.detail),
        )

    def append_audit(self, row: AuditRow) -> None:
        """Append one audit row in its own transaction."""
        with self.transaction() as db:
            self.audit(db, row)

    def audit_rows(self, action: str | None = None) -> list[AuditRow]:
        """The audit trail, or only one action."""
        query = "SELECT at, door, action, reason, command_id, member_id, reservation_id, detail FROM audit"
        with self._lock:
            rows = self.db.execute(
                query + (" WHERE action = ?" if action else "") + " ORDER BY seq", (action,) if action else ()
            ).fetchall()
        return [AuditRow(*row) for row in rows]

    # --- entries (for the daily limit and use counting) -------------------------------------------

    @staticmethod
    def record_entry(
        db: sqlite3.Connection, member_id: int, at: datetime, door: str, reservation_id: int, new_use: bool
    ) -> None:
        """A member entered (inside the caller's transaction)."""
        db.execute(
            "INSERT INTO entry (member_id, at, door, reservation_id, new_use) VALUES (?,?,?,?,?)",
            (member_id, local(at).isoformat(), door, reservation_id, int(new_use)),
        )  # local: its date is the day

    def entries_of(self, member_id: int, since: datetime) -> list[CheckIn]:
        """The member's entries since a moment as the rules read history: the first of each booking on each day.

        Every entry at a door names its booking, and all entries of one booking are one use (facility/usage.py), so
        the later ones change no rule's answer; reading only the first keeps a member who steps out and back in
        all day from making each decision slower.
        """
        with self._lock:
            rows = self.db.execute(
                "SELECT MIN(at), reservation_id FROM entry WHERE member_id = ? AND at >= ? "
                "GROUP BY COALESCE(reservation_id, -seq), substr(at, 1, 10) ORDER BY MIN(seq)",
                (member_id, local(since).isoformat()),
            ).fetchall()
        return [CheckIn(member_id, datetime.fromisoformat(at), reservation_id=reservation) for at, reservation in rows]


COMMAND_MARGIN = timedelta(days=1)  # a decided command is remembered this long past its expiry


def purge_lockd(
    store: LockdStore, now: datetime, keep: timedelta, export_days: int, trusted: bool = True
) -> dict[str, int]:
    """Retention at the door: what is past `keep` (commands: past expiry and a margin) and safe to forget.

    Age is the time lockd saw pass since a row was written, with the wall clock (`now`, believed when `trusted`:
    clock_check) only holding rows back (facility/retention.py): a clock stepped forward removes nothing early.
    The audit is never simply deleted: nobody acknowledges the rows published on lockd/audit, so a row leaves the
    store only once it is written and synced in its day's export file."""
    ages = retention_round(store, now, trusted, keep)
    where, arguments = ages.past("command", "COALESCE(expires_at, received_at)", COMMAND_MARGIN, reuses_rowids=True)
    commands = store.delete_in_batches(
        "command", f"{where} AND (pulsed IS NULL OR pulsed != 0)", arguments
    )  # never one awaiting its pulse
    entries = store.delete_in_batches("entry", *ages.past("entry", "at", keep))
    # Door decisions the platform has (a queued or dead one stays, whatever its age).
    where, arguments = ages.past("outbox", "created_at", keep, reuses_rowids=True)
    sent = store.delete_in_batches("outbox", f"state = 'sent' AND {where}", arguments)
    return {
        "commands": commands,
        "entries": entries,
        "outbox_sent": sent,
        **retain_shared(store, now, keep, export_days, ages),
    }


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
