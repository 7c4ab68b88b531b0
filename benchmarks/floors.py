"""Floors for the unlock benchmark, measured in the same run as lockd: what the work costs with nothing wasted.

- one durable commit: a one-row transaction in a SQLite file beside lockd's (WAL, synchronous FULL), which
  every decision must make before its relay moves;
- an Ed25519 verification of a command, which every command needs;
- raw MQTT in a burst: `doors` QoS 1 messages published at once to a plain subscriber on the same broker, each
  timed to its arrival, as the burst's commands are timed to their relays;
- a batch decided with no MQTT at all: `doors` fresh commands through lockd's own decision, in one transaction
  and one fsync, on a store of its own;
- raw MQTT during a flood: the same junk from `mosquitto_pub` to a subscriber that does nothing with it, and a
  plain message at a time through the same client meanwhile.
"""

from __future__ import annotations

import queue
import subprocess
import threading
import time
from datetime import timedelta
from pathlib import Path

from benchmarks.burst_sender import BurstSender
from benchmarks.seeding import as_synced
from facility.clock import SystemClock
from facility.config import FacilityConfig
from facility.models import Plan, Reservation
from facility.store import open_database
from facility.tokens import Keyring, SigningKey, UnlockCommand, authenticate_unlock_command, mint, new_id
from facility.topics import SiteTopics
from lockd.clocktrust import ClockTrust
from lockd.commands import UnlockHandler
from lockd.store import LockdStore
from messagebus import BrokerSettings, BusClient, Inbound
from simulator.broker import MosquittoBroker


def commit_floor(folder: Path, count: int) -> list[float]:
    """Seconds per durable one-row commit in a fresh SQLite file (WAL, synchronous FULL) in `folder`."""
    db = open_database(folder / "floor.db")
    db.execute("CREATE TABLE IF NOT EXISTS floor (n INTEGER)")
    samples = []
    for n in range(count):
        start = time.perf_counter()
        db.execute("BEGIN IMMEDIATE")
        db.execute("INSERT INTO floor VALUES (?)", (n,))
        db.execute("COMMIT")
        samples.append(time.perf_counter() - start)
    db.close()
    return samples


def verify_floor(cfg: FacilityConfig, key: SigningKey, count: int) -> list[float]:
    """Seconds to authenticate one command (parse and Ed25519 verification), as lockd does first."""
    topics = SiteTopics.of(cfg)
    keyring = Keyring.from_config(cfg.tokens.trusted_keys)
    door = cfg.doors[0].id
    text = mint(UnlockCommand(door, 1, 1, int(time.time()), 30, new_id(16), topics.command(door)), key)
    samples = []
    for _ in range(count):
        start = time.perf_counter()
        authenticate_unlock_command(text, keyring, time.time(), topics=topics)
        samples.append(time.perf_counter() - start)
    return samples


def raw_mqtt_burst(broker: MosquittoBroker, users: dict[str, str], size: int, rounds: int) -> list[float]:
    """Seconds from publish to arrival of `size` QoS 1 messages published at once, round after round, by the same
    sender process as the bench's bursts of commands (benchmarks/burst_sender.py)."""
    receiver = BusClient(
        BrokerSettings(
            broker.host,
            broker.port,
            "lockd",
            users["lockd"],
            client_id="floor-receiver",
            manual_ack=True,
            receive_maximum=1000,
        )
    )
    arrivals: queue.Queue[tuple[bytes, float]] = queue.Queue()

    def arrived(messages: list[Inbound]) -> None:
        for message in messages:
            arrivals.put((message.payload, time.perf_counter()))

    receiver.subscribe_batched([f"bench/burst/{n}" for n in range(size)], arrived, max_batch=128)
    receiver.start()
    receiver.wait_connected(10)
    sender = BurstSender(broker.host, broker.port, "platform", users["platform"])
    samples = []
    try:
        for _ in range(rounds):
            sent = sender.send([(f"bench/burst/{n}", str(n), "bench/burst/reply") for n in range(size)])
            started = {str(n).encode(): at for n, at in enumerate(sent)}
            for _ in range(size):
                payload, at = arrivals.get(timeout=10)
                samples.append(at - started[payload])
    finally:
        sender.close()
        receiver.stop()
    return samples


