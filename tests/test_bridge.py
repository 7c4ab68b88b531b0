"""Each site's broker bridged outbound to the platform's broker, on two real Mosquitto processes over TLS.

First the generated configuration; then what Debian's Mosquitto 2.0.11 does with it (the facts the
settings rest on, docs/mqtt.md 'Bridged to the platform'); then a whole site, lockd on virtual doors and
a kiosk with its camera, with the stand-in platform on the cloud broker, through a cut of the bridge.
"""

from __future__ import annotations

import contextlib
import gc
import json
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from facility.clock import Clock
from facility.config import FacilityConfig
from facility.models import Plan
from facility.platform import PlatformClient, PlatformError
from facility.tokens import DeskCode, SigningKey, UnlockCommand, mint, new_id
from facility.topics import DEFAULT_PREFIX, SiteTopics
from lockd.bridge import CloudLink, bridge_text, bridges_text, cloud_acl_text, inbound_topics, outbound_topics
from lockd.cli import main as lockd_main
from lockd.clocktrust import ClockTrust
from lockd.daemon import LockDaemon
from lockd.drivers import door_factory
from messagebus import BrokerSettings, BusClient, Inbound
from simulator.bridged import (
    CLOUD_HOSTS,
    LOOPBACK_RESTART,
    bridge_passwords,
    cloud_broker,
    cloud_certificate,
    loopback_link,
    site_broker,
)
from simulator.broker import MosquittoBroker, free_port
from simulator.certs import TestAuthority
from simulator.clock import ShiftedClock
from simulator.door import SimulatedDoors, VirtualDoor
from simulator.phone import AppClient, Phone
from simulator.platform.service import COMMAND_LIFETIME
from simulator.runtime import RunningPlatform, start_platform
from simulator.wan import WanLink
from tests.conftest import CONFIG_DIR, REPO
from tests.kiosk_desk import member_pass
from tests.lockd_site import BOOTH_A_BOOKING, PLATFORM_KEY, site_config
from tests.rulebook import H1T, KAIKATSU, MEETING
from tests.test_deploy_broker import DEBIAN_MAIN, as_documented, lay_out, start

H1T_TOPICS = SiteTopics(DEFAULT_PREFIX, "h1t-shibuya")
KAIKATSU_TOPICS = SiteTopics(DEFAULT_PREFIX, "kaikatsu-ikebukuro")
KIOSK_KEY = SigningKey.load(CONFIG_DIR / "demo-keys" / "kiosk-demo.pem")
SITES = [H1T, KAIKATSU]  # one building: a booking floor and a reception on one broker, one bridge each
CLOUD_USERS = {"platform": "platform-pw", "console": "console-pw", "auditor": "auditor-pw", "watcher": "watcher-pw"}
# Test users beside the generated ACL: a second platform node that sends commands, and two readers of everything.
CLOUD_TEST_ACL = """
user console
topic write officepass/+/door/+/command
topic read officepass/+/door/+/reply

user auditor
topic read officepass/#

user watcher
topic read officepass/#
"""
SITE_USERS = {"lockd-h1t-shibuya": "lockd-pw", "kiosk-kaikatsu-ikebukuro": "kiosk-pw", "technician": "technician-pw"}
SITE_TEST_ACL = "\nuser technician\ntopic read officepass/#\n"
ALWAYS_OPEN = KAIKATSU.model_copy(
    update={
        "rules": KAIKATSU.rules.model_copy(
            update={"entry_cutoffs": [], "plans_admitted": [Plan.INDIVIDUAL_PREMIUM, Plan.CORPORATE]}
        )
    }
)
TAP_INTERVAL = 0.05  # a member's taps, paced so that the cut's instant 503s do not spin a core


# --- the generated configuration ---------------------------------------------------------------------------------


def test_a_booking_site_bridges_commands_and_notices_in_and_answers_states_events_and_alarms_out() -> None:
    doors = ("booth-a", "booth-b", "meeting-1")
    assert inbound_topics(H1T) == [*(f"door/{door}/command" for door in doors), "reservations/changed", "keyset"]
    assert outbound_topics(H1T) == [
        *(f"door/{door}/{leaf}" for door in doors for leaf in ("reply", "state", "event")),
        "lockd/availability",
        "lockd/status",
        "lockd/alarm",
        "lockd/alarm/store",
        "lockd/keyset",
    ]


def test_a_reception_bridges_desk_code_check_ins_in_and_its_verdicts_out() -> None:
    assert inbound_topics(KAIKATSU) == ["reservations/changed", "kiosk/front-1/checkin", "keyset"]
    assert outbound_topics(KAIKATSU) == ["kiosk/front-1/reply", "kiosk/front-1/availability"]
    assert "reservations/changed" in inbound_topics(MEETING)  # every kiosk hears bookings and revocations change


def test_what_concerns_only_the_building_stays_in_it() -> None:
    text = bridges_text(
        SITES, CloudLink("mqtt.example.jp"), {"bridge-h1t-shibuya": "a", "bridge-kaikatsu-ikebukuro": "b"}
    )
    assert "audit" not in text and "spent" not in text and "homeassistant" not in text
    patterns = [line.split()[1] for line in text.splitlines() if line.startswith("topic ")]
    assert [p for p in patterns if "+" in p or "#" in p] == []  # each door and alarm named: no wildcard


