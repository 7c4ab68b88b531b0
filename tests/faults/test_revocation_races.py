"""A revocation wins every race (issue 23, class 1): lockd decides nothing a revocation could change on a list older
than the last change notice it heard, or with no list at all (a new or lost store), and a change notice refreshes
the revocations before the next command is decided.

The property test drives the real daemon's decision path (its handler, trust refresh and reservation sync against
the stand-in platform over HTTP, no broker) through any order of revocations, notices, commands, refreshes and lost
stores; the end-to-end tests send the notice and the command through a real Mosquitto, in that order.
"""

from __future__ import annotations

import shutil
import tempfile
import threading
from pathlib import Path

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from facility.config import FacilityConfig
from facility.config.models import PinnedKey
from facility.messages import ReservationsChanged
from facility.platform import PlatformClient
from facility.reasons import Reason
from facility.tokens import SigningKey, UnlockCommand, mint, new_id
from facility.topics import DEFAULT_PREFIX
from lockd.clocktrust import ClockTrust
from lockd.daemon import LockDaemon
from lockd.drivers import door_factory
from messagebus import BrokerSettings, Inbound
from simulator.door import SimulatedDoors
from tests.conftest import bus_settings
from tests.lockd_site import BOOTH_A_BOOKING, PLATFORM_KEY, TOPICS, site_config, start_site

MEMBER = 1003  # seeded: booth-a's booker, now
SECOND_KEY = SigningKey.generate()  # pinned beside the platform's key, so one of the two can be revoked
EVENTS = st.sampled_from(["revoke_member", "revoke_key", "notice", "command", "command", "refresh", "lose_store"])


def two_key_site(platform_url: str, data_dir: Path) -> FacilityConfig:
    """The H1T test site trusting a second key for commands."""
    cfg = site_config(platform_url, data_dir)
    second = PinnedKey(name="second", public_key=SECOND_KEY.public_b64, purposes=["unlock_command"])
    return cfg.model_copy(
        update={"tokens": cfg.tokens.model_copy(update={"trusted_keys": [*cfg.tokens.trusted_keys, second]})}
    )


class DoorSide:
    """lockd's decision path without a broker: its handler, trust refresh and reservation sync, on the test's clock."""

    def __init__(self, cfg: FacilityConfig, clock) -> None:
        self.cfg, self.clock = cfg, clock
        self.daemon = LockDaemon(
            cfg,
            BrokerSettings("127.0.0.1", 9, "lockd", "unused"),  # never started: no broker here
            PlatformClient(cfg.platform),
            door_factory({"simulated": SimulatedDoors()}),
            clock=clock,
            trust=ClockTrust("sanity"),
        )
        self.daemon.handler.keyring = self.daemon.keys.load().keyring()
        self.daemon.trust_refresh.start()
        self.daemon.sync.start()

    def command(self, key: SigningKey) -> tuple[UnlockCommand, Reason | None]:
        """Mint and decide one command for the member's booking: what it was, and why it was refused (None: opened)."""
        issued = int(self.clock.now().timestamp())
        command = UnlockCommand("booth-a", BOOTH_A_BOOKING, MEMBER, issued, 60, new_id(16), TOPICS.command("booth-a"))
        message = Inbound(TOPICS.command("booth-a"), mint(command, key).encode(), 1, False, False, None, None, None, 0)
        verdict, _ = self.daemon.handler.decide("booth-a", message)
        reason = verdict.answer.reason
        return command, None if verdict.opens else Reason.from_code(reason or "bad_format")

    def notice(self, cursor: int) -> None:
        """The platform's change notice, as the broker hands it to lockd."""
        payload = ReservationsChanged(cursor=cursor).payload()
        self.daemon._change_notice(Inbound(TOPICS.reservations_changed, payload, 1, False, False, None, None, None, 0))

    def close(self) -> None:
        """Stop the loops and close the store."""
        self.daemon.sync.stop()
        self.daemon.trust_refresh.stop()
        self.daemon.handler.screener.close()
        self.daemon.store.close()


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(events=st.lists(EVENTS, min_size=3, max_size=12))
def test_no_order_of_revocations_notices_commands_and_lost_stores_opens_for_what_lockd_was_told_is_revoked(
    offline_platform, wall_clock, events
) -> None:
    platform = offline_platform
    state = platform.state
    with state._lock:  # each example starts with nothing withdrawn
        state.revoked_members.clear()
        state.revoked_keys.clear()
    folder = Path(tempfile.mkdtemp(prefix="revocation-races-"))
    cfg = two_key_site(platform.server.url, folder / "lockd")
    door = DoorSide(cfg, wall_clock)
    revoked: set[object] = set()  # withdrawn at the platform
    told: set[object] = set()  # withdrawn, and lockd heard a notice (or began a store) since
    opened = 0
    try:
        for n, event in enumerate(events):
            if event == "revoke_member":
                state.revoke(member_id=MEMBER)
                revoked.add(MEMBER)
            elif event == "revoke_key":
                state.revoke(key_id=SECOND_KEY.key_id)
                revoked.add(SECOND_KEY.key_id)
            elif event == "notice":
                door.notice(n)
                told |= revoked
            elif event == "refresh":
                door.daemon.trust_refresh.refresh()
                told |= revoked
            elif event == "lose_store":
                door.close()
                shutil.rmtree(folder / "lockd")
                wall_clock.shift(cfg.tokens.clock_skew_seconds + 1)  # commands issued after the loss can be judged
                door = DoorSide(cfg, wall_clock)
                told |= revoked  # a new store fetches before it accepts anything
            else:
                key = SECOND_KEY if n % 2 else PLATFORM_KEY
                _, refusal = door.command(key)
                if refusal is None:
                    opened += 1
                    assert MEMBER not in told, f"opened for a member lockd was told is revoked: {events}"
                    assert key.key_id not in told, f"opened for a key lockd was told is revoked: {events}"
    finally:
        door.close()
        shutil.rmtree(folder, ignore_errors=True)


