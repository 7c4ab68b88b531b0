"""The kiosk counts each space in its unit (issue 24, items 2 and 3): a karaoke branch by room, a group sharing one,
rooms held by phone kept in the store; an office's meeting room taking no seat of its open space."""

from __future__ import annotations

import sqlite3
from datetime import timedelta

from facility.models import Plan, Reservation
from facility.reasons import Reason
from facility.rules.capacity import Vacancy
from facility.rules.rooms import HoldRefusal
from kiosk.reception import Reception
from kiosk.store import CANCELLED, HELD, LAPSED, USED, KioskStore, purge_kiosk
from tests.kiosk_desk import clock_at, kiosk_store, member_pass, reception
from tests.roombook import karaoke_rooms, office_with_meeting_room
from tests.rulebook import at

EVENING = at("2026-11-24 19:00")  # a Tuesday: the branch is open 11:00-05:00
KARAOKE = karaoke_rooms(rooms=2, few_left_at=0, group_minutes=10)


def shows(desk: Reception, member_id: int, name: str = "佐藤 葵", reservation_id: int | None = None):
    """The member's app pass shown at the desk now."""
    return desk.present(
        member_pass(
            desk.cfg, member_id, Plan.CORPORATE, name, at=desk.clock.now().timestamp(), reservation_id=reservation_id
        )
    )


def audited(desk: Reception) -> list[str]:
    """The audit's actions about rooms held, in order."""
    return [row[1] for row in desk.store.audit_rows() if row[1].startswith("hold_")]


def test_a_group_checking_in_together_takes_one_room_and_the_last_room_admits_it_whole(tmp_path) -> None:
    """会員全員チェックイン: the whole group checks in, and takes the last free room together."""
    desk = reception(KARAOKE, tmp_path, EVENING)
    assert shows(desk, 1).admitted  # the first group: room 1
    desk.clock.shift(11 * 60)  # past that group's window
    for member in (2, 3, 4):  # the second group takes the last room, one after another
        assert shows(desk, member).admitted, member
        desk.clock.shift(120)
    assert desk.vacancy() is Vacancy.FULL and desk.occupancy().rooms_in == 2 and desk.occupancy().members_in == 4
    kept = desk.store.checkins()
    assert kept[0].room_group != kept[1].room_group and len({c.room_group for c in kept[1:]}) == 1
    assert {c.space for c in kept} == {"karaoke"}
    desk.clock.shift(10 * 60)  # 16 minutes after the second group's first: a new group, and no room for it
    assert shows(desk, 5).reasons == (Reason.FULL,)
    assert shows(desk, 1).admitted  # a member of a group coming back in: their room is theirs


def test_companions_at_karaoke_pay_and_take_no_room(tmp_path) -> None:
    """非会員との利用: 別途現地で精算必要 (they pay the branch, and sit in a member's room)."""
    desk = reception(KARAOKE, tmp_path, EVENING)
    assert shows(desk, 1).admitted
    assert desk.companion_arrives() == 1000 and desk.companion_arrives() == 1000
    occupancy = desk.occupancy()
    assert (occupancy.rooms_in, occupancy.people) == (1, 3) and desk.vacancy() is Vacancy.VACANT


def test_a_room_held_by_phone_counts_from_its_grace_and_its_member_takes_it_when_full(tmp_path) -> None:
    """事前予約が可能（店舗へ直接電話…）: reception holds the room; the member's check-in at that time uses the hold."""
    desk = reception(KARAOKE, tmp_path, EVENING)
    hold = desk.hold_room("karaoke", at("2026-11-24 20:00"), 120, member_id=7, name="佐藤")
    assert not isinstance(hold, HoldRefusal) and hold.hold_id > 0
    assert desk.occupancy().rooms_in == 0  # 19:00: not yet counted
    desk.clock.shift(45 * 60)  # 19:45, the grace before its start
    assert desk.occupancy().rooms_in == 1 and desk.vacancy() is Vacancy.VACANT
    assert shows(desk, 1).admitted  # a walk-in takes the other room
    assert desk.vacancy() is Vacancy.FULL
    desk.clock.shift(11 * 60)  # past the walk-in's group window
    assert shows(desk, 2).reasons == (Reason.FULL,)
    booked = shows(desk, 7, "佐藤 葵")
    assert booked.admitted  # no free room needed: the held one
    assert desk.occupancy().rooms_in == 2 and desk.store.open_holds() == []
    assert [state for _, state in desk.store.holds()] == [USED]
    assert desk.store.checkins()[-1].room_group not in {"", desk.store.checkins()[0].room_group}
    assert audited(desk) == ["hold_created", "hold_used"]


