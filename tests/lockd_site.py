"""A booking site for lockd's tests: the real daemon, virtual doors, the stand-in platform and a real broker."""

from __future__ import annotations

import dataclasses
import json
import queue
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from facility.clock import Scheduler
from facility.config import FacilityConfig
from facility.platform import PlatformClient
from facility.tokens import SigningKey, UnlockCommand, mint, new_id
from facility.topics import DEFAULT_PREFIX, SiteTopics
from lockd.clocktrust import ClockTrust
from lockd.daemon import LockDaemon
from lockd.drivers import door_factory
from messagebus import BusClient, Inbound
from simulator.clock import ShiftedClock
from simulator.door import SimulatedDoors, VirtualDoor
from simulator.runtime import RunningPlatform
from tests.conftest import CONFIG_DIR
from tests.rulebook import H1T

PLATFORM_KEY = SigningKey.load(CONFIG_DIR / "demo-keys" / "platform-demo.pem")
TOPICS = SiteTopics(DEFAULT_PREFIX, "h1t-shibuya")
BOOTH_A_BOOKING, MEETING_BOOKING = 5001, 5002  # seeded: member 1003 in booth-a, member 1004 in meeting-1, now


def site_config(platform_url: str, data_dir: Path, pulse: float = 0.5) -> FacilityConfig:
    """The H1T example with the test's platform, a short pulse, and a clock check that works without NTP."""
    doors = [d.model_copy(update={"pulse_seconds": pulse, "driver": "simulated", "gpio": None}) for d in H1T.doors]
    return H1T.model_copy(
        update={
            "doors": doors,
            "platform": H1T.platform.model_copy(update={"base_url": platform_url, "timeout_seconds": 2}),
            "lockd": H1T.lockd.model_copy(
                update={"clock_check": "sanity", "data_dir": data_dir, "sync_interval_seconds": 60}
            ),
        }
    )


@dataclass
class Site:
    """Everything a lockd test touches."""

    daemon: LockDaemon
    doors: dict[str, VirtualDoor]
    clock: ShiftedClock
    platform: RunningPlatform
    sender: BusClient
    heard: queue.Queue[Inbound] = field(default_factory=queue.Queue)

    def command(
        self,
        door: str = "booth-a",
        reservation: int = BOOTH_A_BOOKING,
        member: int = 1003,
        age: float = 0,
        lifetime: int = 30,
        key: SigningKey = PLATFORM_KEY,
    ) -> str:
        """A signed unlock command, as the platform mints it: issued age seconds before now on the site's clock."""
        issued = int(self.clock.now().timestamp() - age)
        return mint(UnlockCommand(door, reservation, member, issued, lifetime, new_id(16), TOPICS.command(door)), key)

    def send(self, text: str | bytes, door: str = "booth-a", retain: bool = False) -> dict:
        """Publish a command on a door's topic and return lockd's answer."""
        reply = (
            self.sender.request(TOPICS.command(door), text, TOPICS.door(door, "reply"), timeout=5)
            if not retain
            else self._send_retained(text, door)
        )
        assert reply is not None, "lockd did not answer"
        return json.loads(reply.payload)

    def _send_retained(self, text: str, door: str) -> Inbound | None:
        """Publish a retained command (retain as the request's publish option)."""
        answers: queue.Queue = queue.Queue()
        self.sender.subscribe(TOPICS.door(door, "reply"), answers.put)
        self.sender.publish(
            TOPICS.command(door),
            text,
            retain=True,
            response_topic=TOPICS.door(door, "reply"),
            correlation=b"retained-test",
        )
        return answers.get(timeout=5)

    def pulses(self, door: str = "booth-a") -> int:
        """How often the relay was energised."""
        return len(self.doors[door].events("relay_on"))

    def wait_synced(self, after: int, timeout: float = 10) -> None:
        """Wait until the reservation sync has completed more than `after` times."""
        sync = self.daemon.sync
        with sync.synced:
            assert sync.synced.wait_for(lambda: sync.sync_count > after, timeout), "no sync happened"

    def next_heard(self, topic_suffix: str, timeout: float = 5, where=lambda body: True) -> Inbound:
        """The next message on a topic ending so (skipping others) whose body passes `where`."""
        deadline = time.monotonic() + timeout
        while True:
            message = self.heard.get(timeout=max(0.01, deadline - time.monotonic()))
            if message.topic.endswith(topic_suffix) and where(message.payload):
                return message


def start_site(
    cfg: FacilityConfig,
    platform: RunningPlatform,
    lockd_bus,
    sender: BusClient,
    scheduler: Scheduler | None = None,
    clock: ShiftedClock | None = None,
    readers_for=None,
) -> Site:
    """Start lockd on virtual doors and wait until it listens and has synced once."""
    simulated = SimulatedDoors()  # nobody walks through unless a test says so
    doors = simulated.made
    clock = clock or platform.state.clock  # lockd and the platform read one wall clock, as on a real site
    daemon = LockDaemon(
        cfg,
        lockd_bus,
        PlatformClient(cfg.platform),
        door_factory({"simulated": simulated, "gpio": simulated}),  # every door virtual here
        clock=clock,
        scheduler=scheduler,
        trust=ClockTrust(cfg.lockd.clock_check),
        **({"readers_for": readers_for} if readers_for is not None else {}),
    )
    site = Site(daemon, doors, clock, platform, sender)
    sender.subscribe(f"{TOPICS.root}/#", site.heard.put)
    connected = threading.Event()
    daemon.bus.connection_listeners.append(lambda up: up and connected.set())
    daemon.start()
    assert connected.wait(10), "lockd did not connect"
    site.wait_synced(0)
    return site


def with_settings(bus_settings, **changes):
    """Broker settings with some fields changed."""
    return dataclasses.replace(bus_settings, **changes)
