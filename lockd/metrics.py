"""lockd's Prometheus metrics: commands by result and reason, door states, alarms, broker link, sync age."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from prometheus_client import Counter, Gauge

from facility.metrics import MetricsEndpoint
from lockd.reader import READER_ALARMS

DOOR_ALARMS = ("forced", "held_open", "jammed")  # the events lockd/doors.py reports with alarm=True
SITE_ALARMS = ("store_lost",)  # raised by the daemon itself, on the door label ""


class LockdMetrics(MetricsEndpoint):
    """One registry per daemon (tests run several in one process)."""

    def __init__(
        self,
        sync_age: Callable[[], float | None],
        last_sync: Callable[[], float] = lambda: 0.0,
        doors: Iterable[str] = (),
    ) -> None:
        super().__init__()
        self._door_states: dict[str, str] = {}  # the state each door's gauges show now
        self.commands = Counter(
            "officepass_lockd_commands", "Unlock commands decided", ["door", "result", "reason"], registry=self.registry
        )
        self.reads = Counter(
            "officepass_lockd_reader_decisions",
            "Passes shown at door readers, decided",
            ["door", "result", "reason"],
            registry=self.registry,
        )
        self.alarms = Counter(
            "officepass_lockd_alarms", "Door alarms raised", ["door", "alarm"], registry=self.registry
        )
        self._alarms_at_zero(doors)
        self.door_state = Gauge(
            "officepass_lockd_door_state", "1 for each door's current state", ["door", "state"], registry=self.registry
        )
        self.broker_connected = Gauge(
            "officepass_lockd_broker_connected", "1 while connected and subscribed", registry=self.registry
        )
        sync = Gauge(
            "officepass_lockd_reservation_sync_age_seconds",
            "Seconds since the last good sync (-1: never)",
            registry=self.registry,
        )
        sync.set_function(lambda: age if (age := sync_age()) is not None else -1)
        # For alerts: time() - this > 1800 fires for a cache never synced too (0), which the age's -1 cannot.
        Gauge(
            "officepass_lockd_reservation_last_sync_timestamp_seconds",
            "Unix time of the last good reservation sync (0: never)",
            registry=self.registry,
        ).set_function(last_sync)

    def _alarms_at_zero(self, doors: Iterable[str]) -> None:
        """Export every alarm series the doors and the site can raise, at 0, before any alarm."""
        # A labelled child exists only from its first inc(): the first alarm would appear already at 1, a rise that
        # increase() cannot see, and the alert would stay silent for the first alarm after every start.
        for door in doors:
            for alarm in (*DOOR_ALARMS, *READER_ALARMS):
                self.alarms.labels(door, alarm)
        for alarm in SITE_ALARMS:
            self.alarms.labels("", alarm)

    def door_is(self, door: str, state: str, states: list[str]) -> None:
        """Record a door's new state (one-hot across the state names): all of them the first time, then the change."""
        before = self._door_states.get(door)
        if before == state:
            return
        for name in states if before is None else (before, state):
            self.door_state.labels(door, name).set(1 if name == state else 0)
        self._door_states[door] = state
