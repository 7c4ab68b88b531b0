"""`officepass-site`: the technician's command on a board: set the site up from its file, then check it."""

from __future__ import annotations

import argparse
import hashlib
import subprocess
import sys
from pathlib import Path

from facility import logsafe
from facility.config import parse_config
from facility.errors import ConfigError, FacilityError
from technician.board import Board, unit_active
from technician.files import Wanted, apply, describe
from technician.site_checks import SITE_DIR, SITE_FILE, Missing, SetupRefused, with_lines
from technician.site_setup import SetupPlan, plan_setup

UNITS = {"lockd": "officepass-lockd", "kiosk": "officepass-kiosk"}
EXAMPLE_SITE = "/etc/officepass/site.toml"


def build_parser() -> argparse.ArgumentParser:
    """The command's subcommands, each with an example."""
    parser = argparse.ArgumentParser(prog="officepass-site", description="Set up and check a site's board.")
    sub = parser.add_subparsers(dest="command", required=True)
    setup = sub.add_parser(
        "setup",
        help="turn the site file into broker users, ACL, TLS, bridge and password files",
        epilog=f"example: officepass-site setup --config {EXAMPLE_SITE} --start",
    )
    where = setup.add_mutually_exclusive_group(required=True)
    where.add_argument("--config", help="the site's facility file, already in place (e.g. /etc/officepass/site.toml)")
    where.add_argument(
        "--from",
        dest="from_folder",
        type=Path,
        metavar="FOLDER",
        help="the site folder from the platform's operator (site.toml and the files it names): "
        "installed into /etc/officepass with their owners and modes",
    )
    setup.add_argument(
        "--root", type=Path, default=Path("/"), help="a folder standing for the board's / (tests, images)"
    )
    setup.add_argument(
        "--tls",
        choices=["site-ca", "csr"],
        help="the broker's certificate from a CA of the site's own, or a request for the platform's "
        "CA (default: as this board's last run; site-ca the first time)",
    )
    setup.add_argument(
        "--broker-name",
        action="append",
        default=[],
        metavar="NAME",
        help="another name or address clients on the LAN reach the broker by (repeat for more)",
    )
    setup.add_argument("--start", action="store_true", help="then (re)start Mosquitto and enable and start the program")
    doctor = sub.add_parser(
        "doctor",
        help="check the site: file, clock, secrets, platform, broker, doors, GPIO, camera",
        epilog=f"example: officepass-site doctor --config {EXAMPLE_SITE}",
    )
    doctor.add_argument("--config", required=True, help="the site's facility file")
    doctor.add_argument("--timeout", type=float, default=5.0, help="seconds to wait for the broker and the doors")
    return parser


def report(plan: SetupPlan, done: list) -> None:
    """What was written or kept, and what the technician must hear."""
    for item, changed in done:
        if (line := describe(item, changed)) is not None:
            print(line)
    for note in plan.notes:
        print(f"note: {note}")


def restart_what_changed(plan: SetupPlan, board: Board) -> None:
    """Restart Mosquitto and the program where what they read changed since setup last started them (or they are
    down), and enable the program; each noted once it runs on what this run wrote."""
    for name, inputs in plan.inputs.items():
        unit = UNITS.get(name, name)
        if name in UNITS:
            _systemctl("enable", unit)
        if stale(board, name, inputs) or not unit_active(unit):
            _systemctl("restart", unit)
        mark_applied(board, name, inputs)


def say_what_to_restart(plan: SetupPlan, board: Board) -> None:
    """Without --start: which units run on older files than these, and the line that restarts them."""
    behind = [UNITS.get(name, name) for name, inputs in plan.inputs.items() if stale(board, name, inputs)]
    restart = f"systemctl restart {' '.join(behind)} && " if behind else ""
    print(
        f"next: {restart}systemctl enable {' '.join(UNITS[name] for name in plan.programs)} (or run again with --start)"
    )


def fingerprint(board: Board, inputs: list[Path]) -> str:
    """What a unit reads, in one hash: each file's path and content (a missing file counts as such)."""
    digest = hashlib.sha256()
    for path in inputs:
        here = board.at(path)
        digest.update(f"{path}\0".encode() + (here.read_bytes() if here.is_file() else b"\0missing"))
    return digest.hexdigest()


def stale(board: Board, name: str, inputs: list[Path]) -> bool:
    """True when the unit last (re)started by setup ran on other files than these."""
    noted = board.at(SITE_DIR / f".applied-{name}")
    return not noted.is_file() or noted.read_text().strip() != fingerprint(board, inputs)


def mark_applied(board: Board, name: str, inputs: list[Path]) -> None:
    """Note what the unit now runs on (root's only: it names nothing secret, but says when secrets changed)."""
    apply(board, [Wanted(SITE_DIR / f".applied-{name}", f"{fingerprint(board, inputs)}\n".encode(), mode=0o600)])


def _systemctl(*args: str) -> None:
    """One systemctl call, said as it is made; a failure names the unit's log."""
    print(f"systemctl {' '.join(args)}")
    if subprocess.run(["systemctl", *args], check=False).returncode != 0:
        raise FacilityError(f"systemctl {' '.join(args)} failed: journalctl -u {args[-1]} says why")


def staged_folder(folder: Path) -> dict[Path, Path]:
    """The operator's folder, each file staged for /etc/officepass under its own name; site.toml must be there."""
    if not (folder / "site.toml").is_file():
        raise SetupRefused(
            [Missing("", f"{folder} holds no site.toml: copy the whole site folder from the platform's operator")]
        )
    return {SITE_DIR / path.name: path for path in sorted(folder.iterdir()) if path.is_file()}


def setup(args: argparse.Namespace) -> int:
    """Plan, then write; 0 done, 1 refused (nothing changed), 2 waiting for the platform's CA."""
    if args.start and args.root != Path("/"):
        raise ValueError("--start runs systemctl on this machine: not with --root")
    board = Board(args.root, staged=staged_folder(args.from_folder) if args.from_folder else {})
    site_file = SITE_FILE if args.from_folder else board.on_board(board.at(Path(args.config)))
    source = board.source(site_file)
    text = source.read_text(encoding="utf-8")
    # Relative paths in the file are taken from where the units read it, wherever it comes from now.
    cfg = parse_config(text, str(source), SITE_DIR)
    try:
        plan = plan_setup(board, cfg, site_file, tls_mode=args.tls, broker_names=args.broker_name)
    except SetupRefused as exc:
        raise SetupRefused(with_lines(text, exc.problems)) from None
    report(plan, apply(board, plan.items))
    if plan.awaiting:
        print(f"waiting: {plan.awaiting}")
        return 2
    if args.start:
        restart_what_changed(plan, board)
    else:
        say_what_to_restart(plan, board)
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
    logsafe.install()  # what the checks log goes to stderr (logging's last resort): no forged lines
    try:
        return setup(args) if args.command == "setup" else doctor(args)
    except SetupRefused as exc:
        for problem in exc.problems:
            print(f"officepass-site: {problem}", file=sys.stderr)
        print("officepass-site: nothing was changed", file=sys.stderr)
        return 1
    except ConfigError as exc:
        print(f"officepass-site: {exc}", file=sys.stderr)
        if args.command == "setup":
            print("officepass-site: nothing was changed", file=sys.stderr)
        return 1
    except (FacilityError, ValueError, OSError) as exc:
        print(f"officepass-site: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
