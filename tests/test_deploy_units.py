"""The shipped systemd units, checked with the system's own tools.

systemd does not run here (PID 1 is not systemd), so the units are judged by `systemd-analyze`, and the
parts of their sandbox that are seccomp filters (SystemCallFilter=, SystemCallErrorNumber=,
MemoryDenyWriteExecute=, RestrictAddressFamilies=, UMask=) are rebuilt from the unit files with libseccomp,
as systemd builds them, around the real programs: run as `python -m tests.test_deploy_units SPEC -- COMMAND`.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import errno
import json
import os
import re
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from kiosk.cli import LEFT_BY_STAFF, mark_left_by_staff
from tests.conftest import REPO
from tests.notify import kiosk_site_file, notify_socket
from tests.test_lockd_resilience import write_site_file

UNITS = REPO / "deploy" / "systemd"
LOCKD = UNITS / "officepass-lockd.service"
KIOSK = UNITS / "officepass-kiosk.service"
PROGRAMS = {
    "/opt/officepass/door/bin/": "officepass-lockd",
    "/opt/officepass/kiosk/bin/": "officepass-kiosk",
    "/usr/bin/": "cage",
}
# Each unit's budget under `systemd-analyze security`, and the only devices it may open (DevicePolicy=closed).
EXPOSURE_BUDGET = {LOCKD.name: 2.5, KIOSK.name: 4.5}
DEVICES = {
    LOCKD.name: {"char-gpiochip": "rw"},
    KIOSK.name: {"char-drm": "rw", "char-input": "rw", "char-video4linux": "rw", "char-alsa": "rw", "/dev/tty1": "rw"},
}


def settings(unit: Path) -> list[tuple[str, str]]:
    """Every `Key=value` line of a unit, in order (a key may come back: SystemCallFilter=, DeviceAllow=)."""
    pairs = (line.split("=", 1) for line in unit.read_text().splitlines() if "=" in line and not line.startswith("#"))
    return [(key.strip(), value.strip()) for key, value in pairs]


def setting(unit: Path, key: str) -> str:
    """The one value of a key that appears once."""
    (value,) = [value for name, value in settings(unit) if name == key]
    return value


@pytest.fixture
def staged(tmp_path: Path) -> dict[str, Path]:
    """The units with their programs as installed (docs/deploy.md) replaced by stubs, by unit name."""
    stubs = tmp_path / "bin"
    stubs.mkdir()
    for program in PROGRAMS.values():
        (stubs / program).write_text("#!/bin/sh\nexit 0\n")
        (stubs / program).chmod(0o755)
    staged = {}
    for unit in (LOCKD, KIOSK):
        text = unit.read_text()
        for folder, program in PROGRAMS.items():
            text = text.replace(folder + program, f"{stubs}/{program}")
        assert "/opt/" not in text, "a program path the stubs do not cover"
        (tmp_path / unit.name).write_text(text)
        staged[unit.name] = tmp_path / unit.name
    return staged


def test_the_units_pass_systemd_analyze_verify_without_a_word(staged: dict[str, Path]) -> None:
    result = subprocess.run(
        ["systemd-analyze", "verify", *map(str, staged.values())], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0 and result.stderr.strip() == "", result.stderr  # a bad value is only a warning


def test_the_units_use_the_layout_the_debian_packages_install() -> None:
    assert setting(LOCKD, "ExecStart") == "/opt/officepass/door/bin/officepass-lockd --config /etc/officepass/site.toml"
    assert setting(LOCKD, "ExecStopPost") == (
        "/opt/officepass/door/bin/officepass-lockd --release-relays /etc/officepass/site.toml"
    )
    assert setting(KIOSK, "ExecStart") == (
        "/usr/bin/cage -- /opt/officepass/kiosk/bin/officepass-kiosk --config /etc/officepass/site.toml"
    )
    for unit, user, groups, state, package in (
        (LOCKD, "officepass-lockd", "officepass gpio", "officepass", "door"),
        (KIOSK, "officepass-kiosk", "officepass video input audio render", "officepass-kiosk", "kiosk"),
    ):
        assert setting(unit, "User") == setting(unit, "Group") == user
        assert setting(unit, "SupplementaryGroups") == groups
        assert setting(unit, "StateDirectory") == state
        assert setting(unit, "Documentation").startswith(f"file:///usr/share/doc/officepass-{package}/")
        # an unconfigured board stays down instead of crash-looping
        assert setting(unit, "ConditionPathExists") == "/etc/officepass/site.toml"


@pytest.mark.parametrize("unit", [LOCKD, KIOSK], ids=["lockd", "kiosk"])
def test_each_unit_s_exposure_stays_within_its_budget_and_it_opens_only_its_own_devices(
    staged: dict[str, Path], unit: Path
) -> None:
    result = subprocess.run(
        ["systemd-analyze", "security", "--offline=true", "--no-pager", str(staged[unit.name])],
        capture_output=True,
        text=True,
        timeout=60,
    )
    score = re.search(rf"Overall exposure level for {re.escape(unit.name)}: (\d+\.\d)", result.stdout)
    assert score, result.stdout + result.stderr
    assert float(score[1]) <= EXPOSURE_BUDGET[unit.name], result.stdout
    assert setting(unit, "UMask") == "0077" and setting(unit, "StateDirectoryMode") == "0700"
    assert setting(unit, "DevicePolicy") == "closed"
    allowed = dict(value.split() for key, value in settings(unit) if key == "DeviceAllow")
    assert allowed == DEVICES[unit.name]
    # what systemd will enforce, implied entries included (ProtectClock=yes would add char-rtc, for one)
    acl = re.search(r"device ACL with some special devices: (.*?)\s{2,}", result.stdout)
    assert acl and dict(entry.split(":") for entry in acl[1].split()) == DEVICES[unit.name], result.stdout


# --- the seccomp part of each unit's sandbox, rebuilt around the real programs ------------------------------------


def syscall_groups() -> dict[str, list[str]]:
    """systemd's system call groups (`systemd-analyze syscall-filter`): each group's calls and nested groups."""
    listing = subprocess.run(
        ["systemd-analyze", "syscall-filter", "--no-pager"], capture_output=True, text=True, check=True, timeout=60
    ).stdout
    groups: dict[str, list[str]] = {}
    for line in listing.splitlines():
        if line.startswith("@"):
            members = groups[line.strip()] = []
        elif line.strip() and not line.strip().startswith("#") and line.startswith(" "):
            members.append(line.strip())
    return groups


def expand(names: list[str], groups: dict[str, list[str]]) -> set[str]:
    """System call names, groups resolved."""
    calls: set[str] = set()
    for name in names:
        calls |= expand(groups[name], groups) if name.startswith("@") else {name}
    return calls


def seccomp_spec(unit: Path) -> dict:
    """What systemd's seccomp filters for the unit hold, read off the unit file as systemd reads it: an allow list
    (the first line of SystemCallFilter= without ~ starts one, @default included; later lines add, ~ lines take
    away)."""
    groups = syscall_groups()
    allowed: set[str] | None = None
    spec: dict = {"errno": errno.EPERM, "write_execute": True, "families": None, "umask": 0o022}
    for key, value in settings(unit):
        if key == "SystemCallFilter":
            if value.startswith("~"):
                assert allowed is not None, "a deny list: not what these units use"
                allowed -= expand(value[1:].split(), groups)
            else:
                allowed = (allowed if allowed is not None else expand(["@default"], groups)) | expand(
                    value.split(), groups
                )
        elif key == "SystemCallErrorNumber":
            spec["errno"] = getattr(errno, value)
        elif key == "MemoryDenyWriteExecute":
            spec["write_execute"] = value != "yes"
        elif key == "RestrictAddressFamilies":
            spec["families"] = sorted(getattr(socket, family) for family in value.split())
        elif key == "UMask":
            spec["umask"] = int(value, 8)
    assert allowed, "no system call filter"
    spec["allowed"] = sorted(allowed)
    return spec


class ArgCmp(ctypes.Structure):
    """libseccomp's struct scmp_arg_cmp."""

    _fields_ = [
        ("arg", ctypes.c_uint),
        ("op", ctypes.c_int),
        ("datum_a", ctypes.c_uint64),
        ("datum_b", ctypes.c_uint64),
    ]


