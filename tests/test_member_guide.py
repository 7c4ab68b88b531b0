"""The member guide, statement by statement: each concrete rule is one row, named after it, with the guide's words.

The guide's text is summarised in docs/domain.md; its FAQ answers are numbered here Q1-Q6 in the
order they appear there (docs/decisions.md, 'Reading the member guide'). The example facility files
follow the guide's cards; each row runs the production rules, the kiosk's reception or the platform's
booking rule on them, on a fixed clock.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import pytest

from facility.models import CheckIn, EntryKind, FacilityKind, Member, Occupancy, Plan, Reservation
from facility.reasons import Reason
from facility.rules.booking import booking_refusal, cancellation_refusal, decide_unlock
from facility.rules.capacity import Vacancy, size_label
from facility.rules.checkin import decide_checkin
from facility.rules.companions import companion_fee
from facility.rules.desk import DeskCheckDue
from facility.usage import uses_on
from kiosk.reception import CheckinVerdict, Reception
from tests.kiosk_desk import REPRESENTATIVE, clock_at, kiosk_store, meeting_desk, member_pass, shown
from tests.rulebook import (
    BASIC,
    CORPORATE,
    H1T,
    KAIKATSU,
    KARAOKE,
    MEETING,
    NEWCOMER,
    PREMIUM,
    REGUS,
    at,
    visit,
)

TUESDAY = "2026-11-24"


def decide(cfg, member: Member, moment: str, history=(), occupancy: Occupancy | None = None):
    """The reception's rules for one arrival (nobody else in, unless told)."""
    return decide_checkin(cfg, member, list(history), occupancy or Occupancy(), at(moment))


def uses(cfg, history: list[CheckIn], day: str = TUESDAY) -> int:
    """How many uses the day's history counts."""
    return len(uses_on(cfg, history, date.fromisoformat(day)))


def regus_desk(tmp_path: Path, moment: str) -> tuple[Reception, Reservation]:
    """The Regus-like office's reception at a moment, holding the representative's booking of its meeting room
    (meeting-1, 11:00-12:00, two guests)."""
    clock = clock_at(at(moment))
    desk = Reception(REGUS, kiosk_store(tmp_path / "kiosk.db", clock), clock)
    start, end = at(f"{TUESDAY} 11:00"), at(f"{TUESDAY} 12:00")
    booking = Reservation(91, "meeting-1", REPRESENTATIVE.member_id, start, end, guests=2, plan=Plan.CORPORATE)
    desk.store.apply_changes([booking], 1, clock.now())
    return desk, booking


def present(desk: Reception, member: Member, reservation_id: int | None = None) -> CheckinVerdict:
    """A member's app pass shown at a reception (naming a booking, or not)."""
    moment = desk.clock.now().timestamp()
    return desk.present(
        member_pass(desk.cfg, member.member_id, member.plan, member.name, at=moment, reservation_id=reservation_id)
    )


# --- FAQ ------------------------------------------------------------------------------------------


def q1_no_time_limit_two_visits_on_one_day_are_one_use(tmp_path: Path) -> None:
    # 時間制限のない施設では、同じ日に2回利用しても1回の利用です。
    history = [visit(PREMIUM, f"{TUESDAY} 12:00", None), visit(PREMIUM, f"{TUESDAY} 18:00", None)]
    assert uses(KARAOKE, history) == 1
    assert not decide(KARAOKE, PREMIUM, f"{TUESDAY} 18:00", history[:1]).new_use


def q2_with_a_time_limit_staying_longer_is_a_new_check_in_and_a_second_use(tmp_path: Path) -> None:
    # 時間制限のある施設では、制限を超えて利用する場合は再度チェックインが必要で、2回目の利用になります。
    first = visit(PREMIUM, f"{TUESDAY} 09:30", f"{TUESDAY} 13:30")
    again = decide(REGUS, PREMIUM, f"{TUESDAY} 13:30", [first], Occupancy(0))
    assert again.admitted and again.new_use and again.entry is EntryKind.CHECK_IN
    assert uses(REGUS, [first, again.record(PREMIUM, at(f"{TUESDAY} 13:30"))]) == 2


