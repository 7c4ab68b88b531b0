"""A Prometheus endpoint with its own registry: lockd and the kiosk each serve one (tests run several at once)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, start_http_server


class MetricsEndpoint:
    """A registry, served on request at /metrics."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.server = None

    def serve(self, port: int, address: str = "127.0.0.1") -> None:
        """Serve /metrics for Prometheus (loopback by default: a scraper on the board, or a tunnel)."""
        self.server, _ = start_http_server(port, address, registry=self.registry)

    def stop(self) -> None:
        """Stop serving."""
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
