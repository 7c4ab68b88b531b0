"""Retention: personal data goes once the platform has it and its time is up; files stay bounded.

Real stores on the settable clock; the purge is the one the programs' hourly RetentionLoop runs.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import timedelta

import pytest

from facility.messages import UnlockAnswer
from facility.models import Plan
from kiosk.store import purge_kiosk
from lockd.store import AuditRow, LockdStore, purge_lockd
from tests.kiosk_desk import member_pass, reception
from tests.rulebook import KAIKATSU, at

KEEP = timedelta(days=90)


def admit_day(desk, members: int, first: int) -> None:
    """A day of check-ins at the kiosk, then the clock moves on a day."""
    for n in range(members):
        assert desk.present(
            member_pass(KAIKATSU, member_id=first + n, plan=Plan.CORPORATE, at=desk.clock.now().timestamp())
        ).admitted
    desk.clock.lapse(24 * 3600)


def mark_sent(desk) -> None:
    """The outbox delivered everything queued (as a platform that answered would)."""
    desk.store.db.execute("UPDATE outbox SET state = 'sent' WHERE state = 'queued'")


def test_only_check_ins_the_platform_has_leave_and_only_after_retention(tmp_path) -> None:
    desk = reception(KAIKATSU, tmp_path, at("2026-08-01 10:00"))
    admit_day(desk, 3, 1000)  # sent
    mark_sent(desk)
    admit_day(desk, 2, 2000)  # never reached the platform
    desk.clock.shift(100 * 24 * 3600)
    gone = purge_kiosk(desk.store, desk.clock.now(), KEEP, 400)
    assert gone["checkins"] == 3 and gone["outbox_sent"] == 3
    assert sorted(c.member_id for c in desk.store.checkins()) == [2000, 2001]  # still queued: kept whatever their age
    assert desk.store.outbox_count("queued") == 2


def test_audit_rows_are_exported_before_they_leave_and_old_exports_are_dropped(tmp_path) -> None:
    desk = reception(KAIKATSU, tmp_path, at("2026-01-05 10:00"))
    for n in range(4):
        desk.store.audit(None, desk.clock.now(), "refused", 1000 + n, "expired")
    desk.clock.shift(100 * 24 * 3600)
    gone = purge_kiosk(desk.store, desk.clock.now(), KEEP, 400)
    assert gone["audit_exported"] == 4 and desk.store.audit_rows() == []
    (export,) = (tmp_path / "audit").glob("*.jsonl")
    rows = [json.loads(line) for line in export.read_text().splitlines()]
    assert [row["member_id"] for row in rows] == [1000, 1001, 1002, 1003] and rows[0]["reason"] == "expired"
    desk.clock.lapse(401 * 24 * 3600)  # 401 days pass (a clock merely stepped so far drops nothing)
    assert purge_kiosk(desk.store, desk.clock.now(), KEEP, 400)["audit_files_dropped"] == 1
    assert list((tmp_path / "audit").glob("*.jsonl")) == []
    desk.store.audit(None, desk.clock.now(), "still_append_only")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):  # the triggers are back after the export
        desk.store.db.execute("DELETE FROM audit")


def test_a_kiosk_file_stays_bounded_by_retention_not_by_the_days_run(tmp_path) -> None:
    desk = reception(KAIKATSU, tmp_path, at("2026-01-05 10:00"))
    sizes = []
    for day in range(240):
        admit_day(desk, 20, 10_000 + day * 20)
        mark_sent(desk)
        if day % 30 == 29:
            purge_kiosk(desk.store, desk.clock.now(), timedelta(days=30), 400)
            sizes.append(desk.store.file_bytes())
    assert len(desk.store.checkins()) <= 31 * 20
    assert max(sizes[2:]) <= 1.25 * sizes[1]  # once retention bites, the file stops growing


OPENED = UnlockAnswer(result="opened", door="booth-a")
REFUSED = UnlockAnswer(result="refused", door="booth-a", reason="expired")


def test_lockd_forgets_decided_commands_after_expiry_but_never_one_awaiting_its_pulse(tmp_path, wall_clock) -> None:
    store = LockdStore(tmp_path / "lockd.db", wall_clock)
    now = wall_clock.now()
    with store.transaction() as db:
        store.record_command(db, "old", "booth-a", "c1", now, OPENED, now + timedelta(seconds=30))
        store.record_command(db, "old-refused", "booth-a", "c2", now, REFUSED, now + timedelta(seconds=30))
        store.record_command(
            db,
            "fresh",
            "booth-a",
            "c3",
            now + timedelta(days=2),
            REFUSED,
            now + timedelta(days=2, seconds=30),
        )
        store.record_entry(db, 1003, now, "booth-a", 1, True)
        store.audit(db, AuditRow(now.isoformat(), "booth-a", "unlock", "", "c1", 1003, 1))
    store.mark_pulsed("old")
    with store.transaction() as db:  # decided to open, lockd died before the pulse: kept for the restart
        store.record_command(db, "pending", "booth-a", "c4", now, OPENED, now + timedelta(seconds=30))
    gone = purge_lockd(store, now + timedelta(days=2), KEEP, 400)
    assert gone["commands"] == 2
    assert store.answer_for("fresh") is not None and [row[0] for row in store.awaiting_pulse()] == ["pending"]
    wall_clock.lapse(100 * 24 * 3600)  # 100 days pass: what lockd saw pass is what ages a row
    later = purge_lockd(store, now + timedelta(days=100), KEEP, 400)
    assert later["entries"] == 1 and later["audit_exported"] == 1 and store.audit_rows() == []
