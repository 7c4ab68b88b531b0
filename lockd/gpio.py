"""The real door driver: relay, door contact, exit button and strike monitor on GPIO pins (gpiozero).

Tests run it on gpiozero's mock pins; a board uses its default pin factory.
"""

from __future__ import annotations

from collections.abc import Callable

from gpiozero import Button, DigitalInputDevice, OutputDevice

from facility.config.models import GpioPins

DEBOUNCE_SECONDS = 0.05


class GpioDoor:
    """A door wired to a board's pins, behind lockd's door seam."""

    def __init__(self, pins: GpioPins, pin_factory=None) -> None:
        self._relay = OutputDevice(pins.relay_pin, active_high=pins.relay_active_high, initial_value=False,
                                   pin_factory=pin_factory)
        # The contact is "active" while the door is open.
        self._contact = DigitalInputDevice(pins.contact_pin, pull_up=None, active_state=not pins.contact_closed_high,
                                           bounce_time=DEBOUNCE_SECONDS, pin_factory=pin_factory)
        self._exit = (Button(pins.exit_button_pin, pull_up=True, bounce_time=DEBOUNCE_SECONDS, pin_factory=pin_factory)
                      if pins.exit_button_pin is not None else None)
        self._strike = (DigitalInputDevice(pins.strike_sensor_pin, pull_up=None, active_state=pins.strike_locked_high,
                                           pin_factory=pin_factory) if pins.strike_sensor_pin is not None else None)

    def set_relay(self, energised: bool) -> None:
        """Energise or release the relay."""
        self._relay.value = energised

    def contact_open(self) -> bool:
        """True while the contact reports the door open."""
        return bool(self._contact.is_active)

    def on_contact_change(self, callback: Callable[[bool], None]) -> None:
        """Call back True on opening and False on closing."""
        self._contact.when_activated = lambda: callback(True)
        self._contact.when_deactivated = lambda: callback(False)

    def on_exit_button(self, callback: Callable[[], None]) -> None:
        """Call back when the exit button is pressed (no-op when none is wired)."""
        if self._exit is not None:
            self._exit.when_pressed = lambda: callback()  # noqa: PLW0108 (gpiozero would pass the button to a callback that takes it)

    def strike_locked(self) -> bool | None:
        """The strike monitor, or None where none is wired."""
        return bool(self._strike.is_active) if self._strike is not None else None

    def close(self) -> None:
        """Release the relay and free the pins."""
        self._relay.value = False
        for device in (self._relay, self._contact, self._exit, self._strike):
            if device is not None:
                device.close()
