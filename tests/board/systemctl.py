#!/usr/bin/python3
"""systemctl for a board root in a test: systemd's part, played from the unit files themselves.

The runbook test (tests/test_runbook.py) copies this to /usr/bin/systemctl in a fresh Debian root
where systemd does not run. It starts each unit as its file says: ExecStartPre, ExecStart and ExecStopPost,
as its User, Group and SupplementaryGroups, in its WorkingDirectory, with its RuntimeDirectory and
StateDirectory made with their modes, its Environment, UMask and ConditionPathExists, and for Type=notify
it waits for READY=1 on a notify socket, as systemd does. Enablement is what deb-systemd-helper keeps in
/etc/systemd/system. It plays no sandbox: the unit files' sandboxes are judged by systemd-analyze.
Standard library only (it runs on the board root's own Python); daemons log to /var/log/units/UNIT.log.
"""

from __future__ import annotations

import grp
import os
import pwd
import select
import shlex
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

UNIT_DIRS = (Path("/etc/systemd/system"), Path("/lib/systemd/system"), Path("/usr/lib/systemd/system"))
STATE = Path("/run/units")
LOGS = Path("/var/log/units")


def unit_name(name: str) -> str:
    """A unit's full name (systemctl takes 'mosquitto' for 'mosquitto.service')."""
    return name if "." in name else f"{name}.service"


def unit_file(name: str) -> Path | None:
    """Where the unit's file is, the administrator's first."""
    return next((folder / name for folder in UNIT_DIRS if (folder / name).is_file()), None)


def read_unit(path: Path) -> dict[str, list[str]]:
    """Every `Key=value` of a unit file, and of its drop-ins, each key's values in order (an empty value resets)."""
    files = [path, *sorted((path.parent / f"{path.name}.d").glob("*.conf"))]
    settings: dict[str, list[str]] = {}
    for file in files:
        for raw in file.read_text().splitlines():
            line = raw.strip()
            if not line or line.startswith(("#", ";", "[")) or "=" not in line:
                continue
            key, value = (part.strip() for part in line.split("=", 1))
            settings[key] = [] if value == "" else [*settings.get(key, []), value]
    return settings


def one(settings: dict[str, list[str]], key: str, default: str = "") -> str:
    """The last value of a key."""
    return settings.get(key, [default])[-1] if settings.get(key) else default


def pid_of(name: str) -> int | None:
    """The main process of a running unit."""
    try:
        pid = int((STATE / f"{name}.pid").read_text())
        os.kill(pid, 0)
    except (OSError, ValueError):
        return None
    try:  # a zombie is not running
        if Path(f"/proc/{pid}/stat").read_text().split()[2] == "Z":
            return None
    except OSError:
        return None
    return pid


def command_of(line: str, pid: int | None = None) -> tuple[list[str], bool]:
    """A command line as systemd reads it ($MAINPID, a leading '-' for 'failure is fine', '@', '+', '!')."""
    ignore = False
    while line[:1] in "-@+!:":
        ignore = ignore or line[0] == "-"
        line = line[1:]
    if pid is not None:
        line = line.replace("$MAINPID", str(pid))
    return shlex.split(line), ignore


def identity(settings: dict[str, list[str]]) -> tuple[int, int, list[int]] | None:
    """uid, gid and supplementary groups of the unit's User= (None: root)."""
    user = one(settings, "User")
    if not user:
        return None
    account = pwd.getpwnam(user)
    gid = grp.getgrnam(one(settings, "Group")).gr_gid if one(settings, "Group") else account.pw_gid
    extra = [grp.getgrnam(name).gr_gid for value in settings.get("SupplementaryGroups", []) for name in value.split()]
    return account.pw_uid, gid, extra


def environment(settings: dict[str, list[str]], name: str) -> dict[str, str]:
    """The unit's environment: a clean one, as systemd gives, plus its Environment= lines and its directories."""
    env = {"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C.UTF-8"}
    for value in settings.get("Environment", []):
        for pair in shlex.split(value):
            key, _, val = pair.partition("=")
            env[key] = val
    who = one(settings, "User")
    if who:
        env |= {"USER": who, "LOGNAME": who, "HOME": pwd.getpwnam(who).pw_dir}
    for key, base in (("RuntimeDirectory", "/run"), ("StateDirectory", "/var/lib")):
        if one(settings, key):
            env[key.upper().replace("DIRECTORY", "_DIRECTORY")] = ":".join(
                f"{base}/{folder}" for folder in one(settings, key).split()
            )
    return env


