"""The kiosk as members and staff meet it without a manual: marks and sounds, a truthful home page, staff mode
that behaves, desk checks that stay, recovery by touch, and layouts that fit each screen (real Qt widgets)."""

from __future__ import annotations

import gc
import io
import time
import wave
from datetime import datetime

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QFont, QTextLayout, QTextOption
from PySide6.QtWidgets import QApplication, QWidget

from facility.models import Plan
from facility.reasons import Reason
from kiosk.app import IDLE_SECONDS, KioskApp
from kiosk.doorway import Doorway
from kiosk.screens import CODE_SHARE
from kiosk.sounds import Chime, wav_bytes
from kiosk.store import KioskStore
from kiosk.texts import t
from kiosk.verdicts import MIN_SECONDS, Look, surname
from kiosk.widgets import TOUCH, WORD_JOINER, keep_phrases
from simulator.clock import ShiftedClock
from tests.conftest import CONFIG_DIR, bus_settings
from tests.kiosk_desk import member_pass, running
from tests.rulebook import KAIKATSU, REGUS, at

SIZES = [(1920, 1080), (1280, 800), (1080, 1920)]


def kiosk_for(cfg, platform_url: str, tmp_path, clock: ShiftedClock, broker=None) -> KioskApp:
    """A running kiosk for a facility on the test's platform and clock, with a silent chime that remembers."""
    cfg = cfg.model_copy(
        update={
            "platform": cfg.platform.model_copy(update={"base_url": platform_url, "timeout_seconds": 1}),
            "kiosk": cfg.kiosk.model_copy(update={"signing_key_file": CONFIG_DIR / "demo-keys" / "kiosk-demo.pem"}),
        }
    )
    app = KioskApp(
        cfg,
        camera_stub(),
        clock=clock,
        data_dir=tmp_path,
        chime=Chime(None),
        broker=bus_settings(broker, "lockd", f"kiosk-{time.monotonic_ns()}") if broker else None,
    )
    running(app)
    return app


def camera_stub():
    """The simulator's camera, paced, showing nothing."""
    from simulator.camera import VirtualCamera

    return VirtualCamera(640, 480, fps=30, paced=True)


def clock_at(moment: datetime) -> ShiftedClock:
    """A settable clock reading moment now."""
    return ShiftedClock((moment - ShiftedClock().now()).total_seconds())


@pytest.fixture
def regus(qtbot, offline_platform, tmp_path):
    """The Regus-like drop-in office on a Tuesday at 10:05 (temperature and photo ID at every visit), no broker."""
    app = kiosk_for(REGUS, offline_platform.server.url, tmp_path, clock_at(at("2026-11-24 10:05")))
    yield app
    app.stop()
    gc.collect()


@pytest.fixture
def linked(qtbot, platform, broker, tmp_path, wall_clock):
    """The Regus-like office with its broker and platform up, on the weekday-morning test clock."""
    app = kiosk_for(REGUS, platform.server.url, tmp_path, wall_clock, broker)
    qtbot.waitUntil(lambda: app.state.broker is True, timeout=10000)
    yield app
    app.stop()
    gc.collect()


def a_pass(
    app: KioskApp, member_id: int = 1001, plan: Plan = Plan.CORPORATE, age: int = 0, name: str = "佐藤 葵"
) -> str:
    """A member's pass on the kiosk's clock."""
    return member_pass(app.cfg, member_id, plan, name, at=app.clock.now().timestamp() - age)


def tap(qtbot, widget: QWidget) -> None:
    """A finger on the widget."""
    qtbot.mouseClick(widget, Qt.MouseButton.LeftButton)


# --- members: marks, sounds, words -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "look", "next_step"),
    [
        ("admitted", Look.ADMITTED, ""),
        ("expired screenshot", Look.RETRY, "fix_fresh_code"),
        ("payment code", Look.RETRY, "fix_show_pass"),
        ("basic plan", Look.REFUSED, "see_staff"),
    ],
)
def test_each_verdict_has_its_mark_colour_sound_and_next_step(
    regus: KioskApp, kind: str, look: Look, next_step: str
) -> None:
    text = {
        "admitted": a_pass(regus),
        "expired screenshot": a_pass(regus, age=600),
        "payment code": "https://qr.paypay.ne.jp/p2p01_abcdefg",
        "basic plan": a_pass(regus, plan=Plan.INDIVIDUAL_BASIC),
    }
    regus.on_scanned(text[kind])
    page = regus.window.verdict
    assert regus.window.page is page
    assert page.mark.text() == look.mark and look.background in page.styleSheet()
    assert regus.chime.played[-1] is look
    assert page.next_step.text() == (t(next_step, "ja") if next_step else "")
    assert regus.timers["back_home"].interval() == int(look.seconds * 1000) or look is Look.ADMITTED


