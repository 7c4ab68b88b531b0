"""What `officepass-site doctor` checks of the board's own parts: the files the programs read, and GPIO."""

from __future__ import annotations

from typing import TYPE_CHECKING

from facility.config import FacilityConfig
from facility.config.files import program_problems, service_user
from technician.doctor_local import bench_only

if TYPE_CHECKING:
    from technician.doctor import Findings


def programs(cfg: FacilityConfig) -> list[str]:
    """The programs this site file runs on a board."""
    return [
        program
        for program, present in (("lockd", bool(cfg.doors and cfg.lockd)), ("kiosk", cfg.kiosk is not None))
        if present
    ]


def check_files(cfg: FacilityConfig, found: Findings) -> None:
    """Every file a program reads is there and readable by the user its unit runs as."""
    problems = [
        (program, problem)
        for program in programs(cfg)
        for problem in program_problems(cfg, program, service_user(program))
    ]
    for program, problem in problems:
        found.fail(
            f"{program}: {problem.path}: {problem.message}",
            fix="officepass-site setup --config FILE sets the owners and modes; the operator's files come "
            "from the platform",
        )
    if not problems:
        found.ok("every file the site's programs read is there and readable by them")


def check_gpio(cfg: FacilityConfig, found: Findings, lockd_running: bool) -> None:
    """Which pin factory drives the GPIO doors, and whether each wired pin can be claimed (lockd not running)."""
    doors = [door for door in cfg.doors if door.driver == "gpio" and door.gpio is not None]
    if not doors:
        return
    name = cfg.lockd_settings.pin_factory
    if name == "mock":
        bench_only(
            cfg,
            found,
            "[lockd] pin_factory = 'mock': the doors drive gpiozero's mock pins, never the board's",
            'set [lockd] pin_factory = "lgpio"',
        )
    if lockd_running:
        found.ok(f"GPIO: lockd running here holds the pins of {len(doors)} door(s) (pin factory {name})")
        return
    from lockd.gpio import GpioUnavailable, claim_pins, pin_factory

    try:
        factory = pin_factory(name)
    except GpioUnavailable as exc:
        found.fail(f"GPIO: {exc}")
        return
    found.ok(f"GPIO: pin factory {name} is active")
    for door in doors:
        assert door.gpio is not None
        for claim in claim_pins(door.gpio, factory):
            where = f"door {door.id}: GPIO{claim.pin} ({claim.role})"
            if claim.problem is None:
                found.ok(f"{where} can be claimed")
            else:
                found.fail(
                    f"{where} cannot be claimed: {claim.problem}",
                    fix="another program holds it (systemctl status officepass-lockd), or the pin in "
                    "[doors.gpio] is not the one wired",
                )
