"""The guarantees an outside attacker broke (issue 10), one test per class, on real parts.

Real lockd on virtual doors, the kiosk's own reception, store and window, a real Mosquitto with
the shipped settings, and the stand-in platform over HTTP. Each test failed on the code before
the fix; docs/faults.md names the guarantee each one holds.
"""

from __future__ import annotations

import gc
import json
import os
import queue
import subprocess
import sys
import threading
from datetime import timedelta
from pathlib import Path

import pytest

from facility.config import load_config
from facility.errors import ConfigError
from facility.platform import PlatformClient
from facility.reasons import Reason
from facility.tokens import SigningKey, mint, new_id
from facility.trustcache import TrustRefresh
from kiosk.app import KioskApp
from kiosk.outbox import OutboxSender
from kiosk.store import KioskStore
from lockd.acl import acl_text
from lockd.store import LockdStore
from messagebus import BrokerSettings, BusClient, Inbound
from simulator.broker import MosquittoBroker
from simulator.clock import SettableClock, ShiftedClock
from tests.conftest import CONFIG_DIR, REPO, bus_settings
from tests.kiosk_desk import due_now, member_pass, reception
from tests.lockd_site import (
    BOOTH_A_BOOKING,
    MEETING_BOOKING,
    PLATFORM_KEY,
    TOPICS,
    site_config,
    start_site,
)
from tests.rulebook import H1T, KAIKATSU, at
from tests.test_kiosk_ui import ALWAYS_OPEN, kiosk_config

MONDAY_MORNING = at("2026-11-30 10:00")  # Kaikatsu is open; no cut-off applies


def refused(answer: dict, reason: Reason) -> bool:
    """True for a refusal with this reason."""
    return answer["result"] == "refused" and answer["reason"] == reason.code


# --- 1. revoked and time-bounded signing keys ---------------------------------------------------------


def test_a_revoked_signing_key_opens_nothing_online_or_from_the_cache(site) -> None:
    client = PlatformClient(H1T.platform.model_copy(update={"base_url": site.platform.server.url}))
    client.exchange("POST", "/revocations", {"key_id": PLATFORM_KEY.key_id})
    assert site.daemon.trust_refresh.refresh()
    assert refused(site.send(site.command()), Reason.KEY_REVOKED)
    site.platform.server.go_unreachable()
    assert not site.daemon.trust_refresh.refresh()  # offline now: the cached list still holds the key
    assert refused(site.send(site.command()), Reason.KEY_REVOKED)
    assert site.pulses() == 0


def test_a_pass_signed_by_a_revoked_key_is_refused_at_the_kiosk_online_and_offline(offline_platform, tmp_path) -> None:
    cfg = KAIKATSU.model_copy(
        update={
            "platform": KAIKATSU.platform.model_copy(
                update={"base_url": offline_platform.server.url, "timeout_seconds": 1}
            )
        }
    )
    desk = reception(cfg, tmp_path, MONDAY_MORNING)
    offline_platform.state.revoke(key_id=PLATFORM_KEY.key_id)
    assert TrustRefresh(PlatformClient(cfg.platform), desk.store, desk.clock, fetch_keys=True).refresh()
    now = desk.clock.now().timestamp()
    assert desk.present(member_pass(cfg, at=now)).reasons == (Reason.KEY_REVOKED,)
    offline_platform.stop()  # the platform is gone: the cached list is used
    assert desk.present(member_pass(cfg, member_id=1002, at=now)).reasons == (Reason.KEY_REVOKED,)
    assert desk.store.checkins() == []


def test_a_pinned_key_outside_its_validity_window_is_refused(tmp_path) -> None:
    window = {"not_before": MONDAY_MORNING - timedelta(days=30), "not_after": MONDAY_MORNING - timedelta(days=1)}
    keys = [KAIKATSU.tokens.trusted_keys[0].model_copy(update=window)]
    cfg = KAIKATSU.model_copy(
        update={"tokens": KAIKATSU.tokens.model_copy(update={"trusted_keys": keys, "fetch_platform_keys": False})}
    )
    desk = reception(cfg, tmp_path, MONDAY_MORNING)
    assert desk.present(member_pass(cfg, at=desk.clock.now().timestamp())).reasons == (Reason.KEY_NOT_VALID,)


