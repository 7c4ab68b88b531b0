"""The built wheel works outside the repository: its demo, its stand-in platform and its error messages.

The wheel is built from this checkout and installed, without dependencies, into a fresh venv; the
dependencies come from the project's own venv through a plain path entry (not its .pth files, so
the editable install of this checkout stays out of sight). Every command runs from another folder.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sysconfig
import venv
import zipfile
from pathlib import Path

import pytest
import requests

from simulator.broker import free_port
from tests.conftest import CONFIG_DIR, REPO
from tests.notify import kiosk_site_file, notify_socket
from tests.test_lockd_resilience import write_site_file


@pytest.fixture(scope="module")
def installed(project_wheel: Path, tmp_path_factory) -> Path:
    """A fresh venv holding only the wheel; its bin folder."""
    work, wheel = tmp_path_factory.mktemp("installed"), project_wheel
    venv.create(work / "venv", with_pip=True)
    python = work / "venv" / "bin" / "python"
    subprocess.run(
        [str(python), "-m", "pip", "install", "-q", "--no-deps", str(wheel)], check=True, capture_output=True
    )
    site = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    Path(site, "dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return work / "venv" / "bin"


@pytest.mark.timeout(600)
def test_the_installed_demo_runs_from_another_folder_with_nothing_lost(installed: Path, tmp_path: Path) -> None:
    program = "import facility, facility.packaged as e; print(facility.__file__); print(e.SEED)"
    where = subprocess.run(
        [str(installed / "python"), "-c", program], check=True, capture_output=True, text=True, cwd=tmp_path
    ).stdout.split()
    assert all(str(REPO) not in line for line in where)  # the wheel's code and data, not this checkout's
    result = subprocess.run(
        [str(installed / "officepass-sim"), "demo", "--headless", "--json"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    summary = json.loads(result.stdout)
    assert summary["lost"] == 0 and summary["check_ins"]["admitted"] == 4


def test_the_installed_platform_starts_with_its_shipped_seed(installed: Path, tmp_path: Path) -> None:
    port = free_port()
    process = subprocess.Popen(
        [str(installed / "officepass-sim"), "platform", "--port", str(port)],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert "serving" in process.stdout.readline()
        keys = requests.get(f"http://127.0.0.1:{port}/v1/keys", timeout=5).json()["keys"]
        assert keys[0]["key_id"] == "0075557c"
    finally:
        process.terminate()
        process.wait(10)


@pytest.mark.parametrize(
    "command",
    [
        ["officepass-kiosk", "--check-config", "missing.toml"],
        ["officepass-lockd", "--config", "missing.toml"],
        ["officepass-site", "doctor", "--config", "missing.toml"],
        ["officepass-sim", "platform", "--seed", "missing.toml"],
    ],
    ids=["kiosk", "lockd", "doctor", "platform"],
)
def test_a_user_error_is_a_message_and_an_exit_code_never_a_traceback(
    installed: Path, tmp_path: Path, command: list[str]
) -> None:
    result = subprocess.run(
        [str(installed / command[0]), *command[1:]], cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    assert result.returncode != 0 and "Traceback" not in result.stdout + result.stderr
    assert "missing.toml" in result.stdout + result.stderr


def venv_with(wheel: Path, folder: Path, extra: str) -> Path:
    """A fresh venv holding the wheel with one extra only (or none), its dependencies installed for real; its bin."""
    venv.create(folder / "venv", with_pip=True)
    subprocess.run(
        [
            str(folder / "venv" / "bin" / "python"),
            "-m",
            "pip",
            "install",
            "-q",
            f"{wheel}[{extra}]" if extra else str(wheel),
        ],
        check=True,
        capture_output=True,
        timeout=600,
    )
    return folder / "venv" / "bin"


@pytest.fixture(scope="module")
def lockd_only(project_wheel: Path, tmp_path_factory) -> Path:
    """A fresh venv holding the wheel with lockd's extra only; its bin folder."""
    return venv_with(project_wheel, tmp_path_factory.mktemp("lockd-only"), "lockd")


