"""The running kiosk: members' passes in, verdicts out, the state on screen, staff mode with its timers.

kiosk/assembly.py builds the parts; this module gives them behaviour. The kiosk's situation
lives in one KioskState (kiosk/state.py) that the pages, the staff page and the metrics read.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from datetime import datetime
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QObject, QTimer, Signal
from PySide6.QtGui import QImage, QPixmap

from facility.clock import Clock, SystemClock
from facility.config import FacilityConfig
from facility.contract import OccupancyBody
from facility.loop import LoopHealth
from facility.messages import CheckinAnswer, DeskCheckin, MessageRefused, ReservationsChanged, SpentPass
from facility.reasons import Reason
from facility.rules.calendar import local
from facility.rules.cutoffs import next_admission
from facility.systemd import Heartbeat
from facility.tally import RefusalTally
from kiosk.assembly import assemble
from kiosk.camera import FrameSource
from kiosk.decoding import make_decoder
from kiosk.doorway import Doorway, hours_today
from kiosk.metrics import KioskMetrics
from kiosk.outbox import OutboxStatus
from kiosk.reception import CheckinVerdict
from kiosk.scanner import Scanner
from kiosk.security import PinGuard
from kiosk.sounds import Chime
from kiosk.staff_actions import StaffActions, StaffDesk
from kiosk.state import PLATFORM_LOOPS, CameraWatch, KioskState, LinkStatus
from kiosk.texts import t
from kiosk.verdicts import MIN_SECONDS, Presentation, present, surname, verdict_seconds
from kiosk.window import KioskWindow
from messagebus import BrokerSettings, BusClient, Inbound, Presence

log = logging.getLogger(__name__)
IDLE_SECONDS = 60  # staff page locks, half-typed PINs go, the language returns to the facility's own
STRIP_SECONDS = 8  # a member's verdict shown over a staff page


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
    verdict_displayed = Signal(object)  # the verdict, once it is on screen (same thread): demo, benchmarks
    outbox_changed = Signal(int, int, bool, str, bool)  # plain values: nothing Python-owned waits in Qt's queue
    broker_changed = Signal(bool)

    def __init__(
        self,
        cfg: FacilityConfig,
        camera: FrameSource,
        *,
        clock: Clock | None = None,
        broker: BrokerSettings | None = None,
        data_dir: Path | None = None,
        chime: Chime | None = None,
    ) -> None:
        super().__init__()
        self.cfg = cfg
        self.parts = assemble(
            cfg,
            clock or SystemClock(),
            Path(data_dir or cfg.kiosk_settings.data_dir),
            on_outbox=lambda status: self.outbox_changed.emit(*dataclasses.astuple(status)),
            on_spent=self._tell_spent,
            occupancy_report=self._occupancy_report,
        )
        self.clock, self.store = self.parts.clock, self.parts.store
        self.reception, self.outbox = self.parts.reception, self.parts.outbox
        self.state = KioskState(cfg)
        self.window = KioskWindow(cfg.facility.name, cfg.reception_space.kind.camera_first)
        self.scanner = Scanner(camera, make_decoder(cfg.kiosk_settings.decoder), self)
        self.chime = chime or Chime()
        self.staff = StaffActions(
            StaffDesk(
                cfg,
                self.reception,
                self.outbox,
                self.state,
                PinGuard(cfg.kiosk_settings.staff_pin_hash),
                self.window.pin,
                self.window.staff,
                self.parts.data_dir,
            ),
            open_staff=lambda: self.window.show_page(self.window.staff),
            quit_kiosk=self.leave,
        )
        self._desk_junk = RefusalTally(self.clock.monotonic)  # before the bus: its first message may be junk
        self.bus = self._make_bus(broker) if broker else None
        self.state.update(broker=None if self.bus is None else False)  # no bus: no desk-code check-ins at all
        self.screen, self.heartbeat = ScreenHealth(), Heartbeat()
        self.metrics = KioskMetrics(
            self.state,
            lambda: self.bus is not None and self.bus.connected,
            lambda: self.reception.occupancy().members_in,
        )
        self.metrics.watch_loops("kiosk", self.loop_health)
        self.timers = {name: QTimer(self) for name in ("tick", "back_home", "idle", "strip")}
        self.camera = CameraWatch()  # a camera whose frames stop coming is lost, though it never said so
        self.left_by_staff = False
        self.stopped = False
        self._wire()
        self._report_store_loss()

    @property
    def language(self) -> str:
        """The language on screen now."""
        return self.state.language

    def _report_store_loss(self) -> None:
        """A kiosk store that was deleted, emptied or replaced: audit it, log it and tell staff."""
        loss = self.store.loss
        if loss is not None:
            log.error("kiosk store lost: %s", loss.describe())
            self.store.audit(None, self.clock.now(), "store_lost", None, loss.cause, loss.describe())
            self.state.update(store_lost=True)

    def _make_bus(self, broker: BrokerSettings) -> BusClient:
        """The link on which the platform hands over desk-code check-ins and the kiosks share spent passes."""
        topics, kiosk_id = self.parts.topics, self.cfg.kiosk_settings.id
        bus = BusClient(broker, presence=Presence(topics.kiosk(kiosk_id, "availability")))
        bus.subscribe(topics.kiosk(kiosk_id, "checkin"), self._desk_checkin)
        bus.subscribe(topics.spent_passes, self._spent_elsewhere)
        keys = self.reception.keys
        if keys.rooted:  # the platform's signed key set, announced retained: verified and adopted if newer
            bus.subscribe(topics.keyset, lambda message: keys.announced(message.payload))
        # A booking made a moment ago, or a member or key withdrawn a moment ago, reaches reception at once.
        bus.subscribe(topics.reservations_changed, self._change_notice)
        bus.connection_listeners.append(self.broker_changed.emit)  # on the bus's thread: to the UI thread
        return bus

    def _wire(self) -> None:
        """Connect signals to what they drive."""
        window, timers = self.window, self.timers
        self.scanner.worker.found.connect(self.on_scanned)
        self.scanner.worker.preview.connect(self._preview)
        self.scanner.worker.camera_ok.connect(self._camera_reported)
        self.verdict_ready.connect(self.show_verdict)
        self.outbox_changed.connect(self._outbox_changed)
        self.broker_changed.connect(lambda up: self.state.update(broker=up))
        self.state.changed.connect(self._draw_state)
        window.home.language.clicked.connect(self.toggle_language)
        window.home.staff.clicked.connect(self.enter_staff_mode)
        window.pin.cancelled.connect(self.go_home)
        window.pin.entered.connect(self.staff.unlock)
        window.staff.buttons["back"].clicked.connect(self.go_home)
        window.verdict.tapped.connect(self._verdict_tapped)
        window.touched.connect(lambda: timers["idle"].start(IDLE_SECONDS * 1000))
        for name, action in (
            ("tick", self.refresh),
            ("back_home", self.go_home),
            ("idle", self.idle),
            ("strip", window.hide_member_strip),
        ):
            timers[name].timeout.connect(action)
            timers[name].setSingleShot(name != "tick")

    # --- life cycle ------------------------------------------------------------------------

    @staticmethod
    def _application() -> QCoreApplication:
        """The running Qt application (a kiosk is only ever built inside one)."""
        application = QCoreApplication.instance()
        assert application is not None, "KioskApp needs a QApplication"
        return application

    def start(self, full_screen: bool = True) -> None:
        """Show the window and start scanning, sending and listening."""
        for loop in self.parts.supervisor.loops:
            loop.start()
        self.retranslate()
        self._draw()  # not refresh(): no watchdog ping before the program has told systemd it is ready
        self.scanner.start()
        if self.bus is not None:
            self.bus.start()
        self.timers["tick"].start(1000)
        self.timers["idle"].start(IDLE_SECONDS * 1000)
        self._application().installEventFilter(self.window)  # any touch anywhere restarts the idle timer
        if self.cfg.kiosk_settings.metrics_port:
            self.metrics.serve(self.cfg.kiosk_settings.metrics_port)
        self.window.showFullScreen() if full_screen else self.window.show()

    def stop(self) -> None:
        """Stop everything and close the window."""
        if self.stopped:
            return
        self.stopped = True
        for timer in self.timers.values():
            timer.stop()
        self._application().removeEventFilter(self.window)
        self.scanner.stop()
        for loop in self.parts.supervisor.loops:
            loop.stop()
        self._write_tallies()
        if self.bus is not None:
            self.bus.stop()
        self.metrics.stop()
        self.chime.stop()
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
            checkin = DeskCheckin.read(message.payload)
        except MessageRefused as refused:  # not a pass handed over: refused and answered, never judged
            self._refuse_desk_junk(str(refused))
            self._answer_desk(message, CheckinAnswer.refusing(Reason.BAD_FORMAT))
            return
        verdict = self.reception.present(checkin.pass_text, "desk_code")
        self.outbox.wake()
        self._answer_desk(message, verdict.answer())
        self.verdict_ready.emit(verdict)

    def _refuse_desk_junk(self, problem: str) -> None:
        """Audit a handed-over message that is no check-in: at most one row a minute, carrying the count of the rest
        (whoever may publish on this topic cannot grow the audit trail one row per message)."""
        tallied = self._desk_junk.note(Reason.BAD_FORMAT.code)
        if tallied.audit_now:
            log.warning("desk check-in refused: %s", tallied.detail(problem))
            self.store.audit(None, self.clock.now(), "refused", None, Reason.BAD_FORMAT.code, tallied.detail(problem))

    def _write_tallies(self) -> None:
        """At a stop: audit the refusals counted since their last row, so no count is lost."""
        for reason, count in self._desk_junk.drain().items():
            detail = f"{count} more desk check-in message(s) refused, not audited one by one"
            self.store.audit(None, self.clock.now(), "refused", None, reason, detail)
        self.reception.keys.write_tally()
        self.reception.write_tally()
        self.store.spent.log_rest()

    def _answer_desk(self, message: Inbound, answer: CheckinAnswer) -> None:
        """Answer a desk-code check-in on this kiosk's reply topic (on the bus's thread), whatever response topic the
        message names: an answer must never land on a topic the kiosk may write for another purpose."""
        if message.response_topic and self.bus is not None:
            reply = self.parts.topics.kiosk(self.cfg.kiosk_settings.id, "reply")
            self.bus.publish(reply, answer.payload(), correlation=message.correlation, timeout=None)

    def _change_notice(self, message: Inbound) -> None:
        """The platform says reservations or revocations changed: refresh whatever the notice may concern now (a
        message that is not its notice is only logged)."""
        # Whatever it says: only the platform may write this topic, and a notice this version cannot read (a field
        # added later) still means that something changed (an unreadable one is logged).
        ReservationsChanged.accepted(message.payload, message.topic)
        self.parts.trust_refresh.changed()  # the next pass waits (briefly) for revocations newer than this notice
        if self.parts.reservations is not None:
            self.parts.reservations.trigger()

    def _tell_spent(self, pass_id: bytes, keep_until: float) -> None:
        """After a check-in is kept: the facility's other kiosks refuse this pass from now on."""
        bus = getattr(self, "bus", None)  # None until built: a pass kept while the kiosk is still being put together
        if bus is None:
            return
        kiosk_id = self.cfg.kiosk_settings.id
        spent = SpentPass(pass_id=pass_id.hex(), keep_until=keep_until, kiosk=kiosk_id)
        expiry = max(1, int(keep_until - self.clock.now().timestamp()))
        bus.publish(self.parts.topics.kiosk(kiosk_id, "spent"), spent.payload(), expiry=expiry, timeout=None)

    def _spent_elsewhere(self, message: Inbound) -> None:
        """Another kiosk of this facility admitted a pass (on the bus's thread)."""
        if message.topic == self.parts.topics.kiosk(self.cfg.kiosk_settings.id, "spent"):
            return
        try:
            spent = SpentPass.read(message.payload)
        except MessageRefused as refused:  # refusals are logged in aggregate: a flood is not a line per message
            self.store.spent.refused("bad_format", f"on {message.topic}: {refused}")
            return
        if message.topic != self.parts.topics.kiosk(spent.kiosk, "spent"):  # a kiosk speaks only for itself
            self.store.spent.refused("not_its_own", f"on {message.topic}, naming kiosk {spent.kiosk}")
            return
        # The sender is the kiosk its topic names: the ACL lets each kiosk's user write its own spent topic only.
        self.reception.spent_elsewhere(bytes.fromhex(spent.pass_id), spent.keep_until, spent.kiosk)

    def show_verdict(self, verdict: CheckinVerdict) -> None:
        """The verdict's page, mark and sound; staff at work keep their page and see it in the strip."""
        self.metrics.count(verdict)
        shown = present(verdict, self.state.desk_code_shown)
        self.chime.play(shown.look)
        self.timers["idle"].start(IDLE_SECONDS * 1000)  # a member is at the screen
        if verdict.desk_checks:
            self.state.update(pending_checks=self.store.pending_desk_checks())
        if self.state.staff_mode:
            self._strip(verdict, shown)
        else:
            self.window.verdict.show_verdict(verdict, shown, self.language)
            self._doorway_next_step(verdict)
            self.window.show_page(self.window.verdict)
            self.timers["back_home"].start(int(verdict_seconds(verdict, shown) * 1000))
        self.verdict_displayed.emit(verdict)

    def _doorway_next_step(self, verdict: CheckinVerdict) -> None:
        """A refusal for the doorway (closed, past the cut-off, full) says when to come back, from the hours and
        cut-offs, rather than "ask staff" (nobody is at a closed desk)."""
        codes = {Reason.CLOSED, Reason.AFTER_CUTOFF, Reason.FULL}
        if verdict.admitted or verdict.repeat or not verdict.reasons or verdict.reasons[0] not in codes:
            return
        language, other = self.language, "en" if self.language == "ja" else "ja"
        step = self.state.next_step(language)
        if not step:
            return
        page = self.window.verdict
        page.next_step.setText(step)
        page.secondary.setText(f"{verdict.reasons[0].text(other)}\n{self.state.next_step(other)}")

    def _strip(self, verdict: CheckinVerdict, shown: Presentation) -> None:
        """A member's verdict over the staff page: mark, who, and what the member was told."""
        language = self.language
        if verdict.repeat:
            words = t("already", language, name=surname(verdict.name) or verdict.member_id)
        elif verdict.admitted:
            words = t("strip_admitted", language, name=surname(verdict.name) or verdict.member_id)
        else:
            assert shown.reason is not None
            words = shown.reason.text(language)
        self.window.show_member_strip(f"{shown.look.mark}  {words}", shown.look.background, shown.look.ink)
        self.timers["strip"].start(STRIP_SECONDS * 1000)
        if self.window.page is self.window.staff:
            self.staff.refresh()

    def _verdict_tapped(self) -> None:
        """A tap on the verdict goes back, once it has been up long enough to be seen."""
        if self.window.verdict.shown_for() >= MIN_SECONDS:
            self.go_home()

    def go_home(self) -> None:
        """Back to the reception page, in the facility's language (the next member may not read English)."""
        self.timers["back_home"].stop()
        self.window.pin.reset()
        self.window.staff.clear_forms()
        self.window.hide_member_strip()
        self.state.update(staff_mode=False)
        self._set_language(self.state.default_language)
        self.window.show_page(self.window.home)
        self.refresh()

    # --- staff mode -------------------------------------------------------------------------------

    def enter_staff_mode(self) -> None:
        """The PIN page, with nothing typed."""
        self.timers["back_home"].stop()
        self.window.pin.reset()
        self.state.update(staff_mode=True)
        self.window.show_page(self.window.pin)

    def idle(self) -> None:
        """Nobody touched the screen for a minute: lock the staff side and return to the facility's language
        (a verdict on screen runs its own time first)."""
        if self.window.page is self.window.verdict:
            self.timers["idle"].start(IDLE_SECONDS * 1000)
            return
        if self.state.staff_mode or self.language != self.state.default_language:
            self.go_home()

    def leave(self) -> None:
        """Staff close the kiosk on purpose (the CLI tells systemd not to start it again)."""
        self.left_by_staff = True
        self.stop()

    # --- screen upkeep ---------------------------------------------------------------------------

    def refresh(self) -> None:
        """Every second: keep the loops running, then the screen, then the heartbeat."""
        if self.stopped:
            return
        for name in self.parts.supervisor.check():
            self.store.audit(None, self.clock.now(), "loop_restarted", None, name)
        try:
            self._draw()
            self.screen.went_well()
        except Exception as exc:  # the screen must keep going (and say so) whatever one refresh hits
            log.exception("the reception screen could not be refreshed")
            self.screen.failed(f"{type(exc).__name__}: {exc}")
        if self.parts.supervisor.all_alive():  # the UI thread got here, and every loop runs: tell systemd we live
            self.heartbeat.beat()

    def _draw(self) -> None:
        """The clock, the doorway (and each space's vacancy), the loops' health and the desk code; the state's
        observers redraw the rest."""
        now = self.clock.now()
        failing = [loop for loop in self.loop_health() if not loop.healthy]
        self.reception.lapse_holds()  # a room held by phone whose member has not come is free again
        doorway = self.reception.doorway()
        venue = self.cfg.venue(self.cfg.reception_space)  # the walk-in space's hours and rules
        was_up = self.state.platform_up
        self.chime.check()
        self.state.update(
            doorway=doorway,
            spaces=self.reception.vacancies() if len(self.cfg.spaces) > 1 else (),
            hours_today=hours_today(venue, now),
            failing_loops=failing,
            camera_ok=self.camera.ok,
            platform_probe=self.parts.occupancy.answered,
            sound=LinkStatus("sound", self.chime.condition, self.chime.problem),
            today=local(now).date(),
            admission_from=(
                next_admission(venue.rules, venue.hours, now)
                if doorway in (Doorway.CLOSED, Doorway.AFTER_CUTOFF)
                else None
            ),
            place_free_at=self._place_free_at(now) if doorway is Doorway.FULL else None,
        )
        if self.state.platform_up and not was_up:
            self._platform_back()
        home = self.window.home
        home.clock.setText(local(now).strftime("%H:%M"))
        text, left = self.parts.desk_code.current()
        home.show_code(text, left, self.parts.desk_code.period, self.language)
        if self.window.page is self.window.staff:
            self.staff.refresh()

    def _place_free_at(self, now: datetime) -> datetime | None:
        """Full: the earliest end of a visit running in the walk-in space, when a place frees up at the latest
        (None where visits have no time limit: nothing to promise)."""
        space = self.cfg.reception_space.id
        ends = [
            visit.ends_at
            for visit in self.store.running(now)
            if visit.ends_at is not None and visit.ends_at > now and self.reception.space_of(visit) == space
        ]
        return min(ends, default=None)

    def _platform_back(self) -> None:
        """The platform answers again (the probe or a loop says so): everything that waited for it tries now,
        rather than at the end of its back-off, so the desk code, the queue and the staff page agree at once."""
        log.info("the platform answers again: sending what waited")
        for item in self.store.outbox("queued"):
            self.store.settle(item.key, "queued", item.attempts, 0, item.last_error)
        for loop in self.parts.supervisor.loops:
            if loop.name in PLATFORM_LOOPS:
                loop.wake()

    def _draw_state(self) -> None:
        """The state changed: the reception page (and an open staff page) show it."""
        self.window.home.show_state(self.state, self.language)
        if self.window.page is self.window.staff:
            self.staff.refresh()

    def toggle_language(self) -> None:
        """Japanese <-> English, one touch."""
        self._set_language("en" if self.language == "ja" else "ja")
        self.refresh()

    def _set_language(self, language: str) -> None:
        """Every text in the language."""
        if language != self.state.language:
            self.state.update(language=language)
            self.retranslate()

    def retranslate(self) -> None:
        """Every fixed text in the current language."""
        self.window.home.retranslate(self.language)
        self.window.pin.retranslate(self.language)
        walk_in = self.cfg.venue(self.cfg.reception_space)  # companions sold at the desk: the walk-in space's
        self.window.staff.retranslate(self.language, walk_in.companions.drop_in_fee_yen)
        self._draw_state()

    def _camera_reported(self, ok: bool) -> None:
        """The capture thread says the camera went away or came back."""
        self.camera.reported(ok)
        self.state.update(camera_ok=ok)

    def _preview(self, image: QImage) -> None:
        """Show the camera on the reception page (and the staff page)."""
        self.camera.frame()
        if self.camera.ok and not self.state.camera_ok:
            self.state.update(camera_ok=True)  # frames again after a stall
        self.window.home.show_preview(image, self.state.camera_ok)
        self.window.staff.camera.setPixmap(QPixmap.fromImage(image).scaled(self.window.staff.camera.size()))

    def _outbox_changed(self, queued: int, dead: int, reachable: bool, error: str, credentials: bool) -> None:
        """The link to the platform changed."""
        self.state.update(outbox=OutboxStatus(queued, dead, reachable, error, credentials))

    def _occupancy_report(self) -> OccupancyBody:
        """What the platform is told of who is in (only when it changed)."""
        occupancy = self.reception.occupancy()
        state = self.reception.vacancy()
        return OccupancyBody(
            members_in=occupancy.members_in,
            companions_in=occupancy.companions_in,
            vacancy=state.code if state else None,
        )

    def loop_health(self) -> list[LoopHealth]:
        """Every background loop, and the screen's own refresh, as staff, metrics and doctor see them."""
        return [*self.parts.supervisor.health(), self.screen.health(not self.stopped)]
