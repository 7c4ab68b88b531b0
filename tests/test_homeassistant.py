"""Home Assistant sees what lockd knows: a controller with its diagnostics and site alarms, each door's lock, door
and alarm events, with ASCII object ids, and no ghost of a door that was removed; every discovery message held to
Home Assistant's own MQTT discovery schemas and templates (Home Assistant 2024.3.3, the newest that runs on this
machine's Python 3.11, in a venv of its own kept in OFFICEPASS_BOARD_CACHE)."""

from __future__ import annotations

import datetime as dt
import fcntl
import json
import subprocess
import sys
from pathlib import Path

import pytest

from facility.messages import DoorEvent, LockdStatus, LockState, SiteAlarm
from facility.topics import SiteTopics
from lockd.homeassistant import discovery_messages
from tests.board.root import CACHE
from tests.conftest import REPO, bus_settings, retained_now, retained_when
from tests.lockd_site import site_config, start_site
from tests.rulebook import H1T

HOME_ASSISTANT = "2024.3.3"
TOPICS = SiteTopics.of(H1T)
AT = dt.datetime(2026, 11, 24, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=9)))


@pytest.fixture(scope="session")
def home_assistant() -> Path:
    """The python of a venv holding Home Assistant, made once (under a lock) and kept between runs."""
    venv = CACHE / f"homeassistant-{HOME_ASSISTANT}"
    CACHE.mkdir(parents=True, exist_ok=True)
    with (CACHE / f"homeassistant-{HOME_ASSISTANT}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (venv / ".complete").exists():
            subprocess.run([sys.executable, "-m", "venv", "--clear", str(venv)], check=True)
            subprocess.run(
                [str(venv / "bin" / "python"), "-m", "pip", "install", "-q", f"homeassistant=={HOME_ASSISTANT}"],
                check=True,
                capture_output=True,
                timeout=1200,
            )
            (venv / ".complete").touch()
    return venv / "bin" / "python"


def samples() -> dict[str, list[str]]:
    """What lockd publishes on the topics the entities read, as its models write it."""
    events = [
        DoorEvent(event=event, door="booth-a", at=AT, alarm=alarm).payload().decode()
        for event, alarm in (("forced", True), ("held_open", True), ("opened", False), ("relocked", False))
    ]
    status = [
        LockdStatus(version="1.0", at=AT).payload().decode(),
        LockdStatus(version="1.0", at=AT, last_sync=AT, keyset_version=7).payload().decode(),
    ]
    stale = [SiteAlarm(alarm="reservations_stale", active=active, at=AT).payload().decode() for active in (True, False)]
    return {
        TOPICS.event("booth-a"): events,
        TOPICS.lockd("status"): status,
        TOPICS.lockd("alarm"): stale,
        TOPICS.state("booth-a"): [state.value for state in LockState],
    }


def judged(home_assistant: Path) -> dict[str, dict]:
    """Home Assistant's verdict on every discovery message of the H1T example, by object id."""
    request = {
        "messages": [{"topic": m.topic, "payload": m.payload().decode()} for m in discovery_messages(H1T, TOPICS)],
        "samples": samples(),
    }
    result = subprocess.run(
        [str(home_assistant), str(REPO / "tests" / "homeassistant" / "check_discovery.py")],
        input=json.dumps(request),
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    )
    return {item["parts"]["object_id"]: item for item in json.loads(result.stdout)}


@pytest.mark.timeout(1500)  # the first to run makes Home Assistant's venv (80 s, more on a cold cache)
def test_every_discovery_message_is_one_home_assistant_takes_whole(home_assistant: Path) -> None:
    verdicts = judged(home_assistant)
    assert len(verdicts) == 5 + 3 * len(H1T.doors)  # the controller's five entities, three a door
    for object_id, verdict in verdicts.items():
        assert verdict["error"] is None and verdict["dropped"] == [], verdict  # nothing refused, nothing ignored
        assert verdict["parts"]["node_id"] == "officepass_h1t_shibuya" and object_id.isascii()


@pytest.mark.timeout(1500)  # the first to run makes Home Assistant's venv (80 s, more on a cold cache)
def test_home_assistant_renders_the_alarms_as_events_and_the_states_as_it_should(home_assistant: Path) -> None:
    verdicts = judged(home_assistant)
    alarm = verdicts["booth_a_alarm"]["renders"]
    forced, held, opened, relocked = (alarm[sample] for sample in samples()[TOPICS.event("booth-a")])
    assert (json.loads(forced), json.loads(held)) == ({"event_type": "forced"}, {"event_type": "held_open"})
    assert opened == relocked == ""  # not alarms: rendered empty, which Home Assistant ignores
    door = verdicts["booth_a_door"]["renders"]
    assert door["OPEN"] == "ON" and door["LOCKED"] == door["UNLOCKED"] == "OFF"
    never, synced = (verdicts["last_sync"]["renders"][sample] for sample in samples()[TOPICS.lockd("status")])
    assert never == "None" and synced == AT.isoformat()  # "None": Home Assistant's unknown
    assert list(verdicts["reservations_stale"]["renders"].values()) == ["ON", "OFF"]


def test_lockd_publishes_a_controller_and_each_door_retained_with_no_button(site, bus_client) -> None:
    entities = 5 + 3 * len(site.daemon.cfg.doors)
    configs = retained_when(bus_client, "homeassistant/#", "homeassistant/marker", lambda heard: len(heard) >= entities)
    assert len(configs) == entities
    parsed = {topic: json.loads(payload) for topic, payload in configs.items()}
    assert not [config for config in parsed.values() if "command_topic" in config]  # no button that does nothing
    lock = parsed["homeassistant/sensor/officepass_h1t_shibuya/booth_a_lock/config"]
    assert lock["object_id"] == "officepass_h1t_shibuya_booth_a_lock" and lock["state_topic"] == TOPICS.state("booth-a")
    assert lock["device"]["via_device"] == "officepass_h1t_shibuya_lockd"
    status_topic = TOPICS.lockd("status")
    reports = retained_when(bus_client, TOPICS.lockd("#"), TOPICS.lockd("marker"), lambda h: status_topic in h)
    status = json.loads(reports[status_topic])
    assert status["last_sync"] and status["version"]


def test_a_door_removed_from_the_site_file_leaves_no_ghost(site, broker, platform, bus_client, tmp_path) -> None:
    gone = "meeting-1"
    states = retained_when(bus_client, TOPICS.state("+"), TOPICS.state("marker"), lambda h: TOPICS.state(gone) in h)
    assert states[TOPICS.state(gone)] == b"LOCKED"
    site.daemon.stop()
    cfg = site_config(platform.server.url, tmp_path / "lockd")
    smaller = cfg.model_copy(
        update={
            "doors": [door for door in cfg.doors if door.id != gone],
            "rooms": [room for room in cfg.rooms if room.id != gone],
        }
    )
    again = start_site(
        smaller, platform, bus_settings(broker, "lockd", "lockd-test"), bus_client(user="platform"), clock=site.clock
    )
    try:
        assert again.next_heard(TOPICS.state(gone), where=lambda payload: payload == b"")  # taken down
        states = retained_when(
            bus_client, TOPICS.state("+"), TOPICS.state("marker"), lambda h: len(h) == len(smaller.doors)
        )
        entities = 5 + 3 * len(smaller.doors)

        def without_the_ghost(heard: dict[str, bytes]) -> bool:
            return len(heard) == entities and not [topic for topic in heard if "meeting_1" in topic]

        configs = retained_when(bus_client, "homeassistant/#", "homeassistant/marker", without_the_ghost)
        assert TOPICS.state(gone) not in states and set(states) == {TOPICS.state(door.id) for door in smaller.doors}
        assert len(configs) == 5 + 3 * len(smaller.doors) and not [topic for topic in configs if "meeting_1" in topic]
    finally:
        again.daemon.stop()


def test_a_clean_stop_leaves_lockd_offline_not_online(site, bus_client) -> None:
    availability = TOPICS.lockd("availability")
    online = retained_when(bus_client, TOPICS.lockd("#"), TOPICS.lockd("marker"), lambda h: availability in h)
    assert online[availability] == b"online"
    site.daemon.stop()
    assert retained_now(bus_client, TOPICS.lockd("#"), TOPICS.lockd("marker"))[availability] == b"offline"
