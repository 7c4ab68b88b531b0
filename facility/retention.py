"""Retention: personal data and records are kept only as long as they are needed, and files stay bounded.

Each program runs one RetentionLoop (hourly). The program's store says what may go and when
(purge_kiosk, purge_lockd): never a check-in the platform does not have yet, never a decision still
waiting for its pulse, never an audit row that is not safely in a file. Audit rows leave the store for
JSON-lines files beside it, one per day the rows were written, which are themselves deleted after
`audit_export_days`. Freed pages go back to the file system.

How old a row is, a clock step cannot forge (docs/operations.md, 'Retention'):

- The store keeps an *observed elapsed time*: the seconds its program saw pass on the monotonic clock,
  read at start and at every round. Within one boot the time between two readings counts whole (a restart
  of the program included); across a reboot the time the board was off does not count. It never runs ahead
  of real time, whatever the wall clock does.
- Every round leaves a *mark*: that reading, the wall clock if the site's clock check believes it
  (facility/clocktrust.py), and each table's highest rowid. A row at or under a mark's rowid was written before
  the mark, so it is at least (elapsed now - elapsed at the mark) old: its *observed age*.
- The *credible now* is the believed wall clock, but never later than any kept mark's believed wall reading plus
  the time observed since: a clock stepped forward is not believed further than time was seen to pass.
- A row goes when its observed age is past the retention AND its own time is past the retention before the
  credible now; or, whatever the wall clock says, once its observed age is past twice the retention (a clock
  stepped back, or one never believed, cannot keep a row for ever).
- Rows a store held before it had marks (an older version wrote them) are judged by their own times against
  the credible now (so by the first wall reading believed since, plus the time observed after it), and in any
  case go at twice the retention, as any other row.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

from facility.clock import Clock, monotonic_epoch
from facility.clocktrust import ClockTrust
from facility.loop import BackgroundLoop
from facility.reservations import ReservationStore
from facility.rules.calendar import local
from facility.store import SqliteStore

log = logging.getLogger(__name__)
RETENTION_SECONDS = 3600.0
MARK_SECONDS = 600.0  # marks are left at most this often (the rounds are hourly)
MAX_MARKS = 5000  # and spaced so that at most about this many cover twice the longest retention
OBSERVED_SCHEMA = """
CREATE TABLE IF NOT EXISTS observed_clock (
    id INTEGER PRIMARY KEY CHECK (id = 1), elapsed REAL NOT NULL, epoch TEXT NOT NULL, mono REAL NOT NULL);
