"""The MQTT 5 client that kiosk, lockd and the simulator share, against a real Mosquitto."""

from __future__ import annotations

import queue
import re
import threading
from dataclasses import replace

import pytest
from paho.mqtt.exception import MQTTException
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties, VariableByteIntegers

from messagebus import Inbound, try_login
from messagebus.properties import SharedTableProperties, publish_properties
from simulator.broker import MosquittoBroker
from tests.conftest import REPO, bus_settings


def test_subscriptions_survive_a_broker_restart(broker: MosquittoBroker, bus_client) -> None:
    listener = bus_client()
    got: queue.Queue = queue.Queue()
    listener.subscribe("officepass/test/#", got.put)
    down, up = threading.Event(), threading.Event()
    listener.connection_listeners.append(lambda connected: (up if connected else down).set())
    broker.restart()
    assert down.wait(10) and up.wait(15), "the client did not reconnect"
    bus_client(user="platform").publish("officepass/test/after", b"still here")
    assert got.get(timeout=5).payload == b"still here"


def test_a_failing_handler_does_not_stop_the_next_message(bus_client) -> None:
    listener, got = bus_client(), queue.Queue()

    def fussy(message: Inbound) -> None:
        if message.payload == b"bad":
            raise ValueError("cannot handle this")
        got.put(message.payload)

    listener.subscribe("officepass/test/fussy", fussy)
    sender = bus_client(user="platform")
    sender.publish("officepass/test/fussy", b"bad")
    sender.publish("officepass/test/fussy", b"good")
    assert got.get(timeout=5) == b"good"


def test_retained_flag_and_expiry_reach_the_handler(bus_client) -> None:
    bus_client(user="platform").publish("officepass/test/state", b"LOCKED", retain=True, expiry=60)
    got: queue.Queue = queue.Queue()
    bus_client().subscribe("officepass/test/state", got.put)
    message = got.get(timeout=5)
    assert (message.payload, message.retain) == (b"LOCKED", True)
    assert 0 < message.expiry <= 60


def test_request_without_an_answer_returns_none(bus_client) -> None:
    asker = bus_client(user="platform")
    assert asker.request("officepass/test/nobody", b"?", "officepass/test/replies", timeout=0.5) is None


def test_request_gets_the_answer_with_its_correlation(bus_client) -> None:
    responder, asker = bus_client(), bus_client(user="platform")
    responder.subscribe(
        "officepass/test/ask",
        lambda m: responder.publish(m.response_topic, b"answer:" + m.payload, correlation=m.correlation),
    )
    reply = asker.request("officepass/test/ask", b"42", "officepass/test/answers", timeout=5)
    assert reply is not None and reply.payload == b"answer:42"


def test_a_request_is_not_answered_by_its_own_echo(bus_client) -> None:
    asker = bus_client(user="platform")
    asker.subscribe("officepass/test/#", lambda m: None)  # the asker also hears its own request
    responder = bus_client()
    responder.subscribe(
        "officepass/test/ask", lambda m: responder.publish(m.response_topic, b"real answer", correlation=m.correlation)
    )
    reply = asker.request("officepass/test/ask", b"question", "officepass/replies/asker", timeout=5)
    assert reply is not None and (reply.topic, reply.payload) == ("officepass/replies/asker", b"real answer")


def test_one_login_tells_a_wrong_password_from_a_broker_that_is_down(broker: MosquittoBroker) -> None:
    right = bus_settings(broker, "lockd", "login-probe")
    assert try_login(right, 5).outcome == "accepted"
    wrong = try_login(replace(right, password="not-the-password"), 5)
    assert wrong.outcome == "credentials" and "0x87" in wrong.detail  # Mosquitto: CONNACK "Not authorized"
    assert try_login(replace(right, username="nobody"), 5).outcome == "credentials"
    assert try_login(replace(right, tls=True), 5).outcome == "tls"  # a TLS hello to a plain listener
    broker.stop()
    assert try_login(right, 5).outcome == "down"  # nothing listens on the port: connection refused


class WatchedInbox(queue.Queue):
    """An inbox that says how many messages it has taken in, so a test can wait for them to arrive."""

    def __init__(self) -> None:
        super().__init__()
        self.arrived = threading.Condition()
        self.count = 0

    def put(self, item, block: bool = True, timeout: float | None = None) -> None:
        super().put(item, block, timeout)
        with self.arrived:
            self.count += 1
            self.arrived.notify_all()


def held_batches(
    bus_client, topics: list[str], first: tuple[str, bytes], rest: list[tuple[str, bytes]], max_batch: int
) -> tuple[list[list[bytes]], threading.Condition, queue.Queue]:
    """A batched subscription whose first batch (`first`) holds the dispatcher until `rest` has arrived; the batches
    it was given (filled in as they come), their condition, and what a plain subscription to officepass/test/other got
    (with how many batches had run by then)."""
    listener = bus_client(manual_ack=True, receive_maximum=100)
    batches: list[list[bytes]] = []
    taken = threading.Condition()
    others: queue.Queue = queue.Queue()
    holding, release = threading.Event(), threading.Event()

    def take(messages: list[Inbound]) -> None:
        with taken:
            batches.append([message.payload for message in messages])
            taken.notify_all()
        holding.set()
        assert release.wait(10)  # the first batch holds the dispatcher while the rest arrive

    listener.subscribe_batched([f"officepass/test/{topic}" for topic in topics], take, max_batch=max_batch)
    listener.subscribe("officepass/test/other", lambda message: others.put((message.payload, len(batches))))
    sender = bus_client(user="platform")
    sender.publish(f"officepass/test/{first[0]}", first[1])
    assert holding.wait(5)
    inbox = listener._inbox = WatchedInbox()
    for topic, payload in rest:
        sender.publish(f"officepass/test/{topic}", payload)
    with inbox.arrived:
        assert inbox.arrived.wait_for(lambda: inbox.count == len(rest), 10)
    release.set()
    return batches, taken, others