def q3_stepping_out_within_the_limit_is_allowed_and_not_a_use(tmp_path: Path) -> None:
    # 制限時間内であれば、一時的な外出と再入場は通常可能です。
    running = visit(PREMIUM, f"{TUESDAY} 09:30", f"{TUESDAY} 13:30")
    back = decide(REGUS, PREMIUM, f"{TUESDAY} 11:00", [running], Occupancy(1))
    assert back.admitted and back.entry is EntryKind.RE_ENTRY and not back.new_use


def q4_two_members_at_the_same_place_and_time_are_two_uses(tmp_path: Path) -> None:
    # 同じ施設を同時に2名で利用した場合は2回の利用です。
    history = [visit(PREMIUM, f"{TUESDAY} 10:00", None), visit(CORPORATE, f"{TUESDAY} 10:00", None)]
    assert uses(KARAOKE, history) == 2


def q5_a_booking_opens_one_week_before_and_closes_at_the_start(tmp_path: Path) -> None:
    # 予約は1週間前から開始時刻まで可能です。
    now, hour = at(f"{TUESDAY} 10:00"), timedelta(hours=1)
    assert booking_refusal(H1T, now + timedelta(days=7), now + timedelta(days=7) + hour, now) is None
    assert (
        booking_refusal(H1T, now + timedelta(days=7, minutes=1), now + timedelta(days=7, minutes=61), now)
        is Reason.BOOKING_TOO_EARLY
    )
    assert booking_refusal(H1T, now, now + hour, now) is Reason.BOOKING_IN_PAST


def q6_a_booking_can_be_cancelled_up_to_two_hours_before(tmp_path: Path) -> None:
    # 予約は開始2時間前までキャンセルできます。
    start = at(f"{TUESDAY} 14:00")
    assert cancellation_refusal(start, at(f"{TUESDAY} 12:00")) is None
    assert cancellation_refusal(start, at(f"{TUESDAY} 12:01")) is Reason.CANCEL_TOO_LATE


# --- facility cards -------------------------------------------------------------------------------


def regus_card_temperature_and_photo_id_at_every_visit(tmp_path: Path) -> None:
    # リージャス: 検温が必要です。身分証の提示が必要です。
    returning = decide(REGUS, PREMIUM, f"{TUESDAY} 10:00")
    assert returning.admitted and returning.desk_checks == (DeskCheckDue.TEMPERATURE, DeskCheckDue.PHOTO_ID)


def regus_card_four_hours_and_no_basic_plan(tmp_path: Path) -> None:
    # リージャス: 利用時間 4時間 / 個人ベーシックプランは利用できません。
    assert decide(REGUS, PREMIUM, f"{TUESDAY} 10:00").ends_at == at(f"{TUESDAY} 14:00")
    assert decide(REGUS, BASIC, f"{TUESDAY} 10:00").reasons == (Reason.PLAN_NOT_ADMITTED,)


def kaikatsu_card_member_screen_three_hours_once_a_day(tmp_path: Path) -> None:
    # 快活CLUB: 24時間営業 / 3時間 / 1日1回まで / 受付で会員画面の2次元コードを読み取ります。
    first = decide(KAIKATSU, BASIC, f"{TUESDAY} 23:00")
    assert first.admitted and first.ends_at == at("2026-11-25 02:00")
    history = [visit(BASIC, f"{TUESDAY} 09:00", f"{TUESDAY} 12:00")]
    assert decide(KAIKATSU, BASIC, f"{TUESDAY} 13:00", history).reasons == (Reason.DAILY_LIMIT,)
    assert KAIKATSU.facility.kind.value == "member_screen"


def kaikatsu_card_no_entry_after_18_on_fridays_and_before_holidays(tmp_path: Path) -> None:
    # 快活CLUB: 金曜日・祝前日は18時以降の新規入店不可。
    assert decide(KAIKATSU, BASIC, "2026-11-20 18:00").reasons == (Reason.AFTER_CUTOFF,)  # a Friday
    assert decide(KAIKATSU, BASIC, "2026-11-22 18:30").reasons == (Reason.AFTER_CUTOFF,)  # the day before 11-23
    assert decide(KAIKATSU, BASIC, "2026-11-20 17:59").admitted