SCMP_ACT_ALLOW = 0x7FFF0000
SCMP_CMP_LT, SCMP_CMP_EQ, SCMP_CMP_GT, SCMP_CMP_MASKED_EQ = 2, 4, 6, 7
PROT_WRITE, PROT_EXEC, SHM_EXEC = 0x2, 0x4, 0o100000


def scmp_errno(number: int) -> int:
    """SCMP_ACT_ERRNO(number)."""
    return 0x00050000 | (number & 0xFFFF)


def load_filter(seccomp: ctypes.CDLL, default: int, rules: list[tuple[int, str, list[ArgCmp]]]) -> None:
    """One seccomp filter: a default action and (action, system call, conditions) rules; calls this machine's
    architecture does not have are skipped, as systemd skips them."""
    context = seccomp.seccomp_init(default)
    assert context, "seccomp_init failed"
    for action, name, conditions in rules:
        number = seccomp.seccomp_syscall_resolve_name(name.encode())
        if number < 0:
            continue
        array = (ArgCmp * max(1, len(conditions)))(*conditions)
        assert seccomp.seccomp_rule_add_array(context, action, number, len(conditions), array) == 0, name
    assert seccomp.seccomp_load(context) == 0, "seccomp_load failed"
    seccomp.seccomp_release(context)