# --- 2. one pass is spent once ----------------------------------------------------------------------


@pytest.fixture
def two_kiosks(qtbot, platform, broker, tmp_path, wall_clock):
    """Two kiosks of one facility on the site broker, each with its own store."""
    apps = []
    for name in ("front", "side"):
        cfg = kiosk_config(platform.server.url)
        cfg = cfg.model_copy(update={"kiosk": cfg.kiosk.model_copy(update={"id": name})})
        app = KioskApp(
            cfg,
            _no_camera(),
            broker=bus_settings(broker, "lockd", f"kiosk-{name}"),
            data_dir=tmp_path / name,
            clock=wall_clock,
        )
        app.start(full_screen=False)
        apps.append(app)
    qtbot.waitUntil(lambda: all(app.bus.connected for app in apps), timeout=10000)
    yield apps
    for app in apps:
        app.stop()
    gc.collect()


def _no_camera():
    """A camera that shows nothing (the passes are handed in as if scanned)."""
    from simulator.camera import VirtualCamera

    return VirtualCamera(320, 240, fps=5, paced=True)


def test_one_pass_at_two_kiosks_of_a_facility_is_admitted_once(qtbot, two_kiosks) -> None:
    front, side = two_kiosks
    text = member_pass(ALWAYS_OPEN, clock=front.clock)
    front.on_scanned(text)
    assert len(front.store.checkins()) == 1
    # the front kiosk tells the side one at once over the site broker
    qtbot.waitUntil(lambda: _seen_at(side, text), timeout=5000)
    verdict = side.reception.present(text)
    assert not verdict.admitted and verdict.reasons == (Reason.REPLAYED,)
    assert side.store.checkins() == []


def _seen_at(app: KioskApp, text: str) -> bool:
    """True once the kiosk's replay memory holds this pass (without spending it there)."""
    from facility.tokens import MemberPass, peek

    claimed = peek(text, MemberPass)
    with app.store._lock:
        return app.store.db.execute("SELECT 1 FROM seen_token WHERE id = ?", (claimed.pass_id,)).fetchone() is not None


def test_the_platform_counts_a_pass_once_and_the_second_kiosk_gets_a_dead_letter(offline_platform, tmp_path) -> None:
    cfg = ALWAYS_OPEN.model_copy(
        update={
            "platform": ALWAYS_OPEN.platform.model_copy(
                update={"base_url": offline_platform.server.url, "timeout_seconds": 1}
            )
        }
    )
    desks = [reception(cfg, tmp_path / name, MONDAY_MORNING) for name in ("front", "side")]
    text = member_pass(cfg, clock=desks[-1].clock)
    for desk in desks:  # cut off from each other (no broker): both admit
        assert desk.present(text).admitted
    for desk in desks:
        due_now(desk.store)
        OutboxSender(desk.store, PlatformClient(cfg.platform), desk.clock).cycle()
    recorded = offline_platform.state.checkins_of(cfg.facility.id)
    assert len(recorded) == 1  # one use billed
    dead = desks[1].store.outbox("dead")
    assert len(dead) == 1 and "pass_already_used" in dead[0].last_error  # staff see it


def test_an_untagged_pass_is_refused_at_reception(tmp_path) -> None:
    from facility.models import Plan
    from facility.tokens import MemberPass

    desk = reception(KAIKATSU, tmp_path, MONDAY_MORNING)
    untagged = mint(
        MemberPass(
            1001, Plan.CORPORATE, new_id(8), int(desk.clock.now().timestamp()), 90, None, None, "佐藤 葵", False
        ),
        PLATFORM_KEY,
    )
    assert desk.present(untagged).reasons == (Reason.NO_FACILITY,)


# --- 3. a clock step never re-opens a used token ----------------------------------------------------


