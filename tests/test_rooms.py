"""Occupancy by unit and rooms held by phone, as the core decides them (facility/rules/rooms.py; issue 24, items 2
and 3). The guide's karaoke: 「会員全員チェックイン」, rooms used 「社内MTGの場所として複数人で利用する方も」,
companions 「別途現地で精算必要」, and 「事前予約が可能（店舗へ直接電話していただき、その際「OFFICE PASS」事前予約での
ご利用とお伝えください）」."""

from __future__ import annotations

from datetime import timedelta

import pytest

from facility.models import CheckIn, Member, Occupancy, Plan, RoomGroup, RoomHold
from facility.reasons import Reason
from facility.rules.capacity import Vacancy, free_seats, vacancy
from facility.rules.checkin import decide_checkin
from facility.rules.rooms import (
    HOLD_EARLY,
    HOLD_LAPSE,
    HoldRefusal,
    hold_counts_at,
    hold_is_for,
    hold_refusal,
    lapses_at,
    occupancy_of,
    place,
)
from tests.roombook import karaoke_rooms
from tests.rulebook import at, visit

KARAOKE = karaoke_rooms(rooms=3, few_left_at=1, group_minutes=10)
ROOMS = KARAOKE.venue("karaoke")
SEATS = ROOMS.model_copy(update={"seats": ROOMS.seats.model_copy(update={"unit": "seats"})})  # the same, by seat
SATO, SUZUKI, TANAKA = (
    Member(1000 + n, Plan.CORPORATE, name) for n, name in enumerate(("佐藤 葵", "鈴木 翼", "田中 蓮"))
)
EVENING = "2026-11-24 19:00"


def in_group(member: Member, start: str, group: str) -> CheckIn:
    """A running karaoke visit (no time limit: until closing) in a room group."""
    return visit(member, start, "2026-11-25 05:00", group=group)


def full_house(*extra: CheckIn) -> list[CheckIn]:
    """Three rooms taken since 18:00 by three groups (one member each), and any visits given."""
    return [in_group(Member(2000 + n, Plan.CORPORATE), "2026-11-24 18:00", f"g{n}") for n in range(3)] + list(extra)


def occupancy(visits: list[CheckIn], now: str, companions: int = 0, holds: tuple[RoomHold, ...] = ()) -> Occupancy:
    """A space's occupancy at a moment from its visits."""
    return occupancy_of(visits, companions, holds, at(now))


def test_members_who_check_in_together_share_one_room() -> None:
    """会員全員チェックイン, and 社内MTGの場所として複数人で利用する方も: every member of a group checks in, and the
    group takes one room, not one room a member."""
    visits = [in_group(SATO, "2026-11-24 19:00", "a"), in_group(SUZUKI, "2026-11-24 19:04", "a")]
    now = occupancy(visits, "2026-11-24 19:05")
    assert (now.members_in, now.rooms_in, now.groups) == (2, 1, (RoomGroup("a", at("2026-11-24 19:00"), 2),))
    assert free_seats(ROOMS.seats, now) == 2  # one of three rooms in use
    joins = place(ROOMS.seats, now, TANAKA, at("2026-11-24 19:09"), None)
    assert (joins.new_place, joins.group) == (False, "a")  # within group_minutes (10) of the group's first check-in


def test_a_member_after_the_window_takes_a_new_room_and_the_latest_group_is_joined() -> None:
    """The window counts from the group's first check-in, not from its latest member's."""
    visits = [in_group(SATO, "2026-11-24 19:00", "a"), in_group(SUZUKI, "2026-11-24 19:09", "a")]
    later = place(ROOMS.seats, occupancy(visits, "2026-11-24 19:11"), TANAKA, at("2026-11-24 19:11"), None)
    assert later.new_place and later.group == "" and later.rooms
    two_groups = [*visits, in_group(Member(7, Plan.CORPORATE), "2026-11-24 19:05", "b")]
    joined = place(ROOMS.seats, occupancy(two_groups, "2026-11-24 19:08"), TANAKA, at("2026-11-24 19:08"), None)
    assert joined.group == "b"  # the group that began last: the one a member arriving now most likely belongs to
    alone = karaoke_rooms(group_minutes=0).venue("karaoke").seats
    assert place(alone, occupancy(visits, "2026-11-24 19:00"), TANAKA, at("2026-11-24 19:00"), None).new_place


