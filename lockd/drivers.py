"""Door drivers by the name a facility file gives them (`[[doors]] driver`), like gpiozero's pin factories.

One registry for lockd's command line, the simulator's site, the benches and the tests: each says
which drivers it offers and how they are made, and a door is built by the driver its file names.
The simulator's door is offered only under its own name, "simulated"; nothing picks it silently.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Mapping
from pathlib import Path

from facility.clock import Scheduler
from facility.config.models import Door, GpioPins
from facility.errors import ConfigError, ConfigProblem
from lockd.door import DoorHardware

DoorFactory = Callable[[Door, Scheduler], DoorHardware]
SIM_DOOR_LOG_DIR = "OFFICEPASS_SIM_DOOR_LOG_DIR"  # where simulated doors log each move (technicians, the fault suite)


def gpio_pins(door: Door) -> GpioPins:
    """A GPIO door's pins (the schema requires [doors.gpio] for driver "gpio")."""
    if door.gpio is None:
        raise ConfigError("", [ConfigProblem(f"doors.{door.id}.gpio", "a gpio door needs its [doors.gpio] pins")])
    return door.gpio


def gpio_driver(factory_name: str) -> DoorFactory:
    """Doors on the board's GPIO pins, through the named pin factory (`[lockd] pin_factory`)."""

    def build(door: Door, scheduler: Scheduler) -> DoorHardware:
        from lockd.gpio import GpioDoor, pin_factory  # gpiozero only where a GPIO door is wired

        return GpioDoor(gpio_pins(door), pin_factory(factory_name))

    return build


@functools.cache
def _technician_doors() -> DoorFactory:
    """The simulator's doors, made once per process, logging each move where the environment says."""
    from simulator.door import SimulatedDoors, Visitor

    log_dir = os.environ.get(SIM_DOOR_LOG_DIR)
    return SimulatedDoors(Visitor(), Path(log_dir) if log_dir else None)


def technician_doors(door: Door, scheduler: Scheduler) -> DoorHardware:
    """The simulator's door, as a technician runs it (made when a file names it, never otherwise)."""
    return _technician_doors()(door, scheduler)


def standard_drivers(simulated: DoorFactory | None = None, pin_factory: str = "lgpio") -> dict[str, DoorFactory]:
    """The drivers lockd offers: GPIO through the named pin factory, and the simulator's door (made as given, or as a
    technician runs it, only once a file names it)."""
    return {"gpio": gpio_driver(pin_factory), "simulated": simulated or technician_doors}


def door_factory(drivers: Mapping[str, DoorFactory]) -> DoorFactory:
    """Build each door with the driver its file names; a driver not on offer is a clear error."""

    def build(door: Door, scheduler: Scheduler) -> DoorHardware:
        if door.driver not in drivers:
            raise ConfigError(
                "",
                [
                    ConfigProblem(
                        f"doors.{door.id}.driver",
                        f"no door driver {door.driver!r} here (offered: {', '.join(sorted(drivers))})",
                    )
                ],
            )
        return drivers[door.driver](door, scheduler)

    return build
