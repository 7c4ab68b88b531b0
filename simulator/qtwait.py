"""Waiting for something while the Qt event loop keeps running (idle between events, never spinning)."""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Callable

# Set by Ctrl-C or SIGTERM: Qt swallows exceptions raised inside its callbacks, so the wait ends and
# the interruption is raised from ordinary Python code instead.
interrupted = threading.Event()


def stop_on_signals() -> None:
    """Make Ctrl-C and SIGTERM end the current wait and raise KeyboardInterrupt."""
    for number in (signal.SIGINT, signal.SIGTERM):
        signal.signal(number, lambda *_: interrupted.set())


def run_until(condition: Callable[[], bool], timeout: float) -> bool:
    """Run Qt's event loop until condition holds or timeout seconds pass; the condition's last value."""
    from PySide6.QtCore import QEventLoop, QTimer

    if interrupted.is_set():
        raise KeyboardInterrupt
    if condition():
        return True
    loop, deadline = QEventLoop(), time.monotonic() + timeout
    check = QTimer()

    def look() -> None:
        if condition() or interrupted.is_set() or time.monotonic() > deadline:
            loop.quit()

    check.timeout.connect(look)
    check.start(5)
    loop.exec()
    check.stop()
    if interrupted.is_set():
        raise KeyboardInterrupt
    return condition()
