"""An MQTT 5 client for kiosk, lockd and the simulator; paho-mqtt is confined to this package.

VERSION2 callbacks; subscriptions are (re)made in on_connect so they survive broker
restarts; every callback is guarded; messages are handed to a dispatcher thread at
once so a slow handler never stalls the network loop. A batched subscription hands its
handler what has arrived for it at once (lockd decides a batch in one durable commit), a
lane per topic served in turn, each message acknowledged only once handled; what the
handler puts off (lockd's reports) runs whenever no message waits.
"""

from __future__ import annotations

import collections
import logging
import queue
import secrets
import socket
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode
from paho.mqtt.subscribeoptions import SubscribeOptions

from facility.errors import FacilityError
from messagebus.presence import Presence
from messagebus.properties import publish_properties, read_properties_cheaply

log = logging.getLogger(__name__)
Handler = Callable[["Inbound"], None]
Later = Callable[[], None]
BatchHandler = Callable[[list["Inbound"]], list[Later] | None]  # returns the work that can wait, if any
WILDCARDS = ("+", "#")
LATER_LIMIT = 4096  # put-off work kept at most; past it, it runs before the next message (bounded memory in a flood)


class BusError(FacilityError):
    """The broker refused or did not answer in time."""


@dataclass(frozen=True)
class BrokerSettings:
    """Where the broker is and how to log in; TLS always verifies the broker's certificate."""

    host: str
    port: int
    username: str | None = None
    password: str | None = None
    tls: bool = False
    ca_file: Path | None = None
    client_id: str = ""
    clean_start: bool = True
    session_expiry: int = 0
    keepalive: int = 30
    manual_ack: bool = False  # acknowledge QoS 1 messages only after their handler finished
    receive_maximum: int = (
        0  # QoS 1 messages the broker may have in flight to us (0: the broker's own, 20 in Mosquitto)
    )
    send_maximum: int = 20  # QoS 1 messages we may have in flight to the broker (paho's default); the rest queue here

    @classmethod
    def from_config(cls, mqtt_config, client_id: str, **overrides) -> BrokerSettings:
        """Settings from a facility file's [mqtt] section, reading the password file."""
        password = Path(mqtt_config.password_file).read_text().strip() if mqtt_config.password_file else None
        fields = {
            "host": mqtt_config.host,
            "port": mqtt_config.port,
            "username": mqtt_config.username,
            "password": password,
            "tls": mqtt_config.tls,
            "ca_file": mqtt_config.ca_file,
            "client_id": client_id,
        }
        return cls(**(fields | overrides))


@dataclass(frozen=True)
class Will:
    """The message the broker publishes if this client vanishes."""

    topic: str
    payload: bytes
    retain: bool = True


class Batched:
    """A handler that takes a list of messages, and what waits for it: a lane per topic, served in turn."""

    def __init__(self, handler: BatchHandler, max_batch: int) -> None:
        self.handler = handler
        self.max_batch = max_batch
        self._lanes: dict[str, collections.deque[Inbound]] = {}
        self._turns: collections.deque[str] = collections.deque()  # topics with messages waiting, the next first

    def wait(self, message: Inbound) -> None:
        """Queue a message in its topic's lane."""
        lane = self._lanes.get(message.topic)
        if lane is None:
            lane = self._lanes[message.topic] = collections.deque()
            self._turns.append(message.topic)
        lane.append(message)

    @property
    def waiting(self) -> bool:
        """True while any lane holds a message."""
        return bool(self._turns)

    def next_batch(self) -> list[Inbound]:
        """Up to max_batch messages, one from each topic in turn, each topic's in arrival order: a flood on one
        topic makes that topic wait, not the others."""
        batch: list[Inbound] = []
        while self._turns and len(batch) < self.max_batch:
            topic = self._turns.popleft()
            lane = self._lanes[topic]
            batch.append(lane.popleft())
            if lane:
                self._turns.append(topic)
            else:
                del self._lanes[topic]
        return batch


Subscriber = Handler | Batched


@dataclass(frozen=True)
class Inbound:
    """A received message with the MQTT 5 properties the programs act on."""

    topic: str
    payload: bytes
    qos: int
    retain: bool
    duplicate: bool
    response_topic: str | None
    correlation: bytes | None
    expiry: int | None
    received_at: float
    mid: int = 0


