"""The generated Mosquitto ACL on a real broker: each door controller reaches only its own topics."""

from __future__ import annotations

import queue
from collections.abc import Iterator

import pytest

from facility.config import load_config
from lockd.acl import acl_text
from messagebus import BrokerSettings, BusClient
from simulator.broker import MosquittoBroker
from tests.conftest import CONFIG_DIR

H1T = load_config(CONFIG_DIR / "h1t-shibuya.toml")
OTHER = H1T.model_copy(
    update={
        "facility": H1T.facility.model_copy(update={"id": "iioffice-ueno"}),
        "mqtt": H1T.mqtt.model_copy(update={"username": "lockd-iioffice-ueno"}),
    }
)
USERS = {"platform": "p", "lockd-h1t-shibuya": "a", "lockd-iioffice-ueno": "b", "watcher": "w"}


@pytest.fixture
def acl_broker(tmp_path) -> Iterator[MosquittoBroker]:
    """A broker enforcing the ACL generated for two sites and a read-only watcher."""
    broker = MosquittoBroker(tmp_path / "acl-broker", USERS, acl=acl_text([H1T, OTHER], monitor_users=("watcher",)))
    broker.start()
    yield broker
    broker.stop()


@pytest.fixture
def client(acl_broker: MosquittoBroker) -> Iterator:
    """Connected clients by user name."""
    made: list[BusClient] = []

    def make(user: str) -> BusClient:
        bus = BusClient(BrokerSettings(acl_broker.host, acl_broker.port, user, USERS[user]))
        bus.start()
        assert bus.wait_connected(10)
        made.append(bus)
        return bus

    yield make
    for bus in made:
        bus.stop()


def hears(bus: BusClient, topic: str) -> queue.Queue:
    """What a client receives on a topic."""
    got: queue.Queue = queue.Queue()
    bus.subscribe(topic, got.put)
    return got


def test_a_site_controller_hears_its_own_commands_only(client) -> None:
    own, other = client("lockd-h1t-shibuya"), client("lockd-iioffice-ueno")
    own_commands = hears(own, "officepass/h1t-shibuya/door/booth-a/command")
    snooped = hears(other, "officepass/h1t-shibuya/door/booth-a/command")
    platform = client("platform")
    platform.publish("officepass/h1t-shibuya/door/booth-a/command", b"cmd")
    assert own_commands.get(timeout=5).payload == b"cmd"
    platform.publish("officepass/h1t-shibuya/door/booth-a/command", b"cmd2")
    assert own_commands.get(timeout=5).payload == b"cmd2"
    assert snooped.empty()


def test_only_the_platform_may_publish_commands(client) -> None:
    listener = hears(client("lockd-h1t-shibuya"), "officepass/h1t-shibuya/door/booth-a/command")
    for intruder in ("lockd-iioffice-ueno", "watcher", "lockd-h1t-shibuya"):
        client(intruder).publish("officepass/h1t-shibuya/door/booth-a/command", b"forged", timeout=5)
    client("platform").publish("officepass/h1t-shibuya/door/booth-a/command", b"real")
    assert listener.get(timeout=5).payload == b"real"
    assert listener.empty()


def test_a_controller_cannot_speak_for_another_site(client) -> None:
    watcher = hears(client("watcher"), "officepass/+/door/+/state")
    client("lockd-iioffice-ueno").publish("officepass/h1t-shibuya/door/booth-a/state", b"UNLOCKED", timeout=5)
    client("lockd-h1t-shibuya").publish("officepass/h1t-shibuya/door/booth-a/state", b"LOCKED", timeout=5)
    assert watcher.get(timeout=5).payload == b"LOCKED"
    assert watcher.empty()


def test_kiosks_get_only_their_own_check_in_topics() -> None:
    text = acl_text([load_config(CONFIG_DIR / "regus-shinjuku.toml")])
    assert "user kiosk-regus-shinjuku\ntopic read officepass/regus-shinjuku-south/kiosk/reception-1/checkin" in text
    assert "topic write officepass/regus-shinjuku-south/kiosk/reception-1/reply" in text


def test_every_kiosk_hears_the_change_notices_that_also_announce_revocations() -> None:
    regus = acl_text([load_config(CONFIG_DIR / "regus-shinjuku.toml")])
    meeting = acl_text([load_config(CONFIG_DIR / "meeting-kanda.toml")])
    assert "topic read officepass/meeting-kanda/reservations/changed" in meeting
    assert "topic read officepass/regus-shinjuku-south/reservations/changed" in regus
    assert "topic write officepass/regus-shinjuku-south/reservations/changed" not in regus


def test_the_generated_acl_names_each_door() -> None:
    text = acl_text([H1T])
    for door in ("booth-a", "booth-b", "meeting-1"):
        assert f"topic read officepass/h1t-shibuya/door/{door}/command" in text
    assert "user lockd-h1t-shibuya" in text and "topic write officepass/+/door/+/command" in text


def test_a_site_reads_its_own_doors_states_for_the_doctor_but_not_another_site_s(client) -> None:
    own, other = client("lockd-h1t-shibuya"), client("lockd-iioffice-ueno")
    own_states = hears(own, "officepass/h1t-shibuya/door/booth-a/state")
    others_view = hears(other, "officepass/+/door/booth-a/state")
    own.publish("officepass/h1t-shibuya/door/booth-a/state", b"LOCKED", timeout=5)
    assert own_states.get(timeout=5).payload == b"LOCKED"
    other.publish("officepass/iioffice-ueno/door/booth-a/state", b"OPEN", timeout=5)  # after LOCKED, on the same path
    assert others_view.get(timeout=5).topic == "officepass/iioffice-ueno/door/booth-a/state"


def test_home_assistant_reads_its_own_discovery_prefix_and_writes_only_its_birth_and_will() -> None:
    custom = H1T.model_copy(
        update={"lockd": H1T.lockd_settings.model_copy(update={"home_assistant_prefix": "ha-site"})}
    )
    block = acl_text([custom], monitor_users=("technician",), home_assistant_user="homeassistant").split("\n\n")
    home_assistant = next(lines for lines in block if lines.startswith("user homeassistant")).splitlines()
    technician = next(lines for lines in block if lines.startswith("user technician")).splitlines()
    assert "topic read ha-site/#" in home_assistant and "topic readwrite ha-site/status" in home_assistant
    assert not [line for line in home_assistant if "homeassistant/" in line]  # the configured prefix, not the default
    writes = [line for line in home_assistant if line.startswith(("topic write", "topic readwrite"))]
    assert writes == ["topic readwrite ha-site/status"]
    assert not [line for line in technician if line.startswith(("topic write", "topic readwrite"))]  # read-only
