"""Rooms a group shares (docs/domain.md, karaoke), and rooms reception holds for a booking taken by phone.

The guide, on karaoke: 「会員全員チェックイン」 (every member checks in), and its rooms are 「完全個室・防音完備」, used
「社内MTGの場所として複数人で利用する方も」 (several members together, one room). A space whose capacity unit is
"rooms" therefore counts rooms in use, not people:

- A room is taken by a **group**. A member who checks in within the space's `group_minutes` of a running group's
  first check-in joins that group (the latest such group, if several), and shares its room; anyone else takes a new
  room. Staff may start a new room for a member, or move them into another's room (the kiosk's staff page).
- **Companions** who are not members (「別途現地で精算必要」) come into a member's room: they take none of their own.
- A room **held** for a booking taken by phone (「事前予約が可能（店舗へ直接電話していただき…）」) counts as in use from
  HOLD_EARLY before its start until its member checks in (the check-in takes the held room, so it needs no free one,
  even when the space is full) or it lapses, HOLD_LAPSE after its start (at its end, if that comes first).
- **Full** refuses only a member who would need a new room: one who joins a group or takes their hold is admitted.

Why 30 minutes for a hold to lapse: the phone booking is for a time, and a group is often late by a train or two (ten
to fifteen minutes in Tokyo), so a shorter wait gives the room away under a group on its way; karaoke rooms are sold
by the half-hour, so the half-hour after the start is what the branch forgoes by keeping the room idle, and no more.
It starts counting 15 minutes before the start, so the room is free and ready when they come, and a group that comes
that early already finds it.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum

from facility.config.models import OpeningHours, Seats
from facility.models import CheckIn, Member, Occupancy, RoomGroup, RoomHold
from facility.rules.hours import is_open
from facility.tokens.formats import family_name

HOLD_EARLY = timedelta(minutes=15)  # a held room counts as in use from this long before its start
# and its member may take it from this long before (a party early for its booking gets its room, not a second one)
HOLD_TAKEN_EARLY = timedelta(minutes=60)
HOLD_LAPSE = timedelta(minutes=30)  # and lapses this long after its start if its member has not checked in
HOLD_AHEAD = timedelta(days=7)  # held at most a week ahead, as the network's bookings (「1週間前から」)
HOLD_SHORTEST, HOLD_LONGEST = 30, 12 * 60  # minutes a hold may last


def counts_from(hold: RoomHold) -> datetime:
    """When a held room starts to count as in use (and its member may take it)."""
    return hold.starts_at - HOLD_EARLY


def lapses_at(hold: RoomHold) -> datetime:
    """When a hold nobody used lapses: HOLD_LAPSE after its start, or at its end if that comes first."""
    return hold.starts_at + min(HOLD_LAPSE, timedelta(minutes=hold.minutes))


def hold_takeable_at(hold: RoomHold, now: datetime) -> bool:
    """True while the hold's member may take the held room: from HOLD_TAKEN_EARLY before its start until it lapses."""
    return hold.starts_at - HOLD_TAKEN_EARLY <= now < lapses_at(hold)


def hold_counts_at(hold: RoomHold, now: datetime) -> bool:
    """True while the held room counts as in use (from HOLD_EARLY before its start until it lapses)."""
    return counts_from(hold) <= now < lapses_at(hold)


def _folded(name: str) -> str:
    """A name as names are compared: width and case folded, without spaces (「佐藤　葵」 is 「佐藤 葵」)."""
    return "".join(unicodedata.normalize("NFKC", name).casefold().split())


def hold_is_for(hold: RoomHold, member: Member) -> bool:
    """True when the hold was taken for this member: by member number when staff wrote one down, else by the name
    told on the phone, which must be the member's name or family name (a pass carries the family name)."""
    if hold.member_id is not None:
        return hold.member_id == member.member_id
    told = _folded(hold.name)
    return bool(told) and told in {_folded(member.name), _folded(family_name(member.name))} - {""}


def room_groups(running: Iterable[CheckIn], started: Mapping[str, datetime] | None = None) -> tuple[RoomGroup, ...]:
    """The groups of running visits, oldest first; each started at its first check-in (`started`: the first
    check-in of each group, also of members who have left since; else the earliest still in). A visit kept before
    groups were (no group) is a room of its own."""
    members: dict[str, set[int]] = {}
    first: dict[str, datetime] = {}
    for entry in running:
        group = entry.group or f"member-{entry.member_id}-{entry.at.isoformat()}"
        members.setdefault(group, set()).add(entry.member_id)
        first[group] = min(first.get(group, entry.at), (started or {}).get(group, entry.at))
    return tuple(
        sorted((RoomGroup(group, first[group], len(ids)) for group, ids in members.items()), key=lambda g: g.started_at)
    )


