"""`officepass-site doctor` says in plain words what works and what does not, with a fix for each problem."""

from __future__ import annotations

import subprocess
import threading
import time
from pathlib import Path

import cv2
import numpy as np
import pytest
import requests

from facility.config import FacilityConfig, load_config
from facility.loop import LoopHealth
from facility.metrics import MetricsEndpoint
from facility.tokens import SigningKey
from kiosk.security import hash_pin
from simulator.broker import free_port
from technician import doctor as doctor_module
from technician.cli import main
from technician.doctor import Findings, check_loops
from technician.doctor_local import (
    ClockReading,
    camera_fix,
    check_camera,
    check_clock,
    check_demo_secrets,
    timedatectl_reading,
)
from tests.conftest import CONFIG_DIR
from tests.test_lockd_resilience import write_site_file

KAIKATSU = load_config(CONFIG_DIR / "kaikatsu-ikebukuro.toml")
H1T = load_config(CONFIG_DIR / "h1t-shibuya.toml")
SYNCED = ClockReading(True, "a synchronised test clock")


@pytest.fixture
def synced_machine(monkeypatch) -> None:
    """This machine's clock reads as synchronised, whatever the machine running the tests says."""
    monkeypatch.setattr(doctor_module, "system_clock", lambda: SYNCED)


def test_a_healthy_site_with_lockd_running(site, broker, tmp_path: Path, capsys, synced_machine) -> None:
    config = write_site_file(tmp_path, broker, site.platform.server.url)
    assert main(["doctor", "--config", str(config), "--timeout", "3"]) == 0
    out = capsys.readouterr().out
    assert (
        "OK    platform" in out
        and "accepts 'lockd'" in out
        and "door booth-a (ブースA扉 / Booth A door): LOCKED" in out
    )
    assert "OK    the clock is synchronised (a synchronised test clock)" in out
    assert out.strip().endswith("all good")


def test_a_wrong_password_and_a_dead_platform_are_named_with_their_fixes(
    broker, platform, tmp_path: Path, capsys, synced_machine
) -> None:
    config = write_site_file(tmp_path, broker, "http://127.0.0.1:9/v1")
    (tmp_path / "pw").write_text("not-the-password")
    assert main(["doctor", "--config", str(config), "--timeout", "2"]) == 1
    lines = capsys.readouterr().out.splitlines()
    refused = next(n for n, line in enumerate(lines) if line.startswith("FAIL  the broker at"))
    assert (
        f"127.0.0.1:{broker.port} refuses the login of 'lockd' (Not authorized (0x87)): wrong password"
        in lines[refused]
    )
    assert lines[refused + 1].startswith(
        "      fix: officepass-site setup --config /etc/officepass/site.toml --start "
        "writes every broker user's password again"
    )
    assert "mosquitto_passwd /etc/mosquitto/officepass.passwd lockd" in lines[refused + 1]
    unreachable = next(n for n, line in enumerate(lines) if line.startswith("FAIL  cannot reach the platform at"))
    assert (
        lines[unreachable + 1]
        == "      fix: check [platform] base_url and this board's network: curl http://127.0.0.1:9/v1/keys"
    )
    assert lines[-1] == "2 problem(s) found"


def test_a_broker_that_is_down_is_not_called_a_wrong_password(
    broker, platform, tmp_path: Path, capsys, synced_machine
) -> None:
    config = write_site_file(tmp_path, broker, platform.server.url)
    broker.stop()
    assert main(["doctor", "--config", str(config), "--timeout", "2"]) == 1
    out = capsys.readouterr().out
    assert (
        f"FAIL  no broker at 127.0.0.1:{broker.port} (connection refused): it is down or listens on another port" in out
    )
    assert "      fix: on the broker: systemctl status mosquitto" in out
    assert "password" not in out.split("FAIL  no broker")[1]


def test_a_broken_file_is_explained(tmp_path: Path, capsys) -> None:
    (tmp_path / "bad.toml").write_text("[facility]\nid = 'x'\n")
    assert main(["doctor", "--config", str(tmp_path / "bad.toml")]) == 1
    assert "the facility file is not valid" in capsys.readouterr().out


