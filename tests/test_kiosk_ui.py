"""The kiosk as a member and staff meet it: real Qt widgets, the simulator's camera, the stand-in platform."""

from __future__ import annotations

import gc
import json
import os
import queue
import signal
import subprocess
import sys

import cv2
import numpy as np
import pytest
import requests
from PySide6.QtCore import Qt
from PySide6.QtGui import QImage

from facility.messages import OFFLINE, ONLINE, CheckinAnswer, ReservationsChanged, SpentPass
from facility.models import Plan
from facility.reasons import Reason
from facility.tokens import MemberPass, SigningKey, verify_member_pass
from facility.trustcache import cached_revocations
from kiosk.app import KioskApp
from kiosk.cli import main as kiosk_main
from kiosk.decoding import ZxingDecoder
from kiosk.store import KioskStore
from kiosk.texts import t
from kiosk.verdicts import Look
from simulator.camera import VirtualCamera
from simulator.phone import AppClient, Phone
from simulator.screen import Shot, render_frame
from tests.conftest import CONFIG_DIR, REPO, bus_settings, retained_now, retained_when
from tests.kiosk_desk import due_now, member_pass, running
from tests.notify import kiosk_site_file, notify_socket
from tests.rulebook import KAIKATSU

# Always open, no cut-offs: what the tests see does not depend on when they run.
ALWAYS_OPEN = KAIKATSU.model_copy(
    update={
        "rules": KAIKATSU.rules.model_copy(
            update={"entry_cutoffs": [], "plans_admitted": [Plan.INDIVIDUAL_PREMIUM, Plan.CORPORATE]}
        )
    }
)


def kiosk_config(platform_url: str):
    """The always-open facility pointing at the test's platform."""
    return ALWAYS_OPEN.model_copy(
        update={
            "platform": ALWAYS_OPEN.platform.model_copy(update={"base_url": platform_url, "timeout_seconds": 1}),
            "kiosk": ALWAYS_OPEN.kiosk.model_copy(
                update={"signing_key_file": CONFIG_DIR / "demo-keys" / "kiosk-demo.pem"}
            ),
        }
    )


@pytest.fixture
def kiosk(qtbot, camera, platform, broker, tmp_path, wall_clock):
    """A running kiosk for the always-open facility."""
    app = KioskApp(
        kiosk_config(platform.server.url),
        camera,
        broker=bus_settings(broker, "lockd", "kiosk-test"),
        data_dir=tmp_path,
        clock=wall_clock,
    )
    running(app)
    qtbot.waitUntil(lambda: app.bus.connected, timeout=10000)
    yield app
    app.stop()
    gc.collect()


def verdict_shown(app: KioskApp) -> bool:
    """True once the verdict page is in front."""
    return app.window.page is app.window.verdict


def tap_pin(qtbot, app: KioskApp, digits: str) -> None:
    """Type a PIN on the keypad with taps, then OK."""
    keypad = app.window.pin.keypad
    for digit in digits:
        qtbot.mouseClick(keypad.keys[digit], Qt.MouseButton.LeftButton)
    qtbot.mouseClick(keypad.ok, Qt.MouseButton.LeftButton)


def test_a_pass_held_to_the_camera_is_admitted(qtbot, kiosk: KioskApp, camera: VirtualCamera) -> None:
    camera.show(member_pass(ALWAYS_OPEN, clock=kiosk.clock))
    qtbot.waitUntil(lambda: verdict_shown(kiosk), timeout=10000)
    assert kiosk.window.verdict.headline.text() == "ようこそ、佐藤様"  # the surname only: the queue is listening
    assert "までです" in kiosk.window.verdict.detail.text()
    assert len(kiosk.store.checkins()) == 1 and kiosk.store.outbox()[0].body["source"] == "member_screen"


def test_a_dark_mode_pass_is_read(qtbot, kiosk: KioskApp, camera: VirtualCamera) -> None:
    camera.show(member_pass(ALWAYS_OPEN, clock=kiosk.clock, member_id=1002), Shot(dark_mode=True, tilt_x=15))
    qtbot.waitUntil(lambda: verdict_shown(kiosk), timeout=10000)
    assert kiosk.store.checkins()[0].member_id == 1002