def confine_and_exec(spec: dict, command: list[str]) -> None:
    """Load the filters a unit's seccomp settings make (each its own filter, in systemd's order), set its umask,
    and become the command. libseccomp sets no_new_privs first, as NoNewPrivileges=yes does."""
    seccomp = ctypes.CDLL(ctypes.util.find_library("seccomp") or "libseccomp.so.2", use_errno=True)
    seccomp.seccomp_init.restype = ctypes.c_void_p
    seccomp.seccomp_init.argtypes = [ctypes.c_uint32]
    seccomp.seccomp_syscall_resolve_name.argtypes = [ctypes.c_char_p]
    seccomp.seccomp_rule_add_array.argtypes = [
        ctypes.c_void_p,
        ctypes.c_uint32,
        ctypes.c_int,
        ctypes.c_uint,
        ctypes.POINTER(ArgCmp),
    ]
    seccomp.seccomp_load.argtypes = seccomp.seccomp_release.argtypes = [ctypes.c_void_p]
    if not spec["write_execute"]:  # systemd's MemoryDenyWriteExecute=yes
        deny = scmp_errno(errno.EPERM)
        load_filter(
            seccomp,
            SCMP_ACT_ALLOW,
            [
                (deny, "mmap", [ArgCmp(2, SCMP_CMP_MASKED_EQ, PROT_WRITE | PROT_EXEC, PROT_WRITE | PROT_EXEC)]),
                (deny, "mprotect", [ArgCmp(2, SCMP_CMP_MASKED_EQ, PROT_EXEC, PROT_EXEC)]),
                (deny, "pkey_mprotect", [ArgCmp(2, SCMP_CMP_MASKED_EQ, PROT_EXEC, PROT_EXEC)]),
                (deny, "shmat", [ArgCmp(2, SCMP_CMP_MASKED_EQ, SHM_EXEC, SHM_EXEC)]),
            ],
        )
    if spec["families"]:  # systemd's RestrictAddressFamilies= allow list: socket() of any other family fails
        families, unsupported = spec["families"], scmp_errno(errno.EAFNOSUPPORT)
        rules = [
            (unsupported, "socket", [ArgCmp(0, SCMP_CMP_LT, families[0], 0)]),
            (unsupported, "socket", [ArgCmp(0, SCMP_CMP_GT, families[-1], 0)]),
        ]
        rules += [
            (unsupported, "socket", [ArgCmp(0, SCMP_CMP_EQ, family, 0)])
            for family in range(families[0], families[-1])
            if family not in families
        ]
        load_filter(seccomp, SCMP_ACT_ALLOW, rules)
    # the allow list last, as systemd loads it: it no longer lets anything load a filter
    load_filter(seccomp, scmp_errno(spec["errno"]), [(SCMP_ACT_ALLOW, name, []) for name in spec["allowed"]])
    os.umask(spec["umask"])
    os.chdir(spec["working_directory"])
    os.execv(command[0], command)


def confined(spec: dict, tmp_path: Path, command: list[str], working_directory: Path = REPO) -> list[str]:
    """A command line that runs `command` inside the filters of `spec`, in `working_directory` (WorkingDirectory=);
    run it from REPO, where the launcher is found."""
    (tmp_path / "seccomp.json").write_text(json.dumps(spec | {"working_directory": str(working_directory)}))
    return [sys.executable, "-m", "tests.test_deploy_units", str(tmp_path / "seccomp.json"), "--", *command]


