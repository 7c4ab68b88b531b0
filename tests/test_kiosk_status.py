"""One status for the kiosk's links (issue 26): the home page, the staff alerts and the panel read the same words; a
page that cannot take a member says what they can do and when; a silent kiosk is said once and shown to staff."""

from __future__ import annotations

import gc
import logging
import threading
from types import SimpleNamespace

import pytest

from facility.loop import LoopHealth
from facility.platform import PlatformError
from facility.reasons import Reason
from kiosk.app import KioskApp
from kiosk.doorway import Doorway
from kiosk.occupancy import PROBE_SECONDS, OccupancyReporter
from kiosk.outbox import OutboxStatus
from kiosk.sounds import Chime
from kiosk.state import KioskState, LinkStatus, PlatformWord, platform_condition, when_words
from kiosk.texts import t
from kiosk.verdicts import Look
from simulator.demo import Demo
from technician.panel_state import KioskView, Line, kiosk_lines
from tests.kiosk_desk import clock_at, member_pass
from tests.rulebook import KAIKATSU, REGUS, at
from tests.test_kiosk_screens import kiosk_for
from tests.test_kiosk_ui import kiosk  # noqa: F401 (the running kiosk fixture)

UNREACHABLE = "unreachable: the platform cannot be reached (ConnectionError)"


def failing(name: str, error: str) -> LoopHealth:
    """A platform loop whose last round failed."""
    return LoopHealth(name, True, 3, 1, 0, error, 5.0)


@pytest.fixture
def state(qtbot) -> KioskState:
    """A kiosk state for the Regus-like office, open, with its broker connected."""
    model = KioskState(REGUS)
    model.update(doorway=Doorway.VACANT, broker=True)
    return model


# --- one status -------------------------------------------------------------------------------------------------


def test_the_platform_s_error_words_are_sorted_into_what_they_mean() -> None:
    assert platform_condition(UNREACHABLE) == "unreachable"
    assert platform_condition(f"key set: {UNREACHABLE}") == "unreachable"
    assert platform_condition("401 unauthorized: token withdrawn") == "credentials"
    assert platform_condition("503 http_error: Service Unavailable") == "errors"
    assert platform_condition("12 unreadable booking(s) in the last sync: row 3") is None  # the loop's own trouble


def test_an_unreachable_platform_is_said_unreachable_everywhere_while_no_check_in_waits(state: KioskState) -> None:
    # The outage of the review: nothing to send (the outbox last found the platform fine), the polls fail.
    state.update(failing_loops=[failing("trust-refresh", UNREACHABLE)])
    link = state.platform_link()
    assert (link.condition, link.words("ja"), link.words("en")) == (
        "unreachable",
        "本部と通信できません",
        "Platform unreachable",
    )
    assert [a.key for a in state.staff_alerts()] == ["platform_down"]  # not 本部が正しく応答していません
    assert not state.desk_code_shown and state.member_notice() == "desk_code_off"
    lines = kiosk_lines(KioskView(True, 0.1, True, state.outbox, state.platform_link(), state.sound))
    assert lines["platform"] == Line(f"UNREACHABLE: {UNREACHABLE}", bad=True)  # the panel reads the same status


def test_the_newest_word_wins_so_a_platform_back_is_seen_at_once(state: KioskState) -> None:
    state.update(outbox=OutboxStatus(2, 0, False, UNREACHABLE), failing_loops=[failing("trust-refresh", UNREACHABLE)])
    assert state.platform_link().condition == "unreachable"
    newest = max(word.at for word in state.platform_heard.values())
    state.update(platform_probe=PlatformWord("ok", "", newest + 1))  # the probe got an answer after both failed
    assert state.platform_up and state.desk_code_shown
    assert state.staff_alerts()[0].key == "loop_failing"  # the loop that has not retried yet is still named
    state.update(platform_probe=PlatformWord("errors", "503 http_error: down for maintenance", newest + 2))
    assert next(a.key for a in state.staff_alerts()) == "platform_failing"


def test_refused_credentials_are_said_whatever_else_is_heard(state: KioskState) -> None:
    state.update(failing_loops=[failing("reservation-sync", "403 forbidden: facility token withdrawn")])
    state.update(platform_probe=PlatformWord("ok", "", 10**9))
    assert state.platform_link().condition == "credentials" and state.staff_alerts()[0].key == "credentials"


def test_every_link_has_words_in_both_languages(state: KioskState) -> None:
    state.update(camera_ok=False, broker=False, sound=LinkStatus("sound", "silent", "aplay failed"))
    words = {name: (link.words("ja"), link.words("en")) for name, link in state.links().items()}
    assert words == {
        "platform": ("本部と通信できています", "Platform reachable"),
        "broker": ("施設内の通信サーバーにつながりません", "Site broker unreachable"),
        "camera": ("カメラが映っていません", "Camera not working"),
        "sound": ("音が出ません", "No sound"),
    }