def test_a_refusal_is_red_with_its_reason_in_both_languages(qtbot, kiosk: KioskApp, camera: VirtualCamera) -> None:
    camera.show(member_pass(ALWAYS_OPEN, clock=kiosk.clock, plan=Plan.INDIVIDUAL_BASIC))
    qtbot.waitUntil(lambda: verdict_shown(kiosk), timeout=10000)
    page = kiosk.window.verdict
    assert (page.mark.text(), page.headline.text()) == ("×", Reason.PLAN_NOT_ADMITTED.ja)
    assert page.next_step.text() == t("see_staff", "ja")
    assert Reason.PLAN_NOT_ADMITTED.en in page.secondary.text()
    assert Look.REFUSED.background in page.styleSheet() and kiosk.store.checkins() == []


def test_the_same_pass_shown_again_is_not_counted_twice(qtbot, kiosk: KioskApp) -> None:
    text = member_pass(ALWAYS_OPEN, clock=kiosk.clock)
    kiosk.on_scanned(text)
    kiosk.on_scanned(text)
    assert kiosk.window.verdict.headline.text() == "佐藤様はチェックイン済みです"
    assert len(kiosk.store.checkins()) == 1


def test_the_language_switch_is_one_touch(qtbot, kiosk: KioskApp) -> None:
    qtbot.mouseClick(kiosk.window.home.language, Qt.MouseButton.LeftButton)
    assert kiosk.language == "en"
    assert kiosk.window.home.scan_hint.text() == t("scan_desk", "en")
    kiosk.on_scanned(member_pass(ALWAYS_OPEN, clock=kiosk.clock, plan=Plan.INDIVIDUAL_BASIC))
    assert kiosk.window.verdict.headline.text() == Reason.PLAN_NOT_ADMITTED.en


def test_camera_lost_and_back_is_said_on_screen(qtbot, kiosk: KioskApp, camera: VirtualCamera) -> None:
    camera.unplug()
    qtbot.waitUntil(lambda: kiosk.window.home.notice.text() == t("camera_lost_member", "ja"), timeout=10000)
    assert kiosk.window.home.show_hint.text() == t("camera_wait", "ja")  # no "hold it up" to a dead camera
    assert kiosk.window.home.camera.pixmap().isNull()  # and no frozen last frame
    camera.plug()
    qtbot.waitUntil(lambda: kiosk.window.home.notice.text() == "", timeout=10000)
    camera.show(member_pass(ALWAYS_OPEN, clock=kiosk.clock))
    qtbot.waitUntil(lambda: verdict_shown(kiosk), timeout=10000)


def test_platform_down_then_back_loses_nothing_and_doubles_nothing(qtbot, kiosk: KioskApp, platform) -> None:
    platform.server.go_unreachable()
    for member in (1001, 1004):
        kiosk.on_scanned(member_pass(ALWAYS_OPEN, clock=kiosk.clock, member_id=member))
        assert kiosk.window.verdict.headline.text().startswith("ようこそ")  # check-in goes on
    qtbot.waitUntil(lambda: not kiosk.state.outbox.reachable and kiosk.state.outbox.queued == 2, timeout=10000)
    assert kiosk.window.home.notice.text() == t("desk_code_off", "ja")  # members: use the camera
    assert not kiosk.window.home.desk_panel.isVisible()
    assert ("platform_down", (("n", 2),)) in [(a.key, a.values) for a in kiosk.state.staff_alerts()]
    platform.server.restore()
    due_now(kiosk.store)
    kiosk.outbox.wake()
    qtbot.waitUntil(lambda: len(platform.state.checkins_of(ALWAYS_OPEN.facility.id)) == 2, timeout=10000)
    qtbot.waitUntil(kiosk.window.home.desk_panel.isVisible, timeout=10000)
    assert sorted(c["member_id"] for c in platform.state.checkins_of(ALWAYS_OPEN.facility.id)) == [1001, 1004]


