"""`officepass-kiosk`: the reception kiosk's command line."""

from __future__ import annotations

import argparse
import sys

from facility.config.check import check_config, program_parser
from facility.config.schema import FacilityConfig
from facility.errors import ConfigProblem


def kiosk_needs(cfg: FacilityConfig) -> list[ConfigProblem]:
    """What a facility file must hold for a kiosk to run it."""
    problems = []
    if not cfg.facility.kind.checks_in_at_reception:
        problems.append(ConfigProblem("facility.kind", f"a {cfg.facility.kind.value} facility has no reception kiosk"))
    if cfg.kiosk is None:
        problems.append(ConfigProblem("kiosk", "the kiosk needs a [kiosk] table (id, decoder, camera, ...)"))
    return problems


def build_parser() -> argparse.ArgumentParser:
    """The program's arguments."""
    return program_parser("officepass-kiosk", "Reception kiosk of a coworking-pass facility.", "config/regus-shinjuku.toml")[0]


def main(argv: list[str] | None = None) -> int:
    """Entry point of officepass-kiosk."""
    args = build_parser().parse_args(argv)
    if args.check_config:
        return check_config(args.check_config, "officepass-kiosk", kiosk_needs)
    print("officepass-kiosk: the kiosk window is not built yet (see the kiosk issue); "
          "use --check-config to validate a file", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
