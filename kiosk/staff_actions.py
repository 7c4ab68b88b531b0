"""What the staff pages' buttons do, said back in words; every action that changes a check-in is audited by
Reception."""

from __future__ import annotations

import logging
import math
import os
import re
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QEvent, QObject, QTimer, Signal

from facility.config import FacilityConfig
from facility.contract import USAGE_ROWS_MAX, UsageReportRecorded, usage_reports_path
from facility.models import EntryKind, Plan, RoomHold
from facility.outbox import OutboxItem
from facility.plaintext import NAME_COLUMNS, displayed
from facility.platform import PlatformError
from facility.rules.calendar import local
from facility.rules.rooms import HOLD_SHORTEST, HoldRefusal, lapses_at
from facility.usage import facility_day, usage_report, usage_report_csv, usage_report_key
from kiosk.doorway import Doorway
from kiosk.outbox import OutboxSender
from kiosk.reception import CheckinVerdict, Reception
from kiosk.security import PinGuard
from kiosk.staff import HOLD_STEPS, RE_ENTRY_MARK, PinPage, StaffPage, TodayRow
from kiosk.state import KioskState
from kiosk.store import KioskStore, PendingCheck, Recorded
from kiosk.texts import t
from kiosk.verdicts import in_language, surname

log = logging.getLogger(__name__)
QUARTER = timedelta(minutes=15)
HOLD_DEFAULT_MINUTES = 120  # a hold's length until staff change it (karaoke is mostly sold by the hour or two)
STAFF_LOCK_SECONDS = 60  # the staff page locks after a minute without a touch (kiosk/app.py's IDLE_SECONDS)
LOCK_WARNING_SECONDS = 15  # the countdown shows for the last seconds before it; any touch takes it away
DRAFT_KEPT = timedelta(minutes=10)  # a half-done form comes back after the PIN for this long, then is forgotten
UNDO_WINDOW = timedelta(minutes=5)  # a desk check ticked by mistake can be made owed again for this long
# Where a USB stick is mounted: udisks (/media/<user>/<label>, /run/media/<user>/<label>), usbmount (/media/usb0).
USB_ROOTS = ("/media/*", "/media/*/*", "/run/media/*/*")
_TOUCHES = {QEvent.Type.MouseButtonPress, QEvent.Type.KeyPress, QEvent.Type.TouchBegin}
# What a dead letter's stored error says (facility/outbox.py: "422 bad_request: ..."), and its reason in words.
_PLATFORM_ERROR = re.compile(r"^(\d{3}) ([a-z_]+):")
DEAD_WHY = {
    "bad_request": "dead_why_bad_request",
    "idempotency_conflict": "dead_why_conflict",
    "too_large": "dead_why_too_large",
    "not_found": "dead_why_not_found",
    "invalid_body": "dead_why_invalid",
}


class TouchWatch(QObject):
    """Notes any touch, click or key anywhere in the application (as the kiosk window's own filter does), so the
    staff page's lock countdown restarts with the kiosk's idle minute."""

    def __init__(self, touched: Callable[[], None], parent: QObject) -> None:
        super().__init__(parent)
        self._touched = touched

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """A person is at the screen (the event still goes where it was going)."""
        if event.type() in _TOUCHES:
            self._touched()
        return False


class Courier(QObject):
    """Carries a call's outcome from its thread back to the UI thread (a queued signal)."""

    arrived = Signal(object)


def removable_media(roots: Sequence[str] = USB_ROOTS, is_mount: Callable[[str], bool] = os.path.ismount) -> list[Path]:
    """Mounted removable media (USB sticks) the kiosk may write to: the mount points under the roots (glob patterns),
    writable, in name order."""
    found: dict[str, Path] = {}
    for root in roots:
        pattern = Path(root)
        anchor = Path(pattern.anchor or ".")
        for candidate in sorted(anchor.glob(str(pattern.relative_to(anchor)))):
            if candidate.is_dir() and is_mount(str(candidate)) and os.access(candidate, os.W_OK):
                found.setdefault(str(candidate), candidate)
    return list(found.values())