def _inbound(message: mqtt.MQTTMessage) -> Inbound:
    """Copy what matters out of paho's message."""
    props = message.properties
    return Inbound(
        message.topic,
        bytes(message.payload),
        message.qos,
        bool(message.retain),
        bool(message.dup),
        getattr(props, "ResponseTopic", None),
        getattr(props, "CorrelationData", None),
        getattr(props, "MessageExpiryInterval", None),
        time.monotonic(),
        message.mid,
    )


class BusClient:
    """A connection to the broker that keeps its subscriptions across reconnects."""

    def __init__(self, settings: BrokerSettings, will: Will | None = None, presence: Presence | None = None) -> None:
        self.settings = settings
        self.presence = presence  # online on connect, offline on a clean stop, and the will for any other end
        self._subscriptions: dict[str, tuple[int, Subscriber, bool]] = {}
        self._wildcard_filters: tuple[str, ...] = ()  # the rest match only their own topic: a dictionary look-up
        self._pending_subacks: dict[int, threading.Event] = {}
        self._awaiting_subacks: set[int] = set()
        self._replies: dict[bytes, tuple[str, queue.Queue[Inbound]]] = {}
        self._inbox: queue.Queue[Inbound | None] = queue.Queue()
        self._held: collections.deque[Inbound | None] = collections.deque()  # taken from the inbox but not yet run
        self._later: collections.deque[Later] = collections.deque()  # put off by batched handlers until none waits
        self._batched: list[Batched] = []
        self._unacked: collections.deque[Inbound] = collections.deque()  # taken from the inbox, in arrival order
        self._handled: set[int] = set()  # ids of the unacknowledged messages whose handling is done
        self._connected = threading.Event()
        self._lock = threading.RLock()
        self.connection_listeners: list[Callable[[bool], None]] = []
        self._client = self._make_client(presence.will() if presence is not None else will)
        self._dispatcher = threading.Thread(target=self._dispatch, name=f"bus-{settings.client_id}", daemon=True)

    def _make_client(self, will: Will | None) -> mqtt.Client:
        """The paho client with callbacks, credentials, TLS and will set."""
        read_properties_cheaply()
        s = self.settings
        client = mqtt.Client(
            CallbackAPIVersion.VERSION2, client_id=s.client_id, protocol=mqtt.MQTTv5, manual_ack=s.manual_ack
        )
        if s.username is not None:
            client.username_pw_set(s.username, s.password)
        if s.tls:
            client.tls_set(ca_certs=str(s.ca_file) if s.ca_file else None)
        if will is not None:
            client.will_set(will.topic, will.payload, qos=1, retain=will.retain)
        client.reconnect_delay_set(min_delay=1, max_delay=5)
        client.max_inflight_messages_set(s.send_maximum)
        client.on_connect = self._guarded(self._on_connect)
        client.on_disconnect = self._guarded(self._on_disconnect)
        client.on_message = self._guarded(self._on_message)
        client.on_subscribe = self._guarded(self._on_subscribe)
        return client

    @staticmethod
    def _guarded(callback: Callable) -> Callable:
        """Wrap a paho callback so an exception is logged instead of stopping the network loop."""

        def guarded(*args):
            try:
                callback(*args)
            except Exception:
                log.exception("MQTT callback %s failed", callback.__name__)

        return guarded

    # --- lifecycle -------------------------------------------------------------

    def start(self) -> None:
        """Connect in the background; paho keeps reconnecting while the broker is away."""
        props = Properties(PacketTypes.CONNECT)
        if self.settings.session_expiry:
            props.SessionExpiryInterval = self.settings.session_expiry
        if self.settings.receive_maximum:
            props.ReceiveMaximum = self.settings.receive_maximum
        self._dispatcher.start()
        self._client.connect_async(
            self.settings.host,
            self.settings.port,
            self.settings.keepalive,
            clean_start=self.settings.clean_start,
            properties=props,
        )
        self._client.loop_start()

    def stop(self) -> None:
        """Say offline (with a presence), disconnect cleanly (no will is sent) and stop the threads."""
        if self.presence is not None:
            self.presence.leave(self)
        self._client.disconnect()
        self._client.loop_stop()
        self._inbox.put(None)
        if self._dispatcher.is_alive():
            self._dispatcher.join(5)

    def wait_connected(self, timeout: float) -> bool:
        """True once connected, within timeout seconds."""
        return self._connected.wait(timeout)

    @property
    def dispatcher_alive(self) -> bool:
        """True while the thread that runs handlers is alive."""
        return self._dispatcher.is_alive()

    @property
    def connected(self) -> bool:
        """True while the broker connection is up."""
        return self._connected.is_set()

    # --- paho callbacks (network thread) -------------------------------------------

    def _on_connect(self, client, userdata, flags, reason, properties) -> None:
        """Resubscribe everything on every connect; ready (and announced) once every SUBACK is back."""
        if reason.is_failure:
            log.warning("broker refused the connection: %s", reason)
            return
        self._no_delay()
        with self._lock:
            sent = [
                self._send_subscribe(topic_filter, qos, as_published)
                for topic_filter, (qos, _, as_published) in self._subscriptions.items()
            ]
            self._awaiting_subacks = {mid for mid in sent if mid is not None}
            ready = not self._awaiting_subacks
        if ready:
            self._ready()

    def _no_delay(self) -> None:
        """Send small packets at once: with Nagle's algorithm a PUBLISH after a PUBACK waits ~40 ms."""
        sock = self._client.socket()
        if isinstance(sock, socket.socket) and sock.family in (socket.AF_INET, socket.AF_INET6):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def _ready(self) -> None:
        """Connected and subscribed: messages published from now on reach the handlers; online said first."""
        self._connected.set()
        if self.presence is not None:
            self.presence.arrive(self)
        self._tell_listeners(True)

    def _on_disconnect(self, client, userdata, flags, reason, properties) -> None:
        """Note the loss; paho reconnects by itself."""
        self._connected.clear()
        self._tell_listeners(False)

    def _on_subscribe(self, client, userdata, mid, reason_codes, properties) -> None:
        """Wake whoever waits for this SUBACK; the last one of a (re)connection makes the client ready."""
        with self._lock:
            done = self._pending_subacks.pop(mid, None)
            last = mid in self._awaiting_subacks and len(self._awaiting_subacks) == 1
            self._awaiting_subacks.discard(mid)
        if done is not None:
            done.set()
        if last:
            self._ready()

    def _on_message(self, client, userdata, message: mqtt.MQTTMessage) -> None:
        """Hand the message to the dispatcher at once."""
        self._inbox.put(_inbound(message))

    def _tell_listeners(self, connected: bool) -> None:
        """Report a connection change to whoever listens."""
        for listener in list(self.connection_listeners):
            try:
                listener(connected)
            except Exception:
                log.exception("connection listener failed")

    # --- dispatch (dispatcher thread) ------------------------------------------

    def _dispatch(self) -> None:
        """Handle each message; batched ones wait in their lanes, served in turn; work put off runs when none waits."""
        while True:
            try:
                message = self._next(block=not (self._later or self._waiting()))
            except queue.Empty:
                waiting = self._waiting()
                if waiting is not None:
                    self._run_batch(waiting)
                else:
                    self._run_later()
                continue
            if message is None:
                break
            self._handle(message)
            while len(self._later) > LATER_LIMIT:
                self._run_later()
        while self._later:  # stopping: what was put off still runs
            self._run_later()

    def _handle(self, message: Inbound) -> None:
        """An answer to a request, a message for a batched handler (into its lane, then a batch), or the handlers
        of its topic."""
        waiting = self._replies.get(message.correlation) if message.correlation is not None else None
        if waiting is not None and mqtt.topic_matches_sub(waiting[0], message.topic):
            waiting[1].put(message)  # an answer: same correlation data, on the response topic
            self._acknowledge(message)
            return
        handlers = self._handlers_for(message.topic)
        if len(handlers) == 1 and isinstance(handlers[0], Batched):
            handlers[0].wait(message)
            self._run_batch(handlers[0])
            return
        for handler in handlers:
            self._run_handler(handler, message)
        self._acknowledge(message)

    def _waiting(self) -> Batched | None:
        """A batched handler with messages waiting in its lanes, if any."""
        return next((batched for batched in self._batched if batched.waiting), None)

    def _run_later(self) -> None:
        """One piece of put-off work; a failure is logged and the rest still runs."""
        work = self._later.popleft()
        try:
            work()
        except Exception:
            log.exception("put-off work %s failed", getattr(work, "__name__", work))

    def _next(self, block: bool = True) -> Inbound | None:
        """The next message, one held back first (None: stop); without block, queue.Empty if none waits."""
        if self._held:
            return self._held.popleft()
        message = self._inbox.get(block)
        if message is not None and self.settings.manual_ack and message.qos > 0:
            self._unacked.append(message)
        return message

    def _handlers_for(self, topic: str) -> list[Subscriber]:
        """The handlers whose filters match a topic: its own filter by look-up, then the wildcard filters."""
        exact = self._subscriptions.get(topic)
        handlers = [exact[1]] if exact is not None else []
        for topic_filter in self._wildcard_filters:
            entry = self._subscriptions.get(topic_filter)
            if entry is not None and mqtt.topic_matches_sub(topic_filter, topic):
                handlers.append(entry[1])
        return handlers

    def _run_batch(self, batched: Batched) -> None:
        """Move what waits in the inbox for this handler into its lanes, run it on the next batch, then acknowledge."""
        self._gather(batched)
        batch = batched.next_batch()
        try:
            self._later.extend(batched.handler(batch) or ())
        except Exception:
            log.exception("batch handler for %s failed", batch[0].topic)
        for message in batch:
            self._acknowledge(message)

    def _gather(self, batched: Batched) -> None:
        """Take every message waiting in the inbox into the handler's lanes, up to one for anyone else."""
        while True:
            try:
                message = self._next(block=False)
            except queue.Empty:
                return
            if (
                message is None
                or message.correlation in self._replies
                or self._handlers_for(message.topic) != [batched]
            ):
                self._held.appendleft(message)  # someone else's (or the stop): it runs next, in its turn
                return
            batched.wait(message)

    def _acknowledge(self, message: Inbound) -> None:
        """In manual-ack mode, PUBACK once handled (a crash before means redelivery), in the order messages came:
        one handled ahead of its turn (another topic's lane) is acknowledged once those before it are."""
        if not (self.settings.manual_ack and message.qos > 0):
            return
        self._handled.add(id(message))
        while self._unacked and id(self._unacked[0]) in self._handled:
            done = self._unacked.popleft()
            self._handled.discard(id(done))
            self._client.ack(done.mid, done.qos)

    @staticmethod
    def _run_handler(handler: Subscriber, message: Inbound) -> None:
        """Run one handler (a batched one with this message alone); one bad message must not stop the others."""
        try:
            if isinstance(handler, Batched):
                for work in handler.handler([message]) or ():
                    work()
            else:
                handler(message)
        except Exception:
            log.exception("handler for %s failed", message.topic)

    # --- subscribe, publish, request -------------------------------------------

    def _send_subscribe(self, topic_filter: str, qos: int, as_published: bool) -> int | None:
        """Send SUBSCRIBE; its message id (None if it could not be sent), whose SUBACK sets an event."""
        with self._lock:
            result, mid = self._client.subscribe(
                topic_filter, options=SubscribeOptions(qos=qos, retainAsPublished=as_published)
            )
            if result != mqtt.MQTT_ERR_SUCCESS or mid is None:
                return None
            self._pending_subacks[mid] = threading.Event()
            return mid

    def subscribe(
        self, topic_filter: str, handler: Handler, qos: int = 1, timeout: float = 5.0, retain_as_published: bool = False
    ) -> None:
        """Subscribe now and after every reconnect; waits for the SUBACK while connected.

        With retain_as_published the retain flag reaches the handler even for live messages
        (MQTT 5 otherwise clears it for existing subscriptions), so a retained command can be refused.
        """
        self._subscribe(topic_filter, handler, qos, timeout, retain_as_published)

    def subscribe_batched(
        self,
        topic_filters: list[str],
        handler: BatchHandler,
        *,
        max_batch: int,
        qos: int = 1,
        timeout: float = 5.0,
        retain_as_published: bool = False,
    ) -> None:
        """Subscribe to several filters with one handler that takes a list: what has arrived for them when it runs,
        up to max_batch, one topic's message after another's in turn (each topic's in arrival order), so that a flood
        on one topic does not hold up the others. Each message is acknowledged once handled, in the order messages
        came. The handler may return work that can wait (reports): it runs, in order, whenever no message waits."""
        batched = Batched(handler, max_batch)
        self._batched.append(batched)
        for topic_filter in topic_filters:
            self._subscribe(topic_filter, batched, qos, timeout, retain_as_published)

    def _subscribe(self, topic_filter: str, handler: Subscriber, qos: int, timeout: float, as_published: bool) -> None:
        """Keep a subscription (made again on every connect) and, while connected, make it now."""
        with self._lock:
            self._subscriptions[topic_filter] = (qos, handler, as_published)
            if any(wildcard in topic_filter for wildcard in WILDCARDS) and topic_filter not in self._wildcard_filters:
                self._wildcard_filters = (*self._wildcard_filters, topic_filter)
            mid = self._send_subscribe(topic_filter, qos, as_published) if self.connected else None
            done = self._pending_subacks.get(mid) if mid is not None else None
        if done is not None and not done.wait(timeout):
            raise BusError(f"no SUBACK for {topic_filter} within {timeout} s")

    def publish(
        self,
        topic: str,
        payload: bytes | str,
        *,
        qos: int = 1,
        retain: bool = False,
        expiry: int | None = None,
        response_topic: str | None = None,
        correlation: bytes | None = None,
        timeout: float | None = 5.0,
    ) -> None:
        """Publish; with a timeout, wait until the broker has acknowledged a QoS 1 message."""
        info = self._client.publish(
            topic, payload, qos=qos, retain=retain, properties=publish_properties(expiry, response_topic, correlation)
        )
        if timeout is None or qos == 0:
            return
        try:
            info.wait_for_publish(timeout)
        except (RuntimeError, ValueError) as exc:
            raise BusError(f"publish to {topic} failed: {exc}") from None
        if not info.is_published():
            raise BusError(f"broker did not acknowledge {topic} within {timeout} s")

    def request(
        self, topic: str, payload: bytes | str, response_topic: str, *, timeout: float, expiry: int | None = None
    ) -> Inbound | None:
        """Publish with a response topic and fresh correlation data; the answer, or None after timeout."""
        if response_topic not in self._subscriptions:
            self.subscribe(response_topic, lambda message: None)
        correlation = secrets.token_bytes(16)
        answers: queue.Queue[Inbound] = queue.Queue()
        self._replies[correlation] = (response_topic, answers)
        try:
            self.publish(
                topic, payload, expiry=expiry, response_topic=response_topic, correlation=correlation, timeout=timeout
            )
            return answers.get(timeout=timeout)
        except queue.Empty:
            return None
        finally:
            self._replies.pop(correlation, None)


