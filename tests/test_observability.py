"""What a site's monitoring sees: Prometheus metrics from lockd and the kiosk, Home Assistant discovery."""

from __future__ import annotations

import re

import requests
from prometheus_client import generate_latest

from simulator.broker import free_port
from simulator.clock import SettableClock
from tests.conftest import REPO, bus_settings
from tests.kiosk_desk import member_pass, running
from tests.lockd_site import site_config, start_site


def test_lockd_metrics_count_commands_doors_and_the_broker(broker, platform, bus_client, tmp_path, wall_clock) -> None:
    port = free_port()
    cfg = site_config(platform.server.url, tmp_path)
    cfg = cfg.model_copy(update={"lockd": cfg.lockd.model_copy(update={"metrics_port": port})})
    site = start_site(
        cfg, platform, bus_settings(broker, "lockd", "lockd-metrics"), bus_client(user="platform"), clock=wall_clock
    )
    try:
        site.send(site.command())
        site.send(site.command(age=100))
        text = requests.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
        assert 'officepass_lockd_commands_total{door="booth-a",reason="",result="opened"} 1.0' in text
        assert 'officepass_lockd_commands_total{door="booth-a",reason="expired",result="refused"} 1.0' in text
        assert "officepass_lockd_broker_connected 1.0" in text
        assert 'officepass_lockd_door_state{door="booth-b",state="LOCKED"} 1.0' in text
        age = float(
            next(
                line.split()[1]
                for line in text.splitlines()
                if line.startswith("officepass_lockd_reservation_sync_age_seconds ")
            )
        )
        assert 0 <= age < 60
        assert "officepass_lockd_reservation_last_sync_timestamp_seconds 1." in text  # synced: a Unix time
    finally:
        site.daemon.stop()


def alarm_line(door: str, alarm: str, value: float) -> str:
    """One alarm counter's sample as Prometheus reads it."""
    return f'officepass_lockd_alarms_total{{alarm="{alarm}",door="{door}"}} {value}'


def test_lockd_exports_every_alarm_at_zero_from_its_start(broker, platform, bus_client, tmp_path, wall_clock) -> None:
    # The alert rules see an alarm as its counter's rise: each series must be there at 0 before its first alarm.
    doors_clock = SettableClock(wall_clock.now())  # the doors' timers (held open) move only when the test says
    site = start_site(
        site_config(platform.server.url, tmp_path),
        platform,
        bus_settings(broker, "lockd", "lockd-alarms"),
        bus_client(user="platform"),
        scheduler=doors_clock,
        clock=wall_clock,
    )
    try:
        text = generate_latest(site.daemon.metrics.registry).decode()
        doors = [door.id for door in site.daemon.cfg.doors]
        assert len(doors) >= 2
        for door in doors:
            for alarm in ("forced", "held_open", "jammed"):
                assert alarm_line(door, alarm, 0.0) in text
        assert alarm_line("", "store_lost", 0.0) in text
        site.doors["booth-a"].force_open()
        doors_clock.advance(site.daemon.doors["booth-a"].door.held_open_alarm_seconds + 1)
        text = generate_latest(site.daemon.metrics.registry).decode()
        assert alarm_line("booth-a", "forced", 1.0) in text and alarm_line("booth-a", "held_open", 1.0) in text
        other = next(door for door in doors if door != "booth-a")
        assert alarm_line(other, "forced", 0.0) in text and alarm_line("booth-a", "jammed", 0.0) in text
    finally:
        site.daemon.stop()


def test_every_alarm_lockd_raises_is_exported_from_the_start() -> None:
    # The series made at 0 are named in lockd/metrics.py: an alarm added elsewhere must be added there too.
    from lockd.metrics import DOOR_ALARMS, SITE_ALARMS

    raised = set(re.findall(r'"(\w+)", (?:alarm=)?True\)', (REPO / "lockd" / "doors.py").read_text()))
    site_raised = set(re.findall(r'alarms\.labels\("", "(\w+)"\)', (REPO / "lockd" / "daemon.py").read_text()))
    assert raised == set(DOOR_ALARMS) and site_raised == set(SITE_ALARMS), (raised, site_raised)


def test_kiosk_metrics_count_check_ins(qtbot, camera, platform, broker, tmp_path, wall_clock) -> None:
    from kiosk.app import KioskApp
    from tests.test_kiosk_ui import ALWAYS_OPEN, kiosk_config

    port = free_port()
    cfg = kiosk_config(platform.server.url)
    cfg = cfg.model_copy(update={"kiosk": cfg.kiosk.model_copy(update={"metrics_port": port})})
    app = KioskApp(cfg, camera, data_dir=tmp_path, clock=wall_clock)
    running(app)
    try:
        app.on_scanned(member_pass(ALWAYS_OPEN, clock=wall_clock))
        app.on_scanned("not a pass")
        text = requests.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
        assert 'officepass_kiosk_checkins_total{reason="",result="admitted",source="member_screen"} 1.0' in text
        assert (
            'officepass_kiosk_checkins_total{reason="bad_format",result="refused",source="member_screen"} 1.0' in text
        )
        assert "officepass_kiosk_members_in 1.0" in text
        assert "officepass_kiosk_broker_connected 0.0" in text  # this kiosk was started without a broker
    finally:
        app.stop()
