"""`officepass-sim`: the technician's simulator. Every subcommand has --help with an example."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from facility.models import Plan
from facility.packaged import SEED
from kiosk import KIOSK_EXTRA, kiosk_libraries_installed
from simulator import commands
from simulator.phone import DEFAULT_PLATFORM


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
    parser.add_argument("--topic-prefix", default="officepass", help="root of the topic tree (default officepass)")


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
        "officepass-sim reserve --member 1003 --facility h1t-shibuya --room booth-b --start +30m --minutes 60",
    )
    p.add_argument("--member", type=int, required=True)
    p.add_argument("--facility", required=True)
    p.add_argument("--room", required=True)
    p.add_argument("--start", required=True, help="ISO 8601 time (Tokyo if no offset) or +30m / +2h from now")
    p.add_argument("--minutes", type=int, default=60)
    p.add_argument("--guests", type=int, default=0)
    p = _add(sub, "cancel", "cancel a member's booking", "officepass-sim cancel --member 1003 --reservation 5003")
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
        sub, "bench", "run a benchmark and print its figures as JSON", "officepass-sim bench unlock --commands 1000"
    )
    p.add_argument(
        "which",
        choices=["decode", "scan", "unlock", "rush", "history", "soak", "fleet"],
        help="decode: decoders on simulated frames (or --images); scan: the kiosk's camera to verdict; "
        "unlock: platform publish to relay next to raw MQTT; rush: 300 members at a kiosk and 50 booths; "
        "history: a year of history against empty stores; soak: a simulated month, memory and files; "
        "fleet: N sites bridged to one cloud broker under busy-hour unlocks",
    )
    p.add_argument("--days", type=int, default=None, help="history: days of history (365); soak: days simulated (30)")
    p.add_argument("--images", type=Path, help="decode: a folder of photographs to decode instead")
    p.add_argument("--burst", action="store_true", help="unlock: every door at once, round after round")
    p.add_argument("--commands", type=int, default=1000, help="how many commands (default 1000)")
    p.add_argument("--doors", type=int, default=1, help="unlock: doors under the one lockd (default 1)")
    p.add_argument(
        "--junk",
        type=int,
        default=0,
        help="unlock: floods of N junk messages on the first door's topic while genuine commands go to it "
        "and the others, one at a time (e.g. --junk 1500 --commands 200 --doors 10)",
    )
    p.add_argument("--width", type=int, default=1280, help="scan: camera width (default 1280)")
    p.add_argument("--height", type=int, default=720, help="scan: camera height (default 720)")
    _fleet_options(p)
    p = _add(
        sub,
        "demo",
        "run a whole simulated site with scripted members, then print a summary",
        "officepass-sim demo --headless --json",
    )
    p.add_argument("--headless", action="store_true", help="no kiosk window (also when there is no display)")
    p.add_argument("--json", action="store_true", help="print only the summary, as JSON (the narration goes to stderr)")
    return parser


def _fleet_options(p: argparse.ArgumentParser) -> None:
    """bench fleet's options."""
    p.add_argument(
        "--sites",
        type=int,
        nargs="+",
        default=[100],
        metavar="N",
        help="fleet: sites bridged to the cloud broker (default 100); several sizes run in turn, with growth",
    )
    p.add_argument("--doors-per-site", type=int, default=4, help="fleet: booth doors per site (default 4)")
    p.add_argument("--seconds", type=float, default=60.0, help="fleet: seconds of traffic measured (default 60)")
    p.add_argument(
        "--rate",
        type=float,
        default=None,
        help="fleet: commands per second (default: a busy hour, 6 unlocks per door per hour)",
    )
    p.add_argument(
        "--site-brokers", type=int, default=4, help="fleet: site Mosquitto processes carrying the bridges (4)"
    )
    p.add_argument("--lockd-sites", type=int, default=3, help="fleet: sites served by real lockd processes (3)")
    p.add_argument(
        "--rotate",
        action="store_true",
        help="fleet: then rotate the platform's signing key across every site under the same traffic",
    )


def run_bench(args: argparse.Namespace) -> dict:
    """The chosen benchmark's report."""
    if args.which == "fleet":
        from simulator.bench_fleet import bench_fleets

        return bench_fleets(
            args.sites,
            doors_per_site=args.doors_per_site,
            seconds=args.seconds,
            rate=args.rate,
            site_brokers=args.site_brokers,
            lockd_sites=args.lockd_sites,
            rotate_keys=args.rotate,
        )
    if args.which == "decode":
        from simulator.bench_decode import bench_decode_folder, bench_decode_simulated

        return bench_decode_folder(args.images) if args.images else bench_decode_simulated()
    if args.which == "rush":
        from simulator.bench_rush import bench_rush

        return bench_rush()
    if args.which == "history":
        from simulator.bench_history import bench_history

        return bench_history(days=args.days or 365)
    if args.which == "soak":
        from simulator.bench_soak import bench_soak

        return bench_soak(days=args.days or 30)
    from simulator.bench import bench_scan, bench_unlock

    if args.which == "unlock" and args.junk:
        from simulator.bench_flood import bench_flood

        return bench_flood(args.junk, args.commands, args.doors)
    if args.which == "unlock":
        return bench_unlock(args.commands, args.doors, burst=args.burst)
    return bench_scan(args.width, args.height)


COMMANDS = {
    "platform": commands.run_platform,
    "member": commands.add_member,
    "reserve": commands.reserve,
    "cancel": commands.cancel,
    "pass": commands.show_pass,
    "scan-desk": commands.scan_desk,
    "unlock": commands.unlock,
    "watch-door": commands.watch_door,
}


def main(argv: list[str] | None = None) -> int:
    """Entry point of officepass-sim."""
    args = build_parser().parse_args(argv)
    if args.command in ("demo", "panel", "bench") and not kiosk_libraries_installed():
        print(f"officepass-sim {args.command} needs the kiosk's libraries: {KIOSK_EXTRA}", file=sys.stderr)
        return 1
    if args.command == "demo":
        from simulator.demo import run_demo

        return run_demo(args.headless, args.json)
    if args.command == "panel":
        from simulator.panel import run_panel

        return run_panel(args.headless)
    if args.command == "bench":
        print(json.dumps(run_bench(args), ensure_ascii=False))
        return 0
    return commands.guarded(lambda: COMMANDS[args.command](args))


if __name__ == "__main__":
    sys.exit(main())