def test_refusals_stay_longer_than_welcomes_and_a_tap_cannot_dismiss_one_unseen(qtbot, regus: KioskApp) -> None:
    assert Look.REFUSED.seconds > Look.RETRY.seconds > Look.ADMITTED.seconds
    regus.on_scanned(a_pass(regus, plan=Plan.INDIVIDUAL_BASIC))
    assert regus.timers["back_home"].interval() == Look.REFUSED.seconds * 1000
    tap(qtbot, regus.window.verdict)  # at once: the member has not read it yet
    assert regus.window.page is regus.window.verdict
    regus.window.verdict.shown_at -= MIN_SECONDS  # as if the verdict had been up that long
    tap(qtbot, regus.window.verdict)
    assert regus.window.page is regus.window.home


def test_the_three_sounds_are_distinct_wav_files() -> None:
    sounds = {look: wav_bytes(look) for look in Look}
    assert len(set(sounds.values())) == 3
    for data in sounds.values():
        with wave.open(io.BytesIO(data)) as sound:
            assert sound.getnchannels() == 1 and 0.2 < sound.getnframes() / sound.getframerate() < 1.0


def test_a_player_is_started_per_verdict_and_reaped(tmp_path) -> None:
    chime = Chime("cat")  # stands in for aplay: reads the WAV and ends
    chime.play(Look.ADMITTED)
    playing = chime._playing
    assert playing is not None
    chime.stop()
    assert playing.returncode is not None and chime._playing is None


def test_the_lobby_reads_the_surname_only(regus: KioskApp) -> None:
    regus.on_scanned(a_pass(regus, name="佐藤 葵"))
    assert regus.window.verdict.headline.text() == "ようこそ、佐藤様"
    assert "葵" not in regus.window.verdict.headline.text()
    assert [surname(n) for n in ("佐藤\u3000葵", "Sato Aoi", "佐藤", "")] == ["佐藤", "Sato", "佐藤", ""]


def test_an_admission_with_desk_checks_sends_the_member_to_the_counter(regus: KioskApp) -> None:
    regus.on_scanned(a_pass(regus))
    assert regus.window.verdict.counter.isVisible()
    assert regus.window.verdict.counter.text() == t("to_counter", "ja")


def test_the_language_returns_to_japanese_after_each_member(qtbot, regus: KioskApp) -> None:
    tap(qtbot, regus.window.home.language)
    regus.on_scanned(a_pass(regus, plan=Plan.INDIVIDUAL_BASIC))
    assert regus.window.verdict.headline.text() == Reason.PLAN_NOT_ADMITTED.en
    regus.go_home()
    assert regus.language == "ja" and regus.window.home.scan_hint.text() == t("scan_desk", "ja")


# --- the home page tells the truth ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("moment", "doorway"),
    [
        ("2026-11-24 10:05", Doorway.VACANT),
        ("2026-11-24 20:00", Doorway.CLOSED),
        ("2026-11-28 10:00", Doorway.CLOSED),  # a Saturday
    ],
)
def test_closed_shows_no_invitation_to_scan(qtbot, offline_platform, tmp_path, moment: str, doorway: Doorway) -> None:
    app = kiosk_for(REGUS, offline_platform.server.url, tmp_path, clock_at(at(moment)))
    try:
        app.state.update(broker=True)
        app.refresh()
        home = app.window.home
        assert app.state.doorway is doorway and home.doorway.text() == t(f"door_{doorway.code}", "ja")
        invited = doorway.takes_new_members
        assert home.desk_panel.isVisible() is invited and home.camera_panel.isVisible() is invited
        assert home.closed_panel.isVisible() is not invited
        assert home.hours.text() == (
            t("hours_today", "ja", hours="9:00–18:00")
            if moment.endswith("24 10:05") or moment.endswith("24 20:00")
            else t("closed_today", "ja")
        )
    finally:
        app.stop()


