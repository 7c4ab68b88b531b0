"""A fresh Debian 12 board for a test: a root folder, a network namespace of its own, and systemd's part played.

The base (debootstrap's minbase with Python, as the OS on a board's card has it) is made once and kept
in OFFICEPASS_BOARD_CACHE (/var/cache/officepass-tests); each test gets its own copy on top of it (an
overlay, or a copy where overlays are not allowed). Commands run in it as root, chrooted, in the board's
own network namespace: its Mosquitto, lockd, the test's platform and cloud broker listen there and
nowhere else. The namespace reaches the Debian mirror, and only it, through a relay (socat), so `apt-get`
works as on a board. tests/board/systemctl.py plays systemd from the unit files.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import signal
import subprocess
import uuid
from pathlib import Path
from urllib.parse import urlsplit

HERE = Path(__file__).resolve().parent
CACHE = Path(os.environ.get("OFFICEPASS_BOARD_CACHE", "/var/cache/officepass-tests"))
MIRROR = os.environ.get("OFFICEPASS_DEBIAN_MIRROR", "http://deb.debian.org/debian")
SUITE = "bookworm"
ON_THE_CARD = ["python3", "ca-certificates"]  # what Raspberry Pi OS Lite and a Debian cloud image both have
NEEDED = ["debootstrap", "ip", "socat", "chroot", "mount"]


class BoardError(Exception):
    """The board could not be made (a tool missing, no mirror, no namespaces)."""


def missing_tools() -> list[str]:
    """The host tools a board needs that this machine lacks (scripts/setup.sh installs them)."""
    return [tool for tool in NEEDED if shutil.which(tool) is None]


def base_root() -> Path:
    """The cached bookworm base, made once (under a lock, so two runs never make it at once)."""
    base, done = CACHE / f"{SUITE}-base", CACHE / f"{SUITE}-base.done"
    CACHE.mkdir(parents=True, exist_ok=True)
    with (CACHE / f"{SUITE}-base.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not done.exists():
            shutil.rmtree(base, ignore_errors=True)
            result = subprocess.run(
                ["debootstrap", "--variant=minbase", f"--include={','.join(ON_THE_CARD)}", SUITE, str(base), MIRROR],
                capture_output=True,
                text=True,
                timeout=1200,
            )
            if result.returncode != 0:
                raise BoardError(f"debootstrap failed: {result.stdout[-2000:]}{result.stderr[-2000:]}")
            done.touch()
    return base


class Board:
    """One test's board: its root, its namespace, and what runs in them; close() leaves nothing behind."""

    def __init__(self, work: Path, hostname: str = "door-board") -> None:
        self.work = work
        self.name = f"officepass-{uuid.uuid4().hex[:8]}"
        self.root = work / "root"
        self.launcher = ["ip", "netns", "exec", self.name]  # what runs a host program in the board's namespace
        self._mounts: list[Path] = []
        self._relays: list[subprocess.Popen] = []
        self._fresh_root(base_root())
        self._prepare(hostname)
        self._namespace()

    # --- making it -------------------------------------------------------------------------------

    def _fresh_root(self, base: Path) -> None:
        """An overlay on the cached base (a copy where overlays are refused)."""
        for folder in ("upper", "overlay-work", "root"):
            (self.work / folder).mkdir()
        options = f"lowerdir={base},upperdir={self.work / 'upper'},workdir={self.work / 'overlay-work'}"
        if (
            subprocess.run(
                ["mount", "-t", "overlay", "overlay", "-o", options, str(self.root)], capture_output=True
            ).returncode
            == 0
        ):
            self._mounts.append(self.root)
        else:
            subprocess.run(["cp", "-a", f"{base}/.", str(self.root)], check=True)
        self.root.chmod(0o755)

    def _prepare(self, hostname: str) -> None:
        """/proc, a host name, names for the mirror and the platform, and systemd's part (systemctl, timedatectl)."""
        subprocess.run(["mount", "-t", "proc", "proc", str(self.root / "proc")], check=True)
        self._mounts.insert(0, self.root / "proc")
        mirror = urlsplit(MIRROR).hostname
        (self.root / "etc" / "hostname").write_text(f"{hostname}\n")
        (self.root / "etc" / "hosts").write_text(f"127.0.0.1 localhost {hostname} {mirror} mqtt.platform.test\n")
        (self.root / "etc" / "resolv.conf").write_text("")  # every name it needs is in /etc/hosts
        (self.root / "run" / "systemd" / "system").mkdir(parents=True, exist_ok=True)  # "systemd is running"
        # where systemd's package puts them: apt runs maintainer scripts with /usr/sbin:/usr/bin:/sbin:/bin only
        bin_dir = self.root / "usr" / "bin"
        shutil.copy(HERE / "systemctl.py", bin_dir / "systemctl")
        # systemd-timesyncd's answer: the test machine's own clock need not be synchronised for the board's to be
        (bin_dir / "timedatectl").write_text('#!/bin/sh\n[ "$1" = show ] && echo yes\n')
        for program in ("systemctl", "timedatectl"):
            (bin_dir / program).chmod(0o755)

    def _namespace(self) -> None:
        """The board's network namespace, its loopback up, and the relay to the Debian mirror."""
        subprocess.run(["ip", "netns", "add", self.name], check=True)
        subprocess.run([*self.launcher, "ip", "link", "set", "lo", "up"], check=True)
        socket_path = self.work / "mirror.sock"
        mirror = urlsplit(MIRROR)
        self._relays.append(
            subprocess.Popen(
                ["socat", f"UNIX-LISTEN:{socket_path},fork,mode=600", f"TCP:{mirror.hostname}:{mirror.port or 80}"],
                stderr=subprocess.DEVNULL,
            )
        )
        self._relays.append(
            subprocess.Popen(
                [
                    *self.launcher,
                    "socat",
                    f"TCP-LISTEN:{mirror.port or 80},bind=127.0.0.1,reuseaddr,fork",
                    f"UNIX-CONNECT:{socket_path}",
                ],
                stderr=subprocess.DEVNULL,
            )
        )

    # --- using it --------------------------------------------------------------------------------

    def at(self, path: str) -> Path:
        """Where a board path is on this machine."""
        return self.root / path.lstrip("/")

    def run(self, script: str, timeout: float = 600) -> subprocess.CompletedProcess:
        """A shell script as root on the board, in its namespace, as a technician's root shell runs it."""
        env = {
            "PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
            "HOME": "/root",
            "LANG": "C.UTF-8",
            "TERM": "dumb",
            "DEBIAN_FRONTEND": "noninteractive",
        }
        return subprocess.run(
            [*self.launcher, "chroot", str(self.root), "/bin/bash", "-e", "-o", "pipefail", "-c", script],
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
            cwd="/",
        )

    def pid_of(self, unit: str) -> int | None:
        """The main process of a unit the board runs, from the stand-in systemd's notes."""
        noted = self.at(f"/run/units/{unit}.service.pid")
        return int(noted.read_text()) if noted.exists() else None

    def processes(self) -> list[int]:
        """Every process whose root is this board's."""
        mine = []
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    if Path(os.readlink(entry / "root")) == self.root:
                        mine.append(int(entry.name))
                except OSError:
                    continue
        return mine

    def close(self) -> None:
        """Stop everything on the board, the relays and the namespace, and unmount; the work folder stays."""
        for pid in self.processes():
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        for relay in self._relays:
            relay.kill()
            relay.wait()
        subprocess.run(["ip", "netns", "delete", self.name], capture_output=True)
        for mount in self._mounts:
            subprocess.run(["umount", "--lazy", str(mount)], capture_output=True)
