"""A Prometheus endpoint with its own registry: lockd and the kiosk each serve one (tests run several at once)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from wsgiref.simple_server import WSGIServer

from prometheus_client import CollectorRegistry, start_http_server
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from facility.loop import LoopHealth


class MetricsEndpoint:
    """A registry, served on request at /metrics."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.server: WSGIServer | None = None

    def watch_loops(self, program: str, health: Callable[[], list[LoopHealth]]) -> None:
        """Each background loop's state at scrape time: up, rounds, failures, restarts, age of the last good round."""
        self.registry.register(_LoopCollector(program, health))

    def serve(self, port: int, address: str = "127.0.0.1") -> None:
        """Serve /metrics for Prometheus (loopback by default: a scraper on the board, or a tunnel)."""
        self.server, _ = start_http_server(port, address, registry=self.registry)

    def stop(self) -> None:
        """Stop serving."""
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()


class _LoopCollector(Collector):
    """Reads the supervisor's view of the loops whenever Prometheus scrapes."""

    def __init__(self, program: str, health: Callable[[], list[LoopHealth]]) -> None:
        self.program = program
        self.health = health

    def collect(self) -> Iterator[GaugeMetricFamily]:
        """One family per figure, one sample per loop."""
        loops = self.health()
        figures = {
            "up": (
                "1 while the loop runs, its last round did not fail and it is not stalled",
                lambda h: int(h.healthy),
            ),
            "rounds": ("Rounds that ended well", lambda h: h.rounds),
            "failures": ("Rounds that raised (logged with the traceback) or whose work failed", lambda h: h.failures),
            "restarts": ("Times the supervisor restarted the loop's thread", lambda h: h.restarts),
            "last_ok_age_seconds": (
                "Seconds since the last good round (-1: none yet)",
                lambda h: -1 if h.last_ok_age is None else h.last_ok_age,
            ),
        }
        for figure, (description, read) in figures.items():
            family = GaugeMetricFamily(f"officepass_{self.program}_loop_{figure}", description, labels=["loop"])
            for loop in loops:
                family.add_metric([loop.name], read(loop))
            yield family
