"""The reservation cache a site keeps from the platform, and the loop that keeps it in step.

lockd's doors and the kiosk of a staffed meeting room both decide from it: on start, on a
schedule and on a change notice it pulls the changes since its cursor. While the platform is
unreachable the cache keeps serving; past the staleness limit an alarm goes up (and down
again after the next good sync), and refusals say why.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path

from facility.clock import Clock
from facility.loop import BackgroundLoop
from facility.models import Plan, Reservation
from facility.platform import Backoff, PlatformClient, PlatformError
from facility.rules.calendar import local
from facility.store import SqliteStore, add_columns
from facility.tokens import Revocations

log = logging.getLogger(__name__)

RESERVATION_SCHEMA = """
CREATE TABLE IF NOT EXISTS reservation (
    reservation_id INTEGER PRIMARY KEY, room_id TEXT NOT NULL, member_id INTEGER NOT NULL, plan TEXT NOT NULL,
    starts_at TEXT NOT NULL, ends_at TEXT NOT NULL, cancelled INTEGER NOT NULL, guests INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS reservation_member ON reservation (member_id);
CREATE TABLE IF NOT EXISTS sync (
    id INTEGER PRIMARY KEY CHECK (id = 1), cursor INTEGER NOT NULL, last_ok TEXT, revocations TEXT NOT NULL DEFAULT '{}');
INSERT OR IGNORE INTO sync (id, cursor, last_ok) VALUES (1, 0, NULL);
"""
_COLUMNS = "reservation_id, room_id, member_id, starts_at, ends_at, cancelled, guests, plan"


@dataclass(frozen=True)
class SyncState:
    """Where the reservation sync stands."""

    cursor: int
    last_ok: datetime | None
    revocations: Revocations


def reservation_from_answer(item: object) -> Reservation:
    """One reservation of the platform's answer, checked field by field; TypeError or ValueError when it is not one."""
    if not isinstance(item, dict):
        raise TypeError("a reservation is not an object")
    try:
        starts, ends = datetime.fromisoformat(item["starts_at"]), datetime.fromisoformat(item["ends_at"])
        reservation = Reservation(int(item["reservation_id"]), str(item["room_id"]), int(item["member_id"]), starts, ends,
                                  bool(item["cancelled"]), int(item.get("guests", 0)), Plan(item["plan"]))
    except (KeyError, TypeError) as exc:
        raise ValueError(f"a reservation lacks or mistypes {exc}") from None
    if starts.tzinfo is None or ends.tzinfo is None or ends <= starts or reservation.guests < 0:
        raise ValueError(f"reservation {reservation.reservation_id} has impossible times or guests")
    return replace(reservation, starts_at=local(starts), ends_at=local(ends))  # shown on screens in Tokyo time


def _from_row(row: tuple) -> Reservation:
    """A cached row as a reservation."""
    rid, room, member, starts, ends, cancelled, guests, plan = row
    return Reservation(rid, room, member, datetime.fromisoformat(starts), datetime.fromisoformat(ends), bool(cancelled),
                       guests, Plan(plan))


class ReservationStore(SqliteStore):
    """A SqliteStore that also keeps the reservation cache and the sync state (lockd's and the kiosk's stores)."""

    def __init__(self, path: str | Path, schema: str, clock: Clock | None = None) -> None:
        super().__init__(path, schema + RESERVATION_SCHEMA, clock)
        add_columns(self.db, "sync", {"revocations": "TEXT NOT NULL DEFAULT '{}'"})  # a store made before key revocations

    def reservation(self, reservation_id: int) -> Reservation | None:
        """A cached reservation."""
        with self._lock:
            row = self.db.execute(f"SELECT {_COLUMNS} FROM reservation WHERE reservation_id = ?",
                                  (reservation_id,)).fetchone()
        return _from_row(row) if row else None

    def reservations_of(self, member_id: int) -> list[Reservation]:
        """The member's cached reservations, earliest first (through the member index)."""
        with self._lock:
            rows = self.db.execute(f"SELECT {_COLUMNS} FROM reservation WHERE member_id = ? ORDER BY starts_at",
                                   (member_id,)).fetchall()
        return [_from_row(row) for row in rows]

    def apply_changes(self, reservations: list[Reservation], cursor: int, at: datetime, revocations: Revocations) -> None:
        """Store a sync's result: changed reservations, the new cursor, revocations (keys too), and when."""
        rows = [(r.reservation_id, r.room_id, r.member_id, r.plan.value, r.starts_at.isoformat(), r.ends_at.isoformat(),
                 int(r.cancelled), r.guests) for r in reservations]
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


class ReservationSync(BackgroundLoop):
    """Pulls reservation changes since the stored cursor, with back-off while the platform fails."""

    name = "reservation-sync"

    def __init__(self, client: PlatformClient, store: ReservationStore, facility_id: str, clock: Clock,
                 interval: float, stale_after: timedelta, on_stale_change: Callable[[bool], None]) -> None:
        super().__init__()
        self.client = client
        self.store = store
        self.facility_id = facility_id
        self.clock = clock
        self.interval = interval
        self.stale_after = stale_after
        self.on_stale_change = on_stale_change
        self.backoff = Backoff(base=1.0, cap=min(300.0, interval))
        self.last_error = ""
        self._retry_after: float | None = None
        self._was_stale: bool | None = None
        self.synced = threading.Condition()
        self.sync_count = 0
        self.first_attempt = threading.Event()

    def trigger(self) -> None:
        """A change notice arrived: sync at once."""
        self.wake()

    def cycle(self) -> float:
        """Sync, then wait for the next time (or a notice)."""
        delay = self.interval if self.sync_once() else self._retry_delay()
        self.first_attempt.set()
        return delay

    def _retry_delay(self) -> float:
        """The back-off after a failure, honouring Retry-After."""
        return self.backoff.next_delay(self._retry_after)

    def sync_once(self) -> bool:
        """One sync: reservations since the cursor and the revocations; True on success."""
        state = self.store.sync_state()
        try:
            changes = self.client.get(f"/facilities/{self.facility_id}/reservations", since=state.cursor)
            reservations = [reservation_from_answer(item) for item in changes["reservations"]]
            revoked = Revocations.from_answer(self.client.get("/revocations"))
            self.store.apply_changes(reservations, int(changes["cursor"]), self.clock.now(), revoked)
        except (PlatformError, KeyError, TypeError, ValueError, AttributeError) as exc:
            self.last_error = str(exc)
            self._retry_after = exc.retry_after if isinstance(exc, PlatformError) else None
            log.warning("reservation sync failed: %s", exc)
            self._note_staleness()
            return False
        self.backoff.reset()
        self.last_error = ""
        self._note_staleness()
        with self.synced:
            self.sync_count += 1
            self.synced.notify_all()
        return True

    def stale(self, now: datetime | None = None) -> bool:
        """True when the cache has not been refreshed within the staleness limit."""
        last_ok = self.store.sync_state().last_ok
        return last_ok is None or (now or self.clock.now()) - last_ok > self.stale_after

    def age_seconds(self) -> float | None:
        """Seconds since the last good sync, or None if there never was one."""
        last_ok = self.store.sync_state().last_ok
        return None if last_ok is None else (self.clock.now() - last_ok).total_seconds()

    def _note_staleness(self) -> None:
        """Raise or clear the staleness alarm when it changes."""
        stale = self.stale()
        if stale != self._was_stale:
            self._was_stale = stale
            self.on_stale_change(stale)
