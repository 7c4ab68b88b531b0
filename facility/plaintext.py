"""Outside text as it may be shown: one rule for every name, room, facility name or error a screen displays.

Members choose their names, the platform sends names and errors, facility files name rooms: none of it is the
project's own words. Screens show it as plain text (never Qt rich text, kiosk/widgets.py), and first through
`displayed`, which keeps the words and takes out what could break the page or reorder its other words:

- control characters (C0, DEL, C1): a line break or tab (\\n \\r \\t \\v \\f, U+001C-U+001E, NEL, U+2028, U+2029)
  becomes one space, so a name cannot start a line of its own; any other (NUL, ESC...) is dropped;
- the explicit bidi marks (embeddings and overrides U+202A-U+202E, isolates U+2066-U+2069, LRM, RLM, ALM) are
  dropped: a name cannot turn the member number or the reason around it backwards (right-to-left letters stay and
  read as the Unicode bidi algorithm orders them, inside their own run);
- at most `columns` columns (a wide CJK character counts two), cut with '…': a name cannot push a page off the
  screen.

`escaped` (for logs, facility/logsafe.py) writes the same characters as visible escapes instead.
"""

from __future__ import annotations

import re
import unicodedata

NAME_COLUMNS = 32  # a member's name (passes carry at most 30 bytes; staff and the platform may send more)
ROOM_COLUMNS = 48  # a room's name, in one language
TEXT_COLUMNS = 240  # anything else from outside: an error, a path, a facility's name
ELLIPSIS = "…"

BIDI_MARKS = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
LINE_BREAKS = "\t\n\v\f\r\x1c\x1d\x1e\x85\u2028\u2029"
_BREAKS = re.compile(f"[{LINE_BREAKS}]+")


def unsafe(ch: str) -> bool:
    """A character outside text must not bring to a screen or a log line: a control, a line or paragraph separator,
    or a bidi mark."""
    return ch in BIDI_MARKS or ch in "\u2028\u2029" or unicodedata.category(ch) == "Cc"


def columns_of(ch: str) -> int:
    """How many columns a character takes: two for a wide (CJK) one, none for a combining mark."""
    if unicodedata.combining(ch):
        return 0
    return 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1


def _clean(line: str) -> str:
    """A line without breaks, controls or bidi marks (breaks become one space)."""
    line = _BREAKS.sub(" ", line)
    return "".join(ch for ch in line if not unsafe(ch))


def _cut(text: str, columns: int) -> str:
    """At most `columns` columns, the last of them '…' when the text was longer."""
    if sum(columns_of(ch) for ch in text) <= columns:
        return text
    kept, width = [], 0
    for ch in text:
        width += columns_of(ch)
        if width > columns - 1:
            break
        kept.append(ch)
    return "".join(kept).rstrip() + ELLIPSIS


def displayed(text: object, columns: int | None = TEXT_COLUMNS, *, lines: bool = False) -> str:
    """Outside text as a screen may show it: one line (lines=False: a line break becomes a space), without controls
    or bidi marks, at most `columns` columns (None: no limit). With lines=True the text's own line breaks ('\\n')
    stay and each line is cleaned alone: for a label's whole text, composed by the program."""
    if lines:
        return "\n".join(displayed(line, columns) for line in str(text).split("\n"))
    shown = _clean(str(text))
    return _cut(shown, columns) if columns is not None else shown


def escaped(text: str) -> str:
    """The text on one line, each control character, separator or bidi mark written as a visible escape (\\n, \\x1b,
    \\u202e): a log line cannot be split, recoloured or reordered by what it quotes."""
    if not any(unsafe(ch) for ch in text):
        return text
    out = []
    for ch in text:
        if not unsafe(ch):
            out.append(ch)
        elif ch in "\n\r\t":
            out.append({"\n": "\\n", "\r": "\\r", "\t": "\\t"}[ch])
        elif ord(ch) <= 0xFF:
            out.append(f"\\x{ord(ch):02x}")
        else:
            out.append(f"\\u{ord(ch):04x}")
    return "".join(out)
