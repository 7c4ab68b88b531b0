"""Keeps lockd's reservation cache in step with the platform: on start, on a schedule, and on a change notice.

While the platform is unreachable the cache keeps serving; past the staleness limit an
alarm goes up (and down again after the next good sync), and refusals say why.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime, timedelta

from facility.clock import Clock
from facility.loop import BackgroundLoop
from facility.platform import Backoff, PlatformClient, PlatformError
from facility.tokens import Revocations
from lockd.store import LockdStore

log = logging.getLogger(__name__)


class ReservationSync(BackgroundLoop):
    """Pulls reservation changes since the stored cursor, with back-off while the platform fails."""

    name = "reservation-sync"

    def __init__(self, client: PlatformClient, store: LockdStore, facility_id: str, clock: Clock,
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
            revoked = Revocations.from_answer(self.client.get("/revocations"))
            self.store.apply_changes(changes["reservations"], changes["cursor"], self.clock.now(), revoked)
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