def test_the_bridge_verifies_the_platform_and_keeps_its_queue_on_the_site_side() -> None:
    text = bridge_text(H1T, CloudLink("mqtt.example.jp", 8883, Path("/etc/mosquitto/certs/cloud-ca.crt")), "pw")
    lines = text.splitlines()
    for line in (
        "connection bridge-h1t-shibuya",
        "address mqtt.example.jp:8883",
        "bridge_protocol_version mqttv50",
        "bridge_cafile /etc/mosquitto/certs/cloud-ca.crt",
        "bridge_insecure false",
        "remote_username bridge-h1t-shibuya",
        "cleansession true",
        "local_cleansession false",
        "notification_topic officepass/h1t-shibuya/bridge",
        "topic door/booth-a/command in 0 officepass/h1t-shibuya/ officepass/h1t-shibuya/",
        "topic door/booth-a/reply out 1 officepass/h1t-shibuya/ officepass/h1t-shibuya/",
        "upgrade_outgoing_qos true",
    ):
        assert line in lines
    # Nothing comes in at QoS 1: its PUBACK would hold lockd's answer behind Nagle's algorithm (lockd/bridge.py)
    assert {line.split()[3] for line in lines if line.startswith("topic ") and line.split()[2] == "in"} == {"0"}
    assert "bridge_capath /etc/ssl/certs" in bridge_text(
        H1T, CloudLink("mqtt.example.jp"), "pw"
    )  # no CA file: the system's


def test_a_facility_with_nothing_to_carry_gets_no_bridge_and_no_cloud_user() -> None:
    nothing = KAIKATSU.model_copy(update={"kiosk": None})
    assert (
        bridges_text([nothing, H1T], CloudLink("mqtt.example.jp"), {"bridge-h1t-shibuya": "a"}).count("connection ")
        == 1
    )
    assert "bridge-kaikatsu-ikebukuro" not in cloud_acl_text([nothing, H1T])


def test_a_password_mosquitto_would_cut_short_or_a_missing_one_is_refused() -> None:
    with pytest.raises(ValueError, match="without spaces"):
        bridge_text(H1T, CloudLink("mqtt.example.jp"), "two words")
    with pytest.raises(ValueError, match="no password for bridge-kaikatsu-ikebukuro"):
        bridges_text(SITES, CloudLink("mqtt.example.jp"), {"bridge-h1t-shibuya": "a"})
    with pytest.raises(ValueError, match="not a usable address"):
        bridge_text(H1T, CloudLink("mqtt.example.jp\nconnection evil"), "pw")


def test_the_cloud_acl_gives_each_bridge_only_its_own_facility() -> None:
    blocks = {block.splitlines()[0]: block.splitlines()[1:] for block in cloud_acl_text(SITES).split("\n\n")[1:]}
    assert set(blocks) == {"user bridge-h1t-shibuya", "user bridge-kaikatsu-ikebukuro"}
    assert all(" officepass/kaikatsu-ikebukuro/" in line for line in blocks["user bridge-kaikatsu-ikebukuro"])
    assert "topic read officepass/h1t-shibuya/door/booth-a/command" in blocks["user bridge-h1t-shibuya"]
    assert not any("command" in line and "write" in line for block in blocks.values() for line in block)


def test_the_command_line_prints_the_site_s_bridges_and_the_cloud_acl(tmp_path: Path, capsys) -> None:
    for user in ("bridge-h1t-shibuya", "bridge-kaikatsu-ikebukuro"):
        (tmp_path / user).write_text(f"{user}-secret\n")
    files = [str(CONFIG_DIR / "h1t-shibuya.toml"), str(CONFIG_DIR / "kaikatsu-ikebukuro.toml")]
    assert (
        lockd_main(["--print-bridge", *files, "--cloud", "mqtt.example.jp:8884", "--bridge-passwords", str(tmp_path)])
        == 0
    )
    printed = capsys.readouterr().out
    assert printed == bridges_text(
        SITES,
        CloudLink("mqtt.example.jp", 8884),
        {
            "bridge-h1t-shibuya": "bridge-h1t-shibuya-secret",
            "bridge-kaikatsu-ikebukuro": "bridge-kaikatsu-ikebukuro-secret",
        },
    )
    assert lockd_main(["--print-cloud-acl", *files]) == 0
    assert capsys.readouterr().out == cloud_acl_text(SITES)
    assert lockd_main(["--print-bridge", *files, "--bridge-passwords", str(tmp_path)]) == 1  # where is the cloud?
    assert "--cloud HOST[:PORT]" in capsys.readouterr().err


# --- two real brokers ---------------------------------------------------------------------------------------------


class Heard:
    """Everything one client hears on one filter, in order, and a wait for a condition on it."""

    def __init__(self, bus: BusClient, topic_filter: str) -> None:
        self.messages: list[Inbound] = []
        self._changed = threading.Condition()
        bus.subscribe(topic_filter, self._add)

    def _add(self, message: Inbound) -> None:
        """Keep a message and wake the waiters."""
        with self._changed:
            self.messages.append(message)
            self._changed.notify_all()

    def everything(self) -> list[Inbound]:
        """What was heard so far."""
        with self._changed:
            return list(self.messages)

    def on(self, topic: str) -> list[Inbound]:
        """What was heard on one topic."""
        with self._changed:
            return [message for message in self.messages if message.topic == topic]

    def payloads(self, topic: str) -> list[bytes]:
        """The payloads heard on one topic."""
        return [message.payload for message in self.on(topic)]

    def wait_for(self, condition: Callable[[], bool], timeout: float = 20) -> bool:
        """True once the condition holds, within timeout seconds."""
        with self._changed:
            return self._changed.wait_for(condition, timeout)


