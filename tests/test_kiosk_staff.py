"""The staff side as a receptionist meets it (issue 26): a warning before the page locks and the half-done form kept
across the PIN; a check-in table Qt can style and staff can read; desk checks with dates, owed for their business day
and undone within minutes; the usage report on a USB stick or at the platform; plain words for what went wrong."""

from __future__ import annotations

import gc
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import requests
from PySide6.QtCore import Qt, qInstallMessageHandler
from PySide6.QtWidgets import QApplication, QTableWidget, QWidget

from facility.contract import UsageReportBody, UsageReportRecorded, usage_reports_path
from facility.models import Plan
from facility.outbox import OutboxItem, OutboxStatus
from facility.platform import PlatformClient
from facility.usage import usage_report, usage_report_key
from kiosk.app import IDLE_SECONDS, KioskApp
from kiosk.sounds import Chime
from kiosk.staff import LEFT_INK, RE_ENTRY_INK, RE_ENTRY_MARK, TABLE_POINTS, qualified
from kiosk.staff_actions import (
    DRAFT_KEPT,
    LOCK_WARNING_SECONDS,
    STAFF_LOCK_SECONDS,
    UNDO_WINDOW,
    removable_media,
)
from kiosk.store import KioskStore
from kiosk.texts import t
from kiosk.widgets import GREEN, RED
from simulator.camera import VirtualCamera
from simulator.clock import ShiftedClock
from tests.conftest import CONFIG_DIR, REPO
from tests.kiosk_desk import member_pass, running
from tests.rulebook import REGUS, at


def kiosk_for(platform_url: str, tmp_path, clock: ShiftedClock) -> KioskApp:
    """A running Regus-like kiosk (temperature and photo ID at every visit) on the test's platform and clock."""
    cfg = REGUS.model_copy(
        update={
            "platform": REGUS.platform.model_copy(update={"base_url": platform_url, "timeout_seconds": 1}),
            "kiosk": REGUS.kiosk.model_copy(update={"signing_key_file": CONFIG_DIR / "demo-keys" / "kiosk-demo.pem"}),
        }
    )
    app = KioskApp(cfg, VirtualCamera(640, 480, fps=30, paced=True), clock=clock, data_dir=tmp_path, chime=Chime(None))
    return running(app)


class Ticks:
    """The staff side's lock clock, moved by the test (the kiosk's Qt idle minute runs on real time and never fires
    within a test)."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def regus(qtbot, offline_platform, tmp_path):
    """The Regus-like office on a Tuesday at 10:05, its lock clock in the test's hand."""
    moment = at("2026-11-24 10:05")
    app = kiosk_for(
        offline_platform.server.url, tmp_path, ShiftedClock((moment - ShiftedClock().now()).total_seconds())
    )
    app.staff.monotonic = Ticks()
    yield app
    app.stop()
    gc.collect()


def a_pass(app: KioskApp, member_id: int = 1001, name: str = "佐藤 葵") -> str:
    """A member's pass on the kiosk's clock."""
    return member_pass(app.cfg, member_id, Plan.CORPORATE, name, at=app.clock.now().timestamp())


def tap(qtbot, widget: QWidget) -> None:
    """A finger on the widget."""
    qtbot.mouseClick(widget, Qt.MouseButton.LeftButton)


def unlock(qtbot, app: KioskApp) -> None:
    """The staff button, the PIN on the keypad, OK."""
    tap(qtbot, app.window.home.staff)
    for digit in "2580":
        tap(qtbot, app.window.pin.keypad.keys[digit])
    tap(qtbot, app.window.pin.keypad.ok)
    assert app.window.page is app.window.staff


def wait(app: KioskApp, seconds: float) -> None:
    """Nobody touches the screen for a while (on the staff side's lock clock); the watch looks."""
    app.staff.monotonic.now += seconds
    app.staff.watch_tick()


def half_done_form(qtbot, app: KioskApp) -> None:
    """On the manual check-in: a member number typed, a plan and 本部に確認済み chosen, nothing sent yet."""
    staff = app.window.staff
    staff.tabs.setCurrentIndex(2)
    for digit in "1002":
        tap(qtbot, staff.keypad.keys[digit])
    tap(qtbot, staff.plan_buttons[Plan.CORPORATE])
    tap(qtbot, staff.reason_buttons["reason_confirmed"])


