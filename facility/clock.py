"""The clock seam: wall time in Asia/Tokyo for rules and tokens, monotonic time and a scheduler for timers."""

from __future__ import annotations

import heapq
import itertools
import logging
import threading
import time
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Protocol

from facility.rules.calendar import TOKYO

log = logging.getLogger(__name__)


class Clock(Protocol):
    """What the programs ask of a clock."""

    def now(self) -> datetime:
        """The wall-clock time, aware, in Asia/Tokyo."""

    def monotonic(self) -> float:
        """Seconds on a clock that never steps, for pulses and timeouts."""


def _boot_id() -> str:
    """The kernel's id of this boot: time.monotonic() readings compare only within one boot."""
    try:
        with open("/proc/sys/kernel/random/boot_id") as source:
            return source.read().strip()
    except OSError:
        return f"process-{uuid.uuid4().hex}"  # no boot id: trust readings only within this process


BOOT_ID = _boot_id()


def monotonic_epoch(clock: object) -> str:
    """What a clock's monotonic readings are relative to; readings from different epochs do not compare."""
    return str(getattr(clock, "monotonic_epoch", "") or f"clock-{id(clock)}-{uuid.uuid4().hex}")


class SystemClock:
    """The machine's clocks."""

    monotonic_epoch = BOOT_ID

    def now(self) -> datetime:
        """The wall-clock time, aware, in Asia/Tokyo."""
        return datetime.now(TOKYO)

    def monotonic(self) -> float:
        """time.monotonic()."""
        return time.monotonic()


class Scheduler(Protocol):
    """Runs a function after a delay on the scheduler's clock."""

    def call_later(self, delay: float, action: Callable[[], None]) -> None:
        """Run action once, delay seconds from now."""

    def monotonic(self) -> float:
        """The scheduler's notion of now, in seconds."""


class RealTimeScheduler(SystemClock):
    """Runs scheduled actions in real time on one worker thread that waits on a condition, never a bare sleep."""

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
            entry = (self.monotonic() + delay, next(self._order), action)
            heapq.heappush(self._queue, entry)
            if self._queue[0] is entry:  # due before everything else: wake the worker (else it sleeps on)
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