def test_a_notice_then_a_command_through_the_broker_is_refused_for_a_member_revoked_before_it(site) -> None:
    assert site.send(site.command())["result"] == "opened"  # the member is in, and lockd holds its lists
    site.platform.state.revoke(member_id=MEMBER)  # no notice yet: the platform's word reaches lockd next
    site.sender.publish(TOPICS.reservations_changed, ReservationsChanged(cursor=99).payload(), qos=1)
    answer = site.send(site.command())  # after the notice, on the same connection: lockd reads them in this order
    assert (answer["result"], answer["reason"]) == ("refused", Reason.REVOKED.code)
    assert site.pulses() == 1


def test_a_key_revoked_before_a_notice_opens_nothing_after_it(
    broker, platform, bus_client, tmp_path, wall_clock
) -> None:
    cfg = two_key_site(platform.server.url, tmp_path)
    running = start_site(cfg, platform, bus_settings(broker, "lockd", "lockd-two-keys"), bus_client(user="platform"))
    try:
        assert running.send(running.command(key=SECOND_KEY))["result"] == "opened"
        platform.state.revoke(key_id=SECOND_KEY.key_id)
        running.sender.publish(TOPICS.reservations_changed, ReservationsChanged(cursor=99).payload(), qos=1)
        answer = running.send(running.command(key=SECOND_KEY))
        assert (answer["result"], answer["reason"]) == ("refused", Reason.KEY_REVOKED.code)
        assert running.send(running.command())["result"] == "opened"  # the other key still opens
    finally:
        running.daemon.stop()


def test_the_platform_tells_every_site_when_it_revokes(platform, bus_client) -> None:
    heard: list[Inbound] = []
    every = threading.Condition()
    listener = bus_client(user="platform")

    def hear(message: Inbound) -> None:
        with every:
            heard.append(message)
            every.notify_all()

    listener.subscribe(f"{DEFAULT_PREFIX}/+/reservations/changed", hear)
    listener.wait_connected(10)
    answer = requests.post(f"{platform.server.url}/revocations", json={"member_id": MEMBER}, timeout=5)
    assert answer.status_code == 200 and MEMBER in answer.json()["member_ids"]
    facilities = set(platform.state.facilities)
    with every:
        assert every.wait_for(lambda: {m.topic.split("/")[1] for m in heard} >= facilities, 10), heard
    assert all(ReservationsChanged.accepted(m.payload, m.topic) for m in heard)


def test_after_a_lost_store_a_revoked_member_is_never_let_in_while_the_platform_comes_back(
    site, broker, bus_client, tmp_path
) -> None:
    site.platform.state.revoke(member_id=MEMBER)
    site.sender.publish(TOPICS.reservations_changed, ReservationsChanged(cursor=99).payload(), qos=1)
    assert site.send(site.command())["reason"] == Reason.REVOKED.code  # lockd knew, and kept the list in its store
    site.daemon.stop()
    shutil.rmtree(tmp_path / "lockd.db", ignore_errors=True)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{tmp_path / 'lockd.db'}{suffix}").unlink(missing_ok=True)
    # The platform fails its next requests (the new lockd's first sync and refreshes), then answers again.
    faults = requests.put(f"{site.platform.server.url}/_sim/faults", json={"mode": "error_500", "count": 4}, timeout=5)
    assert faults.status_code == 200, faults.text
    again = start_site(
        site_config(site.platform.server.url, tmp_path),
        site.platform,
        bus_settings(broker, "lockd", "lockd-after-loss"),
        bus_client(user="platform"),
        clock=site.clock,
    )
    again.clock.shift(again.daemon.cfg.tokens.clock_skew_seconds + 1)  # commands issued since the loss are judged
    try:
        answers = [again.send(again.command())["reason"] for _ in range(12)]  # the platform fails, then answers
        assert set(answers) <= {Reason.REVOCATIONS_UNKNOWN.code, Reason.REVOKED.code}, answers
        assert answers[-1] == Reason.REVOKED.code, answers  # it came back, and so did the list
        assert again.pulses() == 0
    finally:
        again.daemon.stop()


def test_a_slow_platform_does_not_lose_the_race_after_a_notice(site) -> None:
    assert site.send(site.command())["result"] == "opened"
    site.platform.state.revoke(member_id=MEMBER)
    # The platform answers, but slowly (about 2 s, inside its own timeout), for the next fetches of the revocations.
    slow = {"mode": "drip", "hang_seconds": 0.03, "count": 4, "path": "/v1/revocations"}
    assert requests.put(f"{site.platform.server.url}/_sim/faults", json=slow, timeout=5).status_code == 200
    site.sender.publish(TOPICS.reservations_changed, ReservationsChanged(cursor=99).payload(), qos=1)
    answer = site.send(site.command())  # decided while the fetch is on its way: nothing a revocation changes opens
    assert (answer["result"], answer["reason"]) == ("refused", Reason.REVOCATIONS_UNKNOWN.code)
    assert site.pulses() == 1


@pytest.mark.parametrize("payload", [b'{"cursor": 99, "reason": "member_revoked"}', b"", b"not json"])
def test_a_notice_this_version_cannot_read_still_refreshes_the_revocations(site, payload: bytes) -> None:
    assert site.send(site.command())["result"] == "opened"
    site.platform.state.revoke(member_id=MEMBER)
    site.sender.publish(TOPICS.reservations_changed, payload, qos=1)  # a field added later, or nothing at all
    answer = site.send(site.command())
    assert (answer["result"], answer["reason"]) == ("refused", Reason.REVOKED.code)