def test_expired_credentials_are_said_on_screen_and_failing_tasks_on_the_staff_page(
    qtbot, kiosk: KioskApp, platform
) -> None:
    requests.put(f"{platform.server.url}/_sim/faults", json={"mode": "unauthorized"}, timeout=5)
    kiosk.on_scanned(member_pass(ALWAYS_OPEN, clock=kiosk.clock))
    qtbot.waitUntil(lambda: kiosk.state.outbox.credentials, timeout=10000)
    assert kiosk.store.outbox_count("dead") == 0 and kiosk.window.home.notice.text() == t("desk_code_off", "ja")
    kiosk.window.show_page(kiosk.window.staff)
    kiosk.refresh()
    alerts = kiosk.window.staff.alerts.text()
    assert t("credentials", "ja", n=1) in alerts  # one line says it: the loops it explains are not repeated
    assert t("task_kiosk-outbox", "ja") not in alerts
    requests.put(f"{platform.server.url}/_sim/faults", json={"mode": "none"}, timeout=5)
    due_now(kiosk.store)
    kiosk.outbox.wake()
    qtbot.waitUntil(lambda: kiosk.store.outbox_count("queued") == 0, timeout=10000)
    qtbot.waitUntil(lambda: kiosk.window.home.notice.text() == "", timeout=10000)


@pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")  # the death is the point
def test_a_background_loop_whose_thread_died_is_restarted_by_the_screen_and_audited(qtbot, kiosk: KioskApp) -> None:
    loop, real_cycle = kiosk.parts.occupancy, kiosk.parts.occupancy.cycle

    def dies_once() -> float:
        loop.cycle = real_cycle
        raise SystemExit("the thread ends")

    loop.cycle = dies_once
    loop.wake()
    qtbot.waitUntil(lambda: loop.restarts == 1 and loop.alive, timeout=10000)  # the next screen refresh saw it
    assert ("loop_restarted", "kiosk-occupancy") in [(row[1], row[3]) for row in kiosk.store.audit_rows()]


def test_staff_pin_override_and_report(qtbot, kiosk: KioskApp, tmp_path) -> None:
    kiosk.on_scanned(member_pass(ALWAYS_OPEN, clock=kiosk.clock, plan=Plan.INDIVIDUAL_BASIC))
    kiosk.window.home.staff.click()
    assert kiosk.window.page is kiosk.window.pin
    tap_pin(qtbot, kiosk, "0000")
    assert kiosk.window.pin.message.text() == t("pin_wrong", "ja") and kiosk.window.page is kiosk.window.pin
    tap_pin(qtbot, kiosk, "2580")
    assert kiosk.window.page is kiosk.window.staff
    staff = kiosk.window.staff
    staff.buttons["override"].click()
    assert staff.message.text() == t("missing", "ja", what=t("missing_reason", "ja")) and kiosk.store.checkins() == []
    qtbot.keyClicks(staff.reason, "trial day approved")
    staff.buttons["override"].click()
    (kept,) = kiosk.store.checkins()
    assert kept.note == "staff: trial day approved" and staff.today.rowCount() == 1
    stick = tmp_path / "media" / "staff" / "USBSTICK"  # a stick as udisks mounts it (tmp_path is no mount point)
    stick.mkdir(parents=True)
    kiosk.staff.usb_roots, kiosk.staff.is_mount = [str(tmp_path / "media" / "*" / "*")], lambda path: True
    path = kiosk.staff.save_report()
    assert path is not None and path.parent == stick
    assert path.read_text().count("\n") == 2  # header and one use


def test_the_kiosk_cannot_be_closed_without_staff(qtbot, kiosk: KioskApp) -> None:
    kiosk.window.close()
    assert kiosk.window.isVisible()


def qimage_to_array(image: QImage) -> np.ndarray:
    """A QImage as an RGB numpy array."""
    image = image.convertToFormat(QImage.Format.Format_RGB888)
    width, height = image.width(), image.height()
    raw = np.frombuffer(image.constBits(), np.uint8).reshape(height, image.bytesPerLine())
    return raw[:, : width * 3].reshape(height, width, 3).copy()