def test_a_batched_subscription_takes_what_waits_for_it_each_topic_in_turn(bus_client) -> None:
    rest = [("a", b"1"), ("b", b"2"), ("a", b"3"), ("a", b"4"), ("other", b"x"), ("b", b"5")]
    batches, taken, others = held_batches(bus_client, ["a", "b"], ("a", b"0"), rest, max_batch=3)
    assert others.get(timeout=5) == (b"x", 2)  # after the batch it came behind, before the next
    with taken:
        assert taken.wait_for(lambda: len(batches) == 3, 10)
    assert batches == [[b"0"], [b"1", b"2", b"3"], [b"4", b"5"]]  # a, b, a; then what is left, in turn


def test_a_flooded_topic_does_not_hold_up_the_others(bus_client) -> None:
    flood = [("a", f"junk {n}".encode()) for n in range(30)]
    batches, taken, _ = held_batches(bus_client, ["a", "b"], ("a", b"first"), [*flood, ("b", b"genuine")], max_batch=8)
    with taken:
        assert taken.wait_for(lambda: sum(map(len, batches)) == 32, 10)
    assert b"genuine" in batches[1]  # in the first batch after it came, not behind the thirty before it
    assert [payload for batch in batches for payload in batch if payload.startswith(b"junk")] == [p for _, p in flood]


@pytest.mark.parametrize(
    "fields",
    [
        {
            "MessageExpiryInterval": 30,
            "ResponseTopic": "officepass/h1t/door/booth-a/reply",
            "CorrelationData": b"\x00\xff",
        },
        {"CorrelationData": b"x" * 300},
        {"ResponseTopic": "返信/先", "UserProperty": [("a", "1"), ("b", "2")], "PayloadFormatIndicator": 1},
        {"ContentType": "application/json", "SubscriptionIdentifier": [7], "TopicAlias": 3},
    ],
)
def test_properties_are_written_and_read_as_paho_itself_does(fields: dict) -> None:
    reference = Properties(PacketTypes.PUBLISH)
    for name, value in fields.items():
        setattr(reference, name, value)
    packed = reference.pack()
    if set(fields) <= {"MessageExpiryInterval", "ResponseTopic", "CorrelationData"}:
        written = publish_properties(
            fields.get("MessageExpiryInterval"), fields.get("ResponseTopic"), fields.get("CorrelationData")
        )
        assert written is not None and written.pack() == packed
    read, length = SharedTableProperties(PacketTypes.PUBLISH).unpack(packed)
    expected, expected_length = Properties(PacketTypes.PUBLISH).unpack(packed)
    assert (read.json(), length) == (expected.json(), expected_length)


def test_reading_properties_refuses_what_paho_refuses() -> None:
    twice = VariableByteIntegers.encode(10) + b"\x02\x00\x00\x00\x1e" + b"\x02\x00\x00\x00\x1e"  # expiry twice
    out_of_range = VariableByteIntegers.encode(3) + b"\x23\x00\x00"  # topic alias 0
    for packed in (twice, out_of_range):
        with pytest.raises(MQTTException):
            Properties(PacketTypes.PUBLISH).unpack(packed)
        with pytest.raises(MQTTException):
            SharedTableProperties(PacketTypes.PUBLISH).unpack(packed)
    assert publish_properties(None, None, None) is None


def test_the_private_paho_reader_is_there_in_every_release_pyproject_allows(bus_client, monkeypatch) -> None:
    import importlib.metadata
    import tomllib

    import paho.mqtt._packet as packets

    from messagebus.properties import read_properties_cheaply

    pin = next(
        d
        for d in tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["dependencies"]
        if d.startswith("paho-mqtt")
    )
    lower, upper = (tuple(int(part) for part in bound.split(".")) for bound in re.findall(r"[<>]=?([\d.]+)", pin))
    installed = tuple(int(part) for part in importlib.metadata.version("paho-mqtt").split(".")[:2])
    assert lower <= installed < upper, f"paho {installed} is outside {pin}: check messagebus/properties.py against it"
    assert read_properties_cheaply() and packets.Properties is SharedTableProperties
    read: list[int] = []
    original = SharedTableProperties.unpack
    monkeypatch.setattr(SharedTableProperties, "unpack", lambda self, buffer: read.append(1) or original(self, buffer))
    heard: queue.Queue = queue.Queue()
    listener = bus_client()
    listener.subscribe("probe/properties", heard.put)
    bus_client(user="platform").publish("probe/properties", b"x", response_topic="probe/reply", correlation=b"c")
    assert heard.get(timeout=5).response_topic == "probe/reply"
    assert read  # paho's own decoder went through the replacement