# --- the lock: a countdown first, and the form kept ---------------------------------------------------------------


def test_the_staff_lock_is_the_kiosk_s_idle_minute() -> None:
    assert STAFF_LOCK_SECONDS == IDLE_SECONDS and 0 < LOCK_WARNING_SECONDS < STAFF_LOCK_SECONDS


def test_a_countdown_warns_before_the_staff_page_locks_and_any_touch_cancels_it(qtbot, regus: KioskApp) -> None:
    unlock(qtbot, regus)
    staff = regus.window.staff
    wait(regus, STAFF_LOCK_SECONDS - LOCK_WARNING_SECONDS - 1)
    assert not staff.lock_warning.isVisible()  # not before the last seconds
    wait(regus, 1)
    assert staff.lock_warning.isVisible() and staff.lock_warning.text() == t("lock_warning", "ja", s=15)
    assert staff.lock_warning.text() == "あと15秒で画面をロックします。続けるには画面に触れてください"
    wait(regus, 5)
    assert staff.lock_warning.text() == t("lock_warning", "ja", s=10)
    assert staff.lock_warning.geometry().bottom() <= staff.height()  # on the page, over nothing that moves
    tap(qtbot, staff.summary)  # a touch anywhere
    assert not staff.lock_warning.isVisible()
    wait(regus, STAFF_LOCK_SECONDS - 1)
    assert regus.window.page is staff  # the minute started again with the touch
    wait(regus, 1)
    assert regus.window.page is regus.window.home and not staff.lock_warning.isVisible()


def test_a_half_done_form_comes_back_after_the_pin(qtbot, regus: KioskApp) -> None:
    unlock(qtbot, regus)
    half_done_form(qtbot, regus)
    wait(regus, STAFF_LOCK_SECONDS)  # the call to headquarters takes more than a minute
    staff = regus.window.staff
    assert regus.window.page is regus.window.home
    assert staff.keypad.digits == "" and staff.member_id.text() == "" and staff.chosen_plan() is None  # not on show
    regus.clock.shift(9 * 60)  # within DRAFT_KEPT
    unlock(qtbot, regus)
    assert staff.tabs.currentIndex() == 2 and staff.keypad.digits == "1002" and staff.member_id.text() == "1002"
    assert staff.chosen_plan() is Plan.CORPORATE and staff.chosen_reason() == "本部に確認済み"
    assert staff.message.text() == t("draft_restored", "ja")
    tap(qtbot, staff.buttons["admit_manual"])  # and it goes through as if never interrupted
    assert [c.member_id for c in regus.store.checkins()] == [1002]


def test_a_kept_draft_is_forgotten_after_ten_minutes(qtbot, regus: KioskApp) -> None:
    unlock(qtbot, regus)
    half_done_form(qtbot, regus)
    tap(qtbot, regus.window.staff.buttons["back"])  # staff step back to the reception page: kept too
    assert regus.window.staff.kept is not None
    regus.clock.shift(DRAFT_KEPT.total_seconds() + 1)
    regus.staff.watch_tick()
    assert regus.window.staff.kept is None  # gone from memory, not only from the screen
    unlock(qtbot, regus)
    staff = regus.window.staff
    assert staff.keypad.digits == "" and staff.chosen_plan() is None and staff.chosen_reason() == ""
    assert staff.message.text() == ""


def test_a_finished_admission_leaves_no_draft(qtbot, regus: KioskApp) -> None:
    unlock(qtbot, regus)
    half_done_form(qtbot, regus)
    tap(qtbot, regus.window.staff.buttons["admit_manual"])
    tap(qtbot, regus.window.staff.buttons["back"])
    unlock(qtbot, regus)
    assert regus.window.staff.keypad.digits == "" and regus.window.staff.chosen_plan() is None


# --- the check-in table -----------------------------------------------------------------------------------------


def every_widget(app: KioskApp) -> list[QWidget]:
    """The window and everything in it."""
    return [app.window, *app.window.findChildren(QWidget)]


@contextmanager
def qt_messages() -> Iterator[list[str]]:
    """What Qt logs meanwhile (its own message handler: pytest-qt's qtlog does not see the style sheet parser's)."""
    said: list[str] = []
    earlier = qInstallMessageHandler(lambda mode, context, message: said.append(message))
    try:
        yield said
    finally:
        qInstallMessageHandler(earlier)