def kaikatsu_card_membership_sign_up_at_the_first_visit(tmp_path: Path) -> None:
    # 快活CLUB: 初回のみ会員登録が必要です。
    assert DeskCheckDue.MEMBERSHIP_SIGNUP in decide(KAIKATSU, NEWCOMER, f"{TUESDAY} 10:00").desk_checks
    assert decide(KAIKATSU, BASIC, f"{TUESDAY} 10:00").desk_checks == ()


def h1t_card_bookings_lie_inside_daily_8_to_21(tmp_path: Path) -> None:
    # H1T: 毎日 8:00-21:00
    now = at(f"{TUESDAY} 06:00")
    assert booking_refusal(H1T, at(f"{TUESDAY} 21:00"), at(f"{TUESDAY} 22:00"), now) is Reason.BOOKING_OUTSIDE_HOURS
    assert booking_refusal(H1T, at(f"{TUESDAY} 07:00"), at(f"{TUESDAY} 08:00"), now) is Reason.BOOKING_OUTSIDE_HOURS
    assert booking_refusal(H1T, at(f"{TUESDAY} 08:00"), at(f"{TUESDAY} 09:00"), now) is None
    assert booking_refusal(H1T, at("2026-11-23 20:00"), at("2026-11-23 21:00"), now - timedelta(days=1)) is None


def h1t_card_the_door_stays_shut_outside_the_hours(tmp_path: Path) -> None:
    # H1T: 毎日 8:00-21:00 / 開錠ボタンで入室
    late = Reservation(5, "booth-a", PREMIUM.member_id, at(f"{TUESDAY} 20:00"), at(f"{TUESDAY} 22:00"))
    door = H1T.door("booth-a")
    assert decide_unlock(H1T, door, late, PREMIUM.member_id, [], at(f"{TUESDAY} 21:30")).reasons == (
        Reason.CLOSED_FOR_UNLOCK,
    )
    assert decide_unlock(H1T, door, late, PREMIUM.member_id, [], at(f"{TUESDAY} 20:30")).admitted


def h1t_card_from_30_minutes_up_to_5_a_day(tmp_path: Path) -> None:
    # H1T: 30分から / 1日5回まで
    now = at(f"{TUESDAY} 08:00")
    assert booking_refusal(H1T, at(f"{TUESDAY} 10:00"), at(f"{TUESDAY} 10:29"), now) is Reason.BOOKING_TOO_SHORT
    door, booth = (
        H1T.door("booth-a"),
        Reservation(9, "booth-a", BASIC.member_id, at(f"{TUESDAY} 15:00"), at(f"{TUESDAY} 16:00"), plan=BASIC.plan),
    )
    earlier = [
        CheckIn(BASIC.member_id, at(f"{TUESDAY} {8 + n}:00"), BASIC.plan, reservation_id=n + 1) for n in range(5)
    ]
    assert decide_unlock(H1T, door, booth, BASIC.member_id, earlier[:4], at(f"{TUESDAY} 15:00")).admitted
    assert decide_unlock(H1T, door, booth, BASIC.member_id, earlier, at(f"{TUESDAY} 15:00")).reasons == (
        Reason.DAILY_LIMIT,
    )


def karaoke_card_no_time_limit_within_the_opening_hours(tmp_path: Path) -> None:
    # カラオケ館: 営業時間内であれば時間制限なし
    assert decide(KARAOKE, PREMIUM, f"{TUESDAY} 20:00").ends_at == at("2026-11-25 05:00")


def karaoke_card_a_night_at_the_branch_is_one_use(tmp_path: Path) -> None:
    # カラオケ館: 利用可能時間内であれば利用制限時間なし / Q2: 時間制限のない店舗では「1回」としてカウントします。
    # The guide does not say where a day ends at a store open past midnight: the branch's file does (06:00, after its
    # latest closing), so coming back at 01:00 is the same night's use, and the next afternoon is a new one.
    history = [visit(PREMIUM, f"{TUESDAY} 21:00", f"{TUESDAY} 23:30")]
    back = decide(KARAOKE, PREMIUM, "2026-11-25 01:00", history)
    assert back.admitted and not back.new_use and back.ends_at == at("2026-11-25 05:00")
    history.append(back.record(PREMIUM, at("2026-11-25 01:00")))
    assert uses(KARAOKE, history) == 1 and uses(KARAOKE, history, "2026-11-25") == 0
    assert decide(KARAOKE, PREMIUM, "2026-11-25 12:00", history).new_use


