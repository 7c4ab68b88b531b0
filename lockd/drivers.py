"""Door drivers by the name a facility file gives them (`[[doors]] driver`), registered like gpiozero's pin factories.

A driver is offered by an entry point in the group `officepass.door_drivers` (pyproject.toml): "gpio", lockd's
own (lockd/gpio.py), and "simulated", the simulator's door for technicians (simulator/door.py). lockd loads only
the drivers its file names, when it names them, so no lockd module imports the simulator and a GPIO site never
loads it. Each driver makes a site's doors and, after lockd died, puts their relays in their released state
(`officepass-lockd --release-relays`, the unit's ExecStopPost). Tests and the benches hand `door_factory` door
makers of their own; nothing picks the simulator silently.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from importlib.metadata import EntryPoint, entry_points
from typing import Protocol

from facility.clock import Scheduler
from facility.config.models import Door, GpioPins, Lockd
from facility.errors import ConfigError, ConfigProblem
from lockd.door import DoorHardware

DRIVER_GROUP = "officepass.door_drivers"
SIM_DOOR_LOG_DIR = "OFFICEPASS_SIM_DOOR_LOG_DIR"  # where simulated doors log each move (technicians, the fault suite)
DoorFactory = Callable[[Door, Scheduler], DoorHardware]


class DoorDriver(Protocol):
    """One kind of door hardware: makes a door, and releases the relays of doors a dead lockd left."""

    def __call__(self, door: Door, scheduler: Scheduler) -> DoorHardware:
        """The hardware of one of the file's doors."""
        ...

    def release(self, doors: Sequence[Door]) -> list[Door]:
        """After lockd died: each door's relay in its released state; the doors whose relay this released."""
        ...


# What an entry point loads: the driver's maker, given the site's [lockd] settings.
DriverMaker = Callable[[Lockd], DoorDriver]


def gpio_pins(door: Door) -> GpioPins:
    """A GPIO door's pins (the schema requires [doors.gpio] for driver "gpio")."""
    if door.gpio is None:
        raise ConfigError("", [ConfigProblem(f"doors.{door.id}.gpio", "a gpio door needs its [doors.gpio] pins")])
    return door.gpio


class InstalledDrivers(Mapping[str, DoorDriver]):
    """The drivers installed here, each loaded and made the first time it is asked for (then kept)."""

    def __init__(self, settings: Lockd, offered: Mapping[str, EntryPoint] | None = None) -> None:
        self._settings = settings
        self._offered = dict(offered) if offered is not None else installed_entry_points()
        self._made: dict[str, DoorDriver] = {}

    def __getitem__(self, name: str) -> DoorDriver:
        if name not in self._made:
            maker: DriverMaker = self._offered[name].load()
            self._made[name] = maker(self._settings)
        return self._made[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._offered)

    def __len__(self) -> int:
        return len(self._offered)


def installed_entry_points() -> dict[str, EntryPoint]:
    """The door drivers the installed packages register, by name."""
    return {point.name: point for point in entry_points(group=DRIVER_GROUP)}


def _not_offered(door: Door, drivers: Mapping[str, object]) -> ConfigError:
    """The error for a door whose driver is not installed here."""
    offered = ", ".join(sorted(drivers)) or "none"
    return ConfigError(
        "", [ConfigProblem(f"doors.{door.id}.driver", f"no door driver {door.driver!r} here (offered: {offered})")]
    )


def drivers_missing(doors: Sequence[Door], offered: Mapping[str, object]) -> list[ConfigProblem]:
    """Each door whose driver is not installed here (`--check-config` says so before lockd is started)."""
    listed = ", ".join(sorted(offered)) or "none"
    return [
        ConfigProblem(f"doors.{index}.driver", f"no door driver {door.driver!r} installed here (offered: {listed})")
        for index, door in enumerate(doors)
        if door.driver not in offered
    ]


def door_factory(drivers: Mapping[str, DoorFactory]) -> DoorFactory:
    """Build each door with the driver its file names; a driver not on offer is a clear error."""

    def build(door: Door, scheduler: Scheduler) -> DoorHardware:
        if door.driver not in drivers:
            raise _not_offered(door, drivers)
        return drivers[door.driver](door, scheduler)

    return build


def release_doors(doors: Sequence[Door], drivers: Mapping[str, DoorDriver]) -> list[Door]:
    """Release every door's relay through the driver its file names; the doors released."""
    released: list[Door] = []
    for name in dict.fromkeys(door.driver for door in doors):
        if name not in drivers:
            raise _not_offered(next(door for door in doors if door.driver == name), drivers)
        released += drivers[name].release([door for door in doors if door.driver == name])
    return released