def carry(publish: Callable[[], None], heard: Heard, topic: str, timeout: float = 20) -> Inbound:
    """Publish until the far broker's client hears it on topic (the bridge may still be connecting); what it heard."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        seen = len(heard.on(topic))
        publish()
        if heard.wait_for(lambda seen=seen: len(heard.on(topic)) > seen, 0.5):
            return heard.on(topic)[-1]
    raise AssertionError(f"nothing crossed the bridge on {topic} in {timeout} s")


@dataclass
class Brokers:
    """A site broker bridged through a WAN link to a cloud broker that speaks only TLS."""

    cloud: MosquittoBroker
    site: MosquittoBroker
    wan: WanLink
    ca_file: Path
    passwords: dict[str, str]  # each bridge user's
    made: list[BusClient] = field(default_factory=list)
    links: list[WanLink] = field(default_factory=list)

    def own_link(self) -> WanLink:
        """A link of its own to the cloud broker, for a client that must come back later than the bridges."""
        self.links.append(WanLink(self.cloud.port))
        return self.links[-1]

    def cloud_client(self, user: str, via: WanLink | None = None, **settings) -> BusClient:
        """A connected client of the cloud broker (through its own link, if given), over TLS verified against the CA."""
        password = (CLOUD_USERS | self.passwords)[user]
        return self._connect(
            BrokerSettings(
                "localhost",
                via.port if via else self.cloud.port,
                user,
                password,
                tls=True,
                ca_file=self.ca_file,
                client_id=user,
                **settings,
            )
        )

    def site_client(self, user: str, **settings) -> BusClient:
        """A connected client of the site's broker."""
        return self._connect(
            BrokerSettings(self.site.host, self.site.port, user, SITE_USERS[user], client_id=user, **settings)
        )

    def _connect(self, settings: BrokerSettings) -> BusClient:
        """Start a client and wait until it is connected."""
        client = BusClient(settings)
        client.start()
        assert client.wait_connected(10), f"{settings.username} could not connect"
        self.made.append(client)
        return client

    def stop(self) -> None:
        """Every client, the site, the links and the cloud: each stopped even if one before it failed."""
        with contextlib.ExitStack() as stops:  # runs the callbacks last in, first out
            stops.callback(self.cloud.stop)
            for link in [self.wan, *self.links]:
                stops.callback(link.stop)
            stops.callback(self.site.stop)
            for client in self.made:
                stops.callback(client.stop)


def stand_up(
    folder: Path,
    tweak: Callable[[str], str] | None = None,
    authority: TestAuthority | None = None,
    hosts: list[str] | None = None,
    through_wan: bool = True,
) -> Brokers:
    """Cloud and site brokers from the generated files (`tweak` may change the bridge text), both started; the
    site dials the cloud through a WAN link that can be cut, or (through_wan=False) directly."""
    ca = TestAuthority(folder / "ca")
    passwords = bridge_passwords(SITES)
    served_by = authority or ca  # an impostor's CA, for the test that the bridge will not talk to it
    certificate = served_by.server("cloud", hosts) if hosts else cloud_certificate(served_by)
    cloud = cloud_broker(folder / "cloud", SITES, certificate, CLOUD_USERS, passwords, CLOUD_TEST_ACL)
    wan = WanLink(cloud.port)
    link = loopback_link(wan.port if through_wan else cloud.port, ca.cafile)
    site = site_broker(folder / "site", SITES, link, passwords, SITE_USERS, SITE_TEST_ACL)
    if tweak is not None:
        site.bridges = tweak(site.bridges)
    pair = Brokers(cloud, site, wan, ca.cafile, passwords)
    try:
        cloud.start()
        site.start()
    except BaseException:
        pair.stop()  # no broker left behind by a start that failed half way
        raise
    return pair


@pytest.fixture
def brokers(tmp_path: Path, request) -> Iterator[Brokers]:
    """The two brokers, with the bridge text as generated or as the test's parameter changes it."""
    pair = stand_up(tmp_path, getattr(request, "param", None))
    yield pair
    pair.stop()


@pytest.fixture
def direct_brokers(tmp_path: Path) -> Iterator[Brokers]:
    """The two brokers, the site dialling the cloud directly: for tests that stop the cloud broker itself."""
    pair = stand_up(tmp_path, through_wan=False)
    yield pair
    pair.stop()


def no_session(text: str) -> str:
    """The bridge asking the cloud broker to keep its session."""
    return text.replace("cleansession true", "cleansession false")


def no_local_queue(text: str) -> str:
    """The bridge letting the site broker drop its queue while the link is down."""
    return text.replace("local_cleansession false", "local_cleansession true")


def test_mqtt5_expiry_response_topic_and_correlation_cross_the_bridge_both_ways(brokers: Brokers) -> None:
    console, lockd = brokers.cloud_client("console"), brokers.site_client("lockd-h1t-shibuya")
    commands, replies = (
        Heard(lockd, H1T_TOPICS.command("booth-a")),
        Heard(brokers.cloud_client("auditor"), "officepass/#"),
    )
    reply_topic = H1T_TOPICS.door("booth-a", "reply")
    command = carry(
        lambda: console.publish(
            H1T_TOPICS.command("booth-a"), b"cmd", expiry=30, response_topic=reply_topic, correlation=b"c-1"
        ),
        commands,
        H1T_TOPICS.command("booth-a"),
    )
    assert (command.response_topic, command.correlation, command.retain) == (reply_topic, b"c-1", False)
    assert command.expiry is not None and 0 < command.expiry <= 30  # the site's broker expires it too
    lockd.publish(reply_topic, b"answer", correlation=b"c-1")
    assert replies.wait_for(lambda: [m.correlation for m in replies.on(reply_topic)] == [b"c-1"])


