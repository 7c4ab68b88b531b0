"""Read a facility file: TOML syntax, then the schema, reporting every problem with path and line."""

from __future__ import annotations

import logging
import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from facility.config.locate import key_lines, line_of
from facility.config.schema import CrossFieldProblems, FacilityConfig
from facility.config.versions import CURRENT_VERSION, as_written, file_version, notice
from facility.errors import ConfigError, ConfigProblem

_TOML_POSITION = re.compile(r"\(at line (\d+), column \d+\)")
MAX_FILE_BYTES = 1 << 20
log = logging.getLogger(__name__)
_NOTICED: set[str] = set()


def load_config(path: str | Path) -> FacilityConfig:
    """Load and validate a facility file; raises ConfigError listing every problem."""
    source = str(path)
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise ConfigError(source, [ConfigProblem("", f"cannot read the file: {exc.strerror or exc}")]) from None
    if len(data) > MAX_FILE_BYTES:
        raise ConfigError(source, [ConfigProblem("", f"file is {len(data)} bytes; at most {MAX_FILE_BYTES}")])
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(source, [ConfigProblem("", f"not UTF-8 text (byte {exc.start})")]) from None
    return parse_config(text, source, Path(path).resolve().parent)


def parse_config(text: str, source: str = "<string>", base_dir: Path | None = None) -> FacilityConfig:
    """Validate a facility file's text (relative paths from base_dir); raises ConfigError listing every problem."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(source, [_syntax_problem(exc)]) from None
    _say_once(source, notice(raw))
    try:
        return FacilityConfig.model_validate(raw, context={"base_dir": base_dir})
    except ValidationError as exc:
        problems = _schema_problems(exc, key_lines(text), file_version(raw))
        raise ConfigError(source, problems) from None


def _say_once(source: str, words: str) -> None:
    """Log a notice about a file once per process (programs load their file more than once)."""
    if words and source not in _NOTICED:
        _NOTICED.add(source)
        log.warning("%s: %s", source, words)


def _syntax_problem(exc: tomllib.TOMLDecodeError) -> ConfigProblem:
    """A TOML syntax error, with the line tomllib names."""
    message = str(exc)
    position = _TOML_POSITION.search(message)
    detail = _TOML_POSITION.sub("", message).strip()
    return ConfigProblem("", f"TOML syntax: {detail}", int(position[1]) if position else None)


def _schema_problems(exc: ValidationError, lines: dict, version: object) -> list[ConfigProblem]:
    """One problem per validation error, the cross-field ones expanded to their own paths, each path as the file's
    own version names it."""
    problems: list[ConfigProblem] = []
    for error in exc.errors(include_url=False):
        cause = (error.get("ctx") or {}).get("error")
        if isinstance(cause, CrossFieldProblems):
            problems += [_located(p.path, p.message, lines, version) for p in cause.problems]
        else:
            problems.append(_located(error["loc"], _message(error), lines, version))
    return problems


def _message(error: Mapping[str, Any]) -> str:
    """Pydantic's message, naming the value that was refused."""
    message = error["msg"].removeprefix("Value error, ")
    if error["type"] in ("missing", "extra_forbidden"):
        return "required key is missing" if error["type"] == "missing" else "unknown key (not part of the format)"
    value = error.get("input")
    return f"{message} (got {value!r})" if isinstance(value, (str, int, float)) else message


def _located(path: str | tuple, message: str, lines: dict, version: object = CURRENT_VERSION) -> ConfigProblem:
    """A problem with its dotted path (as the file's version names it) and the line it stands on."""
    parts = tuple(
        int(p) if isinstance(p, str) and p.isdigit() else p
        for p in (path.split(".") if isinstance(path, str) else path)
    )
    parts = tuple(p for p in parts if not (isinstance(p, str) and ("[" in p or p.startswith("function-"))))
    written = as_written(".".join(str(p) for p in parts), version)
    located = tuple(int(p) if p.isdigit() else p for p in written.split(".")) if written else ()
    return ConfigProblem(written, message, line_of(lines, located))
