"""A door reader stand-in that is handed codes directly: what a technician's panel or a test shows at a door
without a camera or an OSDP bus. It implements lockd's reader seam (lockd/reader.py) and keeps what lockd showed."""

from __future__ import annotations

import threading

from lockd.reader import Alarm, Shown


class HandedReader:
    """A reader whose reads are handed to it (`show`), with the LED lockd lit (`signals`, newest last)."""

    name = "simulated"

    def __init__(self) -> None:
        self.signals: list[bool] = []  # True: green (opened), False: red (refused)
        self.signalled = threading.Condition()
        self._shown: Shown | None = None
        self._alarm: Alarm | None = None
        self.closed = False

    def start(self, shown: Shown, alarm: Alarm) -> None:
        """Keep lockd's callbacks."""
        self._shown, self._alarm = shown, alarm

    def show(self, text: str) -> None:
        """A member holds a code to the reader."""
        assert self._shown is not None, "lockd has not started the reader"
        self._shown(text)

    def raise_alarm(self, alarm: str, raised: bool = True, detail: str = "simulated") -> None:
        """Play the reader's own trouble (offline, garbage...)."""
        assert self._alarm is not None, "lockd has not started the reader"
        self._alarm(alarm, raised, detail)

    def signal(self, opened: bool) -> None:
        """Light the LED lockd asks for."""
        with self.signalled:
            self.signals.append(opened)
            self.signalled.notify_all()

    def next_signal(self, seen: int, timeout: float = 5.0) -> bool:
        """The verdict after the first `seen` ones, waiting for it; raises TimeoutError if none comes."""
        with self.signalled:
            if not self.signalled.wait_for(lambda: len(self.signals) > seen, timeout):
                raise TimeoutError("lockd showed no verdict at the reader")
            return self.signals[seen]

    @property
    def led(self) -> str:
        """The LED's colour now: "green", "red", or "off" before any verdict."""
        return "off" if not self.signals else ("green" if self.signals[-1] else "red")

    def close(self) -> None:
        """Nothing to let go."""
        self.closed = True
