"""The kiosk's Prometheus metrics: check-ins by result and reason, the outbox, the platform link, the camera."""

from __future__ import annotations

from collections.abc import Callable

from prometheus_client import Counter, Gauge

from facility.metrics import MetricsEndpoint
from kiosk.state import KioskState


class KioskMetrics(MetricsEndpoint):
    """One registry per kiosk, reading only what it is given: the kiosk's state, the broker link and who is in."""

    def __init__(self, state: KioskState, broker_connected: Callable[[], bool], members_in: Callable[[], int]) -> None:
        super().__init__()
        self.checkins = Counter(
            "officepass_kiosk_checkins",
            "Passes judged at the kiosk",
            ["result", "reason", "source"],
            registry=self.registry,
        )
        for name, (description, read) in _gauges(state, broker_connected, members_in).items():
            Gauge(name, description, registry=self.registry).set_function(read)

    def count(self, verdict) -> None:
        """Count one verdict."""
        reason = verdict.reasons[0].code if verdict.reasons else ("repeat" if verdict.repeat else "")
        self.checkins.labels("admitted" if verdict.admitted else "refused", reason, verdict.source).inc()


def _gauges(
    state: KioskState, broker_connected: Callable[[], bool], members_in: Callable[[], int]
) -> dict[str, tuple[str, Callable[[], float]]]:
    """Each gauge's name, description and how it is read (when Prometheus scrapes, from its thread)."""
    return {
        "officepass_kiosk_outbox_queued": ("Check-ins waiting to reach the platform", lambda: state.outbox.queued),
        "officepass_kiosk_outbox_dead_letters": ("Check-ins the platform refused for good", lambda: state.outbox.dead),
        "officepass_kiosk_platform_reachable": ("1 while the platform answers", lambda: int(state.platform_up)),
        "officepass_kiosk_sound_ok": ("1 while the verdicts' sounds play", lambda: int(state.sound.ok)),
        "officepass_kiosk_camera_ok": ("1 while the camera gives frames", lambda: int(state.camera_ok)),
        "officepass_kiosk_broker_connected": (
            "1 while connected to the site's broker (desk-code check-ins)",
            lambda: int(broker_connected()),
        ),
        "officepass_kiosk_desk_checks_pending": (
            "Desk checks staff still owe members",
            lambda: len(state.pending_checks),
        ),
        "officepass_kiosk_members_in": ("Members whose visit is running", members_in),
    }
