"""`python -m benchmarks soak`: a simulated month at one kiosk and one door controller, in about ten minutes.

The kiosk is the real KioskApp (Qt offscreen, its loops running against the stand-in platform on
loopback), the door side lockd's decision path and store; both on one lapsing clock, a simulated
day at a time: `checkins_per_day` passes at reception, `commands_per_day` unlock decisions, the
screen refreshed as a day's seconds would, then each program's retention round. Retention is set
to 7 days so a month shows it biting. Every day the process's memory, its threads and the files
are recorded; the report says whether they stayed flat once retention began.
"""

from __future__ import annotations

import logging
import os
import tempfile
import threading
import time
from datetime import datetime, timedelta
from pathlib import Path

from benchmarks.history import KEY, kiosk_bench_site, lockd_bench_site
from benchmarks.seeding import as_synced
from facility.config import FacilityConfig
from facility.models import Plan, Reservation
from facility.tokens import (
    Keyring,
    MemberPass,
    UnlockCommand,
    facility_tag,
    mint,
    new_id,
)
from facility.topics import SiteTopics
from lockd.clocktrust import ClockTrust
from lockd.commands import UnlockHandler
from lockd.store import LockdStore, purge_lockd
from messagebus import Inbound
from simulator.clock import ShiftedClock
from simulator.qtwait import run_until
from simulator.runtime import start_platform
from simulator.site import CONFIG, demo_morning

RETENTION_DAYS = 7


def _rss_mb() -> float:
    """Resident memory of this process."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return round(int(line.split()[1]) / 1024, 1)
    return 0.0


def _kiosk_cfg(platform_url: str) -> FacilityConfig:
    """The roomy always-open kiosk site, on the stand-in platform, keeping a week."""
    cfg = kiosk_bench_site()
    return cfg.model_copy(
        update={
            "platform": cfg.platform.model_copy(update={"base_url": platform_url, "timeout_seconds": 2}),
            "kiosk": cfg.kiosk_settings.model_copy(
                update={
                    "retention_days": RETENTION_DAYS,
                    "signing_key_file": CONFIG / "demo-keys" / "kiosk-demo.pem",
                    "clock_check": "sanity",  # no NTP on a bench machine: the simulated month's clock is believed
                }
            ),
        }
    )


def _flat(series: list[float], since: int) -> float:
    """How much the series grew from the day retention began to the end (1.0: not at all)."""
    start = series[since] or 1
    return round(max(series[since:]) / start, 3)


def bench_soak(days: int = 30, checkins_per_day: int = 150, commands_per_day: int = 2000) -> dict:
    """Run the month; the daily figures and whether memory, threads and files stayed flat."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtWidgets import QApplication

    from kiosk.app import KioskApp
    from simulator.camera import VirtualCamera

    QApplication.instance() or QApplication([])
    logging.disable(logging.WARNING)
    clock = ShiftedClock((demo_morning(datetime.now().astimezone()) - datetime.now().astimezone()).total_seconds())
    daily: list[dict] = []
    began = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="officepass-soak-") as work:
        platform = start_platform(CONFIG / "simulator" / "seed.toml", clock=clock)
        kiosk = KioskApp(
            _kiosk_cfg(platform.server.url),
            VirtualCamera(64, 48, fps=2, paced=True),
            clock=clock,
            data_dir=Path(work) / "kiosk",
        )
        kiosk.start(full_screen=False)
        lockd_cfg = lockd_bench_site()
        store = LockdStore(Path(work) / "lockd" / "lockd.db", clock)
        topics = SiteTopics.of(lockd_cfg)
        handler = UnlockHandler(
            lockd_cfg,
            store,
            Keyring.from_config(lockd_cfg.tokens.trusted_keys),
            topics,
            clock,
            ClockTrust("sanity"),
            lambda moment: False,
        )
        try:
            for day in range(days):
                _kiosk_day(kiosk, clock, day, checkins_per_day)
                _lockd_day(handler, store, topics, clock, day, commands_per_day)
                _end_of_day(kiosk, store, clock, platform)
                daily.append(
                    {
                        "day": day + 1,
                        "rss_mb": _rss_mb(),
                        "threads": threading.active_count(),
                        "kiosk_db_bytes": kiosk.store.file_bytes(),
                        "lockd_db_bytes": store.file_bytes(),
                        "checkins_kept": len(kiosk.store.checkins()),
                        "queued": kiosk.store.outbox_count("queued"),
                    }
                )
        finally:
            kiosk.stop()
            store.close()
            platform.stop()
            logging.disable(logging.NOTSET)
    settled = min(RETENTION_DAYS + 1, len(daily) - 1)
    series = {name: [d[name] for d in daily] for name in ("rss_mb", "threads", "kiosk_db_bytes", "lockd_db_bytes")}
    return {
        "benchmark": "soak",
        "days": days,
        "checkins_per_day": checkins_per_day,
        "commands_per_day": commands_per_day,
        "retention_days": RETENTION_DAYS,
        "seconds": round(time.monotonic() - began, 1),
        "growth_after_retention_began": {name: _flat(values, settled) for name, values in series.items()},
        "daily": daily,
    }


def _kiosk_day(kiosk, clock: ShiftedClock, day: int, count: int) -> None:
    """A day at reception: members check in through the morning and afternoon; the screen refreshes meanwhile."""
    cfg = kiosk.cfg
    for n in range(count):
        stamp = int(clock.now().timestamp())
        text = mint(
            MemberPass(
                1_000_000 + day * count + n,
                Plan.CORPORATE,
                new_id(8),
                stamp,
                90,
                facility_tag(cfg.facility.id),
                None,
                "計測",
            ),
            KEY,
        )
        kiosk.on_scanned(text)
        kiosk.go_home()
        clock.lapse(8 * 3600 / count)
    for _ in range(20):
        kiosk.refresh()


def _lockd_day(
    handler: UnlockHandler, store: LockdStore, topics: SiteTopics, clock: ShiftedClock, day: int, count: int
) -> None:
    """A day at the doors: a booking for the day and `count` genuine commands for it, decided, kept and pulsed."""
    now = clock.now()
    as_synced(
        store, [Reservation(day + 1, "booth-a", 7, now - timedelta(hours=1), now + timedelta(hours=20))], day + 1, now
    )
    for _ in range(count):
        text = mint(
            UnlockCommand(
                "booth-a", day + 1, 7, int(clock.now().timestamp()), 30, new_id(16), topics.command("booth-a")
            ),
            KEY,
        )
        verdict, _ = handler.decide(
            "booth-a",
            Inbound(topics.command("booth-a"), text.encode(), 1, False, False, None, None, 30, time.monotonic()),
        )
        if verdict.opens:
            store.mark_pulsed(verdict.digest)  # the relay moved, as lockd notes after every opening
        clock.lapse(4 * 3600 / count)


def _end_of_day(kiosk, store: LockdStore, clock: ShiftedClock, platform) -> None:
    """The night: the outbox delivers the day, both programs' retention rounds run, the clock reaches the next morning.

    The stand-in platform runs in this process and keeps what it records in memory; it hands the day's
    check-ins on (as the real platform files them away), so the memory measured is the kiosk's and lockd's.
    """
    kiosk.outbox.wake()
    run_until(lambda: kiosk.store.outbox_count("queued") == 0, 30)
    platform.state.archive_checkins()
    kiosk.parts.retention.wake()
    rounds = kiosk.parts.retention.rounds
    run_until(lambda: kiosk.parts.retention.rounds > rounds, 30)
    purge_lockd(store, clock.now(), timedelta(days=RETENTION_DAYS), 400)
    clock.lapse(12 * 3600)
