"""A real Mosquitto broker on loopback, for the tests and the demo: password file, optional ACL, TLS and bridges."""

from __future__ import annotations

import collections
import getpass
import shutil
import socket
import subprocess
import threading
from pathlib import Path

from facility.errors import FacilityError
from facility.packaged import DEPLOY
from simulator.certs import ServerCertificate

SITE_FILE = DEPLOY / "mosquitto" / "officepass.conf"
CLOUD_FILE = DEPLOY / "mosquitto" / "officepass-cloud.conf"
# The shipped files' limits on what a client may send and what may wait for a session (docs/mqtt.md, 'Limits'):
# every broker started here holds the same lines, so the tests and the demo meet the limits a board has.
LIMITS = ("max_packet_size", "max_queued_messages", "max_queued_bytes")


# A measured alternative to the bridge's inbound QoS 0 (lockd/bridge.py, docs/scale.md), not shipped: preloaded into
# Mosquitto, it sets TCP_NODELAY on every TCP connection the broker opens, which is only its bridges'.
NODELAY_SHIM = r"""
#define _GNU_SOURCE
#include <dlfcn.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

int connect(int fd, const struct sockaddr *addr, socklen_t len)
{
    static int (*next)(int, const struct sockaddr *, socklen_t);
    int type = 0, on = 1;
    socklen_t size = sizeof(type);

    if (!next) next = (int (*)(int, const struct sockaddr *, socklen_t))dlsym(RTLD_NEXT, "connect");
    if (addr && (addr->sa_family == AF_INET || addr->sa_family == AF_INET6)
        && getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &size) == 0 && type == SOCK_STREAM)
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
    return next(fd, addr, len);
}
"""


class BrokerError(FacilityError):
    """Mosquitto could not be started."""


def nodelay_shim(folder: Path) -> Path:
    """Build the TCP_NODELAY shim into folder with the system's C compiler; the shared object's path."""
    compiler = shutil.which("cc")
    if compiler is None:
        raise BrokerError("the TCP_NODELAY shim needs a C compiler (apt-get install gcc)")
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "nodelay.c").write_text(NODELAY_SHIM)
    built = subprocess.run(
        [compiler, "-O2", "-shared", "-fPIC", "-o", str(folder / "nodelay.so"), str(folder / "nodelay.c"), "-ldl"],
        check=False,
        capture_output=True,
        text=True,
        timeout=60,
    )
    if built.returncode != 0:
        raise BrokerError(f"the TCP_NODELAY shim did not build: {built.stderr.strip()[:200]}")
    return folder / "nodelay.so"


def shipped_limits(shipped: Path = SITE_FILE) -> list[str]:
    """The limit lines of a shipped broker file (the site's unless told), as written there."""
    lines = [line.strip() for line in shipped.read_text().splitlines()]
    return [line for line in lines if line.split(" ")[0] in LIMITS]


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]


