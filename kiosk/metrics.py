"""The kiosk's Prometheus metrics: check-ins by result and reason, the outbox, the platform link, the camera."""

from __future__ import annotations

from prometheus_client import Counter, Gauge

from facility.metrics import MetricsEndpoint


class KioskMetrics(MetricsEndpoint):
    """One registry per kiosk."""

    def __init__(self, app) -> None:
        super().__init__()
        self.checkins = Counter(
            "officepass_kiosk_checkins",
            "Passes judged at the kiosk",
            ["result", "reason", "source"],
            registry=self.registry,
        )
        gauges = {
            "officepass_kiosk_outbox_queued": (
                "Check-ins waiting to reach the platform",
                lambda: app.state.outbox.queued,
            ),
            "officepass_kiosk_outbox_dead_letters": (
                "Check-ins the platform refused for good",
                lambda: app.state.outbox.dead,
            ),
            "officepass_kiosk_platform_reachable": (
                "1 while the platform answers",
                lambda: int(app.state.outbox.reachable),
            ),
            "officepass_kiosk_camera_ok": ("1 while the camera gives frames", lambda: int(app.state.camera_ok)),
            "officepass_kiosk_broker_connected": (
                "1 while connected to the site's broker (desk-code check-ins)",
                lambda: int(app.bus is not None and app.bus.connected),
            ),
            "officepass_kiosk_desk_checks_pending": (
                "Desk checks staff still owe members",
                lambda: len(app.state.pending_checks),
            ),
            "officepass_kiosk_members_in": (
                "Members whose visit is running",
                lambda: app.reception.occupancy().members_in,
            ),
        }
        for name, (description, read) in gauges.items():
            Gauge(name, description, registry=self.registry).set_function(read)

    def count(self, verdict) -> None:
        """Count one verdict."""
        reason = verdict.reasons[0].code if verdict.reasons else ("repeat" if verdict.repeat else "")
        self.checkins.labels("admitted" if verdict.admitted else "refused", reason, verdict.source).inc()
