"""`officepass-site`: the technician's command on a board: set the site up from its file, then check it."""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

from facility.config import load_config
from facility.errors import ConfigError, FacilityError
from technician.board import Board
from technician.files import Folder, Wanted, apply, describe
from technician.site_setup import MOSQUITTO, SITE_DIR, Missing, SetupPlan, SetupRefused, plan_setup, with_lines

UNITS = {"lockd": "officepass-lockd", "kiosk": "officepass-kiosk"}
EXAMPLE_SITE = "/etc/officepass/site.toml"


def build_parser() -> argparse.ArgumentParser:
    """The command's subcommands, each with an example."""
    parser = argparse.ArgumentParser(prog="officepass-site", description="Set up and check a site's board.")
    sub = parser.add_subparsers(dest="command", required=True)
    setup = sub.add_parser("setup", help="turn the site file into broker users, ACL, TLS, bridge and password files",
                           epilog=f"example: officepass-site setup --config {EXAMPLE_SITE} --start")
    where = setup.add_mutually_exclusive_group(required=True)
    where.add_argument("--config", help="the site's facility file, already in place (e.g. /etc/officepass/site.toml)")
    where.add_argument("--from", dest="from_folder", type=Path, metavar="FOLDER",
                       help="the site folder from the platform's operator (site.toml and the files it names): "
                            "installed into /etc/officepass with their owners and modes")
    setup.add_argument("--root", type=Path, default=Path("/"), help="a folder standing for the board's / (tests, images)")
    setup.add_argument("--tls", choices=["site-ca", "csr"], default="site-ca",
                       help="the broker's certificate from a CA of the site's own (default), or a request for the "
                            "platform's CA")
    setup.add_argument("--broker-name", action="append", default=[], metavar="NAME",
                       help="another name or address clients on the LAN reach the broker by (repeat for more)")
    setup.add_argument("--start", action="store_true", help="then (re)start Mosquitto and enable and start the program")
    doctor = sub.add_parser("doctor", help="check the site: file, clock, secrets, platform, broker, doors, GPIO, camera",
                            epilog=f"example: officepass-site doctor --config {EXAMPLE_SITE}")
    doctor.add_argument("--config", required=True, help="the site's facility file")
    doctor.add_argument("--timeout", type=float, default=5.0, help="seconds to wait for the broker and the doors")
    return parser


def report(plan: SetupPlan, done: list) -> None:
    """What was written or kept, and what the technician must hear."""
    for item, changed in done:
        print(describe(item, changed))
    for note in plan.notes:
        print(f"note: {note}")


def restart_what_changed(plan: SetupPlan, done: list) -> None:
    """Restart Mosquitto if its files changed (or it is down), then enable and (re)start the site's program."""
    broker_changed = any(changed and isinstance(item, Wanted | Folder) and item.path.is_relative_to(MOSQUITTO)
                         for item, changed in done)
    program_changed = any(changed for _, changed in done)
    if broker_changed or not _active("mosquitto"):
        _systemctl("restart", "mosquitto")
    for program in plan.programs:
        _systemctl("enable", UNITS[program])
        if program_changed or not _active(UNITS[program]):
            _systemctl("restart", UNITS[program])


def _active(unit: str) -> bool:
    """True while systemd says the unit runs."""
    return subprocess.run(["systemctl", "is-active", "--quiet", unit], check=False).returncode == 0


def _systemctl(*args: str) -> None:
    """One systemctl call, said as it is made; a failure names the unit's log."""
    print(f"systemctl {' '.join(args)}")
    if subprocess.run(["systemctl", *args], check=False).returncode != 0:
        raise FacilityError(f"systemctl {' '.join(args)} failed: journalctl -u {args[-1]} says why")


def staged_folder(folder: Path) -> dict[Path, Path]:
    """The operator's folder, each file staged for /etc/officepass under its own name; site.toml must be there."""
    if not (folder / "site.toml").is_file():
        raise SetupRefused([Missing("", f"{folder} holds no site.toml: copy the whole site folder from the "
                                        "platform's operator")])
    return {SITE_DIR / path.name: path for path in sorted(folder.iterdir()) if path.is_file()}


def setup(args: argparse.Namespace) -> int:
    """Plan, then write; 0 done, 1 refused (nothing changed), 2 waiting for the platform's CA."""
    if args.start and args.root != Path("/"):
        raise ValueError("--start runs systemctl on this machine: not with --root")
    board = Board(args.root, staged=staged_folder(args.from_folder) if args.from_folder else {})
    site_file = SITE_DIR / "site.toml" if args.from_folder else board.on_board(board.at(Path(args.config)))
    source = board.source(site_file)
    try:
        plan = plan_setup(board, load_config(source), site_file, tls_mode=args.tls, broker_names=args.broker_name)
    except SetupRefused as exc:
        raise SetupRefused(with_lines(source.read_text(encoding="utf-8"), exc.problems)) from None
    done = apply(board, plan.items)
    report(plan, done)
    if plan.awaiting:
        print(f"waiting: {plan.awaiting}")
        return 2
    if args.start:
        restart_what_changed(plan, done)
    else:
        print("next: systemctl restart mosquitto && systemctl enable --now "
              + " ".join(UNITS[program] for program in plan.programs) + " (or run again with --start)")
    return 0


def doctor(args: argparse.Namespace) -> int:
    """Check the site and say what works; 1 when something stops it."""
    from technician.doctor import doctor as check
    found = check(args.config, args.timeout)
    print("\n".join(found.lines))
    print(f"{found.failures} problem(s) found" if found.failures else "all good")
    return 1 if found.failures else 0


def main(argv: list[str] | None = None) -> int:
    """Entry point of officepass-site."""
    args = build_parser().parse_args(argv)
    try:
        return setup(args) if args.command == "setup" else doctor(args)
    except SetupRefused as exc:
        for problem in exc.problems:
            print(f"officepass-site: {problem}", file=sys.stderr)
        print("officepass-site: nothing was changed", file=sys.stderr)
        return 1
    except ConfigError as exc:
        print(f"officepass-site: {exc}", file=sys.stderr)
        return 1
    except (FacilityError, ValueError, OSError) as exc:
        print(f"officepass-site: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
