"""The kiosk's state in one small model: links, queue, camera, the doorway (and each space's vacancy), staff mode and
desk checks owed.

The screens, the staff page and the metrics observe it (the `changed` signal, on the UI
thread); nothing else holds a second copy. What members may be told and what only staff
should see are decided here, once.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from datetime import date, datetime

from PySide6.QtCore import QObject, Signal

from facility.config import FacilityConfig
from facility.loop import LoopHealth
from facility.rules.calendar import local
from kiosk.doorway import Doorway, SpaceVacancy, TodaysHours
from kiosk.outbox import OutboxStatus
from kiosk.store import PendingCheck
from kiosk.texts import t

PLATFORM_POLLS = ("trust-refresh", "kiosk-occupancy")  # loops that fail exactly when the platform does not answer
PLATFORM_LOOPS = (*PLATFORM_POLLS, "kiosk-outbox", "reservation-sync")  # every loop that talks to the platform

# How the platform is, worst first when two words come at once (a refused token is said whatever else is heard).
PLATFORM_CONDITIONS = ("credentials", "unreachable", "errors", "ok")
_UNREACHABLE = re.compile(r"the platform cannot be reached|no answer unreachable")
_REFUSED = re.compile(r"\b(401|403) \w")
_STATUS = re.compile(r"\b[1-5]\d\d \w+:")


def platform_condition(error: str) -> str | None:
    """What a loop's error says of the platform (facility/platform.py words them): unreachable, credentials refused,
    answering with errors; None when the error is the loop's own (a disk, a booking it could not read)."""
    if _UNREACHABLE.search(error):
        return "unreachable"
    if _REFUSED.search(error):
        return "credentials"
    if _STATUS.search(error):
        return "errors"
    return None


@dataclass(frozen=True)
class PlatformWord:
    """What one source (a loop, the outbox, the occupancy probe) last learnt of the platform, and when (monotonic)."""

    condition: str  # one of PLATFORM_CONDITIONS
    detail: str = ""
    at: float = 0.0


@dataclass(frozen=True)
class LinkStatus:
    """One link as the home page, the staff page and the technician's panel all read it; its words are the text
    `link_<link>_<condition>` (kiosk/texts.py)."""

    link: str  # platform, broker, camera, sound
    condition: (
        str  # platform: PLATFORM_CONDITIONS; broker: ok, down, none; camera: ok, lost; sound: ok, silent, missing
    )
    detail: str = ""  # the last error's own words, for technicians

    @property
    def ok(self) -> bool:
        """Working, or not used at all (no broker named)."""
        return self.condition in ("ok", "none")

    @property
    def key(self) -> str:
        """The text key of its words."""
        return f"link_{self.link}_{self.condition}"

    def words(self, language: str) -> str:
        """Its words in the language."""
        return t(self.key, language)


