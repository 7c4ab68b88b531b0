"""`officepass-sim`: the technician's simulator. Every subcommand has --help with an example."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from facility import logsafe
from facility.models import Plan
from facility.packaged import SEED
from facility.topics import DEFAULT_PREFIX
from kiosk import KIOSK_EXTRA, kiosk_libraries_installed
from simulator.phone import DEFAULT_PLATFORM
from technician import sim_commands


def _add(commands_: argparse._SubParsersAction, name: str, summary: str, example: str) -> argparse.ArgumentParser:
    """A subcommand with its one-line summary and an example in its --help."""
    return commands_.add_parser(
        name,
        help=summary,
        description=summary,
        epilog=f"example: {example}",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )


def _broker_options(parser: argparse.ArgumentParser) -> None:
    """Where the site's broker is."""
    parser.add_argument("--broker-host", default="127.0.0.1", help="MQTT broker host (default 127.0.0.1)")
    parser.add_argument("--broker-port", type=int, help="MQTT broker port")
    parser.add_argument("--broker-user", help="broker user name")
    parser.add_argument("--broker-password-file", help="file holding the broker password")
    parser.add_argument("--broker-ca", metavar="FILE", help="speak TLS to the broker, verifying it against this CA")
    parser.add_argument(
        "--topic-prefix", default=DEFAULT_PREFIX, help=f"root of the topic tree (default {DEFAULT_PREFIX})"
    )


def _member_commands(sub: argparse._SubParsersAction) -> None:
    """Subcommands a member's phone performs."""
    p = _add(
        sub, "member", "register a member on the platform", 'officepass-sim member --name "山田 太郎" --plan corporate'
    )
    p.add_argument("--name", required=True)
    p.add_argument("--plan", required=True, choices=[plan.value for plan in Plan])
    p = _add(
        sub,
        "reserve",
        "book a room for a member",
        "officepass-sim reserve --member 1003 --facility h1t-shibuya --room booth-b --start +3h --minutes 60",
    )
    p.add_argument("--member", type=int, required=True)
    p.add_argument("--facility", required=True)
    p.add_argument("--room", required=True)
    p.add_argument("--start", required=True, help="ISO 8601 time (Tokyo if no offset) or +30m / +2h from now")
    p.add_argument("--minutes", type=int, default=60)
    p.add_argument("--guests", type=int, default=0)
    p = _add(sub, "cancel", "cancel a member's booking", "officepass-sim cancel --member 1003 --reservation 5004")
    p.add_argument("--member", type=int, required=True)
    p.add_argument("--reservation", type=int, required=True)
    p = _add(
        sub,
        "pass",
        "save a member's phone screen showing a fresh pass as a PNG",
        "officepass-sim pass --member 1001 --facility kaikatsu-ikebukuro --out pass.png",
    )
    p.add_argument("--member", type=int, required=True)
    p.add_argument("--facility", help="bind the pass to this facility (as after scanning its desk code)")
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--width", type=int, default=540, help="phone width in pixels")
    p.add_argument("--dark", action="store_true", help="dark mode: a light code on a dark screen")
    p = _add(
        sub,
        "scan-desk",
        "read a front-desk code from a photo and check in with it, as the app does",
        "officepass-sim scan-desk --member 1001 --image desk.png",
    )
    p.add_argument("--member", type=int, required=True)
    p.add_argument("--image", type=Path, required=True)
    p.add_argument("--decoder", default="zxing", choices=["zxing", "pyzbar"])
    p = _add(
        sub,
        "unlock",
        "press 'unlock' (開錠) for a member at a door",
        "officepass-sim unlock --member 1003 --facility h1t-shibuya --door booth-a",
    )
    p.add_argument("--member", type=int, required=True)
    p.add_argument("--facility", required=True)
    p.add_argument("--door", required=True)


def build_parser() -> argparse.ArgumentParser:
    """The simulator's subcommands."""
    parser = argparse.ArgumentParser(prog="officepass-sim", description="Simulator of a coworking-pass facility.")
    parser.add_argument("--platform", default=DEFAULT_PLATFORM, help=f"platform API URL (default {DEFAULT_PLATFORM})")
    sub = parser.add_subparsers(dest="command", required=True)
    p = _add(
        sub,
        "platform",
        "run the stand-in platform (HTTP API, and MQTT when a broker is given)",
        "officepass-sim platform --port 8710 --broker-port 1883 "
        "--broker-user platform --broker-password-file platform.pass",
    )
    p.add_argument("--seed", type=Path, default=SEED, help="the platform's starting data (default: the shipped seed)")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8710)
    _broker_options(p)
    _member_commands(sub)
    p = _add(
        sub,
        "watch-door",
        "print a door's state, events and answers as they arrive",
        "officepass-sim watch-door --facility h1t-shibuya --door booth-a --broker-port 1883 --broker-user watcher "
        "--broker-password-file watcher.pass",
    )
    p.add_argument("--facility", required=True)
    p.add_argument("--door", required=True)
    p.add_argument("--count", type=int, help="exit after this many messages (exit 1 if they do not come)")
    p.add_argument("--timeout", type=float, default=10.0, help="seconds to wait for the broker and for each message")
    _broker_options(p)
    p = _add(
        sub,
        "panel",
        "open the control panel on a simulated site: ports, doors, kiosk, alarms, faults",
        "officepass-sim panel",
    )
    p.add_argument("--headless", action="store_true", help="no windows (for scripts)")
    p = _add(
        sub,
        "demo",
        "run a whole simulated site with scripted members, then print a summary",
        "officepass-sim demo --headless --json",
    )
    p.add_argument("--headless", action="store_true", help="no kiosk window (also when there is no display)")
    p.add_argument("--json", action="store_true", help="print only the summary, as JSON (the narration goes to stderr)")
    return parser


COMMANDS = {
    "platform": sim_commands.run_platform,
    "member": sim_commands.add_member,
    "reserve": sim_commands.reserve,
    "cancel": sim_commands.cancel,
    "pass": sim_commands.show_pass,
    "scan-desk": sim_commands.scan_desk,
    "unlock": sim_commands.unlock,
    "watch-door": sim_commands.watch_door,
}


def main(argv: list[str] | None = None) -> int:
    """Entry point of officepass-sim."""
    args = build_parser().parse_args(argv)
    logsafe.install()  # the demo's and panel's kiosk and lockd log to stderr (last resort): no forged lines
    if args.command in ("demo", "panel") and not kiosk_libraries_installed():
        print(f"officepass-sim {args.command} needs the kiosk's libraries: {KIOSK_EXTRA}", file=sys.stderr)
        return 1
    if args.command == "demo":
        from simulator.demo import run_demo

        return run_demo(args.headless, args.json)
    if args.command == "panel":
        from technician.panel import run_panel

        return run_panel(args.headless)
    return sim_commands.guarded(lambda: COMMANDS[args.command](args))


if __name__ == "__main__":
    sys.exit(main())