def test_a_member_scans_the_desk_code_and_is_welcomed(qtbot, kiosk: KioskApp, platform) -> None:
    shown = qimage_to_array(kiosk.window.home.code.pixmap().toImage())
    (code,) = ZxingDecoder().decode(shown)
    answer = Phone(1004, AppClient(platform.server.url)).scan_desk_code(code.text)
    assert (answer["result"], answer["name"]) == ("admitted", "田中")  # passes carry the family name
    qtbot.waitUntil(lambda: verdict_shown(kiosk), timeout=10000)
    assert kiosk.window.verdict.headline.text() == "ようこそ、田中様"
    assert kiosk.store.checkins()[0].source == "desk_code"


@pytest.mark.parametrize(
    "payload",
    [b'{"pass": 5}', b"not json", b'{"pass": "' + b"x" * 4000 + b'"}', b'{"pass": "OP1.x", "admit": true}'],
    ids=["number", "garbage", "oversized", "extra-field"],
)
def test_a_desk_check_in_that_is_not_one_is_refused_audited_and_answered(
    qtbot, kiosk: KioskApp, bus_client, payload: bytes
) -> None:
    platform_side, site = bus_client(user="platform"), kiosk.parts.topics
    answer = platform_side.request(
        site.kiosk(kiosk.cfg.kiosk_settings.id, "checkin"), payload, site.kiosk("front-1", "reply"), timeout=10
    )
    assert answer is not None
    refused = CheckinAnswer.read(answer.payload)
    assert (refused.result, refused.reason, refused.message_en) == ("refused", "bad_format", Reason.BAD_FORMAT.en)
    assert [row[1:4] for row in kiosk.store.audit_rows()][-1] == ("refused", None, "bad_format")
    assert not kiosk.store.checkins() and kiosk.window.page is not kiosk.window.verdict


def test_a_flood_of_junk_desk_check_ins_is_answered_each_and_audited_in_aggregate(
    qtbot, kiosk: KioskApp, bus_client
) -> None:
    platform_side, site, kiosk_id = bus_client(user="platform"), kiosk.parts.topics, kiosk.cfg.kiosk_settings.id
    answers: queue.Queue = queue.Queue()
    platform_side.subscribe(site.kiosk(kiosk_id, "reply"), answers.put)
    for n in range(300):
        platform_side.publish(
            site.kiosk(kiosk_id, "checkin"), b"junk %d" % n, response_topic=site.kiosk(kiosk_id, "reply")
        )
    for _ in range(300):
        assert CheckinAnswer.read(answers.get(timeout=10).payload).reason == "bad_format"
    refused = [row for row in kiosk.store.audit_rows() if row[1:4] == ("refused", None, "bad_format")]
    assert len(refused) == 1  # one row a minute, not one per message
    path = kiosk.store.path
    kiosk.stop()  # the rest of the count is written at the stop: none is lost
    reopened = KioskStore(path, kiosk.clock)
    rows = [row for row in reopened.audit_rows() if row[1:4] == ("refused", None, "bad_format")]
    reopened.close()
    assert len(rows) == 2 and rows[-1][4].startswith("299 more desk check-in message(s) refused")


def test_a_flood_of_junk_passes_handed_over_is_audited_in_aggregate(qtbot, kiosk: KioskApp, bus_client) -> None:
    platform_side, site, kiosk_id = bus_client(user="platform"), kiosk.parts.topics, kiosk.cfg.kiosk_settings.id
    answers: queue.Queue = queue.Queue()
    platform_side.subscribe(site.kiosk(kiosk_id, "reply"), answers.put)
    for n in range(300):  # a well-formed hand-over whose pass no key signed
        body = b'{"pass": "JUNK%04d", "via": "desk_code"}' % n
        platform_side.publish(site.kiosk(kiosk_id, "checkin"), body, response_topic=site.kiosk(kiosk_id, "reply"))
    for _ in range(300):
        assert CheckinAnswer.read(answers.get(timeout=10).payload).result == "refused"
    refused = [row for row in kiosk.store.audit_rows() if row[1] == "refused"]
    assert len(refused) == 1 and not kiosk.store.checkins()


