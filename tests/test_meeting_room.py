"""A staffed meeting room end to end: the kiosk keeps the bookings from the platform and admits the representative.

Real parts: the kiosk's Qt app on the simulator's camera, the stand-in platform over HTTP, Mosquitto for the
front-desk code and the change notice; the seed books room A for member 1001 (two guests) from the test's 10:30.
"""

from __future__ import annotations

import gc
from datetime import timedelta

import pytest

from facility.models import EntryKind, Member, Plan
from facility.reasons import Reason
from facility.tokens import MemberPass, peek
from facility.usage import uses_on
from kiosk.app import KioskApp
from kiosk.store import KioskStore
from simulator.camera import VirtualCamera
from simulator.phone import AppClient, Phone
from tests.conftest import CONFIG_DIR, bus_settings
from tests.kiosk_desk import meeting_desk, running, shown
from tests.rulebook import MEETING, at


@pytest.fixture
def meeting_kiosk(qtbot, camera, platform, broker, tmp_path, wall_clock):
    """The meeting room's kiosk on the test's platform and broker, its first booking sync done."""
    cfg = MEETING.model_copy(
        update={
            "platform": MEETING.platform.model_copy(update={"base_url": platform.server.url, "timeout_seconds": 2}),
            "kiosk": MEETING.kiosk.model_copy(update={"signing_key_file": CONFIG_DIR / "demo-keys" / "kiosk-demo.pem"}),
        }
    )
    app = KioskApp(
        cfg, camera, broker=bus_settings(broker, "lockd", "meeting-kiosk"), data_dir=tmp_path, clock=wall_clock
    )
    running(app)
    qtbot.waitUntil(lambda: app.bus.connected and app.parts.reservations.sync_count >= 1, timeout=10000)
    yield app
    app.stop()
    gc.collect()


def phone(platform, member: int) -> Phone:
    """A member's phone on the test's platform."""
    return Phone(member, AppClient(platform.server.url, timeout=10))


def shown_verdict(qtbot, app: KioskApp, camera: VirtualCamera, text: str):
    """Hold a pass to the kiosk's camera and wait for the verdict it puts up."""
    verdicts: list = []
    app.verdict_displayed.connect(verdicts.append)
    camera.show(text)
    qtbot.waitUntil(lambda: bool(verdicts), timeout=10000)
    camera.empty()
    return verdicts[0]


def test_the_app_s_pass_carries_the_representative_s_booking(platform) -> None:
    text = phone(platform, 1001).show_pass("meeting-kanda")
    booking = peek(text, MemberPass).reservation_id
    assert booking is not None and platform.state.bookings[booking].reservation.room_id == "room-a"
    assert peek(phone(platform, 1001).show_pass("kaikatsu-ikebukuro"), MemberPass).reservation_id is None


def test_the_pass_carries_a_booking_of_a_drop_in_office_s_meeting_room(platform, wall_clock) -> None:
    """A facility is a set of spaces: the Regus-like office's meeting room (店舗詳細「会議室 (OFFICE PASSで利用可能)」)
    checks its representative in at the office's reception, so the app's pass there carries the booking."""
    start = wall_clock.now() + timedelta(minutes=5)
    booked = phone(platform, 1001).book("regus-shinjuku-south", "meeting-1", start, 60, guests=2)
    assert (
        peek(phone(platform, 1001).show_pass("regus-shinjuku-south"), MemberPass).reservation_id
        == (booked["reservation_id"])
    )
    assert peek(phone(platform, 1004).show_pass("regus-shinjuku-south"), MemberPass).reservation_id is None


def test_the_representative_is_admitted_with_the_room_the_end_and_free_guests(
    qtbot, meeting_kiosk: KioskApp, camera, platform
) -> None:
    verdict = shown_verdict(qtbot, meeting_kiosk, camera, phone(platform, 1001).show_pass("meeting-kanda"))
    assert verdict.admitted and verdict.room == "会議室A / Room A" and verdict.companions == 2
    page = meeting_kiosk.window.verdict.detail.text()
    assert (
        "会議室Aを" in page and "Room A" not in page and "2名様" in page and verdict.ends_at.strftime("%H:%M") in page
    )
    meeting_kiosk.outbox.wake()
    qtbot.waitUntil(lambda: len(platform.state.checkins_of("meeting-kanda")) == 1, timeout=10000)
    (recorded,) = platform.state.checkins_of("meeting-kanda")
    assert (recorded["companions"], recorded["companion_fee_yen"]) == (2, 0) and recorded["new_use"] is True


def test_a_guest_who_is_a_member_is_told_to_come_in_with_the_representative(
    qtbot, meeting_kiosk: KioskApp, camera, platform, wall_clock
) -> None:
    verdict = shown_verdict(qtbot, meeting_kiosk, camera, phone(platform, 1002).show_pass("meeting-kanda"))
    assert not verdict.admitted and verdict.reasons == (Reason.NOT_REPRESENTATIVE,)
    wall_clock.shift(3 * 3600)  # the booking is over: now nobody's booking runs
    later = shown_verdict(qtbot, meeting_kiosk, camera, phone(platform, 1002).show_pass("meeting-kanda"))
    assert not later.admitted and later.reasons == (Reason.NO_RESERVATION,)
    assert meeting_kiosk.store.checkins() == []


