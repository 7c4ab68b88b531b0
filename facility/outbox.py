"""The outbox: what must reach the platform exactly once, however long the platform is away.

The kiosk's check-ins and lockd's decisions at door readers leave through one. An item is written in the same
transaction as what it reports (so a crash keeps both or neither) and keeps its idempotency key across retries;
failures back off exponentially with jitter (honouring Retry-After). What an answer means (facility/platform.py):
- the documented answer naming the item's key: sent;
- no answer, 429, 5xx, a 2xx that is not the documented answer: retried later;
- 401 or 403: the facility's credentials need attention: the item stays queued, staff see the alarm, nothing
  becomes a dead letter because of it;
- 400, 409, 413, 422: the item itself is wrong: a dead letter staff see and can requeue;
- anything else (404 of an unknown facility...): retried, and reported.
"""

from __future__ import annotations

import json
import logging
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from pydantic import BaseModel

from facility.clock import Clock
from facility.loop import BackgroundLoop
from facility.platform import PlatformClient, PlatformError, backoff_delay
from facility.store import SqliteStore

log = logging.getLogger(__name__)
IDLE_SECONDS = 60.0
MAX_WAIT = 300.0  # the back-off's cap, which also bounds any Retry-After

OUTBOX_SCHEMA = """
CREATE TABLE IF NOT EXISTS outbox (
    key TEXT PRIMARY KEY, path TEXT NOT NULL, body TEXT NOT NULL, state TEXT NOT NULL, attempts INTEGER NOT NULL,
    next_at REAL NOT NULL, last_error TEXT NOT NULL DEFAULT '', created_at TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS outbox_state ON outbox (state, next_at);
"""
_COLUMNS = "key, path, body, state, attempts, next_at, last_error"


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
class OutboxStatus:
    """What staff see of the link to the platform."""

    queued: int
    dead: int
    reachable: bool
    last_error: str
    credentials: bool = False  # the platform refuses the facility's credentials (401/403)


