"""What the staff pages' buttons do, said back in words; every action that changes a check-in is audited by
Reception."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from facility.config import FacilityConfig
from facility.plaintext import NAME_COLUMNS, displayed
from facility.rules.calendar import local
from facility.usage import facility_day, usage_report_csv
from kiosk.doorway import Doorway
from kiosk.outbox import OutboxSender
from kiosk.reception import CheckinVerdict, Reception
from kiosk.security import PinGuard
from kiosk.staff import PinPage, StaffPage
from kiosk.state import KioskState
from kiosk.store import KioskStore, OutboxItem, PendingCheck, Recorded
from kiosk.texts import t
from kiosk.verdicts import surname

log = logging.getLogger(__name__)


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
        page = desk.page
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
            "confirm_over": self._admit_anyway,
            "cancel_over": lambda: self._ask_over_capacity(None),
        }
        for name, action in actions.items():
            page.buttons[name].clicked.connect(self._safely(action))

    def _safely(self, action: Callable[[], object]) -> Callable[[], None]:
        """A button's action: the last message goes first, and whatever it hits is said on the page, never lost in
        a log (the kiosk goes on)."""

        def run() -> None:
            self.desk.page.message.setText("")
            try:
                action()
            except Exception as exc:  # a staff task must never fail in silence
                log.exception("a staff action failed")
                self._say("staff_error", error=f"{type(exc).__name__}: {exc}"[:160])

        return run

    def _say(self, key: str, **values: object) -> None:
        """A line of feedback on the staff page."""
        self.desk.page.message.setText(t(key, self.desk.language, **values))

    def unlock(self, pin: str) -> None:
        """The right PIN opens the staff page; wrong ones count towards a lockout."""
        desk, language = self.desk, self.desk.language
        if desk.pin.check(pin):
            desk.pin_page.reset()
            desk.page.clear_forms()
            self.open_staff()
            self.refresh()
            return
        locked = desk.pin.locked_for()
        desk.pin_page.message.setText(t("pin_locked", language, s=locked) if locked else t("pin_wrong", language))

    # --- what the page shows ---------------------------------------------------------------------

    def refresh(self) -> None:
        """Fill the page from the store and the state."""
        desk, language = self.desk, self.desk.language
        page, state = desk.page, desk.state
        occupancy = desk.reception.occupancy()
        page.summary.setText(t("occupancy", language, members=occupancy.members_in, companions=occupancy.companions_in))
        page.alerts.setText("\n".join(t(alert.key, language, **dict(alert.values)) for alert in self._alerts()))
        page.alerts.setVisible(bool(state.staff_alerts()))
        page.show_today([self._today_row(c) for c in reversed(desk.reception.today())])
        self._show_checklist(state.pending_checks)
        page.tabs.setTabText(
            1,
            t("tab_checks_n", language, n=len(state.pending_checks))
            if state.pending_checks
            else t("tab_checks", language),
        )
        page.refusal.setText(self._refusal_text(desk.reception.last_refusal, desk.reception.last_refusal_at))
        page.queue.setText(t("queue", language, queued=state.outbox.queued, dead=state.outbox.dead))
        page.dead.setText(
            "\n\n".join(self._dead_text(item) for item in desk.store.outbox("dead")) or t("dead_none", language)
        )
        page.buttons["retry_dead"].setEnabled(state.outbox.dead > 0)

    def _alerts(self):
        """The state's alerts, with a failing loop's name in words."""
        for alert in self.desk.state.staff_alerts():
            values = dict(alert.values)
            if "name" in values:
                values["name"] = t(f"task_{values['name']}", self.desk.language)
            yield type(alert)(alert.key, tuple(values.items()))

    def _today_row(self, c: Recorded) -> tuple[str, ...]:
        """One check-in in words: no stored codes (check_in, member_screen) reach the table."""
        language = self.desk.language
        source = t(f"source_{c.source}", language) + (t("checked_out", language) if c.checked_out_at else "")
        return (
            c.key,
            local(c.at).strftime("%H:%M"),
            str(c.member_id),
            displayed(c.name, NAME_COLUMNS),  # a name as every screen shows one (facility/plaintext.py)
            t(f"entry_{c.kind.value}", language),
            local(c.ends_at).strftime("%H:%M") if c.ends_at else "—",
            source,
        )

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
                    time=local(p.due_at).strftime("%H:%M"),
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
        when = local(at).strftime("%H:%M")
        if refused.member_id is None:  # the pass did not say who: staff use the manual check-in
            return t("refusal_unknown", language, time=when, reason=reason)
        return t("refusal_member", language, time=when, name=refused.name, member=refused.member_id, reason=reason)

    def _dead_text(self, item: OutboxItem) -> str:
        """A check-in the platform refused for good, in words, with the next step."""
        body = item.body
        return t(
            "dead_row",
            self.desk.language,
            time=str(body.get("at", ""))[11:16],
            member=body.get("member_id"),
            error=item.last_error[:120],
        )

    # --- actions ------------------------------------------------------------------------------

    def tick(self, check: PendingCheck) -> None:
        """Staff did a desk check: it leaves the list (audited)."""
        desk = self.desk
        if desk.store.tick_desk_check(check.checkin_key, check.check.code, desk.reception.clock.now()):
            desk.state.update(pending_checks=desk.store.pending_desk_checks())
            self._say("check_ticked", name=surname(check.name), check=check.check.text(desk.language))
        self.refresh()

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
            self._say("missing", what="・".join(missing) if language == "ja" else ", ".join(missing))
            return
        if not digits.isdigit() or int(digits) <= 0:
            self._say("member_id_invalid")
            return
        assert plan is not None
        member_id, name = int(digits), page.member_name.text().strip()
        self._guard_capacity(
            self._who(name, member_id),
            lambda: self._admitted(self.desk.reception.admit_by_staff(member_id, name, plan, reason)),
        )

    def override(self) -> None:
        """Admit the member the kiosk just refused, with a reason; the question and the admission are for them."""
        reception, reason = self.desk.reception, self.desk.page.chosen_reason()
        refused = reception.last_refusal
        if refused is None or refused.member_id is None:
            self._say("nothing_to_override")
            return
        if not reason:
            self._say("missing", what=t("missing_reason", self.desk.language))
            return

        def admit() -> None:
            verdict = reception.override(refused, reason)
            if verdict is not None:
                self._admitted(verdict)

        self._guard_capacity(self._who(refused.name, refused.member_id), admit)

    def _who(self, name: str, member_id: int) -> str:
        """A member as staff read them: the name and number, or the number alone."""
        if name:
            return t("member_named", self.desk.language, name=name, member=member_id)
        return t("member_unnamed", self.desk.language, member=member_id)

    def _guard_capacity(self, who: str, admit: Callable[[], None]) -> None:
        """Admit now, or first ask (naming the member) while the facility is full."""
        if self.desk.reception.doorway() is Doorway.FULL:
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
        desk.page.clear_forms()
        desk.state.update(pending_checks=desk.store.pending_desk_checks())
        assert verdict.member_id is not None
        self._done("admitted_by_staff", who=self._who(verdict.name, verdict.member_id), time=ends)

    def check_out(self) -> None:
        """Check out the member chosen in the table (kept by the check-in, not by its row), and say who."""
        key = self.desk.page.selected_key()
        if not key:
            self._say("choose_row")
            return
        left = self.desk.reception.check_out(key, "staff")
        if left is None:
            self._say("already_out")
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
        self._done("retried", n=self.desk.outbox.retry_dead_letters())

    def save_report(self) -> Path:
        """Write today's usage report (CSV, counted per docs/domain.md) beside the kiosk's data."""
        desk = self.desk
        today = facility_day(desk.cfg, desk.reception.clock.now())  # the business day (`[rules] day_starts_at`)
        path = desk.data_dir / "reports" / f"usage-{desk.cfg.facility.id}-{today}.csv"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(usage_report_csv(desk.cfg, desk.reception.day_history(today), today), encoding="utf-8")
        self._say("report_saved", path=path)
        return path

    def _done(self, key: str, **values: object) -> None:
        """Refresh the page and the outbox after a change, and say what was done."""
        self.desk.outbox.wake()
        self.refresh()
        self._say(key, **values)
