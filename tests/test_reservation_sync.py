"""The reservation sync and the trust lists against the stand-in platform's odd answers, and the supervisor.

Real parts: the stand-in platform over HTTP with its fault switches, lockd's SQLite store; the loops
run on their own threads as in lockd and the kiosk.
"""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
import requests

from facility.loop import BackgroundLoop, Supervisor
from facility.models import Reservation
from facility.platform import PlatformClient, PlatformError, backoff_delay
from facility.reasons import Reason
from facility.reservations import ReservationSync
from facility.trustcache import TrustRefresh, cached_revocations
from lockd.store import LockdStore
from simulator.phone import AppClient, Phone
from simulator.runtime import RunningPlatform
from tests.rulebook import H1T, tomorrow_at_ten


def client_for(platform: RunningPlatform) -> PlatformClient:
    """lockd's platform client pointed at the stand-in."""
    return PlatformClient(H1T.platform.model_copy(update={"base_url": platform.server.url, "timeout_seconds": 1}))


def switch(platform: RunningPlatform, **body) -> None:
    """Set the stand-in platform's fault switch."""
    assert requests.put(f"{platform.server.url}/_sim/faults", json=body, timeout=5).status_code == 200


@pytest.fixture
def sync(offline_platform, tmp_path, wall_clock):
    """H1T's reservation sync on its own store, not started (tests run rounds or start it)."""
    alarms: list[bool] = []
    loop = ReservationSync(
        client_for(offline_platform),
        LockdStore(tmp_path / "lockd.db", wall_clock),
        "h1t-shibuya",
        wall_clock,
        60,
        timedelta(minutes=30),
        alarms.append,
    )
    loop.alarms = alarms
    yield loop
    loop.stop()


GARBLED = {
    "reservation_id": 4242,
    "room_id": "booth-a",
    "member_id": 1002,
    "plan": "corporate",
    "cancelled": False,
    "starts_at": "9999-12-31T23:00:00-12:00",
    "ends_at": "9999-12-31T23:30:00-12:00",
}


def test_an_unreadable_booking_is_forgotten_and_reported_while_the_others_still_arrive(
    sync, offline_platform, wall_clock
) -> None:
    assert sync.sync_once()
    sync.store.apply_changes([], 0, wall_clock.now())  # from the start again, with one garbled item in the feed
    switch(offline_platform, mode="garbled_item", item=GARBLED)
    assert sync.sync_once()  # the cursor moves on: one bad booking must not stop every other change
    assert sync.store.reservation(4242) is None and "4242" in sync.last_error
    assert {r.member_id for r in sync.store.reservations_of(1003)} == {1003}  # the seed's booth booking arrived
    switch(offline_platform, mode="none")
    assert sync.sync_once() and sync.last_error == ""


@pytest.mark.parametrize(
    "item",
    [
        [],
        "nonsense",
        {"reservation_id": True},
        {**GARBLED, "reservation_id": 10**20},
        {**GARBLED, "starts_at": "2026-11-24T10:00:00", "ends_at": "2026-11-24T11:00:00"},
        {**GARBLED, "guests": -5},
        {**GARBLED, "cancelled": "false"},
    ],
    ids=[
        "a list",
        "a string",
        "a bool id",
        "an id past 64 bits",
        "times without an offset",
        "negative guests",
        "a string for a bool",
    ],
)
def test_every_kind_of_garbled_item_is_refused_on_its_own(sync, offline_platform, item) -> None:
    switch(offline_platform, mode="garbled_item", item=item)
    assert sync.sync_once() and sync.last_error
    assert sync.store.reservations_of(1003)  # the readable ones are kept


@pytest.mark.parametrize(
    "fault",
    [{"mode": "not_an_object"}, {"mode": "not_an_object", "status": 503}, {"mode": "html"}, {"mode": "unauthorized"}],
    ids=["[] on a 200", "[] on a 503", "HTML on a 200", "401"],
)
def test_an_odd_answer_fails_the_round_the_loop_lives_and_the_stale_alarm_rises(
    sync, offline_platform, wall_clock, fault
) -> None:
    switch(offline_platform, **fault)
    sync.start()
    assert sync.first_attempt.wait(10)
    assert sync.alive and sync.last_error and sync.sync_count == 0
    assert sync.alarms == [True]  # never synced: stale from the start, and said so
    switch(offline_platform, mode="none")
    with sync.synced:
        sync.trigger()
        assert sync.synced.wait_for(lambda: sync.sync_count == 1, 10)
    assert sync.alarms == [True, False] and sync.last_error == ""


def test_trust_lists_survive_odd_answers_and_keep_the_last_good_ones(offline_platform, tmp_path, wall_clock) -> None:
    store = LockdStore(tmp_path / "lockd.db", wall_clock)
    refresh = TrustRefresh(client_for(offline_platform), store, wall_clock, fetch_keys=True)
    offline_platform.state.revoke(member_id=1002)
    assert refresh.refresh() and 1002 in cached_revocations(store).member_ids
    for fault in ({"mode": "not_an_object"}, {"mode": "html"}, {"mode": "unauthorized"}):
        switch(offline_platform, **fault)
        assert not refresh.refresh() and refresh.last_error
        assert 1002 in cached_revocations(store).member_ids  # the last good list still holds