def test_a_wall_clock_stepped_forward_and_back_does_not_reopen_a_used_command(site) -> None:
    used = site.command()
    assert site.send(used)["result"] == "opened"
    site.clock.shift(3 * 3600)  # hours forward: the next command sweeps the ids that have expired by the wall clock
    assert site.send(site.command())["result"] == "refused"  # the booking is over by then
    site.clock.shift(-3 * 3600)
    # the same bytes again, not flagged DUP by the broker
    message = Inbound(TOPICS.command("booth-a"), used.encode(), 1, False, False, None, None, 30, 0.0)
    verdict, _ = site.daemon.handler.decide("booth-a", message)
    assert verdict.answer.reason == Reason.REPLAYED.code
    assert site.pulses() == 1


def test_a_clock_step_does_not_turn_one_pass_into_a_check_in_and_a_re_entry(tmp_path) -> None:
    desk = reception(KAIKATSU, tmp_path, MONDAY_MORNING)
    text = member_pass(KAIKATSU, at=desk.clock.now().timestamp())
    assert desk.present(text).admitted
    desk.clock.shift(2 * 3600)
    desk.present(member_pass(KAIKATSU, member_id=5, at=desk.clock.now().timestamp()))  # sweeps expired ids
    desk.clock.shift(-2 * 3600)
    again = desk.present(text)
    assert again.repeat  # the first verdict again, nothing new kept
    assert [c.member_id for c in desk.store.checkins()].count(1001) == 1


# --- 4. losing the store --------------------------------------------------------------------------------


def _stop(site) -> None:
    site.daemon.stop()
    site.daemon.stop = lambda *args: None  # the fixture's teardown


@pytest.mark.parametrize("how", ["deleted", "truncated", "garbled"])
def test_a_lost_lockd_store_is_noticed_and_refuses_every_earlier_command(
    how, site, broker, bus_client, tmp_path
) -> None:
    used = site.command()
    assert site.send(used)["result"] == "opened"
    _stop(site)
    db = tmp_path / "lockd.db"
    for suffix in ("-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    {
        "deleted": db.unlink,
        "truncated": lambda: db.write_bytes(b""),
        "garbled": lambda: db.write_bytes(b"not a database" * 100),
    }[how]()
    # lockd comes back a few seconds later (its clock two seconds on): the command is still within its lifetime
    again = start_site(
        site_config(site.platform.server.url, tmp_path),
        site.platform,
        bus_settings(broker, "lockd", "lockd-again"),
        bus_client(user="platform"),
        clock=ShiftedClock(site.clock.offset.total_seconds() + 2),
    )
    try:
        (row,) = again.daemon.store.audit_rows("store_lost")
        assert "store" in row.detail
        alarm = again.next_heard("lockd/alarm/store", where=lambda body: json.loads(body)["active"])
        assert json.loads(alarm.payload)["error"]
        assert refused(again.send(used), Reason.ISSUED_BEFORE_STORE)
        # Issued within the clock skew allowed after the loss: an issuer's clock ahead by as much could have signed a
        # command used before the loss with this not-before, so it is refused too ...
        assert refused(again.send(again.command()), Reason.ISSUED_BEFORE_STORE)
        assert again.pulses() == 0
        again.clock.shift(again.daemon.cfg.tokens.clock_skew_seconds + 1)
        assert again.send(again.command())["result"] == "opened"  # ... and commands issued after that work
    finally:
        again.daemon.stop()


def test_a_lost_kiosk_store_is_noticed_and_refuses_every_earlier_pass(tmp_path) -> None:
    desk = reception(KAIKATSU, tmp_path / "kiosk", MONDAY_MORNING)
    text = member_pass(KAIKATSU, at=desk.clock.now().timestamp())
    assert desk.present(text).admitted
    assert desk.store.loss is None
    desk.store.close()
    for path in (tmp_path / "kiosk").glob("kiosk.db*"):
        path.unlink()
    desk.clock.shift(2)
    fresh = KioskStore(tmp_path / "kiosk" / "kiosk.db", desk.clock)
    assert fresh.loss is not None and fresh.loss.cause == "missing or emptied"
    desk.store = fresh
    assert desk.present(text).reasons == (Reason.ISSUED_BEFORE_STORE,)


# --- 5. broker sessions cannot be taken over ---------------------------------------------------------------


