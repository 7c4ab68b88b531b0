"""Clocks and schedulers for the stand-ins: a settable clock for tests, real time for technicians."""

from __future__ import annotations

import heapq
import logging
import itertools
import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Protocol

from facility.clock import SystemClock

log = logging.getLogger(__name__)


class Scheduler(Protocol):
    """Runs a function after a delay on the scheduler's clock."""

    def call_later(self, delay: float, action: Callable[[], None]) -> None:
        """Run action once, delay seconds from now."""

    def monotonic(self) -> float:
        """The scheduler's notion of now, in seconds."""


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


class RealTimeScheduler(SystemClock):
    """Runs scheduled actions in real time on one worker thread that waits on a stop event."""

    def __init__(self) -> None:
        self._queue: list[tuple[float, int, Callable[[], None]]] = []
        self._order = itertools.count()
        self._changed = threading.Condition()
        self._stopped = False
        self._worker = threading.Thread(target=self._run, name="sim-scheduler", daemon=True)
        self._worker.start()

    def call_later(self, delay: float, action: Callable[[], None]) -> None:
        """Run action delay seconds from now."""
        with self._changed:
            heapq.heappush(self._queue, (self.monotonic() + delay, next(self._order), action))
            self._changed.notify()

    def _next_due(self) -> Callable[[], None] | None:
        """Wait for the earliest action to fall due; None once stopped."""
        with self._changed:
            while not self._stopped:
                if self._queue and self._queue[0][0] <= self.monotonic():
                    return heapq.heappop(self._queue)[2]
                self._changed.wait(self._queue[0][0] - self.monotonic() if self._queue else None)
            return None

    def _run(self) -> None:
        """Run actions as they fall due until stopped."""
        while (action := self._next_due()) is not None:
            try:
                action()
            except Exception:  # one failing action must not stop the stand-ins' time
                log.exception("scheduled action failed")

    def stop(self) -> None:
        """Stop the worker; pending actions are dropped."""
        with self._changed:
            self._stopped = True
            self._changed.notify()
        self._worker.join(5)
