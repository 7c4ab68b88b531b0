"""The MQTT topic tree, in one place: lockd, the kiosk and the platform all build topics here.

{prefix}/{facility}/door/{door}/command      unlock commands (platform -> lockd), QoS 1, never retained
{prefix}/{facility}/door/{door}/state        lock state, retained (LOCKED, UNLOCKING, UNLOCKED, OPEN, JAMMED)
{prefix}/{facility}/door/{door}/event        door events and alarms
{prefix}/{facility}/lockd/availability       online / offline (last will)
{prefix}/{facility}/lockd/alarm              site alarms: stale reservations, untrusted clock
{prefix}/{facility}/lockd/alarm/store        lockd's store was lost (retained while that process runs)
{prefix}/{facility}/lockd/audit              every audit row, as it is written
{prefix}/{facility}/lockd/keyset             the key set lockd holds (retained: version, keys, revoked)
{prefix}/{facility}/reservations/changed     change notices (platform -> lockd)
{prefix}/{facility}/keyset                   the platform's signed key set (platform -> lockd, kiosks), retained
{prefix}/{facility}/kiosk/{kiosk}/checkin    desk-code check-ins (platform -> kiosk)
{prefix}/{facility}/kiosk/{kiosk}/availability
{prefix}/{facility}/kiosk/{kiosk}/spent      pass ids a kiosk admitted (kiosk -> the facility's other kiosks)
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SiteTopics:
    """Topic names for one facility."""

    prefix: str
    facility_id: str

    @property
    def root(self) -> str:
        """The facility's subtree."""
        return f"{self.prefix}/{self.facility_id}"

    def door(self, door_id: str, leaf: str) -> str:
        """A door's topic: leaf is command, state or event."""
        return f"{self.root}/door/{door_id}/{leaf}"

    def command(self, door_id: str) -> str:
        """Where unlock commands for a door are published; unlock signatures cover this name."""
        return self.door(door_id, "command")

    def lockd(self, leaf: str) -> str:
        """lockd's own topics: availability, alarm or audit."""
        return f"{self.root}/lockd/{leaf}"

    @property
    def reservations_changed(self) -> str:
        """Where the platform announces reservation changes."""
        return f"{self.root}/reservations/changed"

    @property
    def keyset(self) -> str:
        """Where the platform announces its signed key set (retained), for lockd and the kiosks to verify."""
        return f"{self.root}/keyset"

    def kiosk(self, kiosk_id: str, leaf: str) -> str:
        """A kiosk's topic: leaf is checkin, reply, availability or spent."""
        return f"{self.root}/kiosk/{kiosk_id}/{leaf}"

    @property
    def spent_passes(self) -> str:
        """Every kiosk's spent pass ids at this facility (a filter to subscribe to)."""
        return self.kiosk("+", "spent")