def test_a_hold_nobody_used_lapses_and_its_room_is_free_again(tmp_path) -> None:
    desk = reception(KARAOKE, tmp_path, EVENING)
    desk.hold_room("karaoke", at("2026-11-24 19:15"), 60, name="鈴木")
    assert desk.occupancy().rooms_in == 1 and desk.lapse_holds() == []
    desk.clock.shift(44 * 60)  # 19:44: 29 minutes after its start
    assert desk.occupancy().rooms_in == 1 and desk.lapse_holds() == []
    desk.clock.shift(60)  # 19:45: 30 minutes after its start
    assert desk.occupancy().rooms_in == 0  # counted by time, whether or not the lapse was written yet
    (lapsed,) = desk.lapse_holds()
    assert lapsed.name == "鈴木" and [state for _, state in desk.store.holds()] == [LAPSED]
    assert audited(desk) == ["hold_created", "hold_lapsed"]
    assert shows(desk, 9, "鈴木 翼").admitted and desk.store.checkins()[0].room_group  # a room of their own


def test_holds_are_cancelled_by_staff_bounded_by_the_rooms_and_kept_through_a_restart(tmp_path) -> None:
    desk = reception(KARAOKE, tmp_path, EVENING)
    first = desk.hold_room("karaoke", at("2026-11-24 21:00"), 120, member_id=11)
    second = desk.hold_room("karaoke", at("2026-11-24 21:30"), 120, member_id=12)
    assert desk.hold_room("karaoke", at("2026-11-24 21:15"), 60, member_id=13) is HoldRefusal.NO_ROOM  # two rooms
    assert desk.hold_room("karaoke", at("2026-11-24 22:30"), 60, member_id=13) is not HoldRefusal.NO_ROOM
    assert desk.hold_room("karaoke", at("2026-11-24 18:00"), 60, member_id=13) is HoldRefusal.PAST
    assert desk.hold_room("karaoke", at("2026-11-24 21:00"), 60) is HoldRefusal.FOR_WHOM
    assert desk.hold_room("nowhere", at("2026-11-24 21:00"), 60, member_id=13) is HoldRefusal.NO_HOLDS
    assert not isinstance(first, HoldRefusal) and not isinstance(second, HoldRefusal)
    assert desk.cancel_hold(first.hold_id) == first and desk.cancel_hold(first.hold_id) is None
    desk.store.close()
    again = Reception(KARAOKE, KioskStore(tmp_path / "kiosk.db", desk.clock), desk.clock)  # the kiosk restarted
    assert [hold.member_id for hold in again.store.open_holds()] == [12, 13]
    assert [state for _, state in again.store.holds()] == [CANCELLED, HELD, HELD]
    assert audited(again) == ["hold_created", "hold_created", "hold_created", "hold_cancelled"]


def test_retention_forgets_holds_once_closed_and_old_but_never_one_still_held(tmp_path) -> None:
    desk = reception(KARAOKE, tmp_path, EVENING)
    desk.hold_room("karaoke", at("2026-11-24 19:30"), 60, name="田中")  # will lapse
    desk.hold_room("karaoke", at("2026-11-26 19:30"), 60, name="高橋")  # cancelled
    desk.hold_room("karaoke", at("2026-11-30 19:30"), 60, name="伊藤")  # still held when the purge runs
    desk.cancel_hold(2)
    desk.clock.lapse(3600)
    assert [hold.name for hold in desk.lapse_holds()] == ["田中"]
    desk.clock.lapse(91 * 24 * 3600)  # 91 days pass (observed: a clock merely stepped so far removes nothing)
    assert purge_kiosk(desk.store, desk.clock.now(), timedelta(days=90), 400)["room_holds"] == 2
    assert [(hold.name, state) for hold, state in desk.store.holds()] == [("伊藤", HELD)]  # never lapsed yet


def test_a_meeting_room_s_representative_takes_no_seat_of_the_open_space(tmp_path) -> None:
    """店舗詳細「会議室 (OFFICE PASSで利用可能)」: the representative checks in at the same reception
    (代表者のみチェックイン), for the meeting room; the open space's seats are for those who walk in."""
    office = office_with_meeting_room(seats=1)
    clock = clock_at(at("2026-11-24 10:00"))
    desk = Reception(office, kiosk_store(tmp_path / "kiosk.db", clock), clock)
    booking = Reservation(77, "meeting-1", 1001, at("2026-11-24 10:00"), at("2026-11-24 12:00"), guests=2)
    desk.store.apply_changes([booking], 1, clock.now())
    assert shows(desk, 1001, reservation_id=77).room == "会議室1 / Meeting room 1"
    assert desk.occupancy().members_in == 0 and desk.vacancy() is Vacancy.VACANT
    assert desk.occupancy(space=office.space("meeting")).members_in == 1
    assert shows(desk, 2001, "鈴木 翼").admitted  # the open space's one seat
    assert desk.vacancy() is Vacancy.FULL and shows(desk, 2002, "田中 蓮").reasons == (Reason.FULL,)
    (meeting,) = [c for c in desk.store.checkins() if c.reservation_id == 77]
    assert meeting.space == "meeting" and meeting.room_group == ""
    spaces = {space.space: space for space in desk.vacancies()}
    assert (spaces["open"].state, spaces["open"].free, spaces["open"].unit) == (Vacancy.FULL, 0, "seats")
    assert (spaces["meeting"].state, spaces["meeting"].open) == (None, True)  # taken by booking only