def test_the_doctor_reads_each_program_s_loops_from_its_metrics(tmp_path: Path) -> None:
    port = free_port()
    lockd = MetricsEndpoint()
    lockd.watch_loops(
        "lockd",
        lambda: [
            LoopHealth("reservation-sync", True, 40, 0, 0, "", 3.0),
            LoopHealth("trust-refresh", True, 2, 7, 1, "401 unauthorized", 600.0),
        ],
    )
    lockd.serve(port)
    try:
        cfg = H1T.model_copy(update={"lockd": H1T.lockd_settings.model_copy(update={"metrics_port": port})})
        found = Findings()
        check_loops(cfg, found, 3)
    finally:
        lockd.stop()
    assert "OK    lockd loop reservation-sync: running (0 failure(s), 0 restart(s) so far)" in found.lines
    assert (
        "WARN  lockd loop trust-refresh: failing, stalled or stopped (last good round 600 s ago, 7 failure(s), "
        "1 restart(s)); see the program's log"
    ) in found.lines


# --- the clock -------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("reading", "expected"),
    [
        (
            ClockReading(True, "timedatectl NTPSynchronized=yes"),
            ["OK    the clock is synchronised (timedatectl NTPSynchronized=yes)"],
        ),
        (
            ClockReading(False, "timedatectl NTPSynchronized=no"),
            [
                (
                    "FAIL  the clock is not synchronised (timedatectl NTPSynchronized=no): "
                    "passes and codes are judged by it. "
                    "lockd refuses every command until it is."
                ),
                (
                    "      fix: apt-get install chrony (or systemctl enable --now systemd-timesyncd); "
                    "then chronyc tracking shows the source"
                ),
            ],
        ),
        (
            ClockReading(None, "neither timedatectl nor the kernel's adjtimex answered"),
            [
                (
                    "WARN  cannot tell whether the clock is synchronised "
                    "(neither timedatectl nor the kernel's adjtimex answered)"
                ),
                "      fix: check by hand: chronyc tracking, or timedatectl timesync-status",
            ],
        ),
    ],
    ids=["synchronised", "not", "cannot-tell"],
)
def test_the_clock_is_judged_from_the_reading_it_is_given(reading: ClockReading, expected: list[str]) -> None:
    found = Findings()
    check_clock(H1T, found, reading)
    assert found.lines == expected and found.failures == (reading.synchronised is False)


def test_an_unsynchronised_kiosk_is_not_told_about_lockd() -> None:
    found = Findings()
    check_clock(KAIKATSU, found, ClockReading(False, "timedatectl NTPSynchronized=no"))
    assert found.failures == 1 and "lockd" not in found.lines[0]


def _timedatectl(stdout: str, code: int = 0):
    """A stand-in for subprocess.run answering as timedatectl would."""

    def run(command: list[str], **_) -> subprocess.CompletedProcess:
        assert command == ["timedatectl", "show", "-p", "NTPSynchronized", "--value"]
        return subprocess.CompletedProcess(command, code, stdout, "")

    return run


def _no_timedatectl(command: list[str], **_) -> subprocess.CompletedProcess:
    raise FileNotFoundError("timedatectl")


def test_timedatectl_is_read_and_its_silence_is_not_taken_for_an_answer() -> None:
    assert timedatectl_reading(_timedatectl("yes\n")) == ClockReading(True, "timedatectl NTPSynchronized=yes")
    assert timedatectl_reading(_timedatectl("no\n")) == ClockReading(False, "timedatectl NTPSynchronized=no")
    assert timedatectl_reading(_timedatectl("", 1)) is None  # "System has not been booted with systemd"
    assert timedatectl_reading(_no_timedatectl) is None


# --- demo secrets ----------------------------------------------------------------------------------------------------


def _on_a_real_site(cfg: FacilityConfig) -> FacilityConfig:
    """The file as if its broker and platform were elsewhere (not a bench on this machine)."""
    return cfg.model_copy(
        update={
            "platform": cfg.platform.model_copy(update={"base_url": "https://platform.example/v1"}),
            "mqtt": cfg.mqtt_settings.model_copy(update={"host": "broker.example", "tls": True}),
        }
    )


