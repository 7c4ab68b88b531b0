"""The virtual door behind lockd's door seam: a person, the strike, the contact, and the timed history."""

from __future__ import annotations

import threading
from datetime import datetime

import pytest

from facility.clock import RealTimeScheduler
from facility.rules.calendar import TOKYO
from simulator.clock import SettableClock
from simulator.door import VirtualDoor, Visitor


@pytest.fixture
def clock() -> SettableClock:
    """The door's clock, moved by the test."""
    return SettableClock(datetime(2026, 11, 24, 10, 0, tzinfo=TOKYO))


def timeline(door: VirtualDoor) -> list[tuple[float, str]]:
    """The history as (seconds, event)."""
    return [(round(e.at, 3), e.what) for e in door.history]


def pulse(door: VirtualDoor, clock: SettableClock, seconds: float = 5.0) -> None:
    """What lockd does for an unlock: energise the relay, wait, release it."""
    door.set_relay(True)
    clock.advance(seconds)
    door.set_relay(False)


def test_a_person_walks_through_after_an_unlock(clock: SettableClock) -> None:
    door, contact = VirtualDoor(clock), []
    door.on_contact_change(contact.append)
    door.expect(Visitor(opens_after=0.8, closes_after=3.0))
    pulse(door, clock)
    clock.advance(10)
    assert timeline(door) == [
        (0, "relay_on"),
        (0, "strike_released"),
        (0.8, "opened"),
        (3.8, "closed"),
        (5, "relay_off"),
        (5, "strike_locked"),
    ]
    assert contact == [True, False]


def test_nobody_comes_and_the_door_stays_shut(clock: SettableClock) -> None:
    door = VirtualDoor(clock)
    pulse(door, clock)
    assert door.events("opened") == [] and not door.contact_open()


def test_a_person_too_slow_for_the_pulse_finds_it_locked(clock: SettableClock) -> None:
    door = VirtualDoor(clock)
    door.expect(Visitor(opens_after=6.0))
    pulse(door, clock, 5.0)
    clock.advance(2)
    assert [e.what for e in door.events("push_refused", "opened")] == ["push_refused"]


def test_holding_the_door_open(clock: SettableClock) -> None:
    door = VirtualDoor(clock)
    door.set_relay(True)
    door.hold_open(45)
    door.set_relay(False)
    clock.advance(44)
    assert door.contact_open()
    clock.advance(2)
    assert not door.contact_open() and [e.at for e in door.events("closed")] == [45]


def test_forcing_the_door_without_an_unlock_is_recorded_as_forced(clock: SettableClock) -> None:
    door, contact = VirtualDoor(clock), []
    door.on_contact_change(contact.append)
    door.force_open()
    assert door.events("forced") and contact == [True] and not door.strike_released


def test_a_jammed_strike_does_not_follow_the_relay(clock: SettableClock) -> None:
    door = VirtualDoor(clock)
    door.expect(Visitor())
    door.jam()
    pulse(door, clock)
    assert door.events("strike_stuck") and door.events("push_refused") and not door.events("opened")
    door.unjam()
    assert not door.strike_released  # relay is off: the freed strike stays locked


def test_the_exit_button_reaches_its_listener(clock: SettableClock) -> None:
    door, presses = VirtualDoor(clock), []
    door.on_exit_button(lambda: presses.append(clock.monotonic()))
    clock.advance(3)
    door.press_exit_button()
    assert presses == [3] and door.events("exit_button")


def test_a_fail_safe_lock_is_released_when_not_energised(clock: SettableClock) -> None:
    door = VirtualDoor(clock, fail_mode="safe")
    assert door.strike_released
    door.set_relay(True)
    assert not door.strike_released and door.push() is False


def test_close_releases_the_relay(clock: SettableClock) -> None:
    door = VirtualDoor(clock)
    door.set_relay(True)
    door.close()
    assert not door.relay_energised and not door.strike_released


def test_stepping_the_wall_clock_leaves_door_timing_alone(clock: SettableClock) -> None:
    door = VirtualDoor(clock)
    door.expect(Visitor(opens_after=1.0, closes_after=2.0))
    door.set_relay(True)
    clock.step_wall(-3600)
    clock.advance(4)
    assert [e.at for e in door.events("opened", "closed")] == [1.0, 3.0]


def test_the_real_time_scheduler_runs_the_person_too() -> None:
    scheduler = RealTimeScheduler()
    try:
        door = VirtualDoor(scheduler)
        door.expect(Visitor(opens_after=0.05, closes_after=0.05))
        opened, closed = [], []
        shut = threading.Event()
        door.on_contact_change(lambda is_open: opened.append(1) if is_open else (closed.append(1), shut.set()))
        door.set_relay(True)
        assert shut.wait(5) and opened and closed
    finally:
        scheduler.stop()