def test_a_command_comes_in_without_a_puback_for_nagle_to_hold_the_answer_behind_and_reaches_lockd_at_qos_1(
    tmp_path: Path,
) -> None:
    pair = stand_up(tmp_path, through_wan=False)
    try:
        pair.cloud.extra.append("log_type debug")  # every packet the cloud broker sends and receives, by client
        pair.cloud.restart()
        console, lockd = pair.cloud_client("console"), pair.site_client("lockd-h1t-shibuya")
        commands, topic = Heard(lockd, H1T_TOPICS.command("booth-a")), H1T_TOPICS.command("booth-a")
        replies, reply = Heard(pair.cloud_client("auditor"), "officepass/#"), H1T_TOPICS.door("booth-a", "reply")
        assert carry(lambda: console.publish(topic, b"cmd", expiry=30), commands, topic).qos == 1  # acknowledged
        carry(lambda: lockd.publish(reply, b"answer"), replies, reply)  # after handling, by lockd, to its own broker
        sent = "Sending PUBLISH to bridge-h1t-shibuya (d0, q0, r0, m0, 'officepass/h1t-shibuya/door/booth-a/command'"
        assert pair.cloud.wait_for_log(sent, 10)
        assert pair.cloud.wait_for_log("Received PUBLISH from bridge-h1t-shibuya (d0, q1", 10)  # the answer
        assert not any("Received PUBACK from bridge-" in line for line in pair.cloud.log)
    finally:
        pair.stop()


def test_remapping_renames_topics_but_not_response_topics_so_both_ends_use_the_same_names(tmp_path: Path) -> None:
    def elsewhere(text: str) -> str:  # the cloud's side of h1t's tree under another prefix
        return text.replace(" officepass/h1t-shibuya/\n", " cloudside/h1t-shibuya/\n")

    pair = stand_up(tmp_path, elsewhere)
    try:
        pair.cloud.acl = (pair.cloud.acl or "") + (
            "\nuser bridge-h1t-shibuya\ntopic read cloudside/#\n\nuser watcher\ntopic write cloudside/#\n"
        )
        pair.cloud.restart()
        sender, lockd = pair.cloud_client("watcher"), pair.site_client("lockd-h1t-shibuya")
        commands = Heard(lockd, H1T_TOPICS.command("booth-a"))
        command = carry(
            lambda: sender.publish(
                "cloudside/h1t-shibuya/door/booth-a/command",
                b"cmd",
                response_topic="cloudside/h1t-shibuya/door/booth-a/reply",
            ),
            commands,
            H1T_TOPICS.command("booth-a"),
        )
        # renamed on the way in, but lockd would answer on the cloud's name, which its site ACL and the bridge refuse
        assert command.response_topic == "cloudside/h1t-shibuya/door/booth-a/reply"
    finally:
        pair.stop()


@pytest.mark.parametrize("brokers", [None, no_session], indirect=True, ids=["generated", "cleansession-false"])
def test_a_command_published_while_the_link_is_cut_is_dropped_never_delivered_late(brokers: Brokers) -> None:
    console, topic = brokers.cloud_client("console"), H1T_TOPICS.command("booth-a")
    commands = Heard(brokers.site_client("lockd-h1t-shibuya", clean_start=False, session_expiry=300), topic)
    links = Heard(brokers.cloud_client("auditor"), "officepass/h1t-shibuya/bridge")
    carry(lambda: console.publish(topic, b"before"), commands, topic)
    brokers.wan.cut()
    assert links.wait_for(lambda: links.payloads("officepass/h1t-shibuya/bridge")[-1:] == [b"0"])  # the bridge's will
    console.publish(topic, b"during the cut", expiry=60)
    brokers.wan.restore()
    carry(lambda: console.publish(topic, b"after"), commands, topic)
    assert b"during the cut" not in commands.payloads(topic)  # with or without asking, 2.0.11 kept no session for it


@pytest.mark.parametrize("brokers", [None, no_local_queue], indirect=True, ids=["generated", "local-cleansession-true"])
def test_what_the_site_says_during_a_cut_goes_up_when_the_link_returns(brokers: Brokers, request) -> None:
    lockd, topic = brokers.site_client("lockd-h1t-shibuya"), H1T_TOPICS.door("booth-a", "event")
    cloud = Heard(brokers.cloud_client("auditor"), "officepass/#")
    links = Heard(brokers.site_client("technician"), "officepass/h1t-shibuya/bridge")
    carry(lambda: lockd.publish(topic, b"before"), cloud, topic)
    brokers.wan.cut()
    assert links.wait_for(lambda: links.payloads("officepass/h1t-shibuya/bridge")[-1:] == [b"0"])  # the site knows
    lockd.publish(topic, b"during the cut")
    brokers.wan.restore()
    carry(lambda: lockd.publish(topic, b"after"), cloud, topic)
    kept = b"during the cut" in cloud.payloads(topic)  # it went before "after" on the same topic, if at all
    assert kept is (request.node.callspec.id == "generated")


def test_a_key_set_announced_during_a_cut_reaches_the_site_when_the_link_returns(brokers: Brokers) -> None:
    platform, topic = brokers.cloud_client("platform"), H1T_TOPICS.keyset
    links = Heard(brokers.site_client("technician"), "officepass/h1t-shibuya/bridge")
    assert links.wait_for(lambda: links.payloads("officepass/h1t-shibuya/bridge")[-1:] == [b"1"])
    brokers.wan.cut()
    assert links.wait_for(lambda: links.payloads("officepass/h1t-shibuya/bridge")[-1:] == [b"0"])
    platform.publish(topic, b'{"version": 2}', retain=True)  # kept in the cloud, with nobody from the site to hear it
    lockd = Heard(brokers.site_client("lockd-h1t-shibuya"), topic)
    brokers.wan.restore()  # the bridge subscribes afresh and is handed what the cloud keeps
    assert lockd.wait_for(lambda: lockd.payloads(topic) == [b'{"version": 2}'])