PROBE = """
import ctypes, ctypes.util, json, mmap, os, socket, sqlite3, sys
libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
said = {"adjtimex": libc.adjtimex(ctypes.create_string_buffer(512)), "adjtimex_errno": ctypes.get_errno()}
said["callback"] = ctypes.CFUNCTYPE(ctypes.c_int)(lambda: 7)()
try:
    mmap.mmap(-1, 4096, prot=mmap.PROT_READ | mmap.PROT_WRITE | mmap.PROT_EXEC)
    said["write_execute"] = True
except OSError:
    said["write_execute"] = False
for family in ("AF_INET", "AF_INET6", "AF_UNIX", "AF_NETLINK", "AF_PACKET"):
    try:
        socket.socket(getattr(socket, family), socket.SOCK_DGRAM if family != "AF_PACKET" else socket.SOCK_RAW).close()
        said[family] = True
    except OSError:
        said[family] = False
db = sqlite3.connect(sys.argv[1])
said["journal"] = db.execute("PRAGMA journal_mode=WAL").fetchone()[0]
db.execute("CREATE TABLE t (x)")
db.commit()
said["mode"] = oct(os.stat(sys.argv[1]).st_mode & 0o777)
try:
    os.sched_setaffinity(0, os.sched_getaffinity(0))
    said["resources"] = True
except OSError:
    said["resources"] = False
print(json.dumps(said))
"""