def when_words(moment: datetime, today: date, language: str) -> str:
    """A time as a member reads it: 9:00 today, 明日9:00 / tomorrow 9:00, 月曜9:00 / Monday 9:00 within the week,
    else with its date."""
    moment = local(moment)
    clock = f"{moment.hour}:{moment.minute:02d}"
    days = (moment.date() - today).days
    if days <= 0:
        return t("when_today", language, time=clock)
    if days == 1:
        return t("when_tomorrow", language, time=clock)
    if days < 7:
        return t("when_weekday", language, weekday=t(f"day_name_{moment.weekday()}", language), time=clock)
    return t("when_date", language, month=moment.month, day=moment.day, time=clock)


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
        # What each source last learnt of the platform: the outbox and the loops (noted here as their fields
        # change), and the occupancy probe (kiosk/occupancy.py), which asks every few seconds.
        self.platform_heard: dict[str, PlatformWord] = {}
        self.platform_probe: PlatformWord | None = None
        self.sound: LinkStatus = LinkStatus("sound", "ok")  # kiosk/sounds.py says when its player fails
        self.today: date | None = None  # the facility's date, for "tomorrow" and weekdays in members' lines
        self.admission_from: datetime | None = None  # closed or past the cut-off: when new members come in again
        self.place_free_at: datetime | None = None  # full: the earliest end of a running visit (a place frees by then)

    def update(self, **values: object) -> None:
        """Set some fields; observers hear of it only when something changed."""
        changed = False
        before = {"outbox": self.outbox, "failing_loops": self.failing_loops}
        for name, value in values.items():
            if not hasattr(self, name):
                raise AttributeError(name)
            if getattr(self, name) != value:
                setattr(self, name, value)
                changed = True
        if changed:
            self._hear(before["outbox"], before["failing_loops"])  # type: ignore[arg-type]
            self.changed.emit()

    def _hear(self, outbox: OutboxStatus, failing: list[LoopHealth]) -> None:
        """Note what the outbox and the platform loops say of the platform, when what they say changed."""
        now = time.monotonic()
        if self.outbox != outbox:
            status = self.outbox
            condition = (
                "credentials"
                if status.credentials
                else "unreachable"
                if not status.reachable
                else "errors"
                if status.last_error
                else "ok"
            )
            self.platform_heard["kiosk-outbox"] = PlatformWord(condition, status.last_error, now)
        if self.failing_loops == failing:
            return
        was = {loop.name: loop.last_error for loop in failing}
        for name in PLATFORM_LOOPS:
            if name == "kiosk-outbox":
                continue  # its status says more than its loop
            error = next((loop.last_error for loop in self.failing_loops if loop.name == name), None)
            if error == was.get(name):
                continue
            heard = "ok" if not error else platform_condition(error)
            if heard is not None:
                self.platform_heard[name] = PlatformWord(heard, error or "", now)

    # --- the links: one status that the home page, the staff page and the panel read -------------------------------

    def platform_link(self) -> LinkStatus:
        """The platform, from the newest word any source has of it (a refused token from any source wins: it is the
        facility's, not one call's). Nothing heard yet: taken as reachable."""
        words = [*self.platform_heard.values(), *([self.platform_probe] if self.platform_probe else [])]
        refused = [word for word in words if word.condition == "credentials"]
        if refused:
            return LinkStatus("platform", "credentials", refused[-1].detail)
        if not words:
            return LinkStatus("platform", "ok")
        newest = max(word.at for word in words)
        word = min((word for word in words if word.at == newest), key=lambda w: PLATFORM_CONDITIONS.index(w.condition))
        return LinkStatus("platform", word.condition, word.detail)

    def broker_link(self) -> LinkStatus:
        """The site's broker: connected, down, or none named."""
        return LinkStatus("broker", "none" if self.broker is None else "ok" if self.broker else "down")

    def camera_link(self) -> LinkStatus:
        """The camera: giving pictures, or not."""
        return LinkStatus("camera", "ok" if self.camera_ok else "lost")

    def links(self) -> dict[str, LinkStatus]:
        """Every link, by name."""
        return {
            "platform": self.platform_link(),
            "broker": self.broker_link(),
            "camera": self.camera_link(),
            "sound": self.sound,
        }

    @property
    def platform_up(self) -> bool:
        """The platform answers as it should, by the newest word of the outbox, the loops and the probe."""
        return self.platform_link().ok

    @property
    def desk_code_usable(self) -> bool:
        """A desk-code check-in travels phone -> platform -> broker -> kiosk: all of it must be up."""
        return bool(self.broker) and self.platform_up

    @property
    def desk_code_shown(self) -> bool:
        """The desk code is on the reception page: its chain works and the doorway takes new members."""
        return self.desk_code_usable and self.doorway.takes_new_members

    @property
    def way_in(self) -> bool:
        """A new member has a way in now: the camera, or the desk code."""
        return self.camera_ok or self.desk_code_usable

    @property
    def staffed(self) -> bool:
        """Someone is at the desk: a kiosk's reception is staffed while it is open, and nobody is there when closed."""
        return self.doorway is not Doorway.CLOSED

    def member_notice(self) -> str:
        """The one line members see about the kiosk itself (a text key, or ''); nothing that invites a scan the
        doorway does not allow, and staff only while someone is there."""
        if self.doorway is Doorway.CLOSED:
            return ""  # the closed card says it all (and when it opens: closed_line)
        if not self.camera_ok:
            return (
                "camera_lost_member"
                if self.desk_code_usable and self.doorway.takes_new_members
                else "camera_lost_no_desk"
            )
        if not self.desk_code_usable and self.doorway.takes_new_members:
            return "desk_code_off"
        return ""

    def doorway_key(self) -> str:
        """The badge's text key: never 空席あり when no way in works (camera and desk code both down)."""
        if self.doorway.takes_new_members and not self.way_in:
            return "door_paused"
        counted = self.rooms and self.doorway in (Doorway.VACANT, Doorway.FEW_LEFT, Doorway.FULL)
        return f"door_{self.doorway.code}" + ("_rooms" if counted else "")

    def camera_hint(self) -> str:
        """What the camera card asks: to see staff when nothing works, to wait while only the camera is away, or to
        hold the code up (members already in only, when no new member is taken)."""
        if not self.camera_ok:
            return "camera_wait" if self.desk_code_usable else ("see_staff" if self.staffed else "camera_preparing")
        return "or_show" if self.doorway.takes_new_members else "re_entry_only"

    def next_step(self, language: str) -> str:
        """When the page cannot take a new member: what they can do, with a time where one is known (closed: the
        next opening; past the cut-off: when new entries start; full: when a place should free up); else ''."""
        today = self.today or (local(self.admission_from).date() if self.admission_from else date.min)
        if self.doorway is Doorway.CLOSED:
            if self.admission_from is None:
                return t("closed_note", language)
            return t("next_opening", language, when=when_words(self.admission_from, today, language))
        if self.doorway is Doorway.AFTER_CUTOFF and self.admission_from is not None:
            return t("next_entry", language, when=when_words(self.admission_from, today, language))
        if self.doorway is Doorway.FULL:
            if self.place_free_at is not None:
                return t("full_until", language, when=when_words(self.place_free_at, today, language))
            return t("full_wait", language)
        return ""

    def member_line(self, language: str) -> str:
        """The one line under the ways in, in words: what is wrong with the kiosk for members (member_notice), else
        the next step when the doorway takes no new member. "Ask staff" only while someone is there."""
        notice = self.member_notice()
        if notice:
            return t(notice, language)
        return "" if self.doorway is Doorway.CLOSED else self.next_step(language)

    def closed_line(self, language: str) -> str:
        """The closed card's line: when it opens next, or that check-in is not possible now."""
        return self.next_step(language) if self.doorway is Doorway.CLOSED else t("closed_note", language)

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
        if not self.sound.ok:
            alerts.append(StaffAlert("no_sound"))
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
        """The platform's trouble in one line, as platform_link() says it: credentials refused, unreachable, or
        answering with errors."""
        queued = (("n", self.outbox.queued),)
        key = {"credentials": "credentials", "unreachable": "platform_down", "errors": "platform_failing"}
        condition = self.platform_link().condition
        return StaffAlert(key[condition], queued) if condition in key else None

    @property
    def needs_staff(self) -> int:
        """How many things wait for staff (alerts and desk checks): the count on the staff button."""
        return len(self.staff_alerts()) + len(self.pending_checks)
