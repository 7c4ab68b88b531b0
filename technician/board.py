"""The board a tool works on: this machine (/) or a folder standing for one (--root), with its users and groups.

Files are named by where they are on the board (/etc/officepass/site.toml); `at` gives where they are
here. Users and groups are read from the board's own /etc/passwd and /etc/group, so a fake root in a
test, or an image mounted to be prepared, answers for itself and not for this machine.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from facility.errors import FacilityError


class BoardError(FacilityError):
    """Something the board lacks: a user, a group, a package."""


def _table(path: Path) -> dict[str, list[str]]:
    """A colon-separated account file (passwd or group) by its first field."""
    try:
        lines = path.read_text().splitlines()
    except OSError:
        return {}
    return {fields[0]: fields for fields in (line.split(":") for line in lines) if len(fields) >= 4}


@dataclass
class Board:
    """A root folder, with its accounts read once."""

    root: Path = Path("/")
    staged: dict[Path, Path] = field(default_factory=dict)  # board path -> a file here that will be put there
    _users: dict[str, list[str]] = field(init=False)
    _groups: dict[str, list[str]] = field(init=False)

    def __post_init__(self) -> None:
        self.root = Path(self.root)
        self._users = _table(self.at(Path("/etc/passwd")))
        self._groups = _table(self.at(Path("/etc/group")))

    def at(self, path: Path) -> Path:
        """Where a board path is on this machine (paths already inside the root stay as they are)."""
        path = Path(path)
        if self.root == Path("/") or path.is_relative_to(self.root):
            return path
        return self.root / path.relative_to("/")

    def source(self, path: Path) -> Path:
        """Where to read what the board will hold at path: a staged file (the operator's folder), else the board's."""
        return self.staged.get(Path(path), self.at(path))

    def on_board(self, path: Path) -> Path:
        """Where a path here is on the board (the inverse of `at`)."""
        path = Path(path)
        if self.root == Path("/") or not path.is_relative_to(self.root):
            return path
        return Path("/") / path.relative_to(self.root)

    def has_user(self, user: str) -> bool:
        """True when the board has this user."""
        return user in self._users

    def has_group(self, group: str) -> bool:
        """True when the board has this group."""
        return group in self._groups

    def uid(self, user: str) -> int:
        """The user's id on the board."""
        if user not in self._users:
            raise BoardError(f"the board has no user {user!r}")
        return int(self._users[user][2])

    def gid(self, group: str) -> int:
        """The group's id on the board."""
        if group not in self._groups:
            raise BoardError(f"the board has no group {group!r}")
        return int(self._groups[group][2])

    def groups_of(self, user: str) -> set[int]:
        """The user's primary group and every group that lists it as a member."""
        primary = int(self._users[user][3])
        return {primary} | {int(fields[2]) for fields in self._groups.values() if user in fields[3].split(",")}

    def hostname(self) -> str:
        """The board's host name, from its /etc/hostname (this machine's when the root is /)."""
        try:
            name = self.at(Path("/etc/hostname")).read_text().strip()
        except OSError:
            name = ""
        if not name and self.root == Path("/"):
            import socket

            name = socket.gethostname()
        return name or "localhost"


def unit_active(unit: str) -> bool:
    """True when systemd says the unit runs on this machine (False where there is no systemd to ask)."""
    try:
        return (
            subprocess.run(
                ["systemctl", "is-active", "--quiet", unit], check=False, capture_output=True, timeout=10
            ).returncode
            == 0
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