class MosquittoBroker:
    """Runs mosquitto with a generated config; start, stop and restart keep the same port and data.

    With `tls` its one listener speaks only TLS with that certificate; `bridges` (bridge connections,
    lockd/bridge.py) go at the end of the file, where Mosquitto expects them after every global option;
    `launcher` runs it under another command (a network namespace of a test's board). `limits` are the shipped
    site file's unless given (the platform's broker takes the cloud file's).
    """

    def __init__(
        self,
        workdir: Path,
        users: dict[str, str],
        acl: str | None = None,
        host: str = "127.0.0.1",
        port: int | None = None,
        extra: list[str] | None = None,
        tls: ServerCertificate | None = None,
        bridges: str = "",
        launcher: list[str] | None = None,
        limits: list[str] | None = None,
    ) -> None:
        self.workdir = Path(workdir)
        self.users = users
        self.acl = acl
        self.extra = list(extra or [])  # more global options, e.g. the shipped file's
        self.limits = shipped_limits() if limits is None else list(limits)
        self.tls = tls
        self.bridges = bridges
        self.launcher = list(launcher or [])  # what mosquitto runs under, e.g. ["ip", "netns", "exec", NAME]
        self.host = host
        self.port = port or free_port(host)
        self.log: collections.deque[str] = collections.deque(maxlen=200)
        self._logged = threading.Condition()  # told of every new log line, for wait_for_log
        self._process: subprocess.Popen[str] | None = None

    def _write_files(self) -> Path:
        """Write the config, password file and ACL into workdir; returns the config path."""
        self.workdir.mkdir(parents=True, exist_ok=True)
        passwords = self.workdir / "passwd"
        passwords.unlink(missing_ok=True)
        # Written in plain and hashed in place by one mosquitto_passwd: one process per user took minutes at 13,000
        passwords.touch(mode=0o600)
        passwords.write_text("".join(f"{user}:{password}\n" for user, password in self.users.items()))
        if self.users:  # mosquitto_passwd -U refuses an empty file
            subprocess.run(["mosquitto_passwd", "-U", str(passwords)], check=True, capture_output=True)
        lines = [
            # Without TCP_NODELAY, Nagle's algorithm and delayed ACKs add ~40 ms to small messages.
            f"listener {self.port} {self.host}",
            "set_tcp_nodelay true",
            "allow_anonymous false",
            f"password_file {passwords}",
            "persistence true",
            f"persistence_location {self.workdir}/",
            "log_dest stderr",
            "log_type error",
            "log_type warning",
            "log_type notice",
            "log_type information",
            f"user {getpass.getuser()}",
        ]
        if self.tls is not None:  # listener options: they belong right after the listener line
            lines[1:1] = [f"certfile {self.tls.certfile}", f"keyfile {self.tls.keyfile}"]
        lines += self.limits + self.extra  # a test's own options last: Mosquitto keeps an option's last value
        if self.acl is not None:
            (self.workdir / "acl").write_text(self.acl)
            lines.append(f"acl_file {self.workdir / 'acl'}")
        config = self.workdir / "mosquitto.conf"
        config.write_text("\n".join(lines) + "\n" + (f"\n{self.bridges}" if self.bridges else ""))
        return config

    def start(self, timeout: float = 10.0) -> None:
        """Start mosquitto and return once it reports it is running."""
        if shutil.which("mosquitto") is None:
            raise BrokerError("mosquitto is not installed (apt-get install mosquitto)")
        config = self._write_files()
        self._process = subprocess.Popen(
            [*self.launcher, "mosquitto", "-c", str(config)], stderr=subprocess.PIPE, text=True
        )
        running = threading.Event()
        threading.Thread(target=self._read_log, args=(self._process, running), daemon=True).start()
        if not running.wait(timeout) or self._process.poll() is not None:
            self.stop()
            raise BrokerError(f"mosquitto did not start on port {self.port}: {' | '.join(self.log)}")

    def _read_log(self, process: subprocess.Popen[str], running: threading.Event) -> None:
        """Keep the broker's log and signal the line that says it accepts connections."""
        assert process.stderr is not None
        for line in process.stderr:
            with self._logged:
                self.log.append(line.rstrip())
                self._logged.notify_all()
            if " running" in line:
                running.set()
        running.set()  # the process ended: wake the waiter, which then sees poll() is set

    def wait_for_log(self, text: str, timeout: float, count: int = 1) -> bool:
        """True once `count` lines of the broker's log (of those it still keeps) hold text, within timeout seconds."""
        with self._logged:
            return self._logged.wait_for(lambda: sum(text in line for line in self.log) >= count, timeout)

    def stop(self) -> None:
        """Stop mosquitto (it saves its persistence file on a clean stop)."""
        if self._process is None:
            return
        self._process.terminate()
        try:
            self._process.wait(5)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        self._process = None

    def kill(self) -> None:
        """Kill mosquitto without letting it save anything, as a crash would."""
        if self._process is not None:
            self._process.kill()
            self._process.wait()
            self._process = None

    def restart(self, timeout: float = 10.0) -> None:
        """Stop and start again on the same port."""
        self.stop()
        self.start(timeout)

    @property
    def running(self) -> bool:
        """True while the mosquitto process is alive."""
        return self._process is not None and self._process.poll() is None
