"""The technician's control panel: a simulated site's doors and the kiosk's camera, with buttons to act on them."""

from __future__ import annotations

from PySide6.QtCore import QTimer
from PySide6.QtGui import QImage, QPixmap
from PySide6.QtWidgets import (
    QComboBox,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from facility.platform import PlatformError
from simulator.phone import AppClient, Phone
from simulator.site import Site

DOOR_ACTIONS = ("push", "hold 45 s", "force", "jam", "unjam", "exit button")


class DoorRow:
    """One door's line on the panel: what its hardware is doing, and buttons to act on it."""

    def __init__(self, panel: ControlPanel, door_id: str, grid: QGridLayout, row: int) -> None:
        self.panel, self.door_id = panel, door_id
        self.status = QLabel()
        grid.addWidget(QLabel(f"<b>{door_id}</b>"), row, 0)
        grid.addWidget(self.status, row, 1)
        self.buttons = {}
        for column, action in enumerate(DOOR_ACTIONS, start=2):
            button = QPushButton(action)
            button.clicked.connect(lambda _=False, a=action: self.act(a))
            grid.addWidget(button, row, column)
            self.buttons[action] = button

    def act(self, action: str) -> None:
        """Do what a person (or a faulty strike) would."""
        door = self.panel.site.doors[self.door_id]
        {"push": door.push, "hold 45 s": lambda: door.hold_open(45), "force": door.force_open, "jam": door.jam,
         "unjam": door.unjam, "exit button": door.press_exit_button}[action]()
        self.panel.log(f"{self.door_id}: {action}")

    def refresh(self) -> None:
        """Show relay, strike, contact, lock state and the last alarm."""
        door = self.panel.site.doors[self.door_id]
        state = self.panel.site.lockd.doors[self.door_id].state.value
        alarms = [e.what for e in door.history if e.what in ("forced", "jammed", "strike_stuck")]
        self.status.setText(f"relay {'ON ' if door.relay_energised else 'off'} | strike "
                            f"{'released' if door.strike_released else 'locked'} | door "
                            f"{'OPEN' if door.open else 'closed'} | lockd {state}"
                            + (f" | last alarm: {alarms[-1]}" if alarms else ""))


class ControlPanel(QWidget):
    """The panel window."""

    def __init__(self, site: Site) -> None:
        super().__init__()
        self.site = site
        self.setWindowTitle("officepass simulator: control panel")
        self.client = AppClient(site.platform.server.url, timeout=10)
        self.camera_view = QLabel()
        self.camera_view.setFixedSize(480, 270)
        self.members = QComboBox()
        for member in site.platform.state.members.values():
            self.members.addItem(f"{member.member_id} {member.name} ({member.plan.value})", member.member_id)
        self.messages = QLabel()
        self.messages.setWordWrap(True)
        self.rows: list[DoorRow] = []
        self.cut = {"platform": QPushButton("cut the platform"), "broker": QPushButton("cut the broker")}
        self._layout()
        site.kiosk.scanner.worker.preview.connect(self._camera)
        self.timer = QTimer(self)
        self.timer.timeout.connect(self.refresh)
        self.timer.start(200)

    def _layout(self) -> None:
        """Kiosk camera and phone on the left, doors on the right, the outside world below."""
        show, away = QPushButton("show this member's pass to the camera"), QPushButton("take the phone away")
        show.clicked.connect(self.show_pass)
        away.clicked.connect(self.site.camera.empty)
        kiosk = QVBoxLayout()
        for widget in (self.camera_view, self.members, show, away):
            kiosk.addWidget(widget)
        kiosk_box = QGroupBox("kiosk camera")
        kiosk_box.setLayout(kiosk)
        grid = QGridLayout()
        for row, door_id in enumerate(self.site.doors):
            self.rows.append(DoorRow(self, door_id, grid, row))
        doors_box = QGroupBox("doors")
        doors_box.setLayout(grid)
        self.cut["platform"].clicked.connect(self.toggle_platform)
        self.cut["broker"].clicked.connect(self.toggle_broker)
        world = QHBoxLayout()
        world.addWidget(self.cut["platform"])
        world.addWidget(self.cut["broker"])
        top = QHBoxLayout()
        top.addWidget(kiosk_box)
        top.addWidget(doors_box, 1)
        page = QVBoxLayout(self)
        page.addLayout(top)
        page.addLayout(world)
        page.addWidget(self.messages)

    def log(self, text: str) -> None:
        """Say what just happened."""
        self.messages.setText(f"{self.site.clock.now():%H:%M:%S} {text}")

    def show_pass(self) -> None:
        """The chosen member opens the app and holds the pass to the camera."""
        member = self.members.currentData()
        try:
            text = Phone(member, self.client).show_pass(self.site.reception_cfg.facility.id)
        except PlatformError as exc:
            self.log(f"the app could not get a pass: {exc}")
            return
        self.site.camera.show(text)
        self.log(f"member {member} shows a pass to the camera")

    def toggle_platform(self) -> None:
        """Cut the platform off, or bring it back."""
        server = self.site.platform.server
        server.restore() if not server.reachable else server.go_unreachable()
        self.cut["platform"].setText("restore the platform" if not server.reachable else "cut the platform")
        self.log("platform " + ("unreachable" if not server.reachable else "back"))

    def toggle_broker(self) -> None:
        """Stop the broker, or start it again on the same port."""
        broker = self.site.broker
        broker.stop() if broker.running else broker.start()
        self.cut["broker"].setText("restore the broker" if not broker.running else "cut the broker")
        self.log("broker " + ("stopped" if not broker.running else "running"))

    def refresh(self) -> None:
        """Update every door's line."""
        for row in self.rows:
            row.refresh()

    def _camera(self, image: QImage) -> None:
        """The kiosk's camera feed."""
        self.camera_view.setPixmap(QPixmap.fromImage(image).scaled(self.camera_view.size()))


def run_panel(headless: bool = False) -> int:
    """Stand up a simulated site and open the panel (and the kiosk) until the panel is closed."""
    import os
    import sys
    import tempfile
    from pathlib import Path
    if headless or not os.environ.get("DISPLAY"):
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
    from PySide6.QtWidgets import QApplication

    from simulator.qtwait import run_until, stop_on_signals
    qt = QApplication.instance() or QApplication(sys.argv[:1])
    stop_on_signals()
    with tempfile.TemporaryDirectory(prefix="officepass-demo-") as work:
        site = Site(Path(work))
        try:
            site.start(kiosk_window=True)
            panel = ControlPanel(site)
            panel.show()
            print("control panel open; close it (or Ctrl-C) to stop the site", flush=True)
            run_until(lambda: not panel.isVisible(), 365 * 24 * 3600)
        except KeyboardInterrupt:
            pass
        finally:
            site.stop()
            qt.processEvents()
    return 0
