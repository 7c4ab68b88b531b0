"""`officepass-lockd`: the door controller's command line."""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading
from collections.abc import Mapping
from pathlib import Path

from facility import logsafe
from facility.clock import SystemClock
from facility.config import FacilityConfig, load_config
from facility.config.check import check_config, located, program_parser
from facility.config.files import program_problems, service_user
from facility.errors import ConfigError, ConfigProblem, FacilityError
from facility.platform import PlatformClient
from facility.systemd import notify, watchdog_period
from lockd.acl import acl_text
from lockd.bridge import CloudLink, bridges_text, cloud_acl_text, read_passwords
from lockd.daemon import LockDaemon
from lockd.drivers import (
    DoorDriver,
    InstalledDrivers,
    door_factory,
    drivers_missing,
    installed_entry_points,
    release_doors,
)
from lockd.store import AuditRow, append_offline_audit
from messagebus import BrokerSettings

log = logging.getLogger("lockd")


def lockd_needs(cfg: FacilityConfig) -> list[ConfigProblem]:
    """What a facility file must hold for lockd to run it."""
    problems = []
    if not cfg.doors:
        problems.append(ConfigProblem("doors", "lockd controls doors: add at least one [[doors]] entry"))
    if cfg.mqtt is None:
        problems.append(ConfigProblem("mqtt", "lockd receives unlock commands over MQTT: add [mqtt]"))
    if cfg.lockd is None:
        problems.append(ConfigProblem("lockd", "lockd needs a [lockd] table (data_dir, sync_interval_seconds, ...)"))
    return problems + drivers_missing(cfg.doors, installed_entry_points()) + osdp_keys_unusable(cfg)


def osdp_keys_unusable(cfg: FacilityConfig) -> list[ConfigProblem]:
    """Each OSDP device whose Secure Channel key file is missing, malformed or a key everybody knows."""
    from lockd.osdp_bus import read_scbk  # libosdp itself is not imported by this

    problems = []
    for n, door in enumerate(cfg.doors):
        for part, device in (("reader", door.reader), ("osdp", door.osdp)):
            if device is None or device.key_file is None:
                continue
            try:
                read_scbk(Path(device.key_file), f"doors.{n}.{part}.key_file")
            except ConfigError as exc:
                problems += exc.problems
    return problems


def build_parser() -> argparse.ArgumentParser:
    """The program's arguments."""
    parser, action = program_parser(
        "officepass-lockd", "Door lock daemon of a coworking-pass booking facility.", "config/h1t-shibuya.toml"
    )
    action.add_argument("--print-acl", nargs="+", metavar="FILE", help="print a Mosquitto ACL for these sites and exit")
    action.add_argument(
        "--release-relays",
        metavar="FILE",
        help="drive every GPIO relay of the site to released and exit (systemd ExecStopPost)",
    )
    action.add_argument(
        "--print-bridge",
        nargs="+",
        metavar="FILE",
        help="print the site broker's bridges to the platform's broker for these sites and exit",
    )
    action.add_argument(
        "--print-cloud-acl",
        nargs="+",
        metavar="FILE",
        help="print the platform broker's ACL (its user, one bridge user per site) and exit",
    )
    parser.add_argument(
        "--monitor-user",
        action="append",
        default=[],
        help="with --print-acl or --print-cloud-acl: also a read-only user for states and events "
        "(a technician's check; repeat for more)",
    )
    parser.add_argument(
        "--home-assistant-user",
        help="with --print-acl: also Home Assistant's user (states, events, discovery, its birth/will)",
    )
    parser.add_argument(
        "--cloud", metavar="HOST[:PORT]", help="with --print-bridge: the platform's broker (port 8883 if not given)"
    )
    parser.add_argument(
        "--cloud-ca", metavar="FILE", help="with --print-bridge: the CA of its certificate (default: the system's CAs)"
    )
    parser.add_argument(
        "--bridge-passwords",
        metavar="DIR",
        help="with --print-bridge: a folder holding each bridge user's password in a file named after it",
    )
    return parser


def cloud_link(address: str | None, ca_file: str | None) -> CloudLink:
    """The platform's broker from --cloud HOST[:PORT] and --cloud-ca."""
    if not address:
        raise ValueError("--print-bridge needs --cloud HOST[:PORT], the platform's broker")
    host, _, port = address.partition(":")
    if port and not port.isdigit():
        raise ValueError(f"--cloud {address}: the port must be a number")
    return CloudLink(host, int(port) if port else 8883, Path(ca_file) if ca_file else None)


