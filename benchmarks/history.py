"""`python -m benchmarks history`: does a year of history slow the kiosk or lockd down, and do the files stay bounded?

A kiosk store and a lockd store are filled with `days` of realistic history (check-ins, their sent
outbox items and refusals at the kiosk; decided commands, entries and audit rows at the door),
written straight into SQLite as the programs would have left them. Then, next to the same figures
on empty stores in the same run:
- scan to verdict: Reception.present for a fresh pass (verification, rules, the durable commit);
- refresh: the kiosk's once-a-second screen refresh (KioskApp.refresh, real Qt widgets offscreen);
- unlock: lockd's decision for a genuine command (UnlockHandler.decide, the durable commit included);
- file sizes, with the whole year kept, and after retention (the hourly purge) has run.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

from benchmarks.figures import ms
from benchmarks.seeding import as_synced, nothing_revoked
from facility.clock import Clock
from facility.config import FacilityConfig, load_config
from facility.config.models import OpeningHours, Seats
from facility.models import Plan, Reservation
from facility.tokens import (
    Keyring,
    MemberPass,
    SigningKey,
    UnlockCommand,
    facility_tag,
    mint,
    new_id,
)
from facility.topics import SiteTopics
from kiosk.store import KioskStore, purge_kiosk
from lockd.clocktrust import ClockTrust
from lockd.commands import UnlockHandler
from lockd.store import LockdStore, purge_lockd
from messagebus import Inbound
from simulator.clock import ShiftedClock
from simulator.site import CONFIG, demo_morning

KEY = SigningKey.load(CONFIG / "demo-keys" / "platform-demo.pem")


def kiosk_bench_site() -> FacilityConfig:
    """The Kaikatsu example, roomy and open around the clock, pointed nowhere (no loop talks to a platform here)."""
    base = load_config(CONFIG / "kaikatsu-ikebukuro.toml")
    return base.model_copy(
        update={
            "hours": OpeningHours.around_the_clock(),
            "rules": base.rules.model_copy(update={"entry_cutoffs": [], "max_checkins_per_day": None}),
            "seats": Seats(total=2000, few_left_at=5),
            "platform": base.platform.model_copy(update={"base_url": "http://127.0.0.1:9/v1", "timeout_seconds": 0.2}),
        }
    )


def lockd_bench_site() -> FacilityConfig:
    """The H1T example, open around the clock, no daily limit."""
    base = load_config(CONFIG / "h1t-shibuya.toml")
    return base.model_copy(
        update={
            "hours": OpeningHours.around_the_clock(),
            "rules": base.rules.model_copy(update={"max_checkins_per_day": None}),
        }
    )


def _fill_kiosk(store: KioskStore, facility_id: str, now: datetime, days: int, per_day: int) -> None:
    """`days` of check-ins before now, each sent to the platform, plus a refusal in ten in the audit."""
    checkins, outbox, audit = [], [], []
    for day in range(days, 0, -1):
        for n in range(per_day):
            at = (now - timedelta(days=day, minutes=-n * 5)).isoformat()
            ends = (now - timedelta(days=day, minutes=-n * 5 - 180)).isoformat()
            key, member = str(uuid.uuid4()), 100_000 + (day * per_day + n) % 30_000
            checkins.append(
                (
                    key,
                    member,
                    "会員 名前",
                    "corporate",
                    at,
                    "check_in",
                    ends,
                    None,
                    1,
                    new_id(8).hex(),
                    "member_screen",
                    "",
                    None,
                    0,
                    1,
                    "",  # space: the kiosk's one space ("" as a store kept before spaces says)
                    "",  # room group: counted by seat
                )
            )
            body = json.dumps({"member_id": member, "at": at, "kind": "check_in", "plan": "corporate", "ends_at": ends})
            outbox.append((key, f"/facilities/{facility_id}/checkins", body, "sent", 1, 0.0, "", at))
            if n % 10 == 0:
                audit.append((at, "refused", member, "expired", "member_screen"))
    with store.transaction() as db:
        db.executemany("INSERT INTO checkin VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", checkins)
        db.executemany("INSERT INTO outbox VALUES (?,?,?,?,?,?,?,?)", outbox)
        db.executemany("INSERT INTO audit (at, action, member_id, reason, detail) VALUES (?,?,?,?,?)", audit)


def _fill_lockd(store: LockdStore, now: datetime, days: int, per_day: int) -> None:
    """`days` of decided commands before now (three in four opened, pulsed), their entries and audit rows."""
    commands, entries, audit = [], [], []
    for day in range(days, 0, -1):
        for n in range(per_day):
            at = now - timedelta(days=day, seconds=-n * 30)
            opened, command_id, member = n % 4 != 0, new_id(16).hex(), 200_000 + n % 5000
            answer = json.dumps({"result": "opened" if opened else "refused", "door": "booth-a"})
            commands.append(
                (
                    uuid.uuid4().hex,
                    "booth-a",
                    command_id,
                    at.isoformat(),
                    "opened" if opened else "refused",
                    answer,
                    (at + timedelta(seconds=30)).isoformat(),
                    1 if opened else None,
                )
            )
            if opened:
                entries.append((member, at.isoformat(), "booth-a", n, 1))
            audit.append((at.isoformat(), "booth-a", "unlock" if opened else "refused", "", command_id, member, n, ""))
    with store.transaction() as db:
        db.executemany("INSERT INTO command VALUES (?,?,?,?,?,?,?,?)", commands)
        db.executemany("INSERT INTO entry (member_id, at, door, reservation_id, new_use) VALUES (?,?,?,?,?)", entries)
        db.executemany(
            "INSERT INTO audit (at, door, action, reason, command_id, member_id, reservation_id, detail) "
            "VALUES (?,?,?,?,?,?,?,?)",
            audit,
        )


def _timed(action: Callable[[int], object], samples: int) -> dict:
    """Median, p95 and max of an action, in milliseconds."""
    times = []
    for n in range(samples):
        began = time.perf_counter()
        action(n)
        times.append(time.perf_counter() - began)
    return ms(times)


def _kiosk_figures(folder: Path, clock: Clock, days: int, per_day: int, samples: int) -> dict:
    """Scan-to-verdict and refresh on a kiosk whose store holds `days` of history; the file size; after retention."""
    from PySide6.QtWidgets import QApplication

    from kiosk.app import KioskApp
    from simulator.camera import VirtualCamera

    QApplication.instance() or QApplication([])
    cfg = kiosk_bench_site()
    store = KioskStore(folder / "kiosk.db", clock)
    _fill_kiosk(store, cfg.facility.id, clock.now(), days, per_day)
    store.compact()  # as the hourly retention round leaves it (write-ahead log checkpointed)
    nothing_revoked(store)
    store.close()
    kiosk = KioskApp(cfg, VirtualCamera(64, 48, fps=1), clock=clock, data_dir=folder)  # not started: no loops
    stamp = int(clock.now().timestamp())
    present = _timed(
        lambda n: kiosk.reception.present(
            mint(
                MemberPass(
                    900_000 + n, Plan.CORPORATE, new_id(8), stamp, 90, facility_tag(cfg.facility.id), None, "計測"
                ),
                KEY,
            )
        ),
        samples,
    )
    refresh = _timed(lambda n: kiosk.refresh(), samples)
    kept = kiosk.store.file_bytes()
    kiosk.store.compact()
    purged = purge_kiosk(
        kiosk.store,
        clock.now(),
        timedelta(days=cfg.kiosk_settings.retention_days),
        cfg.kiosk_settings.audit_export_days,
    )
    after = kiosk.store.file_bytes()
    kiosk.stop()
    return {
        "scan_to_verdict_ms": present,
        "refresh_ms": refresh,
        "file_bytes_all_kept": kept,
        "file_bytes_after_retention": after,
        "purged": purged,
    }


def _lockd_figures(folder: Path, clock: Clock, days: int, per_day: int, samples: int) -> dict:
    """lockd's decision for a genuine command on a store holding `days` of history; the file size; after retention."""
    cfg = lockd_bench_site()
    store = LockdStore(folder / "lockd.db", clock)
    _fill_lockd(store, clock.now(), days, per_day)
    store.compact()
    now = clock.now()
    as_synced(store, [Reservation(1, "booth-a", 7, now - timedelta(hours=1), now + timedelta(hours=5))], 1, now)
    topics = SiteTopics.of(cfg)
    handler = UnlockHandler(
        cfg,
        store,
        Keyring.from_config(cfg.tokens.trusted_keys),
        topics,
        clock,
        ClockTrust("sanity"),
        lambda moment: False,
    )

    def unlock(n: int) -> None:
        text = mint(
            UnlockCommand("booth-a", 1, 7, int(clock.now().timestamp()), 30, new_id(16), topics.command("booth-a")), KEY
        )
        verdict, _ = handler.decide(
            "booth-a",
            Inbound(topics.command("booth-a"), text.encode(), 1, False, False, None, None, 30, time.monotonic()),
        )
        assert verdict.opens, verdict.answer

    figures = _timed(unlock, samples)
    kept = store.file_bytes()
    store.compact()
    purged = purge_lockd(
        store, clock.now(), timedelta(days=cfg.lockd_settings.retention_days), cfg.lockd_settings.audit_export_days
    )
    after = store.file_bytes()
    store.close()
    return {
        "unlock_decision_ms": figures,
        "file_bytes_all_kept": kept,
        "file_bytes_after_retention": after,
        "purged": purged,
    }


