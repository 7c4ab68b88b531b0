"""Screenshots of every kiosk screen at the three screen sizes, in Japanese and English, for docs/screenshots/.

Run: .venv/bin/python scripts/screenshots.py [--only NAME]. It runs the real kiosk offscreen
(Regus-like drop-in on a Tuesday morning; Kaikatsu-like member-screen branch on a Friday) with
the stand-in platform and the simulator's camera. Link states (broker up or down) are set on
the kiosk's state as its bus would set them. Files: docs/screenshots/<size>/<screen>-<language>.png
(1920x1080 and 1080x1920 saved at half scale), and docs/screenshots/control-panel.png.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from PIL import Image  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from facility.config import FacilityConfig, load_config  # noqa: E402
from facility.models import Plan  # noqa: E402
from facility.rules.calendar import TOKYO  # noqa: E402
from facility.tokens import MemberPass, SigningKey, facility_tag, mint, new_id  # noqa: E402
from kiosk.app import KioskApp  # noqa: E402
from kiosk.sounds import Chime  # noqa: E402
from simulator.camera import VirtualCamera  # noqa: E402
from simulator.clock import ShiftedClock  # noqa: E402
from simulator.runtime import start_platform  # noqa: E402
from simulator.screen import Shot  # noqa: E402

OUT = REPO / "docs" / "screenshots"
SIZES = {"1920x1080": (1920, 1080), "1280x800": (1280, 800), "1080x1920": (1080, 1920)}
TUESDAY_10 = datetime(2026, 11, 24, 10, 5, tzinfo=TOKYO)
FRIDAY_10 = datetime(2026, 11, 27, 10, 5, tzinfo=TOKYO)
PLATFORM_KEY = REPO / "config" / "demo-keys" / "platform-demo.pem"


def settle(app: QApplication, until: Callable[[], bool], seconds: float = 10.0) -> None:
    """Run the event loop until the condition holds (or the time is up)."""
    deadline = time.monotonic() + seconds
    while not until() and time.monotonic() < deadline:
        app.processEvents()


def a_pass(
    kiosk: KioskApp, member: int, name: str, plan: Plan = Plan.CORPORATE, facility: str | None = None, age: int = 0
) -> str:
    """A member's pass, as the app would show it at the kiosk's time (issued `age` seconds ago)."""
    issued = int(kiosk.clock.now().timestamp()) - age
    return mint(
        MemberPass(
            member, plan, new_id(8), issued, 90, facility_tag(facility or kiosk.cfg.facility.id), None, name, False
        ),
        SigningKey.load(PLATFORM_KEY),
    )


def with_platform(cfg: FacilityConfig, url: str) -> FacilityConfig:
    """The facility pointing at the stand-in platform."""
    return cfg.model_copy(update={"platform": cfg.platform.model_copy(update={"base_url": url})})


class Shooter:
    """One kiosk at one size and language, and the screens taken of it."""

    def __init__(
        self, qt: QApplication, cfg: FacilityConfig, moment: datetime, size: str, language: str, data: Path
    ) -> None:
        self.qt, self.size, self.language = qt, size, language
        self.clock = ShiftedClock((moment - ShiftedClock().now()).total_seconds())
        self.camera = VirtualCamera(1280, 720, paced=True)
        self.kiosk = KioskApp(cfg, self.camera, clock=self.clock, data_dir=data, chime=Chime(None))
        self.kiosk.start(full_screen=False)
        self.kiosk.window.resize(*SIZES[size])
        self.kiosk.state.update(broker=True)  # as the bus says once connected
        if language != self.kiosk.language:
            self.kiosk.toggle_language()
        self.kiosk.state.default_language = language  # going home keeps the language being shot

    def preview(self) -> None:
        """A phone in front of the camera for a moment, so the preview shows a picture."""
        self.camera.show(a_pass(self.kiosk, 1, "x", facility="elsewhere"), Shot(distance=1.2, tilt_y=10))
        settle(self.qt, lambda: not self.kiosk.window.home.camera.pixmap().isNull())
        self.camera.empty()
        self.kiosk.window.verdict.tapped.emit()
        self.kiosk.go_home()

    def shoot(self, name: str) -> Path:
        """Save the window as it is now (quantised, and the two large sizes at half scale: the docs stay small)."""
        self.kiosk.refresh()
        settle(self.qt, lambda: False, 0.3)  # let layouts settle and paint
        path = OUT / self.size / f"{name}-{self.language}.png"
        path.parent.mkdir(parents=True, exist_ok=True)
        self.kiosk.window.grab().save(str(path))
        image = Image.open(path).convert("RGB")
        if max(image.size) > 1280:
            image = image.resize((image.width // 2, image.height // 2), Image.Resampling.LANCZOS)
        image.quantize(128, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE).save(path, optimize=True)
        print(path)
        return path

    def stop(self) -> None:
        """Close the kiosk."""
        self.kiosk.stop()


def regus_screens(shooter: Shooter) -> None:
    """The drop-in office: home in each state, each verdict kind, the PIN and the staff pages."""
    kiosk = shooter.kiosk
    shooter.preview()
    shooter.shoot("home")
    kiosk.show_verdict(kiosk.reception.present(a_pass(kiosk, 1001, "佐藤 葵")))
    shooter.shoot("verdict-admitted")
    kiosk.show_verdict(kiosk.reception.present(a_pass(kiosk, 1005, "W" * 30)))  # the longest name a pass carries
    shooter.shoot("verdict-admitted-longest-name")
    kiosk.show_verdict(kiosk.reception.present(a_pass(kiosk, 1002, "鈴木 蓮", age=600)))
    shooter.shoot("verdict-try-again")
    kiosk.show_verdict(kiosk.reception.present("https://qr.paypay.ne.jp/p2p01_example"))
    shooter.shoot("verdict-payment-code")
    kiosk.show_verdict(kiosk.reception.present(a_pass(kiosk, 1003, "高橋 陽翔", Plan.INDIVIDUAL_BASIC)))
    shooter.shoot("verdict-refused")
    kiosk.enter_staff_mode()
    for digit in "25":
        kiosk.window.pin.keypad.press(digit)
    shooter.shoot("pin")
    kiosk.staff.unlock("2580")
    shooter.shoot("staff-today")
    kiosk.window.staff.tabs.setCurrentIndex(1)
    shooter.shoot("staff-checks")
    kiosk.window.staff.tabs.setCurrentIndex(2)
    kiosk.show_verdict(kiosk.reception.present(a_pass(kiosk, 1004, "田中 結衣", Plan.INDIVIDUAL_BASIC)))
    shooter.shoot("staff-admit-with-member-verdict")
    item = kiosk.store.outbox("queued")[0]
    kiosk.store.settle(item.key, "dead", 1, 0, "HTTP 422: member 1001 is not on the platform's roll")
    kiosk.state.update(outbox=kiosk.outbox.status())
    kiosk.window.hide_member_strip()
    kiosk.window.staff.tabs.setCurrentIndex(3)
    shooter.shoot("staff-queue")
    kiosk.window.staff.tabs.setCurrentIndex(4)
    kiosk.window.staff.ask_exit(True)
    shooter.shoot("staff-more")
    kiosk.go_home()
    home_states(shooter)


def home_states(shooter: Shooter) -> None:
    """The reception page when seats run low, when full, without the broker, without the camera, when closed."""
    kiosk = shooter.kiosk
    seats = kiosk.cfg.seats
    assert seats is not None
    member = 5000
    for target, name in ((seats.total - seats.few_left_at, "home-few-left"), (seats.total, "home-full")):
        while kiosk.reception.occupancy().people < target:
            member += 1
            kiosk.reception.present(a_pass(kiosk, member, "会員"))
        kiosk.go_home()
        shooter.shoot(name)
    kiosk.state.update(broker=False)
    kiosk.store.check_out(kiosk.reception.today()[-1].key, kiosk.clock.now())
    shooter.shoot("home-broker-down")
    kiosk.state.update(broker=True)
    shooter.camera.unplug()
    settle(shooter.qt, lambda: not kiosk.state.camera_ok)
    shooter.shoot("home-camera-lost")
    kiosk.state.update(broker=False)  # no camera and no desk code: nothing works, and the page says so
    shooter.shoot("home-camera-and-broker-down")
    kiosk.state.update(broker=True)
    shooter.camera.plug()
    shooter.clock.shift(10 * 3600)
    shooter.shoot("home-closed")


def kaikatsu_screens(shooter: Shooter) -> None:
    """The member-screen branch: the camera gets the main space; Friday after 18:00 no new entry."""
    shooter.preview()
    shooter.shoot("camera-first-home")
    shooter.clock.shift(8 * 3600 + 30 * 60)
    shooter.shoot("camera-first-after-cutoff")


def main() -> int:
    """Take the screenshots."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--only", choices=sorted(SIZES), help="one screen size")
    args = parser.parse_args()
    qt = QApplication.instance() or QApplication([])
    platform = start_platform(REPO / "config" / "simulator" / "seed.toml")
    sites = (
        (load_config(REPO / "config" / "regus-shinjuku.toml"), TUESDAY_10, regus_screens),
        (load_config(REPO / "config" / "kaikatsu-ikebukuro.toml"), FRIDAY_10, kaikatsu_screens),
    )
    try:
        for size in [args.only] if args.only else SIZES:
            for language in ("ja", "en"):
                for cfg, moment, screens in sites:
                    with tempfile.TemporaryDirectory() as data:
                        shooter = Shooter(
                            qt, with_platform(cfg, platform.server.url), moment, size, language, Path(data)
                        )
                        try:
                            screens(shooter)
                        finally:
                            shooter.stop()
    finally:
        platform.stop()
    if not args.only:
        control_panel(qt)
    return 0


