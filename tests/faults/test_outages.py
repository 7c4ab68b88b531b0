"""Outages: the broker killed mid-traffic, the platform away for a whole (simulated) day."""

from __future__ import annotations

import threading

import requests

from facility.config.models import Platform
from facility.platform import PlatformClient
from facility.reasons import Reason
from facility.tokens import UnlockCommand, peek
from kiosk.outbox import OutboxSender
from messagebus.client import BusError
from simulator.broker import MosquittoBroker
from tests.kiosk_desk import due_now, member_pass, reception
from tests.rulebook import KAIKATSU, at


def test_broker_killed_mid_traffic_every_pulse_audited_and_doors_work_after(site, broker: MosquittoBroker) -> None:
    sent, answered, progress, stop = [], [], threading.Condition(), threading.Event()

    def traffic() -> None:
        while not stop.is_set():
            text = site.command()
            sent.append(text)
            try:
                reply = site.sender.request(
                    "officepass/h1t-shibuya/door/booth-a/command",
                    text,
                    "officepass/h1t-shibuya/door/booth-a/reply",
                    timeout=0.5,
                )
            except BusError:  # the broker is gone: the platform would answer 503 and the member taps again
                reply = None
            with progress:
                answered.append(reply)
                progress.notify_all()

    def wait_for(count: int) -> None:
        """Wait until count real answers (not broker errors) have come back."""
        with progress:
            assert progress.wait_for(lambda: sum(a is not None for a in answered) >= count, 60)

    worker = threading.Thread(target=traffic)
    worker.start()
    try:
        wait_for(20)
        broker.kill()  # no clean shutdown: persistence is not saved
        broker.start()
        assert site.daemon.bus.wait_connected(30) and site.sender.wait_connected(30)
        wait_for(sum(a is not None for a in answered) + 20)  # twenty answers after the restart
    finally:
        stop.set()
        worker.join(10)
    opened = site.daemon.store.audit_rows("unlock")
    pulsed = site.daemon.store.db.execute(
        "SELECT pulsed, COUNT(*) FROM command WHERE result = 'opened' GROUP BY pulsed"
    ).fetchall()
    assert pulsed == [(1, len(opened))]  # every audited opening drove the relay once; none is left pending
    assert 1 <= site.pulses() <= len(opened)  # and the relay never moved without an audited opening
    assert {row.command_id for row in opened} <= {_command_id(text) for text in sent}  # only genuine commands opened
    assert site.send(site.command())["result"] == "opened"  # and afterwards the door works as before
    assert site.daemon.store.db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def _command_id(text: str) -> str:
    """The id of a command we published."""
    return peek(text, UnlockCommand).command_id.hex()


def test_a_day_without_the_platform_then_every_check_in_arrives_once(tmp_path, offline_platform) -> None:
    desk = reception(KAIKATSU, tmp_path, at("2026-11-24 08:00"))
    offline_platform.server.go_unreachable()
    client = PlatformClient(Platform(base_url=offline_platform.server.url, timeout_seconds=0.5))
    status, changed = [None], threading.Condition()

    def report(latest) -> None:
        with changed:
            status[0] = latest
            changed.notify_all()

    outbox = OutboxSender(desk.store, client, desk.clock, report)
    outbox.start()
    try:
        for member in range(240):  # a member every four minutes from 8:00 to 24:00; when it is full, some are refused
            verdict = desk.present(member_pass(KAIKATSU, member_id=10_000 + member, at=desk.clock.now().timestamp()))
            assert verdict.admitted or verdict.reasons == (Reason.FULL,)
            desk.clock.shift(240)
        kept = desk.store.checkins()
        assert len(desk.store.outbox("queued")) == len(kept) >= 150
        offline_platform.server.restore()
        due_now(desk.store)
        with changed:
            status[0] = None  # only a report after the platform came back counts
        outbox.wake()
        with changed:
            assert changed.wait_for(lambda: status[0] is not None and status[0].queued == 0 and status[0].reachable, 60)
    finally:
        outbox.stop()
    recorded = requests.get(
        f"{offline_platform.server.url}/facilities/{KAIKATSU.facility.id}/checkins", timeout=5
    ).json()
    keys = [c["idempotency_key"] for c in recorded["checkins"]]
    assert sorted(keys) == sorted(c.key for c in kept)  # each exactly once
    assert desk.store.outbox("dead") == []