def test_staff_give_a_member_a_room_of_their_own_or_move_them_into_another_s(tmp_path) -> None:
    """Two groups that came within the window share a room until staff part them; a latecomer of a group joins its
    room by staff's hand (the window is the facility's guess, staff see who came together)."""
    desk = reception(KARAOKE, tmp_path, EVENING)
    for member in (1, 2):
        assert shows(desk, member).admitted
    first, second = desk.store.checkins()
    assert first.room_group == second.room_group and desk.occupancy().rooms_in == 1
    parted = desk.new_room(second.key)
    assert parted is not None and parted.room_group != first.room_group and desk.occupancy().rooms_in == 2
    desk.clock.shift(30 * 60)
    late = desk.admit_by_staff(3, "田中 蓮", Plan.CORPORATE, "full, but their group is in")  # a new room: over
    assert late.admitted and desk.occupancy().rooms_in == 3
    third = desk.store.checkins()[-1]
    assert desk.join_room(third.key, first.key).room_group == first.room_group
    assert desk.occupancy().rooms_in == 2 and desk.vacancy() is Vacancy.FULL
    assert desk.join_room(third.key, third.key) is None and desk.join_room("nobody", first.key) is None
    actions = [row[1] for row in desk.store.audit_rows() if row[1].startswith("room_")]
    assert actions == ["room_new", "room_join"]


def test_a_store_kept_before_spaces_gains_their_columns_and_its_visits_count_where_they_were(tmp_path) -> None:
    """An older kiosk's store: check-ins without a space or a group are the reception space's, one room each."""
    old = sqlite3.connect(tmp_path / "kiosk.db")
    old.execute(
        "CREATE TABLE checkin (key TEXT PRIMARY KEY, member_id INTEGER NOT NULL, name TEXT NOT NULL, plan TEXT NOT "
        "NULL, at TEXT NOT NULL, kind TEXT NOT NULL, ends_at TEXT, checked_out_at TEXT, new_use INTEGER NOT NULL, "
        "pass_id TEXT, source TEXT NOT NULL, note TEXT NOT NULL DEFAULT '', reservation_id INTEGER, "
        "companions INTEGER NOT NULL DEFAULT 0, booker INTEGER NOT NULL DEFAULT 1)"
    )
    old.execute(
        "INSERT INTO checkin (key, member_id, name, plan, at, kind, ends_at, new_use, pass_id, source) VALUES "
        "('k1', 1, '佐藤', 'corporate', ?, 'check_in', ?, 1, '', 'staff')",
        (at("2026-11-24 18:30").isoformat(), at("2026-11-25 05:00").isoformat()),
    )
    old.commit()
    old.close()
    desk = reception(KARAOKE, tmp_path, EVENING)
    (kept,) = desk.store.checkins()
    assert (kept.space, kept.room_group) == ("", "")
    assert desk.occupancy().rooms_in == 1 and desk.occupancy().members_in == 1
    assert shows(desk, 2).admitted and desk.vacancy() is Vacancy.FULL


def test_a_member_early_for_their_held_room_takes_it_and_holds_no_second_one(tmp_path) -> None:
    """事前予約が可能: the party booked by phone for 20:00 and came at 19:40; it gets the held room, not another."""
    desk = reception(KARAOKE, tmp_path, at("2026-11-24 19:40"))
    desk.hold_room("karaoke", at("2026-11-24 20:00"), 120, name="佐藤")
    assert desk.occupancy().rooms_in == 0  # not counted yet (from 15 minutes before)
    assert shows(desk, 1, "佐藤 葵").admitted
    assert [state for _, state in desk.store.holds()] == [USED]
    desk.clock.shift(6 * 60)  # 19:46: the hold would have begun to count
    assert desk.occupancy().rooms_in == 1 and desk.vacancy() is not Vacancy.FULL
    desk.clock.shift(11 * 60)  # past the party's window: an unrelated member takes the other room
    assert shows(desk, 2, "高橋 陽翔").admitted


def test_reception_stays_open_while_a_space_it_checks_in_for_is_open_and_shows_the_walk_in_space_s_hours(
    tmp_path,
) -> None:
    """Hours may differ per space (issue 24): a meeting room booked past the open space's hours still needs the
    desk code and the camera; the hours the page shows are the walk-in space's."""
    from facility.config.models import OpeningHours
    from kiosk.doorway import Doorway, hours_today

    office = office_with_meeting_room()
    late = [
        s.model_copy(update={"hours": OpeningHours.around_the_clock()}) if s.id != office.reception_space.id else s
        for s in office.spaces
    ]
    cfg = office.model_copy(update={"spaces": late})
    evening = at("2026-11-24 21:00")
    assert reception(office, tmp_path / "a", evening).doorway() is Doorway.CLOSED
    assert reception(cfg, tmp_path / "b", evening).doorway() is Doorway.OPEN
    walk_in = cfg.venue(cfg.reception_space)
    assert hours_today(walk_in, evening) == hours_today(office.venue(office.reception_space), evening)
