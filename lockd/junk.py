"""Refusals of junk (unreadable, forged, retained or repeated bytes), counted in memory and audited in aggregate.

A flood of junk on a command topic must cost no durable write per message, or the session falls
behind the broker and genuine commands wait or are dropped; one audit row per door and reason per
period says how much was turned away, so storage for refusals stays bounded.
"""

from __future__ import annotations

import threading
from collections import Counter
from datetime import datetime

from facility.reasons import Reason

JUNK_AUDIT_SECONDS = 60.0


class JunkTally:
    """Counts junk refusals per door and reason until they are written out as aggregate audit rows."""

    def __init__(self) -> None:
        self._counts: Counter[tuple[str, str]] = Counter()
        self._since: datetime | None = None
        self._lock = threading.Lock()

    def count(self, door_id: str, reason: Reason, now: datetime) -> bool:
        """Count one refusal; True when it is the first since the last drain (time to plan the next write-out)."""
        with self._lock:
            first = not self._counts
            if first:
                self._since = now
            self._counts[(door_id, reason.code)] += 1
            return first

    def drain(self) -> tuple[datetime | None, dict[tuple[str, str], int]]:
        """Since when, and how many per (door, reason) code; the tally starts again empty."""
        with self._lock:
            counts, since = dict(self._counts), self._since
            self._counts.clear()
            self._since = None
            return since, counts