def shipped_broker_options() -> list[str]:
    """The global options of deploy/mosquitto/officepass.conf (not its listeners, files and paths)."""
    keep = (
        "per_listener_settings",
        "set_tcp_nodelay",
        "allow_anonymous",
        "use_username_as_clientid",
        "max_queued_messages",
    )
    lines = (REPO / "deploy" / "mosquitto" / "officepass.conf").read_text().splitlines()
    return [line for line in lines if line.split(" ")[0] in keep]


def test_another_user_cannot_take_over_lockd_s_session(tmp_path) -> None:
    options = shipped_broker_options()
    assert "use_username_as_clientid true" in options
    broker = MosquittoBroker(
        tmp_path / "mq", users={"lockd-h1t": "l", "kiosk-front": "k", "platform": "p"}, extra=options
    )
    broker.start()
    lockd = BusClient(
        BrokerSettings(
            broker.host,
            broker.port,
            "lockd-h1t",
            "l",
            client_id="lockd-h1t-shibuya",
            clean_start=False,
            session_expiry=600,
        )
    )
    heard: queue.Queue = queue.Queue()
    drops: list[bool] = []
    try:
        lockd.subscribe("officepass/h1t/door/a/command", heard.put)
        lockd.connection_listeners.append(lambda up: up or drops.append(True))
        lockd.start()
        assert lockd.wait_connected(10)
        intruder = BusClient(
            BrokerSettings(broker.host, broker.port, "kiosk-front", "k", client_id="lockd-h1t-shibuya")
        )
        intruder.start()
        assert intruder.wait_connected(10)
        platform = BusClient(BrokerSettings(broker.host, broker.port, "platform", "p", client_id="platform"))
        platform.start()
        assert platform.wait_connected(10)
        platform.publish("officepass/h1t/door/a/command", b"after the attempt", timeout=5)
        assert heard.get(timeout=5).payload == b"after the attempt"
        assert drops == [], "lockd's session was closed by another user"
        for client in (intruder, platform):
            client.stop()
    finally:
        lockd.stop()
        broker.stop()


@pytest.mark.parametrize("bad", ["lockd site", "lockd\nuser platform", "lockd/+", "lockd#", ""])
def test_broker_user_names_that_could_bend_the_acl_are_refused(bad: str, tmp_path: Path) -> None:
    text = (
        (CONFIG_DIR / "h1t-shibuya.toml")
        .read_text()
        .replace('username = "lockd-h1t-shibuya"', f"username = {json.dumps(bad)}")
    )
    (tmp_path / "site.toml").write_text(text.replace('"demo-keys/', f'"{CONFIG_DIR}/demo-keys/'))
    with pytest.raises(ConfigError, match=r"mqtt\.username"):
        load_config(tmp_path / "site.toml")
    with pytest.raises(ValueError, match="monitor user"):
        acl_text([H1T], monitor_users=(bad or " ",))
    with pytest.raises(ValueError, match="Home Assistant user"):
        acl_text([H1T], home_assistant_user=bad or " ")


# --- 6. junk floods ---------------------------------------------------------------------------------------------


def test_a_junk_flood_loses_no_genuine_command_and_writes_nothing_per_message(site) -> None:
    stranger = SigningKey.generate()
    junk = [site.command(key=stranger) if n % 2 else f"OP1{n:06d}" + "A" * 120 for n in range(1500)]
    answers: list[dict] = []

    def flood() -> None:
        for text in junk:
            site.sender.publish(TOPICS.command("booth-a"), text, timeout=None)

    before = site.daemon.store.db.execute("SELECT COUNT(*) FROM command").fetchone()[0]
    flooder = threading.Thread(target=flood)
    flooder.start()
    for n in range(10):  # genuine commands to the flooded door and to another, during the flood
        door, reservation, member = (
            ("booth-a", BOOTH_A_BOOKING, 1003) if n % 2 else ("meeting-1", MEETING_BOOKING, 1004)
        )
        answers.append(site.send(site.command(door, reservation, member), door))
    flooder.join()
    assert [answer["result"] for answer in answers] == ["opened"] * 10, answers
    site.daemon.write_junk_audit()
    rows = site.daemon.store.audit_rows("refused_junk")
    assert 1 <= len(rows) <= 4  # one per door and reason, not one per message
    decided = site.daemon.store.db.execute("SELECT COUNT(*) FROM command").fetchone()[0] - before
    assert decided <= 10


