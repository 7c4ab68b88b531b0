"""The kiosk's outbox against the stand-in platform: nothing lost, nothing doubled, final refusals kept for staff,
and odd answers (non-object JSON, a captive portal's HTML, 401) neither lose a check-in nor stop the loop."""

from __future__ import annotations

import json
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


def client_for(platform: RunningPlatform) -> PlatformClient:
    """The kiosk's platform client pointed at the stand-in."""
    return PlatformClient(REGUS.platform.model_copy(update={"base_url": platform.server.url, "timeout_seconds": 1}))


class Watched:
    """An outbox sender whose status reports tests can wait for."""

    def __init__(self, desk, platform: RunningPlatform) -> None:
        self.changed = threading.Condition()
        self.latest: OutboxStatus | None = None
        self.sender = OutboxSender(desk.store, client_for(platform), desk.clock, self._status)

    def _status(self, status: OutboxStatus) -> None:
        with self.changed:
            self.latest = status
            self.changed.notify_all()

    def wait(self, condition, timeout: float = 15) -> OutboxStatus:
        """Wait for a status report that satisfies condition."""
        with self.changed:
            ok = self.changed.wait_for(lambda: self.latest is not None and condition(self.latest), timeout)
        assert ok, f"status never matched: {self.latest}"
        return self.latest

    def until(self, predicate, timeout: float = 15) -> None:
        """Wait for a fact about the sender that no status report announces (each report re-checks it)."""
        deadline = time.monotonic() + timeout
        with self.changed:
            while not predicate() and time.monotonic() < deadline:
                self.changed.wait(0.1)
        assert predicate(), "the sender never got there"

    def again(self, desk) -> None:
        """Make what is queued due now and send at once (the test need not wait out the back-off)."""
        due_now(desk.store)
        self.sender.wake()


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


def switch(platform: RunningPlatform, **body) -> None:
    """Set the stand-in platform's fault switch."""
    assert requests.put(f"{platform.server.url}/_sim/faults", json=body, timeout=5).status_code == 200


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


def test_platform_away_then_back_loses_nothing_and_doubles_nothing(desk, outbox, offline_platform) -> None:
    offline_platform.server.go_unreachable()
    outbox.sender.start()
    admit(desk, 4)
    outbox.sender.wake()
    status = outbox.wait(lambda s: not s.reachable and s.queued == 4)
    assert "unreachable" in status.last_error
    offline_platform.server.restore()
    outbox.again(desk)
    outbox.wait(lambda s: s.queued == 0 and s.reachable)
    keys = [c["idempotency_key"] for c in recorded(offline_platform)]
    assert len(keys) == 4 and len(set(keys)) == 4


def test_an_answer_lost_after_commit_is_retried_with_the_same_key(desk, outbox, offline_platform) -> None:
    switch(offline_platform, mode="drop_after_commit", count=1)
    admit(desk, 1)
    outbox.sender.start()
    outbox.wait(lambda s: s.queued == 1 and s.last_error)
    assert len(desk.store.outbox("queued")) == 1  # committed on the platform, but the kiosk never heard so
    outbox.again(desk)
    outbox.wait(lambda s: s.queued == 0)
    assert len(recorded(offline_platform)) == 1


def test_rate_limited_requests_wait_at_least_retry_after_on_the_kiosk_s_clock(desk, outbox, offline_platform) -> None:
    switch(offline_platform, mode="rate_limit", count=1, retry_after=120)
    admit(desk, 1)
    outbox.sender.start()
    outbox.wait(lambda s: "429" in s.last_error)
    (item,) = desk.store.outbox("queued")
    assert item.next_at - desk.clock.now().timestamp() > 100  # the injected clock, not the machine's


def test_a_check_in_the_platform_calls_wrong_becomes_a_dead_letter_staff_can_requeue(
    desk, outbox, offline_platform
) -> None:
    admit(desk, 1)
    outbox.sender.start()
    outbox.wait(lambda s: s.queued == 0)
    (item,) = desk.store.outbox("sent")
    changed = dict(item.body, note="edited")  # the same idempotency key with another body: 409 idempotency_conflict
    desk.store.db.execute("UPDATE outbox SET body = ?, state = 'queued' WHERE key = ?", (json.dumps(changed), item.key))
    outbox.again(desk)
    status = outbox.wait(lambda s: s.dead == 1)
    assert status.queued == 0 and "idempotency_conflict" in desk.store.outbox("dead")[0].last_error
    desk.store.db.execute("UPDATE outbox SET body = ? WHERE key = ?", (json.dumps(item.body), item.key))
    assert outbox.sender.retry_dead_letters() == 1
    outbox.wait(lambda s: s.dead == 0 and s.queued == 0)
    assert len(recorded(offline_platform)) == 1


