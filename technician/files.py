"""Files and folders a tool puts on a board, each with its owner, group and mode; written only where they differ.

A plan is made whole before anything is written, so a tool that finds something missing changes
nothing. Each file is written beside its place and renamed over it, with its owner and mode set
first: no reader ever sees half a file, or a secret with a loose mode for a moment.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from technician.board import Board


@dataclass(frozen=True)
class Wanted:
    """A file as the board should have it."""

    path: Path  # where it is on the board
    content: bytes
    owner: str = "root"
    group: str = "root"
    mode: int = 0o644


@dataclass(frozen=True)
class Folder:
    """A folder as the board should have it."""

    path: Path
    owner: str = "root"
    group: str = "root"
    mode: int = 0o755


@dataclass(frozen=True)
class Owned:
    """A file someone else wrote (the operator's token, a key) whose owner and mode this tool sets."""

    path: Path
    owner: str
    group: str
    mode: int


@dataclass(frozen=True)
class Gone:
    """A file this tool once wrote that the board must no longer have (a bridge the site file dropped)."""

    path: Path


Item = Wanted | Folder | Owned | Gone


def _differs(board: Board, item: Item, here: Path) -> bool:
    """True when the file or folder is missing or differs in content, owner, group or mode (or, gone, is there)."""
    if isinstance(item, Gone):
        return here.exists()
    try:
        info = here.stat()
    except FileNotFoundError:
        return True
    if isinstance(item, Wanted) and here.read_bytes() != item.content:
        return True
    return (info.st_uid, info.st_gid, info.st_mode & 0o7777) != (
        board.uid(item.owner),
        board.gid(item.group),
        item.mode,
    )


def _write(board: Board, item: Wanted, here: Path) -> None:
    """Write a file whole: a temporary beside it, owner and mode set, synced, then renamed over the old one."""
    descriptor, temporary = tempfile.mkstemp(dir=here.parent, prefix=f".{here.name}.")
    try:
        os.fchown(descriptor, board.uid(item.owner), board.gid(item.group))
        os.fchmod(descriptor, item.mode)
        os.write(descriptor, item.content)
        os.fsync(descriptor)
    except BaseException:
        os.close(descriptor)
        os.unlink(temporary)
        raise
    os.close(descriptor)
    os.replace(temporary, here)


def _make(board: Board, item: Item, here: Path) -> None:
    """Bring one file or folder to what the item says."""
    if isinstance(item, Gone):
        here.unlink()
        return
    if isinstance(item, Wanted):
        _write(board, item, here)
        return
    if isinstance(item, Folder):
        here.mkdir(parents=True, exist_ok=True)
    os.chown(here, board.uid(item.owner), board.gid(item.group))
    here.chmod(item.mode)


def apply(board: Board, items: list[Item]) -> list[tuple[Item, bool]]:
    """Make the board hold every item, in order; each with True where it changed something."""
    done = []
    for item in items:
        here = board.at(item.path)
        changed = _differs(board, item, here)
        if changed:
            _make(board, item, here)
        done.append((item, changed))
    return done


def describe(item: Item, changed: bool) -> str | None:
    """One line for a technician: what was done to which path, with its owner and mode (nothing for what stays
    absent)."""
    if isinstance(item, Gone):
        return f"removed file   {item.path}" if changed else None
    what = "folder" if isinstance(item, Folder) else "file"
    verb = (
        ("made" if isinstance(item, Folder) else "wrote" if isinstance(item, Wanted) else "set") if changed else "kept"
    )
    return f"{verb:5} {what:6} {item.path} ({item.owner}:{item.group} {item.mode:o})"
