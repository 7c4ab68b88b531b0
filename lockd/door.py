"""The door seam: one door's relay, door contact and exit button, as lockd drives them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol


class DoorHardware(Protocol):
    """What lockd needs of a door's hardware; a GPIO board and the simulator's door both provide it."""

    def set_relay(self, energised: bool) -> None:
        """Energise or release the lock relay."""

    def contact_open(self) -> bool:
        """True while the door contact reports the door open."""

    def on_contact_change(self, callback: Callable[[bool], None]) -> None:
        """Call back with True when the door opens and False when it closes."""

    def on_exit_button(self, callback: Callable[[], None]) -> None:
        """Call back when someone inside presses the exit button."""

    def strike_locked(self) -> bool | None:
        """True while the strike's monitor reports it locked; None where there is no monitor."""

    def close(self) -> None:
        """Release the relay and the pins."""
