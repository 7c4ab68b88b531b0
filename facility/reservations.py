"""The reservation cache a site keeps from the platform, and the loop that keeps it in step.

lockd's doors and the kiosk of a staffed meeting room both decide from it: on start, on a
schedule and on a change notice it pulls the changes since its cursor, and then the revocations, so
that no booking is kept before what was withdrawn by the time it was listed. While the platform is
unreachable the cache keeps serving; past the staleness limit an alarm goes up (and down
again after the next good sync), and refusals say why.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from facility.clock import Clock
from facility.contract import (
    ReservationsAnswer,
    listed_id,
    read_reservation,
    reservations_path,
)
from facility.loop import BackgroundLoop
from facility.models import Plan, Reservation
from facility.platform import Backoff, PlatformClient, PlatformError
from facility.rules.calendar import local
from facility.store import SqliteStore

log = logging.getLogger(__name__)

RESERVATION_SCHEMA = """
CREATE TABLE IF NOT EXISTS reservation (
    reservation_id INTEGER PRIMARY KEY, room_id TEXT NOT NULL, member_id INTEGER NOT NULL, plan TEXT NOT NULL,
    starts_at TEXT NOT NULL, ends_at TEXT NOT NULL, cancelled INTEGER NOT NULL, guests INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS reservation_member ON reservation (member_id);
CREATE INDEX IF NOT EXISTS reservation_end ON reservation (ends_at);
CREATE TABLE IF NOT EXISTS sync (
    id INTEGER PRIMARY KEY CHECK (id = 1), cursor INTEGER NOT NULL, last_ok TEXT);
INSERT OR IGNORE INTO sync (id, cursor, last_ok) VALUES (1, 0, NULL);
"""
_COLUMNS = "reservation_id, room_id, member_id, starts_at, ends_at, cancelled, guests, plan"


@dataclass(frozen=True)
class SyncState:
    """Where the reservation sync stands."""

    cursor: int
    last_ok: datetime | None


def _from_row(row: tuple) -> Reservation:
    """A cached row as a reservation."""
    rid, room, member, starts, ends, cancelled, guests, plan = row
    return Reservation(
        rid,
        room,
        member,
        datetime.fromisoformat(starts),
        datetime.fromisoformat(ends),
        bool(cancelled),
        guests,
        Plan(plan),
    )


class ReservationStore(SqliteStore):
    """A SqliteStore that also keeps the reservation cache and the sync state (lockd's and the kiosk's stores)."""

    def __init__(self, path: str | Path, schema: str, clock: Clock | None = None) -> None:
        super().__init__(path, schema + RESERVATION_SCHEMA, clock)

    def reservation(self, reservation_id: int) -> Reservation | None:
        """A cached reservation."""
        with self._lock:
            row = self.db.execute(
                f"SELECT {_COLUMNS} FROM reservation WHERE reservation_id = ?", (reservation_id,)
            ).fetchone()
        return _from_row(row) if row else None

    def reservations_of(self, member_id: int) -> list[Reservation]:
        """The member's cached reservations, earliest first (through the member index)."""
        with self._lock:
            rows = self.db.execute(
                f"SELECT {_COLUMNS} FROM reservation WHERE member_id = ? ORDER BY starts_at", (member_id,)
            ).fetchall()
        return [_from_row(row) for row in rows]

    def reservations_running(self, now: datetime) -> list[Reservation]:
        """Live bookings whose time includes now (through the end index)."""
        moment = local(now).isoformat()
        with self._lock:
            rows = self.db.execute(
                f"SELECT {_COLUMNS} FROM reservation WHERE ends_at > ? AND starts_at <= ? "
                "AND cancelled = 0 ORDER BY starts_at",
                (moment, moment),
            ).fetchall()
        return [_from_row(row) for row in rows]

    def apply_changes(
        self, reservations: list[Reservation], cursor: int, at: datetime, unreadable: list[int] | None = None
    ) -> None:
        """Store a sync's result: changed reservations, the new cursor, and when; a changed booking that could not
        be read is forgotten (it admits no one until the platform lists it readably)."""
        rows = [
            (
                r.reservation_id,
                r.room_id,
                r.member_id,
                r.plan.value,
                r.starts_at.isoformat(),
                r.ends_at.isoformat(),
                int(r.cancelled),
                r.guests,
            )
            for r in reservations
        ]
        with self.transaction() as db:
            db.executemany("DELETE FROM reservation WHERE reservation_id = ?", [(rid,) for rid in unreadable or []])
            db.executemany(
                "INSERT OR REPLACE INTO reservation (reservation_id, room_id, member_id, plan, starts_at, "
                "ends_at, cancelled, guests) VALUES (?,?,?,?,?,?,?,?)",
                rows,
            )
            db.execute("UPDATE sync SET cursor = ?, last_ok = ? WHERE id = 1", (cursor, at.isoformat()))

    def forget_reservations_ended_before(self, moment: datetime) -> int:
        """Retention: drop cached reservations that ended before moment; how many."""
        return self.delete_in_batches("reservation", "ends_at < ?", (local(moment).isoformat(),))

    def sync_state(self) -> SyncState:
        """The cursor and the last successful sync."""
        with self._lock:
            cursor, last_ok = self.db.execute("SELECT cursor, last_ok FROM sync WHERE id = 1").fetchone()
        return SyncState(cursor, datetime.fromisoformat(last_ok) if last_ok else None)


class ReservationSync(BackgroundLoop):
    """Pulls reservation changes since the stored cursor, with back-off while the platform fails."""

    name = "reservation-sync"

    def __init__(
        self,
        client: PlatformClient,
        store: ReservationStore,
        facility_id: str,
        clock: Clock,
        interval: float,
        stale_after: timedelta,
        on_stale_change: Callable[[bool], None],
        on_synced: Callable[[], None] = lambda: None,
        refresh_trust: Callable[[], str] | None = None,
    ) -> None:
        super().__init__()
        self.client = client
        self.store = store
        self.facility_id = facility_id
        self.clock = clock
        self.interval = interval
        self.stale_after = stale_after
        self.on_stale_change = on_stale_change
        self.on_synced = on_synced  # after each good sync (lockd publishes its status)
        # Fetches the revocations after each fetch of reservations, before they are kept: what the site acts on is
        # never newer than what it knows to be withdrawn (a member revoked a moment before the booking was listed).
        self.refresh_trust = refresh_trust
        self.backoff = Backoff(base=1.0, cap=min(300.0, interval))
        self.failing = ""
        self._retry_after: float | None = None
        self._was_stale: bool | None = None
        self._sync_lock = threading.Lock()  # the loop and an on-demand sync never pull at the same time
        self.synced = threading.Condition()
        self.sync_count = 0
        self.first_attempt = threading.Event()

    def trigger(self) -> None:
        """A change notice arrived: sync at once."""
        self.wake()

    def cycle(self) -> float:
        """Sync, then wait for the next time (or a notice)."""
        try:
            delay = self.interval if self.sync_once() else self._retry_delay()
        except Exception:
            self._note_staleness()  # a round that crashed still raises the stale alarm in time
            raise
        finally:
            self.first_attempt.set()
        return delay

    def problem(self) -> str:
        """The last sync's failure, "" after a good one."""
        return self.failing

    def _retry_delay(self) -> float:
        """The back-off after a failure, honouring Retry-After."""
        return self.backoff.next_delay(self._retry_after)

    def sync_once(self) -> bool:
        """One sync of the reservations changed since the cursor; True on success."""
        with self._sync_lock:
            state = self.store.sync_state()
            try:
                changes = self.client.call(
                    "GET", reservations_path(self.facility_id), ReservationsAnswer, since=state.cursor
                )
            except PlatformError as exc:
                self.failing = str(exc)
                self._retry_after = exc.retry_after
                log.warning("reservation sync failed: %s", exc)
                self._note_staleness()
                return False
            untrusted = self.refresh_trust() if self.refresh_trust is not None else ""
            if untrusted:
                self.failing = f"reservations fetched but not kept: the revocations were not refreshed ({untrusted})"
                self._retry_after = None
                log.warning("%s", self.failing)
                self._note_staleness()
                return False
            readable, unreadable = self._read(changes.reservations)
            self.store.apply_changes(readable, changes.cursor, self.clock.now(), unreadable)
        self.backoff.reset()
        self._note_staleness()
        with self.synced:
            self.sync_count += 1
            self.synced.notify_all()
        self.on_synced()
        return True

    def _read(self, listed: list) -> tuple[list[Reservation], list[int]]:
        """The listed bookings that read as bookings, and the ids of those that do not (reported, then forgotten)."""
        readable, unreadable, problems = [], [], []
        for raw in listed:
            try:
                reservation = read_reservation(raw)
                if raw.get("facility_id") not in (None, self.facility_id):  # read_reservation checked it is an object
                    raise ValueError(f"listed for another facility ({raw.get('facility_id')})")
                readable.append(reservation)
            except (ValueError, OverflowError) as exc:
                rid = listed_id(raw)
                unreadable += [rid] if rid is not None else []
                problems.append(f"reservation {rid if rid is not None else '?'}: {exc}".splitlines()[0])
        for problem in problems:
            log.error("the platform listed an unreadable booking; it admits no one: %s", problem)
        self.failing = f"{len(problems)} unreadable booking(s) in the last sync: {problems[0]}" if problems else ""
        return readable, unreadable

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
