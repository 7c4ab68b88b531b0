"""The kiosk's state in one small model: links, queue, camera, the doorway, staff mode and desk checks owed.

The screens, the staff page and the metrics observe it (the `changed` signal, on the UI
thread); nothing else holds a second copy. What members may be told and what only staff
should see are decided here, once.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QObject, Signal

from facility.config import FacilityConfig
from facility.loop import LoopHealth
from kiosk.doorway import Doorway, TodaysHours
from kiosk.outbox import OutboxStatus
from kiosk.store import PendingCheck

PLATFORM_POLLS = ("trust-refresh", "kiosk-occupancy")  # loops that fail exactly when the platform does not answer


@dataclass(frozen=True)
class StaffAlert:
    """A problem for staff, as a text key and its values (kiosk/texts.py)."""

    key: str
    values: tuple[tuple[str, object], ...] = ()


class KioskState(QObject):
    """Everything the kiosk's screens show about its situation; set on the UI thread, observed through `changed`."""

    changed = Signal()

    def __init__(self, cfg: FacilityConfig) -> None:
        super().__init__()
        self.default_language = cfg.kiosk_settings.language
        self.language = self.default_language
        self.broker: bool | None = None  # None: no broker link, so no desk-code check-ins at all
        self.outbox = OutboxStatus(0, 0, True, "")
        self.camera_ok = True
        self.store_lost = False
        self.doorway = Doorway.OPEN
        self.hours_today = TodaysHours()
        self.staff_mode = False
        self.pending_checks: list[PendingCheck] = []
        self.failing_loops: list[LoopHealth] = []

    def update(self, **values: object) -> None:
        """Set some fields; observers hear of it only when something changed."""
        changed = False
        for name, value in values.items():
            if not hasattr(self, name):
                raise AttributeError(name)
            if getattr(self, name) != value:
                setattr(self, name, value)
                changed = True
        if changed:
            self.changed.emit()

    @property
    def platform_up(self) -> bool:
        """The platform answers: the outbox's last send, and the keys-and-revocations poll (a minute at most old),
        which notices a lost link even when no check-in waits."""
        polls_fail = any(loop.name in PLATFORM_POLLS and loop.last_error for loop in self.failing_loops)
        return self.outbox.reachable and not self.outbox.credentials and not polls_fail

    @property
    def desk_code_usable(self) -> bool:
        """A desk-code check-in travels phone -> platform -> broker -> kiosk: all of it must be up."""
        return bool(self.broker) and self.platform_up

    def member_notice(self) -> str:
        """The one line members see about the kiosk itself (a text key, or '')."""
        if not self.camera_ok:
            return "camera_lost_member" if self.desk_code_usable else "camera_lost_no_desk"
        if not self.desk_code_usable:
            return "desk_code_off"
        return ""

    def staff_alerts(self) -> list[StaffAlert]:
        """What staff should know or act on, most urgent first; members never see these."""
        alerts = []
        if self.store_lost:
            alerts.append(StaffAlert("store_lost"))
        if not self.camera_ok:
            alerts.append(StaffAlert("camera_lost"))
        if self.outbox.credentials:
            alerts.append(StaffAlert("credentials", (("n", self.outbox.queued),)))
        elif not self.outbox.reachable:
            alerts.append(StaffAlert("platform_down", (("n", self.outbox.queued),)))
        if self.broker is False:
            alerts.append(StaffAlert("broker_down"))
        if self.outbox.dead:
            alerts.append(StaffAlert("dead_letters", (("n", self.outbox.dead),)))
        alerts.extend(StaffAlert("loop_failing", (("name", loop.name), ("error", loop.last_error[:160]),
                                                  ("failures", loop.failures), ("restarts", loop.restarts)))
                      for loop in self.failing_loops)
        return alerts

    @property
    def needs_staff(self) -> int:
        """How many things wait for staff (alerts and desk checks): the count on the staff button."""
        return len(self.staff_alerts()) + len(self.pending_checks)