@dataclass
class StaffDesk:
    """What the staff side works with: the facility, its reception and queue, the state, and its two pages."""

    cfg: FacilityConfig
    reception: Reception
    outbox: OutboxSender
    state: KioskState
    pin: PinGuard
    pin_page: PinPage
    page: StaffPage
    data_dir: Path

    @property
    def store(self) -> KioskStore:
        """The kiosk's store (through reception, its one owner)."""
        return self.reception.store

    @property
    def language(self) -> str:
        """The language on screen."""
        return self.state.language


class StaffActions:
    """Unlocking the staff page with the PIN, and handling its buttons."""

    def __init__(self, desk: StaffDesk, open_staff: Callable[[], None], quit_kiosk: Callable[[], None]) -> None:
        self.desk = desk
        self.open_staff = open_staff
        self.quit_kiosk = quit_kiosk
        self._over_capacity: Callable[[], None] | None = None  # an admission waiting for "admit anyway"
        self._checklist_shown: tuple[list[PendingCheck], str] | None = None
        self._joining: Recorded | None = None  # a member being moved into another's room (the next touch says whose)
        self._holds_shown: tuple[list[RoomHold], str] | None = None
        self._ticked_shown: tuple[list[PendingCheck], str] | None = None
        self.hold_start, self.hold_minutes = self._next_quarter(), HOLD_DEFAULT_MINUTES
        self.usb_roots: Sequence[str] = USB_ROOTS  # where USB sticks are mounted (tests point it elsewhere)
        self.is_mount: Callable[[str], bool] = os.path.ismount
        self.monotonic: Callable[[], float] = desk.reception.clock.monotonic  # the lock countdown's clock
        self._touched_at = self.monotonic()
        page = desk.page
        page.now = lambda: desk.reception.clock.now().timestamp()  # drafts are kept by the kiosk's clock
        desk.store.desk_day_starts_at = desk.cfg.rules.day_starts_at  # desk checks are owed for the business day
        self._checks_day = facility_day(desk.cfg, desk.reception.clock.now())
        desk.state.update(pending_checks=desk.store.pending_desk_checks())  # owed before a restart: owed still
        self.courier = Courier(page)
        self.courier.arrived.connect(self._report_arrived)
        self._sending = False
        self.touches = TouchWatch(self.touched, page)
        application = QCoreApplication.instance()
        if application is not None:
            application.installEventFilter(self.touches)
        self.watch = QTimer(page)
        self.watch.timeout.connect(self.watch_tick)
        self.watch.start(250)
        actions = {
            "exit": lambda: page.ask_exit(True),
            "exit_confirm": quit_kiosk,
            "exit_cancel": lambda: page.ask_exit(False),
            "check_out": self.check_out,
            "retry_dead": self.retry_dead,
            "admit_manual": self.admit_manual,
            "override": self.override,
            "companion_in": self.companion_in,
            "companion_out": self.companion_out,
            "report": self.save_report,
            "report_upload": self.upload_report,
            "confirm_over": self._admit_anyway,
            "cancel_over": lambda: self._ask_over_capacity(None),
            "room_new": self.new_room,
            "room_join": self.join_room,
            "room_join_cancel": lambda: self._join(None),
            "hold": self.hold,
            "hold_shorter": lambda: self._lengthen(-30),
            "hold_longer": lambda: self._lengthen(30),
        }
        for name, minutes in HOLD_STEPS.items():
            actions[name] = partial(self._move_start, minutes)
        for name, action in actions.items():
            page.buttons[name].clicked.connect(self._safely(action))
        reception = desk.reception
        rooms = any(reception.counts_rooms(space.id) for space in desk.cfg.spaces)
        page.configure(
            rooms,
            [(space.id, space.name) for space in reception.hold_spaces],
            room_column=rooms or any(space.rooms for space in desk.cfg.spaces if space.kind.checks_in_at_reception),
        )

    def _safely(self, action: Callable[[], object]) -> Callable[[], None]:
        """A button's action: the last message goes first, and whatever it hits is said on the page, never lost in
        a log (the kiosk goes on)."""

        def run() -> None:
            self.desk.page.message.setText("")
            try:
                action()
            except Exception as exc:  # a staff task must never fail in silence
                log.exception("a staff action failed")
                self._fail("staff_error", error=f"{type(exc).__name__}: {exc}"[:160])

        return run

    def _say(self, key: str, **values: object) -> None:
        """A line of feedback on the staff page: what was done (green)."""
        self.desk.page.say(t(key, self.desk.language, **values))

    def _fail(self, key: str, **values: object) -> None:
        """A line of feedback on the staff page: what could not be done, and why (red)."""
        self.desk.page.say(t(key, self.desk.language, **values), ok=False)

    # --- the lock, and drafts kept across it ---------------------------------------------------------------------

    def touched(self) -> None:
        """Someone touched the screen: the minute before the lock starts again, and the countdown goes."""
        self._touched_at = self.monotonic()
        if self.desk.page.lock_warning.isVisible():
            self.desk.page.show_lock_warning("")

    def watch_tick(self) -> None:
        """Several times a second: the countdown before the staff page locks (and the lock), a kept draft past its
        time forgotten, and the desk checks of a business day that ended taken off the list."""
        desk = self.desk
        if not desk.page.window().isVisible():
            return  # the kiosk is not on screen (stopping, or not started): its store may be closed
        day = facility_day(desk.cfg, desk.reception.clock.now())
        if day != self._checks_day:
            self._checks_day = day
            desk.state.update(pending_checks=desk.store.pending_desk_checks())
        kept = desk.page.kept
        if kept is not None and not 0 <= desk.page.now() - kept[0] <= DRAFT_KEPT.total_seconds():
            desk.page.kept = None  # nobody came back for it: forgotten (it held a member's number)
        if not desk.page.isVisible():
            desk.page.show_lock_warning("")
            return
        left = STAFF_LOCK_SECONDS - (self.monotonic() - self._touched_at)
        if left <= 0:
            desk.page.show_lock_warning("")
            desk.page.buttons["back"].click()  # as the kiosk's idle minute does: the form is kept as a draft
        elif left <= LOCK_WARNING_SECONDS:
            desk.page.show_lock_warning(t("lock_warning", desk.language, s=math.ceil(left)))
        else:
            desk.page.show_lock_warning("")

    def unlock(self, pin: str) -> None:
        """The right PIN opens the staff page; wrong ones count towards a lockout."""
        desk, language = self.desk, self.desk.language
        if desk.pin.check(pin):
            desk.pin_page.reset()
            draft = desk.page.take_kept(DRAFT_KEPT.total_seconds())
            desk.page.clear_forms(keep=False)
            self._join(None)
            if draft is None:
                self.hold_start, self.hold_minutes = self._next_quarter(), HOLD_DEFAULT_MINUTES
            self._touched_at = self.monotonic()
            self.open_staff()
            self.refresh()
            if draft is not None:
                desk.page.restore(draft)
                self._say("draft_restored")
            return
        locked = desk.pin.locked_for()
        desk.pin_page.message.setText(t("pin_locked", language, s=locked) if locked else t("pin_wrong", language))

    # --- what the page shows ---------------------------------------------------------------------

    def refresh(self) -> None:
        """Fill the page from the store and the state."""
        desk, language = self.desk, self.desk.language
        page, state = desk.page, desk.state
        page.summary.setText(self._summary())
        page.alerts.setText("\n".join(t(alert.key, language, **dict(alert.values)) for alert in self._alerts()))
        page.alerts.setVisible(bool(state.staff_alerts()))
        today = desk.reception.today()
        groups: dict[str, int] = {}  # each room group numbered as it first appears today (1組目, 2組目...)
        for c in today:
            if c.room_group:
                groups.setdefault(c.room_group, len(groups) + 1)
        page.show_today([self._today_row(c, groups) for c in reversed(today)])
        page.buttons["room_join"].setText(t("room_join_here" if self._joining else "room_join", language))
        self._show_holds()
        self._show_checklist(state.pending_checks)
        self._show_ticked()
        earlier = desk.store.unticked_before(desk.store.desk_day_start())
        page.checks_earlier.setText(t("checks_earlier", language, n=earlier))
        page.checks_earlier.setVisible(earlier > 0)
        page.tabs.setTabText(
            1,
            t("tab_checks_n", language, n=len(state.pending_checks))
            if state.pending_checks
            else t("tab_checks", language),
        )
        page.refusal.setText(self._refusal_text(desk.reception.last_refusal, desk.reception.last_refusal_at))
        queued, dead = state.outbox.queued, state.outbox.dead
        page.queue.setText(
            t("queue", language, queued=queued, dead=dead) if queued or dead else t("queue_empty", language)
        )
        page.dead.setText(
            "\n\n".join(self._dead_text(item) for item in desk.store.outbox("dead")) or t("dead_none", language)
        )
        page.buttons["retry_dead"].setEnabled(state.outbox.dead > 0)

    def _alerts(self) -> Iterator:
        """The state's alerts, with a failing loop's name in words; a platform alert with nothing waiting to be sent
        says so rather than counting 0."""
        for alert in self.desk.state.staff_alerts():
            values, key = dict(alert.values), alert.key
            if "name" in values:
                values["name"] = t(f"task_{values['name']}", self.desk.language)
            if key in ("platform_down", "platform_failing", "credentials") and values.get("n") == 0:
                key, values = f"{key}_none", {}
            yield type(alert)(key, tuple(values.items()))

    def _summary(self) -> str:
        """Who is in at reception's space; and for each space that counts rooms, its rooms in use and held."""
        desk, language = self.desk, self.desk.language
        occupancies = desk.reception.occupancies()
        reception = occupancies[desk.cfg.reception_space.id]
        lines = [t("occupancy", language, members=reception.members_in, companions=reception.companions_in)]
        for space in desk.cfg.spaces:
            seats = space.capacity
            if seats is None or seats.unit != "rooms":
                continue
            occupancy = occupancies[space.id]
            lines.append(
                t(
                    "rooms_in_use",
                    language,
                    name=in_language(space.name, language),
                    used=occupancy.rooms_in,  # over the total when staff admitted over capacity
                    held=len(occupancy.holds),
                    total=seats.total,
                )
            )
        return "\n".join(lines)

    def _today_row(self, c: Recorded, groups: dict[str, int]) -> TodayRow:
        """One check-in in words: no stored codes (check_in, member_screen) reach the table; its room: the group it
        shares where rooms are counted, a meeting room's name for its representative. A member who left says when
        in the end column (the row is grey); a re-entry is marked (the row says so in blue)."""
        language = self.desk.language
        if c.room_group in groups:
            room = t("room_group", language, n=groups[c.room_group])
        else:
            room = in_language(self.desk.reception.room_name(c.reservation_id), language) or "—"
        re_entry = c.kind is EntryKind.RE_ENTRY
        kind = t(f"entry_{c.kind.value}", language)
        if c.checked_out_at:
            until = t("checked_out", language, time=self._stamp(c.checked_out_at))
        else:
            until = self._stamp(c.ends_at) if c.ends_at else "—"
        cells = (
            self._stamp(c.at),
            str(c.member_id),
            displayed(c.name, NAME_COLUMNS),  # a name as every screen shows one (facility/plaintext.py)
            f"{RE_ENTRY_MARK}{kind}" if re_entry else kind,
            until,
            t(f"source_{c.source}", language),
            room,
        )
        return TodayRow(c.key, cells, re_entry=re_entry, left=c.checked_out_at is not None)

    def _stamp(self, moment: datetime) -> str:
        """A moment as staff read it: the time alone today, with the date and weekday on any other day (a business
        day that runs past midnight, a refusal or a dead letter from days ago)."""
        moment, now = local(moment), local(self.desk.reception.clock.now())
        return f"{moment:%H:%M}" if moment.date() == now.date() else self._when(moment)

    def _show_checklist(self, pending: list[PendingCheck]) -> None:
        """One row per check owed, each with its tick (built again only when the list or the language changed)."""
        language = self.desk.language
        if (pending, language) == self._checklist_shown:
            return
        self._checklist_shown = (list(pending), language)
        texts = [
            (
                t(
                    "check_row",
                    language,
                    time=self._stamp(p.due_at),
                    name=p.name,
                    member=p.member_id,
                    check=p.check.text(language),
                ),
                p.checkin_key,
            )
            for p in pending
        ]
        rows = self.desk.page.show_checklist(texts, t("check_done", language))
        for row, check in zip(rows, pending, strict=True):
            row.tick.clicked.connect(lambda _=False, check=check: self.tick(check))

    def _refusal_text(self, refused: CheckinVerdict | None, at: datetime | None) -> str:
        """Who was refused last, when and why; or that there is none."""
        language = self.desk.language
        if refused is None or at is None:
            return t("refusal_none", language)
        reason = refused.reasons[0].text(language) if refused.reasons else ""
        when = self._stamp(at)
        if refused.member_id is None:  # the pass did not say who: staff use the manual check-in
            return t("refusal_unknown", language, time=when, reason=reason)
        return t("refusal_member", language, time=when, name=refused.name, member=refused.member_id, reason=reason)

    def _dead_text(self, item: OutboxItem) -> str:
        """A check-in the platform refused for good, in words: when, who, why in a sentence, the next step, and the
        platform's reason code (small print, for the support call)."""
        body, language = item.body, self.desk.language
        try:
            when = self._stamp(datetime.fromisoformat(str(body.get("at"))))
        except (TypeError, ValueError):
            when = "—"
        matched = _PLATFORM_ERROR.match(item.last_error)
        code = matched.group(2) if matched else ("invalid_body" if item.last_error.startswith("not a ") else "")
        status = matched.group(1) if matched else ""
        return t(
            "dead_row",
            language,
            time=when,
            member=body.get("member_id"),
            why=t(DEAD_WHY.get(code, "dead_why_other"), language),
            code=" ".join(part for part in (status, code) if part) or "—",
        )

    # --- actions ------------------------------------------------------------------------------

    def tick(self, check: PendingCheck) -> None:
        """Staff did a desk check: it leaves the list (audited), and can be undone for a few minutes."""
        desk = self.desk
        ticked = desk.store.tick_desk_check(check.checkin_key, check.check.code, desk.reception.clock.now())
        if ticked:
            desk.state.update(pending_checks=desk.store.pending_desk_checks())
        self.refresh()
        if ticked:
            self._say("check_ticked", name=surname(check.name), check=check.check.text(desk.language))

    def untick(self, check: PendingCheck) -> None:
        """A check ticked by mistake is owed again (audited), within UNDO_WINDOW of its tick."""
        desk = self.desk
        now = desk.reception.clock.now()
        undone = desk.store.untick_desk_check(check.checkin_key, check.check.code, now, now - UNDO_WINDOW)
        if undone:
            desk.state.update(pending_checks=desk.store.pending_desk_checks())
        self.refresh()
        if undone:
            self._say("check_undone", name=surname(check.name), check=check.check.text(desk.language))
        else:
            self._fail("check_undo_late", m=int(UNDO_WINDOW.total_seconds() // 60))

    def _show_ticked(self) -> None:
        """The checks ticked within the undo window, each with its undo (built again only when they changed)."""
        desk, language = self.desk, self.desk.language
        ticked = desk.store.ticked_since(desk.reception.clock.now() - UNDO_WINDOW)
        if (ticked, language) == self._ticked_shown:
            return
        self._ticked_shown = (ticked, language)
        texts = [
            t(
                "ticked_row",
                language,
                time=self._stamp(check.done_at or check.due_at),
                name=check.name,
                member=check.member_id,
                check=check.check.text(language),
            )
            for check in ticked
        ]
        heading = t("ticked_heading", language, m=int(UNDO_WINDOW.total_seconds() // 60))
        rows = desk.page.show_ticked(heading, texts, t("check_undo", language))
        for row, check in zip(rows, ticked, strict=True):
            row.tick.clicked.connect(self._safely(partial(self.untick, check)))

    def admit_manual(self) -> None:
        """Check a member in by hand (no phone at hand): the member number, the plan and a reason."""
        page, language = self.desk.page, self.desk.language
        digits, plan, reason = page.keypad.digits, page.chosen_plan(), page.chosen_reason()
        missing = [
            t(key, language)
            for key, absent in (
                ("missing_member", not digits),
                ("missing_plan", plan is None),
                ("missing_reason", not reason),
            )
            if absent
        ]
        if missing:
            self._fail("missing", what="・".join(missing) if language == "ja" else ", ".join(missing))
            return
        if not digits.isdigit() or int(digits) <= 0:
            self._fail("member_id_invalid")
            return
        assert plan is not None
        member_id, name = int(digits), page.member_name.text().strip()
        self._guard_capacity(
            self._who(name, member_id),
            lambda: self._admitted(self.desk.reception.admit_by_staff(member_id, name, plan, reason)),
            lambda: self.desk.reception.needs_new_place(member_id, name, plan),
        )

    def override(self) -> None:
        """Admit the member the kiosk just refused, with a reason; the question and the admission are for them."""
        reception, reason = self.desk.reception, self.desk.page.chosen_reason()
        refused = reception.last_refusal
        if refused is None or refused.member_id is None:
            self._fail("nothing_to_override")
            return
        if not reason:
            self._fail("missing", what=t("missing_reason", self.desk.language))
            return

        def admit() -> None:
            verdict = reception.override(refused, reason)
            if verdict is not None:
                self._admitted(verdict)

        member_id = refused.member_id

        def new_place() -> bool:
            return reception.needs_new_place(
                member_id,
                refused.name,
                refused.plan or Plan.INDIVIDUAL_PREMIUM,
                first_visit=refused.first_visit,
                reservation_id=refused.reservation_id,
            )

        self._guard_capacity(self._who(refused.name, refused.member_id), admit, new_place)

    def _who(self, name: str, member_id: int) -> str:
        """A member as staff read them: the name and number, or the number alone."""
        if name:
            return t("member_named", self.desk.language, name=name, member=member_id)
        return t("member_unnamed", self.desk.language, member=member_id)

    def _guard_capacity(self, who: str, admit: Callable[[], None], new_place: Callable[[], bool]) -> None:
        """Admit now, or first ask (naming the member) while the facility is full and they need a seat or room of
        their own (not a member who joins their group's room or takes the room held for them)."""
        if self.desk.reception.doorway() is Doorway.FULL and new_place():
            self._ask_over_capacity(admit, who)
            return
        admit()

    def _ask_over_capacity(self, admit: Callable[[], None] | None, who: str = "") -> None:
        """Show (or withdraw) the question before exceeding capacity."""
        self._over_capacity = admit
        self.desk.page.show_confirm(admit is not None, t("over_capacity", self.desk.language, who=who))

    def _admit_anyway(self) -> None:
        """Staff confirmed: admit past capacity."""
        admit, self._over_capacity = self._over_capacity, None
        self.desk.page.show_confirm(False)
        if admit is not None:
            admit()

    def _admitted(self, verdict: CheckinVerdict) -> None:
        """Say who was admitted and until when, put their desk checks on the list, and clear the form."""
        desk = self.desk
        ends = verdict.ends_at.strftime("%H:%M") if verdict.ends_at else "—"
        desk.page.clear_forms(keep=False)  # the work is done: no draft of it is kept
        desk.state.update(pending_checks=desk.store.pending_desk_checks())
        assert verdict.member_id is not None
        self._done("admitted_by_staff", who=self._who(verdict.name, verdict.member_id), time=ends)

    def check_out(self) -> None:
        """Check out the member chosen in the table (kept by the check-in, not by its row), and say who."""
        key = self.desk.page.selected_key()
        if not key:
            self._fail("choose_row")
            return
        left = self.desk.reception.check_out(key, "staff")
        if left is None:
            self._fail("already_out")
            return
        self._done("checked_out_done", who=self._who(left.name, left.member_id))

    def companion_in(self) -> None:
        """A paying companion sits down."""
        fee = self.desk.reception.companion_arrives()
        self._done("companion_in_done", fee=fee)

    def companion_out(self) -> None:
        """A companion leaves."""
        self._done("companion_out_done" if self.desk.reception.companion_leaves() else "companion_none")

    def retry_dead(self) -> None:
        """Send the dead letters again."""
        sent = self.desk.outbox.retry_dead_letters()
        self._done("retried", n=sent) if sent else self._done("retried_none")

    def save_report(self) -> Path | None:
        """Write today's usage report (CSV, counted per docs/domain.md) on the USB stick plugged into the kiosk, and
        say where; or say that no stick is found. A copy stays beside the kiosk's data (for the technician)."""
        desk = self.desk
        today = facility_day(desk.cfg, desk.reception.clock.now())  # the business day (`[rules] day_starts_at`)
        name = f"usage-{desk.cfg.facility.id}-{today}.csv"
        text = usage_report_csv(desk.cfg, desk.reception.day_history(today), today)
        kept = desk.data_dir / "reports" / name
        kept.parent.mkdir(parents=True, exist_ok=True)
        kept.write_text(text, encoding="utf-8")
        sticks = removable_media(self.usb_roots, self.is_mount)
        if not sticks:
            self._fail("report_no_stick")
            return None
        path = sticks[0] / name
        try:
            with path.open("w", encoding="utf-8") as out:
                out.write(text)
                out.flush()
                os.fsync(out.fileno())  # on the stick before staff pull it out
        except OSError as exc:
            log.warning("the usage report could not be written to %s: %s", path, exc)
            self._fail("report_write_failed", stick=sticks[0].name, error=exc.strerror or type(exc).__name__)
            return None
        self._say("report_saved", stick=sticks[0].name, file=name)
        return path

    def upload_report(self) -> None:
        """Send today's usage report to the platform (on a thread: the page stays live); the answer is said when it
        comes. The report's key is its content, so pressing again sends nothing twice."""
        desk = self.desk
        if self._sending:
            self._say("report_sending")
            return
        now = desk.reception.clock.now()
        today = facility_day(desk.cfg, now)
        report = usage_report(desk.cfg, desk.reception.day_history(today), today, desk.cfg.kiosk_settings.id)
        if len(report.uses) > USAGE_ROWS_MAX:
            self._fail("report_too_large", n=len(report.uses))
            return
        key, path, client = (
            usage_report_key(desk.cfg.facility.id, report),
            usage_reports_path(desk.cfg.facility.id),
            desk.outbox.client,
        )

        def send() -> None:
            try:
                answer: object = client.call(
                    "POST", path, UsageReportRecorded, report, headers={"Idempotency-Key": key}
                )
            except PlatformError as exc:
                answer = exc
            except Exception as exc:  # said on the page, never lost on a thread
                log.exception("the usage report could not be sent")
                answer = exc
            self.courier.arrived.emit(answer)

        self._sending = True
        self._say("report_sending")
        threading.Thread(target=send, name="usage-report", daemon=True).start()

    def _report_arrived(self, answer: object) -> None:
        """The platform's answer to the usage report, in words."""
        self._sending = False
        if isinstance(answer, UsageReportRecorded):
            self._say("report_sent", n=answer.uses)
        elif isinstance(answer, PlatformError) and answer.status == 0:
            self._fail("report_send_unreachable")
        else:
            code = f"{answer.status} {answer.code}" if isinstance(answer, PlatformError) else type(answer).__name__
            self._fail("report_send_failed", code=code)

    # --- rooms a group shares ------------------------------------------------------------------------

    def new_room(self) -> None:
        """The chosen member gets a room of their own (a group that came in together by chance, split)."""
        key = self.desk.page.selected_key()
        if not key:
            self._fail("choose_row")
            return
        self._join(None)
        moved = self.desk.reception.new_room(key)
        if moved is None:
            self._fail("room_not_counted")
            return
        self._done("room_new_done", who=self._who(moved.name, moved.member_id))

    def join_room(self) -> None:
        """Move a member into another's room: the first touch chooses who moves, the second whose room they join."""
        key = self.desk.page.selected_key()
        if not key:
            self._fail("choose_row")
            return
        moving = self._joining
        if moving is None or moving.key == key:
            chosen = self.desk.store.checkin(key)
            if chosen is None or not self.desk.reception.counts_rooms(self.desk.reception.space_of(chosen)):
                self._fail("room_not_counted")
                return
            self._join(chosen)
            self._say("room_join_pick", who=self._who(chosen.name, chosen.member_id))
            return
        self._join(None)
        moved = self.desk.reception.join_room(moving.key, key)
        joined = self.desk.store.checkin(key)
        if moved is None or joined is None:
            self._fail("room_not_counted")
            return
        self._done(
            "room_joined",
            who=self._who(moved.name, moved.member_id),
            other=self._who(joined.name, joined.member_id),
        )

    def _join(self, moving: Recorded | None) -> None:
        """Start (or end) choosing whose room a member joins."""
        self._joining = moving
        page = self.desk.page
        page.show_joining(moving is not None)
        page.buttons["room_join"].setText(t("room_join_here" if moving else "room_join", self.desk.language))

    # --- rooms held by phone -------------------------------------------------------------------------

    def _next_quarter(self) -> datetime:
        """The next quarter hour from now (a hold's first start)."""
        now = local(self.desk.reception.clock.now()).replace(second=0, microsecond=0)
        return now + (QUARTER - timedelta(minutes=now.minute % 15) if now.minute % 15 else timedelta(0))

    def _move_start(self, minutes: int) -> None:
        """Move the hold's start, never before the quarter hour under way."""
        now = local(self.desk.reception.clock.now()).replace(second=0, microsecond=0)
        earliest = now - timedelta(minutes=now.minute % 15)
        self.hold_start = max(earliest, self.hold_start + timedelta(minutes=minutes))
        self._show_hold_form()

    def _lengthen(self, minutes: int) -> None:
        """Make the hold longer or shorter (never under the shortest hold)."""
        self.hold_minutes = max(HOLD_SHORTEST, self.hold_minutes + minutes)
        self._show_hold_form()

    def _show_hold_form(self) -> None:
        """The hold's start and length as staff set them."""
        page, language = self.desk.page, self.desk.language
        page.hold_start.setText(t("hold_start", language, when=self._when(self.hold_start)))
        page.hold_length.setText(t("hold_length", language, length=self._length(self.hold_minutes)))

    def _when(self, moment: datetime) -> str:
        """A hold's start in words: the date, the weekday and the time."""
        language, moment = self.desk.language, local(moment)
        weekday = t(f"weekday_{moment.weekday()}", language)
        return t("hold_when", language, month=moment.month, day=moment.day, weekday=weekday, time=f"{moment:%H:%M}")

    def _length(self, minutes: int) -> str:
        """A length of time in words: 2時間, 30分, 1時間30分."""
        hours, rest = divmod(minutes, 60)
        key = "length_hours_minutes" if hours and rest else ("length_hours" if hours else "length_minutes")
        return t(key, self.desk.language, h=hours, m=rest)

    def _hold_who(self, hold: RoomHold) -> str:
        """For whom a room is held: name and number, the name as told, or the number."""
        if hold.member_id is None:
            return t("hold_name_only", self.desk.language, name=hold.name)
        return self._who(hold.name, hold.member_id)

    def _show_holds(self) -> None:
        """The hold form, and the rooms held, each with its cancel (built again only when they or the language
        changed)."""
        self._show_hold_form()
        language = self.desk.language
        holds = self.desk.store.open_holds()
        if (holds, language) == self._holds_shown:
            return
        self._holds_shown = (holds, language)
        texts = [
            t(
                "hold_row",
                language,
                when=self._when(hold.starts_at),
                length=self._length(hold.minutes),
                who=self._hold_who(hold),
                space=in_language(self._space_name(hold.space), language),
                until=f"{local(lapses_at(hold)):%H:%M}",
            )
            for hold in holds
        ]
        rows = self.desk.page.show_holds(texts, t("hold_cancel", language))
        for row, hold in zip(rows, holds, strict=True):
            row.tick.clicked.connect(self._safely(partial(self.cancel_hold, hold)))

    def _space_name(self, space_id: str) -> str:
        """A space's name (its id, for one no longer in the facility file)."""
        space = self.desk.cfg.space(space_id)
        return space.name if space is not None else space_id

    def hold(self) -> None:
        """Hold a room for a booking taken by phone: the member number (keypad) or the name, the start, the length."""
        page = self.desk.page
        digits, name = page.hold_keypad.digits, page.hold_name.text().strip()
        if digits and (not digits.isdigit() or int(digits) <= 0):
            self._fail("member_id_invalid")
            return
        space = page.chosen_hold_space()
        if space is None:
            self._fail("hold_refused_no_holds")
            return
        member_id = int(digits) if digits else None
        held = self.desk.reception.hold_room(space, self.hold_start, self.hold_minutes, member_id, name)
        if isinstance(held, HoldRefusal):
            self._fail(f"hold_refused_{held.code}")
            return
        page.hold_keypad.clear()
        page.hold_name.clear()
        self._done(
            "hold_done", who=self._hold_who(held), when=self._when(held.starts_at), length=self._length(held.minutes)
        )

    def cancel_hold(self, hold: RoomHold) -> None:
        """Staff cancel a hold (the member called off, or came and was admitted another way)."""
        cancelled = self.desk.reception.cancel_hold(hold.hold_id)
        if cancelled is None:
            self.refresh()
            self._fail("hold_gone")
            return
        self._done("hold_cancelled", who=self._hold_who(cancelled))

    def _done(self, key: str, **values: object) -> None:
        """Refresh the page and the outbox after a change, and say what was done."""
        self.desk.outbox.wake()
        self.refresh()
        self._say(key, **values)
