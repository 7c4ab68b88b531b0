"""lockd when things go wrong: broker restarts, the platform is down, the daemon is killed mid-command."""

from __future__ import annotations

import json
import os
import queue
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from facility.reasons import Reason
from facility.tokens import UnlockCommand, mint, new_id
from lockd.failpoints import KILLED_EXIT_CODE
from simulator.broker import MosquittoBroker
from simulator.clock import ShiftedClock
from tests.conftest import CONFIG_DIR, REPO, bus_settings
from tests.lockd_site import PLATFORM_KEY, TOPICS, Site, site_config, start_site
from tests.notify import notify_socket


def test_a_broker_restart_mid_run_loses_nothing(site: Site, broker: MosquittoBroker) -> None:
    assert site.send(site.command())["result"] == "opened"
    back = threading.Event()
    site.daemon.bus.connection_listeners.append(lambda up: up and back.set())
    broker.restart()
    assert back.wait(15), "lockd did not reconnect"
    assert site.sender.wait_connected(15)
    assert site.next_heard("lockd/availability", timeout=10, where=lambda p: p == b"online")
    assert site.send(site.command())["result"] == "opened"
    assert site.pulses() == 2


def test_with_the_platform_down_the_cache_keeps_serving_then_goes_stale(site: Site) -> None:
    site.platform.server.go_unreachable()
    site.daemon.sync.trigger()
    assert site.send(site.command())["result"] == "opened"  # the cached reservation still opens
    site.clock.shift(31 * 60)  # past stale_after_minutes (30)
    assert not site.daemon.sync.sync_once()
    alarm = json.loads(site.next_heard("lockd/alarm", where=lambda p: json.loads(p)["active"]).payload)
    assert alarm["alarm"] == "reservations_stale" and alarm["error"]
    answer = site.send(site.command(reservation=424242))
    assert (answer["result"], answer["reason"]) == ("refused", Reason.RESERVATIONS_STALE.code)
    assert answer["message_ja"] == Reason.RESERVATIONS_STALE.ja
    site.platform.server.restore()
    assert site.daemon.sync.sync_once()
    assert site.next_heard("lockd/alarm", where=lambda p: not json.loads(p)["active"])


def test_stopping_releases_every_relay_even_mid_pulse(site: Site) -> None:
    assert site.send(site.command())["result"] == "opened"
    assert site.doors["booth-a"].relay_energised or site.pulses() == 1
    site.daemon.stop()
    assert not any(door.relay_energised for door in site.doors.values())
    site.daemon.stop = lambda: None  # already stopped for the fixture's teardown


# --- lockd as its own process ---------------------------------------------------------------------


def write_site_file(tmp_path: Path, broker: MosquittoBroker, platform_url: str, pulse: float = 0.5) -> Path:
    """The H1T example rewritten for this test's broker, platform and data folder, all doors simulated, open
    around the clock (lockd runs as its own process on the real clock: no dated rule may decide these trials)."""
    text = (CONFIG_DIR / "h1t-shibuya.toml").read_text().replace('"08:00-21:00"', '"00:00-24:00"')
    text = text.replace('driver = "gpio"', 'driver = "simulated"').replace(
        "[doors.gpio]\nrelay_pin = 17\nrelay_active_high = true\ncontact_pin = 27\nexit_button_pin = 22\n", ""
    )
    text = text.replace("pulse_seconds = 5", f"pulse_seconds = {pulse}").replace("port = 1883", f"port = {broker.port}")
    text = text.replace('username = "lockd-h1t-shibuya"', 'username = "lockd"')
    text = text.replace(
        'password_file = "demo-keys/mqtt-lockd-h1t-shibuya.pass"', f'password_file = "{tmp_path / "pw"}"'
    )
    text = text.replace('base_url = "http://127.0.0.1:8710/v1"', f'base_url = "{platform_url}"')
    text = text.replace(
        'data_dir = "../var/h1t-shibuya/lockd"', f'data_dir = "{tmp_path / "data"}"\nclock_check = "sanity"'
    )
    text = text.replace("public_key =", 'key_id = "0075557c"\npublic_key =')
    (tmp_path / "pw").write_text("lockd-secret")
    (tmp_path / "site.toml").write_text(text.replace('"demo-keys/', f'"{CONFIG_DIR}/demo-keys/'))
    return tmp_path / "site.toml"


