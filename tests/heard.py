"""What lockd hears from a door reader in the reader tests (tests/test_osdp.py, tests/test_camera_reader.py)."""

from __future__ import annotations

import threading
from collections.abc import Callable

WAIT = 10.0  # seconds a condition may take on a loaded machine; a met condition returns at once


class HeardByLockd:
    """What lockd hears from a reader: codes and alarms, each waitable."""

    def __init__(self) -> None:
        self.shown: list[str] = []
        self.alarms: list[tuple[str, bool, str]] = []
        self.changed = threading.Condition()

    def on_shown(self, text: str) -> None:
        """A code handed on."""
        with self.changed:
            self.shown.append(text)
            self.changed.notify_all()

    def on_alarm(self, reason: str, raised: bool, detail: str) -> None:
        """An alarm raised or cleared."""
        with self.changed:
            self.alarms.append((reason, raised, detail))
            self.changed.notify_all()

    def wait_for(self, condition: Callable[[], bool], timeout: float = WAIT) -> bool:
        """Wait (at most timeout) until the condition holds."""
        with self.changed:
            return self.changed.wait_for(condition, timeout)

    def raised(self, reason: str) -> bool:
        """True while the alarm is raised (its last word was True)."""
        words = [raised for name, raised, _ in self.alarms if name == reason]
        return bool(words) and words[-1]

    def ever(self, reason: str) -> bool:
        """True if the alarm was ever raised."""
        return any(name == reason and raised for name, raised, _ in self.alarms)
