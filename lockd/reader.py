"""The reader seam: a device at a door where a member shows their pass (docs/doors.md).

A reader hands lockd the text of each code it reads and shows lockd's verdict (LED, beeper); lockd decides
(lockd/readers.py). Two kinds exist: a camera read by the kiosk's decoder (lockd/camera_reader.py) and a reader on
the site's OSDP bus (lockd/osdp.py). A reader never decides anything itself and keeps nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from facility.messages import READER_ALARMS

__all__ = ["MAX_SHOWN_CHARS", "READER_ALARMS", "Alarm", "PassReader", "Shown", "TokenBucket"]

# What a reader hands lockd: the text of one code as read (a pass, or anything else a person held up).
Shown = Callable[[str], None]
# A reader's own trouble, raised (True) or cleared (False), with a short reason and a detail for the log:
# "reader_offline", "reader_secure_channel", "reader_garbage", "reader_flood".
Alarm = Callable[[str, bool, str], None]

# The longest code text a reader hands on: longer is not a pass (facility.tokens MemberPass.MAX_CHARS is 300).
MAX_SHOWN_CHARS = 512


class PassReader(Protocol):
    """One door's reader, as lockd drives it."""

    name: str  # how logs and audit rows name it: "camera", "osdp:1"

    def start(self, shown: Shown, alarm: Alarm) -> None:
        """Begin reading: each code read is handed to `shown` (from the reader's own thread); trouble to `alarm`."""

    def signal(self, opened: bool) -> None:
        """Show the verdict to the member: green and one beep for an opening, red and two beeps for a refusal."""

    def close(self) -> None:
        """Stop reading and let the device go."""


class TokenBucket:
    """At most `rate` a second on average, `burst` at once."""

    def __init__(self, rate: float, burst: int, now: float) -> None:
        self.rate, self.burst = rate, burst
        self._tokens, self._at = float(burst), now

    def take(self, now: float) -> bool:
        """Take a token if there is one."""
        self._tokens = min(self.burst, self._tokens + (now - self._at) * self.rate)
        self._at = now
        if self._tokens < 1:
            return False
        self._tokens -= 1
        return True
