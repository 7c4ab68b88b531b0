"""Records of the network's domain that the rules and use counting work on."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import Enum


class Plan(str, Enum):
    """The membership plans of docs/domain.md; the code is also the wire value in tokens."""

    INDIVIDUAL_BASIC = "individual_basic"
    INDIVIDUAL_PREMIUM = "individual_premium"
    CORPORATE = "corporate"

    @property
    def wire(self) -> int:
        """The one-byte code used inside signed tokens."""
        return list(Plan).index(self) + 1

    @classmethod
    def from_wire(cls, code: int) -> Plan:
        """The plan for a token's one-byte code."""
        plans = list(Plan)
        if not 1 <= code <= len(plans):
            raise ValueError(f"unknown plan code {code}")
        return plans[code - 1]


class FacilityKind(str, Enum):
    """How members get in (docs/domain.md, 'Kinds of facility')."""

    DROP_IN = "drop_in"
    MEMBER_SCREEN = "member_screen"
    BOOKING = "booking"
    MEETING_ROOM_UNATTENDED = "meeting_room_unattended"
    MEETING_ROOM_STAFFED = "meeting_room_staffed"
    KARAOKE = "karaoke"

    @property
    def checks_in_at_reception(self) -> bool:
        """True where members check in at a kiosk (a staffed meeting room's representative too)."""
        return self in (
            FacilityKind.DROP_IN,
            FacilityKind.MEMBER_SCREEN,
            FacilityKind.KARAOKE,
            FacilityKind.MEETING_ROOM_STAFFED,
        )

    @property
    def needs_reservation(self) -> bool:
        """True where entry is tied to a booking."""
        return self in (FacilityKind.BOOKING, FacilityKind.MEETING_ROOM_UNATTENDED, FacilityKind.MEETING_ROOM_STAFFED)

    @property
    def offers_seats(self) -> bool:
        """True where walk-in members take seats while any are free (vacancy is shown)."""
        return self.checks_in_at_reception and not self.needs_reservation

    @property
    def camera_first(self) -> bool:
        """True where members show their app's screen to the kiosk's camera (it gets the main space there)."""
        return self is FacilityKind.MEMBER_SCREEN

    @property
    def opens_doors(self) -> bool:
        """True where members open a booked room's door themselves (lockd)."""
        return self.needs_reservation and not self.checks_in_at_reception


@dataclass(frozen=True)
class Member:
    """What the facility knows of a member at the moment of a check-in."""

    member_id: int
    plan: Plan
    name: str = ""
    first_visit_at_chain: bool = False


class EntryKind(str, Enum):
    """What an entry in a member's history was."""

    CHECK_IN = "check_in"
    RE_ENTRY = "re_entry"


@dataclass(frozen=True)
class CheckIn:
    """One recorded entry of a member at a facility."""

    member_id: int
    at: datetime
    plan: Plan = Plan.INDIVIDUAL_PREMIUM
    kind: EntryKind = EntryKind.CHECK_IN
    ends_at: datetime | None = None
    checked_out_at: datetime | None = None
    reservation_id: int | None = None
    booker: bool = True
    pass_id: str = ""  # the pass it was admitted with ("" for staff admissions and door entries)
    group: str = ""  # where the space counts rooms: the room group it shares (facility/rules/rooms.py)

    def active_at(self, now: datetime) -> bool:
        """True while this visit is still running (not checked out, not past its end)."""
        if self.kind is not EntryKind.CHECK_IN or self.at > now:
            return False
        if self.checked_out_at is not None and self.checked_out_at <= now:
            return False
        return self.ends_at is None or now < self.ends_at


@dataclass(frozen=True)
class RoomGroup:
    """Members sharing one room now (a space that counts rooms): the group's id, when its first member checked in,
    and how many of its members are in."""

    group: str
    started_at: datetime
    members: int = 1


@dataclass(frozen=True)
class RoomHold:
    """A room reception holds for a booking taken by phone (a space with `phone_holds`): for whom (a member number,
    a name as told on the phone, or both), from when and for how long."""

    hold_id: int
    space: str
    starts_at: datetime
    minutes: int
    member_id: int | None = None
    name: str = ""


@dataclass(frozen=True)
class Occupancy:
    """Who is in one space now: members with a running visit and paying companions; where the space counts rooms,
    the room groups running and the phone holds counted now (facility/rules/rooms.py)."""

    members_in: int = 0
    companions_in: int = 0
    groups: tuple[RoomGroup, ...] = ()
    holds: tuple[RoomHold, ...] = ()
    # Holds whose member may take them now though they do not count yet (the member came early).
    early_holds: tuple[RoomHold, ...] = ()

    @property
    def people(self) -> int:
        """Everyone taking a seat."""
        return self.members_in + self.companions_in

    @property
    def rooms_in(self) -> int:
        """Rooms in use: one per running group, one per hold counted now (companions take none of their own)."""
        return len(self.groups) + len(self.holds)


@dataclass(frozen=True)
class Reservation:
    """A booking of a room, booth or seat by one member (the booker)."""

    reservation_id: int
    room_id: str
    member_id: int
    starts_at: datetime
    ends_at: datetime
    cancelled: bool = False
    guests: int = 0
    plan: Plan = Plan.INDIVIDUAL_PREMIUM