def _ratio(full: dict, empty: dict) -> float:
    """How much slower (median) the full store is than the empty one."""
    return round(full["median"] / empty["median"], 2) if empty["median"] else 0.0


def bench_history(
    days: int = 365, checkins_per_day: int = 150, commands_per_day: int = 2000, samples: int = 200
) -> dict:
    """The report: each figure on an empty store and on a year's, their ratio, and the files around retention."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    logging.disable(logging.WARNING)
    try:
        clock = ShiftedClock((demo_morning(datetime.now().astimezone()) - datetime.now().astimezone()).total_seconds())
        with tempfile.TemporaryDirectory(prefix="officepass-history-") as work:
            base = Path(work)
            kiosk_empty = _kiosk_figures(base / "k0", clock, 0, checkins_per_day, samples)
            kiosk_full = _kiosk_figures(base / "k1", clock, days, checkins_per_day, samples)
            lockd_empty = _lockd_figures(base / "l0", clock, 0, commands_per_day, samples)
            lockd_full = _lockd_figures(base / "l1", clock, days, commands_per_day, samples)
    finally:
        logging.disable(logging.NOTSET)
    return {
        "benchmark": "history",
        "days": days,
        "checkins_per_day": checkins_per_day,
        "commands_per_day": commands_per_day,
        "samples": samples,
        "kiosk": {
            "empty": kiosk_empty,
            "year": kiosk_full,
            "scan_to_verdict_ratio": _ratio(kiosk_full["scan_to_verdict_ms"], kiosk_empty["scan_to_verdict_ms"]),
            "refresh_ratio": _ratio(kiosk_full["refresh_ms"], kiosk_empty["refresh_ms"]),
        },
        "lockd": {
            "empty": lockd_empty,
            "year": lockd_full,
            "unlock_ratio": _ratio(lockd_full["unlock_decision_ms"], lockd_empty["unlock_decision_ms"]),
        },
    }
