"""A whole simulated site on this machine: Mosquitto, the stand-in platform, lockd on virtual doors, a kiosk.

The demo and the control panel stand it up; every part is the production code, with the
simulator standing in only for the camera, the doors and the platform. All parts share one
clock set to a weekday morning, so what happens does not depend on when the demo is run.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from datetime import time as clock_time
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from facility.clock import RealTimeScheduler
from facility.config import FacilityConfig, load_config
from facility.config.models import Door, DoorReader
from facility.packaged import DEMO_KEYS, EXAMPLES
from facility.platform import PlatformClient
from facility.rules.calendar import TOKYO, is_day_before_holiday, is_public_holiday
from lockd.acl import acl_text
from lockd.clocktrust import ClockTrust
from lockd.daemon import LockDaemon
from lockd.drivers import door_factory
from lockd.reader import PassReader
from lockd.readers import installed_reader
from messagebus import BrokerSettings
from simulator.broker import MosquittoBroker
from simulator.camera import VirtualCamera
from simulator.clock import ShiftedClock
from simulator.door import SimulatedDoors, VirtualDoor, Visitor
from simulator.osdp_reader import SimulatedOsdpReader
from simulator.runtime import RunningPlatform, start_platform

if TYPE_CHECKING:  # Qt is imported only when a kiosk starts
    from kiosk.app import KioskApp

T = TypeVar("T")
CONFIG = EXAMPLES


def demo_morning(now: datetime) -> datetime:
    """The next Tuesday to Thursday, 10:30 in Tokyo, that is neither a holiday nor the day before one."""
    day = now.astimezone(TOKYO).date() + timedelta(days=1)
    while day.weekday() not in (1, 2, 3) or is_public_holiday(day) or is_day_before_holiday(day):
        day += timedelta(days=1)
    return datetime.combine(day, clock_time(10, 30), TOKYO)


def morning_clock() -> ShiftedClock:
    """A clock reading the demo's weekday morning now and running on from there (monotonic time stays real)."""
    clock = ShiftedClock()
    clock.shift((demo_morning(clock.now()) - clock.now()).total_seconds())
    return clock


def _password(cfg: FacilityConfig) -> str:
    """The demo password a site's file points at."""
    return Path(_started(cfg.mqtt_settings.password_file, "a password file")).read_text().strip()


def _user(cfg: FacilityConfig) -> str:
    """The broker user a site's file names (every example file names one)."""
    return _started(cfg.mqtt_settings.username, "a broker user")


def _started(part: T | None, name: str) -> T:
    """A part of the site (or of its files) that must be there by now."""
    if part is None:
        raise RuntimeError(f"{name} is missing: start the site first, from the shipped files")
    return part


DOOR_CAMERA = "door-camera"  # the camera setting of meeting-1's reader in the simulated site


class DoorCamera:
    """The simulator's camera at a door, with the LED lockd last showed for it (a bare camera has none: the panel
    shows lockd's verdict in its place)."""

    def __init__(self) -> None:
        self.camera = VirtualCamera(1280, 720, fps=30, paced=True)
        self.reader: PassReader | None = None

    def watched(self, reader: PassReader) -> PassReader:
        """Keep the reader lockd reads this camera through."""
        self.reader = reader
        return reader

    @property
    def led(self) -> str:
        """lockd's last verdict at this door: green, red, or off."""
        last = getattr(self.reader, "last_signal", None)
        return "off" if last is None else ("green" if last else "red")

    def close(self) -> None:
        """Let the camera go."""
        self.camera.close()