# --- groups ---------------------------------------------------------------------------------------


def groups_open_space_every_member_checks_in_and_companions_pay_the_drop_in_fee(tmp_path: Path) -> None:
    # オープンスペース: 全員がチェックイン / 非会員の同伴者は施設のドロップイン料金を現地で精算
    history = [visit(PREMIUM, f"{TUESDAY} 10:00", f"{TUESDAY} 14:00")]
    assert decide(REGUS, CORPORATE, f"{TUESDAY} 10:00", history, Occupancy(1)).admitted
    assert companion_fee(REGUS) == 2200


def groups_karaoke_every_member_checks_in_and_companions_pay_on_site(tmp_path: Path) -> None:
    # カラオケ: 全員がチェックイン / 同伴者は別途現地で精算必要
    assert decide(KARAOKE, PREMIUM, f"{TUESDAY} 12:00").admitted
    assert companion_fee(KARAOKE) is not None and companion_fee(KARAOKE) > 0


def groups_staffed_meeting_room_only_the_representative_checks_in(tmp_path: Path) -> None:
    # 会議室(有人受付): 代表者のみチェックイン / 共連れで利用可能
    desk, booking = meeting_desk(tmp_path, f"{TUESDAY} 09:55")
    verdict = shown(desk)  # the kiosk finds the booking among the member's
    assert verdict.admitted and verdict.room == "会議室A / Room A" and verdict.ends_at == booking.ends_at
    assert verdict.companions == 2
    guest = Member(1002, Plan.INDIVIDUAL_PREMIUM, "鈴木 蓮")
    assert shown(desk, guest, booking.reservation_id).reasons == (Reason.NOT_REPRESENTATIVE,)
    assert shown(desk, guest).reasons == (Reason.NO_RESERVATION,)


def groups_staffed_meeting_room_guests_are_free_and_the_booking_is_one_use(tmp_path: Path) -> None:
    # 会議室(有人受付): 代表者の利用1回としてカウント / 同行者は料金不要・カウントなし
    desk, booking = meeting_desk(tmp_path, f"{TUESDAY} 10:00")
    assert shown(desk, reservation_id=booking.reservation_id).admitted
    desk.clock.shift(30 * 60)
    again = shown(desk)
    assert again.admitted and again.entry is EntryKind.RE_ENTRY
    (queued, _) = desk.store.outbox("queued")
    assert (queued.body["reservation_id"], queued.body["companions"], queued.body["companion_fee_yen"]) == (77, 2, 0)
    assert uses(MEETING, desk.day_history(date.fromisoformat(TUESDAY))) == 1 and companion_fee(MEETING) == 0


def groups_staffed_meeting_room_only_inside_the_booking(tmp_path: Path) -> None:
    # 会議室(有人受付): 予約した時間に受付
    early, _ = meeting_desk(tmp_path / "early", f"{TUESDAY} 09:49")
    assert shown(early).reasons == (Reason.TOO_EARLY,)
    over, _ = meeting_desk(tmp_path / "over", f"{TUESDAY} 12:00")
    assert shown(over).reasons == (Reason.RESERVATION_OVER,)
    cancelled, _ = meeting_desk(tmp_path / "cancelled", f"{TUESDAY} 10:00", cancelled=True)
    assert shown(cancelled).reasons == (Reason.RESERVATION_CANCELLED,)