def test_no_kiosk_widget_has_a_style_sheet_qt_cannot_parse(qtbot, regus: KioskApp) -> None:
    regus.on_scanned(a_pass(regus))
    regus.go_home()
    unlock(qtbot, regus)
    staff = regus.window.staff
    tap(qtbot, staff.checklist_rows[0].tick)  # a ticked row with its undo, too
    staff.show_lock_warning(t("lock_warning", "ja", s=15))
    with qt_messages() as said:
        for page in (regus.window.home, regus.window.verdict, regus.window.pin, staff):
            regus.window.show_page(page)
            for index in range(staff.tabs.count()):
                staff.tabs.setCurrentIndex(index)
                QApplication.processEvents()
                for widget in every_widget(regus):
                    widget.style().unpolish(widget)  # styled again from its sheet, as when it was first shown
                    widget.style().polish(widget)
                    widget.ensurePolished()
    assert [message for message in said if "Could not parse stylesheet" in message] == []
    with qt_messages() as said:  # and the check sees the fault it guards against
        probe = QTableWidget()
        probe.setStyleSheet("font-size: 15pt; QScrollBar:vertical { width: 28px; }")
        probe.ensurePolished()
    assert any("Could not parse stylesheet of object QTableWidget" in message for message in said)


def test_plain_declarations_are_made_a_rule_before_more_rules_follow() -> None:
    table = QWidget()
    assert qualified(table, "font-size: 15pt; color: #000;") == "QWidget { font-size: 15pt; color: #000; }"
    assert qualified(table, "QWidget { color: red; }") == "QWidget { color: red; }"
    assert qualified(table, "") == ""


def test_the_check_in_table_is_readable_and_tells_who_left_and_who_came_back(qtbot, regus: KioskApp) -> None:
    regus.on_scanned(a_pass(regus, 1002, "鈴木 蓮"))
    regus.on_scanned(a_pass(regus, 1001))
    regus.clock.shift(600)
    leaving = next(c for c in regus.store.checkins() if c.member_id == 1002)
    regus.reception.check_out(leaving.key, "staff")
    regus.on_scanned(a_pass(regus, 1001))  # back from stepping out while the visit runs: a re-entry
    regus.go_home()
    unlock(qtbot, regus)
    table = regus.window.staff.today
    table.ensurePolished()
    assert table.fontInfo().pointSize() >= TABLE_POINTS >= 16  # not Qt's 9 pt
    rows = {
        (table.item(row, 1).text(), table.item(row, 3).text()): row for row in range(table.rowCount())
    }  # (member, kind) -> row
    back = rows[("1001", RE_ENTRY_MARK + t("entry_re_entry", "ja"))]
    left = rows[("1002", t("entry_check_in", "ja"))]
    still_in = rows[("1001", t("entry_check_in", "ja"))]
    assert table.item(left, 4).text() == t("checked_out", "ja", time="10:15") == "退館済み（10:15）"
    assert all(table.item(left, column).foreground().color().name() == LEFT_INK for column in range(7))
    assert table.item(back, 3).foreground().color().name() == RE_ENTRY_INK and table.item(back, 3).font().italic()
    assert table.item(still_in, 3).font().bold() and not table.item(still_in, 3).font().italic()
    assert table.item(still_in, 0).foreground().color().name() != LEFT_INK


# --- desk checks: dated, owed for their business day, undone within minutes ---------------------------------------


def test_desk_checks_leave_the_list_when_their_business_day_ends_and_stay_in_the_records(
    qtbot, regus: KioskApp
) -> None:
    regus.on_scanned(a_pass(regus))
    regus.go_home()
    unlock(qtbot, regus)
    staff = regus.window.staff
    assert [row.label.text()[:5] for row in staff.checklist_rows] == ["10:05", "10:05"]  # today: the time alone
    tap(qtbot, staff.buttons["back"])
    regus.clock.shift(4 * 24 * 3600)  # Saturday
    regus.staff.watch_tick()
    assert regus.state.pending_checks == [] and regus.window.home.staff.text() == t("staff", "ja")
    unlock(qtbot, regus)
    assert staff.checklist_rows == [] and staff.tabs.tabText(1) == t("tab_checks", "ja")
    assert staff.checks_earlier.text() == t("checks_earlier", "ja", n=2)
    assert regus.store.unticked_before(regus.store.desk_day_start()) == 2  # kept, not ticked
    assert regus.store.pending_desk_checks(since=at("2026-11-24 00:00")) != []