def test_an_unknown_facility_is_retried_and_reported_never_thrown_away(desk, outbox, offline_platform) -> None:
    admit(desk, 1)
    (item,) = desk.store.outbox("queued")
    desk.store.db.execute("UPDATE outbox SET path = '/facilities/nowhere/checkins' WHERE key = ?", (item.key,))
    outbox.sender.start()
    status = outbox.wait(lambda s: "404" in s.last_error)
    assert status.dead == 0 and status.queued == 1


@pytest.mark.parametrize(
    ("fault", "words"),
    [
        ({"mode": "not_an_object", "status": 503}, "503"),
        ({"mode": "not_an_object"}, "bad_answer"),
        ({"mode": "html"}, "bad_answer"),
    ],
    ids=["[] on a 503", "[] on a 200", "a captive portal's HTML on a 200"],
)
def test_an_odd_answer_is_a_failure_to_retry_not_a_success_and_the_loop_lives(
    desk, outbox, offline_platform, fault: dict, words: str
) -> None:
    switch(offline_platform, **fault)
    admit(desk, 1)
    outbox.sender.start()
    status = outbox.wait(lambda s: words in s.last_error)
    assert status.queued == 1 and status.dead == 0 and outbox.sender.alive
    assert outbox.sender.health().last_error  # what staff, metrics and doctor see
    switch(offline_platform, mode="none")
    outbox.again(desk)
    outbox.wait(lambda s: s.queued == 0 and not s.last_error)
    assert len(recorded(offline_platform)) == 1 and len(desk.store.outbox("sent")) == 1


def test_expired_credentials_keep_check_ins_queued_and_raise_the_alarm(desk, outbox, offline_platform) -> None:
    switch(offline_platform, mode="unauthorized")
    admit(desk, 3)
    outbox.sender.start()
    status = outbox.wait(lambda s: s.credentials)
    assert status.queued == 3 and status.dead == 0 and "401" in status.last_error
    switch(offline_platform, mode="none")  # the technician renewed the token
    outbox.again(desk)
    outbox.wait(lambda s: s.queued == 0 and not s.credentials)
    assert len(recorded(offline_platform)) == 3


def test_a_round_that_raises_is_reported_and_the_loop_carries_on(desk, outbox, offline_platform, caplog) -> None:
    real_call, calls = outbox.sender.client.call, []

    def breaks_once(*args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("a bug nobody foresaw")
        return real_call(*args, **kwargs)

    outbox.sender.client.call = breaks_once
    admit(desk, 1)
    outbox.sender.start()
    outbox.until(lambda: outbox.sender.failures == 1)  # counted once the round has ended
    assert outbox.sender.alive and "loop kiosk-outbox failed" in caplog.text and "a bug nobody foresaw" in caplog.text
    outbox.again(desk)
    outbox.wait(lambda s: s.queued == 0)
    outbox.until(lambda: outbox.sender.crash == "")  # cleared once the good round has ended
    assert len(recorded(offline_platform)) == 1


def test_a_year_long_retry_after_is_held_to_the_back_off_s_cap(desk, outbox, offline_platform) -> None:
    switch(offline_platform, mode="rate_limit", count=1, retry_after=365 * 24 * 3600)
    admit(desk, 1)
    outbox.sender.start()
    outbox.wait(lambda s: "429" in s.last_error)
    (item,) = desk.store.outbox("queued")
    assert item.next_at - desk.clock.now().timestamp() <= 300


def test_a_check_in_parked_by_a_clock_that_ran_ahead_is_sent_once_the_clock_is_put_right(
    desk, outbox, offline_platform
) -> None:
    switch(offline_platform, mode="error_500", count=1)
    admit(desk, 1)
    desk.clock.shift(30 * 24 * 3600)  # the wall clock runs a month ahead while the platform fails once
    outbox.sender.start()
    outbox.wait(lambda s: "500" in s.last_error)
    desk.clock.shift(-30 * 24 * 3600)  # NTP puts it right: the item's due time is a month away
    outbox.sender.wake()
    outbox.wait(lambda s: s.queued == 0)
    assert len(recorded(offline_platform)) == 1


def test_a_check_in_kept_by_an_earlier_version_is_sent_exactly_as_kept(desk, outbox, offline_platform) -> None:
    admit(desk, 1)
    (item,) = desk.store.outbox("queued")
    earlier = dict(item.body, ends_at=None)  # an earlier kiosk wrote "ends_at": null
    desk.store.db.execute("UPDATE outbox SET body = ? WHERE key = ?", (json.dumps(earlier), item.key))
    committed = requests.post(
        f"{offline_platform.server.url}{item.path}", json=earlier, timeout=5, headers={"Idempotency-Key": item.key}
    )  # it reached the platform; the answer was lost
    assert committed.status_code == 201
    outbox.sender.start()
    outbox.wait(lambda s: s.queued == 0)
    assert desk.store.outbox_count("dead") == 0 and len(recorded(offline_platform)) == 1
