"""systemd's notify protocol (Type=notify, WatchdogSec=): READY, WATCHDOG and STOPPING."""

from __future__ import annotations

import os
import socket
import time


def notify(state: str) -> bool:
    """Send a state line to systemd; False when not run by systemd, or when its socket is gone (never an error: a
    program must not stop because its supervisor stopped listening)."""
    address = os.environ.get("NOTIFY_SOCKET")
    if not address:
        return False
    if address.startswith("@"):
        address = "\0" + address[1:]
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
            sock.sendto(state.encode(), address)
    except OSError:
        return False
    return True


def watchdog_period() -> float | None:
    """How often to ping the watchdog (half its timeout), or None without one."""
    usec = os.environ.get("WATCHDOG_USEC")
    return int(usec) / 2_000_000 if usec and usec.isdigit() else None


class Heartbeat:
    """Pings systemd's watchdog from a program's main loop, at most once per half period; nothing without one."""

    def __init__(self) -> None:
        self.period = watchdog_period()
        self._last = float("-inf")

    def beat(self) -> None:
        """The caller proved itself alive: ping, unless it was pinged a moment ago."""
        now = time.monotonic()
        if self.period is not None and now - self._last >= min(self.period / 2, 1.0):
            self._last = now
            notify("WATCHDOG=1")
