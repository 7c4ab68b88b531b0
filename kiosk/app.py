"""The kiosk put together: reception, outbox, scanner, desk code and platform messages behind the window."""

from __future__ import annotations

import dataclasses
import json
import logging
import time
from datetime import timedelta
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QObject, QTimer, Signal
from PySide6.QtGui import QImage, QPixmap
from PySide6.QtWidgets import QApplication

from facility.clock import Clock, SystemClock
from facility.config import FacilityConfig
from facility.contract import OccupancyBody
from facility.errors import ConfigError, ConfigProblem
from facility.loop import LoopHealth, Supervisor
from facility.platform import PlatformClient
from facility.reservations import ReservationSync
from facility.retention import RetentionLoop
from facility.systemd import Heartbeat
from facility.tokens import SigningKey
from facility.topics import SiteTopics
from facility.trustcache import TrustRefresh
from kiosk.camera import FrameSource
from kiosk.decoding import make_decoder
from kiosk.desk_code import DeskCodeShow
from kiosk.metrics import KioskMetrics
from kiosk.occupancy import OccupancyReporter
from kiosk.outbox import OutboxSender, OutboxStatus
from kiosk.reception import Reception, Verdict
from kiosk.scanner import Scanner
from kiosk.security import PinGuard
from kiosk.staff_actions import StaffActions
from kiosk.store import KioskStore, purge_kiosk
from kiosk.texts import t
from kiosk.window import KioskWindow
from messagebus import BrokerSettings, BusClient, Inbound, Will

log = logging.getLogger(__name__)
VERDICT_SECONDS = 4
RESERVATION_SYNC_SECONDS = 60.0  # and at once on the platform's change notice
RESERVATIONS_STALE_AFTER = timedelta(minutes=30)


def desk_code_key(cfg: FacilityConfig) -> Path:
    """The kiosk's own key for its desk code (kiosk_needs refuses a file without one before the kiosk starts)."""
    key = cfg.kiosk_settings.signing_key_file
    if key is None:
        raise ConfigError("", [ConfigProblem("kiosk.signing_key_file", "the kiosk signs its front-desk code: give its key file")])
    return key


class ScreenHealth:
    """The once-a-second refresh on the UI thread, seen as a loop: a frozen screen shows as stalled."""

    STALE_AFTER = 10.0

    def __init__(self) -> None:
        self.rounds = 0
        self.failures = 0
        self.error = ""
        self._last_ok: float | None = None

    def went_well(self) -> None:
        """A refresh drew the screen."""
        self.rounds += 1
        self.error = ""
        self._last_ok = time.monotonic()

    def failed(self, error: str) -> None:
        """A refresh raised."""
        self.failures += 1
        self.error = error

    def health(self, alive: bool) -> LoopHealth:
        """As the metrics, the staff page and doctor see it (read from any thread)."""
        age = None if self._last_ok is None else time.monotonic() - self._last_ok
        return LoopHealth("kiosk-screen", alive, self.rounds, self.failures, 0, self.error, age, self.STALE_AFTER)


