"""The MQTT topic tree, in one place: lockd, the kiosk, the platform, the ACLs and the bridges all build topics here.

    {prefix}/{facility}/door/{door}/command      unlock commands (platform -> lockd), QoS 1, never retained
    {prefix}/{facility}/door/{door}/reply        lockd's answers (a command's response topic)
    {prefix}/{facility}/door/{door}/state        lock state, retained (LOCKED, UNLOCKING, UNLOCKED, OPEN, JAMMED)
    {prefix}/{facility}/door/{door}/event        door events and alarms
    {prefix}/{facility}/lockd/availability       online / offline (last will)
    {prefix}/{facility}/lockd/status             lockd's version, last sync and key set version, retained
    {prefix}/{facility}/lockd/alarm              site alarm: stale reservations (retained)
    {prefix}/{facility}/lockd/alarm/store        lockd's store was lost (retained while that process runs)
    {prefix}/{facility}/lockd/audit              every audit row, as it is written
    {prefix}/{facility}/lockd/keyset             the key set lockd holds (retained: version, keys, revoked)
    {prefix}/{facility}/reservations/changed     change notices (platform -> lockd, kiosks)
    {prefix}/{facility}/keyset                   the platform's signed key set (platform -> lockd, kiosks), retained
    {prefix}/{facility}/kiosk/{kiosk}/checkin    desk-code check-ins (platform -> kiosk)
    {prefix}/{facility}/kiosk/{kiosk}/reply      the kiosk's answers (a check-in's response topic)
    {prefix}/{facility}/kiosk/{kiosk}/availability
    {prefix}/{facility}/kiosk/{kiosk}/spent      pass ids a kiosk admitted (kiosk -> the facility's other kiosks)
    {prefix}/{facility}/bridge                   the site broker's link to the platform's: 1 or 0 (Mosquitto's)

Wildcards are the same names with "+" for an id: `SiteTopics.every(prefix).command("+")` is every door's command
topic of every site, so an ACL, a bridge and a subscription can never drift from the names programs publish on.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from facility.config import FacilityConfig

DEFAULT_PREFIX = "officepass"
ANY = "+"


@dataclass(frozen=True)
class SiteTopics:
    """Topic names for one facility (or, with the facility "+", for every facility under the prefix)."""

    prefix: str
    facility_id: str

    @classmethod
    def of(cls, cfg: FacilityConfig) -> SiteTopics:
        """The tree of a facility file's site."""
        return cls(cfg.mqtt.topic_prefix if cfg.mqtt is not None else DEFAULT_PREFIX, cfg.facility.id)

    @classmethod
    def every(cls, prefix: str = DEFAULT_PREFIX) -> SiteTopics:
        """Every site under the prefix: its names are filters (one '+' for the facility)."""
        return cls(prefix, ANY)

    @property
    def root(self) -> str:
        """The facility's subtree."""
        return f"{self.prefix}/{self.facility_id}"

    def door(self, door_id: str, leaf: str) -> str:
        """A door's topic: leaf is command, reply, state or event."""
        return f"{self.root}/door/{door_id}/{leaf}"

    def command(self, door_id: str) -> str:
        """Where unlock commands for a door are published; unlock signatures cover this name."""
        return self.door(door_id, "command")

    def reply(self, door_id: str) -> str:
        """Where lockd answers a door's commands (the platform names it as the response topic)."""
        return self.door(door_id, "reply")

    def state(self, door_id: str) -> str:
        """A door's lock state, retained."""
        return self.door(door_id, "state")

    def event(self, door_id: str) -> str:
        """A door's events and alarms."""
        return self.door(door_id, "event")

    def lockd(self, leaf: str) -> str:
        """lockd's own topics: availability, status, alarm, alarm/store, audit, keyset."""
        return f"{self.root}/lockd/{leaf}"

    @property
    def lockd_tree(self) -> str:
        """A filter for all of lockd's own topics."""
        return self.lockd("#")

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
        return self.kiosk(ANY, "spent")

    @property
    def bridge(self) -> str:
        """Where the site broker's bridge says, retained, 1 (linked) or 0 (cut), on both brokers."""
        return f"{self.root}/bridge"