def test_the_demo_pin_and_demo_keys_are_problems_on_a_site() -> None:
    found = Findings()
    check_demo_secrets(_on_a_real_site(KAIKATSU), found)
    fails = [line for line in found.lines if line.startswith("FAIL")]
    assert len(fails) == found.failures == 4
    assert "FAIL  the staff PIN is the demo PIN 2580, which anyone can read in the repository" in fails
    assert any("is the demo key 0075557c (config/demo-keys/platform-demo.pem)" in line for line in fails)
    assert any("front-desk codes with the demo key 1c3fcaa8" in line for line in fails)
    assert any("the broker password of 'kiosk-kaikatsu-ikebukuro' is the demo one" in line for line in fails)
    assert "      fix: officepass-kiosk --hash-pin, and put the hash in [kiosk] staff_pin_hash" in found.lines


def test_on_this_machine_s_bench_the_demo_secrets_are_only_noted() -> None:
    found = Findings()
    check_demo_secrets(KAIKATSU, found)
    assert found.failures == 0 and sum(line.startswith("WARN") for line in found.lines) == 4
    assert all("never on a site" in line for line in found.lines if line.startswith("WARN"))


def test_a_site_with_its_own_pin_keys_and_password_passes(tmp_path: Path) -> None:
    key, platform_key = tmp_path / "kiosk.pem", SigningKey.generate()
    SigningKey.generate().save(key)
    (tmp_path / "mqtt.pass").write_text("a-password-of-this-site")
    cfg = _on_a_real_site(KAIKATSU)
    cfg = cfg.model_copy(
        update={
            "kiosk": cfg.kiosk_settings.model_copy(
                update={"staff_pin_hash": hash_pin("7391"), "signing_key_file": key}
            ),
            "mqtt": cfg.mqtt_settings.model_copy(update={"password_file": tmp_path / "mqtt.pass"}),
            "tokens": cfg.tokens.model_copy(
                update={
                    "trusted_keys": [
                        cfg.tokens.trusted_keys[0].model_copy(
                            update={"public_key": platform_key.public_b64, "name": "platform 2026-11"}
                        )
                    ]
                }
            ),
        }
    )
    found = Findings()
    check_demo_secrets(cfg, found)
    assert found.lines == ["OK    no demo PIN, demo key or demo broker password in use"]


# --- the camera ------------------------------------------------------------------------------------------------------


def _kiosk_camera(setting: str) -> FacilityConfig:
    """The Kaikatsu file with its camera set, as on a site."""
    return KAIKATSU.model_copy(update={"kiosk": KAIKATSU.kiosk_settings.model_copy(update={"camera": setting})})


def test_a_camera_file_that_opens_gives_its_picture_size(tmp_path: Path) -> None:
    video = tmp_path / "desk.avi"
    writer = cv2.VideoWriter(str(video), cv2.VideoWriter_fourcc(*"MJPG"), 10, (320, 240))
    for _ in range(3):
        writer.write(np.full((240, 320, 3), 128, np.uint8))
    writer.release()
    found = Findings()
    check_camera(_kiosk_camera(str(video)), found, 3, running=None)
    assert found.lines == [f"OK    camera {str(video)!r} opens and gives 320x240 pictures"]


def test_a_camera_that_cannot_be_opened_fails_with_what_to_check(tmp_path: Path) -> None:
    missing = str(tmp_path / "no-such-camera.avi")
    found = Findings()
    check_camera(_kiosk_camera(missing), found, 1, running=None)
    assert found.lines == [
        f"FAIL  camera {missing!r} gives no picture (opened here, no picture within 1 s)",
        f"      fix: check that {missing!r} exists and that OpenCV can read it",
    ]


