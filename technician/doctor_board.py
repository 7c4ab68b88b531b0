"""What `officepass-site doctor` checks of the board's own parts: the files the programs read, and GPIO."""

from __future__ import annotations

import queue
import time
from typing import TYPE_CHECKING

from facility.config import FacilityConfig
from facility.config.files import file_problems, service_user
from technician.doctor_local import bench_only

if TYPE_CHECKING:
    from technician.doctor import Findings


def programs(cfg: FacilityConfig) -> list[str]:
    """The programs this site file runs on a board."""
    return [program for program, present in (("lockd", bool(cfg.doors and cfg.lockd)), ("kiosk", cfg.kiosk is not None))
            if present]


def check_files(cfg: FacilityConfig, found: Findings) -> None:
    """Every file a program reads is there and readable by the user its unit runs as."""
    problems = [(program, problem) for program in programs(cfg)
                for problem in file_problems(cfg, program, service_user(program))]
    for program, problem in problems:
        found.fail(f"{program}: {problem.path}: {problem.message}",
                   fix="officepass-site setup --config FILE sets the owners and modes; the operator's files come "
                       "from the platform")
    if not problems:
        found.ok("every file the site's programs read is there and readable by them")


def check_gpio(cfg: FacilityConfig, found: Findings, lockd_running: bool) -> None:
    """Which pin factory drives the GPIO doors, and whether each wired pin can be claimed (lockd not running)."""
    doors = [door for door in cfg.doors if door.driver == "gpio" and door.gpio is not None]
    if not doors:
        return
    name = cfg.lockd_settings.pin_factory
    if name == "mock":
        bench_only(cfg, found, "[lockd] pin_factory = 'mock': the doors drive gpiozero's mock pins, never the board's",
                   'set [lockd] pin_factory = "lgpio"')
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
                found.fail(f"{where} cannot be claimed: {claim.problem}",
                           fix="another program holds it (systemctl status officepass-lockd), or the pin in "
                               "[doors.gpio] is not the one wired")


def check_bridge(cfg: FacilityConfig, found: Findings, timeout: float) -> None:
    """The site's broker's link to the platform's, as its bridge announces it (retained), read as the technician."""
    if cfg.mqtt is None or cfg.mqtt.bridge is None:
        return
    from lockd.bridge import notification_topic
    from messagebus import BrokerSettings, BusClient
    from technician.site_setup import BROKER_SECRETS, TECHNICIAN_USER
    try:
        password = (BROKER_SECRETS / f"{TECHNICIAN_USER}.pass").read_text().strip()
    except OSError as exc:
        found.warn(f"the link to the platform's broker is not checked: {exc.strerror or exc}",
                   fix="run doctor as root, after officepass-site setup")
        return
    link: queue.Queue[bytes] = queue.Queue()
    bus = BusClient(BrokerSettings(cfg.mqtt.host, cfg.mqtt.port, TECHNICIAN_USER, password, tls=cfg.mqtt.tls,
                                   ca_file=cfg.mqtt.ca_file, client_id=TECHNICIAN_USER))
    bus.subscribe(notification_topic(cfg), lambda message: link.put(message.payload))
    bus.start()
    try:
        linked = _linked(link, timeout)
    finally:
        bus.stop()
    where = f"{cfg.mqtt.bridge.host}:{cfg.mqtt.bridge.port}"
    if linked:
        found.ok(f"the site's broker is linked to the platform's ({where})")
    else:
        found.fail(f"the site's broker is not linked to the platform's ({where}){'' if linked is False else ': no word'}",
                   fix="check the WAN; journalctl -u mosquitto says why: 'certificate verify failed' (the CA in "
                       "[mqtt.bridge] ca_file), 'host name verification failed' (the host), 'not authorised' "
                       "(the bridge password or the platform's ACL)")


def _linked(link: queue.Queue[bytes], timeout: float) -> bool | None:
    """True once the bridge says 1 within timeout; False if it said only 0; None if it said nothing."""
    heard: bool | None = None
    deadline = time.monotonic() + timeout
    while (left := deadline - time.monotonic()) > 0:
        try:
            heard = link.get(timeout=left) == b"1"
        except queue.Empty:
            break
        if heard:
            return True
    return heard
