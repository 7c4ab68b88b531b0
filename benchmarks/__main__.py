"""`python -m benchmarks WHICH`: run a benchmark and print its figures as JSON (docs/benchmarks.md).

The benchmarks are not tests and not part of the product: they live in the repository only (the wheel leaves them
out) and drive the programs and the simulator's stand-ins from outside.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from kiosk import KIOSK_EXTRA, kiosk_libraries_installed


def build_parser() -> argparse.ArgumentParser:
    """The benchmarks and their options."""
    p = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description="Run a benchmark and print its figures as JSON.",
        epilog="example: python -m benchmarks unlock --commands 1000",
    )
    p.add_argument(
        "which",
        choices=["decode", "scan", "unlock", "rush", "history", "soak", "fleet", "reader"],
        help="decode: decoders on simulated frames (or --images); scan: the kiosk's camera to verdict; "
        "unlock: platform publish to relay next to raw MQTT; rush: 300 members at a kiosk and 50 booths; "
        "history: a year of history against empty stores; soak: a simulated month, memory and files; "
        "fleet: N sites bridged to one cloud broker under busy-hour unlocks; "
        "reader: a pass shown at a door's camera and OSDP reader to the relay, the cloud cut",
    )
    p.add_argument("--days", type=int, default=None, help="history: days of history (365); soak: days simulated (30)")
    p.add_argument("--images", type=Path, help="decode: a folder of photographs to decode instead")
    p.add_argument("--burst", action="store_true", help="unlock: every door at once, round after round")
    p.add_argument("--commands", type=int, default=1000, help="how many commands (default 1000)")
    p.add_argument("--shows", type=int, default=50, help="reader: passes shown at each reader (default 50)")
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
    return p


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
    p.add_argument(
        "--bridge",
        nargs="+",
        default=["shipped"],
        choices=["shipped", "nagled", "nodelay-shim"],
        help="fleet: the site bridges as shipped (commands in at QoS 0), as they were (nagled: QoS 1, each "
        "answer held by Nagle's algorithm) or as they were with TCP_NODELAY forced by a preloaded shim; "
        "several run side by side",
    )


def run_bench(args: argparse.Namespace) -> dict:
    """The chosen benchmark's report."""
    if args.which == "fleet":
        from benchmarks.fleet import bench_fleets

        return bench_fleets(
            args.sites,
            doors_per_site=args.doors_per_site,
            seconds=args.seconds,
            rate=args.rate,
            site_brokers=args.site_brokers,
            lockd_sites=args.lockd_sites,
            rotate_keys=args.rotate,
            bridges=tuple(args.bridge),
        )
    if args.which == "reader":
        from benchmarks.reader import bench_reader

        return bench_reader(args.shows)
    if args.which == "decode":
        from benchmarks.decode import bench_decode_folder, bench_decode_simulated

        return bench_decode_folder(args.images) if args.images else bench_decode_simulated()
    if args.which == "rush":
        from benchmarks.rush import bench_rush

        return bench_rush()
    if args.which == "history":
        from benchmarks.history import bench_history

        return bench_history(days=args.days or 365)
    if args.which == "soak":
        from benchmarks.soak import bench_soak

        return bench_soak(days=args.days or 30)
    from benchmarks.unlock import bench_scan, bench_unlock

    if args.which == "unlock" and args.junk:
        from benchmarks.flood import bench_flood

        return bench_flood(args.junk, args.commands, args.doors)
    if args.which == "unlock":
        return bench_unlock(args.commands, args.doors, burst=args.burst)
    return bench_scan(args.width, args.height)


def main(argv: list[str] | None = None) -> int:
    """Run the chosen benchmark and print its report."""
    args = build_parser().parse_args(argv)
    if not kiosk_libraries_installed():
        print(f"the benchmarks need the kiosk's libraries: {KIOSK_EXTRA}", file=sys.stderr)
        return 1
    report = run_bench(args)
    print(json.dumps(report, ensure_ascii=False))
    if "failed" in report:  # a fleet that could not run: the last line says why, and the exit status
        print(f"{args.which}: {report['failed']}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
