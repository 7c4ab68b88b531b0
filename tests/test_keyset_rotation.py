"""Rotating the platform's keys without a visit: the real lockd and kiosk, the stand-in platform, a real Mosquitto.

The platform certifies a new key in a new key set version and announces it (retained MQTT, and GET
/keyset); lockd and the kiosk adopt it, open for the new key, and refuse the old once a later set
revokes it; an older or foreign set is refused and audited, also across a restart.
"""

from __future__ import annotations

import gc
import json

import pytest

from facility.reasons import Reason
from facility.tokens import SigningKey
from kiosk.app import KioskApp
from simulator.runtime import RunningPlatform
from tests.conftest import bus_settings
from tests.keyset_helpers import certified, rooted, signed_set
from tests.kiosk_desk import member_pass, running
from tests.lockd_site import PLATFORM_KEY, TOPICS, Site, site_config, start_site
from tests.test_kiosk_ui import ALWAYS_OPEN, kiosk_config
from tests.test_lockd_acl import acl_broker, client, hears  # noqa: F401 (fixtures)


def held_version(site: Site, version: int) -> dict:
    """Wait until lockd says (retained, on lockd/keyset) that it holds this key set version or a later one."""
    message = site.next_heard("lockd/keyset", timeout=10, where=lambda body: json.loads(body)["version"] >= version)
    return json.loads(message.payload)


def audited(site: Site, action: str, reason: str = "") -> dict:
    """Wait for an audit row lockd publishes, of this action (and reason)."""

    def wanted(body: bytes) -> bool:
        row = json.loads(body)
        return row["action"] == action and (not reason or row["reason"] == reason)

    return json.loads(site.next_heard("lockd/audit", timeout=10, where=wanted).payload)


@pytest.fixture
def rooted_site(broker, platform, bus_client, tmp_path, wall_clock):
    """lockd for the H1T example pinning the demo root key (and, as today, the demo platform key)."""
    running = start_site(
        rooted(site_config(platform.server.url, tmp_path)),
        platform,
        bus_settings(broker, "lockd", "lockd-test"),
        bus_client(user="platform"),
        clock=wall_clock,
    )
    yield running
    running.daemon.stop()


def test_lockd_rotates_to_a_new_key_and_refuses_the_revoked_one(rooted_site: Site, platform: RunningPlatform) -> None:
    site, service, keys = rooted_site, platform.service, platform.state.key_set
    first = keys.version
    assert held_version(site, first)["keys"] == [PLATFORM_KEY.key_id]
    new = keys.key(service.add_signing_key()["key_id"])  # 1: certified and announced; the old key still signs
    assert held_version(site, first + 1)["keys"] == [PLATFORM_KEY.key_id, new.key_id]
    assert site.send(site.command(key=PLATFORM_KEY))["result"] == "opened"  # nothing genuine refused meanwhile
    service.sign_with(new.key_id)  # 2: the platform signs with the new key
    status, answer = service.unlock("h1t-shibuya", "booth-a", 1003)
    assert (status, answer["result"]) == (200, "opened")
    assert site.send(site.command(key=PLATFORM_KEY))["result"] == "opened"  # a command already out still opens
    service.revoke_signing_key(PLATFORM_KEY.key_id)  # 3: after the overlap, the old key (the only pinned one) goes
    assert held_version(site, first + 2)["revoked"] == [PLATFORM_KEY.key_id]
    refused = site.send(site.command(key=PLATFORM_KEY))
    assert (refused["result"], refused["reason"]) == ("refused", Reason.KEY_REVOKED.code)
    assert site.send(site.command(key=new))["result"] == "opened"  # the doors did not go dark
    adopted = site.daemon.store.audit_rows("keyset_adopted")
    assert [row.detail.split(":")[0] for row in adopted] == [f"key set v{v}" for v in (first, first + 1, first + 2)]


