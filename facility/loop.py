"""A background loop that waits on events, never a bare sleep: the shape of lockd's sync and the kiosk's outbox."""

from __future__ import annotations

import threading


class BackgroundLoop:
    """Runs `cycle()` on its own thread, then waits the seconds it returns, or less if woken."""

    name = "background-loop"

    def __init__(self) -> None:
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)

    def cycle(self) -> float:
        """One round of work; returns how long to wait before the next."""
        raise NotImplementedError

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

    @property
    def alive(self) -> bool:
        """True while the loop runs."""
        return self._thread.is_alive()

    @property
    def stopping(self) -> bool:
        """True once stop() was called."""
        return self._stop.is_set()

    def _run(self) -> None:
        """Round after round until stopped."""
        while not self._stop.is_set():
            delay = self.cycle()
            self._wake.wait(delay)
            self._wake.clear()
