"""The settable clock: time that moves only when a test or a technician says so."""

from __future__ import annotations

import heapq
import itertools
import threading
from collections.abc import Callable
from datetime import datetime, timedelta

from facility.clock import SystemClock


class SettableClock:
    """A clock that moves only when told; scheduled actions run as it passes them."""

    def __init__(self, start: datetime) -> None:
        self._wall = start
        self._mono = 0.0
        self._queue: list[tuple[float, int, Callable[[], None]]] = []
        self._order = itertools.count()
        self._lock = threading.RLock()

    def now(self) -> datetime:
        """The current wall-clock time."""
        return self._wall

    def monotonic(self) -> float:
        """Seconds since the clock was made, moved only by advance()."""
        return self._mono

    def call_later(self, delay: float, action: Callable[[], None]) -> None:
        """Run action when the clock has advanced by delay."""
        with self._lock:
            heapq.heappush(self._queue, (self._mono + delay, next(self._order), action))

    def advance(self, seconds: float) -> None:
        """Move both clocks forward, running every action that falls due, in order."""
        with self._lock:
            target = self._mono + seconds
            while self._queue and self._queue[0][0] <= target:
                due, _, action = heapq.heappop(self._queue)
                self._step_to(due)
                action()
            self._step_to(target)

    def _step_to(self, mono: float) -> None:
        """Move to a monotonic reading, taking the wall clock along."""
        self._wall += timedelta(seconds=mono - self._mono)
        self._mono = mono

    def step_wall(self, seconds: float) -> None:
        """Step the wall clock alone (an NTP correction); monotonic time is untouched."""
        self._wall += timedelta(seconds=seconds)


class ShiftedClock(SystemClock):
    """The system clock with the wall time moved by an offset: 'an hour later' without waiting an hour.

    Monotonic time stays real, so pulses and timeouts run as usual.
    """

    def __init__(self, offset_seconds: float = 0.0) -> None:
        self.offset = timedelta(seconds=offset_seconds)
        self.lapsed = 0.0

    def now(self) -> datetime:
        """The shifted wall time."""
        return super().now() + self.offset

    def monotonic(self) -> float:
        """The machine's monotonic time, plus whatever lapse() let pass."""
        return super().monotonic() + self.lapsed

    def shift(self, seconds: float) -> None:
        """Step the wall time by seconds (negative: back), as a clock correction would; monotonic time stays."""
        self.offset += timedelta(seconds=seconds)

    def lapse(self, seconds: float) -> None:
        """Let time pass: the wall and the monotonic clocks both move on (a simulated day, a month)."""
        self.offset += timedelta(seconds=seconds)
        self.lapsed += seconds
