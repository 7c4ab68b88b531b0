"""A program's presence on the broker, in one place for lockd and the kiosk alike.

`online` (retained) on every connection; `offline` (retained) on a clean stop, before the connection is
closed; and, for every other end (a crash, a kill, a cut cable), the same `offline` as the last will the
broker publishes for it. Without the clean-stop step a program that stops cleanly leaves `online` behind
for ever: a clean disconnect sends no will.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

from facility.messages import OFFLINE, ONLINE

if TYPE_CHECKING:
    from messagebus.client import BusClient, Will

log = logging.getLogger(__name__)
LEAVE_SECONDS = 2.0  # how long a stopping program waits for the broker to take its `offline`


@dataclass(frozen=True)
class Presence:
    """Where a program says whether it is there."""

    topic: str

    def will(self) -> Will:
        """What the broker publishes if the program vanishes."""
        from messagebus.client import Will

        return Will(self.topic, OFFLINE)

    def arrive(self, bus: BusClient) -> None:
        """Say `online` (retained): on every (re)connection, before anything else is told of it."""
        bus.publish(self.topic, ONLINE, retain=True, timeout=None)

    def leave(self, bus: BusClient) -> None:
        """Say `offline` (retained) and wait for the broker to have it, on a clean stop."""
        if not bus.connected:
            return  # the broker already holds the last will, or will publish it
        try:
            bus.publish(self.topic, OFFLINE, retain=True, timeout=LEAVE_SECONDS)
        except Exception:  # a broker that just went away: its will says the same
            log.warning("could not say offline on %s before stopping", self.topic)
