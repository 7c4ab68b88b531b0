"""The board packages as scripts/build_packages.py builds them: what each carries, the arm64 door package built
without emulation, the kiosk's package on a fresh Debian 12 board with its program starting, and a door package
removed (data kept) then purged (data gone). The runbook itself is tests/test_runbook.py."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.board.packages import build_package
from tests.board.root import Board, missing_tools
from tests.conftest import CONFIG_DIR

pytestmark = [pytest.mark.board, pytest.mark.timeout(1500)]
ELF_MACHINES = {62: "x86_64", 183: "aarch64"}


@pytest.fixture(scope="module")
def built(project_wheel: Path, tmp_path_factory) -> dict[str, Path]:
    """door and kiosk for amd64, and door for arm64."""
    out = tmp_path_factory.mktemp("packages")
    return {
        f"{key}-{arch}": build_package(project_wheel, key, out, arch)
        for key, arch in (("door", "amd64"), ("kiosk", "amd64"), ("door", "arm64"))
    }


def contents(package: Path) -> dict[str, str]:
    """Each path in a package (without the leading '.'), with its mode string and, for a link, its target."""
    listing = subprocess.run(
        ["dpkg-deb", "--contents", str(package)], check=True, capture_output=True, text=True
    ).stdout
    files = {}
    for line in listing.splitlines():
        fields = line.split(maxsplit=5)
        name, _, target = fields[5].partition(" -> ")
        files[name.removeprefix(".").rstrip("/") or "/"] = f"{fields[0]} {target}".strip()
    return files


def field(package: Path, name: str) -> str:
    """A control field."""
    return subprocess.run(
        ["dpkg-deb", "--field", str(package), name], check=True, capture_output=True, text=True
    ).stdout.strip()


def control_file(package: Path, name: str, tmp_path: Path) -> Path:
    """One maintainer script or control file, extracted."""
    subprocess.run(["dpkg-deb", "--control", str(package), str(tmp_path / "control")], check=True)
    return tmp_path / "control" / name


def test_the_door_package_carries_the_program_its_unit_rule_alerts_and_docs(built, tmp_path: Path) -> None:
    package = built["door-amd64"]
    files = contents(package)
    venv = "/opt/officepass/door"
    for path in (
        f"{venv}/bin/officepass-lockd",
        f"{venv}/bin/officepass-site",
        f"{venv}/pyvenv.cfg",
        "/lib/systemd/system/officepass-lockd.service",
        "/lib/udev/rules.d/99-officepass-gpio.rules",
        "/usr/share/officepass-door/prometheus/officepass-alerts.yml",
        "/usr/share/officepass-door/mosquitto/officepass.conf",
        "/usr/share/doc/officepass-door/lockd.md",  # where the unit's Documentation= points
        "/usr/share/doc/officepass-door/deploy.md",
        "/usr/share/doc/officepass-door/copyright",
    ):
        assert path in files, path
    assert files["/usr/bin/officepass-lockd"] == f"lrwxrwxrwx {venv}/bin/officepass-lockd"  # on PATH
    assert files[f"{venv}/bin/python3.11"] == "lrwxrwxrwx /usr/bin/python3.11"  # Debian's own Python
    site = f"{venv}/lib/python3.11/site-packages"
    assert f"{site}/lgpio.py" in files and f"{site}/gpiozero" in files  # the pin factory that drives a Pi
    assert not [path for path in files if path.startswith((f"{site}/PySide6", f"{site}/cv2"))]  # no Qt, no OpenCV
    assert f"{site}/lockd/__pycache__/daemon.cpython-311.pyc" in files  # compiled: nothing written under /opt
    assert "python3.11" in field(package, "Depends") and field(package, "Architecture") == "amd64"
    for script in ("postinst", "prerm", "postrm"):
        text = control_file(package, script, tmp_path).read_text()
        assert "@" not in text.replace("user@", ""), f"{script}: a placeholder left"
        assert subprocess.run(["sh", "-n", str(control_file(package, script, tmp_path))]).returncode == 0


def test_the_kiosk_package_carries_qt_opencv_and_its_unit_and_needs_cage(built) -> None:
    package = built["kiosk-amd64"]
    files = contents(package)
    site = "/opt/officepass/kiosk/lib/python3.11/site-packages"
    assert (
        "/lib/systemd/system/officepass-kiosk.service" in files and "/usr/share/doc/officepass-kiosk/kiosk.md" in files
    )
    assert f"{site}/PySide6" in files and f"{site}/cv2" in files and f"{site}/zxingcpp" in "".join(files)
    assert f"{site}/lgpio.py" not in files
    assert {"cage", "fonts-noto-cjk", "libzbar0", "alsa-utils"} <= {
        dep.split()[0] for dep in field(package, "Depends").split(", ")
    }


def elf_machine(path: Path) -> int:
    """e_machine of an ELF file."""
    with path.open("rb") as elf:
        header = elf.read(20)
    return int.from_bytes(header[18:20], "little")


def test_the_arm64_door_package_is_aarch64_through_and_through(built, tmp_path: Path) -> None:
    package = built["door-arm64"]
    assert field(package, "Architecture") == "arm64"
    subprocess.run(["dpkg-deb", "--extract", str(package), str(tmp_path / "tree")], check=True)
    machines = {
        elf_machine(path)
        for path in (tmp_path / "tree").rglob("*")
        if path.is_file() and not path.is_symlink() and path.read_bytes()[:4] == b"\x7fELF"
    }
    assert machines == {183}, {ELF_MACHINES.get(number, number) for number in machines}
    assert (
        tmp_path / "tree" / "opt/officepass/door/lib/python3.11/site-packages/_lgpio.cpython-311-aarch64-linux-gnu.so"
    ).exists()


@pytest.fixture
def board(tmp_path: Path) -> Iterator[Board]:
    """A fresh Debian 12 board."""
    assert not missing_tools(), f"install {', '.join(missing_tools())} (scripts/setup.sh does)"
    made = Board(tmp_path)
    yield made
    made.close()


def install(board: Board, package: Path) -> None:
    """A package, with its dependencies from the mirror, as the runbook installs it."""
    board.at("/root/officepass").mkdir(parents=True, exist_ok=True)
    board.at(f"/root/officepass/{package.name}").write_bytes(package.read_bytes())
    result = board.run(
        f"cd /root/officepass && apt-get update -qq && apt-get install -y -qq --no-install-recommends ./{package.name}"
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]


def test_the_kiosk_package_installs_on_a_fresh_board_and_its_program_starts(board: Board, built) -> None:
    install(board, built["kiosk-amd64"])
    groups = board.run("id -nG officepass-kiosk").stdout.split()
    assert {"officepass-kiosk", "officepass", "video", "input", "audio", "render"} <= set(groups)
    assert board.at("/var/lib/officepass-kiosk").stat().st_mode & 0o777 == 0o700
    starts = (
        "from PySide6.QtWidgets import QApplication, QLabel; import cv2, zxingcpp, kiosk.app; "
        "app = QApplication([]); label = QLabel('ようこそ'); label.show(); app.processEvents(); print('started')"
    )
    result = board.run(
        f"cd /var/lib/officepass-kiosk && QT_QPA_PLATFORM=offscreen setpriv --reuid officepass-kiosk "
        f'--regid officepass-kiosk --init-groups /opt/officepass/kiosk/bin/python -c "{starts}"'
    )
    assert result.stdout.strip().endswith("started"), result.stdout + result.stderr
    site = (
        (CONFIG_DIR / "kaikatsu-ikebukuro.toml")
        .read_text()
        .replace('password_file = "demo-keys/mqtt-kiosk.pass"', 'password_file = "/etc/officepass/kiosk.pass"')
        .replace('"demo-keys/kiosk-demo.pem"', '"/etc/officepass/kiosk.pem"')
        .replace('data_dir = "../var/', 'data_dir = "/var/lib/officepass-kiosk/')
    )
    board.at("/etc/officepass/site.toml").write_text(site)
    result = board.run(
        "apt-get install -y -qq --no-install-recommends mosquitto >/dev/null && "
        "officepass-site setup --config /etc/officepass/site.toml && "
        "officepass-kiosk --check-config /etc/officepass/site.toml"
    )
    assert result.returncode == 0 and "OK for officepass-kiosk" in result.stdout, result.stdout + result.stderr
    assert "give the platform its public key" in result.stdout


def test_remove_keeps_the_store_and_the_site_and_purge_deletes_them(board: Board, built) -> None:
    install(board, built["door-amd64"])
    assert board.run("systemctl is-enabled officepass-lockd").stdout.strip() == "enabled"  # waiting for a site file
    store = board.at("/var/lib/officepass/lockd/lockd.db")
    store.parent.mkdir()
    store.write_bytes(b"the store")
    board.at("/etc/officepass/site.toml").write_text("# the site\n")
    assert board.run("apt-get remove -y -qq officepass-door").returncode == 0
    assert store.read_bytes() == b"the store" and board.at("/etc/officepass/site.toml").exists()
    assert board.run("command -v officepass-site").returncode != 0  # the command went with the programs
    assert board.run("apt-get purge -y -qq officepass-door").returncode == 0
    assert not board.at("/var/lib/officepass").exists() and not board.at("/etc/officepass").exists()
