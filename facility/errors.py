"""The project's exceptions; each says what was wrong with which value."""

from __future__ import annotations

from dataclasses import dataclass


class FacilityError(Exception):
    """Base of every error this project raises on purpose."""


@dataclass(frozen=True)
class ConfigProblem:
    """One thing wrong in a configuration file: where, and what."""

    path: str
    message: str
    line: int | None = None

    def __str__(self) -> str:
        where = f"line {self.line}: " if self.line else ""
        return f"{where}{self.path or '(file)'}: {self.message}"


class ConfigError(FacilityError):
    """A configuration file could not be read or is not valid; lists every problem."""

    def __init__(self, source: str, problems: list[ConfigProblem]) -> None:
        self.source = source
        self.problems = problems
        lines = "\n".join(f"  {p}" for p in problems)
        super().__init__(f"{source}: {len(problems)} problem(s)\n{lines}")


class KeyFileError(FacilityError):
    """A signing or public key could not be read."""