def test_full_and_after_cutoff_invite_only_re_entry(qtbot, offline_platform, tmp_path) -> None:
    friday_evening = clock_at(at("2026-11-27 18:30"))  # Kaikatsu-like: no new entry after 18:00 on Fridays
    app = kiosk_for(KAIKATSU, offline_platform.server.url, tmp_path, friday_evening)
    try:
        app.state.update(broker=True)
        app.refresh()
        home = app.window.home
        assert app.state.doorway is Doorway.AFTER_CUTOFF and t("door_vacant", "ja") not in home.doorway.text()
        assert not home.desk_panel.isVisible() and home.show_hint.text() == t("re_entry_only", "ja")
        assert home.hours.text() == t("hours_24h", "ja")
    finally:
        app.stop()


def test_a_full_office_says_full(regus: KioskApp) -> None:
    for member in range(2000, 2040):
        regus.reception.present(a_pass(regus, member))
    regus.go_home()
    assert regus.state.doorway is Doorway.FULL
    assert not regus.window.home.desk_panel.isVisible()
    assert regus.window.home.show_hint.text() == t("re_entry_only", "ja")


def test_without_a_broker_the_desk_code_is_hidden_and_members_are_sent_to_the_camera(regus: KioskApp) -> None:
    assert regus.state.broker is None
    assert not regus.window.home.desk_panel.isVisible() and regus.window.home.camera_panel.isVisible()
    assert regus.window.home.notice.text() == t("desk_code_off", "ja")


def test_the_desk_code_goes_when_the_broker_goes_and_comes_back_with_it(qtbot, linked: KioskApp, broker) -> None:
    home = linked.window.home
    assert home.desk_panel.isVisible() and home.notice.text() == ""
    broker.stop()
    qtbot.waitUntil(lambda: not home.desk_panel.isVisible(), timeout=10000)
    assert home.notice.text() == t("desk_code_off", "ja")
    assert t("broker_down", "ja") not in home.notice.text()  # the reason is for staff
    assert "broker_down" in [a.key for a in linked.state.staff_alerts()]
    broker.start()
    qtbot.waitUntil(home.desk_panel.isVisible, timeout=20000)


def test_a_platform_that_stops_answering_hides_the_desk_code_even_with_nothing_queued(
    qtbot, linked: KioskApp, platform
) -> None:
    home = linked.window.home
    assert home.desk_panel.isVisible() and linked.store.outbox_count("queued") == 0
    platform.server.go_unreachable()
    linked.parts.trust_refresh.wake()  # its minute's poll, now
    qtbot.waitUntil(lambda: not home.desk_panel.isVisible(), timeout=15000)
    assert home.notice.text() == t("desk_code_off", "ja")
    platform.server.restore()
    linked.parts.trust_refresh.wake()
    qtbot.waitUntil(home.desk_panel.isVisible, timeout=15000)


def test_the_member_screen_branch_gives_the_camera_the_main_space(qtbot, offline_platform, tmp_path) -> None:
    app = kiosk_for(KAIKATSU, offline_platform.server.url, tmp_path, clock_at(at("2026-11-24 10:05")))
    try:
        app.state.update(broker=True)
        app.window.resize(1920, 1080)
        app.refresh()
        QApplication.processEvents()
        home = app.window.home
        assert home.camera_panel.x() < home.desk_panel.x() and home.camera_panel.width() > home.desk_panel.width()
    finally:
        app.stop()


def test_colours_read_at_a_distance() -> None:
    def luminance(colour: str) -> float:
        channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
        linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    def contrast(a: str, b: str) -> float:
        high, low = sorted((luminance(a), luminance(b)), reverse=True)
        return (high + 0.05) / (low + 0.05)

    pairs = [(d.ink, d.background) for d in Doorway] + [(look.ink, look.background) for look in Look]
    assert min(contrast(ink, background) for ink, background in pairs) >= 4.5
    assert contrast(Doorway.FEW_LEFT.ink, Doorway.FEW_LEFT.background) >= 7


# --- staff mode -------------------------------------------------------------------------------------------


def unlock(qtbot, app: KioskApp, pin: str = "2580") -> None:
    """The staff button, then the PIN on the keypad."""
    tap(qtbot, app.window.home.staff)
    for digit in pin:
        tap(qtbot, app.window.pin.keypad.keys[digit])
    tap(qtbot, app.window.pin.keypad.ok)


