"""The technician's control panel: a simulated site's broker, platform, doors and kiosk, with buttons to act on them."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QImage, QPixmap
from PySide6.QtWidgets import (
    QComboBox,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QListWidget,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from facility.plaintext import NAME_COLUMNS, displayed
from facility.platform import PlatformError
from kiosk.widgets import Plain
from simulator.phone import AppClient, Phone
from simulator.site import Site
from technician.panel_state import (
    LED_STYLES,
    KioskAlarms,
    KioskView,
    Line,
    ReaderLed,
    kiosk_lines,
    lockd_alarm_text,
    lockd_alarms,
    reader_led_text,
)

DOOR_ACTIONS = ("push", "hold 45 s", "force", "jam", "unjam", "exit button")
KEEP_PASS_SECONDS = 30  # a pass lives 90 s: one kept this often is good for a minute after a cut
CAMERA_SIZE = (432, 243)  # 16:9, small enough for the whole panel to fit a 1280x800 screen
BAD = "color: #b00020; font-weight: bold"  # red, and the words say it too (DOWN, UNPLUGGED...)


def heading(text: str) -> Plain:
    """A line's name, in bold (by style: every label is plain text, kiosk/widgets.py)."""
    label = Plain(text)
    label.setStyleSheet("font-weight: bold")
    return label


def show_line(label: Plain, line: Line) -> None:
    """A status line in its words, red and bold when it needs a technician."""
    label.setText(line.text)
    label.setStyleSheet(BAD if line.bad else "")


class DoorRow:
    """One door on the panel: what its hardware and lockd are doing, and buttons to act on it."""

    def __init__(
        self, panel: ControlPanel, door_id: str, grid: QGridLayout, row: int, reader: ReaderLed | None = None
    ) -> None:
        self.panel, self.door_id, self.reader = panel, door_id, reader
        self.status = Plain()
        self.led = Plain() if reader is not None else None  # only a door with a simulated reader shows its LED
        grid.addWidget(heading(door_id), 2 * row, 0)
        grid.addWidget(self.status, 2 * row, 1)
        if self.led is not None:
            grid.addWidget(self.led, 2 * row, 2)
        buttons = QHBoxLayout()
        self.buttons = {}
        for action in DOOR_ACTIONS:
            button = QPushButton(action)
            button.clicked.connect(lambda _=False, a=action: self.act(a))
            buttons.addWidget(button)
            self.buttons[action] = button
        grid.addLayout(buttons, 2 * row + 1, 1)

    def act(self, action: str) -> None:
        """Do what a person (or a faulty strike) would."""
        door = self.panel.site.doors[self.door_id]
        {
            "push": door.push,
            "hold 45 s": lambda: door.hold_open(45),
            "force": door.force_open,
            "jam": door.jam,
            "unjam": door.unjam,
            "exit button": door.press_exit_button,
        }[action]()
        self.panel.log(f"{self.door_id}: {action}")

    def refresh(self) -> None:
        """Show lockd's state, then the relay, strike and contact."""
        door = self.panel.site.doors[self.door_id]
        state = self.panel.site.lockd.doors[self.door_id].state.value
        show_line(
            self.status,
            Line(
                f"lockd {state}  |  relay {'ON' if door.relay_energised else 'off'}  |  strike "
                f"{'released' if door.strike_released else 'locked'}  |  door "
                f"{'OPEN' if door.open else 'closed'}",
                bad=state == "JAMMED",
            ),
        )
        if self.led is not None and self.reader is not None:
            colour = self.reader.led
            self.led.setText(reader_led_text(colour))
            self.led.setStyleSheet(LED_STYLES.get(colour, ""))


