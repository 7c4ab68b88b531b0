"""`--check-config`: validate a facility file for one program and say what is wrong, line by line."""

from __future__ import annotations

import argparse
import sys
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

from facility.config.loader import load_config
from facility.config.locate import key_lines, line_of
from facility.config.schema import FacilityConfig
from facility.config.versions import CURRENT_VERSION, in_current_form, notice
from facility.errors import ConfigError, ConfigProblem

ProgramNeeds = Callable[[FacilityConfig], list[ConfigProblem]]


def check_config(
    path: str | Path, program: str, needs: ProgramNeeds, out: TextIO | None = None, migrated: bool = False
) -> int:
    """Print every problem of the file for this program; 0 when it is good, 1 when it is not. A version 1 file is
    said to be one; with `migrated`, the file is printed in the current form after the verdict."""
    out = out or sys.stdout
    try:
        cfg = load_config(path)
        problems = needs(cfg)
        if problems:
            raise ConfigError(str(path), located(path, problems))
    except ConfigError as exc:
        print(f"{exc.source}: INVALID for {program}: {len(exc.problems)} problem(s)", file=out)
        for problem in exc.problems:
            print(f"  {problem}", file=out)
        return 1
    said = sys.stderr if migrated else out  # with --migrated, standard output is the new file and nothing else
    print(f"{path}: OK for {program}: {summary(cfg)}", file=said)
    raw = tomllib.loads(Path(path).read_text(encoding="utf-8"))  # it loaded above: it reads
    if notice(raw):
        print(f"{path}: note: version 1 file; it is read as version {CURRENT_VERSION}", file=said)
    if migrated:  # ready to redirect into the new file: `--check-config old.toml --migrated > new.toml`
        print(f"# {Path(path).name} in the form of facility file version {CURRENT_VERSION}", file=out)
        print(in_current_form(raw), file=out, end="")
    return 0


def located(path: str | Path, problems: list[ConfigProblem]) -> list[ConfigProblem]:
    """The problems with the line of the key each names, read from the file (those that have one keep it)."""
    try:
        lines = key_lines(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError):
        return problems
    return [
        problem
        if problem.line or not problem.path
        else ConfigProblem(problem.path, problem.message, line_of(lines, tuple(problem.path.split("."))))
        for problem in problems
    ]


def summary(cfg: FacilityConfig) -> str:
    """One line describing a valid facility file."""
    spaces = ", ".join(f"{space.id}: {space.kind.value}" for space in cfg.spaces)
    parts = [f"{cfg.facility.id} ({spaces})"]
    for space in cfg.spaces:
        if space.capacity:
            parts.append(f"{space.capacity.total} {space.capacity.unit} in {space.id}")
    if cfg.doors:
        parts.append(f"{len(cfg.doors)} door(s)")
    parts.append(f"{len(cfg.tokens.trusted_keys)} trusted key(s)")
    if cfg.tokens.root_keys:
        parts.append(f"{len(cfg.tokens.root_keys)} root key(s)")
    return ", ".join(parts)


def program_parser(prog: str, description: str, example_file: str):
    """The arguments kiosk and lockd share: --config FILE to run, --check-config FILE to validate.

    Returns the parser and its group of mutually exclusive actions, for the program to add its own.
    """
    parser = argparse.ArgumentParser(
        prog=prog, description=description, epilog=f"example: {prog} --check-config {example_file}"
    )
    action = parser.add_mutually_exclusive_group(required=True)
    action.add_argument("--check-config", metavar="FILE", help="validate a facility file and exit (0 good, 1 bad)")
    action.add_argument("--config", metavar="FILE", help="run for the facility this file describes")
    parser.add_argument(
        "--migrated",
        action="store_true",
        help="with --check-config: also print the file in the current format (a version 1 file as version 2)",
    )
    return parser, action
