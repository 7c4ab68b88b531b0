"""Door drivers by the name a facility file gives them (`[[doors]] driver`), like gpiozero's pin factories.

One registry for lockd's command line, the simulator's site, the benches and the tests: each says
which drivers it offers and how they are made, and a door is built by the driver its file names.
The simulator's door is offered only under its own name, "simulated"; nothing picks it silently.
"""

from __future__ import annotations

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


def gpio_door(door: Door, scheduler: Scheduler) -> DoorHardware:
    """A door on the board's GPIO pins."""
    from lockd.gpio import GpioDoor  # gpiozero only where a GPIO door is wired
    return GpioDoor(gpio_pins(door))


def standard_drivers(simulated: DoorFactory | None = None) -> dict[str, DoorFactory]:
    """The drivers lockd offers: GPIO, and the simulator's door (made as given, or as a technician runs it)."""
    if simulated is None:
        from simulator.door import SimulatedDoors, Visitor
        log_dir = os.environ.get(SIM_DOOR_LOG_DIR)
        simulated = SimulatedDoors(Visitor(), Path(log_dir) if log_dir else None)
    return {"gpio": gpio_door, "simulated": simulated}


def door_factory(drivers: Mapping[str, DoorFactory]) -> DoorFactory:
    """Build each door with the driver its file names; a driver not on offer is a clear error."""
    def build(door: Door, scheduler: Scheduler) -> DoorHardware:
        if door.driver not in drivers:
            raise ConfigError("", [ConfigProblem(f"doors.{door.id}.driver", f"no door driver {door.driver!r} here "
                                                 f"(offered: {', '.join(sorted(drivers))})")])
        return drivers[door.driver](door, scheduler)
    return build