def test_a_booking_made_a_moment_ago_reaches_reception_with_the_change_notice(
    qtbot, meeting_kiosk: KioskApp, camera, platform, wall_clock
) -> None:
    synced = meeting_kiosk.parts.reservations.sync_count
    booked = phone(platform, 1004).book(
        "meeting-kanda", "room-b", wall_clock.now() + timedelta(minutes=5), 60, guests=4
    )
    qtbot.waitUntil(
        lambda: meeting_kiosk.parts.reservations.sync_count > synced, timeout=10000
    )  # not the minute's schedule
    assert meeting_kiosk.store.reservation(booked["reservation_id"]) is not None
    verdict = shown_verdict(qtbot, meeting_kiosk, camera, phone(platform, 1004).show_pass("meeting-kanda"))
    assert verdict.admitted and verdict.room == "会議室B / Room B" and verdict.companions == 4


def test_the_desk_code_flow_answers_the_app_with_the_room(qtbot, meeting_kiosk: KioskApp, platform) -> None:
    code, _ = meeting_kiosk.parts.desk_code.current()
    answer = phone(platform, 1001).scan_desk_code(code)
    assert answer["result"] == "admitted" and answer["room"] == "会議室A / Room A" and answer["companions"] == 2
    (kept,) = meeting_kiosk.store.checkins()
    assert kept.kind is EntryKind.CHECK_IN and kept.reservation_id is not None and kept.companions == 2


def test_a_kiosk_store_from_before_meeting_rooms_gains_the_new_columns(tmp_path) -> None:
    old = KioskStore(tmp_path / "kiosk.db")
    with old.transaction() as db:  # the check-in table as the first version made it
        db.execute("DROP TABLE checkin")
        db.execute(
            "CREATE TABLE checkin (key TEXT PRIMARY KEY, member_id INTEGER NOT NULL, name TEXT NOT NULL, "
            "plan TEXT NOT NULL, at TEXT NOT NULL, kind TEXT NOT NULL, ends_at TEXT, checked_out_at TEXT, "
            "new_use INTEGER NOT NULL, pass_id TEXT, source TEXT NOT NULL, note TEXT NOT NULL DEFAULT '')"
        )
        db.execute(
            "INSERT INTO checkin VALUES ('k1', 1001, '佐藤 葵', 'corporate', '2026-11-24T10:00:00+09:00', "
            "'check_in', NULL, NULL, 1, 'ab', 'member_screen', '')"
        )
    old.close()
    (kept,) = KioskStore(tmp_path / "kiosk.db").checkins()
    assert kept.member_id == 1001 and kept.reservation_id is None and kept.companions == 0


def test_staff_letting_the_representative_in_early_and_her_later_scan_are_one_use(tmp_path) -> None:
    desk, booking = meeting_desk(tmp_path, "2026-11-24 09:30")
    assert shown(desk).reasons == (Reason.TOO_EARLY,)
    assert desk.override_last_refusal("arrived early to set up").admitted
    desk.clock.shift(45 * 60)
    assert shown(desk).entry is EntryKind.RE_ENTRY
    assert (
        uses_on(MEETING, desk.day_history(booking.starts_at.date()), booking.starts_at.date())[0].reservation_id
        == booking.reservation_id
    )
    assert len(uses_on(MEETING, desk.day_history(booking.starts_at.date()), booking.starts_at.date())) == 1


def test_a_guest_staff_let_in_is_free_and_not_a_use(tmp_path) -> None:
    desk, booking = meeting_desk(tmp_path, "2026-11-24 10:00")
    assert shown(desk).admitted
    guest = Member(1002, Plan.INDIVIDUAL_PREMIUM, "鈴木 蓮")
    assert shown(desk, guest).reasons == (Reason.NOT_REPRESENTATIVE,)
    assert desk.override_last_refusal("came with the representative").admitted
    assert [
        use.member_id for use in uses_on(MEETING, desk.day_history(booking.starts_at.date()), booking.starts_at.date())
    ] == [1001]


def test_a_booking_that_outlasts_changed_hours_ends_at_closing_on_screen(tmp_path) -> None:
    desk, _ = meeting_desk(
        tmp_path, "2026-11-24 20:00", starts_at=at("2026-11-24 20:00"), ends_at=at("2026-11-24 22:00")
    )
    verdict = shown(desk)
    assert verdict.admitted and verdict.ends_at == at("2026-11-24 21:00")  # Kanda closes at 21:00


def test_a_booking_s_guests_are_counted_once_however_often_the_representative_comes_in(tmp_path) -> None:
    """The guide: 共連れで利用可能. A booking's guests come along with the booking, once: announcing them at each of six
    admissions reported 12 guests for a booking of two."""
    desk, _ = meeting_desk(tmp_path, "2026-11-24 10:05")
    verdicts = []
    for _ in range(6):  # in, out for a call, back in, ...
        verdicts.append(shown(desk, reservation_id=77))
        desk.clock.shift(600)
    assert all(verdict.admitted for verdict in verdicts)
    assert [verdict.companions for verdict in verdicts] == [2, 0, 0, 0, 0, 0]
    assert sum(kept.companions for kept in desk.store.checkins()) == 2