def test_the_pin_is_typed_on_a_keypad_with_buttons_a_finger_hits(qtbot, regus: KioskApp) -> None:
    keypad = regus.window.pin.keypad
    assert all(button.minimumHeight() >= 60 for button in [*keypad.keys.values(), keypad.ok])
    tap(qtbot, regus.window.home.staff)
    for key in ("1", "2", "delete", "clear", "2", "5", "8", "0"):
        tap(qtbot, keypad.keys[key])
    assert regus.window.pin.dots.text() == "●●●●"
    tap(qtbot, keypad.ok)
    assert regus.window.page is regus.window.staff


def test_every_staff_button_is_big_enough_for_a_finger(qtbot, regus: KioskApp) -> None:
    unlock(qtbot, regus)
    staff = regus.window.staff
    buttons = [
        *staff.buttons.values(),
        *staff.plan_buttons.values(),
        *staff.reason_buttons.values(),
        regus.window.home.staff,
        regus.window.home.language,
    ]
    assert min(button.minimumHeight() for button in buttons) >= 60


def test_a_member_scan_does_not_throw_staff_out(qtbot, regus: KioskApp) -> None:
    regus.window.resize(1280, 800)
    tap(qtbot, regus.window.home.staff)
    tap(qtbot, regus.window.pin.keypad.keys["2"])
    regus.on_scanned(a_pass(regus, 1002))
    assert regus.window.page is regus.window.pin and regus.window.pin.keypad.digits == "2"
    assert "佐藤" in regus.window.member_strip.text()
    for digit in "580":
        tap(qtbot, regus.window.pin.keypad.keys[digit])
    tap(qtbot, regus.window.pin.keypad.ok)
    regus.on_scanned(a_pass(regus, 1003, plan=Plan.INDIVIDUAL_BASIC))
    assert regus.window.page is regus.window.staff
    assert Reason.PLAN_NOT_ADMITTED.ja in regus.window.member_strip.text()
    assert len(regus.store.checkins()) == 1 and regus.chime.played[-2:] == [Look.ADMITTED, Look.REFUSED]


def test_the_staff_page_locks_itself_after_a_minute_idle_and_forgets_the_half_typed_pin(qtbot, regus: KioskApp) -> None:
    assert regus.timers["idle"].interval() == IDLE_SECONDS * 1000 == 60000
    unlock(qtbot, regus)
    tap(qtbot, regus.window.home.language)  # (hidden) no effect; staff switch language on the home page
    regus.timers["idle"].timeout.emit()
    assert regus.window.page is regus.window.home
    tap(qtbot, regus.window.home.staff)
    tap(qtbot, regus.window.pin.keypad.keys["9"])
    regus.timers["idle"].timeout.emit()
    assert regus.window.page is regus.window.home
    tap(qtbot, regus.window.home.staff)
    assert regus.window.pin.keypad.digits == "" and regus.window.pin.dots.text().strip() == ""


def test_a_touch_anywhere_restarts_the_idle_minute(qtbot, regus: KioskApp) -> None:
    regus.timers["idle"].stop()
    tap(qtbot, regus.window.home.staff)
    assert regus.timers["idle"].isActive() and regus.timers["idle"].remainingTime() > 50000


def test_english_left_on_screen_returns_to_japanese_when_idle(qtbot, regus: KioskApp) -> None:
    tap(qtbot, regus.window.home.language)
    assert regus.language == "en"
    regus.timers["idle"].timeout.emit()
    assert regus.language == "ja"


# --- desk checks stay until ticked --------------------------------------------------------------------------


def test_desk_checks_stay_on_the_staff_checklist_until_ticked_and_survive_a_restart(qtbot, regus: KioskApp) -> None:
    regus.on_scanned(a_pass(regus))
    regus.go_home()
    assert regus.window.home.staff.text() == t("staff_badge", "ja", n=2)  # staff see two checks are owed
    unlock(qtbot, regus)
    staff = regus.window.staff
    assert staff.tabs.tabText(1) == t("tab_checks_n", "ja", n=2)
    assert len(staff.checklist_rows) == 2 and "検温" in staff.checklist_rows[0].label.text()
    tap(qtbot, staff.checklist_rows[0].tick)
    assert [c.check.code for c in regus.state.pending_checks] == ["photo_id"]
    assert ("desk_check_done", 1001, "temperature") in [(r[1], r[2], r[3]) for r in regus.store.audit_rows()]
    reopened = KioskStore(regus.store.path, regus.clock)
    try:
        assert [c.check.code for c in reopened.pending_desk_checks()] == ["photo_id"]
    finally:
        reopened.close()


