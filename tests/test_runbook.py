"""The runbook is the test: docs/deploy.md's `sh` blocks, run as written, as root, on a fresh Debian 12 board.

With only the package this checkout builds and the site folder an operator hands over, the blocks install
the package, set the site up and start it; then a platform on a cloud broker over TLS opens a door through
the site's bridge, lockd running as its unit's user; then the upgrade blocks install a newer package and
the store must have survived. The board is tests/board/root.py: its own network namespace, systemd's part
played from the unit files. Slow (a Debian root, two packages built): marked `board`, and part of CI.
"""

from __future__ import annotations

import json
import re
import sqlite3
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from facility.config import parse_config
from lockd.bridge import cloud_acl_text
from simulator.broker import MosquittoBroker
from simulator.certs import TestAuthority
from tests.board.packages import build_package
from tests.board.root import Board, missing_tools
from tests.conftest import CONFIG_DIR, REPO

pytestmark = [pytest.mark.board, pytest.mark.timeout(1500)]
RUNBOOK = REPO / "docs" / "deploy.md"
CLOUD_PORT = 9883
PLATFORM_URL = "http://127.0.0.1:8710/v1"
VENV_BIN = Path(sys.executable).parent
NEWER = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["version"] + "+upgrade1"  # a later build


@dataclass(frozen=True)
class Step:
    """One `sh` block of the runbook, under its section's heading."""

    section: str
    script: str


def runbook_steps(path: Path = RUNBOOK) -> list[Step]:
    """Every ```sh block, in order, with the `## ` heading it stands under."""
    steps, section = [], ""
    for match in re.finditer(r"^## ([^\n]+)$|^```sh\n(.*?)^```$", path.read_text(), flags=re.M | re.S):
        if match[1]:
            section = match[1]
        else:
            steps.append(Step(section, match[2]))
    return steps


SITE = """# The site file an operator hands over for the runbook's board: the H1T example's rooms, every door on GPIO
# (gpiozero's mock pins: a board without wiring), open around the clock (lockd runs on the real clock).
[facility]
id = "h1t-shibuya"
name = "H1T 渋谷 / H1T Shibuya"
chain = "h1t"
kind = "booking"

[hours]
mon = ["00:00-24:00"]
tue = ["00:00-24:00"]
wed = ["00:00-24:00"]
thu = ["00:00-24:00"]
fri = ["00:00-24:00"]
sat = ["00:00-24:00"]
sun = ["00:00-24:00"]

[rules]
plans_admitted = ["individual_basic", "individual_premium", "corporate"]

[[rooms]]
id = "booth-a"
name = "ブースA / Booth A"
kind = "booth"

[[doors]]
id = "booth-a"
name = "ブースA扉 / Booth A door"
rooms = ["booth-a"]
driver = "gpio"
pulse_seconds = 1

[doors.gpio]
relay_pin = 17
contact_pin = 27
exit_button_pin = 22

[mqtt]
host = "127.0.0.1"
port = 1883
tls = false
username = "lockd-h1t-shibuya"
password_file = "/etc/officepass/lockd.pass"

[mqtt.bridge]
host = "mqtt.platform.test"
port = 9883
ca_file = "/etc/officepass/platform-ca.crt"
password_file = "/etc/officepass/bridge.pass"

[platform]
base_url = "http://127.0.0.1:8710/v1"

[[tokens.trusted_keys]]
name = "platform demo key (a loopback site only)"
public_key = "IIhkrhAAs3a19vVuNPPgTqc+SamErWvU016ELA/YN1Q="
purposes = ["unlock_command"]

[lockd]
data_dir = "/var/lib/officepass/lockd"
metrics_port = 9101
pin_factory = "mock"
clock_check = "sanity"             # this test machine's kernel need not be NTP-synchronised
"""


