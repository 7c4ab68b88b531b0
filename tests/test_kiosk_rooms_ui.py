"""Rooms on the kiosk's screens (issue 24, items 2 and 3), by touch with real Qt widgets: the staff page holds a room
for a phone booking and moves members between rooms; the reception page shows each space's vacancy where a facility
has several."""

from __future__ import annotations

import gc
from datetime import timedelta

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWidget

from facility.models import Plan
from facility.rules.calendar import local
from kiosk.app import KioskApp
from kiosk.sounds import Chime
from kiosk.texts import t
from kiosk.verdicts import Look
from kiosk.widgets import TOUCH
from simulator.camera import VirtualCamera
from tests.conftest import CONFIG_DIR
from tests.kiosk_desk import clock_at, member_pass, running
from tests.roombook import karaoke_rooms, office_with_meeting_room
from tests.rulebook import at


def kiosk_for(cfg, platform_url: str, tmp_path, moment) -> KioskApp:
    """A running kiosk for the facility on the test's platform, its clock at `moment`, a silent chime, no broker."""
    cfg = cfg.model_copy(
        update={
            "platform": cfg.platform.model_copy(update={"base_url": platform_url, "timeout_seconds": 1}),
            "kiosk": cfg.kiosk.model_copy(update={"signing_key_file": CONFIG_DIR / "demo-keys" / "kiosk-demo.pem"}),
        }
    )
    app = KioskApp(
        cfg, VirtualCamera(640, 480, fps=30, paced=True), clock=clock_at(moment), data_dir=tmp_path, chime=Chime(None)
    )
    running(app)
    return app


@pytest.fixture
def karaoke(qtbot, offline_platform, tmp_path):
    """A karaoke branch of three rooms with phone holds, on a Tuesday at 19:07."""
    app = kiosk_for(karaoke_rooms(rooms=3), offline_platform.server.url, tmp_path, at("2026-11-24 19:07"))
    yield app
    app.stop()
    gc.collect()


@pytest.fixture
def office(qtbot, offline_platform, tmp_path):
    """An office with an open space of two seats and a staffed meeting room, on a Tuesday at 10:00."""
    app = kiosk_for(office_with_meeting_room(seats=2), offline_platform.server.url, tmp_path, at("2026-11-24 10:00"))
    yield app
    app.stop()
    gc.collect()


def tap(qtbot, widget: QWidget) -> None:
    """A finger on the widget."""
    qtbot.mouseClick(widget, Qt.MouseButton.LeftButton)


def unlock(qtbot, app: KioskApp) -> None:
    """The staff button, then the demo PIN on the keypad."""
    tap(qtbot, app.window.home.staff)
    for digit in "2580":
        tap(qtbot, app.window.pin.keypad.keys[digit])
    tap(qtbot, app.window.pin.keypad.ok)
    assert app.window.page is app.window.staff


def shows(app: KioskApp, member_id: int, name: str) -> None:
    """A member's pass held up to the camera, admitted."""
    app.on_scanned(member_pass(app.cfg, member_id, Plan.CORPORATE, name, at=app.clock.now().timestamp()))
    assert app.window.verdict.look is Look.ADMITTED


def holds_tab(app: KioskApp) -> int:
    """The phone holds tab's place among the staff page's tabs."""
    return list(app.window.staff.tab_titles).index("tab_holds")


def test_staff_hold_a_room_for_a_phone_booking_by_touch_in_both_languages(qtbot, karaoke: KioskApp) -> None:
    """事前予約が可能（店舗へ直接電話…）: staff take the booking on the phone and hold the room on the staff page."""
    unlock(qtbot, karaoke)
    staff = karaoke.window.staff
    assert staff.tabs.isTabVisible(holds_tab(karaoke))
    staff.tabs.setCurrentIndex(holds_tab(karaoke))
    assert staff.hold_start.text() == "開始：11月24日（火）19:15"  # the next quarter hour
    assert staff.hold_length.text() == "ご利用時間：2時間"
    for digit in "1001":
        tap(qtbot, staff.hold_keypad.keys[digit])
    for step in ("hold_plus_hour", "hold_plus_quarter", "hold_minus_quarter", "hold_plus_quarter"):
        tap(qtbot, staff.buttons[step])
    tap(qtbot, staff.buttons["hold_longer"])
    assert (staff.hold_start.text(), staff.hold_length.text()) == ("開始：11月24日（火）20:30", "ご利用時間：2時間30分")
    tap(qtbot, staff.buttons["hold"])
    (hold,) = karaoke.store.open_holds()
    assert (hold.member_id, local(hold.starts_at), hold.minutes) == (1001, at("2026-11-24 20:30"), 150)
    assert staff.message.text() == "会員番号1001の方のお部屋を11月24日（火）20:30から2時間30分確保しました"
    assert staff.hold_member.text() == ""  # ready for the next call
    (row,) = staff.hold_rows
    assert row.label.text() == "11月24日（火）20:30から2時間30分　会員番号1001の方　カラオケルーム　21:00まで確保"
    assert all(b.minimumHeight() >= 60 for b in (row.tick, staff.buttons["hold"], staff.buttons["hold_plus_day"]))
    assert min(staff.hold_keypad.keys["1"].minimumHeight(), TOUCH) >= 60
    karaoke.toggle_language()
    assert (
        staff.hold_rows[0].label.text()
        == "Tue 24/11 20:30 for 2 h 30 min  member 1001  Karaoke rooms  held until 21:00"
    )
    assert staff.tabs.tabText(holds_tab(karaoke)) == "Phone holds" and staff.buttons["hold"].text() == "Hold a room"
    tap(qtbot, staff.hold_rows[0].tick)
    assert karaoke.store.open_holds() == [] and staff.message.text() == "Hold for member 1001 cancelled"
    assert staff.holds_empty.isVisible() and staff.holds_empty.text() == "No rooms held"
    assert [row[1] for row in karaoke.store.audit_rows() if row[1].startswith("hold_")] == [
        "hold_created",
        "hold_cancelled",
    ]


