"""Durable local state in SQLite, committed before anything acts on it.

A store knows when it began (its epoch) and has an identity that a marker file outside its
folder remembers, so a store that was deleted, truncated or replaced is noticed at start
(docs/faults.md, 'Losing the store'); tokens issued before the epoch are refused.
"""

from __future__ import annotations

import json
import logging
import math
import os
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Protocol, TypeVar

from facility.clock import Clock, SystemClock, monotonic_epoch
from facility.rules.calendar import TOKYO

log = logging.getLogger(__name__)
T = TypeVar("T")
PURGE_BATCH = 2000


def open_database(path: str | Path) -> sqlite3.Connection:
    """A connection in WAL mode with synchronous FULL: a commit survives a power cut."""
    if str(path) != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False, timeout=10)
    db.execute("PRAGMA auto_vacuum=INCREMENTAL")  # takes effect on a new file: pages freed by retention are returned
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=FULL")
    db.execute("PRAGMA foreign_keys=ON")
    return db


def make_append_only(db: sqlite3.Connection, table: str) -> None:
    """Refuse every UPDATE and DELETE on a table (audit trails)."""
    for verb in ("UPDATE", "DELETE"):
        db.execute(
            f"CREATE TRIGGER IF NOT EXISTS {table}_no_{verb.lower()} BEFORE {verb} ON {table} "
            f"BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END"
        )


class SeenIds(Protocol):
    """Remembers token ids until they expire, so none is accepted twice."""

    def first_sighting(self, token_id: bytes, keep_until: float, now: float) -> bool:
        """Record the id; True if it had not been seen before."""


# An id is forgotten only once it has expired by the wall clock AND by elapsed monotonic time, and the store keeps
# the latest expiry it ever forgot (its horizon): a token that would be kept no later than the horizon may have been
# seen and forgotten, so it is refused as seen. A wall clock stepped forward (ids forgotten), then back (the token in
# its time again) cannot make a used token new again.


class MemorySeenIds:
    """Seen ids in memory, for tools and tests that need no durability."""

    def __init__(self, monotonic: Callable[[], float] = time.monotonic) -> None:
        self._until: dict[bytes, tuple[float, float]] = {}
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self._horizon = 0.0  # the latest expiry forgotten (see above)

    def first_sighting(self, token_id: bytes, keep_until: float, now: float) -> bool:
        """Record the id; True if it had not been seen before."""
        with self._lock:
            mono = self._monotonic()
            kept = {k: (wall, m) for k, (wall, m) in self._until.items() if wall >= now or m >= mono}
            forgotten = [wall for k, (wall, _) in self._until.items() if k not in kept]
            self._horizon = max([self._horizon, *forgotten])
            self._until = kept
            if token_id in self._until or keep_until <= self._horizon:
                return False
            self._until[token_id] = (keep_until, mono + max(0.0, keep_until - now))
            return True