def test_the_platform_refuses_impossible_guests_when_booking(offline_platform, wall_clock) -> None:
    phone = Phone(1002, AppClient(offline_platform.server.url))
    start = tomorrow_at_ten(wall_clock)
    for guests, status, code in (
        (-5, 422, "bad_request"),
        ("abc", 422, "bad_request"),
        (2.7, 422, "bad_request"),
        (6, 409, Reason.TOO_MANY_GUESTS.code),
    ):
        with pytest.raises(PlatformError) as refused:
            phone.client.call(
                "POST",
                "/reservations",
                {
                    "member_id": 1002,
                    "facility_id": "meeting-kanda",
                    "room_id": "room-a",
                    "starts_at": start.isoformat(),
                    "ends_at": (start + timedelta(hours=1)).isoformat(),
                    "guests": guests,
                },
            )
        assert (refused.value.status, refused.value.code) == (status, code)
    assert phone.book("meeting-kanda", "room-a", start, 60, guests=5)["guests"] == 5  # six people in a room for six


class Fragile(BackgroundLoop):
    """A loop whose thread a BaseException ends (what no round-guard can catch)."""

    name = "fragile"

    def __init__(self) -> None:
        super().__init__()
        self.entered = threading.Semaphore(0)

    def cycle(self) -> float:
        self.entered.release()
        if self.rounds == 0 and self.restarts == 0:
            raise SystemExit("the thread ends")
        return 60


@pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")  # the death is the point
def test_a_loop_that_dies_anyway_is_restarted_by_the_supervisor_and_counted() -> None:
    loop = Fragile()
    supervisor = Supervisor([loop])
    loop.start()
    assert loop.entered.acquire(timeout=5)
    loop._thread.join(5)
    assert not loop.alive and not supervisor.all_alive()
    assert supervisor.check() == ["fragile"]
    assert loop.entered.acquire(timeout=5) and loop.alive and loop.health().restarts == 1
    loop.stop()
    assert supervisor.check() == []  # a loop that was stopped on purpose stays stopped


@pytest.mark.parametrize("listed_as", [77.0, "77"], ids=["a float id", "a string id"])
def test_a_garbled_cancellation_forgets_the_booking_it_might_be_about(
    sync, offline_platform, wall_clock, listed_as
) -> None:
    now = wall_clock.now()
    sync.store.apply_changes([Reservation(77, "booth-a", 1002, now, now + timedelta(hours=1))], 0, now)
    switch(offline_platform, mode="garbled_item", item={**GARBLED, "reservation_id": listed_as, "cancelled": True})
    assert sync.sync_once()
    assert sync.store.reservation(77) is None  # it admits no one until the platform lists it readably


def test_a_booking_listed_for_another_facility_is_not_cached(sync, offline_platform) -> None:
    elsewhere = {
        **GARBLED,
        "reservation_id": 4343,
        "facility_id": "regus-shinjuku-south",
        "starts_at": "2026-11-24T10:00:00+09:00",
        "ends_at": "2026-11-24T11:00:00+09:00",
    }
    switch(offline_platform, mode="garbled_item", item=elsewhere)
    assert sync.sync_once() and sync.store.reservation(4343) is None and "another facility" in sync.last_error


def test_an_answer_dripping_a_byte_at_a_time_fails_within_the_timeout_instead_of_hanging(
    offline_platform, tmp_path, wall_clock
) -> None:
    store = LockdStore(tmp_path / "lockd.db", wall_clock)
    refresh = TrustRefresh(client_for(offline_platform), store, wall_clock, fetch_keys=False)
    switch(offline_platform, mode="drip", hang_seconds=0.3)
    try:
        assert not refresh.refresh() and "unreachable" in refresh.last_error  # cut off at twice the 1 s timeout
    finally:
        switch(offline_platform, mode="none")


def test_the_back_off_stays_capped_after_days_of_failures() -> None:
    assert 0 <= backoff_delay(5000, cap=300) <= 300 and backoff_delay(5000, cap=300, at_least=10**9) == 300


def test_the_cached_revocations_are_parsed_once_per_change(offline_platform, tmp_path, wall_clock) -> None:
    store = LockdStore(tmp_path / "lockd.db", wall_clock)
    refresh = TrustRefresh(client_for(offline_platform), store, wall_clock, fetch_keys=False)
    assert refresh.refresh()
    first = cached_revocations(store)
    assert cached_revocations(store) is first  # not read and parsed again for every command
    offline_platform.state.revoke(member_id=1004)
    assert refresh.refresh() and 1004 in cached_revocations(store).member_ids


@pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")
def test_a_loop_that_keeps_dying_is_restarted_ever_less_often() -> None:
    class Doomed(BackgroundLoop):
        name = "doomed"

        def __init__(self) -> None:
            super().__init__()
            self.entered = threading.Semaphore(0)

        def cycle(self) -> float:
            self.entered.release()
            raise SystemExit("again")

    loop = Doomed()
    supervisor = Supervisor([loop])
    loop.start()
    assert loop.entered.acquire(timeout=5)
    loop._thread.join(5)
    assert supervisor.check() == ["doomed"] and loop.entered.acquire(timeout=5)
    loop._thread.join(5)
    assert supervisor.check() == []  # died again at once: the next restart waits (2 s, doubling to 5 min)
    loop.stop()
