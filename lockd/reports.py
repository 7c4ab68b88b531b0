"""What lockd tells the site's broker, each as its message model (facility/messages.py) on its topic.

Door states (retained) and events, audit rows, the site alarms (retained), the key set held and lockd's
status (retained), Home Assistant's discovery (retained), and, on every connection, all that is retained
again. Discovery and door states a removed door left retained are taken down (`take_down_ghost`), so Home
Assistant never shows a door that is gone as a healthy one. Publishing never waits (timeout None): the
bus queues what the broker has not taken yet. A report never fails what lockd is doing: its texts are shortened
to the message's lengths (`Message.fitted`), and one that still cannot be written is logged and dropped, after
the store has kept what it reports.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable
from datetime import datetime

from facility.clock import Clock
from facility.config import FacilityConfig
from facility.keyset import KeySet
from facility.messages import (
    AuditEvent,
    DoorEvent,
    HeldKeySet,
    LockdStatus,
    LockState,
    Message,
    SiteAlarm,
)
from facility.store import StoreLoss
from facility.topics import ANY, SiteTopics
from facility.version import VERSION
from lockd.homeassistant import discovery_filter, discovery_messages, is_ghost
from lockd.store import AuditRow
from messagebus import BusClient, Inbound

log = logging.getLogger(__name__)


class SiteReports:
    """lockd's side of the topic tree: everything it publishes, in one place."""

    def __init__(self, cfg: FacilityConfig, bus: BusClient, clock: Clock) -> None:
        self.cfg = cfg
        self.bus = bus
        self.clock = clock
        self.topics = SiteTopics.of(cfg)

    def _send(self, topic: str, message: Callable[[], Message | bytes], retain: bool = False) -> None:
        """One message on its topic, queued with the bus; made here, so that one lockd cannot make is only logged."""
        try:
            made = message()
            self.bus.publish(topic, made if isinstance(made, bytes) else made.payload(), retain=retain, timeout=None)
        except Exception:  # a report must never undo or stop the action it reports
            log.exception("not published on %s", topic)

    def door_state(self, door_id: str, state: LockState) -> None:
        """A door's lock state, retained."""
        self._send(self.topics.state(door_id), state.value.encode, retain=True)

    def door_event(self, door_id: str, event: str, alarm: bool, reason: str | None = None) -> None:
        """Something a door did (lockd/doors.py names it), or a command it refused; checked against the contract."""
        at = self.clock.now()
        self._send(
            self.topics.event(door_id),
            lambda: DoorEvent.fitted(event=event, door=door_id, at=at, alarm=alarm, reason=reason or None),
        )

    def audit(self, row: AuditRow) -> None:
        """An audit row, as it was written."""
        self._send(self.topics.lockd("audit"), lambda: AuditEvent.fitted(**dataclasses.asdict(row)))

    def reservations_stale(self, stale: bool, error: str) -> None:
        """The stale-reservations alarm, raised or cleared (retained)."""
        at = self.clock.now()
        self._send(
            self.topics.lockd("alarm"),
            lambda: SiteAlarm.fitted(alarm="reservations_stale", active=stale, at=at, error=error),
            retain=True,
        )

    def store_alarm(self, loss: StoreLoss | None, refusing_before: datetime) -> None:
        """The store-lost alarm (retained): raised for the life of a process that began on a lost store."""
        at = self.clock.now()
        self._send(
            self.topics.lockd("alarm/store"),
            lambda: SiteAlarm.fitted(
                alarm="store_lost",
                active=loss is not None,
                at=at,
                error=loss.describe() if loss else "",
                refusing_issued_before=refusing_before,
            ),
            retain=True,
        )

    def keyset(self, held: KeySet | None) -> None:
        """The key set held, retained: a fleet sees which sites hold which version."""
        if held is not None:
            at = self.clock.now()
            self._send(
                self.topics.lockd("keyset"),
                lambda: HeldKeySet(
                    version=held.version,
                    revoked=held.content.revoked,
                    keys=[key.key_id for key in held.content.keys],
                    at=at,
                ),
                retain=True,
            )

    def status(self, last_sync: datetime | None, held: KeySet | None) -> None:
        """lockd's version, its last good sync and its key set's version (retained; Home Assistant's diagnostics)."""
        at, version = self.clock.now(), held.version if held else None
        self._send(
            self.topics.lockd("status"),
            lambda: LockdStatus(version=VERSION, last_sync=last_sync, at=at, keyset_version=version),
            retain=True,
        )

    def announce(self, states: dict[str, LockState], retained: Callable[[], None]) -> None:
        """On every (re)connection: discovery, what else is retained (`retained` sends it), every door's state; and
        a look for what a removed door left behind."""
        for discovery in discovery_messages(self.cfg, self.topics):
            self._send(discovery.topic, discovery.payload, retain=True)
        retained()
        for door_id, state in states.items():
            self.door_state(door_id, state)

    def ghost_filters(self) -> list[str]:
        """Where a removed door's retained discovery and state would be, to subscribe to once connected."""
        found = discovery_filter(self.cfg) if self.cfg.lockd is not None else None
        return [self.topics.state(ANY), *([found] if found else [])]

    def take_down_ghost(self, message: Inbound) -> None:
        """A retained discovery or door state for a door the site file no longer has: emptied, so it is gone."""
        # Only what the broker holds (handed over retained on subscribing): a live message is no one's leftover.
        if message.retain and message.payload and is_ghost(self.cfg, self.topics, message.topic):
            log.info("taking down %s: the site file has no such door any more", message.topic)
            self._send(message.topic, lambda: b"", retain=True)