# --- no dead ends ----------------------------------------------------------------------------------------------


def test_with_camera_and_broker_down_the_page_never_says_seats_free(state: KioskState) -> None:
    state.update(camera_ok=False, broker=False)
    assert state.doorway_key() == "door_paused" and t(state.doorway_key(), "ja") != t("door_vacant", "ja")
    assert state.camera_hint() == "see_staff"  # not "wait for the camera"
    assert state.member_line("ja") == "ただいまチェックインできません。受付スタッフにお声がけください"
    state.update(doorway=Doorway.CLOSED)  # nobody at the desk: never "ask staff"
    assert state.member_line("ja") == "" and "スタッフ" not in t(state.camera_hint(), "ja")


def test_closed_says_when_it_opens_next_never_ask_staff(state: KioskState) -> None:
    state.update(doorway=Doorway.CLOSED, today=at("2026-11-21 12:00").date(), admission_from=at("2026-11-24 09:00"))
    assert state.closed_line("ja") == "次の営業開始：火曜9:00" and state.closed_line("en") == "Opens Tuesday 9:00"
    assert state.member_line("ja") == ""  # the closed card says it
    state.update(admission_from=None)
    assert state.closed_line("ja") == t("closed_note", "ja")


def test_after_the_friday_cut_off_new_entries_start_at_midnight(qtbot) -> None:
    model = KioskState(KAIKATSU)
    model.update(doorway=Doorway.AFTER_CUTOFF, broker=True)
    model.update(today=at("2026-11-20 19:00").date(), admission_from=at("2026-11-21 00:00"))
    assert model.member_line("ja") == "新規のご入館は明日0:00からです"
    assert model.member_line("en") == "New entries from tomorrow 0:00"


def test_full_says_when_a_place_frees_up_or_a_plain_next_step(state: KioskState) -> None:
    state.update(doorway=Doorway.FULL, today=at("2026-11-24 10:00").date(), place_free_at=at("2026-11-24 11:30"))
    assert state.member_line("ja") == "11:30ごろに空きが出る見込みです。その頃にもう一度お試しください"
    state.update(place_free_at=None)
    assert state.member_line("en") == "Places free up as members leave; please try again a little later"


def test_times_read_as_a_member_reads_them() -> None:
    today = at("2026-11-20 19:00").date()  # a Friday
    assert when_words(at("2026-11-20 21:05"), today, "ja") == "21:05"
    assert when_words(at("2026-11-21 00:00"), today, "en") == "tomorrow 0:00"
    assert when_words(at("2026-11-24 09:00"), today, "ja") == "火曜9:00"
    assert when_words(at("2026-12-01 09:00"), today, "ja") == "12月1日9:00"


def test_a_closed_kiosk_computes_its_next_opening_and_a_refusal_says_it(qtbot, offline_platform, tmp_path) -> None:
    # Saturday noon at the Regus-like office: closed at weekends and on Monday's holiday (2026-11-23).
    app = kiosk_for(REGUS, offline_platform.server.url, tmp_path, clock_at(at("2026-11-21 12:00")))
    try:
        app.refresh()
        assert app.state.doorway is Doorway.CLOSED and app.state.admission_from == at("2026-11-24 09:00")
        assert app.state.closed_line("ja") == "次の営業開始：火曜9:00"
        app.on_scanned(member_pass(app.cfg, at=app.clock.now().timestamp()))
        page = app.window.verdict
        assert page.headline.text() == Reason.CLOSED.text("ja")
        assert page.next_step.text() == "次の営業開始：火曜9:00" and "Opens Tuesday 9:00" in page.secondary.text()
    finally:
        app.stop()
        gc.collect()


# --- the probe ---------------------------------------------------------------------------------------------------


class FakePlatform:
    """A platform client that answers, or fails as it is told, and counts the calls."""

    def __init__(self) -> None:
        self.calls = 0
        self.error: PlatformError | None = None

    def call(self, *args, **kwargs) -> object:
        self.calls += 1
        if self.error is not None:
            raise self.error
        return object()


