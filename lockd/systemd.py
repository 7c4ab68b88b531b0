"""systemd's notify protocol (Type=notify, WatchdogSec=): READY, WATCHDOG and STOPPING."""

from __future__ import annotations

import os
import socket


def notify(state: str) -> bool:
    """Send a state line to systemd; False when not run by systemd."""
    address = os.environ.get("NOTIFY_SOCKET")
    if not address:
        return False
    if address.startswith("@"):
        address = "\0" + address[1:]
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.sendto(state.encode(), address)
    return True


def watchdog_period() -> float | None:
    """How often to ping the watchdog (half its timeout), or None without one."""
    usec = os.environ.get("WATCHDOG_USEC")
    return int(usec) / 2_000_000 if usec and usec.isdigit() else None