def test_a_cloud_broker_that_lost_everything_gets_each_door_s_state_again(direct_brokers: Brokers) -> None:
    brokers = direct_brokers
    topic = H1T_TOPICS.door("booth-a", "state")
    brokers.site_client("lockd-h1t-shibuya").publish(topic, b"LOCKED", retain=True)
    auditor = Heard(brokers.cloud_client("auditor"), topic)
    assert auditor.wait_for(lambda: auditor.payloads(topic) == [b"LOCKED"])
    brokers.cloud.kill()  # no clean stop: nothing saved
    (brokers.cloud.workdir / "mosquitto.db").unlink(missing_ok=True)
    brokers.cloud.start()
    watcher = Heard(brokers.cloud_client("watcher"), topic)
    assert watcher.wait_for(lambda: b"LOCKED" in watcher.payloads(topic))  # sent again when the bridge came back
    kept = Heard(brokers.cloud_client("platform"), topic)  # and kept: a client that subscribes now gets it at once
    assert kept.wait_for(lambda: bool(kept.on(topic))) and (kept.on(topic)[0].payload, kept.on(topic)[0].retain) == (
        b"LOCKED",
        True,
    )


@pytest.mark.parametrize(
    ("served_by", "said"),
    [("another CA", "certificate verify failed"), ("another name", "host name verification failed")],
)
def test_the_bridge_will_not_talk_to_a_broker_it_cannot_verify(tmp_path: Path, served_by: str, said: str) -> None:
    impostor = TestAuthority(tmp_path / "impostor") if served_by == "another CA" else None
    pair = stand_up(tmp_path, authority=impostor, hosts=["cloud.example.jp"] if impostor is None else None)
    try:
        assert pair.site.wait_for_log(said, 20), list(pair.site.log)
        assert not any("bridge-h1t-shibuya" in line for line in pair.cloud.log)  # it never logged in
    finally:
        pair.stop()


def test_a_site_s_bridge_user_reaches_only_its_own_facility(brokers: Brokers) -> None:
    brokers.site.stop()  # its bridges log in with these names; here a thief with the reception's password does
    thief, console = brokers.cloud_client("bridge-kaikatsu-ikebukuro"), brokers.cloud_client("console")
    everything = Heard(brokers.cloud_client("auditor"), "officepass/#")
    stolen = Heard(thief, H1T_TOPICS.command("booth-a"))
    thief.publish(H1T_TOPICS.command("booth-a"), b"forged")
    thief.publish(H1T_TOPICS.door("booth-a", "state"), b"UNLOCKED", retain=True)
    thief.publish(KAIKATSU_TOPICS.kiosk("front-1", "availability"), b"online")  # its own: allowed, and after the others
    console.publish(H1T_TOPICS.command("booth-a"), b"real")

    def said() -> set[bytes]:  # leaving out the bridges' own link states, which their stopping and the thief changed
        return {m.payload for m in everything.messages if not m.topic.endswith("/bridge")}

    assert everything.wait_for(lambda: said() >= {b"online", b"real"})
    assert said() == {b"online", b"real"} and stolen.messages == []


# --- a whole site through a cut --------------------------------------------------------------------------------------

if TYPE_CHECKING:  # Qt is imported by the fixture that starts a kiosk
    from kiosk.app import KioskApp


def kiosk_config(platform_url: str) -> FacilityConfig:
    """The reception, always open, on the test's platform, showing desk codes signed with the demo kiosk key."""
    return ALWAYS_OPEN.model_copy(
        update={
            "platform": ALWAYS_OPEN.platform.model_copy(update={"base_url": platform_url, "timeout_seconds": 1}),
            "kiosk": ALWAYS_OPEN.kiosk_settings.model_copy(
                update={"signing_key_file": CONFIG_DIR / "demo-keys" / "kiosk-demo.pem"}
            ),
        }
    )


@dataclass
class BridgedSite:
    """A building's broker with lockd and a kiosk on it, bridged to the cloud broker the platform uses."""

    brokers: Brokers
    platform: RunningPlatform
    lockd: LockDaemon
    doors: dict[str, VirtualDoor]
    kiosk: KioskApp
    clock: ShiftedClock
    on_site: Heard  # everything the site's broker carries under officepass/
    in_cloud: Heard  # everything the cloud broker carries under officepass/, kept for this reader across restarts

    def phone(self, member: int) -> Phone:
        """A member's app on the platform."""
        return Phone(member, AppClient(self.platform.server.url, timeout=10))


def start_lockd(
    brokers: Brokers, platform: RunningPlatform, clock: ShiftedClock, folder: Path
) -> tuple[LockDaemon, dict[str, VirtualDoor]]:
    """lockd for the booking floor on virtual doors, on the site's broker; returned once it listens."""
    cfg = site_config(platform.server.url, folder)
    simulated = SimulatedDoors()
    daemon = LockDaemon(
        cfg,
        BrokerSettings(
            brokers.site.host,
            brokers.site.port,
            "lockd-h1t-shibuya",
            SITE_USERS["lockd-h1t-shibuya"],
            client_id="lockd-h1t-shibuya",
        ),
        PlatformClient(cfg.platform),
        door_factory({"simulated": simulated, "gpio": simulated}),
        clock=clock,
        trust=ClockTrust("sanity"),
    )
    connected = threading.Event()
    daemon.bus.connection_listeners.append(lambda up: up and connected.set())
    daemon.start()
    assert connected.wait(10), "lockd did not connect to the site's broker"
    return daemon, simulated.made


def online_in_cloud(heard: Heard) -> bool:
    """lockd and the kiosk reported online through their bridges: each bridge has subscribed in the cloud by then
    (a bridge subscribes before it forwards anything on its connection)."""
    return b"online" in heard.payloads(H1T_TOPICS.lockd("availability")) and b"online" in heard.payloads(
        KAIKATSU_TOPICS.kiosk("front-1", "availability")
    )


