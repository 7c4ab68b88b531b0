"""The real door driver: relay, door contact, exit button and strike monitor on GPIO pins (gpiozero).

The pin factory is chosen by name (`[lockd] pin_factory`), never by gpiozero's fall-through, which
ends on a board without lgpio at a factory that drives nothing: "lgpio" on a board (the factory that
works on Raspberry Pi OS bookworm, Pi 4 and Pi 5, through /dev/gpiochip*), "mock" for gpiozero's mock
pins (a rehearsal without wiring). Tests pass a MockFactory of their own.
"""

from __future__ import annotations

import atexit
import functools
import os
import shutil
import sys
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from facility.clock import Scheduler
from facility.config.models import Door, GpioPins, Lockd
from facility.errors import FacilityError
from lockd.drivers import gpio_pins

DEBOUNCE_SECONDS = 0.05
LOCKD_EXTRA = "pip install 'officepass-edge[lockd]' (the Debian package officepass-door brings it)"
PIN_FACTORIES = {"lgpio": "gpiozero.pins.lgpio:LGPIOFactory", "mock": "gpiozero.pins.mock:MockFactory"}


class GpioUnavailable(FacilityError):
    """The board's GPIO cannot be driven: a library missing, no chip, or no right to it."""


def _import_gpiozero() -> Any:
    """gpiozero, or one line naming the extra that brings it."""
    try:
        import gpiozero
    except ImportError:
        raise GpioUnavailable(f"GPIO doors need gpiozero, which is not installed here: {LOCKD_EXTRA}") from None
    return gpiozero


def _lgpio_pipe_folder() -> str:
    """Where lgpio may make its notification pipe: the unit's runtime folder, else one of this process's own."""
    folder = os.environ.get("RUNTIME_DIRECTORY", "").split(":")[0]
    if not folder:
        folder = tempfile.mkdtemp(prefix="officepass-lgpio-")
        atexit.register(shutil.rmtree, folder, True)
    return folder


def _import_factory(module_name: str, class_name: str) -> Any:
    """A pin factory's class. lgpio, when first imported, makes a notification pipe in its working folder (LG_WD,
    else the current one) and moves the whole process there: give it a folder of its own, and come back."""
    if "lgpio" not in sys.modules and "LG_WD" not in os.environ and module_name.endswith(".lgpio"):
        here = os.getcwd()
        os.environ["LG_WD"] = _lgpio_pipe_folder()
        try:
            return getattr(__import__(module_name, fromlist=[class_name]), class_name)
        finally:  # lgpio has read LG_WD and opened its pipe, which it never opens by name again
            del os.environ["LG_WD"]
            os.chdir(here)
    return getattr(__import__(module_name, fromlist=[class_name]), class_name)


@functools.cache
def pin_factory(name: str) -> Any:
    """The named gpiozero pin factory, made once per process (lgpio opens the GPIO chip once)."""
    _import_gpiozero()
    if name not in PIN_FACTORIES:
        raise GpioUnavailable(f"no pin factory {name!r} (offered: {', '.join(PIN_FACTORIES)})")
    module_name, class_name = PIN_FACTORIES[name].split(":")
    try:
        factory_class = _import_factory(module_name, class_name)
    except (ImportError, OSError) as exc:
        raise GpioUnavailable(f"pin factory {name!r} cannot be loaded ({exc}): {LOCKD_EXTRA}") from None
    try:
        return factory_class()
    except Exception as exc:  # lgpio's own error type, an OSError, ...: each means the chip cannot be opened
        raise GpioUnavailable(
            f"pin factory {name!r} cannot open the GPIO chip ({exc}): is this a board with "
            "/dev/gpiochip*, and is this user in group gpio (ls -l /dev/gpiochip*)?"
        ) from None


def factory_name(factory: Any) -> str:
    """The name a facility file gives this factory (or its class name, for one a test made)."""
    for name, entry in PIN_FACTORIES.items():
        if type(factory).__name__ == entry.split(":")[1]:
            return name
    return type(factory).__name__