# --- one login, to say why a connection fails -----------------------------------------

# CONNACK reason codes that mean the broker refused these credentials (MQTT 5: 0x86, 0x87; paho maps 3.1.1's too).
CREDENTIALS_REFUSED = {134, 135}


@dataclass(frozen=True)
class LoginAnswer:
    """How the broker answered one login: accepted, refused the credentials, refused otherwise, or was not reached."""

    outcome: Literal["accepted", "credentials", "refused", "down", "no_answer", "tls", "unreachable"]
    detail: str = ""


def try_login(settings: BrokerSettings, timeout: float) -> LoginAnswer:
    """Connect once (no retry, no subscription) and say how the broker answered, or why it could not be reached."""
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=settings.client_id, protocol=mqtt.MQTTv5)
    if settings.username is not None:
        client.username_pw_set(settings.username, settings.password)
    if settings.tls:
        client.tls_set(ca_certs=str(settings.ca_file) if settings.ca_file else None)
    client.connect_timeout = timeout
    answers: queue.Queue[LoginAnswer] = queue.Queue()
    client.on_connect = lambda _c, _u, _f, reason, _p: answers.put(_connack(reason))
    client.on_disconnect = lambda _c, _u, _f, reason, _p: answers.put(
        LoginAnswer("no_answer", f"the broker closed the connection before answering ({reason})")
    )
    try:
        client.connect(settings.host, settings.port, settings.keepalive)
    except OSError as exc:
        return _not_reached(exc, settings.tls)
    client.loop_start()
    try:
        return answers.get(timeout=timeout)
    except queue.Empty:
        return LoginAnswer("no_answer", f"no CONNACK within {timeout:g} s")
    finally:
        client.disconnect()
        client.loop_stop()


def _connack(reason: ReasonCode) -> LoginAnswer:
    """The login's fate from the CONNACK's reason code."""
    if not reason.is_failure:
        return LoginAnswer("accepted", str(reason))
    return LoginAnswer(
        "credentials" if reason.value in CREDENTIALS_REFUSED else "refused", f"{reason} (0x{reason.value:02x})"
    )


def _not_reached(exc: OSError, tls: bool) -> LoginAnswer:
    """Why the connection itself failed; the order matters, as each of these is an OSError."""
    if isinstance(exc, ssl.SSLError):
        return LoginAnswer("tls", str(exc))
    if tls and isinstance(exc, ConnectionResetError):  # a plain listener drops a TLS hello
        return LoginAnswer("tls", "the broker dropped the TLS handshake; does this port speak TLS?")
    if isinstance(exc, ConnectionRefusedError):
        return LoginAnswer("down", "connection refused")
    if isinstance(exc, TimeoutError):
        return LoginAnswer("no_answer", "timed out")
    return LoginAnswer("unreachable", str(exc) or type(exc).__name__)
