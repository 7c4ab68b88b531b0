"""The fleet bench at scale: enough site brokers for every link notice, and one clear line when a fleet cannot run.

The bench's figures belong in docs/scale.md; these hold the mechanisms behind them, on small fleets.
"""

from __future__ import annotations

import resource
import subprocess
import sys
from pathlib import Path

import pytest

import benchmarks.fleet as fleet
from simulator.broker import SITE_FILE
from simulator.fleet_brokers import FleetBrokers, fleet_brokers
from tests.conftest import REPO

INFLIGHT = 20  # Mosquitto's max_inflight_messages: what a session holds besides its queue


def shipped_queue() -> int:
    """max_queued_messages in the shipped site broker file."""
    lines = [line.split() for line in SITE_FILE.read_text().splitlines()]
    return int(next(line[1] for line in lines if line[:1] == ["max_queued_messages"]))


def test_no_site_broker_carries_more_link_notices_than_its_watcher_s_session_can_be_handed_at_once() -> None:
    # 5,000 sites on 4 site brokers left 230 notices of each beyond a watcher's queue: they showed as not linked
    assert shipped_queue() >= fleet.SITES_PER_SITE_BROKER + INFLIGHT
    assert fleet.site_broker_count(5000, 4) == 7 and fleet.site_broker_count(13000, 4) == 17
    assert fleet.site_broker_count(100, 4) == 4 and fleet.site_broker_count(3, 4) == 3


def test_the_bench_raises_the_open_file_limit_its_brokers_inherit_and_names_the_one_it_cannot() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    assert fleet.files_needed(13000, 17) == 13000 + fleet.FILES_PER_PROCESS  # the cloud broker: every bridge
    fleet.raise_file_limit(soft)  # enough already: nothing changes
    assert resource.getrlimit(resource.RLIMIT_NOFILE) == (soft, hard)
    if hard != resource.RLIM_INFINITY:
        with pytest.raises(fleet.FleetError, match=f"too few file descriptors: .* needs {hard + 1} .* is {hard}"):
            fleet.raise_file_limit(hard + 1)


def _low_file_limit() -> None:
    """In the child: 100 open files at most, fewer than a fleet of 100 sites needs."""
    resource.setrlimit(resource.RLIMIT_NOFILE, (100, 100))


def test_a_fleet_with_too_few_file_descriptors_ends_the_command_with_one_line_and_no_traceback() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks", "fleet", "--sites", "100", "--seconds", "1"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        preexec_fn=_low_file_limit,
        check=False,
    )
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert done.stderr.strip().splitlines()[-1] == (
        "fleet: too few file descriptors: the cloud broker needs 164 and the limit is 100 "
        "(raise it: ulimit -n 164, or LimitNOFILE= in the service)"
    )


def _refused(*args, **kwargs) -> FleetBrokers:
    """The fleet's brokers, the cloud holding another password for each site: every bridge is refused, none links."""
    brokers = fleet_brokers(*args, **kwargs)
    cloud = brokers.cloud.users
    brokers.cloud.users = {user: "not-the-site-s" if user.startswith("bridge-") else cloud[user] for user in cloud}
    return brokers


def _fleet_processes() -> list[str]:
    """Command lines of the programs any fleet run leaves (its brokers, lockd and stand-ins name its folder)."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            line = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode() if entry.name.isdigit() else ""
        except OSError:
            continue
        if "officepass-fleet-" in line:
            found.append(line)
    return found


def test_a_fleet_whose_bridges_never_link_says_so_in_one_line_and_leaves_nothing_running(monkeypatch) -> None:
    before = _fleet_processes()
    monkeypatch.setattr(fleet, "fleet_brokers", _refused)
    monkeypatch.setattr(fleet, "link_window", lambda sites: 2.0)  # the bring-up window, shortened for the test
    report = fleet.bench_fleets([3], doors_per_site=1, seconds=1, rate=1, site_brokers=1, lockd_sites=0)
    assert report["failed"].startswith("fleet not up: 0/3 bridges linked in 2 s (not: fleet-0, fleet-1, fleet-2)")
    assert "not authorised" in report["failed"]  # what the cloud broker said about them
    assert _fleet_processes() == before
