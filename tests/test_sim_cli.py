"""`officepass-sim`: each technician subcommand against a running platform and broker."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import threading

import cv2
import pytest
import requests

from kiosk.decoding import ZxingDecoder
from simulator.broker import free_port
from technician.sim_cli import build_parser, main
from tests.conftest import REPO
from tests.rulebook import H1T, tomorrow_at_ten
from tests.stand_ins import AnsweringDoor

SUBCOMMANDS = [
    "platform",
    "member",
    "reserve",
    "cancel",
    "pass",
    "scan-desk",
    "unlock",
    "watch-door",
    "demo",
    "panel",
]


@pytest.fixture
def platform(real_time_platform):
    """The platform on the real clock: the simulator's commands read times like '+3h' from it; no dated rule decides."""
    return real_time_platform


def run(platform, capsys, *args: str) -> tuple[int, dict]:
    """Run a subcommand against the platform; its exit code and JSON output."""
    code = main(["--platform", platform.server.url, *args])
    return code, json.loads(capsys.readouterr().out.strip().splitlines()[-1])


@pytest.mark.parametrize("name", SUBCOMMANDS)
def test_every_subcommand_has_help_with_an_example(name: str, capsys) -> None:
    with pytest.raises(SystemExit) as done:
        build_parser().parse_args([name, "--help"])
    assert done.value.code == 0 and "example: officepass-sim " + name in capsys.readouterr().out


def test_member_reserve_and_cancel(platform, capsys) -> None:
    code, member = run(platform, capsys, "member", "--name", "山本 さくら", "--plan", "corporate")
    assert code == 0 and member["status"] == 201
    tomorrow_morning = tomorrow_at_ten(
        platform.state.clock
    ).isoformat()  # inside H1T's daily 8:00-21:00 whenever the test runs
    code, booked = run(
        platform,
        capsys,
        "reserve",
        "--member",
        str(member["member_id"]),
        "--facility",
        "h1t-shibuya",
        "--room",
        "booth-b",
        "--start",
        tomorrow_morning,
        "--minutes",
        "45",
    )
    assert code == 0 and booked["room_id"] == "booth-b"
    code, cancelled = run(
        platform, capsys, "cancel", "--member", str(member["member_id"]), "--reservation", str(booked["reservation_id"])
    )
    assert code == 0 and cancelled["cancelled"] is True


def test_a_refusal_prints_the_reason_and_exits_1(platform, capsys) -> None:
    code, refused = run(
        platform,
        capsys,
        "reserve",
        "--member",
        "1002",
        "--facility",
        "h1t-shibuya",
        "--room",
        "booth-b",
        "--start",
        "+200h",
    )
    assert code == 1 and refused["error"] == "booking_too_early" and refused["message_ja"]


def test_pass_png_shows_a_readable_pass(platform, capsys, tmp_path) -> None:
    code, shown = run(platform, capsys, "pass", "--member", "1001", "--out", str(tmp_path / "p.png"), "--dark")
    assert code == 0
    assert [d.text for d in ZxingDecoder().decode(cv2.imread(shown["png"]))] == [shown["pass"]]


def test_unlock_opens_for_the_booker_and_exits_1_otherwise(platform, bus_client, capsys) -> None:
    AnsweringDoor(bus_client(), H1T, "booth-a")
    code, answer = run(platform, capsys, "unlock", "--member", "1003", "--facility", "h1t-shibuya", "--door", "booth-a")
    assert (code, answer["result"]) == (0, "opened")
    code, answer = run(platform, capsys, "unlock", "--member", "1001", "--facility", "h1t-shibuya", "--door", "booth-a")
    assert (code, answer["error"]) == (1, "not_booker")  # 1003 holds booth-a now


def test_watch_door_prints_what_the_door_publishes(broker, bus_client, tmp_path, capsys) -> None:
    (tmp_path / "pw").write_text("lockd-secret")
    result: list[int] = []
    watcher = threading.Thread(
        target=lambda: result.append(
            main(
                [
                    "watch-door",
                    "--facility",
                    "h1t-shibuya",
                    "--door",
                    "booth-a",
                    "--count",
                    "1",
                    "--broker-port",
                    str(broker.port),
                    "--broker-user",
                    "lockd",
                    "--broker-password-file",
                    str(tmp_path / "pw"),
                ]
            )
        )
    )
    bus_client(user="platform").publish("officepass/h1t-shibuya/door/booth-a/state", b"LOCKED", retain=True)
    watcher.start()
    watcher.join(15)
    assert result == [0]
    assert "officepass/h1t-shibuya/door/booth-a/state LOCKED" in capsys.readouterr().out


def test_platform_subcommand_serves_until_interrupted(broker, tmp_path) -> None:
    (tmp_path / "pw").write_text("platform-secret")
    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "technician.sim_cli",
            "platform",
            "--seed",
            "config/simulator/seed.toml",
            "--port",
            str(port),
            "--broker-port",
            str(broker.port),
            "--broker-user",
            "platform",
            "--broker-password-file",
            str(tmp_path / "pw"),
        ],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout.readline().startswith(f"platform serving http://127.0.0.1:{port}/v1, broker")
        assert requests.get(f"http://127.0.0.1:{port}/v1/keys", timeout=5).status_code == 200
        process.send_signal(signal.SIGINT)
        assert process.wait(10) == 0
    finally:
        process.kill()