def start_lockd(config: Path, tmp_path: Path, **env: str) -> subprocess.Popen:
    """officepass-lockd in its own process, its simulated doors logging every move; what it says goes to lockd.log
    in tmp_path (a pipe nobody reads would stall a process that says much)."""
    variables = os.environ | {"OFFICEPASS_SIM_DOOR_LOG_DIR": str(tmp_path)} | env
    with (tmp_path / "lockd.log").open("a") as said:
        return subprocess.Popen(
            [sys.executable, "-m", "lockd.cli", "--config", str(config)],
            cwd=REPO,
            env=variables,
            stdout=subprocess.DEVNULL,
            stderr=said,
            text=True,
        )


def relay_moves(tmp_path: Path, door: str = "booth-a") -> list[str]:
    """Every relay move the simulated door logged, across every run."""
    log = tmp_path / f"{door}.jsonl"
    return [json.loads(line)["what"] for line in log.read_text().splitlines()] if log.exists() else []


def pulses(tmp_path: Path, door: str) -> int:
    """How often lockd drove a door's relay to open it, across every run (again while it was still open, too)."""
    return sum(1 for move in relay_moves(tmp_path, door) if move in ("relay_on", "relay_on_again"))


def wait_online(heard: queue.Queue, timeout: float = 20) -> None:
    """Wait for lockd to say it is online."""
    while True:
        message = heard.get(timeout=timeout)
        if message.topic == TOPICS.lockd("availability") and message.payload == b"online":
            return


@pytest.mark.parametrize("failpoint", ["after_commit", "before_answer"])
def test_killed_between_receipt_and_answer_pulses_exactly_once(
    failpoint: str, broker, real_time_platform, bus_client, tmp_path: Path
) -> None:
    config = write_site_file(tmp_path, broker, real_time_platform.server.url)
    heard: queue.Queue = queue.Queue()
    sender = bus_client(user="platform")
    sender.subscribe(TOPICS.lockd("availability"), heard.put)
    answers: queue.Queue = queue.Queue()
    sender.subscribe(TOPICS.door("booth-a", "reply"), answers.put)
    first = start_lockd(config, tmp_path, OFFICEPASS_FAILPOINT=failpoint)
    try:
        wait_online(heard)
        command = mint(
            UnlockCommand("booth-a", 5001, 1003, int(time.time()), 30, new_id(16), TOPICS.command("booth-a")),
            PLATFORM_KEY,
        )
        sender.publish(
            TOPICS.command("booth-a"),
            command,
            response_topic=TOPICS.door("booth-a", "reply"),
            correlation=b"killed-midway",
            expiry=30,
        )
        assert first.wait(20) == KILLED_EXIT_CODE
    finally:
        first.kill()
    assert answers.empty(), "it died before answering"
    assert heard.get(timeout=10).payload == b"offline"  # the broker sent lockd's last will
    second = start_lockd(config, tmp_path)
    try:
        answer = answers.get(timeout=20)  # the broker redelivers; lockd answers from what it committed
        assert json.loads(answer.payload)["result"] == "opened", answer.payload
        assert answer.correlation == b"killed-midway"
    finally:
        second.send_signal(signal.SIGTERM)
        assert second.wait(20) == 0
    assert relay_moves(tmp_path).count("relay_on") == 1


BATCH_DOORS = (("booth-a", 5001, 1003), ("meeting-1", 5002, 1004))  # seeded bookings, each door's booker


@pytest.mark.parametrize("failpoint", ["inside_batch", "after_commit", "before_answer"])
def test_killed_inside_a_batch_pulses_each_genuine_command_exactly_once(
    failpoint: str, broker, real_time_platform, bus_client, tmp_path: Path
) -> None:
    """Commands queued while lockd was away reach it together, and it dies with two or more of them in hand: decided
    but not committed, committed but not pulsed, or pulsed but not answered."""
    config = write_site_file(tmp_path, broker, real_time_platform.server.url)
    heard: queue.Queue = queue.Queue()
    sender = bus_client(user="platform")
    sender.subscribe(TOPICS.lockd("availability"), heard.put)
    answers: queue.Queue = queue.Queue()
    for door, _, _ in BATCH_DOORS:
        sender.subscribe(TOPICS.door(door, "reply"), answers.put)
    first = start_lockd(config, tmp_path)  # leaves its persistent session on the broker when it stops
    wait_online(heard)
    first.send_signal(signal.SIGTERM)
    assert first.wait(20) == 0
    sent = queue_commands(sender, 12)
    killed = start_lockd(config, tmp_path, OFFICEPASS_FAILPOINT=f"{failpoint}/batch")
    try:
        assert killed.wait(30) == KILLED_EXIT_CODE
    finally:
        killed.kill()
    second = start_lockd(config, tmp_path)
    try:
        opened = answered_opened(answers, set(sent))
    finally:
        second.send_signal(signal.SIGTERM)
        assert second.wait(20) == 0
    assert opened == set(sent)
    for door, _, _ in BATCH_DOORS:  # one pulse per genuine command: none lost, none doubled
        assert pulses(tmp_path, door) == list(sent.values()).count(door)


