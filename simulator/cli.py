"""`officepass-sim`: the technician's simulator."""

from __future__ import annotations

import argparse
import json
import sys

from simulator.walkthrough import run_walkthrough


def build_parser() -> argparse.ArgumentParser:
    """The simulator's subcommands."""
    parser = argparse.ArgumentParser(prog="officepass-sim", description="Simulator of a coworking-pass facility.")
    commands = parser.add_subparsers(dest="command", required=True)
    demo = commands.add_parser(
        "demo", help="walk scripted members through the example facilities",
        description="Scripted members show passes at the example facilities; prints each verdict and a summary.",
        epilog="example: officepass-sim demo --json",
    )
    demo.add_argument("--json", action="store_true", help="print only the summary, as JSON")
    return parser


def demo(as_json: bool) -> int:
    """Run the walkthrough and print it."""
    outcome = run_walkthrough()
    summary = {"check_ins_admitted": outcome.admitted, "check_ins_refused": dict(outcome.refused),
               "uses_counted": outcome.uses}
    if as_json:
        print(json.dumps(summary, ensure_ascii=False))
        return 0
    for line in outcome.lines:
        print(line)
    print("summary:", json.dumps(summary, ensure_ascii=False))
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point of officepass-sim."""
    args = build_parser().parse_args(argv)
    if args.command == "demo":
        return demo(args.json)
    return 2


if __name__ == "__main__":
    sys.exit(main())
