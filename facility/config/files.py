"""The files a facility file names (passwords, CAs, tokens, keys): there, and readable by the program that reads them.

Checked by `--check-config` for the program's service user (the user its systemd unit runs as,
when this machine has it) and by each program at its start, as itself, so that a missing or
unreadable file is named with its key and line, never a bare `[Errno 2]`.
"""

from __future__ import annotations

import grp
import os
import pwd
import stat
from pathlib import Path

from facility.config.schema import FacilityConfig
from facility.errors import ConfigProblem

# The users the Debian packages create and the units run as (deploy/systemd); tests hold the units to these names.
SERVICE_USERS = {"lockd": "officepass-lockd", "kiosk": "officepass-kiosk"}
# The only folder each unit lets its program write (StateDirectory=): its data_dir must be inside it.
STATE_DIRS = {"lockd": Path("/var/lib/officepass"), "kiosk": Path("/var/lib/officepass-kiosk")}
DATA_DIR_KEYS = {"lockd": "lockd.data_dir", "kiosk": "kiosk.data_dir"}
SHARED_GROUP = "officepass"  # may read /etc/officepass: both service users are in it
# The keys of files each program reads itself (the bridge's files are Mosquitto's, checked by officepass-site).
PROGRAM_FILES = {
    "lockd": ("mqtt.ca_file", "mqtt.password_file", "platform.ca_file", "platform.api_token_file"),
    "kiosk": (
        "mqtt.ca_file",
        "mqtt.password_file",
        "platform.ca_file",
        "platform.api_token_file",
        "kiosk.signing_key_file",
    ),
}


def named_file(cfg: FacilityConfig, key: str) -> Path | None:
    """The file at a dotted key such as mqtt.password_file, or None where the file names none."""
    value: object = cfg
    for part in key.split("."):
        value = getattr(value, part, None)
        if value is None:
            return None
    return Path(str(value))


def readable_by(path: Path, user: str | None) -> bool:
    """True when this user could open the file for reading (None: this process, as it runs now)."""
    if user is None:
        return os.access(path, os.R_OK)
    account = pwd.getpwnam(user)
    if account.pw_uid == 0:
        return True
    groups = {account.pw_gid} | {group.gr_gid for group in grp.getgrall() if user in group.gr_mem}
    target = path.resolve()
    return _may(target, account.pw_uid, groups, stat.S_IRUSR) and all(
        _may(parent, account.pw_uid, groups, stat.S_IXUSR) for parent in target.parents
    )


def _may(path: Path, uid: int, groups: set[int], owner_bit: int) -> bool:
    """The owner, group or other bit matching owner_bit (read or search) allows this uid and these groups."""
    try:
        info = path.stat()
    except OSError:
        return False
    shift = 0 if info.st_uid == uid else 3 if info.st_gid in groups else 6
    return bool(info.st_mode & (owner_bit >> shift))


def service_user(program: str) -> str | None:
    """The program's service user when this machine has it (a board with the package), else None."""
    try:
        pwd.getpwnam(SERVICE_USERS[program])
    except KeyError:
        return None
    return SERVICE_USERS[program]


def file_problems(cfg: FacilityConfig, program: str, user: str | None) -> list[ConfigProblem]:
    """Each file the program reads that is missing or that this user cannot read, with its key and the fix."""
    problems = []
    who = user or "this user"
    for key in PROGRAM_FILES[program]:
        path = named_file(cfg, key)
        if path is None:
            continue
        if not path.is_file():
            problems.append(ConfigProblem(key, f"{path} does not exist (or is not a file)"))
        elif not readable_by(path, user):
            fix = f"chown root:{user} {path} && chmod 640 {path}" if user else f"check the owner and mode of {path}"
            problems.append(ConfigProblem(key, f"{path} is not readable by {who}: {fix}"))
    return problems


def writable_by(folder: Path, user: str | None) -> bool:
    """True when this user could make files in folder, or in its nearest existing ancestor (None: this process)."""
    existing = next(parent for parent in (folder, *folder.parents) if parent.exists())
    if user is None:
        return os.access(existing, os.W_OK | os.X_OK)
    account = pwd.getpwnam(user)
    if account.pw_uid == 0:
        return True
    groups = {account.pw_gid} | {group.gr_gid for group in grp.getgrall() if user in group.gr_mem}
    return _may(existing, account.pw_uid, groups, stat.S_IWUSR) and all(
        _may(parent, account.pw_uid, groups, stat.S_IXUSR) for parent in (existing, *existing.parents)
    )


def folder_problems(cfg: FacilityConfig, program: str, user: str | None) -> list[ConfigProblem]:
    """The program's data folder: one it may write, and, on a board (user given), inside its unit's state folder."""
    key = DATA_DIR_KEYS[program]
    folder = named_file(cfg, key)
    if folder is None:
        return []
    state = STATE_DIRS[program]
    if user is not None and not folder.is_relative_to(state):
        return [
            ConfigProblem(
                key,
                f"{folder} is outside {state}, the only folder the unit lets {program} write: e.g. {state / program}",
            )
        ]
    if not writable_by(folder, user):
        return [ConfigProblem(key, f"{folder} cannot be made or written by {user or 'this user'}")]
    return []


def program_problems(cfg: FacilityConfig, program: str, user: str | None) -> list[ConfigProblem]:
    """Everything on disk the program needs that is not as it must be: its files, and its data folder."""
    return file_problems(cfg, program, user) + folder_problems(cfg, program, user)
