"""The clock seam: wall time in Asia/Tokyo for rules and tokens, monotonic time for timers."""

from __future__ import annotations

import time
from datetime import datetime
from typing import Protocol

from facility.rules.calendar import TOKYO


class Clock(Protocol):
    """What the programs ask of a clock."""

    def now(self) -> datetime:
        """The wall-clock time, aware, in Asia/Tokyo."""

    def monotonic(self) -> float:
        """Seconds on a clock that never steps, for pulses and timeouts."""


class SystemClock:
    """The machine's clocks."""

    def now(self) -> datetime:
        """The wall-clock time, aware, in Asia/Tokyo."""
        return datetime.now(TOKYO)

    def monotonic(self) -> float:
        """time.monotonic()."""
        return time.monotonic()