def test_lockd_refuses_an_older_set_after_a_restart_and_keeps_the_newer(
    platform: RunningPlatform, broker, bus_client, tmp_path, wall_clock
) -> None:
    cfg, service, sender = (
        rooted(site_config(platform.server.url, tmp_path)),
        platform.service,
        bus_client(user="platform"),
    )
    old_document = platform.state.keyset()
    site = start_site(cfg, platform, bus_settings(broker, "lockd", "lockd-test"), sender, clock=wall_clock)
    try:
        held_version(site, platform.state.key_set.version)
        new = platform.state.key_set.key(service.add_signing_key()["key_id"])
        held_version(site, platform.state.key_set.version)
    finally:
        site.daemon.stop()
    again = start_site(cfg, platform, bus_settings(broker, "lockd", "lockd-test"), sender, clock=wall_clock)
    try:
        sender.publish(TOPICS.keyset, json.dumps(old_document), retain=True)  # a replayed, older, genuine set
        assert "from mqtt" in audited(again, "keyset_refused", "keyset_rollback")["detail"]
        assert again.daemon.keys.held is not None and again.daemon.keys.held.version == platform.state.key_set.version
        assert again.send(again.command(key=new))["result"] == "opened"
        # held from the store: adopted twice before the restart, never again after it (the fetch found it held)
        assert len(again.daemon.store.audit_rows("keyset_adopted")) == 2
    finally:
        again.daemon.stop()


def test_lockd_refuses_garbage_and_foreign_sets_on_the_topic_and_audits_each(
    rooted_site: Site, platform: RunningPlatform
) -> None:
    site = rooted_site
    held_version(site, platform.state.key_set.version)
    site.sender.publish(TOPICS.keyset, b"<html>captive portal</html>", retain=True)
    assert "from mqtt" in audited(site, "keyset_refused", "keyset_unreadable")["detail"]
    impostor, smuggled = SigningKey.generate(), SigningKey.generate()
    foreign = signed_set(platform.state.key_set.version + 100, certified(smuggled), root=impostor)
    site.sender.publish(TOPICS.keyset, json.dumps(foreign), retain=True)
    audited(site, "keyset_refused", "keyset_unknown_root")
    answer = site.send(site.command(key=smuggled))
    assert (answer["result"], answer["reason"]) == ("refused", Reason.UNKNOWN_KEY.code)
    assert site.send(site.command())["result"] == "opened"  # the held set still serves


def test_a_site_without_a_root_key_ignores_the_key_set(site: Site, platform: RunningPlatform) -> None:
    platform.service.add_signing_key()
    site.sender.publish(TOPICS.keyset, json.dumps(platform.state.keyset()), retain=True)
    assert site.daemon.keys.held is None and not site.daemon.keys.rooted
    assert site.daemon.store.audit_rows("keyset_refused") == [] and site.send(site.command())["result"] == "opened"


@pytest.fixture
def rooted_kiosk(qtbot, camera, platform, broker, tmp_path, wall_clock):
    """A running kiosk pinning the demo root key."""
    app = KioskApp(
        rooted(kiosk_config(platform.server.url)),
        camera,
        broker=bus_settings(broker, "lockd", "kiosk-test"),
        data_dir=tmp_path,
        clock=wall_clock,
    )
    running(app)
    qtbot.waitUntil(lambda: app.bus.connected, timeout=10000)
    yield app
    app.stop()
    gc.collect()


def test_the_kiosk_rotates_too(qtbot, rooted_kiosk: KioskApp, platform: RunningPlatform) -> None:
    kiosk, service, keys = rooted_kiosk, platform.service, platform.state.key_set

    def holds(version: int) -> bool:
        held = kiosk.reception.keys.held
        return held is not None and held.version == version

    qtbot.waitUntil(lambda: holds(keys.version), timeout=10000)
    new = keys.key(service.add_signing_key()["key_id"])
    qtbot.waitUntil(lambda: holds(keys.version), timeout=10000)  # announced over MQTT, long before the minute's fetch
    service.sign_with(new.key_id)
    text, _ = platform.state.mint_pass(1001, ALWAYS_OPEN.facility.id)
    assert kiosk.reception.present(text).admitted
    service.revoke_signing_key(PLATFORM_KEY.key_id)
    qtbot.waitUntil(lambda: holds(keys.version), timeout=10000)
    old = kiosk.reception.present(member_pass(ALWAYS_OPEN, member_id=1002, key=PLATFORM_KEY, clock=kiosk.clock))
    assert old.reasons == (Reason.KEY_REVOKED,)
    actions = [row[1] for row in kiosk.store.audit_rows()]
    assert actions.count("keyset_adopted") == 3 and "keyset_refused" not in actions


def test_only_the_platform_may_announce_a_site_s_key_set(client) -> None:  # noqa: F811 (the ACL fixture)
    listener = hears(client("lockd-h1t-shibuya"), TOPICS.keyset)
    for intruder in ("lockd-iioffice-ueno", "watcher", "lockd-h1t-shibuya"):
        client(intruder).publish(TOPICS.keyset, b"forged", timeout=5)
    client("platform").publish(TOPICS.keyset, b"genuine")
    assert listener.get(timeout=5).payload == b"genuine"
    assert listener.empty()