class OutboxTable(SqliteStore):
    """The outbox table of a store (its schema includes OUTBOX_SCHEMA)."""

    @staticmethod
    def enqueue(db: sqlite3.Connection, key: str, path: str, body: BaseModel, now: float, at: datetime) -> None:
        """Queue one request inside the caller's transaction, due at once."""
        db.execute(
            "INSERT INTO outbox VALUES (?,?,?,?,?,?,?,?)",
            (key, path, body.model_dump_json(exclude_none=True), "queued", 0, now, "", at.isoformat()),
        )

    def outbox(self, state: str | None = None) -> list[OutboxItem]:
        """Outbox items, oldest first, of one state if given."""
        query = f"SELECT {_COLUMNS} FROM outbox"
        with self._lock:
            rows = self.db.execute(
                query + (" WHERE state = ?" if state else "") + " ORDER BY created_at, key", (state,) if state else ()
            ).fetchall()
        return [OutboxItem(k, p, json.loads(b), s, a, n, e) for k, p, b, s, a, n, e in rows]

    def next_due(self) -> OutboxItem | None:
        """The queued item due soonest (through the state index: sent items are never read)."""
        with self._lock:
            row = self.db.execute(
                f"SELECT {_COLUMNS} FROM outbox WHERE state = 'queued' ORDER BY next_at LIMIT 1"
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


class OutboxSender(BackgroundLoop):
    """Sends queued items on a background thread; waits on an event, never a bare sleep."""

    name = "outbox"
    what = "item"  # how log lines name an item ("check-in", "door decision")

    def __init__(
        self,
        store: OutboxTable,
        client: PlatformClient,
        clock: Clock,
        body: type[BaseModel],
        recorded: type[BaseModel],
        on_status: Callable[[OutboxStatus], None] = lambda status: None,
    ) -> None:
        super().__init__()
        self.store = store
        self.client = client
        self.clock = clock
        self.body = body  # the contract's model of what is sent, and of the answer that names its key
        self.recorded = recorded
        self.on_status = on_status
        self.reachable = True
        self.failing = ""
        self.credentials = False

    def now(self) -> float:
        """Seconds on the injected wall clock: due times are kept in these."""
        return self.clock.now().timestamp()

    def retry_dead_letters(self) -> int:
        """Staff put dead letters back in the queue (after the cause was fixed); returns how many."""
        dead = self.store.outbox("dead")
        for item in dead:
            self.store.settle(item.key, "queued", 0, self.now(), item.last_error)
        self.wake()
        return len(dead)

    def problem(self) -> str:
        """Why items are not reaching the platform now ("" when they are)."""
        return self.failing

    def status(self) -> OutboxStatus:
        """The queue as staff see it."""
        return OutboxStatus(
            self.store.outbox_count("queued"),
            self.store.outbox_count("dead"),
            self.reachable,
            self.failing,
            self.credentials,
        )

    def cycle(self) -> float:
        """Send what is due and report; wait until the next item is due (or a wake-up)."""
        try:
            self._send_due()
        finally:
            self.on_status(self.status())  # a round that raised is reported too
        due = self.store.next_due()
        return min(IDLE_SECONDS, max(0.0, due.next_at - self.now())) if due else IDLE_SECONDS  # a parked item: 60 s

    def _send_due(self) -> None:
        """Send every item that is due now, soonest first, until one fails for want of the platform.

        No wait is ever longer than MAX_WAIT: an item due further ahead was parked by a wall clock that
        has since been stepped back, and is due now."""
        while not self.stopping:
            due = self.store.next_due()
            if due is None or self.now() < due.next_at <= self.now() + MAX_WAIT or not self._send(due):
                return

    def _send(self, item: OutboxItem) -> bool:
        """One try; False when sending more now would not help (stop for now)."""
        try:
            self.body.model_validate(item.body)
        except ValueError as exc:  # a kept body the contract does not allow: it can never be sent as it is
            self._dead(item, f"not a {self.what} the platform accepts: {exc}")
            return True
        try:  # the body exactly as kept: a retry must match what the platform may already hold under this key
            recorded = self.client.call(
                "POST", item.path, self.recorded, item.body, headers={"Idempotency-Key": item.key}
            )
            named = recorded.model_dump().get("idempotency_key")
            if named != item.key:
                raise PlatformError(
                    200, "bad_answer", f"the answer names another {self.what} ({named})", retryable=True
                )
        except PlatformError as exc:
            return self._failed(item, exc)
        self.store.settle(item.key, "sent", item.attempts + 1, self.now())
        self._note(True, "", credentials=False)
        return True

    def _failed(self, item: OutboxItem, exc: PlatformError) -> bool:
        """A dead letter only when the platform says the item itself is wrong; else keep it for later."""
        if exc.final:
            self._dead(item, str(exc))
            self._note(True, "", credentials=False)
            return True
        attempts = item.attempts + 1
        self.store.settle(
            item.key,
            "queued",
            attempts,
            self.now() + backoff_delay(attempts, cap=MAX_WAIT, at_least=exc.retry_after),
            str(exc),
        )
        if exc.credentials:
            log.error("the platform refuses this facility's credentials (%s): %ss stay queued", exc, self.what)
        self._note(exc.status != 0, str(exc), credentials=exc.credentials)
        return False

    def _dead(self, item: OutboxItem, error: str) -> None:
        """Keep an item the platform will never take as a dead letter for staff."""
        log.error("%s %s refused for good: %s", self.what, item.key, error)
        self.store.settle(item.key, "dead", item.attempts + 1, self.now(), error)

    def _note(self, reachable: bool, error: str, credentials: bool) -> None:
        """Remember whether the platform answered, and what is wrong."""
        self.reachable = reachable
        self.failing = error
        self.credentials = credentials
