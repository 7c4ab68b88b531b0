"""The wall clock stepped forward and back (an NTP correction) during a pulse and during a visit."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

import pytest

from facility.models import EntryKind, Plan
from facility.reasons import Reason
from facility.rules.calendar import TOKYO
from simulator.clock import SettableClock
from tests.conftest import bus_settings
from tests.kiosk_desk import member_pass, reception
from tests.lockd_site import Site, site_config, start_site
from tests.rulebook import KAIKATSU, at


@pytest.fixture
def timed_site(broker, platform, bus_client, tmp_path, wall_clock) -> Iterator[tuple[Site, SettableClock]]:
    """lockd whose pulses run on a settable monotonic clock (5 s pulse)."""
    ticks = SettableClock(datetime(2026, 11, 24, 10, 0, tzinfo=TOKYO))
    running = start_site(
        site_config(platform.server.url, tmp_path, pulse=5.0),
        platform,
        bus_settings(broker, "lockd", "lockd-clock"),
        bus_client(user="platform"),
        scheduler=ticks,
        clock=wall_clock,
    )
    yield running, ticks
    running.daemon.stop()


@pytest.mark.parametrize("step", [-3600, 3600], ids=["back an hour", "forward an hour"])
def test_a_wall_clock_step_during_a_pulse_still_relocks_on_time(timed_site, step: int) -> None:
    site, ticks = timed_site
    assert site.send(site.command())["result"] == "opened"
    site.clock.shift(step)  # NTP steps the wall clock mid-pulse
    ticks.advance(4.9)
    assert site.doors["booth-a"].relay_energised
    ticks.advance(0.2)
    assert not site.doors["booth-a"].relay_energised  # relocked at 5 s of real (monotonic) time


def test_after_a_step_back_commands_are_judged_by_the_new_time(timed_site) -> None:
    site, _ = timed_site
    site.clock.shift(-3600)
    answer = site.send(site.command(age=-3600))  # issued by the platform at the true time: an hour in lockd's future
    assert (answer["result"], answer["reason"]) == ("refused", Reason.NOT_YET_VALID.code)
    assert site.pulses() == 0
    later = site.send(site.command())  # issued on lockd's (stepped) clock: genuine now, but...
    # ...before lockd's store began by that clock: refused, since the store cannot vouch it was never used
    assert (later["result"], later["reason"]) == ("refused", Reason.ISSUED_BEFORE_STORE.code)
    assert site.pulses() == 0


def test_a_step_forward_past_a_visit_s_limit_ends_it(tmp_path) -> None:
    desk = reception(KAIKATSU, tmp_path, at("2026-11-24 10:00"))
    assert desk.present(
        member_pass(KAIKATSU, member_id=7, plan=Plan.CORPORATE, at=desk.clock.now().timestamp())
    ).admitted
    assert desk.occupancy().members_in == 1
    desk.clock.shift(3 * 3600 + 60)  # the clock jumps past the 3 h limit
    assert desk.occupancy().members_in == 0  # the seat is free again
    again = desk.present(member_pass(KAIKATSU, member_id=7, plan=Plan.CORPORATE, at=desk.clock.now().timestamp()))
    assert again.reasons == (Reason.DAILY_LIMIT,)  # Kaikatsu: one use a day, and a new check-in would be a new use


def test_a_step_back_inside_a_visit_keeps_it_running(tmp_path) -> None:
    desk = reception(KAIKATSU, tmp_path, at("2026-11-24 10:00"))
    desk.present(member_pass(KAIKATSU, member_id=8, plan=Plan.CORPORATE, at=desk.clock.now().timestamp()))
    desk.clock.shift(-600)  # ten minutes back: before the check-in itself
    desk.clock.shift(1200)  # then forward again, inside the visit
    back = desk.present(member_pass(KAIKATSU, member_id=8, plan=Plan.CORPORATE, at=desk.clock.now().timestamp()))
    assert back.admitted and back.entry is EntryKind.RE_ENTRY
