"""Durable local state in SQLite, committed before anything acts on it."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Protocol


def open_database(path: str | Path) -> sqlite3.Connection:
    """A connection in WAL mode with synchronous FULL: a commit survives a power cut."""
    if str(path) != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False, timeout=10)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=FULL")
    db.execute("PRAGMA foreign_keys=ON")
    return db


def make_append_only(db: sqlite3.Connection, table: str) -> None:
    """Refuse every UPDATE and DELETE on a table (audit trails)."""
    for verb in ("UPDATE", "DELETE"):
        db.execute(f"CREATE TRIGGER IF NOT EXISTS {table}_no_{verb.lower()} BEFORE {verb} ON {table} "
                   f"BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END")


class SeenIds(Protocol):
    """Remembers token ids until they expire, so none is accepted twice."""

    def first_sighting(self, token_id: bytes, keep_until: float, now: float) -> bool:
        """Record the id; True if it had not been seen before."""


class MemorySeenIds:
    """Seen ids in memory, for tools and tests that need no durability."""

    def __init__(self) -> None:
        self._until: dict[bytes, float] = {}
        self._lock = threading.Lock()

    def first_sighting(self, token_id: bytes, keep_until: float, now: float) -> bool:
        """Record the id; True if it had not been seen before."""
        with self._lock:
            self._until = {k: t for k, t in self._until.items() if t >= now}
            if token_id in self._until:
                return False
            self._until[token_id] = keep_until
            return True


class SqliteSeenIds:
    """Seen ids in SQLite, kept past their expiry so a restart forgets none."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db
        self._lock = threading.Lock()
        db.execute("CREATE TABLE IF NOT EXISTS seen_token (id BLOB PRIMARY KEY, keep_until REAL NOT NULL)")

    def first_sighting(self, token_id: bytes, keep_until: float, now: float) -> bool:
        """Record the id durably; True if it had not been seen before."""
        with self._lock:
            self._db.execute("DELETE FROM seen_token WHERE keep_until < ?", (now,))
            inserted = self._db.execute(
                "INSERT OR IGNORE INTO seen_token (id, keep_until) VALUES (?, ?)", (token_id, keep_until)
            ).rowcount
            return inserted == 1


class SqliteStore:
    """One SQLite file (WAL, synchronous FULL) with its schema, an append-only audit, seen token ids, and transactions."""

    def __init__(self, path: str | Path, schema: str) -> None:
        self.db = open_database(path)
        self.db.executescript(schema)
        make_append_only(self.db, "audit")
        self.seen = SqliteSeenIds(self.db)
        self._lock = threading.RLock()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One atomic, durable write."""
        with self._lock:
            self.db.execute("BEGIN IMMEDIATE")
            try:
                yield self.db
            except BaseException:
                self.db.execute("ROLLBACK")
                raise
            self.db.execute("COMMIT")

    def close(self) -> None:
        """Close the file."""
        with self._lock:
            self.db.close()