CREATE TABLE IF NOT EXISTS observed_mark (
    elapsed REAL PRIMARY KEY, wall TEXT, rowids TEXT NOT NULL, birth INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS audit_export (name TEXT PRIMARY KEY, elapsed REAL NOT NULL);
"""
UNMARKED = {"observed_clock", "observed_mark", "audit_export", "store_meta", "cache"}  # no row of these is aged


@dataclass(frozen=True)
class Mark:
    """What a round saw: the observed elapsed time, the wall clock if believed, each table's highest rowid."""

    elapsed: float
    wall: datetime | None
    rowids: dict[str, int]
    birth: bool = False  # the store's first mark: rows under it were written before anyone counted


@dataclass(frozen=True)
class Ages:
    """How one round judges age: the observed elapsed time now, the believed wall clock now, the marks kept."""

    elapsed: float
    wall: datetime | None
    marks: tuple[Mark, ...]  # oldest first

    def credible_now(self) -> datetime | None:
        """The believed wall clock, never later than a kept mark's believed reading plus the time observed since;
        None when no wall reading is believed."""
        readings = [m.wall + timedelta(seconds=self.elapsed - m.elapsed) for m in self.marks if m.wall is not None]
        return min([*readings, *([self.wall] if self.wall is not None else [])], default=None)

    def written_before(self, table: str, seconds: float) -> int:
        """The highest rowid of `table` known to have been written at least `seconds` of observed time ago (0:
        none): the rowid the newest mark that old saw."""
        found = 0
        for mark in self.marks:
            if mark.elapsed > self.elapsed - seconds:
                break
            found = mark.rowids.get(table, 0)
        return found

    def _held_before_birth(self, table: str) -> int:
        """The highest rowid of `table` the store held when its first mark was left (0: that mark is gone): rows
        nobody counted, judged by their own times against the credible now."""
        return next((mark.rowids.get(table, 0) for mark in self.marks if mark.birth), 0)

    def past(self, table: str, when: str, keep: timedelta, *, reuses_rowids: bool = False) -> tuple[str, tuple]:
        """A condition (SQL and its arguments) for the rows of `table` past `keep`; `when` is the column (or
        expression) holding each row's own time, in Tokyo ISO form.

        `reuses_rowids`: a table without AUTOINCREMENT, where SQLite would give a new row the rowid of the highest
        one if that were deleted; its highest row is therefore never removed, so no new row is taken for an old one.
        """
        seconds = keep.total_seconds()
        where = "rowid <= ?"  # written twice `keep` ago: gone, whatever the wall clock says
        arguments: list[object] = [self.written_before(table, 2 * seconds)]
        credible = self.credible_now()
        if credible is not None:
            # Written `keep` ago (or before the first mark), and old by its own time before the credible now.
            where = f"(({when}) < ? AND rowid <= ?) OR {where}"
            written = max(self.written_before(table, seconds), self._held_before_birth(table))
            arguments = [local(credible - keep).isoformat(), written, *arguments]
        if reuses_rowids:
            where = f"({where}) AND rowid < (SELECT MAX(rowid) FROM {table})"
        return f"({where})", tuple(arguments)

    def ended(self, when: str, keep: timedelta) -> tuple[str, tuple] | None:
        """A condition for rows whose time (`when`: a booking's end, not when the row was written) is past `keep`
        before the credible now; None when no wall reading is believed."""
        credible = self.credible_now()
        return None if credible is None else (f"({when}) < ?", (local(credible - keep).isoformat(),))


class ObservedTime:
    """A store's observed elapsed time and its marks (the tables OBSERVED_SCHEMA makes in the store)."""

    def __init__(self, store: SqliteStore) -> None:
        self.store = store
        self.epoch = monotonic_epoch(store.clock)  # read once: a clock without an epoch of its own gets a fresh one
        with store.transaction() as db:
            for statement in filter(str.strip, OBSERVED_SCHEMA.split(";")):
                db.execute(statement)

    def _advance(self, db: sqlite3.Connection) -> float:
        """Add the monotonic time since the last reading, if it was taken in this epoch (boot); the elapsed time."""
        mono = self.store.clock.monotonic()
        row = db.execute("SELECT elapsed, epoch, mono FROM observed_clock WHERE id = 1").fetchone()
        elapsed = 0.0
        if row is not None:
            elapsed = row[0] + (mono - row[2] if row[1] == self.epoch and mono > row[2] else 0.0)
        db.execute(
            "INSERT OR REPLACE INTO observed_clock (id, elapsed, epoch, mono) VALUES (1, ?, ?, ?)",
            (elapsed, self.epoch, mono),
        )
        return elapsed

    @staticmethod
    def _marks(db: sqlite3.Connection) -> list[Mark]:
        """The marks kept, oldest first."""
        return [
            Mark(elapsed, datetime.fromisoformat(wall) if wall else None, json.loads(rowids), bool(birth))
            for elapsed, wall, rowids, birth in db.execute(
                "SELECT elapsed, wall, rowids, birth FROM observed_mark ORDER BY elapsed"
            )
        ]

    @staticmethod
    def _rowids(db: sqlite3.Connection) -> dict[str, int]:
        """Each table's highest rowid now."""
        found = {}
        for (table,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall():
            if table in UNMARKED or table.startswith("sqlite_"):
                continue
            try:
                found[table] = db.execute(f'SELECT COALESCE(MAX(rowid), 0) FROM "{table}"').fetchone()[0]
            except sqlite3.OperationalError:  # a table WITHOUT ROWID: none of its rows is aged by marks
                continue
        return found

    def _leave_mark(self, db: sqlite3.Connection, marks: list[Mark], elapsed: float, wall: datetime | None) -> None:
        """Record a mark (in the caller's transaction: no row is written between the reading and the rowids)."""
        mark = Mark(elapsed, wall, self._rowids(db), birth=not marks)
        db.execute(
            "INSERT OR REPLACE INTO observed_mark (elapsed, wall, rowids, birth) VALUES (?, ?, ?, ?)",
            (elapsed, wall.isoformat() if wall else None, json.dumps(mark.rowids), int(mark.birth)),
        )
        marks.append(mark)

    def begin(self, wall: datetime | None) -> None:
        """Read the elapsed time, and leave the store's first mark if it has none (at a program's start, before it
        writes anything: whatever the store holds then was written before anyone counted)."""
        with self.store.transaction() as db:
            elapsed = self._advance(db)
            marks = self._marks(db)
            if not marks:
                self._leave_mark(db, marks, elapsed, wall)

    def round(self, wall: datetime | None, longest: timedelta) -> Ages:
        """A retention round: read the elapsed time, leave a mark (the first one, or one due), forget the marks no
        age up to twice `longest` needs; how this round judges age."""
        window = 2 * longest.total_seconds()
        with self.store.transaction() as db:
            elapsed = self._advance(db)
            marks = self._marks(db)
            if not marks or elapsed - marks[-1].elapsed >= max(MARK_SECONDS, window / MAX_MARKS):
                self._leave_mark(db, marks, elapsed, wall)
            # The newest mark at least `window` old answers every age asked; older ones answer nothing more.
            oldest = max((m.elapsed for m in marks if m.elapsed <= elapsed - window), default=None)
            if oldest is not None:
                db.execute("DELETE FROM observed_mark WHERE elapsed < ?", (oldest,))
                marks = [m for m in marks if m.elapsed >= oldest]
        return Ages(elapsed, wall, tuple(marks))

    def exported(self, names: list[str], elapsed: float) -> None:
        """Rows were appended to these export files at this elapsed time."""
        with self.store.transaction() as db:
            db.executemany(
                "INSERT OR REPLACE INTO audit_export (name, elapsed) VALUES (?, ?)", [(n, elapsed) for n in names]
            )

    def drop_old_exports(self, folder: Path, keep: timedelta, ages: Ages) -> int:
        """Delete the export files whose every row is past `keep` since its export, judged as rows are (observed
        time since rows were last appended, and the file's day before the credible now; or twice `keep` observed);
        how many. A file no record vouches for (an older version's, a lost store's) is counted from now."""
        seconds = keep.total_seconds()
        credible = ages.credible_now()
        with self.store.transaction() as db:
            known = dict(db.execute("SELECT name, elapsed FROM audit_export").fetchall())
            present = {file.name: file for file in folder.glob("*.jsonl")} if folder.exists() else {}
            db.executemany("DELETE FROM audit_export WHERE name = ?", [(n,) for n in known if n not in present])
            db.executemany(
                "INSERT INTO audit_export (name, elapsed) VALUES (?, ?)",
                [(n, ages.elapsed) for n in present if n not in known],
            )
        gone = 0
        for name, file in sorted(present.items()):
            observed = ages.elapsed - known.get(name, ages.elapsed)
            day = _file_day(file)
            wall_old = credible is not None and day is not None and day < (local(credible) - keep).date()
            if observed >= 2 * seconds or (observed >= seconds and wall_old):
                file.unlink()
                with self.store.transaction() as db:
                    db.execute("DELETE FROM audit_export WHERE name = ?", (name,))
                gone += 1
        return gone


def _file_day(file: Path) -> date | None:
    """The day an export file is named by, if it is named by one."""
    try:
        return date.fromisoformat(file.stem)
    except ValueError:
        return None


_observed: weakref.WeakKeyDictionary[SqliteStore, ObservedTime] = weakref.WeakKeyDictionary()


def observed_time(store: SqliteStore) -> ObservedTime:
    """The store's observed time, one per open store (its epoch is read once)."""
    found = _observed.get(store)
    if found is None:
        found = _observed[store] = ObservedTime(store)
    return found


def retention_round(store: SqliteStore, now: datetime, trusted: bool, longest: timedelta) -> Ages:
    """Begin a round on a store: `now` is the wall clock, `trusted` whether the site's clock check believes it."""
    if not trusted:
        log.warning(
            "retention does not believe the wall clock (%s): only what is past twice its retention by observed "
            "time goes",
            now.isoformat(),
        )
    return observed_time(store).round(now if trusted else None, longest)


def retain_shared(
    store: ReservationStore, now: datetime, keep: timedelta, export_days: int, ages: Ages
) -> dict[str, int]:
    """What every program's store forgets alike: bookings long over, expired token ids, the old audit (exported
    first, then its old files); then the freed pages go back to the file system. Call after the program's own."""
    folder = store.path.parent / "audit"
    observed = observed_time(store)
    exported = store.export_audit(folder, *ages.past("audit", "at", keep))
    observed.exported(list(exported), ages.elapsed)
    ended = ages.ended("ends_at", keep)
    credible = ages.credible_now()
    done = {
        "reservations": store.delete_in_batches("reservation", *ended) if ended else 0,
        "seen_ids": store.seen.forget_expired(credible.timestamp()) if credible else 0,
        "audit_exported": sum(exported.values()),
        "audit_files_dropped": observed.drop_old_exports(folder, timedelta(days=export_days), ages),
    }
    store.compact()
    return done


class RetentionLoop(BackgroundLoop):
    """Every hour: purge what is past retention, export and rotate the audit, compact the file.

    Given the program's store, it starts the store's observed time when it is made, before the program writes.
    """

    name = "retention"

    def __init__(
        self,
        purge: Callable[[datetime], dict[str, int]],
        clock: Clock,
        interval: float = RETENTION_SECONDS,
        *,
        store: SqliteStore | None = None,
        trust: ClockTrust | None = None,
    ) -> None:
        super().__init__()
        self.purge = purge
        self.clock = clock
        self.interval = interval
        self.last: dict[str, int] = {}
        if store is not None:
            now = clock.now()
            observed_time(store).begin(now if trust is None or trust.trusted(now) else None)

    def cycle(self) -> float:
        """One purge; what went is logged."""
        began = time.monotonic()
        self.last = self.purge(self.clock.now())
        if any(self.last.values()):
            log.info("retention removed %s in %.1f s", self.last, time.monotonic() - began)
        return self.interval
