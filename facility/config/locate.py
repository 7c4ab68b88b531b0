"""Find the line of a key path in a TOML file, so validation errors can point at it.

tomllib keeps no positions, so this reads the file's headers and key lines: enough
to name the line of every key a technician writes, including tables in arrays.
"""

from __future__ import annotations

import re

_HEADER = re.compile(r"^\s*(\[\[?)\s*([^\[\]]+?)\s*\]\]?\s*(?:#.*)?$")
_KEY = re.compile(r"""^\s*((?:[A-Za-z0-9_-]+|"[^"]*"|'[^']*')(?:\s*\.\s*(?:[A-Za-z0-9_-]+|"[^"]*"|'[^']*'))*)\s*=""")

Path = tuple[str | int, ...]


def _dotted(text: str) -> tuple[str, ...]:
    """Split a dotted TOML key into its parts, unquoting quoted parts."""
    parts = re.findall(r"""[A-Za-z0-9_-]+|"[^"]*"|'[^']*'""", text)
    return tuple(p.strip("\"'") for p in parts)


class _Tables:
    """Tracks the current table while the file is read, indexing arrays of tables."""

    def __init__(self) -> None:
        self.counts: dict[Path, int] = {}
        self.current: Path = ()

    def resolve(self, names: tuple[str, ...]) -> Path:
        """A header path with the index of the latest element of every array it passes through."""
        path: Path = ()
        for name in names:
            path += (name,)
            if path in self.counts:
                path += (self.counts[path],)
        return path

    def enter(self, names: tuple[str, ...], is_array: bool) -> list[Path]:
        """Move to the table a header names; an array header adds one element. Returns the paths it starts."""
        if is_array:
            base = (*self.resolve(names[:-1]), names[-1])
            self.counts[base] = self.counts.get(base, -1) + 1
            self.current = (*base, self.counts[base])
            return [base, self.current]
        self.current = self.resolve(names)
        return [self.current]


def key_lines(text: str) -> dict[Path, int]:
    """Map each table and key path written in the file to its 1-based line."""
    tables = _Tables()
    lines: dict[Path, int] = {}
    in_multiline_string = False
    for number, raw in enumerate(text.splitlines(), start=1):
        if raw.count('"""') % 2 or raw.count("'''") % 2:
            in_multiline_string = not in_multiline_string
            continue
        if in_multiline_string:
            continue
        if header := _HEADER.match(raw):
            for path in tables.enter(_dotted(header[2]), header[1] == "[["):
                lines.setdefault(path, number)
        elif key := _KEY.match(raw):
            lines.setdefault(tables.current + _dotted(key[1]), number)
    return lines


def line_of(lines: dict[Path, int], path: Path) -> int | None:
    """The line of the longest written prefix of path (a missing key points at its table)."""
    for end in range(len(path), 0, -1):
        if path[:end] in lines:
            return lines[path[:end]]
    return None