def control_panel(qt: QApplication) -> None:
    """The technician's panel on a running simulated site, with a door forced and a pass in front of the camera."""
    from simulator.site import Site
    from technician.panel import ControlPanel

    with tempfile.TemporaryDirectory(prefix="officepass-demo-") as work:
        site = Site(Path(work))
        site.start()
        panel = ControlPanel(site)
        panel.resize(1280, 800)
        panel.show()
        settle(qt, lambda: site.lockd.bus.connected, 15)
        panel.members.setCurrentIndex(panel.members.findData(1003))
        panel.show_pass()
        settle(qt, lambda: panel.camera_view.pixmap() is not None and not panel.camera_view.pixmap().isNull())
        next(row for row in panel.rows if row.door_id == "booth-b").act("force")
        settle(qt, lambda: False, 0.5)
        panel.grab().save(str(OUT / "control-panel.png"))
        print(OUT / "control-panel.png")
        offline_admission(qt, site, panel)
        panel.timer.stop()
        site.stop()


def offline_admission(qt: QApplication, site, panel) -> None:
    """The platform cut, a member shows the pass their phone kept: the kiosk admits by camera, offline."""
    admitted = len(site.kiosk.store.checkins())
    panel.members.setCurrentIndex(panel.members.findData(1004))  # her app keeps a pass while the platform answers
    site.camera.empty()  # the last member has gone
    panel.cut["platform"].click()
    settle(qt, lambda: not site.kiosk.state.platform_up, 30)
    panel.show_pass()
    settle(qt, lambda: len(site.kiosk.store.checkins()) > admitted, 15)
    settle(qt, lambda: False, 0.5)
    panel.grab().save(str(OUT / "control-panel-offline-admission.png"))
    print(OUT / "control-panel-offline-admission.png")


if __name__ == "__main__":
    sys.exit(main())