def test_the_occupancy_report_probes_the_platform_when_nothing_changed() -> None:
    client, now = FakePlatform(), [100.0]
    reporter = OccupancyReporter(client, "regus", lambda: "same", monotonic=lambda: now[0])  # type: ignore[arg-type]
    reporter.cycle()
    assert client.calls == 1 and reporter.answered == PlatformWord("ok", "", 100.0)
    reporter.cycle()
    assert client.calls == 1  # unchanged and asked lately: no call
    now[0] += PROBE_SECONDS
    client.error = PlatformError(0, "unreachable", "ConnectionError", retryable=True)
    assert reporter.cycle() <= 30.0  # retried soon, to see the platform come back
    assert client.calls == 2 and reporter.answered is not None and reporter.answered.condition == "unreachable"
    reporter.cycle()
    assert client.calls == 3  # while failing, every round asks
    client.error = None
    reporter.cycle()
    assert reporter.answered.condition == "ok" and reporter.failing == ""


def test_a_cut_platform_hides_the_desk_code_and_says_unreachable_with_nothing_queued(
    qtbot,
    kiosk: KioskApp,  # noqa: F811 (the fixture imported above)
    platform,
) -> None:
    assert kiosk.state.platform_up
    platform.server.go_unreachable()
    kiosk.parts.occupancy.answered = PlatformWord("ok", "", 0.0)  # last asked long ago: the next round probes
    kiosk.parts.occupancy.wake()
    qtbot.waitUntil(lambda: kiosk.state.platform_link().condition == "unreachable", timeout=10000)
    assert kiosk.state.outbox.queued == 0 and not kiosk.window.home.desk_panel.isVisible()
    assert [a.key for a in kiosk.state.staff_alerts()] == ["platform_down"]
    platform.server.restore()
    kiosk.parts.occupancy.wake()
    qtbot.waitUntil(lambda: kiosk.state.platform_up, timeout=10000)
    qtbot.waitUntil(kiosk.window.home.desk_panel.isVisible, timeout=10000)


# --- sound ---------------------------------------------------------------------------------------------------------


def ended(chime: Chime) -> None:
    """Let the player finish on its own (not cut short by the next verdict), then reap it as the kiosk does."""
    assert chime._playing is not None
    chime._playing.wait(timeout=10)
    chime.check()


def test_a_failing_player_is_said_once_and_shown_to_staff(state: KioskState, caplog) -> None:
    from kiosk import sounds

    sounds._SAID.clear()
    chime = Chime("false")  # stands in for an aplay with no sound device: it exits 1
    with caplog.at_level(logging.WARNING, logger="kiosk.sounds"):
        for look in (Look.ADMITTED, Look.REFUSED, Look.RETRY, Look.ADMITTED):
            chime.play(look)
            ended(chime)
        other = Chime("false")  # a second kiosk in the same process (the demo) says nothing more
        other.play(Look.ADMITTED)
        ended(other)
    said = [record.getMessage() for record in caplog.records]
    assert len(said) == 1 and "/false" in said[0] and "sound device" in said[0]
    assert chime.condition == "silent"
    state.update(sound=LinkStatus("sound", chime.condition, chime.problem))
    assert "no_sound" in [a.key for a in state.staff_alerts()]
    assert t("no_sound", "ja").startswith("音が出ません") and state.sound.words("en") == "No sound"
    lines = kiosk_lines(KioskView(True, 0.1, True, state.outbox, state.platform_link(), state.sound))
    assert lines["sound"].bad and lines["sound"].text.startswith("NO SOUND")


def test_a_player_that_plays_again_makes_the_kiosk_heard_again(tmp_path) -> None:
    player = tmp_path / "player"
    player.write_text("#!/bin/sh\ncat > /dev/null\n")  # reads the sound and ends well, as aplay with a device
    player.chmod(0o755)
    chime = Chime("false")
    chime.play(Look.ADMITTED)
    ended(chime)
    assert chime.condition == "silent"
    chime.player = str(player)  # the device is back
    chime.play(Look.ADMITTED)
    assert chime._playing is not None and chime._playing.wait(timeout=10) == 0
    chime.check()
    assert chime.condition == "ok" and chime.problem == ""


# --- the demo's narration ------------------------------------------------------------------------------------------


def test_the_demo_never_lets_two_threads_share_a_line() -> None:
    quiet = SimpleNamespace(connect=lambda slot: None)
    site = SimpleNamespace(
        kiosk=SimpleNamespace(verdict_displayed=quiet),
        meeting_kiosk=SimpleNamespace(verdict_displayed=quiet),
        platform=SimpleNamespace(server=SimpleNamespace(url="http://127.0.0.1:9/v1")),
    )
    lines: list[str] = []
    demo = Demo(site, lambda line: lines.append(f"{demo._saying.locked()} {line}"))  # type: ignore[arg-type]
    threads = [threading.Thread(target=demo.say, args=(f"line {n}",)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(lines) == sorted(f"True line {n}" for n in range(8))  # each said whole, under the lock
