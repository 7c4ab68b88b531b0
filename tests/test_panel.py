"""The technician's control panel drives a simulated site's doors, camera and outside world, and shows what they do."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from kiosk.outbox import OutboxStatus
from simulator.phone import Phone
from simulator.site import Site
from technician.doctor import doctor
from technician.doctor_local import ClockReading
from technician.panel import ControlPanel
from technician.panel_state import KioskAlarms, KioskView, Line, kiosk_lines

SYNCED = ClockReading(True, "a synchronised test clock")


@pytest.fixture
def panel(qtbot, tmp_path: Path) -> Iterator[ControlPanel]:
    """A panel on a freshly started site."""
    site = Site(tmp_path)
    site.start()
    shown = ControlPanel(site)
    qtbot.addWidget(shown)
    qtbot.waitUntil(lambda: site.lockd.bus.connected and site.kiosk.bus.connected, timeout=15000)
    yield shown
    shown.timer.stop()
    site.stop()


def alarms(panel: ControlPanel) -> list[str]:
    """The alarm list as shown, newest first."""
    return [panel.alarms.item(n).text() for n in range(panel.alarms.count())]


def test_the_panel_shows_the_ports_and_doctor_rehearses_against_them(panel: ControlPanel) -> None:
    site = panel.site
    assert panel.site_lines["broker"].text() == f"127.0.0.1:{site.broker.port}  running"
    assert panel.site_lines["platform"].text() == f"{site.platform.server.url}  answering"
    for path in panel.rehearsal.values():
        assert f"officepass-site doctor --config {path}" in panel.doctor.text()
    kiosk = doctor(panel.rehearsal["kiosk"], 3, clock=lambda: SYNCED)
    assert kiosk.failures == 0, kiosk.lines
    assert f"OK    broker 127.0.0.1:{site.broker.port} accepts 'kiosk-kaikatsu-ikebukuro'" in kiosk.lines
    assert "OK    camera 'simulated' opens and gives 1280x720 pictures" in kiosk.lines
    lockd = doctor(panel.rehearsal["lockd"], 3, clock=lambda: SYNCED)
    assert lockd.failures == 0 and "OK    door booth-a (ブースA扉 / Booth A door): LOCKED" in lockd.lines


def test_cutting_the_broker_shows_on_the_kiosk_and_doctor_calls_it_down(qtbot, panel: ControlPanel) -> None:
    port = panel.site.broker.port
    panel.cut["broker"].click()
    assert panel.cut["broker"].text() == "restore the broker"
    qtbot.waitUntil(lambda: panel.kiosk_status["broker link"].text().startswith("DOWN"), timeout=10000)
    assert panel.site_lines["broker"].text() == f"127.0.0.1:{port}  STOPPED"
    assert alarms(panel)[0].endswith(
        "kiosk broker link: DOWN, reconnecting: front-desk code check-ins cannot reach the kiosk"
    )
    found = doctor(panel.rehearsal["kiosk"], 2, clock=lambda: SYNCED)
    assert (
        f"FAIL  no broker at 127.0.0.1:{port} (connection refused): it is down or listens on another port"
        in found.lines
    )
    panel.cut["broker"].click()
    qtbot.waitUntil(lambda: panel.kiosk_status["broker link"].text() == "connected", timeout=15000)
    qtbot.waitUntil(lambda: panel.lockd_link.text() == "broker link connected", timeout=15000)
    assert alarms(panel)[0].endswith("kiosk broker link: back (connected)")


def test_the_kiosk_s_queue_and_platform_link_follow_a_platform_outage(qtbot, panel: ControlPanel) -> None:
    site = panel.site
    text = Phone(1004, panel.client).show_pass(site.reception_cfg.facility.id)  # the app got its pass before the cut
    panel.cut["platform"].click()
    site.camera.show(text)
    qtbot.waitUntil(
        lambda: panel.kiosk_status["queue"].text() == "1 check-in waiting to be sent, 0 dead letters", timeout=10000
    )
    qtbot.waitUntil(lambda: panel.kiosk_status["platform"].text().startswith("UNREACHABLE"), timeout=10000)
    assert any(line.endswith("kiosk platform: " + panel.kiosk_status["platform"].text()) for line in alarms(panel))
    panel.cut["platform"].click()
    qtbot.waitUntil(
        lambda: panel.kiosk_status["queue"].text() == "0 check-ins waiting to be sent, 0 dead letters", timeout=20000
    )
    assert panel.kiosk_status["platform"].text() == "reachable"


def test_unplugging_the_camera_and_plugging_it_back(qtbot, panel: ControlPanel) -> None:
    qtbot.waitUntil(lambda: panel.kiosk_status["camera"].text() == "plugged in, pictures arriving", timeout=10000)
    panel.plug.click()
    assert panel.site.camera.read() is None  # the kiosk's camera really gives nothing now
    assert panel.plug.text() == "plug the camera back in" and panel.camera_view.text() == "camera unplugged"
    qtbot.waitUntil(
        lambda: panel.kiosk_status["camera"].text() == "UNPLUGGED: the kiosk gets no pictures", timeout=5000
    )
    assert alarms(panel)[0].endswith("kiosk camera: UNPLUGGED: the kiosk gets no pictures")
    panel.plug.click()
    assert panel.plug.text() == "unplug the camera"
    qtbot.waitUntil(
        lambda: alarms(panel)[0].endswith("kiosk camera: back (plugged in, pictures arriving)"), timeout=10000
    )
    assert not panel.camera_view.pixmap().isNull()


def test_every_alarm_stays_in_the_list_not_only_the_last(qtbot, panel: ControlPanel) -> None:
    rows = {row.door_id: row for row in panel.rows}
    rows["booth-a"].buttons["force"].click()
    rows["booth-b"].buttons["jam"].click()
    rows["booth-b"].buttons["exit button"].click()
    qtbot.waitUntil(lambda: len(alarms(panel)) >= 2, timeout=5000)
    shown = alarms(panel)
    assert shown[0].endswith("booth-b: strike jammed (it did not move with the relay)")
    assert shown[1].endswith("booth-a: forced open (no unlock command)")
    assert "lockd JAMMED" in rows["booth-b"].status.text() and "lockd OPEN" in rows["booth-a"].status.text()
    assert panel.site.lockd.store.audit_rows("forced")


def test_showing_a_pass_reaches_the_kiosk(qtbot, panel: ControlPanel) -> None:
    verdicts = []
    panel.site.kiosk.verdict_displayed.connect(verdicts.append)
    panel.members.setCurrentIndex(panel.members.findData(1004))
    panel.show_pass()
    qtbot.waitUntil(lambda: bool(verdicts), timeout=10000)
    assert verdicts[0].admitted and verdicts[0].member_id == 1004


def test_cutting_the_platform_and_the_broker(qtbot, panel: ControlPanel) -> None:
    panel.cut["platform"].click()
    assert not panel.site.platform.server.reachable and panel.cut["platform"].text() == "restore the platform"
    panel.cut["platform"].click()
    assert panel.site.platform.server.reachable
    panel.cut["broker"].click()
    qtbot.waitUntil(lambda: not panel.site.lockd.bus.connected, timeout=10000)
    panel.cut["broker"].click()
    qtbot.waitUntil(lambda: panel.site.lockd.bus.connected, timeout=15000)


# --- the words, without a site -----------------------------------------------------------------------------------


def test_the_kiosk_lines_say_what_is_wrong_in_words() -> None:
    lines = kiosk_lines(KioskView(True, 0.1, None, OutboxStatus(1, 2, False, "", credentials=True)))
    assert lines["broker link"] == Line("none: the kiosk's file names no broker")
    assert lines["platform"] == Line("REFUSES the facility's credentials (401/403)", bad=True)
    assert lines["queue"] == Line("1 check-in waiting to be sent, 2 dead letters", bad=True)
    assert kiosk_lines(KioskView(True, 5.0, True, OutboxStatus(0, 0, True, "")))["camera"] == Line(
        "plugged in, but NO PICTURE for 5 s", bad=True
    )


def test_only_a_change_for_the_worse_or_the_better_is_an_alarm() -> None:
    up, down = {"broker link": Line("connected")}, {"broker link": Line("DOWN", bad=True)}
    watch = KioskAlarms()
    assert watch.changes(up) == [] and watch.changes(up) == []
    assert watch.changes(down) == ["kiosk broker link: DOWN"] and watch.changes(down) == []
    assert watch.changes(up) == ["kiosk broker link: back (connected)"]


def test_what_was_wrong_when_the_panel_opened_is_not_an_alarm_until_it_recovers_and_fails_again() -> None:
    starting, up, down = (
        {"camera": Line("NO PICTURE yet", bad=True)},
        {"camera": Line("arriving")},
        {"camera": Line("NO", bad=True)},
    )
    watch = KioskAlarms()
    assert watch.changes(starting) == [] and watch.changes(down) == [] and watch.changes(up) == []
    assert watch.changes(down) == ["kiosk camera: NO"]
