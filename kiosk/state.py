"""The kiosk's state in one small model: links, queue, camera, the doorway (and each space's vacancy), staff mode and
desk checks owed.

The screens, the staff page and the metrics observe it (the `changed` signal, on the UI
thread); nothing else holds a second copy. What members may be told and what only staff
should see are decided here, once.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from PySide6.QtCore import QObject, Signal

from facility.config import FacilityConfig
from facility.loop import LoopHealth
from kiosk.doorway import Doorway, SpaceVacancy, TodaysHours
from kiosk.outbox import OutboxStatus
from kiosk.store import PendingCheck

PLATFORM_POLLS = ("trust-refresh", "kiosk-occupancy")  # loops that fail exactly when the platform does not answer
PLATFORM_LOOPS = (*PLATFORM_POLLS, "kiosk-outbox", "reservation-sync")  # every loop that talks to the platform


CAMERA_STALL_SECONDS = 3.0  # no frame for this long: the camera hangs (a read that blocks says nothing)


class CameraWatch:
    """Whether the camera works: what the capture thread reports, and whether frames still come."""

    def __init__(self) -> None:
        self.reported_ok = True
        self.last_frame = time.monotonic()

    def reported(self, ok: bool) -> None:
        """The capture thread says the camera went away or came back."""
        self.reported_ok = ok
        self.last_frame = time.monotonic()

    def frame(self) -> None:
        """A frame arrived."""
        self.last_frame = time.monotonic()

    @property
    def ok(self) -> bool:
        """Reported working, and a frame came lately."""
        return self.reported_ok and time.monotonic() - self.last_frame <= CAMERA_STALL_SECONDS


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
        reception = cfg.reception_space.capacity
        self.rooms = reception is not None and reception.unit == "rooms"  # the doorway counts rooms, not seats
        self.spaces: tuple[SpaceVacancy, ...] = ()  # each space's vacancy, where the facility has several
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
        """The platform answers as it should: the outbox's last send, and the keys-and-revocations poll (a minute
        at most old), which notices a lost link even when no check-in waits."""
        polls_fail = any(loop.name in PLATFORM_POLLS and loop.last_error for loop in self.failing_loops)
        return self.outbox.reachable and not self.outbox.last_error and not self.outbox.credentials and not polls_fail

    @property
    def desk_code_usable(self) -> bool:
        """A desk-code check-in travels phone -> platform -> broker -> kiosk: all of it must be up."""
        return bool(self.broker) and self.platform_up

    @property
    def desk_code_shown(self) -> bool:
        """The desk code is on the reception page: its chain works and the doorway takes new members."""
        return self.desk_code_usable and self.doorway.takes_new_members

    def member_notice(self) -> str:
        """The one line members see about the kiosk itself (a text key, or ''); nothing that invites a scan the
        doorway does not allow."""
        if self.doorway is Doorway.CLOSED:
            return ""  # the closed card says it all
        if not self.camera_ok:
            return (
                "camera_lost_member"
                if self.desk_code_usable and self.doorway.takes_new_members
                else "camera_lost_no_desk"
            )
        if not self.desk_code_usable and self.doorway.takes_new_members:
            return "desk_code_off"
        return ""

    def staff_alerts(self) -> list[StaffAlert]:
        """What staff should know or act on, most urgent first; members never see these. A failing platform
        loop is not repeated under an alert that already explains it."""
        alerts = []
        if self.store_lost:
            alerts.append(StaffAlert("store_lost"))
        if not self.camera_ok:
            alerts.append(StaffAlert("camera_lost"))
        platform = self._platform_alert()
        if platform is not None:
            alerts.append(platform)
        if self.broker is False:
            alerts.append(StaffAlert("broker_down"))
        if self.outbox.dead:
            alerts.append(StaffAlert("dead_letters", (("n", self.outbox.dead),)))
        explained = PLATFORM_LOOPS if platform is not None else ()
        alerts.extend(
            StaffAlert(
                "loop_failing",
                (
                    ("name", loop.name),
                    ("error", loop.last_error[:160]),
                    ("failures", loop.failures),
                    ("restarts", loop.restarts),
                ),
            )
            for loop in self.failing_loops
            if loop.name not in explained
        )
        return alerts

    def _platform_alert(self) -> StaffAlert | None:
        """The platform's trouble in one line: its credentials refused, unreachable, or answering wrongly."""
        queued = (("n", self.outbox.queued),)
        if self.outbox.credentials:
            return StaffAlert("credentials", queued)
        if not self.outbox.reachable:
            return StaffAlert("platform_down", queued)
        if not self.platform_up:
            return StaffAlert("platform_failing", queued)
        return None

    @property
    def needs_staff(self) -> int:
        """How many things wait for staff (alerts and desk checks): the count on the staff button."""
        return len(self.staff_alerts()) + len(self.pending_checks)
