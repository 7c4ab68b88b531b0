"""The MQTT 5 client that kiosk, lockd and the simulator share, against a real Mosquitto."""

from __future__ import annotations

import queue
import threading
from dataclasses import replace

from messagebus import Inbound, try_login
from simulator.broker import MosquittoBroker
from tests.conftest import bus_settings


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
    responder.subscribe("officepass/test/ask", lambda m: responder.publish(m.response_topic, b"answer:" + m.payload,
                                                                           correlation=m.correlation))
    reply = asker.request("officepass/test/ask", b"42", "officepass/test/answers", timeout=5)
    assert reply is not None and reply.payload == b"answer:42"


def test_a_request_is_not_answered_by_its_own_echo(bus_client) -> None:
    asker = bus_client(user="platform")
    asker.subscribe("officepass/test/#", lambda m: None)  # the asker also hears its own request
    responder = bus_client()
    responder.subscribe("officepass/test/ask", lambda m: responder.publish(m.response_topic, b"real answer",
                                                                           correlation=m.correlation))
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
