"""Every fault switch of the stand-in platform, seen by a real HTTP client."""

from __future__ import annotations

import uuid

import pytest
import requests

from simulator.platform.faults import Fault
from simulator.runtime import RunningPlatform


@pytest.fixture
def url(offline_platform: RunningPlatform) -> str:
    """The platform's base URL."""
    return offline_platform.server.url


def switch(url: str, **body) -> None:
    """Set the fault switch through the platform's own control endpoint."""
    assert requests.put(f"{url}/_sim/faults", json=body, timeout=5).status_code == 200


def checkin(url: str, key: str, timeout: float = 5) -> requests.Response:
    """POST one check-in."""
    return requests.post(
        f"{url}/facilities/regus-shinjuku-south/checkins",
        timeout=timeout,
        json={"member_id": 1001, "at": "2026-11-24T10:00:00+09:00"},
        headers={"Idempotency-Key": key},
    )


def recorded(url: str) -> int:
    """How many check-ins the platform holds."""
    return len(requests.get(f"{url}/facilities/regus-shinjuku-south/checkins", timeout=5).json()["checkins"])


def test_error_500_for_a_number_of_requests_then_normal(url: str) -> None:
    switch(url, mode="error_500", count=2)
    assert [requests.get(f"{url}/keys", timeout=5).status_code for _ in range(3)] == [500, 500, 200]


def test_rate_limit_answers_429_with_retry_after(url: str) -> None:
    switch(url, mode="rate_limit", retry_after=7)
    answer = requests.get(f"{url}/keys", timeout=5)
    assert (answer.status_code, answer.headers["Retry-After"]) == (429, "7")
    switch(url, mode="none")
    assert requests.get(f"{url}/keys", timeout=5).status_code == 200


def test_hang_leaves_the_client_to_its_timeout_and_records_nothing(url: str) -> None:
    switch(url, mode="hang", hang_seconds=30)
    with pytest.raises(requests.Timeout):
        checkin(url, str(uuid.uuid4()), timeout=0.5)
    assert requests.get(f"{url}/_sim/faults", timeout=5).json()["mode"] == "hang"
    switch(url, mode="none")
    assert recorded(url) == 0


def test_drop_after_commit_loses_the_answer_not_the_check_in(url: str) -> None:
    key = str(uuid.uuid4())
    switch(url, mode="drop_after_commit", count=1)
    with pytest.raises(requests.ConnectionError):
        checkin(url, key)
    assert recorded(url) == 1
    retried = checkin(url, key)  # the outbox retries with the same key
    assert retried.status_code == 200 and recorded(url) == 1


def test_unreachable_refuses_connections_then_comes_back(offline_platform: RunningPlatform, url: str) -> None:
    offline_platform.server.go_unreachable()
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{url}/keys", timeout=2)
    offline_platform.server.restore()
    assert requests.get(f"{url}/keys", timeout=5).status_code == 200


def test_unreachable_through_the_control_endpoint_restores_itself(offline_platform: RunningPlatform, url: str) -> None:
    switch(url, mode="unreachable", seconds=1.0)
    server = offline_platform.server
    assert server.wait_reachable(False, timeout=5)
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{url}/keys", timeout=2)
    assert server.wait_reachable(True, timeout=5)
    assert requests.get(f"{url}/keys", timeout=5).status_code == 200


def test_control_endpoint_is_exempt_from_faults_and_rejects_unknown_modes(url: str) -> None:
    switch(url, mode="error_500")
    assert requests.get(f"{url}/_sim/faults", timeout=5).json()["mode"] == Fault.ERROR_500.value
    bad = requests.put(f"{url}/_sim/faults", json={"mode": "explode"}, timeout=5)
    assert bad.status_code == 422 and "error_500" in bad.json()["message_en"]


def test_unreachable_also_cuts_kept_alive_connections(offline_platform: RunningPlatform, url: str) -> None:
    session = requests.Session()
    assert session.get(f"{url}/keys", timeout=5).status_code == 200  # the connection stays open
    offline_platform.server.go_unreachable()
    with pytest.raises(requests.ConnectionError):
        session.get(f"{url}/keys", timeout=2)
