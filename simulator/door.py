"""The virtual door: relay, strike, door contact and exit button, with a person who uses it and a timed history.

It stands behind lockd's door seam. A person at the door can walk through after an
unlock, hold the door open, force it without an unlock, or find the strike jammed;
tests and technicians read the history to see what happened and when.
"""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from facility.clock import Scheduler
from facility.config.models import Door, Lockd
from lockd.drivers import SIM_DOOR_LOG_DIR


@dataclass(frozen=True)
class DoorEvent:
    """One thing that happened at the door, at a time on the door's clock."""

    at: float
    what: str
    detail: str = ""


@dataclass(frozen=True)
class Visitor:
    """What the person at the door does once the strike lets go (None: nobody comes)."""

    opens_after: float = 0.8
    closes_after: float = 4.0


class VirtualDoor:
    """A door with an electric strike; fail-secure strikes release when energised, fail-safe ones when not."""

    def __init__(
        self,
        scheduler: Scheduler,
        fail_mode: Literal["secure", "safe"] = "secure",
        name: str = "door",
        history_file: Path | None = None,
    ) -> None:
        self.name = name
        # Unbuffered, so each line is with the kernel the moment it is written, even if the process is killed.
        self._history_file = open(history_file, "ab", buffering=0) if history_file else None  # noqa: SIM115 (open for the door's life; closed in close())
        self.scheduler = scheduler
        self.fail_mode = fail_mode
        self.relay_energised = False
        self.open = False
        self.jammed = False
        self.visitor: Visitor | None = None
        self.history: list[DoorEvent] = []
        self._contact_listeners: list[Callable[[bool], None]] = []
        self._exit_listeners: list[Callable[[], None]] = []
        self._strike_released = self._released_for(False)

    # --- the door seam (what lockd sees) ------------------------------------------------

    def set_relay(self, energised: bool) -> None:
        """lockd switches the relay; the strike follows unless it is jammed."""
        if energised == self.relay_energised:
            if energised:  # a second pulse while the first still holds it: nothing moves, but lockd pulsed again
                self._note("relay_on_again")
            return
        self.relay_energised = energised
        self._note("relay_on" if energised else "relay_off")
        unlocking = self._released_for(energised)
        if unlocking and self.visitor is not None and not self.open:
            self._walk_through(self.visitor)  # the member pushes when told it is open, jammed or not
        if self.jammed:
            self._note("strike_stuck", "the strike did not move")
            return
        self._set_strike(unlocking)

    def contact_open(self) -> bool:
        """True while the door is open."""
        return self.open

    def on_contact_change(self, callback: Callable[[bool], None]) -> None:
        """Hear the door open (True) and close (False)."""
        self._contact_listeners.append(callback)

    def on_exit_button(self, callback: Callable[[], None]) -> None:
        """Hear the exit button."""
        self._exit_listeners.append(callback)

    def strike_locked(self) -> bool | None:
        """The strike monitor: True while the strike holds."""
        return not self._strike_released

    def close(self) -> None:
        """lockd lets go of the door: the relay is released (and the history file closed)."""
        self.set_relay(False)
        if self._history_file is not None:
            self._history_file.close()
            self._history_file = None

    # --- the people and the hardware's faults (what technicians and tests do) ---------------

    @property
    def strike_released(self) -> bool:
        """True while the door can be pushed open."""
        return self._strike_released

    def push(self) -> bool:
        """Someone pushes the door; it opens only if the strike is released."""
        if not self._strike_released:
            self._note("push_refused", "the strike held")
            return False
        self._set_open(True, "opened")
        return True

    def shut(self) -> None:
        """Someone lets the door close."""
        if self.open:
            self._set_open(False, "closed")

    def force_open(self) -> None:
        """The door is forced open without an unlock."""
        self._set_open(True, "forced" if not self._strike_released else "opened")

    def hold_open(self, seconds: float) -> None:
        """Open the door now (if it can be) and keep it open for seconds."""
        if self.push():
            self.scheduler.call_later(seconds, self.shut)

    def press_exit_button(self) -> None:
        """Someone inside presses the exit button."""
        self._note("exit_button")
        for listener in list(self._exit_listeners):
            listener()

    def jam(self) -> None:
        """The strike sticks where it is."""
        self.jammed = True
        self._note("jammed")

    def unjam(self) -> None:
        """The strike is free again and follows the relay."""
        self.jammed = False
        self._note("unjammed")
        self._set_strike(self._released_for(self.relay_energised))

    def expect(self, visitor: Visitor | None) -> None:
        """Who will use the door at the next unlock (None: nobody comes)."""
        self.visitor = visitor

    # --- internals ----------------------------------------------------------------------

    def _released_for(self, energised: bool) -> bool:
        """Whether the strike is released for this relay state."""
        return energised if self.fail_mode == "secure" else not energised

    def _set_strike(self, released: bool) -> None:
        """Move the strike."""
        if released == self._strike_released:
            return
        self._strike_released = released
        self._note("strike_released" if released else "strike_locked")

    def _walk_through(self, visitor: Visitor) -> None:
        """The visitor pushes after a moment and lets the door close behind them."""

        def enter() -> None:
            if self.push():
                self.scheduler.call_later(visitor.closes_after, self.shut)

        self.scheduler.call_later(visitor.opens_after, enter)

    def _set_open(self, is_open: bool, what: str) -> None:
        """Move the door and tell the contact's listeners."""
        if is_open == self.open:
            return
        self.open = is_open
        self._note(what)
        for listener in list(self._contact_listeners):
            listener(is_open)

    def _note(self, what: str, detail: str = "") -> None:
        """Append to the history (and to the history file, one JSON line per event)."""
        event = DoorEvent(self.scheduler.monotonic(), what, detail)
        self.history.append(event)
        if self._history_file is not None:
            self._history_file.write((json.dumps({"door": self.name, **dataclasses.asdict(event)}) + "\n").encode())

    def events(self, *kinds: str) -> list[DoorEvent]:
        """The history, only the given kinds if any are named."""
        return [e for e in self.history if not kinds or e.what in kinds]


class SimulatedDoors:
    """The "simulated" door driver: virtual doors made on demand and kept by id, each with who walks through
    (a Visitor, or None: nobody) and, optionally, a file per door logging every move."""

    def __init__(self, visitor: Visitor | None = None, log_dir: Path | None = None) -> None:
        self.visitor = visitor
        self.log_dir = log_dir
        self.made: dict[str, VirtualDoor] = {}

    def __call__(self, door: Door, scheduler: Scheduler) -> VirtualDoor:
        """The virtual door for a facility file's door."""
        made = VirtualDoor(
            scheduler, door.fail_mode, door.id, self.log_dir / f"{door.id}.jsonl" if self.log_dir else None
        )
        if self.visitor is not None:
            made.expect(self.visitor)
        self.made[door.id] = made
        return made

    def release(self, doors: Sequence[Door]) -> list[Door]:
        """After lockd died: nothing to release, a virtual door's relay goes with the process that made it."""
        return []


def technician_doors(settings: Lockd) -> SimulatedDoors:
    """The "simulated" driver as lockd loads it (entry point officepass.door_drivers): someone walks through
    each unlock, and each move is logged where OFFICEPASS_SIM_DOOR_LOG_DIR says (technicians, the fault suite)."""
    log_dir = os.environ.get(SIM_DOOR_LOG_DIR)
    return SimulatedDoors(Visitor(), Path(log_dir) if log_dir else None)