def queue_commands(sender, count: int) -> dict[bytes, str]:
    """Genuine commands for the two booked doors, published at once; each command's id (its correlation) and door."""
    sent = {}
    for n in range(count):
        door, reservation, member = BATCH_DOORS[n % len(BATCH_DOORS)]
        command = UnlockCommand(door, reservation, member, int(time.time()), 30, new_id(16), TOPICS.command(door))
        sender.publish(
            TOPICS.command(door),
            mint(command, PLATFORM_KEY),
            response_topic=TOPICS.door(door, "reply"),
            correlation=command.command_id,
            expiry=30,
        )
        sent[command.command_id] = door
    return sent


def answered_opened(answers: queue.Queue, wanted: set[bytes], timeout: float = 30) -> set[bytes]:
    """The commands answered "opened", once all wanted are (or the time is up); any other answer fails the test."""
    opened: set[bytes] = set()
    deadline = time.monotonic() + timeout
    while opened != wanted and time.monotonic() < deadline:
        try:
            answer = answers.get(timeout=max(0.01, deadline - time.monotonic()))
        except queue.Empty:
            break
        assert json.loads(answer.payload)["result"] == "opened", answer.payload
        opened.add(answer.correlation)
    return opened


def test_systemd_notify_ready_watchdog_and_stopping(broker, real_time_platform, tmp_path: Path) -> None:
    config = write_site_file(tmp_path, broker, real_time_platform.server.url)
    with notify_socket(tmp_path, 20) as (systemd, notify_path):
        process = start_lockd(config, tmp_path, NOTIFY_SOCKET=notify_path, WATCHDOG_USEC="200000")
        try:
            said = [systemd.recv(100).decode() for _ in range(2)]
            assert said == ["READY=1", "WATCHDOG=1"]
            process.send_signal(signal.SIGTERM)
            while (line := systemd.recv(100).decode()) == "WATCHDOG=1":
                continue
            assert line == "STOPPING=1"
            assert process.wait(20) == 0
        finally:
            process.kill()


def test_a_command_queued_while_lockd_was_down_and_now_stale_never_opens(
    broker, platform, bus_client, tmp_path, wall_clock
) -> None:
    cfg = site_config(platform.server.url, tmp_path)
    settings = bus_settings(broker, "lockd", "lockd-queued")
    first = start_site(cfg, platform, settings, bus_client(user="platform"), clock=wall_clock)
    text = first.command()
    first.daemon.stop()  # its persistent session stays on the broker
    answers: queue.Queue = queue.Queue()
    first.sender.subscribe(TOPICS.door("booth-a", "reply"), answers.put)
    first.sender.publish(
        TOPICS.command("booth-a"),
        text,
        response_topic=TOPICS.door("booth-a", "reply"),
        correlation=b"queued",
        expiry=300,
    )
    later = ShiftedClock(wall_clock.offset.total_seconds() + 120)  # lockd comes back two minutes later
    second = start_site(cfg, platform, settings, bus_client(user="platform"), clock=later)
    try:
        answer = json.loads(answers.get(timeout=10).payload)
        assert (answer["result"], answer["reason"]) == ("refused", Reason.EXPIRED.code)
        assert second.pulses() == 0
    finally:
        second.daemon.stop()


def test_the_audit_trail_cannot_be_rewritten(site: Site) -> None:
    site.send(site.command(age=100))
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        site.daemon.store.db.execute("UPDATE audit SET reason = 'nothing to see'")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        site.daemon.store.db.execute("DELETE FROM audit")
    assert site.daemon.store.audit_rows("refused")[0].reason == "expired"


def test_a_notify_socket_that_is_gone_is_never_an_error(monkeypatch, tmp_path: Path) -> None:
    from facility.systemd import notify

    monkeypatch.setenv("NOTIFY_SOCKET", str(tmp_path / "gone"))  # the supervisor stopped listening
    assert notify("WATCHDOG=1") is False