class ControlPanel(QWidget):
    """The panel window."""

    def __init__(
        self, site: Site, rehearsal: dict[str, Path] | None = None, readers: Mapping[str, ReaderLed] | None = None
    ) -> None:
        super().__init__()
        self.site = site
        # door id -> its simulated reader (the site's OSDP one at booth-a, say), whose LED is shown
        self.readers = dict(readers if readers is not None else site.door_readers)
        self.rehearsal = rehearsal if rehearsal is not None else site.rehearsal_files()
        self.setWindowTitle("officepass simulator: control panel")
        self.client = AppClient(site.platform.server.url, timeout=10)
        self.camera_view = Plain()
        self.camera_view.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.camera_view.setFixedSize(*CAMERA_SIZE)
        self.camera_view.setStyleSheet("background: #303030; color: white; font-weight: bold")
        self.members = QComboBox()
        for member in site.platform.state.members.values():
            name = displayed(member.name, NAME_COLUMNS)  # the platform's record: outside text
            self.members.addItem(f"{member.member_id} {name} ({member.plan.value})", member.member_id)
        self.site_lines = {"broker": Plain(), "platform": Plain()}
        self.lockd_link = Plain()
        self.kiosk_status = {name: Plain() for name in ("camera", "broker link", "platform", "queue", "sound")}
        self.kiosk_alarms = KioskAlarms()
        self.alarms, self.activity = QListWidget(), QListWidget()
        self.lockd_alarms_seen = 0
        self.rows: list[DoorRow] = []
        self.cut = {"platform": QPushButton("cut the platform"), "broker": QPushButton("cut the broker")}
        self.plug = QPushButton("unplug the camera")
        self.camera_plugged = True
        self.last_picture: float | None = None  # monotonic time of the kiosk's last picture
        self.phones: dict[int, Phone] = {}  # each member's phone, with the passes its app kept
        self._layout()
        site.kiosk.scanner.worker.preview.connect(self._camera)
        self.timer = QTimer(self)
        self.timer.timeout.connect(self.refresh)
        self.timer.start(200)
        # The chosen member's app keeps a fresh pass while the platform answers, as a real app does: with the
        # platform cut, "show this member's pass" shows it (an offline camera admission, rehearsed).
        self.keeper = QTimer(self)
        self.keeper.timeout.connect(self.keep_pass)
        self.keeper.start(KEEP_PASS_SECONDS * 1000)
        self.members.currentIndexChanged.connect(lambda _: self.keep_pass())
        self.keep_pass()
        self.refresh()

    # --- building --------------------------------------------------------------------------------------------------

    def _layout(self) -> None:
        """The site's ports on top, the kiosk and the doors in the middle, alarms and what was done below."""
        middle = QHBoxLayout()
        middle.addWidget(self._kiosk_box())
        middle.addWidget(self._doors_box(), 1)
        bottom = QHBoxLayout()
        bottom.addWidget(self._list_box("alarms (newest first)", self.alarms), 3)
        bottom.addWidget(self._list_box("what you did", self.activity), 2)
        page = QVBoxLayout(self)
        page.addWidget(self._site_box())
        page.addLayout(middle)
        page.addLayout(bottom, 1)

    def _site_box(self) -> QGroupBox:
        """Where the broker and the platform listen, with the doctor's command lines to rehearse against them."""
        grid = QGridLayout()
        self.cut["platform"].clicked.connect(self.toggle_platform)
        self.cut["broker"].clicked.connect(self.toggle_broker)
        for row, part in enumerate(("broker", "platform")):
            grid.addWidget(heading(part), row, 0)
            grid.addWidget(self.site_lines[part], row, 1)
            grid.addWidget(self.cut[part], row, 2)
        self.doctor = Plain("\n".join(f"officepass-site doctor --config {path}" for path in self.rehearsal.values()))
        self.doctor.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        grid.addWidget(heading("doctor"), 2, 0, Qt.AlignmentFlag.AlignTop)
        grid.addWidget(self.doctor, 2, 1, 1, 2)
        grid.setColumnStretch(1, 1)
        box = QGroupBox("this site on this machine (rehearse doctor against it: copy a line into a terminal)")
        box.setLayout(grid)
        return box

    def _kiosk_box(self) -> QGroupBox:
        """The kiosk's camera, its links and queue, a member's phone and the camera's cable."""
        show, away = QPushButton("show this member's pass"), QPushButton("take the phone away")
        show.clicked.connect(self.show_pass)
        away.clicked.connect(self.site.camera.empty)
        self.plug.clicked.connect(self.toggle_camera)
        status = QGridLayout()
        for row, (name, label) in enumerate(self.kiosk_status.items()):
            status.addWidget(heading(name), row, 0, Qt.AlignmentFlag.AlignTop)
            label.setWordWrap(True)
            status.addWidget(label, row, 1)
        status.setColumnStretch(1, 1)
        phone = QHBoxLayout()
        phone.addWidget(show)
        phone.addWidget(away)
        kiosk = QVBoxLayout()
        kiosk.addWidget(self.camera_view, 0, Qt.AlignmentFlag.AlignHCenter)
        kiosk.addLayout(status)
        kiosk.addWidget(self.members)
        kiosk.addLayout(phone)
        kiosk.addWidget(self.plug)
        kiosk.addStretch(1)
        box = QGroupBox(f"kiosk {self.site.reception_cfg.facility.id}")
        box.setLayout(kiosk)
        box.setFixedWidth(CAMERA_SIZE[0] + 40)
        return box

    def _doors_box(self) -> QGroupBox:
        """A line and a row of buttons per door."""
        grid = QGridLayout()
        grid.addWidget(heading("lockd"), 0, 0)
        grid.addWidget(self.lockd_link, 0, 1)
        for row, door_id in enumerate(self.site.doors):
            self.rows.append(DoorRow(self, door_id, grid, row + 1, self.readers.get(door_id)))
        grid.setColumnStretch(1, 1)
        grid.setRowStretch(2 * len(self.site.doors) + 2, 1)
        box = QGroupBox(f"doors of {self.site.booking_cfg.facility.id}")
        box.setLayout(grid)
        return box

    @staticmethod
    def _list_box(title: str, items: QListWidget) -> QGroupBox:
        """A titled list."""
        layout = QVBoxLayout()
        layout.addWidget(items)
        box = QGroupBox(title)
        box.setLayout(layout)
        return box

    # --- acting ----------------------------------------------------------------------------------------------------

    def log(self, text: str) -> None:
        """Say what was just done, newest first (one line: it may quote the platform)."""
        self.activity.insertItem(0, f"{self.site.clock.now():%H:%M:%S}  {displayed(text)}")

    def alarm(self, at: datetime, text: str) -> None:
        """Add an alarm, newest first (one line: it may quote the platform or an audit row)."""
        self.alarms.insertItem(0, f"{at:%H:%M:%S}  {displayed(text)}")

    def phone(self, member: int) -> Phone:
        """A member's phone (the same one each time: it keeps its passes)."""
        return self.phones.setdefault(member, Phone(member, self.client))

    def keep_pass(self) -> None:
        """The chosen member's app fetches a pass to keep, while the platform answers (quietly: a cut platform
        only means the app keeps what it has)."""
        member = self.members.currentData()
        if member is None or not self.site.platform.server.reachable:
            return
        with contextlib.suppress(PlatformError):
            self.phone(member).keep_pass(self.site.reception_cfg.facility.id)

    def show_pass(self) -> None:
        """The chosen member opens the app and holds the pass to the camera: a fresh one, or with the platform cut
        the one the app kept."""
        member = self.members.currentData()
        phone = self.phone(member)
        try:
            text = phone.show_pass(self.site.reception_cfg.facility.id, now=self.site.clock.now())
        except PlatformError as exc:
            self.log(f"the app could not get a pass: {exc}")
            return
        except LookupError:
            self.log("the platform is cut and the app kept no pass that is still valid: restore it, choose the member")
            return
        self.site.camera.show(text)
        how = " it kept (the platform cannot be reached)" if phone.shown_kept else ""
        self.log(f"member {member} shows a pass{how} to the camera")

    def toggle_platform(self) -> None:
        """Cut the platform off, or bring it back."""
        server = self.site.platform.server
        server.restore() if not server.reachable else server.go_unreachable()
        self.cut["platform"].setText("restore the platform" if not server.reachable else "cut the platform")
        self.log("platform " + ("cut off" if not server.reachable else "back"))

    def toggle_broker(self) -> None:
        """Stop the broker, or start it again on the same port."""
        broker = self.site.broker
        broker.stop() if broker.running else broker.start()
        self.cut["broker"].setText("restore the broker" if not broker.running else "cut the broker")
        self.log("broker " + ("stopped" if not broker.running else "running"))

    def toggle_camera(self) -> None:
        """Pull the kiosk camera's cable, or plug it back in."""
        self.camera_plugged = not self.camera_plugged
        if self.camera_plugged:
            self.site.camera.plug()
        else:
            self.site.camera.unplug()
            self.last_picture = None  # plugged back, the camera counts as back once a picture arrives
            self.camera_view.setText("camera unplugged")  # not the last picture, frozen as if it were live
        self.plug.setText("unplug the camera" if self.camera_plugged else "plug the camera back in")
        self.log("kiosk camera " + ("plugged back in" if self.camera_plugged else "unplugged"))

    # --- showing ---------------------------------------------------------------------------------------------------

    def refresh(self) -> None:
        """Update the site, the kiosk, every door and the alarms."""
        self._refresh_site()
        self._refresh_kiosk()
        for row in self.rows:
            row.refresh()
        self._refresh_lockd_alarms()

    def _refresh_site(self) -> None:
        """Ports, and whether each part is up."""
        broker, server = self.site.broker, self.site.platform.server
        show_line(
            self.site_lines["broker"],
            Line(
                f"{broker.host}:{broker.port}  " + ("running" if broker.running else "STOPPED"), bad=not broker.running
            ),
        )
        show_line(
            self.site_lines["platform"],
            Line(f"{server.url}  " + ("answering" if server.reachable else "CUT OFF"), bad=not server.reachable),
        )
        connected = self.site.lockd.bus.connected
        show_line(
            self.lockd_link,
            Line("broker link " + ("connected" if connected else "DOWN, reconnecting"), bad=not connected),
        )

    def _refresh_kiosk(self) -> None:
        """The kiosk's lines, from what it exposes; a line that goes bad (or comes back) is also an alarm."""
        kiosk = self.site.kiosk
        age = None if self.last_picture is None else time.monotonic() - self.last_picture
        state = kiosk.state  # the one status its home page and staff page read (kiosk/state.py)
        lines = kiosk_lines(
            KioskView(
                self.camera_plugged,
                age,
                None if kiosk.bus is None else kiosk.bus.connected,
                state.outbox,
                state.platform_link(),
                state.sound,
            )
        )
        for change in self.kiosk_alarms.changes(lines):
            self.alarm(self.site.clock.now(), change)
        for name, line in lines.items():
            show_line(self.kiosk_status[name], line)

    def _refresh_lockd_alarms(self) -> None:
        """lockd's alarms as it audits them (forced, held open, jammed, a lost store), each once."""
        alarms = lockd_alarms(self.site.lockd.store.audit_rows())
        for row in alarms[self.lockd_alarms_seen :]:
            self.alarm(datetime.fromisoformat(row.at), lockd_alarm_text(row))
        self.lockd_alarms_seen = len(alarms)

    def _camera(self, image: QImage) -> None:
        """The kiosk's camera feed, as the kiosk shows it."""
        if self.camera_plugged:  # a picture already on its way when the cable was pulled is not one
            self.last_picture = time.monotonic()
            self.camera_view.setPixmap(QPixmap.fromImage(image).scaled(self.camera_view.size()))


def run_panel(headless: bool = False) -> int:
    """Stand up a simulated site and open the panel (and the kiosk) until the panel is closed."""
    import os
    import sys
    import tempfile

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
            print(
                f"control panel open: broker {site.broker.host}:{site.broker.port}, "
                f"platform {site.platform.server.url}",
                flush=True,
            )
            for path in panel.rehearsal.values():
                print(f"  rehearse: officepass-site doctor --config {path}", flush=True)
            print("close the panel (or Ctrl-C) to stop the site", flush=True)
            run_until(lambda: not panel.isVisible(), 365 * 24 * 3600)
        except KeyboardInterrupt:
            pass
        finally:
            site.scheduler.stop()  # first: a door's scheduled close must not reach a lockd already stopped
            site.stop()
            qt.processEvents()
    return 0