def test_a_hold_that_cannot_be_taken_is_said_in_words(qtbot, karaoke: KioskApp) -> None:
    unlock(qtbot, karaoke)
    staff = karaoke.window.staff
    tap(qtbot, staff.buttons["hold"])  # for nobody
    assert staff.message.text() == t("hold_refused_for_whom", "ja") and karaoke.store.open_holds() == []
    tap(qtbot, staff.hold_keypad.keys["7"])
    for _ in range(8):  # eight days ahead: beyond the week a booking may be made
        tap(qtbot, staff.buttons["hold_plus_day"])
    tap(qtbot, staff.buttons["hold"])
    assert staff.message.text() == t("hold_refused_too_far", "ja")
    for _ in range(20):  # never before the quarter hour under way
        tap(qtbot, staff.buttons["hold_minus_day"])
    assert staff.hold_start.text() == "開始：11月24日（火）19:00"
    tap(qtbot, staff.buttons["hold"])  # 19:00, seven minutes ago: still held until 19:30
    assert karaoke.store.open_holds()[0].member_id == 7
    karaoke.refresh()
    assert "使用中1室（うち電話予約1室）／全3室" in staff.summary.text()


def test_the_member_s_check_in_takes_the_held_room_when_the_branch_is_full(qtbot, karaoke: KioskApp) -> None:
    karaoke.reception.hold_room("karaoke", at("2026-11-24 19:15"), 60, member_id=1001)
    for member, name in ((2001, "鈴木 翼"), (2002, "田中 蓮")):
        shows(karaoke, member, name)
        karaoke.clock.shift(11 * 60)  # each a group of their own
    karaoke.refresh()
    assert karaoke.window.home.doorway.text() == "ただいま満室です"
    shows(karaoke, 1001, "佐藤 葵")
    assert [state for _, state in karaoke.store.holds()] == ["used"]


def test_staff_part_two_groups_and_bring_a_latecomer_into_their_room(qtbot, karaoke: KioskApp) -> None:
    """The window is the branch's guess at who came together; staff, who see them, set it right by touch."""
    shows(karaoke, 2001, "鈴木 翼")
    shows(karaoke, 2002, "田中 蓮")  # within the window: the same room
    assert karaoke.reception.occupancy().rooms_in == 1
    unlock(qtbot, karaoke)
    staff = karaoke.window.staff
    assert staff.buttons["room_new"].isVisible() and not staff.buttons["room_join_cancel"].isVisible()
    table = staff.today
    rooms = [table.item(row, 6).text() for row in range(table.rowCount())]
    assert rooms == ["1組目", "1組目"] and not table.isColumnHidden(6)
    table.selectRow(0)  # the newest: 田中
    tap(qtbot, staff.buttons["room_new"])
    assert (
        karaoke.reception.occupancy().rooms_in == 2
        and staff.message.text() == "田中 蓮様（会員番号2002）を別の部屋にしました"
    )
    assert sorted(table.item(row, 6).text() for row in range(table.rowCount())) == ["1組目", "2組目"]
    karaoke.clock.shift(30 * 60)
    karaoke.reception.admit_by_staff(2003, "高橋 陽翔", Plan.CORPORATE, "their friends are in")
    karaoke.refresh()
    assert karaoke.reception.occupancy().rooms_in == 3
    table.selectRow([table.item(row, 1).text() for row in range(table.rowCount())].index("2003"))
    tap(qtbot, staff.buttons["room_join"])
    assert staff.buttons["room_join"].text() == "この方の部屋に移す" and staff.buttons["room_join_cancel"].isVisible()
    table.selectRow([table.item(row, 1).text() for row in range(table.rowCount())].index("2001"))
    tap(qtbot, staff.buttons["room_join"])
    assert karaoke.reception.occupancy().rooms_in == 2 and not staff.buttons["room_join_cancel"].isVisible()
    assert staff.message.text() == "高橋 陽翔様（会員番号2003）を鈴木 翼様（会員番号2001）と同じ部屋にしました"