# --- 7. demo keys -----------------------------------------------------------------------------------------------


def test_a_site_trusting_a_demo_key_is_refused_unless_it_is_on_loopback(tmp_path: Path) -> None:
    text = (CONFIG_DIR / "h1t-shibuya.toml").read_text()
    live = (
        text.replace('host = "127.0.0.1"', 'host = "broker.h1t-shibuya.example.jp"')
        .replace("tls = false", "tls = true")
        .replace('base_url = "http://127.0.0.1:8710/v1"', 'base_url = "https://platform.example.jp/v1"')
    )
    (tmp_path / "site.toml").write_text(live.replace('"demo-keys/', f'"{CONFIG_DIR}/demo-keys/'))
    result = subprocess.run(
        [sys.executable, "-m", "lockd.cli", "--check-config", str(tmp_path / "site.toml")],
        check=False,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert "demo key 0075557c" in result.stdout + result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    assert load_config(CONFIG_DIR / "h1t-shibuya.toml").on_loopback  # the examples stay usable on this machine


# --- 8. doors across restarts ---------------------------------------------------------------------------------


def test_a_door_found_open_at_start_raises_forced_then_held_open(
    platform, broker, bus_client, tmp_path, wall_clock
) -> None:
    clock = SettableClock(wall_clock.now())  # the doors' timers
    cfg = site_config(platform.server.url, tmp_path)
    from lockd.daemon import LockDaemon
    from simulator.door import VirtualDoor

    def open_door(door, scheduler):
        virtual = VirtualDoor(scheduler, door.fail_mode, door.id)
        virtual.force_open()  # forced while lockd was down
        return virtual

    daemon = LockDaemon(
        cfg,
        bus_settings(broker, "lockd", "lockd-doors"),
        PlatformClient(cfg.platform),
        open_door,
        clock=wall_clock,
        scheduler=clock,
    )
    daemon.start()
    try:
        forced = daemon.store.audit_rows("forced")
        assert {row.door for row in forced} == {door.id for door in cfg.doors}
        assert all(row.reason == "alarm" for row in forced)
        clock.advance(max(door.held_open_alarm_seconds for door in cfg.doors) + 1)
        assert {row.door for row in daemon.store.audit_rows("held_open")} == {door.id for door in cfg.doors}
    finally:
        daemon.stop("stopped by SIGTERM")
    releases = LockdStore(tmp_path / "lockd.db").audit_rows("relay_released")
    assert {(row.door, row.reason) for row in releases} == {(d.id, "stopped by SIGTERM") for d in cfg.doors}


def test_relays_released_after_a_watchdog_kill_are_audited_with_the_cause(tmp_path: Path) -> None:
    text = (
        (CONFIG_DIR / "h1t-shibuya.toml")
        .read_text()
        .replace(  # no board here: gpiozero's mock pins
            'data_dir = "../var/h1t-shibuya/lockd"', f'data_dir = "{tmp_path / "data"}"\npin_factory = "mock"'
        )
    )
    (tmp_path / "site.toml").write_text(text.replace('"demo-keys/', f'"{CONFIG_DIR}/demo-keys/'))
    cfg = load_config(tmp_path / "site.toml")
    LockdStore(tmp_path / "data" / "lockd.db").close()  # the store lockd kept before it was killed
    env = os.environ | {"SERVICE_RESULT": "watchdog", "EXIT_CODE": "killed", "EXIT_STATUS": "ABRT"}
    result = subprocess.run(
        [sys.executable, "-m", "lockd.cli", "--release-relays", str(tmp_path / "site.toml")],
        check=False,
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    rows = LockdStore(tmp_path / "data" / "lockd.db").audit_rows("relay_released")
    gpio_doors = {door.id for door in cfg.doors if door.driver == "gpio"}
    assert gpio_doors and {row.door for row in rows} == gpio_doors
    assert all("watchdog" in row.reason for row in rows)
