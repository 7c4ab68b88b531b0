"""The shipped broker file starts the real Mosquitto as docs/deploy.md installs it, under Debian's own main file.

The layout is Debian's (mosquitto.conf with persistence and include_dir conf.d, our file in conf.d)
in a throwaway root; the TLS certificates are made here; the password file and the ACL are the
generated ones; Mosquitto drops to its own user before reading the key, as on a board.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from lockd.acl import acl_text
from messagebus import BrokerSettings, BusClient
from simulator.broker import free_port
from simulator.certs import TestAuthority
from tests.conftest import REPO
from tests.rulebook import H1T

DEBIAN_MAIN = """# Place your local configuration in /etc/mosquitto/conf.d/
pid_file {root}/run/mosquitto/mosquitto.pid

persistence true
persistence_location {root}/var/lib/mosquitto/

log_dest file {root}/var/log/mosquitto/mosquitto.log

include_dir {root}/etc/mosquitto/conf.d
"""


def make_certificates(folder: Path) -> None:
    """A throwaway CA and a broker certificate for localhost and 127.0.0.1 it signed: ca.crt, broker.crt, broker.key."""
    TestAuthority(folder).server("broker", ["localhost", "127.0.0.1"])


def as_documented(path: Path) -> None:
    """root:mosquitto, mode 640, as docs/deploy.md says (Mosquitto reads it after dropping to its own user)."""
    shutil.chown(path, "root", "mosquitto")
    path.chmod(0o640)


@pytest.fixture
def debian_root() -> Iterator[Path]:
    """A throwaway root the mosquitto user can walk into (pytest's own folders are private to root)."""
    root = Path(tempfile.mkdtemp(prefix="officepass-debian-"))
    root.chmod(0o755)
    yield root
    shutil.rmtree(root, ignore_errors=True)


def lay_out(root: Path, tls_port: int, plain_port: int) -> Path:
    """Debian's main file, our file in conf.d with this root's paths, certificates, passwords and the ACL."""
    etc = root / "etc" / "mosquitto"
    for folder in (
        etc / "conf.d",
        root / "run" / "mosquitto",
        root / "var" / "lib" / "mosquitto",
        root / "var" / "log" / "mosquitto",
    ):
        folder.mkdir(parents=True, exist_ok=True)
        folder.chmod(0o755)
    for writable in (
        root / "run" / "mosquitto",
        root / "var" / "lib" / "mosquitto",
        root / "var" / "log" / "mosquitto",
    ):
        shutil.chown(writable, "mosquitto", "mosquitto")  # as Debian's package leaves them
    (etc / "mosquitto.conf").write_text(DEBIAN_MAIN.format(root=root))
    ours = (REPO / "deploy" / "mosquitto" / "officepass.conf").read_text()
    ours = ours.replace("/etc/mosquitto/", f"{etc}/").replace("listener 8883", f"listener {tls_port}")
    (etc / "conf.d" / "officepass.conf").write_text(
        ours.replace("listener 1883 127.0.0.1", f"listener {plain_port} 127.0.0.1")
    )
    (etc / "conf.d" / "test-log.conf").write_text("log_dest stderr\n")  # the test reads the broker's words
    make_certificates(etc / "certs")
    (etc / "certs").chmod(0o755)
    subprocess.run(
        ["mosquitto_passwd", "-c", "-b", str(etc / "officepass.passwd"), "lockd-h1t-shibuya", "door-secret"],
        check=True,
        capture_output=True,
    )
    (etc / "officepass.acl").write_text(acl_text([H1T]))
    for secret in (etc / "certs" / "broker.key", etc / "officepass.passwd", etc / "officepass.acl"):
        as_documented(secret)
    return etc / "mosquitto.conf"


def start(main: Path) -> subprocess.Popen:
    """Mosquitto on the main file, as systemd starts it (as root: it drops to the mosquitto user itself)."""
    return subprocess.Popen(
        ["mosquitto", "-c", str(main)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )


def said_until_running(process: subprocess.Popen) -> str:
    """The broker's log up to 'running' (or to its exit, when it refuses to start)."""
    lines = []
    for line in process.stderr:
        lines.append(line)
        if "running" in line:
            break
    return "".join(lines)


def test_the_shipped_file_starts_under_debian_s_main_file_and_lockd_logs_in_over_tls(debian_root: Path) -> None:
    tls_port, plain_port = free_port(), free_port()
    process = start(lay_out(debian_root, tls_port, plain_port))
    try:
        log = said_until_running(process)
        assert "running" in log and "Duplicate" not in log and "Unable to load" not in log, log
        settings = BrokerSettings(
            "localhost",
            tls_port,
            "lockd-h1t-shibuya",
            "door-secret",
            tls=True,
            ca_file=debian_root / "etc" / "mosquitto" / "certs" / "ca.crt",
            client_id="lockd-h1t-shibuya",
        )
        lockd = BusClient(settings)
        lockd.start()
        try:
            assert lockd.wait_connected(10)
        finally:
            lockd.stop()
    finally:
        process.terminate()
        process.wait(10)


def test_a_key_only_root_can_read_stops_the_broker_with_the_reason(debian_root: Path) -> None:
    main = lay_out(debian_root, free_port(), free_port())
    key = debian_root / "etc" / "mosquitto" / "certs" / "broker.key"
    shutil.chown(key, "root", "root")
    key.chmod(0o600)  # what the docs warn against
    process = start(main)
    try:
        log = said_until_running(process)
        assert "Unable to load server key file" in log and process.wait(10) != 0
    finally:
        process.kill()