def batch_decision_floor(
    cfg: FacilityConfig, key: SigningKey, folder: Path, rounds: int, batch: int | None = None
) -> list[float]:
    """Seconds to decide a batch of one command per door (or of `batch` commands, the doors in turn) in one
    transaction and one fsync, with no MQTT: lockd's own work, with nothing around it."""
    store = LockdStore(folder / f"floor-lockd-{batch}.db")
    now = SystemClock().now()
    as_synced(
        store,
        [
            Reservation(n + 1, room.id, n + 1, now - timedelta(hours=1), now + timedelta(hours=5), plan=Plan.CORPORATE)
            for n, room in enumerate(cfg.rooms)
        ],
        0,
        now,
    )
    topics = SiteTopics.of(cfg)
    handler = UnlockHandler(
        cfg,
        store,
        Keyring.from_config(cfg.tokens.trusted_keys),
        topics,
        SystemClock(),
        ClockTrust("sanity"),
        lambda moment: False,
    )
    size = batch or len(cfg.doors)
    samples = []
    for round_ in range(rounds):
        numbers = [(round_ * size + k) % len(cfg.doors) for k in range(size)]
        arrivals = [(cfg.doors[n].id, _command(cfg, topics, key, n)) for n in numbers]
        start = time.perf_counter()
        handler.decide_batch(arrivals)
        samples.append(time.perf_counter() - start)
    handler.screener.close()
    store.close()
    return samples


def command_text(door: str, number: int, topics: SiteTopics, key: SigningKey) -> str:
    """A fresh genuine unlock command for a door, as the platform signs it (its booking and member numbered)."""
    return mint(UnlockCommand(door, number, number, int(time.time()), 30, new_id(16), topics.command(door)), key)


def _command(cfg: FacilityConfig, topics: SiteTopics, key: SigningKey, n: int) -> Inbound:
    """A fresh genuine command for door n, as it arrives."""
    door = cfg.doors[n].id
    text = command_text(door, n + 1, topics, key)
    return Inbound(topics.command(door), text.encode(), 1, False, False, None, None, 30, time.monotonic())


def raw_mqtt_during_flood(broker: MosquittoBroker, users: dict[str, str], junk: list[str], floods: int) -> list[float]:
    """Seconds from publish to arrival of plain messages sent one at a time to a subscriber that takes a flood of
    `junk` on another topic at the same time (and does nothing with either), flood after flood: what MQTT and
    its client alone cost under the same flood, with no decision at all."""
    receiver = BusClient(
        BrokerSettings(
            broker.host,
            broker.port,
            "lockd",
            users["lockd"],
            client_id="floor-flooded",
            manual_ack=True,
            receive_maximum=1000,
        )
    )
    sender = BusClient(
        BrokerSettings(broker.host, broker.port, "platform", users["platform"], client_id="floor-pinger")
    )
    taken = threading.Semaphore(0)
    arrivals: queue.Queue[float] = queue.Queue()

    def arrived(messages: list[Inbound]) -> None:
        for message in messages:
            if message.topic == "bench/ping":
                arrivals.put(time.perf_counter())
            else:
                taken.release()

    receiver.subscribe_batched(["bench/flood", "bench/ping"], arrived, max_batch=128)
    for client in (receiver, sender):
        client.start()
        client.wait_connected(10)
    samples: list[float] = []
    for _ in range(floods):
        flood = flood_process(broker, users, "bench/flood", junk)
        while not taken.acquire(timeout=10):  # the flood is arriving
            pass
        left = len(junk) - 1
        while left > 0:
            start = time.perf_counter()
            sender.publish("bench/ping", b"ping", timeout=None)
            samples.append(arrivals.get(timeout=10) - start)
            while left > 0 and taken.acquire(blocking=False):
                left -= 1
        flood.wait(10)
    receiver.stop()
    sender.stop()
    return samples


def flood_process(
    broker: MosquittoBroker, users: dict[str, str], topic: str, texts: list[str], properties: tuple[str, ...] = ()
) -> subprocess.Popen:
    """`mosquitto_pub -l` in its own process publishing every text (QoS 1) as fast as the broker takes them."""
    process = subprocess.Popen(
        [
            "mosquitto_pub",
            "-h",
            broker.host,
            "-p",
            str(broker.port),
            "-u",
            "platform",
            "-P",
            users["platform"],
            "-V",
            "5",
            "-q",
            "1",
            "-t",
            topic,
            "-l",
            *properties,
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    threading.Thread(target=_feed, args=(process, texts), daemon=True).start()  # a pipe holds less than the flood
    return process


def _feed(process: subprocess.Popen, texts: list[str]) -> None:
    """Write the texts to the publisher's standard input, one message a line, and close it."""
    assert process.stdin is not None
    process.stdin.write("\n".join(texts) + "\n")
    process.stdin.close()