def test_the_kiosk_answers_only_on_its_reply_topic_whatever_the_message_names(
    qtbot, kiosk: KioskApp, bus_client
) -> None:
    platform_side, site, kiosk_id = bus_client(user="platform"), kiosk.parts.topics, kiosk.cfg.kiosk_settings.id
    answers: queue.Queue = queue.Queue()
    platform_side.subscribe(site.kiosk(kiosk_id, "reply"), answers.put)
    foreign = site.kiosk(kiosk_id, "availability")
    platform_side.publish(site.kiosk(kiosk_id, "checkin"), b"junk", response_topic=foreign, correlation=b"misdirected")
    answer = answers.get(timeout=10)
    assert answer.correlation == b"misdirected" and CheckinAnswer.read(answer.payload).result == "refused"
    under, marker = site.kiosk(kiosk_id, "#"), site.kiosk(kiosk_id, "marker")
    assert retained_now(bus_client, under, marker)[foreign] == ONLINE


def test_a_spent_pass_notice_out_of_bounds_is_ignored_and_a_good_one_is_kept(
    qtbot, kiosk: KioskApp, bus_client
) -> None:
    sibling, site = bus_client(), kiosk.parts.topics
    text = member_pass(ALWAYS_OPEN, clock=kiosk.clock)
    now = kiosk.clock.now().timestamp()
    verified = verify_member_pass(text, kiosk.reception.keyring(), now)
    assert isinstance(verified, MemberPass)
    for bad in (
        b'{"pass_id": "00", "keep_until": 1, "kiosk": "front-2"}',
        b'{"pass_id": "%s", "keep_until": 1e300, "kiosk": "front-2"}' % verified.pass_id.hex().encode(),
        b"[]",
        SpentPass(pass_id=verified.pass_id.hex(), keep_until=now + 60, kiosk="front-3").payload(),  # not its own
    ):
        sibling.publish(site.kiosk("front-2", "spent"), bad)
    good = SpentPass(pass_id="0011223344556677", keep_until=4_102_444_799, kiosk="front-2")  # until 2099
    sibling.publish(site.kiosk("front-2", "spent"), good.payload())  # after the bad ones, on the same topic

    def kept() -> int:
        return kiosk.store.db.execute("SELECT count(*) FROM seen_token").fetchone()[0]

    qtbot.waitUntil(lambda: kept() == 1, timeout=10000)  # the good one only
    (keep_until,) = kiosk.store.db.execute("SELECT keep_until FROM seen_token").fetchone()
    assert keep_until <= now + 600  # for as long as a pass admitted now could be shown, never until 2099
    assert kiosk.reception.present(text).admitted  # the bad notice naming this pass was not taken


def test_a_kiosk_says_it_is_online_and_a_clean_stop_leaves_it_offline(qtbot, kiosk: KioskApp, bus_client) -> None:
    availability = kiosk.parts.topics.kiosk(kiosk.cfg.kiosk_settings.id, "availability")
    under = kiosk.parts.topics.kiosk(kiosk.cfg.kiosk_settings.id, "#")
    marker = kiosk.parts.topics.kiosk(kiosk.cfg.kiosk_settings.id, "marker")
    assert retained_when(bus_client, under, marker, lambda heard: availability in heard)[availability] == ONLINE
    kiosk.stop()
    assert retained_now(bus_client, under, marker)[availability] == OFFLINE