def groups_unattended_meeting_room_only_the_booker_unlocks_and_guests_come_free(tmp_path: Path) -> None:
    # 会議室（無人受付）: 代表者のみアプリから予約利用 / 共連れで利用可能 ※開錠は予約者のみ
    meeting = Reservation(8, "meeting-1", PREMIUM.member_id, at(f"{TUESDAY} 10:00"), at(f"{TUESDAY} 11:00"), guests=3)
    door, room = H1T.door("meeting-1"), H1T.venue_of_room("meeting-1")  # the H1T site's meeting room: its own space
    assert room.facility.kind is FacilityKind.MEETING_ROOM_UNATTENDED
    first = decide_unlock(room, door, meeting, PREMIUM.member_id, [], at(f"{TUESDAY} 10:00"))
    assert first.admitted and first.new_use
    assert decide_unlock(room, door, meeting, CORPORATE.member_id, [], at(f"{TUESDAY} 10:00")).reasons == (
        Reason.NOT_BOOKER,
    )
    assert companion_fee(room) == 0


def h1t_card_guests_come_free_to_the_meeting_room_not_to_the_booths(tmp_path: Path) -> None:
    # H1T: 個室、会議室を予約して利用可能 / 会議室（無人受付）: 共連れで利用可能
    # Q3: ドロップインのない施設もございますので、あらかじめご確認ください (the booths sell no drop-in to companions)
    assert [space.kind for space in H1T.spaces] == [FacilityKind.BOOKING, FacilityKind.MEETING_ROOM_UNATTENDED]
    assert companion_fee(H1T.venue_of_room("meeting-1")) == 0
    assert companion_fee(H1T.venue_of_room("booth-a")) is None
    booking = Reservation(9, "meeting-1", PREMIUM.member_id, at(f"{TUESDAY} 10:00"), at(f"{TUESDAY} 11:00"), guests=5)
    entry = CheckIn(PREMIUM.member_id, at(f"{TUESDAY} 10:00"), PREMIUM.plan, reservation_id=booking.reservation_id)
    again = decide_unlock(
        H1T.venue_of_room("meeting-1"),
        H1T.door("meeting-1"),
        booking,
        PREMIUM.member_id,
        [entry],
        at(f"{TUESDAY} 10:30"),
    )
    assert again.admitted and not again.new_use  # the booking, guests and all, is one use of its booker
    assert uses(H1T, [entry]) == 1


def regus_detail_the_meeting_room_admits_its_booker_at_reception(tmp_path: Path) -> None:
    # リージャス 店舗詳細: 会議室 (OFFICE PASSで利用可能) / 会議室（有人受付）: 代表者のみチェックイン・共連れで利用可能
    desk, booking = regus_desk(tmp_path, f"{TUESDAY} 10:55")
    verdict = present(desk, REPRESENTATIVE)  # the pass names no booking: reception finds hers
    assert verdict.admitted and verdict.room == "会議室1 / Meeting room 1" and verdict.ends_at == booking.ends_at
    assert verdict.companions == 2 and verdict.desk_checks == (DeskCheckDue.TEMPERATURE, DeskCheckDue.PHOTO_ID)
    guest = Member(1002, Plan.CORPORATE, "鈴木 蓮")
    assert present(desk, guest, booking.reservation_id).reasons == (Reason.NOT_REPRESENTATIVE,)


def regus_card_the_open_space_keeps_its_own_rules_beside_the_meeting_room(tmp_path: Path) -> None:
    # リージャス: チェックイン1回あたり利用制限時間：4時間0分 / ※大規模拠点（10席以上） / 空席無 (open space seats)
    desk, booking = regus_desk(tmp_path, f"{TUESDAY} 10:55")
    walk_in = present(desk, Member(1003, Plan.INDIVIDUAL_PREMIUM, "高橋 陽翔"))
    assert walk_in.admitted and walk_in.room == "" and walk_in.companions == 0
    assert walk_in.ends_at and walk_in.ends_at.replace(second=0, microsecond=0) == at(f"{TUESDAY} 14:55")  # 4 hours
    open_space, meeting = REGUS.venue("open"), REGUS.venue("meeting")
    assert open_space.seats is not None and size_label(open_space.seats) == "large" and meeting.seats is None
    full = Occupancy(40)
    assert decide_checkin(open_space, PREMIUM, [], full, at(f"{TUESDAY} 11:00")).reasons == (Reason.FULL,)
    booked = decide_checkin(meeting, REPRESENTATIVE, [], full, at(f"{TUESDAY} 11:00"), booking)
    assert booked.admitted and booked.ends_at == booking.ends_at  # a booked room takes no seat, and ends with it
    assert (companion_fee(open_space), companion_fee(meeting)) == (2200, 0)