class SqliteSeenIds:
    """Seen ids in SQLite, kept past their expiry (by both clocks) so neither a restart nor a clock step forgets one.

    Monotonic readings only compare within one monotonic epoch (one boot of the machine); ids from
    an earlier epoch are kept until the wall clock says they expired.
    """

    def __init__(self, db: sqlite3.Connection, clock: Clock | None = None) -> None:
        self._db = db
        self._clock = clock or SystemClock()
        self._epoch = monotonic_epoch(self._clock)
        self._lock = threading.Lock()
        db.execute("CREATE TABLE IF NOT EXISTS seen_token (id BLOB PRIMARY KEY, keep_until REAL NOT NULL)")
        newer = {"keep_mono": "REAL NOT NULL DEFAULT 0", "epoch": "TEXT NOT NULL DEFAULT ''"}
        add_columns(db, "seen_token", newer | {"sender": "TEXT NOT NULL DEFAULT ''"})
        # Every sighting forgets the expired ids first: through this index it reads only those, not the whole table.
        db.execute("CREATE INDEX IF NOT EXISTS seen_token_keep ON seen_token (keep_until)")
        # Ids another program told of, by who told (told_by): a sender's live rows are counted through this index, which
        # holds those rows only ('' is this program's own sightings).
        db.execute("CREATE INDEX IF NOT EXISTS seen_token_sender ON seen_token (sender) WHERE sender != ''")
        # The latest keep_until of an id ever forgotten: anything kept no longer than that may be among them.
        db.execute("CREATE TABLE IF NOT EXISTS seen_horizon (id INTEGER PRIMARY KEY CHECK (id = 1), until REAL)")
        # Read once, then moved by _forget alone: a sighting does not read it again. A forget rolled back leaves it
        # ahead of the table, which only refuses what had already expired when it was forgotten.
        row = db.execute("SELECT until FROM seen_horizon WHERE id = 1").fetchone()
        self._horizon: float = row[0] if row and row[0] is not None else 0.0

    def forget_expired(self, now: float) -> int:
        """Drop ids expired by both clocks (retention; first_sighting does it too); how many."""
        with self._lock:
            return self._forget(now, self._clock.monotonic())

    def _forget(self, now: float, mono: float) -> int:
        """The one rule for forgetting: expired by the wall clock, and by monotonic time within this epoch; the
        horizon moves to the latest expiry forgotten."""
        where, arguments = "keep_until < ? AND (epoch != ? OR keep_mono < ?)", (now, self._epoch, mono)
        latest = self._db.execute(f"SELECT MAX(keep_until) FROM seen_token WHERE {where}", arguments).fetchone()[0]
        if latest is None:
            return 0
        self._db.execute(
            "INSERT INTO seen_horizon (id, until) VALUES (1, ?) "
            "ON CONFLICT (id) DO UPDATE SET until = MAX(until, excluded.until)",
            (latest,),
        )
        self._horizon = max(self._horizon, latest)
        return self._db.execute(f"DELETE FROM seen_token WHERE {where}", arguments).rowcount

    def horizon(self) -> float:
        """The latest expiry of an id forgotten (0 if none was): a token kept no later may have been seen."""
        return self._horizon

    def first_sighting(self, token_id: bytes, keep_until: float, now: float) -> bool:
        """Record the id durably; True if it had not been seen before."""
        with self._lock:
            mono = self._clock.monotonic()
            self._forget(now, mono)
            if keep_until <= self.horizon():  # its id may have been seen, and forgotten while the clock ran ahead
                return False
            inserted = self._db.execute(
                "INSERT OR IGNORE INTO seen_token (id, keep_until, keep_mono, epoch) VALUES (?, ?, ?, ?)",
                (token_id, keep_until, mono + max(0.0, keep_until - now), self._epoch),
            ).rowcount
            return inserted == 1

    # What told_by did with an id another program told of.
    NEW, KNOWN, EXPIRED, SENDER_FULL, ALL_FULL = "new", "known", "expired", "sender_full", "all_full"

    def told_by(
        self, sender: str, token_id: bytes, keep_until: float, now: float, *, longest: float, quota: int, total: int
    ) -> str:
        """Record an id another program says it saw (a sibling kiosk's spent pass), within fixed bounds whatever it
        sends: kept until keep_until but never past now + longest (inf and 1e308 are cut to that), at most
        `quota` live ids from this sender and `total` from all senders together. Returns NEW (recorded), KNOWN (already
        remembered), EXPIRED (keep_until not after now, or not a number: nothing to remember), SENDER_FULL or ALL_FULL
        (refused); only NEW adds a row. An id told of expires by both clocks like any other, so a sender's quota frees
        itself as its ids expire."""
        if not sender:
            raise ValueError("an id told by another program needs its sender")
        if not now < keep_until:  # the past, -inf and nan (which compares false): nothing to remember
            return self.EXPIRED
        keep_until = min(keep_until, now + longest)  # inf and 1e308 too
        with self._lock:
            mono = self._clock.monotonic()
            self._forget(now, mono)
            if self._db.execute("SELECT 1 FROM seen_token WHERE id = ?", (token_id,)).fetchone() is not None:
                return self.KNOWN
            if self._held(sender) >= quota:
                return self.SENDER_FULL
            if self._held(None) >= total:
                return self.ALL_FULL
            self._db.execute(
                "INSERT INTO seen_token (id, keep_until, keep_mono, epoch, sender) VALUES (?, ?, ?, ?, ?)",
                (token_id, keep_until, mono + (keep_until - now), self._epoch, sender),
            )
            return self.NEW

    def held(self, sender: str | None = None) -> int:
        """How many ids told by other programs are remembered: from one sender, or (None) from all of them."""
        with self._lock:
            return self._held(sender)

    def _held(self, sender: str | None) -> int:
        """The count, through the sender index (the own sightings, sender '', are not in it)."""
        if sender is None:
            return self._db.execute("SELECT COUNT(*) FROM seen_token WHERE sender != ''").fetchone()[0]
        return self._db.execute(
            "SELECT COUNT(*) FROM seen_token WHERE sender = ? AND sender != ''", (sender,)
        ).fetchone()[0]