def test_the_reception_page_shows_each_space_s_vacancy_in_its_unit(qtbot, office: KioskApp) -> None:
    home = office.window.home
    assert home.spaces.isVisible()
    assert home.spaces.text() == "オープンスペース：空席あり（残り2席）　｜　会議室：ご予約の方のみ"
    shows(office, 2001, "鈴木 翼")
    office.go_home()
    assert home.spaces.text().startswith("オープンスペース：空席あり（残り1席）")
    office.toggle_language()
    assert home.spaces.text() == "Open space: seats free: 1  |  Meeting room: by booking only"
    shows(office, 2002, "田中 蓮")
    office.go_home()
    assert home.spaces.text().startswith("オープンスペース：満席") and home.doorway.text() == "ただいま満席です"
    office.clock.shift(9 * 3600)  # 19:00: closed
    office.refresh()
    assert home.spaces.text() == "オープンスペース：営業時間外　｜　会議室：営業時間外"


def test_one_space_shows_no_list_and_only_the_facilities_with_holds_show_their_tab(
    qtbot, karaoke: KioskApp, office: KioskApp
) -> None:
    assert not karaoke.window.home.spaces.isVisible() and karaoke.window.home.doorway.text() == "空室あり"
    unlock(qtbot, office)
    staff = office.window.staff
    assert not staff.tabs.isTabVisible(holds_tab(office))
    assert not staff.buttons["room_new"].isVisible() and not staff.buttons["room_join"].isVisible()
    assert not staff.today.isColumnHidden(6)  # the meeting room's name beside its representative


@pytest.mark.parametrize("size", [(1920, 1080), (1080, 1920)])
def test_the_space_list_and_the_hold_form_fit_the_screen(qtbot, office: KioskApp, karaoke: KioskApp, size) -> None:
    for app in (office, karaoke):
        app.window.resize(*size)
        app.window.show()
        qtbot.waitUntil(lambda app=app: app.window.size().width() == size[0])
    home = office.window.home
    assert home.spaces.geometry().right() <= size[0] and home.spaces.geometry().bottom() < size[1] // 3
    unlock(qtbot, karaoke)
    staff = karaoke.window.staff
    staff.tabs.setCurrentIndex(holds_tab(karaoke))
    karaoke.reception.hold_room("karaoke", karaoke.staff.hold_start + timedelta(hours=1), 60, member_id=5)
    karaoke.refresh()
    qtbot.waitUntil(staff.buttons["hold"].isVisible)
    for widget in (
        staff.buttons["hold"],
        staff.buttons["hold_plus_day"],
        staff.buttons["hold_longer"],
        staff.hold_rows[0],
    ):
        corner = widget.mapTo(karaoke.window, widget.rect().bottomRight())
        assert corner.x() <= size[0] and widget.height() >= 60


def test_staff_are_asked_before_exceeding_the_rooms_only_for_a_member_who_needs_a_new_one(
    qtbot, offline_platform, tmp_path
) -> None:
    """Full: the last room is taken. A member of its group, typed in by staff, joins it without a question (the
    guide's 会員全員チェックイン); one who comes later would need a room of their own, and staff are asked first."""
    app = kiosk_for(
        karaoke_rooms(rooms=1, few_left_at=0), offline_platform.server.url, tmp_path, at("2026-11-24 19:07")
    )
    try:
        shows(app, 2001, "鈴木 翼")
        unlock(qtbot, app)
        staff = app.window.staff
        staff.tabs.setCurrentIndex(2)
        assert app.reception.doorway().code == "full"

        def admit_by_number(digits: str) -> None:
            for digit in digits:
                tap(qtbot, staff.keypad.keys[digit])
            tap(qtbot, staff.plan_buttons[Plan.CORPORATE])
            tap(qtbot, staff.reason_buttons["reason_phone_trouble"])
            tap(qtbot, staff.buttons["admit_manual"])

        admit_by_number("2002")  # within the group's window: its room
        assert not staff.confirm.isVisible() and app.reception.occupancy().rooms_in == 1
        assert [c.member_id for c in app.store.checkins()] == [2001, 2002]
        app.clock.shift(15 * 60)
        admit_by_number("2003")  # a new room, and there is none
        assert staff.confirm.isVisible() and len(app.store.checkins()) == 2
        tap(qtbot, staff.buttons["confirm_over"])
        assert app.reception.occupancy().rooms_in == 2 and app.store.checkins()[-1].member_id == 2003
    finally:
        app.stop()
        gc.collect()


def test_a_name_told_on_the_phone_is_shown_as_plain_text(qtbot, karaoke: KioskApp) -> None:
    """Staff may type whatever the caller said: it is outside text, never markup, and cannot break the line."""
    karaoke.reception.hold_room("karaoke", at("2026-11-24 20:00"), 60, name="<b>佐藤</b>\n\u202eXYZ")
    unlock(qtbot, karaoke)
    (row,) = karaoke.window.staff.hold_rows
    assert "<b>佐藤</b> XYZ様" in row.label.text() and row.label.textFormat() == Qt.TextFormat.PlainText