# --- recovery without a technician ---------------------------------------------------------------------


def test_the_override_says_who_was_refused_and_why_asks_before_exceeding_capacity_and_says_what_it_did(
    qtbot, regus: KioskApp
) -> None:
    for member in range(2000, 2040):
        regus.reception.present(a_pass(regus, member))
    regus.on_scanned(a_pass(regus, 1002, name="鈴木 蓮"))
    unlock(qtbot, regus)
    staff = regus.window.staff
    staff.tabs.setCurrentIndex(2)
    assert "鈴木 蓮" in staff.refusal.text() and Reason.FULL.ja in staff.refusal.text()
    tap(qtbot, staff.reason_buttons["reason_confirmed"])
    tap(qtbot, staff.buttons["override"])
    assert staff.confirm.isVisible()
    assert staff.confirm.text() == t("over_capacity", "ja", who="鈴木 蓮様（会員番号1002）")
    assert len(regus.store.checkins()) == 40
    regus.on_scanned(a_pass(regus, 1003, plan=Plan.INDIVIDUAL_BASIC, name="高橋 陽翔"))  # refused meanwhile
    tap(qtbot, staff.buttons["confirm_over"])
    assert len(regus.store.checkins()) == 41 and regus.store.checkins()[-1].member_id == 1002
    assert staff.message.text().startswith("鈴木 蓮様（会員番号1002）を受付しました")


def test_a_manual_check_in_says_what_is_missing_and_is_done_by_touch(qtbot, regus: KioskApp) -> None:
    unlock(qtbot, regus)
    staff = regus.window.staff
    staff.tabs.setCurrentIndex(2)
    tap(qtbot, staff.buttons["admit_manual"])
    assert staff.message.text() == t("missing", "ja", what="会員番号・プラン・理由")
    for digit in "1004":
        tap(qtbot, staff.keypad.keys[digit])
    tap(qtbot, staff.plan_buttons[Plan.CORPORATE])
    tap(qtbot, staff.reason_buttons["reason_phone_trouble"])
    tap(qtbot, staff.buttons["admit_manual"])
    (kept,) = regus.store.checkins()
    assert (kept.member_id, kept.plan, kept.note) == (1004, Plan.CORPORATE, "staff: スマートフォンの電池切れ・故障")
    assert staff.keypad.digits == "" and staff.chosen_plan() is None  # ready for the next one


def test_staff_tables_show_words_not_stored_codes(qtbot, regus: KioskApp) -> None:
    regus.on_scanned(a_pass(regus))
    regus.reception.admit_by_staff(1004, "田中 結衣", Plan.INDIVIDUAL_BASIC, "test")
    unlock(qtbot, regus)
    table = regus.window.staff.today
    cells = {table.item(row, column).text() for row in range(table.rowCount()) for column in range(table.columnCount())}
    assert not cells & {"check_in", "re_entry", "member_screen", "desk_code", "staff", "individual_basic", "corporate"}
    assert {"入館", "カメラ", "スタッフ"} <= cells


def test_problems_for_staff_stay_on_the_staff_page(qtbot, regus: KioskApp) -> None:
    regus.state.update(outbox=regus.state.outbox.__class__(3, 1, False, "timeout", False))
    home = regus.window.home
    assert t("platform_down", "ja", n=3) not in home.notice.text() and "本部" not in home.notice.text()
    unlock(qtbot, regus)
    alerts = regus.window.staff.alerts.text()
    assert t("platform_down", "ja", n=3) in alerts and t("dead_letters", "ja", n=1) in alerts


def test_leaving_the_kiosk_asks_first_then_really_exits(qtbot, regus: KioskApp) -> None:
    unlock(qtbot, regus)
    staff = regus.window.staff
    staff.tabs.setCurrentIndex(4)
    tap(qtbot, staff.buttons["exit"])
    assert staff.exit_question.isVisible() and not regus.stopped
    tap(qtbot, staff.buttons["exit_cancel"])
    assert not staff.exit_question.isVisible()
    tap(qtbot, staff.buttons["exit"])
    tap(qtbot, staff.buttons["exit_confirm"])
    assert regus.stopped