@pytest.fixture(scope="module")
def packages(project_wheel: Path, tmp_path_factory) -> dict[str, Path]:
    """The door package as this checkout builds it, and a newer one from the same wheel for the upgrade."""
    out = tmp_path_factory.mktemp("packages")
    return {
        name: build_package(project_wheel, "door", out / name, version=version)
        for name, version in (("first", None), ("newer", NEWER))
    }


@pytest.fixture
def board(tmp_path: Path) -> Iterator[Board]:
    """A fresh Debian 12 board; every tool it needs must be here (scripts/setup.sh installs them)."""
    assert not missing_tools(), f"install {', '.join(missing_tools())} (scripts/setup.sh does)"
    made = Board(tmp_path)
    yield made
    made.close()


@dataclass
class Platform:
    """The test's platform in the board's namespace: its broker (TLS), and its stand-in serving the API."""

    broker: MosquittoBroker
    process: subprocess.Popen

    def phone(self, *args: str) -> dict:
        """A member's phone, talking to the platform's API."""
        result = subprocess.run(
            [*self.broker.launcher, str(VENV_BIN / "officepass-sim"), "--platform", PLATFORM_URL, *args],
            capture_output=True,
            text=True,
            timeout=60,
        )
        return json.loads(result.stdout.strip().splitlines()[-1]) if result.stdout.strip() else {"error": result.stderr}


def operator_hands_over(board: Board, tmp_path: Path) -> Platform:
    """The platform side (a cloud broker over TLS, the platform on it) and the site folder the operator gives."""
    site = board.at("/root/officepass/site")
    site.mkdir(parents=True)
    (site / "site.toml").write_text(SITE)
    (site / "bridge.pass").write_text("bridge-password-from-the-operator\n")
    authority = TestAuthority(tmp_path / "cloud-ca")
    certificate = authority.server("cloud", ["mqtt.platform.test", "127.0.0.1"])
    (site / "platform-ca.crt").write_bytes(certificate.cafile.read_bytes())
    cfg = parse_config(SITE)
    broker = MosquittoBroker(
        tmp_path / "cloud",
        {"platform": "platform-secret", "bridge-h1t-shibuya": "bridge-password-from-the-operator"},
        acl=cloud_acl_text([cfg]),
        host="127.0.0.1",
        port=CLOUD_PORT,
        tls=certificate,
        extra=["use_username_as_clientid true"],
        launcher=board.launcher,
    )
    broker.start()
    return Platform(broker, start_platform(board, tmp_path, certificate.cafile))