def test_a_moment_on_another_day_is_shown_with_its_date(qtbot, regus: KioskApp) -> None:
    regus.on_scanned(member_pass(regus.cfg, 1003, Plan.INDIVIDUAL_BASIC, "高橋 陽翔", at=regus.clock.now().timestamp()))
    regus.clock.shift(24 * 3600)
    regus.go_home()
    unlock(qtbot, regus)
    refusal = regus.window.staff.refusal.text()
    tuesday = t("hold_when", "ja", month=11, day=24, weekday=t("weekday_1", "ja"), time="10:05")
    assert refusal.startswith(tuesday) and tuesday.startswith("11月24日")
    assert regus.staff._stamp(regus.clock.now()) == f"{regus.clock.now():%H:%M}"


def test_desk_checks_owed_past_midnight_stay_owed_until_the_business_day_ends(tmp_path) -> None:
    clock = ShiftedClock((at("2026-11-25 01:00") - ShiftedClock().now()).total_seconds())
    store = KioskStore(tmp_path / "kiosk.db", clock)
    try:
        store.desk_day_starts_at = 5 * 60  # the day begins at 05:00: 23:50 belongs to the evening before
        with store.transaction() as db:
            db.execute(
                "INSERT INTO desk_check VALUES (?,?,?,?,?,NULL)",
                ("k1", "temperature", 1001, "佐藤 葵", at("2026-11-24 23:50").isoformat()),
            )
            db.execute(
                "INSERT INTO desk_check VALUES (?,?,?,?,?,NULL)",
                ("k0", "temperature", 1002, "鈴木 蓮", at("2026-11-24 04:50").isoformat()),
            )
        assert [check.checkin_key for check in store.pending_desk_checks()] == ["k1"]
        clock.shift(4 * 3600)  # 05:00: a new business day
        assert store.pending_desk_checks() == [] and store.unticked_before(store.desk_day_start()) == 2
    finally:
        store.close()


def test_a_mistaken_tick_is_undone_within_five_minutes_and_audited(qtbot, regus: KioskApp) -> None:
    regus.on_scanned(a_pass(regus))
    regus.go_home()
    unlock(qtbot, regus)
    staff = regus.window.staff
    staff.tabs.setCurrentIndex(1)
    tap(qtbot, staff.checklist_rows[0].tick)
    assert [c.check.code for c in regus.state.pending_checks] == ["photo_id"]
    assert len(staff.ticked_rows) == 1 and staff.ticked_heading.isVisible()
    assert staff.ticked_heading.text() == t("ticked_heading", "ja", m=5)
    tap(qtbot, staff.ticked_rows[0].tick)  # 取り消す
    assert {c.check.code for c in regus.state.pending_checks} == {"temperature", "photo_id"}
    assert staff.message.text() == "佐藤様の「検温」を未確認に戻しました" and staff.ticked_rows == []
    actions = [(row[1], row[3]) for row in regus.store.audit_rows()]
    assert actions[-2:] == [("desk_check_done", "temperature"), ("desk_check_undone", "temperature")]
    tap(qtbot, staff.checklist_rows[0].tick)
    ticked = regus.store.ticked_since(regus.clock.now() - UNDO_WINDOW)
    regus.clock.shift(UNDO_WINDOW.total_seconds() + 1)
    regus.staff.refresh()
    assert staff.ticked_rows == []  # the undo is offered for five minutes only
    regus.staff.untick(ticked[0])
    assert staff.message.text() == t("check_undo_late", "ja", m=5) and RED in staff.message.styleSheet()
    assert [c.check.code for c in regus.state.pending_checks] == ["photo_id"]


# --- the usage report: on a USB stick, or at the platform ----------------------------------------------------------


def test_removable_media_are_the_writable_mount_points_under_the_roots(tmp_path) -> None:
    (tmp_path / "media" / "staff" / "STICK").mkdir(parents=True)
    (tmp_path / "media" / "staff" / "notmounted").mkdir()
    (tmp_path / "run" / "media" / "staff" / "OTHER").mkdir(parents=True)
    roots = [str(tmp_path / "media" / "*" / "*"), str(tmp_path / "run" / "media" / "*" / "*")]
    mounted = {str(tmp_path / "media" / "staff" / "STICK"), str(tmp_path / "run" / "media" / "staff" / "OTHER")}
    assert [path.name for path in removable_media(roots, lambda path: path in mounted)] == ["STICK", "OTHER"]
    assert removable_media([str(tmp_path / "nothing" / "*")]) == []


