"""The technician's control panel drives a simulated site's doors, camera and outside world."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from simulator.panel import ControlPanel
from simulator.site import Site


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


def test_forcing_a_door_shows_on_the_panel_and_in_lockd(qtbot, panel: ControlPanel) -> None:
    row = next(r for r in panel.rows if r.door_id == "booth-a")
    row.buttons["force"].click()
    qtbot.waitUntil(lambda: "last alarm: forced" in row.status.text() and "lockd OPEN" in row.status.text(), timeout=5000)
    assert panel.site.lockd.store.audit_rows("forced")


def test_a_jammed_strike_and_the_exit_button(qtbot, panel: ControlPanel) -> None:
    row = next(r for r in panel.rows if r.door_id == "booth-b")
    row.buttons["jam"].click()
    row.buttons["exit button"].click()
    qtbot.waitUntil(lambda: "lockd JAMMED" in row.status.text(), timeout=5000)


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
