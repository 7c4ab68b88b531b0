"""Fault switches for tests and technicians: the platform misbehaves the way real ones do."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from enum import Enum


class Fault(str, Enum):
    """How the platform answers while a switch is on."""

    NONE = "none"
    ERROR_500 = "error_500"
    RATE_LIMIT = "rate_limit"
    HANG = "hang"
    DROP_AFTER_COMMIT = "drop_after_commit"
    UNREACHABLE = "unreachable"
    NOT_AN_OBJECT = "not_an_object"  # JSON `[]` instead of the documented object, with `status` (default 200)
    HTML = "html"  # a captive portal's HTML page with `status` (default 200)
    UNAUTHORIZED = "unauthorized"  # 401: the facility's API token expired
    GARBLED_ITEM = "garbled_item"  # a list answer (reservations) carries one more item: `item`, as given
    DRIP = "drip"  # the answer comes a byte every `hang_seconds`


@dataclass
class FaultSetting:
    """The switch's position: which fault, for how many more requests (None: until cleared)."""

    fault: Fault = Fault.NONE
    remaining: int | None = None
    retry_after: int = 1
    hang_seconds: float = 30.0
    status: int = 200
    item: object = None
    path: str | None = None  # only requests for this path (e.g. /v1/keyset); None: every request

    def public(self) -> dict:
        """The setting as the admin endpoint shows it."""
        return {
            "mode": self.fault.value,
            "remaining": self.remaining,
            "retry_after": self.retry_after,
            "hang_seconds": self.hang_seconds,
            "status": self.status,
            "item": self.item,
            "path": self.path,
        }


class FaultSwitches:
    """The current fault; each affected request uses up one of its count."""

    def __init__(self) -> None:
        self._setting = FaultSetting()
        self._lock = threading.Lock()
        self.released = threading.Event()

    def set(
        self,
        fault: Fault,
        count: int | None = None,
        retry_after: int = 1,
        hang_seconds: float = 30.0,
        status: int = 200,
        item: object = None,
        path: str | None = None,
    ) -> None:
        """Turn a fault on, for count requests (of `path`, if given) or until cleared."""
        with self._lock:
            self._setting = FaultSetting(fault, count, retry_after, hang_seconds, status, item, path)
            self.released.clear()

    def clear(self) -> None:
        """Back to normal; hanging requests are let go."""
        with self._lock:
            self._setting = FaultSetting()
            self.released.set()

    def take(self, path: str = "") -> FaultSetting:
        """The fault for the request now arriving (for this path), counting it against the switch."""
        with self._lock:
            current = self._setting
            if current.fault is Fault.NONE or current.fault is Fault.UNREACHABLE:
                return FaultSetting()
            if current.path is not None and current.path != path:
                return FaultSetting()
            if current.remaining is not None:
                current.remaining -= 1
                if current.remaining <= 0:
                    self._setting = FaultSetting()
            return FaultSetting(
                current.fault,
                current.remaining,
                current.retry_after,
                current.hang_seconds,
                current.status,
                current.item,
                current.path,
            )

    @property
    def setting(self) -> FaultSetting:
        """The switch's position now."""
        with self._lock:
            return self._setting