def start_platform(board: Board, tmp_path: Path, ca_file: Path) -> subprocess.Popen:
    """The stand-in platform with the shipped seed, this site's facility file in place of the H1T example's."""
    (tmp_path / "h1t-shibuya.toml").write_text(SITE)
    seed = (CONFIG_DIR / "simulator" / "seed.toml").read_text().replace('"../', f'"{CONFIG_DIR}/')
    seed = seed.replace(f'"{CONFIG_DIR}/h1t-shibuya.toml"', f'"{tmp_path / "h1t-shibuya.toml"}"')
    (tmp_path / "seed.toml").write_text(seed)
    (tmp_path / "platform.pass").write_text("platform-secret")
    process = subprocess.Popen(
        [
            *board.launcher,
            str(VENV_BIN / "officepass-sim"),
            "platform",
            "--seed",
            str(tmp_path / "seed.toml"),
            "--port",
            "8710",
            "--broker-host",
            "127.0.0.1",
            "--broker-port",
            str(CLOUD_PORT),
            "--broker-user",
            "platform",
            "--broker-password-file",
            str(tmp_path / "platform.pass"),
            "--broker-ca",
            str(ca_file),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    first = process.stdout.readline()
    assert "platform serving" in first, first + (process.stderr.read() if process.poll() is not None else "")
    return process


def run_steps(board: Board, steps: list[Step]) -> None:
    """Each block as written; a failing one stops the test with what it said."""
    for step in steps:
        result = board.run(step.script)
        said = f"--- stdout\n{result.stdout[-3000:]}\n--- stderr\n{result.stderr[-3000:]}"
        assert result.returncode == 0, f"[{step.section}]\n{step.script}\n{said}"


def store_facts(board: Board) -> tuple[str, int]:
    """lockd's store identity (the id and epoch its marker remembers; the marker also counts each start) and how
    many audit rows the store holds."""
    marker = json.loads(board.at("/var/lib/officepass/lockd.lockd.store-id").read_text())
    with sqlite3.connect(board.at("/var/lib/officepass/lockd/lockd.db")) as store:
        return f"{marker['store_id']} {marker['created_at']}", store.execute("SELECT COUNT(*) FROM audit").fetchone()[0]


def runs_as(board: Board, pid: int) -> str:
    """The board's name of the user a process runs as."""
    uid = next(
        line.split()[1] for line in Path(f"/proc/{pid}/status").read_text().splitlines() if line.startswith("Uid:")
    )
    return next(
        line.split(":")[0] for line in board.at("/etc/passwd").read_text().splitlines() if line.split(":")[2] == uid
    )


def test_the_runbook_installs_a_working_door_and_an_upgrade_keeps_its_store(board: Board, packages, tmp_path) -> None:
    steps = runbook_steps()
    upgrade = [step for step in steps if "Upgrade" in step.section]
    assert steps and upgrade and steps[-len(upgrade) :] == upgrade, "the runbook's upgrade comes last"
    platform = operator_hands_over(board, tmp_path)
    try:
        board.at("/root/officepass").joinpath(packages["first"].name).write_bytes(packages["first"].read_bytes())
        run_steps(board, steps[: -len(upgrade)])
        lockd = board.pid_of("officepass-lockd")
        assert lockd is not None and runs_as(board, lockd) == "officepass-lockd"
        assert {"officepass", "gpio"} <= set(board.run("id -nG officepass-lockd").stdout.split())
        assert board.at("/lib/udev/rules.d/99-officepass-gpio.rules").exists()
        assert board.at("/var/lib/officepass").stat().st_mode & 0o777 == 0o700
        answer = platform.phone("unlock", "--member", "1003", "--facility", "h1t-shibuya", "--door", "booth-a")
        assert answer.get("result") == "opened", answer  # the platform's command, over TLS, through the bridge
        before = store_facts(board)

        board.at(f"/root/officepass/{packages['first'].name}").unlink()  # an empty folder but the new package
        board.at("/root/officepass").joinpath(packages["newer"].name).write_bytes(packages["newer"].read_bytes())
        run_steps(board, upgrade)
        installed = board.run("dpkg-query -W -f='${Version}' officepass-door").stdout
        assert installed == NEWER
        after_pid = board.pid_of("officepass-lockd")
        assert after_pid not in (None, lockd)  # restarted on its new programs by the package itself
        marker, rows = store_facts(board)
        assert marker == before[0] and rows >= before[1]  # the same store, nothing lost
        answer = platform.phone("unlock", "--member", "1003", "--facility", "h1t-shibuya", "--door", "booth-a")
        assert answer.get("result") == "opened", answer

        assert board.run("apt-get remove -y -qq officepass-door").returncode == 0  # remove keeps the data...
        assert board.pid_of("officepass-lockd") is None and store_facts(board)[0] == marker
        run_steps(board, upgrade)  # ...and the same install command carries on where it stopped
        assert board.pid_of("officepass-lockd") is not None and store_facts(board)[0] == marker
    finally:
        platform.process.terminate()
        platform.process.wait(10)
        platform.broker.stop()


def test_the_runbook_s_blocks_are_what_the_test_runs() -> None:
    sections = [step.section for step in runbook_steps()]
    assert sections == ["1. Install the package", "2. Set the site up and start it", "3. Check it", "5. Upgrade"]