def test_the_report_goes_on_a_usb_stick_or_staff_are_told_none_is_found(qtbot, regus: KioskApp, tmp_path) -> None:
    regus.on_scanned(a_pass(regus))
    regus.go_home()
    unlock(qtbot, regus)
    staff = regus.window.staff
    regus.staff.usb_roots, regus.staff.is_mount = [str(tmp_path / "media" / "*" / "*")], lambda path: True
    tap(qtbot, staff.buttons["report"])
    assert staff.message.text() == t("report_no_stick", "ja") and RED in staff.message.styleSheet()
    stick = tmp_path / "media" / "staff" / "KIOSK"
    stick.mkdir(parents=True)
    tap(qtbot, staff.buttons["report"])
    name = "usage-regus-shinjuku-south-2026-11-24.csv"
    assert staff.message.text() == t("report_saved", "ja", stick="KIOSK", file=name)
    assert GREEN in staff.message.styleSheet()
    lines = (stick / name).read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith("date,facility_id") and len(lines) == 2


def test_the_report_is_sent_to_the_platform_once_however_often_staff_press(
    qtbot, regus: KioskApp, offline_platform
) -> None:
    regus.on_scanned(a_pass(regus))
    regus.go_home()
    unlock(qtbot, regus)
    staff = regus.window.staff
    for _ in range(2):
        tap(qtbot, staff.buttons["report_upload"])
        qtbot.waitUntil(lambda: staff.message.text() == t("report_sent", "ja", n=1), timeout=10000)
        staff.message.setText("")
    reports = offline_platform.state.usage_reports_of(regus.cfg.facility.id)
    assert list(reports) == [("2026-11-24", regus.cfg.kiosk_settings.id)]
    assert len(offline_platform.state.usage_reports) == 1  # the same report twice is one report
    (report,) = reports.values()
    assert [(use["use_no"], use["member_id"]) for use in report["uses"]] == [(1, 1001)]
    regus.on_scanned(a_pass(regus, 1002, "鈴木 蓮"))  # more uses since: a newer report of the day
    tap(qtbot, staff.buttons["report_upload"])
    qtbot.waitUntil(lambda: staff.message.text() == t("report_sent", "ja", n=2), timeout=10000)
    assert len(offline_platform.state.usage_reports) == 2
    latest = offline_platform.state.usage_reports_of(regus.cfg.facility.id)[("2026-11-24", regus.cfg.kiosk_settings.id)]
    assert len(latest["uses"]) == 2  # the latest report of the day is the one that counts


def test_a_report_that_cannot_reach_the_platform_says_so_in_red(qtbot, regus: KioskApp, offline_platform) -> None:
    unlock(qtbot, regus)
    staff = regus.window.staff
    offline_platform.server.go_unreachable()
    try:
        tap(qtbot, staff.buttons["report_upload"])
        qtbot.waitUntil(lambda: staff.message.text() == t("report_send_unreachable", "ja"), timeout=10000)
        assert RED in staff.message.styleSheet()
    finally:
        offline_platform.server.restore()


def test_the_usage_report_endpoint_is_idempotent_and_in_the_contract(offline_platform) -> None:
    assert "\n  /facilities/{facility}/usage-reports:\n" in (REPO / "docs" / "platform-openapi.yaml").read_text()
    client = PlatformClient(REGUS.platform.model_copy(update={"base_url": offline_platform.server.url}))
    day = at("2026-11-24 10:00").date()
    report = usage_report(REGUS, [], day, "front-1")
    key = usage_report_key(REGUS.facility.id, report)
    assert key == usage_report_key(REGUS.facility.id, usage_report(REGUS, [], day, "front-1"))  # made again: the same
    assert key != usage_report_key("elsewhere", report)
    path = usage_reports_path(REGUS.facility.id)
    first = client.call("POST", path, UsageReportRecorded, report, headers={"Idempotency-Key": key})
    again = client.call("POST", path, UsageReportRecorded, report, headers={"Idempotency-Key": key})
    assert first == again and first.idempotency_key == key and first.uses == 0
    other = UsageReportBody.model_validate(report.model_dump() | {"kiosk": "front-2"})
    answer = requests.post(
        f"{offline_platform.server.url}{path}",
        data=other.model_dump_json(),
        headers={"Idempotency-Key": key, "Content-Type": "application/json"},
        timeout=5,
    )
    assert (answer.status_code, answer.json()["error"]) == (409, "idempotency_conflict")
    bad = requests.post(
        f"{offline_platform.server.url}{path}",
        json={"day": "2026-11-24", "kiosk": "front-1", "uses": [{}]},
        headers={"Idempotency-Key": str(uuid.uuid4())},
        timeout=5,
    )
    assert bad.status_code == 422