def test_the_group_s_start_is_its_first_check_in_even_after_that_member_left() -> None:
    left = visit(SATO, "2026-11-24 19:00", "2026-11-25 05:00", group="a", checked_out_at=at("2026-11-24 19:02"))
    still = in_group(SUZUKI, "2026-11-24 19:08", "a")
    now = occupancy_of([left, still], 0, (), at("2026-11-24 19:12"), {"a": at("2026-11-24 19:00")})
    assert now.groups == (RoomGroup("a", at("2026-11-24 19:00"), 1),) and now.members_in == 1
    assert place(ROOMS.seats, now, TANAKA, at("2026-11-24 19:12"), None).new_place  # 12 minutes after its first


def test_companions_never_take_a_room_of_their_own() -> None:
    """非会員との利用: 別途現地で精算必要. Companions pay the branch on site and come into a member's room."""
    visits = [in_group(SATO, "2026-11-24 19:00", "a")]
    with_companions = occupancy(visits, "2026-11-24 19:05", companions=5)
    assert with_companions.rooms_in == 1 and with_companions.people == 6
    assert (
        free_seats(ROOMS.seats, with_companions) == 2 and vacancy(ROOMS.seats, with_companions, True) is Vacancy.VACANT
    )
    assert free_seats(SEATS.seats, with_companions) == 0  # where seats are counted, a companion takes one


def test_full_refuses_only_a_member_who_needs_a_new_room() -> None:
    """A group that takes the last room is admitted whole: the guide's members all check in (会員全員チェックイン)."""
    visits = [*full_house()[:2], in_group(SATO, "2026-11-24 19:00", "last")]  # three rooms, the last just taken
    now = occupancy(visits, "2026-11-24 19:05")
    assert vacancy(ROOMS.seats, now, True) is Vacancy.FULL
    friend = decide_checkin(ROOMS, SUZUKI, [], now, at("2026-11-24 19:05"))
    assert friend.admitted and friend.placement is not None and friend.placement.group == "last"
    stranger = decide_checkin(ROOMS, TANAKA, [], occupancy(visits, "2026-11-24 19:20"), at("2026-11-24 19:20"))
    assert stranger.reasons == (Reason.FULL,)
    back = decide_checkin(ROOMS, SATO, visits, occupancy(visits, "2026-11-24 19:20"), at("2026-11-24 19:20"))
    assert back.admitted and back.placement.group == "last"  # coming back in: the same room


def test_by_seat_every_member_takes_a_seat() -> None:
    """Where a space counts seats, nothing changes: each member and each paying companion takes one."""
    visits = [in_group(SATO, "2026-11-24 19:00", ""), in_group(SUZUKI, "2026-11-24 19:01", "")]
    now = occupancy(visits, "2026-11-24 19:02", companions=1)
    assert free_seats(SEATS.seats, now) == 0
    assert decide_checkin(SEATS, TANAKA, [], now, at("2026-11-24 19:02")).reasons == (Reason.FULL,)


def held(minutes: int = 120, start: str = "2026-11-24 20:00", member_id: int | None = SATO.member_id, name=""):
    """A room held for a phone booking."""
    return RoomHold(1, "karaoke", at(start), minutes, member_id, name)


def test_a_held_room_counts_from_a_grace_before_its_start_until_it_lapses() -> None:
    """事前予約が可能（店舗へ直接電話…）: the room is kept for the member; it counts as in use from HOLD_EARLY before
    the start, and a hold nobody came for lapses HOLD_LAPSE after it (or at its end, if sooner)."""
    hold = held()
    assert (timedelta(minutes=15), timedelta(minutes=30)) == (HOLD_EARLY, HOLD_LAPSE)
    assert not hold_counts_at(hold, at("2026-11-24 19:44"))
    assert hold_counts_at(hold, at("2026-11-24 19:45")) and hold_counts_at(hold, at("2026-11-24 20:29"))
    assert not hold_counts_at(hold, at("2026-11-24 20:30")) and lapses_at(hold) == at("2026-11-24 20:30")
    assert lapses_at(held(minutes=30)) == at("2026-11-24 20:30") and lapses_at(held(minutes=20)) == at(
        "2026-11-24 20:20"
    )
    counted = occupancy([], "2026-11-24 19:50", holds=(hold,))
    assert counted.rooms_in == 1 and counted.holds == (hold,)
    assert occupancy([], "2026-11-24 19:40", holds=(hold,)).rooms_in == 0