# --- any screen ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("size", SIZES, ids=lambda size: f"{size[0]}x{size[1]}")
def test_every_page_fits_its_screen(qtbot, regus: KioskApp, size: tuple[int, int]) -> None:
    window = regus.window
    window.resize(*size)
    regus.state.update(broker=True)
    regus.on_scanned(a_pass(regus))
    pages = [window.home, window.verdict, window.pin, window.staff]
    for page in pages:
        window.show_page(page)
        if page is window.staff:
            regus.on_scanned(a_pass(regus, 1002))  # the member strip over the staff page
        QApplication.processEvents()
        assert (window.width(), window.height()) == size, page
        for widget in page.findChildren(QWidget):
            if (
                widget.isVisible()
                and widget.isWindow() is False
                and widget
                in (window.home.language, window.home.staff, window.pin.keypad.ok, window.staff.buttons["back"])
            ):
                corner = widget.mapTo(window, QPoint(widget.width(), widget.height()))
                assert corner.x() <= size[0] and corner.y() <= size[1], widget
    window.show_page(window.home)
    QApplication.processEvents()
    assert window.home.code.pixmap().width() >= CODE_SHARE * min(size) >= 0.4 * min(size) - 1


def test_japanese_lines_break_between_phrases_only() -> None:
    text = "アプリのチェックインカメラで、このコードを読み取ってください"
    joined = keep_phrases(text)
    layout = QTextLayout(joined, QFont("Noto Sans CJK JP", 20))
    option = QTextOption()
    option.setWrapMode(QTextOption.WrapMode.WordWrap)
    layout.setTextOption(option)
    layout.beginLayout()
    lines = []
    while (line := layout.createLine()).isValid():
        line.setLineWidth(300)
        lines.append(joined[line.textStart() : line.textStart() + line.textLength()].replace(WORD_JOINER, ""))
    layout.endLayout()
    assert len(lines) > 1
    assert not any(line.rstrip("\u200b").endswith("読み") for line in lines)
    assert "".join(lines).replace("\u200b", "") == text


def test_touch_targets_are_at_least_sixty_pixels() -> None:
    assert TOUCH >= 60


# --- what an outside try found ------------------------------------------------------------------------------


def test_check_out_keeps_the_chosen_member_when_someone_arrives_and_says_who(qtbot, regus: KioskApp) -> None:
    regus.on_scanned(a_pass(regus, 2000, name="山田 一郎"))
    unlock(qtbot, regus)
    table = regus.window.staff.today
    table.selectRow(0)
    regus.on_scanned(a_pass(regus, 2001, name="中村 二郎"))  # newest first: the rows shift
    regus.staff.refresh()
    tap(qtbot, regus.window.staff.buttons["check_out"])
    (out,) = [c for c in regus.store.checkins() if c.checked_out_at]
    assert out.member_id == 2000
    assert regus.window.staff.message.text() == t("checked_out_done", "ja", who="山田 一郎様（会員番号2000）")
    audited = len(regus.store.audit_rows())
    table.selectRow([table.item(r, 1).text() for r in range(table.rowCount())].index("2000"))
    tap(qtbot, regus.window.staff.buttons["check_out"])
    assert regus.window.staff.message.text() == t("already_out", "ja") and len(regus.store.audit_rows()) == audited


def test_the_member_notice_never_invites_what_the_doorway_refuses(regus: KioskApp) -> None:
    state = regus.state
    state.update(doorway=Doorway.CLOSED, broker=False, camera_ok=False)
    assert state.member_notice() == ""
    state.update(doorway=Doorway.FULL)
    assert state.member_notice() == "camera_lost_no_desk"
    state.update(camera_ok=True)
    assert state.member_notice() == ""
    state.update(doorway=Doorway.VACANT)
    assert state.member_notice() == "desk_code_off"


def test_another_facility_s_pass_is_not_told_to_scan_a_desk_code_that_is_not_shown(regus: KioskApp) -> None:
    assert not regus.state.desk_code_shown
    regus.on_scanned(member_pass(regus.cfg, at=regus.clock.now().timestamp(), facility_id="elsewhere"))
    assert regus.window.verdict.mark.text() == Look.REFUSED.mark
    assert regus.window.verdict.next_step.text() == t("see_staff", "ja")