def probe(spec: dict, tmp_path: Path) -> dict:
    """What a Python program can do inside the filters."""
    result = subprocess.run(
        confined(spec, tmp_path, [sys.executable, "-c", PROBE, str(tmp_path / "probe.db")]),
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_inside_lockd_s_filters_it_reads_the_clock_flag_uses_ctypes_and_sqlite_and_nothing_more(tmp_path: Path) -> None:
    said = probe(seccomp_spec(LOCKD), tmp_path)
    assert said["adjtimex"] != -1, said  # the kernel's clock-sync flag, read only (clocktrust.kernel_synchronised)
    assert said["callback"] == 7  # ctypes makes a callback when imported: it lives without write+execute memory
    assert said["journal"] == "wal" and said["mode"] == "0o600"  # UMask=0077
    assert said["AF_INET"] and said["AF_INET6"] and said["AF_UNIX"]
    # and the filters hold
    assert not said["write_execute"] and not said["AF_NETLINK"] and not said["AF_PACKET"] and not said["resources"]


def test_without_its_adjtimex_line_lockd_could_not_tell_whether_the_clock_is_synchronised(tmp_path: Path) -> None:
    spec = seccomp_spec(LOCKD)
    spec["allowed"] = [name for name in spec["allowed"] if name not in ("adjtimex", "clock_adjtime", "clock_adjtime64")]
    said = probe(spec, tmp_path)
    assert said["adjtimex"] == -1 and said["adjtimex_errno"] == errno.EPERM  # hence no ProtectClock=yes either


def test_lgpio_makes_its_pipe_in_lockd_s_own_runtime_directory_inside_its_filters(tmp_path: Path) -> None:
    # the unit's working directory is the runtime directory systemd makes for lockd, hence writable
    assert setting(LOCKD, "WorkingDirectory") == f"/run/{setting(LOCKD, 'RuntimeDirectory')}"
    assert setting(LOCKD, "RuntimeDirectoryMode") == "0700"  # lgpio's pipe is mode 0664: nobody else reaches it
    runtime = tmp_path / "run"  # standing for /run/officepass-lockd
    runtime.mkdir()
    load = [sys.executable, "-c", "import gpiozero.pins.lgpio"]
    for _ in range(2):  # ExecStopPost= after a killed lockd finds the pipe left behind
        loaded = subprocess.run(
            confined(seccomp_spec(LOCKD), tmp_path, load, runtime), cwd=REPO, capture_output=True, text=True, timeout=60
        )
        assert loaded.returncode == 0, loaded.stderr  # lgpio's C library and its notification thread, filtered
        assert [path.name for path in runtime.iterdir()] == [".lgd-nfy0"]
    # in a directory it cannot write (/ under ProtectSystem=strict; /proc here, as root writes anywhere else)
    # the import fails, and so would every GPIO door
    failed = subprocess.run(
        confined(seccomp_spec(LOCKD), tmp_path, load, Path("/proc")),
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert failed.returncode != 0 and ".lgd-nfy" in failed.stderr


def test_lockd_starts_and_stops_cleanly_inside_its_unit_s_filters(broker, real_time_platform, tmp_path: Path) -> None:
    config = write_site_file(tmp_path, broker, real_time_platform.server.url)
    with notify_socket(tmp_path) as (systemd, notify_path):
        with (tmp_path / "lockd.log").open("w") as log:
            lockd = subprocess.Popen(
                confined(seccomp_spec(LOCKD), tmp_path, [sys.executable, "-m", "lockd.cli", "--config", str(config)]),
                cwd=REPO,
                env=os.environ | {"NOTIFY_SOCKET": notify_path},
                stdout=subprocess.DEVNULL,
                stderr=log,
            )
        try:
            assert systemd.recv(100) == b"READY=1"  # connected, synced, listening: its store open in WAL mode
            lockd.send_signal(signal.SIGTERM)
            assert lockd.wait(30) == 0, (tmp_path / "lockd.log").read_text()
        finally:
            lockd.kill()
    assert (tmp_path / "data" / "lockd.db").stat().st_mode & 0o077 == 0  # UMask=0077
    released = subprocess.run(
        confined(seccomp_spec(LOCKD), tmp_path, [sys.executable, "-m", "lockd.cli", "--release-relays", str(config)]),
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert released.returncode == 0, released.stderr  # ExecStopPost= runs inside the same filters


def test_the_kiosk_starts_and_stops_cleanly_inside_its_unit_s_filters(tmp_path: Path) -> None:
    # cage (wlroots, libinput) follows hotplug through udev's netlink socket: not run here, so said here
    assert "AF_NETLINK" in setting(KIOSK, "RestrictAddressFamilies").split()
    site = kiosk_site_file(tmp_path)
    with notify_socket(tmp_path) as (systemd, notify_path):
        env = os.environ | {"QT_QPA_PLATFORM": "offscreen", "NOTIFY_SOCKET": notify_path, "WATCHDOG_USEC": "2000000"}
        with (tmp_path / "kiosk.log").open("w") as log:
            kiosk = subprocess.Popen(
                confined(
                    seccomp_spec(KIOSK),
                    tmp_path,
                    [sys.executable, "-m", "kiosk.cli", "--config", str(site), "--windowed"],
                ),
                cwd=REPO,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=log,
            )
        try:
            assert [systemd.recv(100) for _ in range(2)] == [b"READY=1", b"WATCHDOG=1"]  # Qt, OpenCV, the loops
            kiosk.send_signal(signal.SIGTERM)
            while (line := systemd.recv(100)) == b"WATCHDOG=1":
                continue
            assert line == b"STOPPING=1"
            assert kiosk.wait(30) == 0, (tmp_path / "kiosk.log").read_text()
        finally:
            kiosk.kill()


# --- the board -----------------------------------------------------------------------------------------------------


def test_staff_can_leave_the_kiosk_and_nobody_can_switch_away_from_it() -> None:
    unit = KIOSK.read_text()
    settings = dict(line.split("=", 1) for line in unit.splitlines() if "=" in line and not line.startswith("#"))
    # cage ends with 0 whatever the kiosk did: every end restarts, except after staff left (the mark in /run)
    assert settings["Restart"] == "always" and settings["RuntimeDirectoryPreserve"] == "restart"
    assert f"/run/{settings['RuntimeDirectory']}/{LEFT_BY_STAFF}" in settings["ExecCondition"]
    command = settings["ExecStart"].split()
    assert command[0] == "/usr/bin/cage" and "-s" not in command[: command.index("--")]  # no VT switching


def test_the_unit_s_condition_refuses_to_start_only_after_staff_left(tmp_path: Path, monkeypatch) -> None:
    unit = KIOSK.read_text()
    condition = next(line.split("=", 1)[1] for line in unit.splitlines() if line.startswith("ExecCondition="))
    runtime = tmp_path / "run"
    runtime.mkdir()
    check = ["/bin/sh", "-c", condition.split("'")[1].replace("/run/officepass-kiosk", str(runtime))]
    assert subprocess.run(check).returncode == 0  # a crash: start again
    monkeypatch.setenv("RUNTIME_DIRECTORY", str(runtime))
    mark_left_by_staff()
    assert subprocess.run(check).returncode == 1  # staff closed it: stay closed


if __name__ == "__main__":  # the launcher the tests above run their programs with: SPEC -- COMMAND...
    confine_and_exec(json.loads(Path(sys.argv[1]).read_text()), sys.argv[3:])