def _relay(pins: GpioPins, factory: Any) -> Any:
    """The relay output, released (the strike as it is without lockd)."""
    gpiozero = _import_gpiozero()
    return gpiozero.OutputDevice(
        pins.relay_pin, active_high=pins.relay_active_high, initial_value=False, pin_factory=factory
    )


def _contact(pins: GpioPins, factory: Any) -> Any:
    """The door contact, "active" while the door is open."""
    gpiozero = _import_gpiozero()
    return gpiozero.DigitalInputDevice(
        pins.contact_pin,
        pull_up=None,
        active_state=not pins.contact_closed_high,
        bounce_time=DEBOUNCE_SECONDS,
        pin_factory=factory,
    )


def _exit_button(pins: GpioPins, factory: Any) -> Any:
    """The exit button, to ground (pulled up)."""
    gpiozero = _import_gpiozero()
    return gpiozero.Button(pins.exit_button_pin, pull_up=True, bounce_time=DEBOUNCE_SECONDS, pin_factory=factory)


def _strike(pins: GpioPins, factory: Any) -> Any:
    """The strike monitor, "active" while locked."""
    gpiozero = _import_gpiozero()
    return gpiozero.DigitalInputDevice(
        pins.strike_sensor_pin, pull_up=None, active_state=pins.strike_locked_high, pin_factory=factory
    )


ROLES: tuple[tuple[str, str, Callable[[GpioPins, Any], Any]], ...] = (
    ("relay", "relay_pin", _relay),
    ("door contact", "contact_pin", _contact),
    ("exit button", "exit_button_pin", _exit_button),
    ("strike monitor", "strike_sensor_pin", _strike),
)


@dataclass(frozen=True)
class PinClaim:
    """Whether one wired pin could be claimed: None when it could, else why not."""

    role: str
    pin: int
    problem: str | None


def claim_pins(pins: GpioPins, factory: Any) -> list[PinClaim]:
    """Claim each wired pin once, as lockd would (the relay as an output, released), and free it again."""
    claims = []
    for role, field, make in ROLES:
        number = getattr(pins, field)
        if number is None:
            continue
        try:
            make(pins, factory).close()
        except Exception as exc:  # gpiozero's GPIOPinInUse, lgpio's "GPIO busy", a permission error...
            claims.append(PinClaim(role, number, f"{type(exc).__name__}: {exc}"))
        else:
            claims.append(PinClaim(role, number, None))
    return claims


class GpioDoor:
    """A door wired to a board's pins, behind lockd's door seam."""

    def __init__(self, pins: GpioPins, factory: Any) -> None:
        self._relay = _relay(pins, factory)
        self._contact = _contact(pins, factory)
        self._exit = _exit_button(pins, factory) if pins.exit_button_pin is not None else None
        self._strike = _strike(pins, factory) if pins.strike_sensor_pin is not None else None

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


class GpioDriver:
    """The "gpio" door driver: doors on the board's pins through the pin factory [lockd] names (made once)."""

    def __init__(self, settings: Lockd, factory: Any = None) -> None:
        self._factory_name, self._factory = settings.pin_factory, factory

    def _pins(self) -> Any:
        """The pin factory, opened on first use (a site whose doors are all released opens it once)."""
        if self._factory is None:
            self._factory = pin_factory(self._factory_name)
        return self._factory

    def __call__(self, door: Door, scheduler: Scheduler) -> GpioDoor:
        """A door wired to the pins its file gives."""
        return GpioDoor(gpio_pins(door), self._pins())

    def release(self, doors: Sequence[Door]) -> list[Door]:
        """Claim each door's relay as released (initial value off) and free it: the strike as it is without lockd."""
        for door in doors:
            GpioDoor(gpio_pins(door), self._pins()).close()
        return list(doors)