def test_the_same_pass_again_is_not_a_green_welcome(regus: KioskApp) -> None:
    text = a_pass(regus)
    regus.on_scanned(text)
    regus.on_scanned(text)  # a second tap, or a photo of someone's pass
    page = regus.window.verdict
    assert page.mark.text() == Look.RETRY.mark and page.next_step.text() == t("repeat_note", "ja")
    assert regus.chime.played[-2:] == [Look.ADMITTED, Look.RETRY] and len(regus.store.checkins()) == 1


def test_a_bad_member_number_is_said_not_swallowed(qtbot, regus: KioskApp) -> None:
    unlock(qtbot, regus)
    staff = regus.window.staff
    tap(qtbot, staff.keypad.keys["0"])
    tap(qtbot, staff.plan_buttons[Plan.CORPORATE])
    tap(qtbot, staff.reason_buttons["reason_app_trouble"])
    tap(qtbot, staff.buttons["admit_manual"])
    assert staff.message.text() == t("member_id_invalid", "ja") and regus.store.checkins() == []


def test_a_manual_check_in_owes_the_desk_checks_and_names_a_member_without_a_name(qtbot, regus: KioskApp) -> None:
    unlock(qtbot, regus)
    staff = regus.window.staff
    for digit in "1001":
        tap(qtbot, staff.keypad.keys[digit])
    tap(qtbot, staff.plan_buttons[Plan.CORPORATE])
    tap(qtbot, staff.reason_buttons["reason_app_trouble"])
    tap(qtbot, staff.buttons["admit_manual"])
    assert staff.message.text().startswith(t("member_unnamed", "ja", member=1001) + "を受付しました")
    assert {c.check.code for c in regus.state.pending_checks} == {"temperature", "photo_id"}


def test_a_staff_action_that_fails_says_so_on_the_page(qtbot, regus: KioskApp, monkeypatch) -> None:
    unlock(qtbot, regus)
    monkeypatch.setattr(regus.reception, "companion_arrives", lambda: 1 / 0)
    tap(qtbot, regus.window.staff.buttons["companion_in"])
    assert (
        regus.window.staff.message.text().startswith("処理できませんでした")
        and "ZeroDivisionError" in regus.window.staff.message.text()
    )


def test_staff_alerts_say_a_failing_platform_once(regus: KioskApp) -> None:
    from facility.loop import LoopHealth
    from kiosk.outbox import OutboxStatus

    failing = [
        LoopHealth("trust-refresh", True, 1, 3, 0, "HTTP 500", 1.0),
        LoopHealth("retention", True, 1, 1, 0, "disk", 1),
    ]
    regus.state.update(outbox=OutboxStatus(2, 0, True, "HTTP 500 from the platform"), failing_loops=failing)
    assert [a.key for a in regus.state.staff_alerts()] == ["platform_failing", "loop_failing"]  # retention only
    regus.state.update(outbox=OutboxStatus(2, 0, True, "401", True))
    assert regus.state.staff_alerts()[0].key == "credentials"


def test_the_idle_minute_never_cuts_a_verdict_short(regus: KioskApp) -> None:
    regus.on_scanned(a_pass(regus, plan=Plan.INDIVIDUAL_BASIC))
    assert regus.timers["idle"].remainingTime() > 50000  # a member at the screen is activity
    regus.timers["idle"].timeout.emit()
    assert regus.window.page is regus.window.verdict and regus.timers["back_home"].isActive()


def test_nothing_under_a_finger_moves_when_a_member_s_verdict_appears(qtbot, regus: KioskApp) -> None:
    regus.window.resize(1280, 800)
    regus.on_scanned(a_pass(regus))
    regus.go_home()
    unlock(qtbot, regus)
    staff = regus.window.staff
    staff.tabs.setCurrentIndex(1)
    QApplication.processEvents()
    tick = staff.checklist_rows[0].tick
    before = tick.mapTo(regus.window, QPoint(0, 0))
    regus.on_scanned(a_pass(regus, 1002))
    QApplication.processEvents()
    assert t("strip_admitted", "ja", name="佐藤") in regus.window.member_strip.text()
    assert tick.mapTo(regus.window, QPoint(0, 0)) == before