def occupancy_of(
    visits: Sequence[CheckIn],
    companions_in: int,
    holds: Iterable[RoomHold],
    now: datetime,
    started: Mapping[str, datetime] | None = None,
) -> Occupancy:
    """One space's occupancy now from its visits: the members whose visit runs, the paying companions, and (counted
    only where the space counts rooms) its running groups and the holds that count now."""
    running = [entry for entry in visits if entry.active_at(now)]
    return Occupancy(
        len({entry.member_id for entry in running}),
        companions_in,
        room_groups(running, started),
        tuple(sorted((h for h in holds if hold_counts_at(h, now)), key=lambda h: h.starts_at)),
        tuple(sorted((h for h in holds if hold_takeable_at(h, now) and not hold_counts_at(h, now)), key=_start)),
    )


def _start(hold: RoomHold) -> datetime:
    """A hold's start (holds are listed by it)."""
    return hold.starts_at


def in_use(seats: Seats, occupancy: Occupancy) -> int:
    """What is taken of a space's capacity, in its unit: people (members and paying companions) on seats; rooms
    (running groups and holds counted now) where it counts rooms."""
    return occupancy.rooms_in if seats.unit == "rooms" else occupancy.people


@dataclass(frozen=True)
class Placement:
    """Where a member checking in goes: whether they need a seat or room that must be free, and where the space counts
    rooms, the running group they join or the held room they take."""

    new_place: bool
    group: str = ""  # the running group joined ("" with rooms: a room of their own, or the held one)
    hold: RoomHold | None = None  # the phone hold the member takes
    rooms: bool = False  # the space counts rooms (the check-in keeps its group)


def place(
    seats: Seats | None, occupancy: Occupancy, member: Member, now: datetime, running: CheckIn | None
) -> Placement:
    """Where a member checking in now goes. Seats: a new seat unless their visit still runs. Rooms: their running
    visit's room, else the room held for them, else the latest group whose first check-in is within
    `group_minutes`, else a new room (the only case that needs a free one)."""
    if seats is None:
        return Placement(False)
    if seats.unit != "rooms":
        return Placement(running is None)
    if running is not None:
        return Placement(False, running.group, rooms=True)
    held = [h for h in occupancy.holds if hold_is_for(h, member) and hold_counts_at(h, now)]
    early = [h for h in occupancy.early_holds if hold_is_for(h, member) and hold_takeable_at(h, now)]
    if held:
        return Placement(False, hold=min(held, key=_start), rooms=True)
    if early:  # the held room is theirs from now: it needs a free room now (it did not count until now)
        return Placement(True, hold=min(early, key=_start), rooms=True)
    window = timedelta(minutes=seats.group_minutes)
    joinable = [g for g in occupancy.groups if window and now - window <= g.started_at <= now]
    if joinable:
        return Placement(False, max(joinable, key=lambda g: g.started_at).group, rooms=True)
    return Placement(True, rooms=True)


class HoldRefusal(str, Enum):
    """Why reception cannot hold a room (the kiosk's words: kiosk/texts.py, `hold_refused_<code>`)."""

    NO_HOLDS = "no_holds"  # the space takes no phone holds
    FOR_WHOM = "for_whom"  # neither a member number nor a name
    LENGTH = "length"  # shorter than HOLD_SHORTEST or longer than HOLD_LONGEST
    PAST = "past"  # it would have lapsed already
    TOO_FAR = "too_far"  # more than HOLD_AHEAD ahead
    CLOSED = "closed"  # the space is closed at its start
    NO_ROOM = "no_room"  # as many holds as the space has rooms overlap it already

    @property
    def code(self) -> str:
        """The refusal's code (audit, texts)."""
        return self.value


def hold_refusal(
    seats: Seats | None,
    hours: OpeningHours,
    phone_holds: bool,
    holds: Sequence[RoomHold],
    hold: RoomHold,
    now: datetime,
) -> HoldRefusal | None:
    """Why this hold cannot be taken now (None: it can): for someone, of a sensible length, not lapsed already, at
    most a week ahead, while the space is open, and never more holds counted at once than the space has rooms
    (`holds`: the space's open holds)."""
    if not phone_holds or seats is None or seats.unit != "rooms":
        return HoldRefusal.NO_HOLDS
    if hold.member_id is None and not hold.name.strip():
        return HoldRefusal.FOR_WHOM
    if not HOLD_SHORTEST <= hold.minutes <= HOLD_LONGEST:
        return HoldRefusal.LENGTH
    if lapses_at(hold) <= now:
        return HoldRefusal.PAST
    if hold.starts_at - now > HOLD_AHEAD:
        return HoldRefusal.TOO_FAR
    if not is_open(hours, hold.starts_at):
        return HoldRefusal.CLOSED
    overlapping = [h for h in holds if counts_from(h) < lapses_at(hold) and counts_from(hold) < lapses_at(h)]
    if len(overlapping) >= seats.total:
        return HoldRefusal.NO_ROOM
    return None
