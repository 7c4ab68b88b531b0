"""Retention: personal data and records are kept only as long as they are needed, and files stay bounded.

Each program runs one RetentionLoop (hourly). The program's store says what may go and when
(KioskStore.purge, LockdStore.purge): never a check-in the platform does not have yet, never a
decision still waiting for its pulse. Audit rows leave the store for JSON-lines files beside it,
which are themselves deleted after `audit_export_days`. Freed pages go back to the file system.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

from facility.clock import Clock
from facility.loop import BackgroundLoop
from facility.reservations import ReservationStore

log = logging.getLogger(__name__)
RETENTION_SECONDS = 3600.0


def drop_old_exports(folder: Path, keep_days: int, now: datetime) -> int:
    """Delete exported audit files (named by their day) older than keep_days; how many."""
    oldest = (now - timedelta(days=keep_days)).date().isoformat()
    gone = 0
    for file in folder.glob("*.jsonl") if folder.exists() else []:
        if file.stem < oldest:
            file.unlink()
            gone += 1
    return gone


def retain_shared(store: ReservationStore, now: datetime, keep: timedelta, export_days: int) -> dict[str, int]:
    """What every program's store forgets alike: bookings long over, expired token ids, the old audit (exported
    first, then its old files); then the freed pages go back to the file system. Call after the program's own."""
    folder = store.path.parent / "audit"
    done = {
        "reservations": store.forget_reservations_ended_before(now - keep),
        "seen_ids": store.seen.forget_expired(now.timestamp()),
        "audit_exported": store.export_audit(now - keep, folder),
        "audit_files_dropped": drop_old_exports(folder, export_days, now),
    }
    store.compact()
    return done


class RetentionLoop(BackgroundLoop):
    """Every hour: purge what is past retention, export and rotate the audit, compact the file."""

    name = "retention"

    def __init__(
        self, purge: Callable[[datetime], dict[str, int]], clock: Clock, interval: float = RETENTION_SECONDS
    ) -> None:
        super().__init__()
        self.purge = purge
        self.clock = clock
        self.interval = interval
        self.last: dict[str, int] = {}

    def cycle(self) -> float:
        """One purge; what went is logged."""
        began = time.monotonic()
        self.last = self.purge(self.clock.now())
        if any(self.last.values()):
            log.info("retention removed %s in %.1f s", self.last, time.monotonic() - began)
        return self.interval
