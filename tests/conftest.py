"""Fixtures shared by every test: a real Mosquitto broker, paths and the demo keys."""

from __future__ import annotations

import os
import queue
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from facility.tokens import Keyring, SigningKey
from messagebus import BrokerSettings, BusClient
from simulator.broker import MosquittoBroker
from simulator.clock import ShiftedClock
from simulator.runtime import RunningPlatform, start_platform
from simulator.site import morning_clock

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

REPO = Path(__file__).resolve().parent.parent
CONFIG_DIR = REPO / "config"
ALL_PURPOSES = {"member_pass", "desk_code", "unlock_command"}


@pytest.fixture(scope="session")
def project_wheel(tmp_path_factory) -> Path:
    """The project's wheel, built once a session from a copy of the checkout (a build leaves folders in its tree)."""
    work = tmp_path_factory.mktemp("wheel")
    source = work / "source"
    shutil.copytree(
        REPO,
        source,
        ignore=shutil.ignore_patterns(
            ".venv", ".git", "build", "dist", "*.egg-info", "__pycache__", ".*_cache", ".hypothesis", "var", ".lgd-nfy*"
        ),
    )
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(work / "dist"), str(source)],
        check=True,
        capture_output=True,
    )
    (wheel,) = (work / "dist").glob("officepass_edge-*.whl")
    return wheel


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[MosquittoBroker]:
    """A real Mosquitto on 127.0.0.1 on a free port, with users 'lockd' and 'platform'; stopped after the test."""
    instance = MosquittoBroker(tmp_path / "mosquitto", users={"lockd": "lockd-secret", "platform": "platform-secret"})
    instance.start()
    yield instance
    instance.stop()


@pytest.fixture(scope="session")
def platform_key() -> SigningKey:
    """A signing key standing for the platform's."""
    return SigningKey.generate()


@pytest.fixture(scope="session")
def keyring(platform_key: SigningKey) -> Keyring:
    """A keyring trusting the platform key for every purpose."""
    ring = Keyring()
    ring.trust("platform", platform_key.public_raw, ALL_PURPOSES)
    return ring


def bus_settings(broker: MosquittoBroker, user: str, client_id: str = "") -> BrokerSettings:
    """Settings for a client of the fixture broker."""
    passwords = {"lockd": "lockd-secret", "platform": "platform-secret"}
    return BrokerSettings(broker.host, broker.port, user, passwords[user], client_id=client_id)


@pytest.fixture
def bus_client(broker: MosquittoBroker) -> Iterator[Callable[..., BusClient]]:
    """Make connected bus clients on the fixture broker; all are stopped after the test."""
    made: list[BusClient] = []

    def make(user: str = "lockd", **settings) -> BusClient:
        client = BusClient(replace(bus_settings(broker, user), **settings))
        client.start()
        assert client.wait_connected(10), "client did not connect"
        made.append(client)
        return client

    yield make
    for client in made:
        client.stop()


@pytest.fixture
def wall_clock() -> ShiftedClock:
    """The test's wall clock: a weekday morning (no holiday, no cut-off near), running on in real time.

    In-process parts of a test share it (platform, lockd, kiosk) and tokens are minted on it, so no
    test depends on the date or hour it runs at. Monotonic time stays real (Qt timers, pulses).
    """
    return morning_clock()


@pytest.fixture
def platform(broker: MosquittoBroker, wall_clock: ShiftedClock) -> Iterator[RunningPlatform]:
    """The stand-in platform from config/simulator/seed.toml, on a free port, connected to the fixture broker."""
    running = start_platform(
        CONFIG_DIR / "simulator" / "seed.toml",
        broker=bus_settings(broker, "platform", "platform"),
        reply_timeout=1.5,
        clock=wall_clock,
    )
    yield running
    running.stop()


@pytest.fixture
def real_time_platform(broker: MosquittoBroker) -> Iterator[RunningPlatform]:
    """The platform on the real clock, for tests whose lockd or kiosk runs as its own process (on the real clock);
    their facility files carry no date-dependent rule (cut-offs and limits removed)."""
    running = start_platform(
        CONFIG_DIR / "simulator" / "seed.toml", broker=bus_settings(broker, "platform", "platform"), reply_timeout=1.5
    )
    yield running
    running.stop()


@pytest.fixture
def offline_platform(wall_clock: ShiftedClock) -> Iterator[RunningPlatform]:
    """The stand-in platform without a broker (HTTP only)."""
    running = start_platform(CONFIG_DIR / "simulator" / "seed.toml", clock=wall_clock)
    yield running
    running.stop()


@pytest.fixture
def site(broker, platform, bus_client, tmp_path, wall_clock):
    """lockd for the H1T example on virtual doors, against the fixture broker and platform, on the test's clock."""
    from tests.lockd_site import site_config, start_site

    running = start_site(
        site_config(platform.server.url, tmp_path),
        platform,
        bus_settings(broker, "lockd", "lockd-test"),
        bus_client(user="platform"),
        clock=wall_clock,
    )
    yield running
    running.daemon.stop()


@pytest.fixture
def camera():
    """The simulator's camera, paced like a real one."""
    from simulator.camera import VirtualCamera

    return VirtualCamera(640, 480, fps=30, paced=True)


def retained_now(bus_client, topic_filter: str, marker: str) -> dict[str, bytes]:
    """What the broker holds retained under a filter, by topic: a new subscriber is handed all of it before a message
    published after the subscription (the marker, on a topic the filter matches, not retained)."""
    found: queue.Queue = queue.Queue()
    listener = bus_client(user="platform")
    listener.subscribe(topic_filter, found.put)
    listener.publish(marker, b"marker")
    messages = {}
    while (message := found.get(timeout=10)).topic != marker:
        messages[message.topic] = message.payload
    return messages


def retained_when(
    bus_client, topic_filter: str, marker: str, until: Callable[[dict[str, bytes]], bool], timeout: float = 15.0
) -> dict[str, bytes]:
    """What the broker holds retained under a filter, once `until` holds of what was published there: programs
    publish without waiting for the broker, so the messages are followed as they come (an empty payload takes its
    topic away), then the retained ones are read."""
    heard: dict[str, bytes] = {}
    arrived: queue.Queue = queue.Queue()
    bus_client(user="platform").subscribe(topic_filter, arrived.put)
    deadline = time.monotonic() + timeout
    while not until(heard):
        try:
            message = arrived.get(timeout=max(0.0, deadline - time.monotonic()))
        except queue.Empty:
            raise AssertionError(f"not within {timeout} s under {topic_filter}; heard {sorted(heard)}") from None
        if message.payload:
            heard[message.topic] = message.payload
        else:
            heard.pop(message.topic, None)
    return retained_now(bus_client, topic_filter, marker)