def test_a_stream_that_hangs_cannot_hold_the_doctor() -> None:
    released = threading.Event()

    class Hanging:
        def read(self) -> None:
            released.wait(30)

        def close(self) -> None:
            raise AssertionError("a source is never released under a read")

    found = Findings()
    check_camera(
        _kiosk_camera("rtsp://camera.example/stream"),
        found,
        0.5,
        running=None,
        sources={"rtsp://camera.example/stream": lambda setting: Hanging()},
    )
    released.set()
    assert found.failures == 1 and found.lines[1].startswith("      fix: check the URL, its user and password")


def test_a_device_number_s_fix_names_the_device_the_group_and_a_kiosk_holding_it() -> None:
    fix = camera_fix("0")
    assert "ls /dev/video0" in fix and "group video" in fix and "systemctl stop officepass-kiosk" in fix


def test_the_simulated_camera_is_a_problem_only_on_a_site() -> None:
    bench, site = Findings(), Findings()
    check_camera(KAIKATSU, bench, 3, running=None)
    check_camera(_on_a_real_site(KAIKATSU), site, 3, running=None)
    assert bench.failures == 0 and "OK    camera 'simulated' opens and gives 1280x720 pictures" in bench.lines
    assert site.lines[0] == "FAIL  [kiosk] camera = 'simulated' is the simulator's camera"


def test_a_running_kiosk_s_camera_is_read_from_its_metrics(qtbot, camera, platform, tmp_path, wall_clock) -> None:
    from kiosk.app import KioskApp
    from technician.doctor import running_kiosk_camera
    from tests.test_kiosk_ui import kiosk_config

    port = free_port()
    cfg = kiosk_config(platform.server.url)
    cfg = cfg.model_copy(update={"kiosk": cfg.kiosk_settings.model_copy(update={"metrics_port": port, "camera": "0"})})
    scrape = f"http://127.0.0.1:{port}/metrics"
    assert running_kiosk_camera(cfg, 1) is None  # no kiosk yet: doctor opens the camera itself
    app = KioskApp(cfg, camera, data_dir=tmp_path, clock=wall_clock)
    app.start(full_screen=False)
    try:
        qtbot.waitUntil(lambda: "officepass_kiosk_camera_ok 1.0" in requests.get(scrape, timeout=5).text, timeout=10000)
        assert running_kiosk_camera(cfg, 3) is True
        camera.unplug()
        qtbot.waitUntil(lambda: running_kiosk_camera(cfg, 3) is False, timeout=10000)
        found = Findings()
        check_camera(cfg, found, 3, running_kiosk_camera(cfg, 3))
    finally:
        app.stop()
    assert found.lines[0] == "FAIL  camera '0' gives no picture (as the kiosk running here reports in its metrics)"
    assert "ls /dev/video0" in found.lines[1]


def test_doctor_asks_a_running_lockd_rather_than_taking_its_broker_login(
    broker, platform, tmp_path: Path, capsys, synced_machine
) -> None:
    from tests.test_lockd_resilience import start_lockd

    port = free_port()
    config = write_site_file(tmp_path, broker, platform.server.url)
    config.write_text(
        config.read_text().replace('clock_check = "sanity"', f'clock_check = "sanity"\nmetrics_port = {port}')
    )
    lockd = start_lockd(config, tmp_path)
    try:

        def connected() -> bool:
            try:
                return (
                    "officepass_lockd_broker_connected 1.0"
                    in requests.get(f"http://127.0.0.1:{port}/metrics", timeout=1).text
                )
            except requests.RequestException:
                return False

        deadline = time.monotonic() + 20
        while not connected() and time.monotonic() < deadline:
            threading.Event().wait(0.1)  # polling an outside process's metrics: no signal to wait on
        assert connected()
        kicked_before = sum("already connected" in line for line in broker.log)
        assert main(["doctor", "--config", str(config), "--timeout", "3"]) == 0
        out = capsys.readouterr().out
        assert f"OK    lockd running here is connected to the broker at 127.0.0.1:{broker.port}" in out
        assert "OK    door booth-a (ブースA扉 / Booth A door): LOCKED" in out
        assert sum("already connected" in line for line in broker.log) == kicked_before  # lockd kept its session
        assert connected()
    finally:
        lockd.kill()
        lockd.wait(10)
