"""One registry of hardware per program: doors by their file's driver name, cameras by the kiosk's camera setting."""

from __future__ import annotations

import pytest

from facility.errors import ConfigError
from kiosk.camera import OpenCVCamera, frame_source
from lockd.drivers import door_factory, standard_drivers
from simulator.camera import VirtualCamera
from simulator.clock import SettableClock
from simulator.door import SimulatedDoors, VirtualDoor
from tests.rulebook import H1T, at


def test_each_door_is_built_by_the_driver_its_file_names() -> None:
    simulated = SimulatedDoors()
    build = door_factory(standard_drivers(simulated))
    door = build(H1T.door("booth-a"), SettableClock(at("2026-11-24 10:00")))  # driver = "simulated"
    assert isinstance(door, VirtualDoor) and simulated.made == {"booth-a": door}


def test_a_driver_not_on_offer_is_a_clear_error_never_the_simulator() -> None:
    build = door_factory({"simulated": SimulatedDoors()})
    with pytest.raises(ConfigError, match=r"doors\.booth-b\.driver: no door driver 'gpio' here \(offered: simulated\)"):
        build(H1T.door("booth-b"), SettableClock(at("2026-11-24 10:00")))


def test_the_simulated_camera_only_by_its_own_name() -> None:
    simulated = frame_source("simulated")
    assert isinstance(simulated, VirtualCamera)
    simulated.close()
    real = frame_source("/nonexistent/video.mp4")
    assert isinstance(real, OpenCVCamera)
    real.close()