def print_bridge(args: argparse.Namespace) -> int:
    """Print the bridge connections of a site broker, one per facility file, with each bridge user's password."""
    if not args.bridge_passwords:
        raise ValueError(
            "--print-bridge needs --bridge-passwords DIR (a file per bridge user, e.g. DIR/bridge-FACILITY)"
        )
    configs = [load_config(path) for path in args.print_bridge]
    link = cloud_link(args.cloud, args.cloud_ca)
    print(bridges_text(configs, link, read_passwords(Path(args.bridge_passwords), configs)), end="")
    return 0


def stop_cause_from_systemd() -> str:
    """Why the service stopped, from what systemd tells ExecStopPost (SERVICE_RESULT, EXIT_CODE, EXIT_STATUS)."""
    result = os.environ.get("SERVICE_RESULT", "")
    if not result:
        return "released by hand (--release-relays)"
    code, status = os.environ.get("EXIT_CODE", "?"), os.environ.get("EXIT_STATUS", "?")
    return f"systemd: service result {result} ({code} {status})"


def release_relays(cfg: FacilityConfig, drivers: Mapping[str, DoorDriver] | None = None) -> int:
    """After lockd died, whatever way: every relay in its released state through its door's driver, each release
    audited with the cause."""
    released = release_doors(cfg.doors, InstalledDrivers(cfg.lockd_settings) if drivers is None else drivers)
    cause = stop_cause_from_systemd()
    now = SystemClock().now().isoformat()
    rows = [AuditRow(now, door.id, "relay_released", cause, detail=f"fail-{door.fail_mode}") for door in released]
    if rows and not append_offline_audit(Path(cfg.lockd_settings.data_dir) / "lockd.db", rows):
        log.error("no lockd store at %s: relay releases not audited", cfg.lockd_settings.data_dir)
    return 0


def run(cfg: FacilityConfig) -> int:
    """Run lockd until SIGTERM or Ctrl-C; relays are released on every way out, each release audited with its cause."""
    daemon = LockDaemon(
        cfg,
        BrokerSettings.from_config(cfg.mqtt, f"lockd-{cfg.facility.id}"),
        PlatformClient(cfg.platform),
        door_factory(InstalledDrivers(cfg.lockd_settings)),
    )
    stop = threading.Event()
    causes: list[str] = []

    def stop_on(signum, frame) -> None:
        causes.append(f"stopped by {signal.Signals(signum).name}")
        stop.set()

    signal.signal(signal.SIGTERM, stop_on)
    signal.signal(signal.SIGINT, stop_on)
    try:
        daemon.start()
        notify("READY=1")
        log.info("lockd running for %s: %d door(s)", cfg.facility.id, len(daemon.doors))
        period = watchdog_period() or 5.0
        while not stop.wait(period):
            if daemon.healthy():
                notify("WATCHDOG=1")
            else:
                log.error("a lockd loop has stopped; withholding the watchdog ping so systemd restarts lockd")
    except BaseException as exc:
        causes.append(f"lockd failed: {type(exc).__name__}: {exc}")
        raise
    finally:
        notify("STOPPING=1")
        daemon.stop(causes[0] if causes else "stopped")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point of officepass-lockd."""
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logsafe.install()  # a member's or platform's text in a message cannot forge a log line
    if args.check_config:
        return check_config(
            args.check_config,
            "officepass-lockd",
            lambda cfg: lockd_needs(cfg) + program_problems(cfg, "lockd", service_user("lockd")),
            migrated=args.migrated,
        )
    try:
        if args.release_relays:
            return release_relays(load_config(args.release_relays))
        if args.print_acl:
            print(
                acl_text(
                    [load_config(path) for path in args.print_acl],
                    monitor_users=tuple(args.monitor_user),
                    home_assistant_user=args.home_assistant_user,
                ),
                end="",
            )
            return 0
        if args.print_bridge:
            return print_bridge(args)
        if args.print_cloud_acl:
            print(
                cloud_acl_text(
                    [load_config(path) for path in args.print_cloud_acl], monitor_users=tuple(args.monitor_user)
                ),
                end="",
            )
            return 0
        cfg = load_config(args.config)
        problems = lockd_needs(cfg) + program_problems(cfg, "lockd", None)  # None: as this process runs
        if problems:
            raise ConfigError(args.config, located(args.config, problems))
        return run(cfg)
    except (FacilityError, ValueError, OSError) as exc:
        print(f"officepass-lockd: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