# --- words: errors in red, reasons in sentences, no count of nothing ------------------------------------------------


def test_staff_errors_are_red_and_what_was_done_is_green(qtbot, regus: KioskApp) -> None:
    unlock(qtbot, regus)
    staff = regus.window.staff
    tap(qtbot, staff.buttons["check_out"])  # no row chosen
    assert staff.message.text() == t("choose_row", "ja") and RED in staff.message.styleSheet()
    tap(qtbot, staff.buttons["companion_in"])
    assert staff.message.text().startswith("同伴者の入館を記録しました") and GREEN in staff.message.styleSheet()


def test_a_dead_letter_says_why_in_a_sentence_with_the_code_in_small_print(regus: KioskApp) -> None:
    item = OutboxItem(
        "k",
        "/facilities/x/checkins",
        {"member_id": 1001, "at": at("2026-11-24 09:58").isoformat()},
        "dead",
        1,
        0.0,
        "422 bad_request: body.companions: Input should be greater than or equal to 0",
    )
    text = regus.staff._dead_text(item)
    assert text.startswith("09:58　会員番号1001：本部が記録の内容を受け付けませんでした。")
    assert text.endswith("（本部サポートへ伝えるコード：422 bad_request）") and "Input should" not in text
    regus.state.update(language="en")
    assert "the platform did not accept what it says" in regus.staff._dead_text(item)
    local = OutboxItem("k", "/p", {"member_id": 1001, "at": "?"}, "dead", 1, 0.0, "not a check-in the platform ...")
    assert t("dead_why_invalid", "en") in regus.staff._dead_text(local)


def test_nothing_queued_is_said_without_a_count_of_zero(qtbot, regus: KioskApp) -> None:
    unlock(qtbot, regus)
    regus.state.update(outbox=OutboxStatus(0, 0, False, "no answer"))
    regus.staff.refresh()
    staff = regus.window.staff
    assert "0件" not in staff.alerts.text() and "0件" not in staff.queue.text()
    assert staff.queue.text() == t("queue_empty", "ja")
    assert any(staff.alerts.text().startswith(t(key, "ja")) for key in ("platform_down_none", "platform_failing_none"))
    tap(qtbot, staff.buttons["retry_dead"])  # disabled: nothing to resend
    regus.staff.retry_dead()
    assert staff.message.text() == t("retried_none", "ja")


def test_the_staff_words_have_no_jargon() -> None:
    from facility.reasons import Reason
    from kiosk.texts import TEXTS

    staff_keys = [key for key in TEXTS if key.startswith(("report", "dead_", "lock_", "check", "ticked", "queue"))]
    shown = [TEXTS[key] for key in staff_keys] + [(reason.ja, reason.en) for reason in Reason]  # refusals too
    for ja, en in shown:
        for word in ("officepass", "発行元", "このアプリの版", "大きすぎます", "HTTP", "詳細："):
            assert word not in ja and word not in en, (ja, en, word)


def test_pending_checks_kept_before_a_restart_are_owed_after_it(qtbot, offline_platform, tmp_path) -> None:
    moment = at("2026-11-24 10:05")
    clock = ShiftedClock((moment - ShiftedClock().now()).total_seconds())
    first = kiosk_for(offline_platform.server.url, tmp_path, clock)
    first.on_scanned(a_pass(first))
    first.stop()
    gc.collect()
    again = kiosk_for(offline_platform.server.url, tmp_path, clock)
    try:
        assert {c.check.code for c in again.state.pending_checks} == {"temperature", "photo_id"}
        assert again.window.home.staff.text() == t("staff_badge", "ja", n=2)
    finally:
        again.stop()
        gc.collect()
