"""Screenshots of the kiosk's main screens for docs/ (run: .venv/bin/python scripts/screenshots.py).

Runs the real kiosk offscreen at 1280x800 for the Regus-like example on a Tuesday morning,
with the stand-in platform and the simulator's camera, and saves PNGs in docs/screenshots/.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from PySide6.QtWidgets import QApplication  # noqa: E402

from facility.config import load_config  # noqa: E402
from facility.models import Plan  # noqa: E402
from facility.rules.calendar import TOKYO  # noqa: E402
from facility.tokens import MemberPass, SigningKey, facility_tag, mint, new_id  # noqa: E402
from kiosk.app import KioskApp  # noqa: E402
from simulator.camera import VirtualCamera  # noqa: E402
from simulator.clock import ShiftedClock  # noqa: E402
from simulator.runtime import start_platform  # noqa: E402
from simulator.screen import Shot  # noqa: E402

OUT = REPO / "docs" / "screenshots"
TUESDAY_10 = datetime(2026, 11, 24, 10, 5, tzinfo=TOKYO)


def settle(app: QApplication, until, seconds: float = 10.0) -> None:
    """Run the event loop until the condition holds (or the time is up)."""
    deadline = time.monotonic() + seconds
    while not until() and time.monotonic() < deadline:
        app.processEvents()


def a_pass(clock: ShiftedClock, facility: str, member: int, name: str, plan: Plan, first: bool = False) -> str:
    """A member's pass, as the app would show it at the kiosk's time."""
    key = SigningKey.load(REPO / "config" / "demo-keys" / "platform-demo.pem")
    issued = int(clock.now().timestamp())
    return mint(MemberPass(member, plan, new_id(8), issued, 90, facility_tag(facility), None, name, first), key)


def main() -> int:
    """Take the screenshots."""
    qt = QApplication.instance() or QApplication([])
    platform = start_platform(REPO / "config" / "simulator" / "seed.toml")
    cfg = load_config(REPO / "config" / "regus-shinjuku.toml")
    cfg = cfg.model_copy(update={"platform": cfg.platform.model_copy(update={"base_url": platform.server.url})})
    clock = ShiftedClock((TUESDAY_10 - ShiftedClock().now()).total_seconds())
    camera = VirtualCamera(1280, 720, paced=True)
    with tempfile.TemporaryDirectory() as data:
        kiosk = KioskApp(cfg, camera, clock=clock, data_dir=Path(data))
        kiosk.start(full_screen=False)
        kiosk.window.resize(1280, 800)
        for member in range(1, 13):  # a busy morning
            kiosk.reception.present(a_pass(clock, cfg.facility.id, 5000 + member, "会員", Plan.CORPORATE))
        kiosk.go_home()
        camera.show(a_pass(clock, "elsewhere", 1, "x", Plan.CORPORATE), Shot(distance=1.2, tilt_y=10))
        settle(qt, lambda: kiosk.window.home.camera.pixmap() is not None and not kiosk.window.home.camera.pixmap().isNull())
        camera.empty()
        shots = {
            "kiosk-home-ja": kiosk.go_home,
            "kiosk-admitted-ja": lambda: kiosk.show_verdict(kiosk.reception.present(
                a_pass(clock, cfg.facility.id, 1001, "佐藤 葵", Plan.INDIVIDUAL_PREMIUM, first=True))),
            "kiosk-refused-ja": lambda: kiosk.show_verdict(kiosk.reception.present(
                a_pass(clock, cfg.facility.id, 1002, "鈴木 蓮", Plan.INDIVIDUAL_BASIC))),
            "kiosk-home-en": lambda: (kiosk.toggle_language(), kiosk.go_home()),
            "kiosk-staff-en": lambda: (kiosk.staff.unlock("2580")),
        }
        for name, show in shots.items():
            show()
            settle(qt, lambda: False, 0.3)  # let layouts settle and paint
            kiosk.window.grab().save(str(OUT / f"{name}.png"))
            print(OUT / f"{name}.png")
        kiosk.stop()
    platform.stop()
    control_panel(qt)
    return 0


def control_panel(qt: QApplication) -> None:
    """The technician's panel on a running simulated site, with a door forced and a pass in front of the camera."""
    from simulator.panel import ControlPanel
    from simulator.site import Site
    with tempfile.TemporaryDirectory(prefix="officepass-demo-") as work:
        site = Site(Path(work))
        site.start()
        panel = ControlPanel(site)
        panel.resize(1280, 520)
        panel.show()
        settle(qt, lambda: site.lockd.bus.connected, 15)
        panel.members.setCurrentIndex(panel.members.findData(1003))
        panel.show_pass()
        settle(qt, lambda: panel.camera_view.pixmap() is not None and not panel.camera_view.pixmap().isNull())
        next(row for row in panel.rows if row.door_id == "booth-b").act("force")
        settle(qt, lambda: False, 0.5)
        panel.grab().save(str(OUT / "control-panel.png"))
        print(OUT / "control-panel.png")
        panel.timer.stop()
        site.stop()


if __name__ == "__main__":
    sys.exit(main())