class KioskApp(QObject):
    """One kiosk for one facility."""

    verdict_ready = Signal(object)
    verdict_displayed = Signal(object)  # the verdict, once its page is up (same thread): demo, benchmarks
    outbox_changed = Signal(int, int, bool, str, bool)  # plain values: nothing Python-owned waits in Qt's queue

    def __init__(self, cfg: FacilityConfig, camera: FrameSource, *, clock: Clock | None = None,
                 broker: BrokerSettings | None = None, data_dir: Path | None = None) -> None:
        super().__init__()
        self.cfg = cfg
        self.language = cfg.kiosk_settings.language
        self.clock = clock or SystemClock()
        self.data_dir = Path(data_dir or cfg.kiosk_settings.data_dir)
        self.store = KioskStore(self.data_dir / "kiosk.db", self.clock)
        self.topics = SiteTopics(self.cfg.mqtt_settings.topic_prefix if self.cfg.mqtt else "officepass", self.cfg.facility.id)
        self.reception = Reception(cfg, self.store, self.clock, self._tell_spent)
        self.desk_code = DeskCodeShow(cfg.facility.id, cfg.kiosk_settings.id, cfg.kiosk_settings.desk_code_period_seconds,
                                      SigningKey.load(desk_code_key(cfg)), self.clock)
        platform = PlatformClient(cfg.platform)
        self.outbox = OutboxSender(self.store, platform, self.clock,
                                   lambda status: self.outbox_changed.emit(*dataclasses.astuple(status)))
        self.outbox_status = OutboxStatus(0, 0, True, "")
        self.trust_refresh = TrustRefresh(platform, self.store, self.clock, cfg.tokens.fetch_platform_keys)
        self.occupancy = OccupancyReporter(platform, cfg.facility.id, self._occupancy_report)
        self.reservations = self._reservation_sync()
        keep = timedelta(days=cfg.kiosk_settings.retention_days)
        self.retention = RetentionLoop(lambda now: purge_kiosk(self.store, now, keep, cfg.kiosk_settings.audit_export_days),
                                       self.clock)
        self.supervisor = Supervisor([self.outbox, self.trust_refresh, self.occupancy, self.reservations, self.retention])
        self.heartbeat = Heartbeat()
        self.screen = ScreenHealth()
        self.camera_ok = True
        self.window = KioskWindow(cfg.facility.name)
        self.scanner = Scanner(camera, make_decoder(cfg.kiosk_settings.decoder), self)
        self.pin = PinGuard(cfg.kiosk_settings.staff_pin_hash)
        self.staff = StaffActions(self)
        self.bus = self._make_bus(broker) if broker else None
        self.metrics = KioskMetrics(self)
        self.metrics.watch_loops("kiosk", self.loop_health)
        self.tick = QTimer(self)
        self.back_home = QTimer(self)
        self.stopped = False
        self._wire()
        self._report_store_loss()

    def _report_store_loss(self) -> None:
        """A kiosk store that was deleted, emptied or replaced: audit it, log it and tell staff."""
        loss = self.store.loss
        if loss is not None:
            log.error("kiosk store lost: %s", loss.describe())
            self.store.audit(None, self.clock.now(), "store_lost", None, loss.cause, loss.describe())

    def _reservation_sync(self) -> ReservationSync | None:
        """A staffed meeting room admits representatives against the bookings it keeps from the platform."""
        if not self.cfg.facility.kind.needs_reservation:
            return None
        return ReservationSync(PlatformClient(self.cfg.platform), self.store, self.cfg.facility.id, self.clock,
                               RESERVATION_SYNC_SECONDS, RESERVATIONS_STALE_AFTER, self._reservations_stale)

    def _reservations_stale(self, stale: bool) -> None:
        """The bookings could not be refreshed for a while (or can again): say so in the log and the audit."""
        (log.error if stale else log.info)("reservations %s", "stale" if stale else "fresh again")
        self.store.audit(None, self.clock.now(), "reservations_stale" if stale else "reservations_fresh")

    def _make_bus(self, broker: BrokerSettings) -> BusClient:
        """The link on which the platform hands over desk-code check-ins and the facility's kiosks share spent passes."""
        topics = self.topics
        bus = BusClient(broker, will=Will(topics.kiosk(self.cfg.kiosk_settings.id, "availability"), b"offline"))
        bus.subscribe(topics.kiosk(self.cfg.kiosk_settings.id, "checkin"), self._desk_checkin)
        bus.subscribe(topics.spent_passes, self._spent_elsewhere)
        sync = self.reservations
        if sync is not None:  # a booking made a moment ago reaches reception at once
            bus.subscribe(topics.reservations_changed, lambda message: sync.trigger())
        kiosk_id = self.cfg.kiosk_settings.id

        def say_online(up: bool) -> None:
            if up:
                bus.publish(topics.kiosk(kiosk_id, "availability"), b"online", retain=True, timeout=None)

        bus.connection_listeners.append(say_online)
        return bus

    def _wire(self) -> None:
        """Connect signals to what they drive."""
        home = self.window.home
        self.scanner.worker.found.connect(self.on_scanned)
        self.scanner.worker.preview.connect(self._preview)
        self.scanner.worker.camera_ok.connect(self._camera_changed)
        self.verdict_ready.connect(self.show_verdict)
        self.outbox_changed.connect(self._outbox_changed)
        home.language.clicked.connect(self.toggle_language)
        home.staff.clicked.connect(lambda: self.window.show_page(self.window.pin))
        self.window.pin.cancelled.connect(self.go_home)
        self.window.pin.entered.connect(self.staff.unlock)
        self.window.verdict.tapped.connect(self.go_home)
        self.tick.timeout.connect(self.refresh)
        self.back_home.setSingleShot(True)
        self.back_home.timeout.connect(self.go_home)

    # --- life cycle ------------------------------------------------------------------------

    def start(self, full_screen: bool = True) -> None:
        """Show the window and start scanning, sending and listening."""
        self.retranslate()
        self.refresh()
        for loop in self.supervisor.loops:
            loop.start()
        self.scanner.start()
        if self.bus is not None:
            self.bus.start()
        self.tick.start(1000)
        if self.cfg.kiosk_settings.metrics_port:
            self.metrics.serve(self.cfg.kiosk_settings.metrics_port)
        self.window.showFullScreen() if full_screen else self.window.show()

    def stop(self) -> None:
        """Stop everything and close the window."""
        self.stopped = True
        self.tick.stop()
        self.back_home.stop()
        self.scanner.stop()
        for loop in self.supervisor.loops:
            loop.stop()
        if self.bus is not None:
            self.bus.stop()
        self.metrics.stop()
        QCoreApplication.sendPostedEvents()  # deliver what the threads queued while Python is alive
        self.window.allow_close()
        self.window.close()
        self.window.deleteLater()
        self.store.close()

    # --- members ---------------------------------------------------------------------------

    def on_scanned(self, text: str) -> None:
        """A code from the camera: judge it, keep it, show it."""
        verdict = self.reception.present(text, "member_screen")
        self.outbox.wake()
        self.show_verdict(verdict)

    def _desk_checkin(self, message: Inbound) -> None:
        """The platform hands over a member who scanned the desk code (on the bus's thread)."""
        try:
            text = json.loads(message.payload)["pass"]
        except (ValueError, KeyError, TypeError):
            log.warning("unreadable desk check-in message")
            return
        verdict = self.reception.present(text, "desk_code")
        self.outbox.wake()
        if message.response_topic and self.bus is not None:
            self.bus.publish(message.response_topic, json.dumps(verdict.answer(), ensure_ascii=False),
                             correlation=message.correlation, timeout=None)
        self.verdict_ready.emit(verdict)

    def _tell_spent(self, pass_id: bytes, keep_until: float) -> None:
        """After a check-in is kept: the facility's other kiosks refuse this pass from now on."""
        if self.bus is None:
            return
        body = {"pass_id": pass_id.hex(), "keep_until": keep_until, "kiosk": self.cfg.kiosk_settings.id}
        expiry = max(1, int(keep_until - self.clock.now().timestamp()))
        self.bus.publish(self.topics.kiosk(self.cfg.kiosk_settings.id, "spent"), json.dumps(body), expiry=expiry, timeout=None)

    def _spent_elsewhere(self, message: Inbound) -> None:
        """Another kiosk of this facility admitted a pass (on the bus's thread)."""
        if message.topic == self.topics.kiosk(self.cfg.kiosk_settings.id, "spent"):
            return
        try:
            body = json.loads(message.payload)
            pass_id, keep_until = bytes.fromhex(body["pass_id"]), float(body["keep_until"])
        except (ValueError, KeyError, TypeError):
            log.warning("unreadable spent-pass message on %s", message.topic)
            return
        self.reception.spent_elsewhere(pass_id, keep_until)

    def show_verdict(self, verdict: Verdict) -> None:
        """The green or red page, a sound, and back to scanning after a few seconds."""
        self.metrics.count(verdict)
        self.window.verdict.show_verdict(verdict, self.language)
        self.window.show_page(self.window.verdict)
        QApplication.beep()
        self.back_home.start(VERDICT_SECONDS * 1000)
        self.verdict_displayed.emit(verdict)

    def go_home(self) -> None:
        """Back to the reception page."""
        self.window.show_page(self.window.home)
        self.refresh()

    # --- screen upkeep ---------------------------------------------------------------------------

    def refresh(self) -> None:
        """Every second: keep the loops running, then the desk code, vacancy and the status line, then the heartbeat."""
        if self.stopped:
            return
        for name in self.supervisor.check():
            self.store.audit(None, self.clock.now(), "loop_restarted", None, name)
        try:
            self._draw()
            self.screen.went_well()
        except Exception as exc:  # the screen must keep going (and say so) whatever one refresh hits
            log.exception("the reception screen could not be refreshed")
            self.screen.failed(f"{type(exc).__name__}: {exc}")
        if self.supervisor.all_alive():  # the UI thread got here, and every loop runs: tell systemd we live
            self.heartbeat.beat()

    def _draw(self) -> None:
        """The desk code, vacancy, the status line and, if open, the staff page."""
        text, left = self.desk_code.current()
        home = self.window.home
        home.show_code(text, left, self.desk_code.period, self.language)
        home.show_vacancy(self.reception.vacancy(), self.language)
        home.status.setText(self.status_text())
        if self.window.page is self.window.staff:
            self.staff.refresh()

    def status_text(self) -> str:
        """What is wrong, in words, or nothing."""
        if not self.camera_ok:
            return t("camera_lost", self.language)
        if self.store.loss is not None:
            return t("store_lost", self.language)
        status = self.outbox_status
        if status.credentials:
            return t("credentials", self.language, n=status.queued)
        if not status.reachable:
            return t("platform_down", self.language, n=status.queued)
        if status.dead:
            return t("dead_letters", self.language, n=status.dead)
        return ""

    def toggle_language(self) -> None:
        """Japanese <-> English, one touch."""
        self.language = "en" if self.language == "ja" else "ja"
        self.retranslate()
        self.refresh()

    def retranslate(self) -> None:
        """Every fixed text in the current language."""
        self.window.home.retranslate(self.language)
        self.window.pin.retranslate(self.language)
        self.window.staff.retranslate(self.language, self.cfg.companions.drop_in_fee_yen)

    def _preview(self, image: QImage) -> None:
        """Show the camera on the reception page (and the staff page)."""
        pixmap = QPixmap.fromImage(image)
        self.window.home.camera.setPixmap(pixmap.scaled(self.window.home.camera.size()))
        self.window.staff.camera.setPixmap(pixmap.scaled(self.window.staff.camera.size()))

    def _camera_changed(self, ok: bool) -> None:
        """The camera went away or came back."""
        self.camera_ok = ok
        self.window.home.status.setText(self.status_text())

    def _outbox_changed(self, queued: int, dead: int, reachable: bool, error: str, credentials: bool) -> None:
        """The link to the platform changed."""
        self.outbox_status = OutboxStatus(queued, dead, reachable, error, credentials)
        self.window.home.status.setText(self.status_text())

    def _occupancy_report(self) -> OccupancyBody:
        """What the platform is told of who is in (only when it changed)."""
        occupancy = self.reception.occupancy()
        state = self.reception.vacancy()
        return OccupancyBody(members_in=occupancy.members_in, companions_in=occupancy.companions_in,
                             vacancy=state.code if state else None)

    def loop_health(self) -> list[LoopHealth]:
        """Every background loop, and the screen's own refresh, as staff, metrics and doctor see them."""
        return [*self.supervisor.health(), self.screen.health(not self.stopped)]
