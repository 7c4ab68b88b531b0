"""The kiosk's outbox against the stand-in platform: nothing lost, nothing doubled, final refusals kept for staff."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest
import requests

from facility.platform import PlatformClient
from kiosk.outbox import OutboxSender, OutboxStatus
from simulator.runtime import RunningPlatform
from tests.kiosk_desk import due_now, member_pass, reception
from tests.rulebook import REGUS, at

TUESDAY = at("2026-11-24 10:00")


class Watched:
    """An outbox sender whose status reports tests can wait for."""

    def __init__(self, desk, platform: RunningPlatform) -> None:
        cfg = REGUS.platform.model_copy(update={"base_url": platform.server.url, "timeout_seconds": 1})
        self.changed = threading.Condition()
        self.latest: OutboxStatus | None = None
        self.sender = OutboxSender(desk.store, PlatformClient(cfg), REGUS.facility.id,
                                   lambda: {"members_in": desk.occupancy().members_in}, self._status)

    def _status(self, status: OutboxStatus) -> None:
        with self.changed:
            self.latest = status
            self.changed.notify_all()

    def wait(self, condition, timeout: float = 15) -> OutboxStatus:
        """Wait for a status report that satisfies condition (waking the sender to speed it up)."""
        with self.changed:
            ok = self.changed.wait_for(lambda: self.latest is not None and condition(self.latest), timeout)
        assert ok, f"status never matched: {self.latest}"
        return self.latest


@pytest.fixture
def desk(tmp_path):
    """A Regus reception on Tuesday morning."""
    return reception(REGUS, tmp_path, TUESDAY)


@pytest.fixture
def outbox(desk, offline_platform) -> Iterator[Watched]:
    """The outbox sending to the stand-in platform."""
    watched = Watched(desk, offline_platform)
    yield watched
    watched.sender.stop()


def recorded(platform: RunningPlatform) -> list[dict]:
    """What the platform holds for Regus."""
    return platform.state.checkins_of(REGUS.facility.id)


def admit(desk, count: int, first_member: int = 3000) -> None:
    """count members check in."""
    for n in range(count):
        assert desk.present(member_pass(REGUS, member_id=first_member + n, at=desk.clock.now().timestamp())).admitted


def test_check_ins_reach_the_platform_once_each(desk, outbox, offline_platform) -> None:
    admit(desk, 3)
    outbox.sender.start()
    outbox.wait(lambda s: s.queued == 0)
    assert sorted(c["member_id"] for c in recorded(offline_platform)) == [3000, 3001, 3002]
    assert offline_platform.state.occupancy[REGUS.facility.id]["members_in"] == 3


def test_platform_away_then_back_loses_nothing_and_doubles_nothing(desk, outbox, offline_platform) -> None:
    offline_platform.server.go_unreachable()
    outbox.sender.start()
    admit(desk, 4)
    outbox.sender.wake()
    status = outbox.wait(lambda s: not s.reachable and s.queued == 4)
    assert "unreachable" in status.last_error
    offline_platform.server.restore()
    due_now(desk.store)
    outbox.sender.wake()
    outbox.wait(lambda s: s.queued == 0 and s.reachable)
    keys = [c["idempotency_key"] for c in recorded(offline_platform)]
    assert len(keys) == 4 and len(set(keys)) == 4


def test_an_answer_lost_after_commit_is_retried_with_the_same_key(desk, outbox, offline_platform) -> None:
    requests.put(f"{offline_platform.server.url}/_sim/faults", json={"mode": "drop_after_commit", "count": 1}, timeout=5)
    admit(desk, 1)
    outbox.sender.start()
    outbox.wait(lambda s: s.queued == 1 and s.last_error)
    assert len(desk.store.outbox("queued")) == 1  # committed on the platform, but the kiosk never heard so
    due_now(desk.store)
    outbox.sender.wake()
    outbox.wait(lambda s: s.queued == 0)
    assert len(recorded(offline_platform)) == 1


def test_rate_limited_requests_wait_at_least_retry_after(desk, outbox, offline_platform) -> None:
    requests.put(f"{offline_platform.server.url}/_sim/faults", json={"mode": "rate_limit", "count": 1, "retry_after": 120},
                 timeout=5)
    admit(desk, 1)
    outbox.sender.start()
    outbox.wait(lambda s: "429" in s.last_error)
    (item,) = desk.store.outbox("queued")
    assert item.next_at - time.time() > 100


def test_a_final_refusal_becomes_a_dead_letter_staff_can_requeue(desk, outbox, offline_platform) -> None:
    admit(desk, 1)
    (item,) = desk.store.outbox("queued")
    desk.store.db.execute("UPDATE outbox SET path = '/facilities/nowhere/checkins' WHERE key = ?", (item.key,))
    outbox.sender.start()
    status = outbox.wait(lambda s: s.dead == 1)
    assert "404" in status.last_error and status.queued == 0
    desk.store.db.execute("UPDATE outbox SET path = ? WHERE key = ?", (f"/facilities/{REGUS.facility.id}/checkins", item.key))
    assert outbox.sender.retry_dead_letters() == 1
    outbox.wait(lambda s: s.dead == 0 and s.queued == 0)
    assert len(recorded(offline_platform)) == 1