class Site:
    """The simulated facility: a Kaikatsu-like reception, an H1T-like booking floor and a staffed meeting room."""

    def __init__(self, work: Path, clock: ShiftedClock | None = None) -> None:
        self.work = work
        self.clock = clock or morning_clock()
        self.reception_cfg = load_config(CONFIG / "kaikatsu-ikebukuro.toml")
        self.booking_cfg = load_config(CONFIG / "h1t-shibuya.toml")
        self.meeting_cfg = load_config(CONFIG / "meeting-kanda.toml")
        self.platform_password = secrets.token_urlsafe(12)
        self.watcher_password = secrets.token_urlsafe(12)
        self.broker = MosquittoBroker(
            work / "broker",
            self._users(),
            acl_text([self.reception_cfg, self.booking_cfg, self.meeting_cfg], monitor_users=("watcher",)),
        )
        self._platform: RunningPlatform | None = None  # each part exists once start() has made it
        self._lockd: LockDaemon | None = None
        self._kiosk: KioskApp | None = None
        self._meeting_kiosk: KioskApp | None = None
        self.camera = VirtualCamera(1280, 720, fps=30, paced=True)
        self.meeting_camera = VirtualCamera(640, 360, fps=10, paced=True)  # its members use the desk code
        self.doors: dict[str, VirtualDoor] = {}
        # At the booking floor's doors (docs/doors.md): an OSDP reader at booth-a, on a real pty with Secure Channel,
        # and a camera at meeting-1, read by the kiosk's decoder; made with lockd.
        self.door_readers: dict[str, SimulatedOsdpReader | DoorCamera] = {}
        self.scheduler = RealTimeScheduler()

    def _users(self) -> dict[str, str]:
        """Every broker user of the site with its password."""
        return {
            "platform": self.platform_password,
            "watcher": self.watcher_password,
            _user(self.booking_cfg): _password(self.booking_cfg),
            _user(self.reception_cfg): _password(self.reception_cfg),
            _user(self.meeting_cfg): _password(self.meeting_cfg),
        }

    def settings(self, user: str, password: str, client_id: str = "") -> BrokerSettings:
        """How a part of the site reaches the broker."""
        return BrokerSettings(self.broker.host, self.broker.port, user, password, client_id=client_id)

    def start(self, kiosk_window: bool = False) -> None:
        """Broker, platform, lockd, then the kiosk."""
        self.broker.start()
        self._platform = start_platform(
            CONFIG / "simulator" / "seed.toml",
            broker=self.settings("platform", self.platform_password, "platform"),
            clock=self.clock,
        )
        self._start_lockd()
        self._start_kiosk(kiosk_window)
        self._start_meeting_kiosk()

    def _with_platform(self, cfg: FacilityConfig, **changes) -> FacilityConfig:
        """A facility file pointed at the stand-in platform."""
        return cfg.model_copy(
            update={"platform": cfg.platform.model_copy(update={"base_url": self.platform.server.url}), **changes}
        )

    def _with_readers(self, cfg: FacilityConfig) -> FacilityConfig:
        """The booking floor with an OSDP reader at booth-a and a camera at meeting-1 (docs/doors.md)."""
        scbk = secrets.token_bytes(16)
        key_file = self.work / "osdp-booth-a.key"
        key_file.write_text(scbk.hex() + "\n")
        key_file.chmod(0o600)
        osdp = SimulatedOsdpReader(1, scbk)
        self.door_readers = {"booth-a": osdp, "meeting-1": DoorCamera()}
        readers = {
            "booth-a": DoorReader(kind="osdp", address=1, key_file=key_file),
            "meeting-1": DoorReader(kind="camera", camera=DOOR_CAMERA),
        }
        doors = [door.model_copy(update={"reader": readers.get(door.id)}) for door in cfg.doors]
        return cfg.model_copy(
            update={"doors": doors, "lockd": cfg.lockd_settings.model_copy(update={"osdp": osdp.bus()})}
        )

    def _reader_for(self, cfg: FacilityConfig, door: Door) -> PassReader:
        """lockd's reader for a door: the OSDP one as lockd makes it, the camera on the simulator's door camera."""
        assert door.reader is not None
        if door.reader.kind == "camera":
            from lockd.camera_reader import CameraReader

            camera = self.door_readers[door.id]
            assert isinstance(camera, DoorCamera)
            return camera.watched(CameraReader(door.reader, {DOOR_CAMERA: lambda _: camera.camera}))
        return installed_reader(cfg.lockd_settings, door)

    def _start_lockd(self) -> None:
        """lockd for the booking floor, on virtual doors whose visitors walk through when told."""
        cfg = self._with_readers(
            self._with_platform(
                self.booking_cfg,
                lockd=self.booking_cfg.lockd_settings.model_copy(
                    update={"data_dir": self.work / "lockd", "clock_check": "sanity"}
                ),
            )
        )
        self.booking_cfg = cfg

        simulated = SimulatedDoors(Visitor(opens_after=0.8, closes_after=2.5))  # members walk through when let in
        self.doors = simulated.made
        self._lockd = LockDaemon(
            cfg,
            self.settings(_user(cfg), _password(cfg), f"lockd-{cfg.facility.id}"),
            # the simulated site stands in for the GPIO boards too: every door is a virtual one
            PlatformClient(cfg.platform),
            door_factory({"simulated": simulated, "gpio": simulated}),
            clock=self.clock,
            scheduler=self.scheduler,
            trust=ClockTrust("sanity"),
            readers_for=partial(self._reader_for, cfg),
        )
        self.lockd.start()

    def _start_kiosk(self, window: bool) -> None:
        """The reception kiosk on the virtual camera."""
        from kiosk.app import KioskApp

        cfg = self._with_platform(self.reception_cfg)
        self.reception_cfg = cfg
        self._kiosk = KioskApp(
            cfg,
            self.camera,
            clock=self.clock,
            data_dir=self.work / "kiosk",
            broker=self.settings(_user(cfg), _password(cfg), f"kiosk-{cfg.facility.id}"),
        )
        self.kiosk.start(full_screen=False)
        if not window:
            self.kiosk.window.hide()

    def _start_meeting_kiosk(self) -> None:
        """The staffed meeting room's reception kiosk (its window stays hidden: the demo narrates it)."""
        from kiosk.app import KioskApp

        cfg = self._with_platform(self.meeting_cfg)
        self.meeting_cfg = cfg
        self._meeting_kiosk = KioskApp(
            cfg,
            self.meeting_camera,
            clock=self.clock,
            data_dir=self.work / "meeting-kiosk",
            broker=self.settings(_user(cfg), _password(cfg), f"kiosk-{cfg.facility.id}"),
        )
        self.meeting_kiosk.start(full_screen=False)
        self.meeting_kiosk.window.hide()

    @property
    def platform(self) -> RunningPlatform:
        """The stand-in platform (once started)."""
        return _started(self._platform, "the platform")

    @property
    def lockd(self) -> LockDaemon:
        """lockd on the booking floor (once started)."""
        return _started(self._lockd, "lockd")

    @property
    def kiosk(self) -> KioskApp:
        """The reception kiosk (once started)."""
        return _started(self._kiosk, "the kiosk")

    @property
    def meeting_kiosk(self) -> KioskApp:
        """The staffed meeting room's kiosk (once started)."""
        return _started(self._meeting_kiosk, "the meeting room's kiosk")

    def stop(self) -> None:
        """Everything down, in reverse order; no process is left behind. The scheduler first: a simulated door's
        close planned for later must not reach a lockd already stopped."""
        self.scheduler.stop()
        for part in (self._meeting_kiosk, self._kiosk, self._lockd, self._platform):
            if part is not None:
                part.stop()
        self.meeting_camera.close()
        self.camera.close()
        for reader in self.door_readers.values():
            reader.close()
        self.broker.stop()

    def rehearsal_files(self) -> dict[str, Path]:
        """The reception's and the booking floor's files pointed at this site's broker and platform, for `doctor`."""
        folder = self.work / "doctor"
        folder.mkdir(exist_ok=True)
        written = {}
        for role, example in (("kiosk", "kaikatsu-ikebukuro.toml"), ("lockd", "h1t-shibuya.toml")):
            text = (CONFIG / example).read_text()
            for shipped, here in (
                ("port = 1883", f"port = {self.broker.port}"),
                ('"http://127.0.0.1:8710/v1"', f'"{self.platform.server.url}"'),
                ('"demo-keys/', f'"{DEMO_KEYS}/'),
                ('data_dir = "../var/', f'data_dir = "{folder}/'),
                # no board here: the GPIO door is rehearsed on gpiozero's mock pins
                ("[lockd]\n", '[lockd]\npin_factory = "mock"\n'),
            ):
                text = text.replace(shipped, here)
            written[role] = folder / example
            written[role].write_text(text)
        return written

    def watcher(self) -> BrokerSettings:
        """Read-only access to states and events."""
        return self.settings("watcher", self.watcher_password)
