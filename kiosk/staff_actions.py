"""What the staff page's buttons do; every action that changes a check-in is audited by Reception."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from facility.models import Plan
from facility.rules.calendar import local
from facility.usage import usage_report_csv
from kiosk.texts import t

if TYPE_CHECKING:
    from kiosk.app import KioskApp


class StaffActions:
    """Unlocking the staff page with the PIN, and handling its buttons."""

    def __init__(self, app: KioskApp) -> None:
        self.app = app
        page = app.window.staff
        actions = {"back": app.go_home, "exit": self.exit_kiosk, "check_out": self.check_out,
                   "retry_dead": self.retry_dead, "admit_manual": self.admit_manual, "override": self.override,
                   "companion_in": self.companion_in, "companion_out": self.companion_out, "report": self.save_report}
        for name, action in actions.items():
            page.buttons[name].clicked.connect(action)

    def _say(self, key: str, **values: object) -> None:
        """A line of feedback on the staff page."""
        self.app.window.staff.message.setText(t(key, self.app.language, **values))

    def unlock(self, pin: str) -> None:
        """The right PIN opens the staff page; wrong ones count towards a lockout."""
        window, language = self.app.window, self.app.language
        if self.app.pin.check(pin):
            window.pin.message.setText("")
            self.refresh()
            window.show_page(window.staff)
            return
        locked = self.app.pin.locked_for()
        window.pin.message.setText(t("pin_locked", language, s=locked) if locked else t("pin_wrong", language))

    def refresh(self) -> None:
        """Fill the page from the store."""
        app, page = self.app, self.app.window.staff
        occupancy, status = app.reception.occupancy(), app.outbox.status()
        page.summary.setText(t("occupancy", app.language, members=occupancy.members_in,
                               companions=occupancy.companions_in) + "   " +
                             t("queue", app.language, queued=status.queued, dead=status.dead))
        rows = [(c.key, local(c.at).strftime("%H:%M"), str(c.member_id), c.name, c.kind.value,
                 local(c.ends_at).strftime("%H:%M") if c.ends_at else "-", c.source + (" (out)" if c.checked_out_at else ""))
                for c in reversed(app.reception.today())]
        page.show_today(rows)
        failing = [loop for loop in app.loop_health() if not loop.healthy]
        page.health.setVisible(bool(failing))
        page.health.setText("\n".join(t("loop_failing", app.language, name=t(f"task_{loop.name}", app.language),
                                         error=loop.last_error[:160], failures=loop.failures, restarts=loop.restarts)
                                       for loop in failing))
        page.dead.clear()
        page.dead.addItems([f"{item.body.get('member_id')} {item.body.get('at', '')[11:16]}  {item.last_error}"
                            for item in app.store.outbox("dead")])

    def _reason(self) -> str | None:
        """The reason typed; an override without one is refused."""
        reason = self.app.window.staff.reason.text().strip()
        if not reason:
            self._say("reason_needed")
            return None
        return reason

    def admit_manual(self) -> None:
        """Check a member in by hand (no phone at hand), with a reason."""
        page, reason = self.app.window.staff, self._reason()
        if reason is None or not page.member_id.text().strip().isdigit():
            return
        self.app.reception.admit_by_staff(int(page.member_id.text()), page.member_name.text().strip(),
                                          Plan(page.plan.currentText()), reason)
        self._done()

    def override(self) -> None:
        """Admit the member the kiosk just refused, with a reason."""
        reason = self._reason()
        if reason is None:
            return
        if self.app.reception.override_last_refusal(reason) is None:
            self._say("nothing_to_override")
            return
        self._done()

    def check_out(self) -> None:
        """Check out the member selected in the table."""
        key = self.app.window.staff.selected_key()
        if key:
            self.app.reception.check_out(key, "staff")
            self._done()

    def companion_in(self) -> None:
        """A paying companion sits down."""
        self.app.reception.companion_arrives()
        self._done()

    def companion_out(self) -> None:
        """A companion leaves."""
        self.app.reception.companion_leaves()
        self._done()

    def retry_dead(self) -> None:
        """Send the dead letters again."""
        self.app.outbox.retry_dead_letters()
        self._done()

    def save_report(self) -> Path:
        """Write today's usage report (CSV, counted per docs/domain.md) beside the kiosk's data."""
        app = self.app
        today = local(app.clock.now()).date()
        path = app.data_dir / "reports" / f"usage-{app.cfg.facility.id}-{today}.csv"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(usage_report_csv(app.cfg, app.reception.day_history(today), today), encoding="utf-8")
        self._say("report_saved", path=path)
        return path

    def exit_kiosk(self) -> None:
        """Staff close the kiosk."""
        self.app.stop()

    def _done(self) -> None:
        """Refresh the page and the outbox after a change."""
        self.app.outbox.wake()
        self.refresh()
        self._say("done")
