"""The Mosquitto fixture: a real broker that authenticates, relays and survives restarts."""

from __future__ import annotations

import queue

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from simulator.broker import MosquittoBroker


def _connect(broker: MosquittoBroker, user: str, password: str) -> tuple[mqtt.Client, queue.Queue]:
    """An MQTT 5 client; its CONNACK reason and messages arrive on the returned queue."""
    events: queue.Queue = queue.Queue()
    client = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
    client.username_pw_set(user, password)
    client.on_connect = lambda c, u, flags, reason, props: events.put(("connack", reason.is_failure, str(reason)))
    client.on_message = lambda c, u, msg: events.put(("message", msg.topic, msg.payload))
    client.on_subscribe = lambda c, u, mid, reasons, props: events.put(("suback", mid))
    client.connect(broker.host, broker.port)
    client.loop_start()
    return client, events


def test_broker_accepts_known_user_and_relays_a_message(broker: MosquittoBroker) -> None:
    client, events = _connect(broker, "platform", "platform-secret")
    try:
        assert events.get(timeout=5)[:2] == ("connack", False)
        client.subscribe("officepass/test/#", qos=1)
        assert events.get(timeout=5)[0] == "suback"
        props = Properties(PacketTypes.PUBLISH)
        props.MessageExpiryInterval = 30
        client.publish("officepass/test/ping", b"hello", qos=1, properties=props)
        assert events.get(timeout=5) == ("message", "officepass/test/ping", b"hello")
    finally:
        client.loop_stop()
        client.disconnect()


def test_broker_refuses_a_wrong_password(broker: MosquittoBroker) -> None:
    client, events = _connect(broker, "lockd", "not-the-password")
    try:
        kind, failed, reason = events.get(timeout=5)
        assert (kind, failed) == ("connack", True)
        assert "not authorized" in reason.lower() or "bad user name or password" in reason.lower()
    finally:
        client.loop_stop()


def test_broker_restarts_on_the_same_port(broker: MosquittoBroker) -> None:
    port = broker.port
    broker.restart()
    assert broker.running and broker.port == port
    client, events = _connect(broker, "lockd", "lockd-secret")
    try:
        assert events.get(timeout=5)[:2] == ("connack", False)
    finally:
        client.loop_stop()
        client.disconnect()
