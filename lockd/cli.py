"""`officepass-lockd`: the door controller's command line."""

from __future__ import annotations

import argparse
import sys

from facility.config.check import check_config, program_parser
from facility.config.schema import FacilityConfig
from facility.errors import ConfigProblem


def lockd_needs(cfg: FacilityConfig) -> list[ConfigProblem]:
    """What a facility file must hold for lockd to run it."""
    problems = []
    if not cfg.doors:
        problems.append(ConfigProblem("doors", "lockd controls doors: add at least one [[doors]] entry"))
    if cfg.mqtt is None:
        problems.append(ConfigProblem("mqtt", "lockd receives unlock commands over MQTT: add [mqtt]"))
    if cfg.lockd is None:
        problems.append(ConfigProblem("lockd", "lockd needs a [lockd] table (data_dir, sync_interval_seconds, ...)"))
    return problems


def build_parser() -> argparse.ArgumentParser:
    """The program's arguments."""
    return program_parser("officepass-lockd", "Door lock daemon of a coworking-pass booking facility.", "config/h1t-shibuya.toml")


def main(argv: list[str] | None = None) -> int:
    """Entry point of officepass-lockd."""
    args = build_parser().parse_args(argv)
    if args.check_config:
        return check_config(args.check_config, "officepass-lockd", lockd_needs)
    print("officepass-lockd: the daemon is not built yet (see the lockd issue); "
          "use --check-config to validate a file", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
