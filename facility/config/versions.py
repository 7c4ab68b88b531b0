"""Facility file versions: a version 1 file (one kind per file) is read as version 2 (a set of spaces), on load.

Version 1 described one kind of facility with top-level `facility.kind`, `[seats]`, `[companions]` and
`[desk_checks]`; version 2 describes spaces (`[[spaces]]`), each with its own. A version 1 file becomes one space,
`main`, holding what those keys said and every room; karaoke seats become rooms (the guide counts a karaoke
branch's rooms, not its people). The program says so once when it loads such a file, and
`--check-config FILE --migrated` prints the file in the new form. As Frigate migrates its config, the old form
keeps working; the examples are written in the new one.
"""

from __future__ import annotations

import copy
from typing import Any

import tomli_w

CURRENT_VERSION = 2
MAIN_SPACE = "main"
# What a version 1 file kept at the top, and where version 2 keeps it (in the main space).
MOVED_TO_THE_SPACE = {"seats": "capacity", "companions": "companions", "desk_checks": "desk_checks"}
# A problem found in the migrated form, named as the version 1 file's reader wrote it.
V1_PATHS = {f"spaces.0.{new}": old for old, new in MOVED_TO_THE_SPACE.items()} | {
    "spaces.0.kind": "facility.kind",
    "spaces.0.rooms": "rooms",
}


class VersionProblem(ValueError):
    """A file whose version this program does not read, or that mixes the two forms."""


def file_version(raw: dict[str, Any]) -> object:
    """The version a file declares (1 when it declares none: files written before versions)."""
    return raw.get("version", 1)


def upgraded(raw: dict[str, Any]) -> dict[str, Any]:
    """The file in the current form: a version 2 file as it is, a version 1 file as one space; else VersionProblem."""
    version = file_version(raw)
    if isinstance(version, bool) or not isinstance(version, int):  # `true` or `2.0` is not a version
        raise VersionProblem(f"version {version!r} is not a facility file version this program reads (1 or 2)")
    if version == CURRENT_VERSION:
        _refuse_version_1_keys(raw)
        if not raw.get("spaces"):
            raise VersionProblem("a version 2 file describes its spaces: add at least one [[spaces]]")
        return raw
    if version != 1:
        raise VersionProblem(f"version {version!r} is not a facility file version this program reads (1 or 2)")
    if "spaces" in raw:
        raise VersionProblem("[[spaces]] needs version = 2 at the top of the file")
    return _one_space(raw)


def _refuse_version_1_keys(raw: dict[str, Any]) -> None:
    """A version 2 file keeps kind, seats, companions and desk checks in its spaces: one home each."""
    kind = isinstance(raw.get("facility"), dict) and "kind" in raw["facility"]
    stray = [f"[{key}]" for key in MOVED_TO_THE_SPACE if key in raw] + (["facility.kind"] if kind else [])
    if stray:
        raise VersionProblem(f"a version 2 file keeps {', '.join(stray)} in its [[spaces]], not at the top")


def _one_space(raw: dict[str, Any]) -> dict[str, Any]:
    """A version 1 file as version 2: one space holding its kind, seats, companions, desk checks and rooms."""
    new = copy.deepcopy({key: value for key, value in raw.items() if key not in (*MOVED_TO_THE_SPACE, "version")})
    facility: dict[str, Any] = new["facility"] if isinstance(new.get("facility"), dict) else {}
    kind = facility.pop("kind", None)
    rooms = [room.get("id") for room in raw.get("rooms", []) if isinstance(room, dict)]
    space: dict[str, Any] = {"id": MAIN_SPACE, "name": str(facility.get("name", MAIN_SPACE))[:60] or MAIN_SPACE}
    space |= {"kind": kind, "rooms": rooms}
    for old, key in MOVED_TO_THE_SPACE.items():
        if old in raw:
            space[key] = copy.deepcopy(raw[old])
    if kind == "karaoke" and isinstance(space.get("capacity"), dict):
        space["capacity"].setdefault("unit", "rooms")  # the guide counts karaoke rooms, not people
    return {**new, "version": CURRENT_VERSION, "spaces": [space]}  # a file's own `version = 1` is replaced


def notice(raw: dict[str, Any]) -> str:
    """What a program says once on loading an older file ("" for a current one)."""
    if file_version(raw) == CURRENT_VERSION:
        return ""
    return (
        "this is a version 1 facility file: it is read as version 2, one space 'main' holding its kind, seats, "
        "companions, desk checks and rooms (`--check-config FILE --migrated` prints it in the new form)"
    )


def in_current_form(raw: dict[str, Any]) -> str:
    """The file as TOML in the current form (comments are not carried over: compare before replacing the file)."""
    return tomli_w.dumps(upgraded(raw))


def as_written(path: str, version: object) -> str:
    """A problem's path as the file's own version names it (a version 1 file never said `spaces.0`)."""
    if version == CURRENT_VERSION:
        return path
    for new, old in V1_PATHS.items():
        if path == new or path.startswith(new + "."):
            return old + path[len(new) :]
    return path