def make_directories(settings: dict[str, list[str]]) -> None:
    """RuntimeDirectory= and StateDirectory=, owned by the unit's user, with their modes."""
    who = identity(settings)
    for key, base, default in (("RuntimeDirectory", "/run", "0755"), ("StateDirectory", "/var/lib", "0755")):
        for folder in one(settings, key).split():
            path = Path(base) / folder
            path.mkdir(parents=True, exist_ok=True)
            if who is not None:
                os.chown(path, who[0], who[1])
            path.chmod(int(one(settings, key.replace("Directory", "DirectoryMode"), default), 8))


def as_unit(settings: dict[str, list[str]]) -> dict:
    """How the unit's processes run: its umask, user, group, groups and working directory, in a session of its own."""
    who = identity(settings)
    place = {
        "umask": int(one(settings, "UMask", "0022"), 8),
        "start_new_session": True,
        "cwd": one(settings, "WorkingDirectory", "/").lstrip("-") or "/",
    }
    return place if who is None else place | {"user": who[0], "group": who[1], "extra_groups": who[2]}


def run_step(settings: dict[str, list[str]], name: str, line: str, env: dict[str, str], pid: int | None = None) -> bool:
    """One ExecStartPre/ExecReload/ExecStopPost line, to its end; True when it went well or may fail."""
    argv, ignore = command_of(line, pid)
    with (LOGS / f"{name}.log").open("ab") as log:
        code = subprocess.run(
            argv, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=log, check=False, **as_unit(settings)
        ).returncode
    return code == 0 or ignore


def start(name: str) -> int:
    """Start the unit as its file says; for Type=notify, return once it said READY=1."""
    if pid_of(name) is not None:
        return 0
    path = unit_file(name)
    if path is None:
        print(f"Failed to start {name}: Unit {name} not found.", file=sys.stderr)
        return 5
    settings = read_unit(path)
    for condition in settings.get("ConditionPathExists", []):
        negate, target = condition.startswith("!"), condition.lstrip("!")
        if Path(target).exists() == negate:
            return 0  # systemd skips the unit, and says so only in its journal
    STATE.mkdir(parents=True, exist_ok=True)
    LOGS.mkdir(parents=True, exist_ok=True)
    make_directories(settings)
    env = environment(settings, name)
    if not all(run_step(settings, name, line, env) for line in settings.get("ExecStartPre", [])):
        print(f"Job for {name} failed: ExecStartPre (see {LOGS / name}.log)", file=sys.stderr)
        return 1
    return launch(name, settings, env)


def launch(name: str, settings: dict[str, list[str]], env: dict[str, str]) -> int:
    """ExecStart in the background; a notify unit is waited for."""
    notify_path = STATE / f"{name}.notify"
    notify_path.unlink(missing_ok=True)
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    listener.bind(str(notify_path))
    notify_path.chmod(0o777)  # the unit's user sends to it
    argv, _ = command_of(one(settings, "ExecStart"))
    with (LOGS / f"{name}.log").open("ab") as log:
        process = subprocess.Popen(
            argv,
            env=env | {"NOTIFY_SOCKET": str(notify_path)},
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=log,
            **as_unit(settings),
        )
    (STATE / f"{name}.pid").write_text(str(process.pid))
    try:
        if one(settings, "Type", "simple") != "notify":
            return 0
        listener.settimeout(1.0)
        deadline = time.monotonic() + float(one(settings, "TimeoutStartSec", "90").rstrip("s"))
        while time.monotonic() < deadline:
            if process.poll() is not None:
                print(
                    f"Job for {name} failed: it exited with {process.returncode} (see {LOGS / name}.log)",
                    file=sys.stderr,
                )
                return 1
            try:
                if b"READY=1" in listener.recv(4096):
                    return 0
            except TimeoutError:
                continue
        print(f"Job for {name} failed: no READY=1 within its start timeout", file=sys.stderr)
        return 1
    finally:
        listener.close()
        notify_path.unlink(missing_ok=True)  # what the unit says from now on goes nowhere, as if systemd ignored it


