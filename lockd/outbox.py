"""lockd's outbox: every decision at a door's reader reaches the platform once the link returns (facility/outbox.py)."""

from __future__ import annotations

from facility.clock import Clock
from facility.contract import DoorDecisionBody, DoorDecisionRecorded
from facility.outbox import OutboxSender
from facility.platform import PlatformClient
from lockd.store import LockdStore


class DoorDecisionSender(OutboxSender):
    """Sends the door decisions lockd queued, whatever happened to the link meanwhile."""

    name = "lockd-outbox"
    what = "door decision"

    def __init__(self, store: LockdStore, client: PlatformClient, clock: Clock) -> None:
        super().__init__(store, client, clock, DoorDecisionBody, DoorDecisionRecorded)
