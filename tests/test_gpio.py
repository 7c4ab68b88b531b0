"""GPIO doors reach their pins through the pin factory the site file names: lgpio on a Raspberry Pi, never
gpiozero's silent fall-through; each wired pin can be claimed, or doctor says which one cannot and why."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from gpiozero.pins.mock import MockFactory

from facility.config.models import GpioPins
from lockd.drivers import InstalledDrivers
from lockd.gpio import GpioDoor, GpioUnavailable, claim_pins, factory_name, pin_factory
from simulator.clock import SettableClock
from tests.rulebook import H1T, at

PI_4_REVISION = 0xC03111  # what /proc/device-tree says on a Raspberry Pi 4 Model B, 4 GB


@pytest.fixture(autouse=True)
def fresh_factories() -> Iterator[None]:
    """Each test makes its factories anew (lockd makes one per process)."""
    pin_factory.cache_clear()
    yield
    pin_factory.cache_clear()


@pytest.fixture
def raspberry_pi(monkeypatch, tmp_path) -> list:
    """This machine as a Raspberry Pi 4 running Raspberry Pi OS bookworm: its revision and its GPIO chip, stood in
    for at lgpio's C calls (hardware); lgpio itself and gpiozero's LGPIOFactory are the real ones."""
    monkeypatch.chdir(tmp_path)  # lgpio keeps its notification pipe in the working directory
    import lgpio
    from gpiozero.pins.lgpio import LGPIOFactory

    opened: list = []
    monkeypatch.setattr(lgpio, "gpiochip_open", lambda chip: opened.append(chip) or 3)
    monkeypatch.setattr(lgpio, "gpiochip_close", lambda handle: opened.append(("closed", handle)))
    monkeypatch.setattr(LGPIOFactory, "_get_revision", lambda self: PI_4_REVISION)
    return opened


def test_on_a_raspberry_pi_the_factory_chosen_is_lgpio_on_its_gpio_chip(raspberry_pi: list) -> None:
    from gpiozero.pins.lgpio import LGPIOFactory

    assert H1T.lockd_settings.pin_factory == "lgpio"  # what a site file gets unless it says otherwise
    factory = pin_factory(H1T.lockd_settings.pin_factory)
    assert isinstance(factory, LGPIOFactory) and factory_name(factory) == "lgpio"
    assert raspberry_pi == [0]  # a Pi 4 drives its header through /dev/gpiochip0
    assert pin_factory("lgpio") is factory  # one per process


def test_a_pi_whose_gpio_chip_cannot_be_opened_is_a_clear_error_never_another_factory(
    raspberry_pi, monkeypatch
) -> None:
    import lgpio

    def refused(chip: int) -> int:
        raise lgpio.error("can not open gpiochip")  # no /dev/gpiochip0, or this user is not in group gpio

    monkeypatch.setattr(lgpio, "gpiochip_open", refused)
    with pytest.raises(
        GpioUnavailable,
        match=r"pin factory 'lgpio' cannot open the GPIO chip \('can not open gpiochip'\)"
        r".*in group gpio",
    ):
        pin_factory("lgpio")  # and no fall-back to gpiozero's 'native' factory, which drives nothing on a Pi 5


def test_lockd_s_gpio_driver_builds_its_doors_on_the_named_factory(monkeypatch) -> None:
    made = []
    monkeypatch.setattr("lockd.gpio.pin_factory", lambda name: made.append(name) or MockFactory())
    door = H1T.door("booth-b")  # driver = "gpio"
    settings = H1T.lockd_settings.model_copy(update={"pin_factory": "mock"})
    built = InstalledDrivers(settings)["gpio"](door, SettableClock(at("2026-11-24 10:00")))
    assert isinstance(built, GpioDoor) and made == ["mock"]
    built.close()


def test_mock_pins_are_gpiozero_s_own() -> None:
    assert factory_name(pin_factory("mock")) == "mock"
    with pytest.raises(GpioUnavailable, match="no pin factory 'native'"):
        pin_factory("native")


def test_each_wired_pin_is_claimed_once_and_a_held_one_is_named() -> None:
    pins = GpioPins(relay_pin=17, contact_pin=27, exit_button_pin=22, strike_sensor_pin=23)
    factory = MockFactory()
    factory.pin(17).drive_high()  # the relay as a killed lockd may leave it
    assert [(claim.role, claim.pin, claim.problem) for claim in claim_pins(pins, factory)] == [
        ("relay", 17, None),
        ("door contact", 27, None),
        ("exit button", 22, None),
        ("strike monitor", 23, None),
    ]
    assert factory.pin(17).state is False  # claimed as lockd would: released
    holder = GpioDoor(GpioPins(relay_pin=17, contact_pin=27), factory)  # lockd running, holding its pins
    held = {claim.pin: claim.problem for claim in claim_pins(pins, factory)}
    assert held[17] and held[27] and "GPIOPinInUse" in held[17] and held[22] is None
    holder.close()