def ended(pid: int, signum: int, timeout: float) -> bool:
    """Send the signal and wait (on a pidfd, not by polling) up to timeout for the process to end."""
    try:
        handle = os.pidfd_open(pid)
    except ProcessLookupError:
        return True
    try:
        os.kill(pid, signum)
        return bool(select.select([handle], [], [], timeout)[0])
    finally:
        os.close(handle)


def stop(name: str) -> int:
    """KillSignal (SIGTERM), up to TimeoutStopSec, then SIGKILL; then ExecStopPost, told how the service ended."""
    path = unit_file(name)
    pid = pid_of(name)
    if path is None or pid is None:
        return 0
    settings = read_unit(path)
    result = "success"
    if not ended(
        pid,
        getattr(signal, one(settings, "KillSignal", "SIGTERM")),
        float(one(settings, "TimeoutStopSec", "90").rstrip("s")),
    ):
        ended(pid, signal.SIGKILL, 10.0)
        result = "timeout"
    env = environment(settings, name) | {"SERVICE_RESULT": result, "EXIT_CODE": "exited", "EXIT_STATUS": "0"}
    for line in settings.get("ExecStopPost", []):
        run_step(settings, name, line, env)
    (STATE / f"{name}.pid").unlink(missing_ok=True)
    return 0


def reload(name: str) -> int:
    """ExecReload, with $MAINPID."""
    path, pid = unit_file(name), pid_of(name)
    if path is None or pid is None:
        return 1
    settings = read_unit(path)
    env = environment(settings, name)
    return 0 if all(run_step({}, name, line, env, pid) for line in settings.get("ExecReload", [])) else 1


def enabled(name: str) -> bool:
    """What deb-systemd-helper or `enable` left: a link in a .wants folder of /etc/systemd/system."""
    return any(Path("/etc/systemd/system").glob(f"*.wants/{name}"))


def enable(name: str) -> int:
    """Link the unit where its [Install] WantedBy= says."""
    path = unit_file(name)
    if path is None:
        return 1
    for target in read_unit(path).get("WantedBy", []):
        wants = Path("/etc/systemd/system") / f"{target}.wants"
        wants.mkdir(parents=True, exist_ok=True)
        if not (wants / name).exists():
            (wants / name).symlink_to(path)
    return 0


def status(name: str) -> int:
    """A few lines, as systemctl status gives."""
    pid = pid_of(name)
    print(
        f"* {name}\n     Active: {'active (running)' if pid else 'inactive (dead)'}"
        + (f"\n   Main PID: {pid}" if pid else "")
    )
    log = LOGS / f"{name}.log"
    if log.exists():
        print("\n".join(log.read_text(errors="replace").splitlines()[-10:]))
    return 0 if pid else 3


def main(argv: list[str]) -> int:
    """systemctl [--quiet] [--system] [--no-pager] VERB [--now] [UNIT...]."""
    words = [word for word in argv if not word.startswith("-") or word == "--now"]
    quiet = "--quiet" in argv or "-q" in argv
    if not words:
        return 0
    verb, units = words[0], [unit_name(word) for word in words[1:] if word != "--now"]
    if verb in ("daemon-reload", "reset-failed"):
        return 0
    code = 0
    for name in units:
        code = max(code, act(verb, name, "--now" in words, quiet))
    return code


def act(verb: str, name: str, now: bool, quiet: bool) -> int:
    """One verb on one unit."""
    if verb == "is-active":
        active = pid_of(name) is not None
        if not quiet:
            print("active" if active else "inactive")
        return 0 if active else 3
    if verb == "is-enabled":
        if not quiet:
            print("enabled" if enabled(name) else "disabled")
        return 0 if enabled(name) else 1
    actions = {
        "start": start,
        "stop": stop,
        "reload": reload,
        "status": status,
        "restart": lambda unit: stop(unit) or start(unit),
        "try-restart": lambda unit: (stop(unit) or start(unit)) if pid_of(unit) else 0,
        "reload-or-restart": lambda unit: reload(unit) if pid_of(unit) else start(unit),
        "enable": lambda unit: enable(unit) or (start(unit) if now else 0),
        # Debian's preset policy enables every unit (deb-systemd-helper asks for it on a first install)
        "preset": enable,
        "disable": lambda unit: 0,
        "mask": lambda unit: 0,
        "unmask": lambda unit: 0,
    }
    if verb not in actions:
        print(f"systemctl stand-in: no verb {verb!r}", file=sys.stderr)
        return 1
    return actions[verb](name)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
