"""Background loops that cannot die silently, and the supervisor that restarts one that does anyway.

A loop runs `cycle()` on its own thread and waits the seconds it returns (on an event, never a
bare sleep). Any exception a round raises is logged with its traceback, counted, kept as the
loop's `last_error` for the staff page, the metrics and `doctor`, and followed by a backed-off
wait; then the loop carries on. A thread that ends all the same (a BaseException, a bug in the
waiting itself) is found by `Supervisor.check()`, restarted and reported.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass

from facility.platform import Backoff

log = logging.getLogger(__name__)
FAILURE_BACKOFF_CAP = 300.0


@dataclass(frozen=True)
class LoopHealth:
    """What staff, metrics and doctor see of one loop."""

    name: str
    alive: bool
    rounds: int  # rounds that ended well
    failures: int  # rounds that raised or whose work failed
    restarts: int
    last_error: str
    last_ok_age: float | None  # seconds since the last round that ended well (monotonic), None if none yet
    stale_after: float | None = None  # a loop that must come round this often (the screen): older is stalled

    @property
    def stalled(self) -> bool:
        """True when a loop that must come round often has not (a frozen screen)."""
        return self.stale_after is not None and self.last_ok_age is not None and self.last_ok_age > self.stale_after

    @property
    def healthy(self) -> bool:
        """Running, its last round did not fail, and it is not stalled."""
        return self.alive and not self.last_error and not self.stalled


class BackgroundLoop:
    """Runs `cycle()` on its own thread, then waits the seconds it returns, or less if woken."""

    name = "background-loop"

    def __init__(self) -> None:
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread = self._new_thread()
        self._failure_backoff = Backoff(base=1.0, cap=FAILURE_BACKOFF_CAP)
        self.rounds = 0
        self.failures = 0
        self.restarts = 0
        self.crash = ""  # the last exception a round raised ("" after a good round)
        self._last_ok: float | None = None
        self._restarted_at = float("-inf")

    def cycle(self) -> float:
        """One round of work; returns how long to wait before the next."""
        raise NotImplementedError

    def problem(self) -> str:
        """What is wrong with the work itself (a platform that refuses, say), beyond a crash; "" when nothing."""
        return ""

    def _new_thread(self) -> threading.Thread:
        """A fresh thread for the loop (a thread cannot be started twice)."""
        return threading.Thread(target=self._run, name=self.name, daemon=True)

    def start(self) -> None:
        """Begin looping."""
        self._thread.start()

    def stop(self) -> None:
        """Finish the current round and end the loop."""
        self._stop.set()
        self._wake.set()
        if self._thread.is_alive():
            self._thread.join(10)

    def wake(self) -> None:
        """Do a round now rather than at the next planned time."""
        self._wake.set()

    def restart(self) -> bool:
        """Start a loop whose thread has ended (not one that was stopped); True if it was restarted.

        A loop that keeps dying is restarted ever less often (1 s doubling to 5 min), so it cannot
        turn into a request and an audit row every second."""
        if self._thread.is_alive() or self.stopping or self._thread.ident is None:
            return False
        if self.restarts and time.monotonic() - self._restarted_at < min(
            FAILURE_BACKOFF_CAP, 2.0 ** min(self.restarts, 20)
        ):
            return False
        self._restarted_at = time.monotonic()
        self.restarts += 1
        log.error("loop %s had stopped; restarted (restart %d)", self.name, self.restarts)
        self._thread = self._new_thread()
        self._thread.start()
        return True

    @property
    def alive(self) -> bool:
        """True while the loop runs."""
        return self._thread.is_alive()

    @property
    def stopping(self) -> bool:
        """True once stop() was called."""
        return self._stop.is_set()

    @property
    def last_error(self) -> str:
        """Why the loop is not doing its work now: a crashed round, or what the work itself reports."""
        return self.crash or self.problem()

    def health(self) -> LoopHealth:
        """The loop as staff, metrics and doctor see it."""
        age = None if self._last_ok is None else time.monotonic() - self._last_ok
        return LoopHealth(self.name, self.alive, self.rounds, self.failures, self.restarts, self.last_error, age)

    def _run(self) -> None:
        """Round after round until stopped; a round that raises is reported and followed by a backed-off wait."""
        while not self._stop.is_set():
            delay = self._round()
            self._wake.wait(delay)
            self._wake.clear()

    def _round(self) -> float:
        """One guarded round; the wait that follows it."""
        try:
            delay = self.cycle()
        except Exception as exc:  # any failure of a round is reported and survived
            self.crash = f"{type(exc).__name__}: {exc}"
            log.exception("loop %s failed (failure %d); carrying on", self.name, self.failures + 1)
            self.failures += 1  # counted last: whoever sees the count sees the report too
            return self._failure_backoff.next_delay()
        self.crash = ""
        self._failure_backoff.reset()
        if self.problem():  # it ran, but its work failed (the platform refused, say): a failure, not a good round
            self.failures += 1
        else:
            self.rounds += 1
            self._last_ok = time.monotonic()
        return delay


class Supervisor:
    """Keeps a program's loops running: restarts a dead one and says which; reports them all."""

    def __init__(self, loops: list[BackgroundLoop | None]) -> None:
        self.loops: list[BackgroundLoop] = [loop for loop in loops if loop is not None]  # a loop a site lacks is None

    def check(self) -> list[str]:
        """Restart every loop whose thread has ended; the names restarted."""
        return [loop.name for loop in self.loops if loop.restart()]

    def health(self) -> list[LoopHealth]:
        """Every loop's health."""
        return [loop.health() for loop in self.loops]

    def all_alive(self) -> bool:
        """True while every loop's thread runs (a watchdog asks this)."""
        return all(loop.alive for loop in self.loops)
