"""The panel rehearses the key offline case (issue 26): with the platform cut, the member's app shows the pass it
kept while the platform answered, and the kiosk admits them by camera; the panel says the same status as the kiosk."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from simulator.phone import Phone
from simulator.site import Site
from technician.panel import ControlPanel


@pytest.fixture
def panel(qtbot, tmp_path: Path) -> Iterator[ControlPanel]:
    """A panel on a freshly started site."""
    site = Site(tmp_path)
    site.start()
    shown = ControlPanel(site)
    qtbot.addWidget(shown)
    qtbot.waitUntil(lambda: site.kiosk.bus.connected, timeout=15000)
    yield shown
    shown.timer.stop()
    shown.keeper.stop()
    site.scheduler.stop()
    site.stop()


def test_with_the_platform_cut_the_panel_shows_the_pass_the_app_kept(qtbot, panel: ControlPanel) -> None:
    site, verdicts = panel.site, []
    site.kiosk.verdict_displayed.connect(verdicts.append)
    panel.members.setCurrentIndex(panel.members.findData(1004))  # choosing the member: the app keeps a pass
    assert panel.phone(1004).kept_passes[site.reception_cfg.facility.id]
    panel.cut["platform"].click()
    panel.show_pass()
    qtbot.waitUntil(lambda: bool(verdicts), timeout=10000)
    assert verdicts[0].admitted and verdicts[0].member_id == 1004  # an offline camera admission, rehearsed
    assert "it kept (the platform cannot be reached)" in panel.activity.item(0).text()
    kiosk = site.kiosk
    qtbot.waitUntil(lambda: panel.kiosk_status["platform"].text().startswith("UNREACHABLE"), timeout=15000)
    assert kiosk.state.platform_link().condition == "unreachable"  # the panel and the kiosk say one thing
    assert "platform_down" in [alert.key for alert in kiosk.state.staff_alerts()]


def test_the_phone_shows_a_kept_pass_only_while_it_is_valid(panel: ControlPanel) -> None:
    site = panel.site
    facility = site.reception_cfg.facility.id
    phone = Phone(1001, panel.client)
    assert phone.keep_pass(facility) == 1 and phone.keep_pass(facility) == 2
    site.platform.server.go_unreachable()
    now, newest = site.clock.now(), phone.kept_passes[facility][-1]["pass"]
    assert phone.show_pass(facility, now=now) == newest and phone.shown_kept
    assert len(phone.kept_passes[facility]) == 1  # each kept pass is shown once
    with pytest.raises(LookupError):
        phone.show_pass(facility, now=now + timedelta(minutes=5))  # expired (a pass lives 90 s)