def add_columns(db: sqlite3.Connection, table: str, columns: dict[str, str]) -> None:
    """Add columns a newer version needs to a table an older version made."""
    present = {row[1] for row in db.execute(f"PRAGMA table_info({table})")}
    for name, definition in columns.items():
        if name not in present:
            db.execute(f"ALTER TABLE {table} ADD COLUMN {name} {definition}")


@dataclass(frozen=True)
class StoreLoss:
    """A store that is not the one the marker remembers: deleted, truncated, corrupt or replaced."""

    marker: Path
    expected_store_id: str
    expected_since: float
    found_store_id: str
    cause: str

    def describe(self) -> str:
        """One line for the log, the audit and the alarm."""
        return (
            f"{self.cause}: the store begun at {datetime.fromtimestamp(self.expected_since, TOKYO):%Y-%m-%d %H:%M:%S} "
            f"({self.expected_store_id}) is gone; a new store {self.found_store_id} began (marker {self.marker})"
        )


def marker_path(db_path: Path) -> Path:
    """Where a store's identity is remembered: beside its folder, so losing the folder is noticed too."""
    folder = Path(db_path).resolve().parent
    return folder.parent / f"{folder.name}.{Path(db_path).stem}.store-id"


META_SCHEMA = """
CREATE TABLE IF NOT EXISTS store_meta (
    id INTEGER PRIMARY KEY CHECK (id = 1), store_id TEXT NOT NULL, created_at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS cache (name TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


class SqliteStore:
    """One SQLite file (WAL, synchronous FULL) with its schema, an append-only audit, seen token ids, and transactions.

    `created_at` is the store's epoch (wall time it began); `loss` is set when the marker beside
    the store's folder remembers another store (see marker_path).
    """

    def __init__(self, path: str | Path, schema: str, clock: Clock | None = None) -> None:
        self.path = Path(path)
        self.clock = clock or SystemClock()
        corrupt = self._open(schema)
        self.store_id, self.created_at = self._epoch()
        self.seen = SqliteSeenIds(self.db, self.clock)
        self._lock = threading.RLock()
        self._parsed: dict[str, tuple[int, object]] = {}  # name -> (revision, parsed value): parsed once per change
        self._revisions: dict[str, int] = {}
        self.loss = self._check_marker(corrupt) if str(path) != ":memory:" else None
        self.began_on_loss = self._began_on_loss(self.loss is not None)

    def _open(self, schema: str) -> str:
        """Open the file and lay out its schema; a file SQLite cannot read is set aside and a new one begun."""
        try:
            self._connect(schema)
            return ""
        except sqlite3.DatabaseError as exc:
            aside = self.path.with_name(f"{self.path.name}.unreadable-{int(time.time())}")
            log.error("%s is not a readable SQLite store (%s); kept as %s, starting a new store", self.path, exc, aside)
            self.path.rename(aside)
            for suffix in ("-wal", "-shm"):
                Path(f"{self.path}{suffix}").unlink(missing_ok=True)
            self._connect(schema)
            return f"unreadable ({exc}; kept as {aside.name})"

    def _connect(self, schema: str) -> None:
        """Connect and create what is missing."""
        self.db = open_database(self.path)
        self.db.executescript(META_SCHEMA + schema)
        make_append_only(self.db, "audit")

    def _epoch(self) -> tuple[str, float]:
        """This store's id and the moment it began (written once, when the file is new)."""
        self.db.execute(
            "INSERT OR IGNORE INTO store_meta (id, store_id, created_at) VALUES (1, ?, ?)",
            (uuid.uuid4().hex, self.clock.now().timestamp()),
        )
        store_id, created_at = self.db.execute("SELECT store_id, created_at FROM store_meta WHERE id = 1").fetchone()
        return store_id, created_at

    def _began_on_loss(self, lost_now: bool) -> bool:
        """Whether this store began where another was lost: remembered in the store, so a restart a moment after
        the loss (when the marker already names this store) keeps the wider margin of issued_after."""
        add_columns(self.db, "store_meta", {"began_on_loss": "INTEGER NOT NULL DEFAULT 0"})
        if lost_now:
            # What this store remembers is trustworthy from now only (a copy put back forgot what it saw since it was
            # made), and a revocation list it kept may be older than one already acted on: fetched again first.
            self.created_at = self.clock.now().timestamp()
            self.db.execute("UPDATE store_meta SET began_on_loss = 1, created_at = ? WHERE id = 1", (self.created_at,))
            self.db.execute("DELETE FROM cache WHERE name = 'revocations'")
        return bool(self.db.execute("SELECT began_on_loss FROM store_meta WHERE id = 1").fetchone()[0])

    def issued_after(self, skew: float) -> float:
        """The earliest not-before a token may carry to be judged here (tokens carry whole seconds).

        A store that began where another was lost (its marker remembers one) may have let a token through before it
        began, at any fraction of that second: it accepts from its epoch plus the clock skew allowed (an issuer whose
        clock runs ahead by `skew` signs a token used before the loss with a not-before up to `skew` after it). A
        store with no predecessor has no use to forget: it accepts from the second it began."""
        return self.created_at + skew if self.began_on_loss else float(math.floor(self.created_at))

    def _check_marker(self, corrupt: str) -> StoreLoss | None:
        """Compare with the marker outside the store's folder, then make the marker name this store and this start.

        The marker remembers the store's id and how many times it was opened (its generation, also kept in the store,
        written there first): a store whose generation is behind the marker's is an earlier copy of itself put back
        (a backup, an image), which forgot what it saw since, as surely as a deleted one. An unreadable marker (it is
        replaced atomically, so only a hand or a failing disk makes one) counts as a loss too."""
        marker = marker_path(self.path)
        loss = None
        known: dict = {}
        try:
            known = json.loads(marker.read_text())
            if not isinstance(known, dict):
                raise ValueError("not an object")
            loss = self._compare(marker, known, corrupt)
        except FileNotFoundError:
            pass
        except (ValueError, OSError, AttributeError) as exc:
            log.warning("store marker %s unreadable (%s); writing it anew", marker, exc)
            loss = StoreLoss(marker, "?", 0.0, self.store_id, f"its marker was unreadable ({exc})")
        if loss is not None:
            log.error("%s", loss.describe())
        generation = self._next_generation(known)
        try:
            _write_atomically(
                marker,
                json.dumps(
                    {
                        "store_id": self.store_id,
                        "created_at": self.created_at,
                        "generation": generation,
                        "store": str(self.path.resolve()),
                    }
                ),
            )
        except OSError as exc:  # the epoch still guards replays; only the next loss would go unnoticed
            log.error("cannot write the store marker %s (%s): a lost store would not be noticed", marker, exc)
        return loss

    def _compare(self, marker: Path, known: dict, corrupt: str) -> StoreLoss | None:
        """The loss the marker shows: another store, or this store at an earlier generation; None when it is this."""
        since = float(known.get("created_at", 0))
        if known.get("store_id") != self.store_id:
            cause = corrupt or ("missing or emptied" if self._fresh else "replaced by another store")
            return StoreLoss(marker, str(known.get("store_id")), since, self.store_id, cause)
        remembered = int(known.get("generation", 0))
        if remembered > self._generation():
            cause = f"rolled back to an earlier copy of itself (opened {self._generation()} times, not {remembered})"
            return StoreLoss(marker, self.store_id, since, self.store_id, cause)
        return None

    def _generation(self) -> int:
        """How many times this store was opened, as it remembers."""
        add_columns(self.db, "store_meta", {"generation": "INTEGER NOT NULL DEFAULT 0"})
        return int(self.db.execute("SELECT generation FROM store_meta WHERE id = 1").fetchone()[0])

    def _next_generation(self, known: dict) -> int:
        """Count this opening, in the store first (durably), then in the marker: a crash between leaves the store
        ahead of the marker, which is never taken for a rollback."""
        try:
            remembered = int(known.get("generation", 0))
        except (TypeError, ValueError):
            remembered = 0
        generation = max(self._generation(), remembered) + 1
        self.db.execute("UPDATE store_meta SET generation = ? WHERE id = 1", (generation,))
        return generation

    @property
    def _fresh(self) -> bool:
        """True when the store began just now (nothing but its epoch in it)."""
        return abs(self.clock.now().timestamp() - self.created_at) < 60

    @contextmanager
    def transaction(self, durable: bool = True) -> Iterator[sqlite3.Connection]:
        """One atomic write: durable (fsynced) by default; with durable=False it survives this process dying but
        not the machine losing power until the next durable commit (its WAL frames are written, not synced)."""
        with self._lock:
            if not durable:
                self.db.execute("PRAGMA synchronous=NORMAL")
            try:
                self.db.execute("BEGIN IMMEDIATE")
                try:
                    yield self.db
                except BaseException:
                    self.db.execute("ROLLBACK")
                    raise
                self.db.execute("COMMIT")
            finally:
                if not durable:
                    self.db.execute("PRAGMA synchronous=FULL")

    def cached(self, name: str, default: object) -> object:
        """A value fetched from the platform earlier (keys, revocations), as it was validated then."""
        with self._lock:
            row = self.db.execute("SELECT value FROM cache WHERE name = ?", (name,)).fetchone()
        return json.loads(row[0]) if row else default

    def cache(self, name: str, value: object) -> None:
        """Keep a value fetched from the platform (after validating it)."""
        with self.transaction() as db:
            db.execute("INSERT OR REPLACE INTO cache (name, value) VALUES (?, ?)", (name, json.dumps(value)))
            self._revisions[name] = self._revisions.get(name, 0) + 1

    def cached_as(self, name: str, default: object, parse: Callable[[object], T]) -> T:
        """A cached value parsed, reparsed only after it changes: a long revocation list is not read again for
        every pass and every command (this process is the only writer of its cache)."""
        with self._lock:
            revision = self._revisions.get(name, 0)
            memo = self._parsed.get(name)
            if memo is not None and memo[0] == revision:
                return memo[1]  # type: ignore[return-value]
            value = parse(self.cached(name, default))
            self._parsed[name] = (revision, value)
            return value

    def export_audit(self, folder: Path, where: str, arguments: tuple) -> dict[str, int]:
        """Move the audit rows matching `where` (SQL on the audit table) to JSON-lines files in folder, each row to
        the file of the day it was written (`<YYYY-MM-DD>.jsonl`, by its own time in Tokyo); how many rows went to
        each file.

        A file is only ever appended to, never truncated or replaced (a last line a crash cut short is ended
        first), and the rows are written and synced, with the folder, before they leave the store: a crash in
        between keeps them twice at worst, never nowhere. PURGE_BATCH rows at a time; the append-only triggers
        are lifted for each batch's delete only.
        """
        written: dict[str, int] = {}
        after = 0
        with self._lock:
            while True:
                cursor = self.db.execute(
                    f"SELECT * FROM audit WHERE seq > ? AND ({where}) ORDER BY seq LIMIT {PURGE_BATCH}",
                    (after, *arguments),
                )
                names = [column[0] for column in cursor.description]
                rows = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
                if not rows:
                    return written
                by_day: dict[str, list[dict]] = {}
                for row in rows:
                    by_day.setdefault(self._audit_day(row.get("at")), []).append(row)
                self._append_synced(folder, by_day)
                with self.transaction() as db:
                    for verb in ("update", "delete"):
                        db.execute(f"DROP TRIGGER IF EXISTS audit_no_{verb}")
                    db.execute(
                        f"DELETE FROM audit WHERE seq BETWEEN ? AND ? AND ({where})",
                        (rows[0]["seq"], rows[-1]["seq"], *arguments),
                    )
                    make_append_only(db, "audit")
                for day, kept in by_day.items():
                    written[f"{day}.jsonl"] = written.get(f"{day}.jsonl", 0) + len(kept)
                if len(rows) < PURGE_BATCH:
                    return written
                after = rows[-1]["seq"]

    def delete_in_batches(self, table: str, where: str, arguments: tuple) -> int:
        """Delete the matching rows a few thousand per transaction, so a large purge never holds the store for long
        (lockd decides commands between the batches); how many went."""
        gone = 0
        while True:
            with self.transaction() as db:
                batch = db.execute(
                    f"DELETE FROM {table} WHERE rowid IN (SELECT rowid FROM {table} WHERE {where} LIMIT {PURGE_BATCH})",
                    arguments,
                ).rowcount
            gone += batch
            if batch < PURGE_BATCH:
                return gone

    def compact(self) -> None:
        """Give the pages retention freed back to the file system.

        A store made before incremental auto-vacuum keeps its size instead (SQLite reuses the freed
        pages, so it stays bounded all the same): converting it would take a full VACUUM, which holds
        the store for seconds on a year of rows.
        """
        with self._lock:
            if self.db.execute("PRAGMA auto_vacuum").fetchone()[0] == 2:
                self.db.executescript("PRAGMA incremental_vacuum;")  # execute() would free one page only
            self.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    def file_bytes(self) -> int:
        """The store's size on disk: the database and its write-ahead log."""
        return sum(
            Path(f"{self.path}{suffix}").stat().st_size
            for suffix in ("", "-wal")
            if Path(f"{self.path}{suffix}").exists()
        )

    def close(self) -> None:
        """Close the file."""
        with self._lock:
            self.db.close()

    @staticmethod
    def _audit_day(at: object) -> str:
        """The day (in Tokyo) an audit row was written, by its own time: its export file's name."""
        try:
            moment = datetime.fromisoformat(str(at))
        except ValueError:
            return "undated"
        return (moment if moment.tzinfo else moment.replace(tzinfo=TOKYO)).astimezone(TOKYO).date().isoformat()

    @staticmethod
    def _append_synced(folder: Path, by_day: dict[str, list[dict]]) -> None:
        """Append rows to their day's file, each file and then the folder synced; nothing already there is touched."""
        folder.mkdir(parents=True, exist_ok=True)
        for day, rows in by_day.items():
            path = folder / f"{day}.jsonl"
            torn = False
            if path.exists() and path.stat().st_size:
                with open(path, "rb") as existing:
                    existing.seek(-1, os.SEEK_END)
                    torn = existing.read(1) != b"\n"
            with open(path, "ab") as out:
                if torn:  # a line a crash cut short keeps what it has, on a line of its own
                    out.write(b"\n")
                out.write("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows).encode())
                out.flush()
                os.fsync(out.fileno())
        directory = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(directory)  # a new file's name survives a power cut too
        finally:
            os.close(directory)


def _write_atomically(path: Path, text: str) -> None:
    """Replace a small file so that a crash leaves the old or the new one, never half of either."""
    path.parent.mkdir(parents=True, exist_ok=True)
    scratch = path.with_name(path.name + ".tmp")
    with open(scratch, "w") as out:
        out.write(text)
        out.flush()
        os.fsync(out.fileno())
    os.replace(scratch, path)
