"""One door under lockd's control: relay pulses on the monotonic clock, relock, and the door's alarms.

The controller never decides who may enter; it is told to unlock after the decision and
its audit row are committed. It reports every state change and event to lockd, which
publishes them.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from facility.clock import Scheduler
from facility.config.models import Door
from facility.messages import LockState
from lockd.door import DoorHardware

Report = Callable[[str, LockState, str, bool], None]  # door id, state, event ('' for none), alarm


class DoorController:
    """Drives one door's relay and watches its contact, exit button and strike monitor."""

    def __init__(
        self,
        door: Door,
        hardware: DoorHardware,
        scheduler: Scheduler,
        report: Report,
        before_exit_unlock: Callable[[str], None],
    ) -> None:
        self.door = door
        self.hardware = hardware
        self.scheduler = scheduler
        self.report = report
        self.before_exit_unlock = before_exit_unlock
        self.locked_level = door.fail_mode == "safe"  # fail-secure strikes lock unpowered, fail-safe ones powered
        self.state = LockState.LOCKED
        self.unlocked = False
        self._pulse = 0
        self._pending: tuple[LockState, str, bool] | None = None  # an unlock driven, its report still to go
        self._held = 0
        self._lock = threading.RLock()

    def start(self) -> None:
        """Lock, listen to the door, and report where it stands: a door found open was opened without lockd."""
        with self._lock:
            self.hardware.set_relay(self.locked_level)
            self.hardware.on_contact_change(self._contact_changed)
            self.hardware.on_exit_button(self._exit_pressed)
            if self.hardware.contact_open():
                self._opened_while_locked()
            else:
                self._set_state(LockState.LOCKED, "")

    def _opened_while_locked(self) -> None:
        """The door is open and lockd did not unlock it: forced, and held open if it stays so."""
        self._held += 1
        held = self._held
        self._set_state(LockState.OPEN, "forced", alarm=True)
        self.scheduler.call_later(self.door.held_open_alarm_seconds, lambda: self._held_too_long(held))

    def unlock(self) -> None:
        """Release the strike for the door's pulse and report it; relock on close or when the pulse ends."""
        self.drive_unlock()
        self.report_unlock()

    def drive_unlock(self) -> None:
        """Release the strike, time the pulse and note the door's new state, but report it later (report_unlock, or
        the door's next change, whichever comes first): lockd drives a whole batch's relays before it publishes."""
        with self._lock:
            self.hardware.set_relay(not self.locked_level)
            self._report_pending()  # an earlier unlock not reported yet goes out first, but after the relay moved
            self._pulse += 1
            pulse = self._pulse
            self.unlocked = True
            self.scheduler.call_later(self.door.pulse_seconds, lambda: self._relock(pulse))
            # No UNLOCKING: the relay has already moved, so the door is reported as it now stands.
            if self.hardware.strike_locked() is True:
                self._pending = (LockState.JAMMED, "jammed", True)
            else:
                self._pending = (
                    LockState.OPEN if self.hardware.contact_open() else LockState.UNLOCKED,
                    "unlocked",
                    False,
                )
            self.state = self._pending[0]

    def report_unlock(self) -> None:
        """Report the unlock drive_unlock noted, unless the door's next change has reported it already."""
        with self._lock:
            self._report_pending()

    def _report_pending(self) -> None:
        """Report a noted unlock now, so that every report keeps the order of what happened."""
        if self._pending is not None:
            state, event, alarm = self._pending
            self._pending = None
            self.report(self.door.id, state, event, alarm)

    def _relock(self, pulse: int | None = None) -> None:
        """Lock again, unless a newer pulse has started since."""
        with self._lock:
            if pulse is not None and pulse != self._pulse:
                return
            self._pulse += 1
            self.unlocked = False
            self.hardware.set_relay(self.locked_level)
            if self.hardware.strike_locked() is False:
                self._set_state(LockState.JAMMED, "jammed", alarm=True)
            else:
                self._set_state(LockState.OPEN if self.hardware.contact_open() else LockState.LOCKED, "relocked")

    def _contact_changed(self, is_open: bool) -> None:
        """The door moved: opened through an unlock, forced, or closed again."""
        with self._lock:
            if is_open and not self.unlocked:
                self._opened_while_locked()
                return
            if is_open:
                self._held += 1
                held = self._held
                self._set_state(LockState.OPEN, "opened")
                self.scheduler.call_later(self.door.held_open_alarm_seconds, lambda: self._held_too_long(held))
                return
            self._held += 1
            self._set_state(LockState.UNLOCKED if self.unlocked else LockState.LOCKED, "closed")
            if self.unlocked:
                self._relock()

    def _held_too_long(self, held: int) -> None:
        """The door is still open after the alarm time."""
        with self._lock:
            if held == self._held and self.hardware.contact_open():
                self._set_state(LockState.OPEN, "held_open", alarm=True)

    def _exit_pressed(self) -> None:
        """Someone inside wants out: audit first, then release the strike."""
        self.before_exit_unlock(self.door.id)
        self.unlock()

    def _set_state(self, state: LockState, event: str, alarm: bool = False) -> None:
        """Record and report a state and the event that led to it (after an unlock not reported yet)."""
        self._report_pending()
        self.state = state
        self.report(self.door.id, state, event, alarm)

    def release(self) -> None:
        """On every way out: de-energise the relay (fail-secure doors lock, fail-safe doors open)."""
        with self._lock:
            self._report_pending()
            self._pulse += 1
            self.hardware.close()