@pytest.fixture
def bridged(tmp_path: Path, qtbot, camera, wall_clock: ShiftedClock) -> Iterator[BridgedSite]:
    """The building bridged to the cloud broker, the platform on the cloud broker over TLS, all on the test's clock."""
    from kiosk.app import KioskApp

    with contextlib.ExitStack() as stops:  # every part stopped, last started first, even if one stop fails
        stops.callback(gc.collect)
        brokers = stand_up(tmp_path, through_wan=False)  # the cut here is the cloud broker stopping
        stops.callback(brokers.stop)
        platform = start_platform(
            CONFIG_DIR / "simulator" / "seed.toml",
            broker=BrokerSettings(
                "localhost",
                brokers.cloud.port,
                "platform",
                CLOUD_USERS["platform"],
                tls=True,
                ca_file=brokers.ca_file,
                client_id="platform",
            ),
            reply_timeout=2,
            clock=wall_clock,
        )
        stops.callback(platform.stop)
        lockd, doors = start_lockd(brokers, platform, wall_clock, tmp_path / "lockd")
        stops.callback(lockd.stop)
        kiosk = KioskApp(
            kiosk_config(platform.server.url),
            camera,
            clock=wall_clock,
            data_dir=tmp_path / "kiosk",
            broker=BrokerSettings(
                brokers.site.host,
                brokers.site.port,
                "kiosk-kaikatsu-ikebukuro",
                SITE_USERS["kiosk-kaikatsu-ikebukuro"],
                client_id="kiosk-kaikatsu-ikebukuro",
            ),
        )
        kiosk.start(full_screen=False)
        stops.callback(kiosk.stop)
        qtbot.waitUntil(lambda: kiosk.state.broker is True, timeout=10000)
        in_cloud = Heard(brokers.cloud_client("auditor", clean_start=False, session_expiry=600), "officepass/#")
        site = BridgedSite(
            brokers,
            platform,
            lockd,
            doors,
            kiosk,
            wall_clock,
            Heard(brokers.site_client("technician"), "officepass/#"),
            in_cloud,
        )
        assert in_cloud.wait_for(lambda: online_in_cloud(in_cloud)), "the bridges did not come up"
        yield site


