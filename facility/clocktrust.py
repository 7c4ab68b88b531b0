"""Is the wall clock good enough to believe? lockd asks before judging a token's validity window, and both programs'
retention before letting the wall clock say how old a row is (facility/retention.py)."""

from __future__ import annotations

import ctypes
import ctypes.util
from datetime import UTC, datetime

CLOCK_FLOOR = datetime(2026, 1, 1, tzinfo=UTC)  # a board without RTC boots in 1970
TIME_ERROR = 5  # adjtimex(2): the kernel says the clock is not synchronised


def kernel_synchronised() -> bool:
    """True when the kernel reports NTP synchronisation (chrony and systemd-timesyncd both set it)."""
    libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
    timex = ctypes.create_string_buffer(512)  # struct timex with modes 0: read only
    return libc.adjtimex(timex) not in (-1, TIME_ERROR)


class ClockTrust:
    """The check a site chose in `[lockd] clock_check` or `[kiosk] clock_check` (the same meaning in both)."""

    def __init__(self, mode: str = "kernel", synchronised=kernel_synchronised) -> None:
        self.mode = mode
        self._synchronised = synchronised

    def trusted(self, now: datetime) -> bool:
        """True when tokens may be judged against this clock, and retention may believe it."""
        if now < CLOCK_FLOOR:
            return False
        return self.mode == "sanity" or self._synchronised()
