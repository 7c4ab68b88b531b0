"""lockd's door controller on the virtual door and on the GPIO driver (gpiozero's mock pins)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime

import pytest
from gpiozero.pins.mock import MockFactory

from facility.config import load_config
from facility.config.models import GpioPins
from facility.rules.calendar import TOKYO
from lockd.cli import release_relays
from lockd.doors import DoorController, LockState
from lockd.gpio import GpioDoor, GpioDriver
from simulator.clock import SettableClock
from simulator.door import SimulatedDoors, VirtualDoor, Visitor
from tests.conftest import CONFIG_DIR, bus_settings
from tests.lockd_site import Site, site_config, start_site
from tests.rulebook import H1T


@pytest.fixture
def clock() -> SettableClock:
    """The doors' monotonic time, moved by the test."""
    return SettableClock(datetime(2026, 11, 24, 10, 0, tzinfo=TOKYO))


@pytest.fixture
def site(broker, platform, bus_client, tmp_path, clock: SettableClock, wall_clock) -> Iterator[Site]:
    """lockd whose door timers run on the settable clock (pulse 5 s, held-open alarm 30 s), on the test's wall clock."""
    running = start_site(
        site_config(platform.server.url, tmp_path, pulse=5.0),
        platform,
        bus_settings(broker, "lockd", "lockd-test"),
        bus_client(user="platform"),
        scheduler=clock,
        clock=wall_clock,
    )
    yield running
    running.daemon.stop()


def events(site: Site, door: str = "booth-a") -> list[dict]:
    """Every event lockd published for a door so far, in order."""
    found = []
    while not site.heard.empty():
        message = site.heard.get()
        if message.topic.endswith(f"{door}/event"):
            found.append(json.loads(message.payload))
    return found


def wait_event(site: Site, name: str, door: str = "booth-a") -> dict:
    """The next published event of that name."""
    return json.loads(site.next_heard(f"{door}/event", where=lambda p: json.loads(p)["event"] == name).payload)


def test_relock_when_the_pulse_ends(site: Site, clock: SettableClock) -> None:
    assert site.send(site.command())["result"] == "opened"
    controller = site.daemon.doors["booth-a"]
    assert controller.state is LockState.UNLOCKED
    clock.advance(4.9)
    assert site.doors["booth-a"].relay_energised
    clock.advance(0.2)
    assert not site.doors["booth-a"].relay_energised and controller.state is LockState.LOCKED


def test_relock_as_soon_as_the_door_closes_behind_the_member(site: Site, clock: SettableClock) -> None:
    site.doors["booth-a"].expect(Visitor(opens_after=0.5, closes_after=1.0))
    site.send(site.command())
    clock.advance(0.6)
    assert wait_event(site, "opened")["alarm"] is False
    clock.advance(1.0)
    assert wait_event(site, "closed")
    assert not site.doors["booth-a"].relay_energised  # relocked at 1.5 s, not at 5 s
    assert [r.action for r in site.daemon.store.audit_rows() if r.action in ("unlock", "opened", "closed")] == [
        "unlock",
        "opened",
        "closed",
    ]


def test_forced_open_raises_an_alarm(site: Site) -> None:
    site.doors["booth-a"].force_open()
    event = wait_event(site, "forced")
    assert event["alarm"] is True and site.daemon.doors["booth-a"].state is LockState.OPEN
    assert site.daemon.store.audit_rows("forced")


def test_held_open_raises_an_alarm_after_its_time(site: Site, clock: SettableClock) -> None:
    site.send(site.command())
    site.doors["booth-a"].push()
    clock.advance(29)
    assert not [e for e in events(site) if e["event"] == "held_open"]
    clock.advance(2)
    assert wait_event(site, "held_open")["alarm"] is True


def test_the_exit_button_is_audited_then_opens(site: Site) -> None:
    site.doors["booth-a"].press_exit_button()
    assert site.pulses() == 1
    assert [r.action for r in site.daemon.store.audit_rows()][-1] == "exit_button"


def test_a_jammed_strike_is_reported(site: Site) -> None:
    site.doors["booth-a"].jam()
    site.send(site.command())
    assert site.next_heard("booth-a/state", where=lambda p: p == b"JAMMED")  # the state goes out first
    assert wait_event(site, "jammed")["alarm"] is True
    assert site.daemon.doors["booth-a"].state is LockState.JAMMED


# --- the GPIO driver on mock pins ---------------------------------------------------------------


@pytest.mark.parametrize("active_high", [True, False])
def test_gpio_relay_follows_the_controller(active_high: bool) -> None:
    pins = MockFactory()
    door = GpioDoor(GpioPins(relay_pin=17, relay_active_high=active_high, contact_pin=27, exit_button_pin=22), pins)
    relay = pins.pin(17)
    assert relay.state == (not active_high)  # released at start
    door.set_relay(True)
    assert relay.state == active_high
    door.close()
    assert relay.state == (not active_high)


def test_gpio_contact_exit_button_and_strike_monitor() -> None:
    pins = MockFactory()
    door = GpioDoor(
        GpioPins(relay_pin=17, contact_pin=27, contact_closed_high=True, exit_button_pin=22, strike_sensor_pin=23), pins
    )
    pins.pin(27).drive_high()  # closed
    pins.pin(23).drive_high()  # strike locked
    moves, presses = [], []
    door.on_contact_change(moves.append)
    door.on_exit_button(lambda: presses.append(1))
    assert not door.contact_open() and door.strike_locked() is True
    pins.pin(27).drive_low()  # opened
    pins.pin(27).drive_high()  # closed
    pins.pin(22).drive_low()  # button pressed (pulled up)
    assert moves == [True, False] and presses == [1]
    door.close()


def test_gpio_without_a_strike_monitor_says_so() -> None:
    door = GpioDoor(GpioPins(relay_pin=17, contact_pin=27), MockFactory())
    assert door.strike_locked() is None
    door.close()


def test_release_relays_after_a_crash_drives_every_gpio_relay_released() -> None:
    pins = MockFactory()
    pins.pin(17).drive_high()  # the relay as a killed lockd left it: energised
    cfg = load_config(CONFIG_DIR / "h1t-shibuya.toml")
    assert release_relays(cfg, {"gpio": GpioDriver(cfg.lockd_settings, pins), "simulated": SimulatedDoors()}) == 0
    assert pins.pin(17).state is False


def test_a_fail_safe_door_is_powered_to_stay_locked_and_unpowered_to_open(clock: SettableClock) -> None:
    door = H1T.doors[0].model_copy(update={"fail_mode": "safe", "pulse_seconds": 5.0})
    hardware = VirtualDoor(clock, "safe", door.id)
    controller = DoorController(door, hardware, clock, lambda *news: None, lambda door_id: None)
    controller.start()
    assert hardware.relay_energised and not hardware.strike_released
    controller.unlock()
    assert not hardware.relay_energised and hardware.strike_released
    clock.advance(5.1)
    assert hardware.relay_energised and not hardware.strike_released
    controller.release()  # lockd exits: a fail-safe door is left unpowered, so open
    assert hardware.strike_released