def desk_code(clock: Clock) -> str:
    """The code the reception's kiosk shows now."""
    return mint(DeskCode("kaikatsu-ikebukuro", "front-1", int(clock.now().timestamp()) // 10, 10), KIOSK_KEY)


def test_the_app_s_unlock_and_a_desk_code_check_in_cross_the_bridge_and_their_answers_come_back(
    bridged: BridgedSite, qtbot
) -> None:
    answer = bridged.phone(1003).unlock("h1t-shibuya", "booth-a")
    assert (answer["status"], answer["result"]) == (200, "opened")  # platform -> cloud -> bridge -> site -> lockd
    assert len(bridged.doors["booth-a"].events("relay_on")) == 1  # -> relay, and the answer back the same way
    (command,) = bridged.on_site.on(H1T_TOPICS.command("booth-a"))

    def replies() -> list[dict]:  # the answer to that command, as the platform's broker carried it
        return [
            json.loads(m.payload)
            for m in bridged.in_cloud.on(H1T_TOPICS.door("booth-a", "reply"))
            if m.correlation == command.correlation
        ]

    assert bridged.in_cloud.wait_for(lambda: bool(replies()))
    assert replies() == [{"result": "opened", "door": "booth-a", "command_id": answer["command_id"]}]
    state = H1T_TOPICS.door("booth-a", "state")
    assert bridged.in_cloud.wait_for(lambda: b"UNLOCKED" in bridged.in_cloud.payloads(state))  # the platform sees it
    welcome = bridged.phone(1004).scan_desk_code(desk_code(bridged.clock))  # platform -> bridge -> kiosk -> verdict
    assert (welcome["status"], welcome["result"]) == (200, "admitted")
    assert bridged.kiosk.store.checkins()[0].source == "desk_code"


class Taps:
    """A member tapping 開錠 at a door through the app, again and again, keeping every answer."""

    def __init__(self, phone: Phone, facility: str = "h1t-shibuya", door: str = "booth-a") -> None:
        self.phone, self.facility, self.door = phone, facility, door
        self.answers: list[dict] = []
        self._changed = threading.Condition()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="taps")

    def _run(self) -> None:
        """Tap until stopped; a refusal by the platform (503 while it has no broker) is an answer too."""
        while not self._stop.is_set():
            try:
                answer = self.phone.unlock(self.facility, self.door)
            except PlatformError as refused:
                answer = {"status": refused.status, "result": refused.code}
            with self._changed:
                self.answers.append(answer)
                self._changed.notify_all()
            self._stop.wait(TAP_INTERVAL)

    def count(self, status: int, result: str | None = None) -> int:
        """How many answers had this status (and result)."""
        with self._changed:
            return sum(a["status"] == status and result in (None, a.get("result")) for a in self.answers)

    def wait_for(self, condition: Callable[[], bool], timeout: float = 30) -> bool:
        """True once the condition holds, within timeout seconds."""
        with self._changed:
            return self._changed.wait_for(condition, timeout)

    def __enter__(self) -> Taps:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(30)


def held_command(clock: Clock, sender: BusClient) -> tuple[str, bytes]:
    """A command a platform node publishes while its broker is down: its client keeps it and sends it on reconnect."""
    command = UnlockCommand(
        "booth-a",
        BOOTH_A_BOOKING,
        1003,
        int(clock.now().timestamp()),
        COMMAND_LIFETIME,
        new_id(16),
        H1T_TOPICS.command("booth-a"),
    )
    sender.publish(
        H1T_TOPICS.command("booth-a"),
        mint(command, PLATFORM_KEY),
        expiry=COMMAND_LIFETIME,
        response_topic=H1T_TOPICS.door("booth-a", "reply"),
        correlation=b"held",
        timeout=None,
    )
    return command.command_id.hex(), b"held"


def replies_and_events(heard: Heard) -> set[tuple[str, bytes]]:
    """Each answer (by its correlation data) and each door event (by its body) heard."""
    return {
        (m.topic, m.correlation or b"") if m.topic.endswith("/reply") else (m.topic, m.payload)
        for m in heard.everything()
        if m.topic.endswith(("/reply", "/event"))
    }


def cloud_keeps_states(brokers: Brokers, expected: dict[str, bytes]) -> bool:
    """A client subscribing afresh in the cloud gets a kept (retained) state for each door, and (at once, or as the
    bridge delivers what was said last) the states expected."""
    fresh = Heard(brokers.cloud_client("watcher"), "officepass/h1t-shibuya/door/+/state")

    def latest() -> dict[str, bytes]:
        return {m.topic.split("/")[3]: m.payload for m in fresh.messages}

    return fresh.wait_for(lambda: latest() == expected) and all(
        fresh.on(H1T_TOPICS.door(door, "state"))[0].retain for door in expected
    )


def test_a_cut_mid_traffic_opens_no_door_late_loses_nothing_and_the_kiosk_admits_throughout(
    bridged: BridgedSite, qtbot, camera
) -> None:
    site, links = bridged, bridged.on_site
    # a second platform node, on its own link, so that it sends what it held only once the site is bridged again
    node_link = site.brokers.own_link()
    console = site.brokers.cloud_client("console", via=node_link)
    with Taps(site.phone(1003)) as taps:
        assert taps.wait_for(lambda: taps.count(200, "opened") >= 5)
        site.brokers.cloud.stop()  # the cut, mid-traffic
        node_link.cut()
        assert links.wait_for(lambda: links.payloads("officepass/h1t-shibuya/bridge")[-1:] == [b"0"])  # the site knows
        assert taps.wait_for(lambda: taps.count(503) >= 1)  # and the app hears at once that the site is out of reach
        held_id, held = held_command(site.clock, console)
        camera.show(member_pass(ALWAYS_OPEN, clock=site.kiosk.clock))  # the kiosk admits with its camera
        qtbot.waitUntil(lambda: len(site.kiosk.store.checkins()) == 1, timeout=10000)
        assert site.kiosk.window.verdict.headline.text().startswith("ようこそ") and site.kiosk.state.broker is True
        site.doors["booth-b"].press_exit_button()  # lockd lets someone out; its states and events wait for the link
        site.doors["meeting-1"].force_open()  # and raises an alarm, leaving a door in a state the cloud has not seen
        assert links.wait_for(
            lambda: (
                any(b'"relocked"' in p for p in links.payloads(H1T_TOPICS.door("booth-b", "event")))
                and any(b'"forced"' in p for p in links.payloads(H1T_TOPICS.door("meeting-1", "event")))
            )
        )
        site.clock.shift(COMMAND_LIFETIME + H1T.tokens.clock_skew_seconds + 1)  # the cut outlasts every command sent
        opened_before = taps.count(200, "opened")
        site.brokers.cloud.start()
        assert taps.wait_for(lambda: taps.count(200, "opened") >= opened_before + 5, 60)  # the door answers again
    node_link.restore()  # the platform node is back too, and out goes the command it held

    # no door opened late: each opening inside its command's window; the held command came, and was refused
    store = site.lockd.store
    reply = H1T_TOPICS.door("booth-a", "reply")
    assert site.in_cloud.wait_for(lambda: any(m.correlation == held for m in site.in_cloud.on(reply)))
    (answer,) = [json.loads(m.payload) for m in site.in_cloud.on(reply) if m.correlation == held]
    assert (answer["result"], answer.get("reason"), answer["command_id"]) == ("refused", "expired", held_id)
    openings = store.db.execute(
        "SELECT command_id, received_at, expires_at, pulsed FROM command WHERE result = 'opened'"
    ).fetchall()
    assert all(received <= expires and pulsed == 1 for _, received, expires, pulsed in openings)
    told = {a["command_id"] for a in taps.answers if "command_id" in a}
    assert {row[0] for row in openings} <= told  # and only commands the app sent and heard of (opened, or 504)
    # nothing lost: every answer and event said on the site reached the cloud, and the doors' states caught up
    assert site.in_cloud.wait_for(lambda: replies_and_events(site.on_site) <= replies_and_events(site.in_cloud))
    assert links.wait_for(lambda: links.payloads(H1T_TOPICS.door("booth-a", "state"))[-1:] == [b"LOCKED"])  # last pulse
    assert cloud_keeps_states(site.brokers, {"booth-a": b"LOCKED", "booth-b": b"LOCKED", "meeting-1": b"OPEN"})
    # the kiosk's check-in went to the platform by its own way (HTTPS), and desk-code check-ins cross again
    qtbot.waitUntil(lambda: len(site.platform.state.checkins_of("kaikatsu-ikebukuro")) == 1, timeout=10000)
    welcome = site.phone(1004).scan_desk_code(desk_code(site.clock))
    assert (welcome["status"], welcome["result"]) == (200, "admitted")


# --- the shipped files, as docs/deploy.md installs them ----------------------------------------------------------


class Said:
    """A broker process's log lines as they come, and a wait for one."""

    def __init__(self, process: subprocess.Popen) -> None:
        self.lines: list[str] = []
        self._changed = threading.Condition()
        threading.Thread(target=self._read, args=(process,), daemon=True).start()

    def _read(self, process: subprocess.Popen) -> None:
        """Keep every line the broker writes."""
        assert process.stderr is not None
        for line in process.stderr:
            with self._changed:
                self.lines.append(line.rstrip())
                self._changed.notify_all()

    def wait_for(self, text: str, timeout: float = 20) -> bool:
        """True once a line holds text, within timeout seconds."""
        with self._changed:
            return self._changed.wait_for(lambda: any(text in line for line in self.lines), timeout)


def debian_layout(root: Path) -> Path:
    """Debian's folders and main file in a throwaway root; its /etc/mosquitto."""
    etc = root / "etc" / "mosquitto"
    for folder in (
        etc / "conf.d",
        etc / "certs",
        root / "run" / "mosquitto",
        root / "var" / "lib" / "mosquitto",
        root / "var" / "log" / "mosquitto",
    ):
        folder.mkdir(parents=True, exist_ok=True)
        folder.chmod(0o755)
        if "etc" not in folder.parts:
            shutil.chown(folder, "mosquitto", "mosquitto")  # as Debian's package leaves them
    (etc / "mosquitto.conf").write_text(DEBIAN_MAIN.format(root=root))
    (etc / "conf.d" / "test-log.conf").write_text("log_dest stderr\n")  # the test reads the broker's words
    return etc


def lay_out_cloud(root: Path, port: int, password: str, bridge_password: str) -> Path:
    """The platform's broker as deploy.md installs it: the shipped file, its certificate, passwords, the cloud ACL."""
    etc = debian_layout(root)
    shipped = (REPO / "deploy" / "mosquitto" / "officepass-cloud.conf").read_text()
    (etc / "conf.d" / "officepass-cloud.conf").write_text(
        shipped.replace("/etc/mosquitto/", f"{etc}/").replace("listener 8883", f"listener {port}")
    )
    TestAuthority(etc / "certs").server("cloud", CLOUD_HOSTS)
    passwords = etc / "officepass-cloud.passwd"
    for index, (user, secret) in enumerate((("platform", password), ("bridge-h1t-shibuya", bridge_password))):
        subprocess.run(
            ["mosquitto_passwd", "-b", *(["-c"] if index == 0 else []), str(passwords), user, secret],
            check=True,
            capture_output=True,
        )
    (etc / "officepass-cloud.acl").write_text(cloud_acl_text([H1T]))
    for secret_file in (etc / "certs" / "cloud.key", passwords, etc / "officepass-cloud.acl"):
        as_documented(secret_file)
    return etc / "mosquitto.conf"


def add_bridge(site_etc: Path, cloud_port: int, cloud_ca: Path, bridge_password: str) -> None:
    """The generated bridge in the site's conf.d beside the shipped file, with the platform's CA, as deploy.md says."""
    ca = site_etc / "certs" / "platform-ca.crt"
    shutil.copy(cloud_ca, ca)
    ca.chmod(0o644)
    bridge = site_etc / "conf.d" / "officepass-bridge.conf"
    bridge.write_text(
        bridges_text(
            [H1T],
            CloudLink("localhost", cloud_port, ca, restart=LOOPBACK_RESTART),
            {"bridge-h1t-shibuya": bridge_password},
        )
    )
    as_documented(bridge)


@pytest.fixture
def roots() -> Iterator[tuple[Path, Path]]:
    """Two throwaway roots, for the platform's machine and the site's (pytest's own folders are private to root)."""
    made = [Path(tempfile.mkdtemp(prefix=f"officepass-{name}-")) for name in ("cloud", "site")]
    for root in made:
        root.chmod(0o755)
    yield made[0], made[1]
    for root in made:
        shutil.rmtree(root, ignore_errors=True)


def test_the_shipped_cloud_file_and_a_generated_bridge_link_a_site_under_debian_s_layout(roots) -> None:
    cloud_root, site_root = roots
    cloud_port, site_tls, site_plain = free_port(), free_port(), free_port()
    cloud_main = lay_out_cloud(cloud_root, cloud_port, "platform-pw", "bridge-pw")
    site_main = lay_out(site_root, site_tls, site_plain)
    add_bridge(
        site_root / "etc" / "mosquitto", cloud_port, cloud_root / "etc" / "mosquitto" / "certs" / "ca.crt", "bridge-pw"
    )
    processes = [start(cloud_main), start(site_main)]  # as systemd starts them: as root, dropping to mosquitto
    try:
        cloud_said, site_said = Said(processes[0]), Said(processes[1])
        assert cloud_said.wait_for("as bridge-h1t-shibuya"), cloud_said.lines + site_said.lines  # it logged in
        stray = [line for line in cloud_said.lines + site_said.lines if "listen socket on port 1883." in line]
        assert stray == []  # each broker listens only where its file says (1883 is moved to a free port here)
        platform = BusClient(
            BrokerSettings(
                "localhost",
                cloud_port,
                "platform",
                "platform-pw",
                tls=True,
                ca_file=cloud_root / "etc" / "mosquitto" / "certs" / "ca.crt",
                client_id="platform",
            )
        )
        lockd = BusClient(
            BrokerSettings("127.0.0.1", site_plain, "lockd-h1t-shibuya", "door-secret", client_id="lockd-h1t-shibuya")
        )
        for client in (platform, lockd):
            client.start()
            assert client.wait_connected(10)
        try:
            command, reply = H1T_TOPICS.command("booth-a"), H1T_TOPICS.door("booth-a", "reply")
            carry(lambda: platform.publish(command, b"cmd", expiry=30), Heard(lockd, command), command)
            answers = Heard(platform, reply)
            lockd.publish(reply, b"answer", correlation=b"c-1")
            assert answers.wait_for(lambda: answers.payloads(reply) == [b"answer"])
        finally:
            platform.stop()
            lockd.stop()
    finally:
        for process in processes:
            process.terminate()
            process.wait(10)