def groups_a_booking_s_guests_are_counted_once(tmp_path: Path) -> None:
    # Q6: 「会議室予約」から2名用会議室などをご利用の場合は、代表者1名が予約すれば、同伴者も一緒にご利用いただけます
    # 会議室（有人受付）: 共連れで利用可能 (the guests come with the booking, once, however often she comes in)
    desk, booking = regus_desk(tmp_path, f"{TUESDAY} 11:00")
    verdicts = []
    for _ in range(3):  # in, out for a call, back in, ...
        verdicts.append(present(desk, REPRESENTATIVE))
        desk.clock.shift(600)
    assert all(verdict.admitted for verdict in verdicts)
    assert [verdict.companions for verdict in verdicts] == [2, 0, 0]
    assert sum(item.body["companions"] for item in desk.store.outbox("queued")) == booking.guests
    assert uses(REGUS, desk.day_history(date.fromisoformat(TUESDAY))) == 1


def vacancy_red_when_full_or_closed(tmp_path: Path) -> None:
    # 空席状況: 青 空席あり / 黄 残りわずか / 赤 満席または本日休業
    assert decide(REGUS, PREMIUM, f"{TUESDAY} 10:00", occupancy=Occupancy(35)).vacancy is Vacancy.FEW_LEFT
    assert decide(REGUS, PREMIUM, f"{TUESDAY} 10:00", occupancy=Occupancy(40)).vacancy is Vacancy.FULL
    assert decide(REGUS, PREMIUM, "2026-11-21 10:00").vacancy is Vacancy.CLOSED


@dataclass(frozen=True)
class Statement:
    """One concrete statement of the guide and the check that holds it."""

    check: Callable[[Path], None]

    @property
    def name(self) -> str:
        """The statement's name: the check's."""
        return self.check.__name__


GUIDE = [
    Statement(check)
    for check in (
        q1_no_time_limit_two_visits_on_one_day_are_one_use,
        q2_with_a_time_limit_staying_longer_is_a_new_check_in_and_a_second_use,
        q3_stepping_out_within_the_limit_is_allowed_and_not_a_use,
        q4_two_members_at_the_same_place_and_time_are_two_uses,
        q5_a_booking_opens_one_week_before_and_closes_at_the_start,
        q6_a_booking_can_be_cancelled_up_to_two_hours_before,
        regus_card_temperature_and_photo_id_at_every_visit,
        regus_card_four_hours_and_no_basic_plan,
        kaikatsu_card_member_screen_three_hours_once_a_day,
        kaikatsu_card_no_entry_after_18_on_fridays_and_before_holidays,
        kaikatsu_card_membership_sign_up_at_the_first_visit,
        h1t_card_bookings_lie_inside_daily_8_to_21,
        h1t_card_the_door_stays_shut_outside_the_hours,
        h1t_card_from_30_minutes_up_to_5_a_day,
        karaoke_card_no_time_limit_within_the_opening_hours,
        karaoke_card_a_night_at_the_branch_is_one_use,
        groups_open_space_every_member_checks_in_and_companions_pay_the_drop_in_fee,
        groups_karaoke_every_member_checks_in_and_companions_pay_on_site,
        groups_staffed_meeting_room_only_the_representative_checks_in,
        groups_staffed_meeting_room_guests_are_free_and_the_booking_is_one_use,
        groups_staffed_meeting_room_only_inside_the_booking,
        groups_unattended_meeting_room_only_the_booker_unlocks_and_guests_come_free,
        h1t_card_guests_come_free_to_the_meeting_room_not_to_the_booths,
        regus_detail_the_meeting_room_admits_its_booker_at_reception,
        regus_card_the_open_space_keeps_its_own_rules_beside_the_meeting_room,
        groups_a_booking_s_guests_are_counted_once,
        vacancy_red_when_full_or_closed,
    )
]


@pytest.mark.parametrize("statement", GUIDE, ids=[s.name for s in GUIDE])
def test_guide(statement: Statement, tmp_path: Path) -> None:
    statement.check(tmp_path)