def test_the_wheel_leaves_the_benchmarks_out_and_registers_the_hardware_by_name(project_wheel: Path) -> None:
    with zipfile.ZipFile(project_wheel) as wheel:
        names = wheel.namelist()
        entry_points = wheel.read(next(name for name in names if name.endswith(".dist-info/entry_points.txt")))
    assert {name.split("/")[0] for name in names if name.endswith(".py")} == {
        "facility",
        "messagebus",
        "kiosk",
        "lockd",
        "simulator",
        "technician",
        "officepass_examples",
        "officepass_deploy",
    }  # no benchmarks, no tests
    sections = entry_points.decode().split("\n[")
    doors = next(section for section in sections if section.startswith("officepass.door_drivers]"))
    cameras = next(section for section in sections if section.startswith("officepass.cameras]"))
    assert "gpio = lockd.gpio:GpioDriver" in doors and "simulated = simulator.door:technician_doors" in doors
    assert "simulated = simulator.camera:paced_camera" in cameras


def test_a_door_board_installs_lockd_without_qt_or_opencv_and_it_runs(
    lockd_only: Path, broker, real_time_platform, tmp_path: Path
) -> None:
    for heavy in ("PySide6", "cv2", "zxingcpp"):
        assert (
            subprocess.run([str(lockd_only / "python"), "-c", f"import {heavy}"], capture_output=True).returncode != 0
        )
    config = write_site_file(tmp_path, broker, real_time_platform.server.url)
    assert (
        subprocess.run(
            [str(lockd_only / "officepass-lockd"), "--check-config", str(config)],
            cwd=tmp_path,
            capture_output=True,
            text=True,
        ).returncode
        == 0
    )
    with notify_socket(tmp_path) as (systemd, notify_path):
        lockd = subprocess.Popen(
            [str(lockd_only / "officepass-lockd"), "--config", str(config)],
            cwd=tmp_path,
            env=os.environ | {"NOTIFY_SOCKET": notify_path},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            assert systemd.recv(100) == b"READY=1"  # connected, synced, listening: a door controller at work
            lockd.send_signal(signal.SIGTERM)
            assert lockd.wait(30) == 0
        finally:
            lockd.kill()


def test_the_kiosk_without_its_extra_says_what_to_install(lockd_only: Path, tmp_path: Path) -> None:
    result = subprocess.run(
        [str(lockd_only / "officepass-kiosk"), "--config", "site.toml"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1 and "officepass-edge[kiosk]" in result.stderr and "Traceback" not in result.stderr


# --- each extra alone: every console script helps, and doctor names what is missing ---------------------------------

SCRIPTS = ("officepass-kiosk", "officepass-lockd", "officepass-sim", "officepass-site")
EXTRAS = {"base": "", "sim": "sim", "all": "all"}  # lockd and the kiosk alone: their own fixtures


@pytest.fixture(scope="module")
def kiosk_only(project_wheel: Path, tmp_path_factory) -> Path:
    """A fresh venv holding the wheel with the kiosk's extra only; its bin folder."""
    return venv_with(project_wheel, tmp_path_factory.mktemp("kiosk-only"), "kiosk")


@pytest.fixture(scope="module", params=["base", "lockd", "kiosk", "sim", "all"])
def alone(request, project_wheel: Path, lockd_only: Path, kiosk_only: Path, tmp_path_factory) -> tuple[str, Path]:
    """A venv with the wheel and one extra (or none): the extra's name and the venv's bin folder."""
    if request.param in ("lockd", "kiosk"):
        return request.param, {"lockd": lockd_only, "kiosk": kiosk_only}[request.param]
    return request.param, venv_with(project_wheel, tmp_path_factory.mktemp(request.param), EXTRAS[request.param])


def test_a_reception_pc_installs_the_kiosk_without_gpio_and_it_starts(kiosk_only: Path, tmp_path: Path) -> None:
    assert subprocess.run([str(kiosk_only / "python"), "-c", "import gpiozero"], capture_output=True).returncode != 0
    site = kiosk_site_file(tmp_path)
    with notify_socket(tmp_path, 60) as (systemd, notify_path):
        kiosk = subprocess.Popen(
            [str(kiosk_only / "officepass-kiosk"), "--config", str(site), "--windowed"],
            cwd=tmp_path,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=os.environ | {"QT_QPA_PLATFORM": "offscreen", "NOTIFY_SOCKET": notify_path},
        )
        try:
            assert systemd.recv(100) == b"READY=1"  # Qt, OpenCV and zxing-cpp from the kiosk's extra alone
            kiosk.send_signal(signal.SIGTERM)
            assert kiosk.wait(30) == 0
        finally:
            kiosk.kill()


def test_every_console_script_helps_whatever_extra_is_installed(alone: tuple[str, Path], tmp_path: Path) -> None:
    _, bin_dir = alone
    for script in SCRIPTS:
        result = subprocess.run(
            [str(bin_dir / script), "--help"], cwd=tmp_path, capture_output=True, text=True, timeout=60
        )
        assert result.returncode == 0 and "usage:" in result.stdout, result.stdout + result.stderr


def doctor_sites(tmp_path: Path) -> dict[str, Path]:
    """A door site with a GPIO door and a reception site, pointed at a broker and a platform that are not there."""
    sites = {}
    for name, example in (("door", "h1t-shibuya.toml"), ("reception", "kaikatsu-ikebukuro.toml")):
        text = (CONFIG_DIR / example).read_text().replace("port = 1883", "port = 1").replace("8710", "1")
        sites[name] = tmp_path / example
        sites[name].write_text(
            text.replace('"demo-keys/', f'"{CONFIG_DIR}/demo-keys/').replace('"../var/', f'"{tmp_path}/')
        )
    return sites


def test_doctor_runs_with_any_extra_and_names_each_missing_one_in_a_line(
    alone: tuple[str, Path], tmp_path: Path
) -> None:
    extra, bin_dir = alone
    for site, path in doctor_sites(tmp_path).items():
        result = subprocess.run(
            [str(bin_dir / "officepass-site"), "doctor", "--config", str(path), "--timeout", "1"],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=120,
        )
        said = result.stdout + result.stderr
        assert "Traceback" not in said and result.returncode == 1, said  # nothing listens: FAIL, never a crash
        gpio_missing = site == "door" and extra not in ("lockd", "sim", "all")
        kiosk_missing = site == "reception" and extra not in ("kiosk", "sim", "all")
        assert ("pip install 'officepass-edge[lockd]'" in said) == gpio_missing, said
        assert ("pip install 'officepass-edge[kiosk]'" in said) == kiosk_missing, said


def test_lockd_on_a_gpio_door_says_in_one_line_what_it_lacks(alone: tuple[str, Path], tmp_path: Path) -> None:
    extra, bin_dir = alone
    result = subprocess.run(
        [str(bin_dir / "officepass-lockd"), "--config", str(doctor_sites(tmp_path)["door"])],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 1 and "Traceback" not in result.stderr and len(lines) == 1, result.stderr
    if extra in ("lockd", "sim", "all"):  # gpiozero and lgpio are there; this test machine has no GPIO chip
        assert "pin factory 'lgpio' cannot open the GPIO chip" in lines[0]
    else:
        assert lines[0] == (
            "officepass-lockd: GPIO doors need gpiozero, which is not installed here: pip install "
            "'officepass-edge[lockd]' (the Debian package officepass-door brings it)"
        )


def test_a_door_board_s_install_never_loads_qt_or_opencv_for_its_tools(lockd_only: Path, tmp_path: Path) -> None:
    program = (
        "import sys, technician.sim_cli, technician.cli, technician.doctor, lockd.cli; "
        "print(sorted(m for m in ('PySide6', 'cv2', 'zxingcpp', 'numpy') if m in sys.modules))"
    )
    loaded = subprocess.run(
        [str(lockd_only / "python"), "-c", program], cwd=tmp_path, capture_output=True, text=True, check=True
    ).stdout.strip()
    assert loaded == "[]"