def refusal_text(kiosk: KioskApp, reason: Reason, platform=None, qtbot=None) -> str:
    """The pass text that makes the kiosk refuse for reason."""
    cfg = kiosk.cfg
    if reason is Reason.DAILY_LIMIT:  # one use a day: the first visit ran past its 3 h limit
        kiosk.reception.admit_by_staff(1003, "高橋 陽翔", Plan.CORPORATE, "earlier today")
        kiosk.clock.shift(4 * 3600)
        return member_pass(cfg, member_id=1003, at=kiosk.clock.now().timestamp())
    if reason is Reason.REVOKED:  # withdrawn at the platform, which tells the site: the kiosk refreshes at once
        # (written straight into the kiosk's cache, a refresh running meanwhile put the platform's list back: a flake)
        platform.state.revoke(member_id=1001)
        platform.bus.publish(kiosk.parts.topics.reservations_changed, ReservationsChanged(cursor=1).payload())
        qtbot.waitUntil(lambda: 1001 in cached_revocations(kiosk.store).member_ids, timeout=10000)
    return {
        Reason.BAD_FORMAT: "https://example.com/coupon",
        Reason.UNKNOWN_KEY: member_pass(cfg, clock=kiosk.clock, key=SigningKey.generate()),
        Reason.EXPIRED: member_pass(cfg, at=kiosk.clock.now().timestamp() - 600),
        Reason.WRONG_FACILITY: member_pass(cfg, clock=kiosk.clock, facility_id="regus-shinjuku-south"),
        Reason.PLAN_NOT_ADMITTED: member_pass(cfg, clock=kiosk.clock, plan=Plan.INDIVIDUAL_BASIC),
        Reason.REVOKED: member_pass(cfg, clock=kiosk.clock, member_id=1001),
    }[reason]


@pytest.mark.parametrize(
    "reason",
    [
        Reason.BAD_FORMAT,
        Reason.UNKNOWN_KEY,
        Reason.EXPIRED,
        Reason.WRONG_FACILITY,
        Reason.PLAN_NOT_ADMITTED,
        Reason.REVOKED,
        Reason.DAILY_LIMIT,
    ],
    ids=lambda reason: reason.code,
)
def test_each_refusal_reason_is_shown_with_its_words(qtbot, kiosk: KioskApp, platform, reason: Reason) -> None:
    text = refusal_text(kiosk, reason, platform, qtbot)
    kept_before = len(kiosk.store.checkins())
    kiosk.on_scanned(text)
    assert verdict_shown(kiosk)
    assert kiosk.window.verdict.headline.text() == reason.ja
    assert reason.en in kiosk.window.verdict.secondary.text()
    assert len(kiosk.store.checkins()) == kept_before


def test_decode_command_prints_one_json_line_per_image(tmp_path, capsys) -> None:
    text = member_pass(ALWAYS_OPEN)
    cv2.imwrite(str(tmp_path / "dark.png"), render_frame(text, Shot(dark_mode=True)))
    cv2.imwrite(str(tmp_path / "empty.png"), render_frame(None))
    assert kiosk_main(["decode", str(tmp_path / "dark.png"), str(tmp_path / "empty.png")]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert lines == [
        {"file": str(tmp_path / "dark.png"), "texts": [text]},
        {"file": str(tmp_path / "empty.png"), "texts": []},
    ]
    assert kiosk_main(["decode", "--decoder", "pyzbar", str(tmp_path / "missing.png")]) == 1


def test_the_kiosk_tells_systemd_it_is_ready_pings_the_watchdog_and_says_when_it_stops(tmp_path) -> None:
    site = kiosk_site_file(tmp_path)
    with notify_socket(tmp_path) as (systemd, notify_path):
        env = os.environ | {"QT_QPA_PLATFORM": "offscreen", "NOTIFY_SOCKET": notify_path, "WATCHDOG_USEC": "2000000"}
        process = subprocess.Popen(
            [sys.executable, "-m", "kiosk.cli", "--config", str(site), "--windowed"],
            cwd=REPO,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            said = [systemd.recv(100).decode() for _ in range(3)]
            assert said == ["READY=1", "WATCHDOG=1", "WATCHDOG=1"]  # the screen's refresh keeps pinging
            process.send_signal(signal.SIGTERM)
            while (line := systemd.recv(100).decode()) == "WATCHDOG=1":
                continue
            assert line == "STOPPING=1"
            assert process.wait(30) == 0
        finally:
            process.kill()