def test_long_lists_scroll_under_a_finger(qtbot, regus: KioskApp) -> None:
    from PySide6.QtTest import QTest

    regus.window.resize(1280, 800)
    for member in range(3000, 3015):
        regus.on_scanned(a_pass(regus, member))
    regus.go_home()
    unlock(qtbot, regus)
    regus.window.staff.tabs.setCurrentIndex(1)
    area = regus.window.staff.tabs.currentWidget()
    QApplication.processEvents()
    bar, viewport, device = area.verticalScrollBar(), area.viewport(), QTest.createTouchDevice()
    assert bar.maximum() > 0 and bar.value() == 0
    x = viewport.width() // 3
    QTest.touchEvent(viewport, device).press(0, QPoint(x, 400), viewport).commit()
    for y in range(380, 100, -20):
        qtbot.wait(10)  # a finger moves over time: the scroller reads its speed from the events' times
        QTest.touchEvent(viewport, device).move(0, QPoint(x, y), viewport).commit()
    QTest.touchEvent(viewport, device).release(0, QPoint(x, 100), viewport).commit()
    qtbot.waitUntil(lambda: bar.value() > 100, timeout=5000)


@pytest.mark.parametrize("size", SIZES, ids=lambda size: f"{size[0]}x{size[1]}")
def test_english_long_names_and_a_meeting_room_still_fit(qtbot, offline_platform, tmp_path, size) -> None:
    from tests.rulebook import MEETING

    long_name = MEETING.facility.model_copy(
        update={
            "name": "とても長い名前の会議室センター 神田駅前本館 / "
            "A Very Long Meeting Centre Name, Kanda Station Main Building"
        }
    )
    app = kiosk_for(
        MEETING.model_copy(update={"facility": long_name}),
        offline_platform.server.url,
        tmp_path,
        clock_at(at("2026-11-24 10:05")),
    )
    try:
        window = app.window
        window.resize(*size)
        tap(qtbot, window.home.language)
        unlock(qtbot, app)
        for index in range(window.staff.tabs.count()):
            window.staff.tabs.setCurrentIndex(index)
            for page in (window.home, window.staff):
                window.show_page(page)
                QApplication.processEvents()
                assert (window.width(), window.height()) == size
        window.staff.tabs.setCurrentIndex(2)
        QApplication.processEvents()
        keypad = window.staff.keypad
        assert keypad.mapTo(window, QPoint(keypad.width(), 0)).x() <= size[0]
        assert not window.staff.buttons["companion_in"].isVisibleTo(window.staff)  # not sold at a meeting room
    finally:
        app.stop()


def test_a_camera_that_stops_giving_frames_is_lost_though_it_never_said_so(qtbot, offline_platform, tmp_path) -> None:
    import threading as threads

    class Hanging:
        """A camera whose read blocks (a stuck USB or RTSP stream) once the gate closes."""

        def __init__(self) -> None:
            self.inner, self.gate = camera_stub(), threads.Event()
            self.gate.set()

        def read(self):
            self.gate.wait()
            return self.inner.read()

        def close(self) -> None:
            self.gate.set()
            self.inner.close()

    cfg = REGUS.model_copy(
        update={
            "platform": REGUS.platform.model_copy(update={"base_url": offline_platform.server.url}),
            "kiosk": REGUS.kiosk.model_copy(update={"signing_key_file": CONFIG_DIR / "demo-keys" / "kiosk-demo.pem"}),
        }
    )
    camera = Hanging()
    app = KioskApp(cfg, camera, clock=clock_at(at("2026-11-24 10:05")), data_dir=tmp_path, chime=Chime(None))
    running(app)
    try:
        qtbot.waitUntil(lambda: not app.window.home.camera.pixmap().isNull(), timeout=10000)
        camera.gate.clear()
        qtbot.waitUntil(lambda: not app.state.camera_ok, timeout=10000)
        # this kiosk has no broker, so no desk code either: nothing works, and the card says so (see staff)
        assert not app.state.desk_code_usable
        assert app.window.home.show_hint.text() == t("see_staff", "ja") and app.window.home.camera.pixmap().isNull()
        camera.gate.set()
        qtbot.waitUntil(lambda: app.state.camera_ok, timeout=10000)
    finally:
        camera.gate.set()
        app.stop()
