"""Putting a stand-in platform together: seed, state, broker connection and HTTP server."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from facility.clock import Clock, SystemClock
from facility.topics import DEFAULT_PREFIX
from messagebus import BrokerSettings, BusClient
from simulator.platform.seed import load_seed
from simulator.platform.service import PlatformService
from simulator.platform.state import PlatformState

if TYPE_CHECKING:
    from simulator.platform.http import PlatformServer


@dataclass
class RunningPlatform:
    """A platform that serves HTTP and, with a broker, talks MQTT."""

    server: PlatformServer
    service: PlatformService
    bus: BusClient | None

    @property
    def state(self) -> PlatformState:
        """The platform's data."""
        return self.service.state

    def stop(self) -> None:
        """Stop serving and disconnect."""
        self.server.stop()
        if self.bus is not None:
            self.bus.stop()


def start_platform(
    seed: str | Path,
    host: str = "127.0.0.1",
    port: int = 0,
    broker: BrokerSettings | None = None,
    topic_prefix: str = DEFAULT_PREFIX,
    clock: Clock | None = None,
    reply_timeout: float = 5.0,
    connect_timeout: float = 10.0,
) -> RunningPlatform:
    """Start a platform from a seed file; with broker settings, wait until it is connected."""
    # FastAPI and uvicorn come with the sim extra: officepass-sim's other commands work without them.
    from simulator.platform.http import PlatformServer

    state = PlatformState(load_seed(seed), clock or SystemClock())
    bus = BusClient(broker) if broker is not None else None
    if bus is not None and broker is not None:
        bus.start()
        if not bus.wait_connected(connect_timeout):
            bus.stop()
            raise ConnectionError(f"the platform could not reach the broker at {broker.host}:{broker.port}")
    service = PlatformService(state, bus, topic_prefix, reply_timeout)
    service.announce_keyset()  # retained: doors and kiosks that connect later hear it at once
    server = PlatformServer(service, host, port)
    server.start()
    return RunningPlatform(server, service, bus)
