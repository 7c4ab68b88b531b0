"""The kiosk's outbox: every kept check-in reaches the platform exactly once, however long the platform is away.

The sending rules (idempotency keys, back-off, dead letters, credentials) are facility/outbox.py's, shared with
lockd's door decisions. Keys, revocations and occupancy have loops of their own (facility/trustcache.py,
kiosk/occupancy.py).
"""

from __future__ import annotations

from collections.abc import Callable

from facility.clock import Clock
from facility.contract import CheckInBody, CheckInRecorded
from facility.outbox import OutboxSender as _Sender
from facility.outbox import OutboxStatus
from facility.platform import PlatformClient
from kiosk.store import KioskStore

__all__ = ["OutboxSender", "OutboxStatus"]


class OutboxSender(_Sender):
    """Sends the kiosk's queued check-ins."""

    name = "kiosk-outbox"
    what = "check-in"

    def __init__(
        self,
        store: KioskStore,
        client: PlatformClient,
        clock: Clock,
        on_status: Callable[[OutboxStatus], None] = lambda status: None,
    ) -> None:
        super().__init__(store, client, clock, CheckInBody, CheckInRecorded, on_status)