def test_the_member_s_check_in_takes_the_held_room_even_when_full() -> None:
    """The phone booking's member comes in although every other room is taken: the held room is theirs."""
    hold = held(start="2026-11-24 19:15")
    now = occupancy(full_house()[:2], "2026-11-24 19:10", holds=(hold,))
    assert vacancy(ROOMS.seats, now, True) is Vacancy.FULL
    booked = decide_checkin(ROOMS, SATO, [], now, at("2026-11-24 19:10"))
    assert booked.admitted and booked.placement.hold == hold and not booked.placement.new_place
    assert decide_checkin(ROOMS, TANAKA, [], now, at("2026-11-24 19:10")).reasons == (Reason.FULL,)
    lapsed = occupancy(full_house()[:2], "2026-11-24 19:45", holds=(hold,))
    assert lapsed.holds == () and decide_checkin(ROOMS, SATO, [], lapsed, at("2026-11-24 19:45")).admitted


def test_a_hold_is_matched_by_member_number_or_by_the_name_told_on_the_phone() -> None:
    assert hold_is_for(held(), SATO) and not hold_is_for(held(), SUZUKI)
    by_name = held(member_id=None, name="佐藤")  # passes carry the family name
    assert hold_is_for(by_name, SATO) and hold_is_for(held(member_id=None, name="佐藤　葵"), SATO)
    assert not hold_is_for(by_name, SUZUKI) and not hold_is_for(
        held(member_id=None, name=" "), Member(9, Plan.CORPORATE)
    )
    assert hold_is_for(held(member_id=None, name="ｓａｔｏ"), Member(5, Plan.CORPORATE, "Sato"))  # width and case


@pytest.mark.parametrize(
    ("hold", "now", "refusal"),
    [
        (held(), "2026-11-24 19:00", None),
        (held(member_id=None), "2026-11-24 19:00", HoldRefusal.FOR_WHOM),
        (held(minutes=15), "2026-11-24 19:00", HoldRefusal.LENGTH),
        (held(minutes=13 * 60), "2026-11-24 19:00", HoldRefusal.LENGTH),
        (held(start="2026-11-24 18:30"), "2026-11-24 19:00", HoldRefusal.PAST),
        (held(start="2026-11-24 18:45"), "2026-11-24 19:00", None),  # late, but not lapsed: still worth holding
        (held(start="2026-12-02 20:00"), "2026-11-24 19:00", HoldRefusal.TOO_FAR),
        (held(start="2026-11-25 07:00"), "2026-11-24 19:00", HoldRefusal.CLOSED),
    ],
    ids=["ok", "for nobody", "too short", "too long", "lapsed", "late", "beyond a week", "closed"],
)
def test_what_a_hold_must_be(hold: RoomHold, now: str, refusal: HoldRefusal | None) -> None:
    assert hold_refusal(ROOMS.seats, ROOMS.hours, True, [], hold, at(now)) is refusal


def test_holds_are_bounded_by_the_space_s_rooms() -> None:
    """At most as many holds count at once as the space has rooms; holds that do not overlap do not bind."""
    three = [held(start="2026-11-24 20:00"), held(start="2026-11-24 20:30"), held(start="2026-11-24 20:15")]
    assert hold_refusal(ROOMS.seats, ROOMS.hours, True, three, held(start="2026-11-24 20:10"), at(EVENING)) is (
        HoldRefusal.NO_ROOM
    )
    assert hold_refusal(ROOMS.seats, ROOMS.hours, True, three, held(start="2026-11-24 21:30"), at(EVENING)) is None
    assert hold_refusal(ROOMS.seats, ROOMS.hours, False, [], held(), at(EVENING)) is HoldRefusal.NO_HOLDS
    assert hold_refusal(SEATS.seats, SEATS.hours, True, [], held(), at(EVENING)) is HoldRefusal.NO_HOLDS


def test_staff_forcing_a_member_in_still_join_their_group_or_take_their_hold() -> None:
    """Over capacity, as staff confirm, only when the member needs a room of their own."""
    visits = [*full_house()[:2], in_group(SATO, "2026-11-24 19:00", "last")]
    now = occupancy(visits, "2026-11-24 19:05")
    basic = Member(SUZUKI.member_id, Plan.INDIVIDUAL_BASIC, SUZUKI.name)  # the plan is refused here
    forced = decide_checkin(ROOMS, basic, [], now, at("2026-11-24 19:05"), forced_by="trial")
    assert forced.forced and forced.placement.group == "last"
    late = decide_checkin(
        ROOMS, TANAKA, [], occupancy(visits, "2026-11-24 19:30"), at("2026-11-24 19:30"), forced_by="x"
    )
    assert late.overridden == (Reason.FULL,) and late.placement.new_place
