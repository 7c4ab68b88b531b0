"""One registry of hardware per program, by entry points: doors by their file's driver name, cameras by the kiosk's
camera setting; the products load the simulator only when a file names its parts."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from importlib.metadata import EntryPoint

import pytest

from facility.errors import ConfigError
from kiosk.camera import OpenCVCamera, frame_source
from lockd.drivers import InstalledDrivers, door_factory, release_doors
from lockd.gpio import GpioDriver
from simulator.camera import VirtualCamera
from simulator.clock import SettableClock
from simulator.door import SimulatedDoors, VirtualDoor
from tests.conftest import CONFIG_DIR, REPO
from tests.rulebook import H1T, at


def test_each_door_is_built_by_the_driver_its_file_names() -> None:
    simulated = SimulatedDoors()
    build = door_factory({"simulated": simulated})
    door = build(H1T.door("booth-a"), SettableClock(at("2026-11-24 10:00")))  # driver = "simulated"
    assert isinstance(door, VirtualDoor) and simulated.made == {"booth-a": door}


def test_a_driver_not_on_offer_is_a_clear_error_never_the_simulator() -> None:
    build = door_factory({"simulated": SimulatedDoors()})
    with pytest.raises(ConfigError, match=r"doors\.booth-b\.driver: no door driver 'gpio' here \(offered: simulated\)"):
        build(H1T.door("booth-b"), SettableClock(at("2026-11-24 10:00")))


def test_the_installed_drivers_are_the_registered_entry_points_each_made_once() -> None:
    drivers = InstalledDrivers(H1T.lockd_settings)
    assert set(drivers) == {"gpio", "osdp", "simulated"}
    assert isinstance(drivers["gpio"], GpioDriver) and drivers["gpio"] is drivers["gpio"]
    assert isinstance(drivers["simulated"], SimulatedDoors)


def test_a_driver_registered_by_another_package_is_offered_by_its_name() -> None:
    point = EntryPoint("gpio", "simulator.door:technician_doors", "officepass.door_drivers")
    drivers = InstalledDrivers(H1T.lockd_settings, {"gpio": point})
    door = door_factory(drivers)(H1T.door("booth-b"), SettableClock(at("2026-11-24 10:00")))
    assert isinstance(door, VirtualDoor)


def test_release_goes_through_each_door_s_driver_and_names_the_released() -> None:
    released: list[str] = []

    class Counting(SimulatedDoors):
        def release(self, doors):
            released.extend(door.id for door in doors)
            return list(doors)

    done = release_doors(H1T.doors, {"gpio": Counting(), "simulated": SimulatedDoors()})
    gpio = [door.id for door in H1T.doors if door.driver == "gpio"]
    assert released == gpio and [door.id for door in done] == gpio  # a virtual relay dies with its process
    with pytest.raises(ConfigError, match=r"no door driver 'gpio' here \(offered: simulated\)"):
        release_doors(H1T.doors, {"simulated": SimulatedDoors()})


def test_the_simulated_camera_only_by_its_own_name() -> None:
    simulated = frame_source("simulated")
    assert isinstance(simulated, VirtualCamera)
    simulated.close()
    real = frame_source("/nonexistent/video.mp4")
    assert isinstance(real, OpenCVCamera)
    real.close()


PRODUCTS = ("facility", "messagebus", "kiosk", "lockd")


def test_no_product_module_imports_the_simulator_or_the_benchmarks() -> None:
    """Import every product module in a fresh interpreter; none may bring the simulator or the benchmarks in."""
    program = (
        "import importlib, pkgutil, sys\n"
        f"for package in {PRODUCTS!r}:\n"
        "    root = importlib.import_module(package)\n"
        "    for info in pkgutil.walk_packages(root.__path__, package + '.'):\n"
        "        importlib.import_module(info.name)\n"
        "print(sorted({name.split('.')[0] for name in sys.modules if name.split('.')[0] in "
        "('simulator', 'benchmarks', 'technician')}))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", program], cwd=REPO, capture_output=True, text=True, check=True, timeout=120
    )
    assert result.stdout.strip() == "[]"


def test_every_registered_part_is_in_the_architecture_table() -> None:
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["entry-points"]
    table = (REPO / "docs" / "architecture.md").read_text()
    rows = [(group, name, value) for group, points in project.items() for name, value in points.items()]
    assert {group for group, _, _ in rows} == {"officepass.door_drivers", "officepass.cameras"}
    for group, name, value in rows:
        assert f"| `{group}` | `{name}` | `{value}`" in table


def test_check_config_names_a_door_whose_driver_is_not_installed(tmp_path) -> None:
    text = (CONFIG_DIR / "h1t-shibuya.toml").read_text().replace('driver = "simulated"', 'driver = "wiegand"', 1)
    (tmp_path / "site.toml").write_text(text.replace('"demo-keys/', f'"{CONFIG_DIR}/demo-keys/'))
    result = subprocess.run(
        [sys.executable, "-m", "lockd.cli", "--check-config", str(tmp_path / "site.toml")],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert (
        "doors.0.driver: no door driver 'wiegand' installed here (offered: gpio, osdp, simulated)"
        in result.stdout + result.stderr
    )
