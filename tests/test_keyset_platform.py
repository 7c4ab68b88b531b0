"""The stand-in platform's key set and its rotation over HTTP, fetched by a site's trust loop, and checked by doctor."""

from __future__ import annotations

import requests

from facility.keyset import SiteKeys
from facility.platform import PlatformClient
from facility.tokens import SigningKey
from facility.trustcache import TrustRefresh
from lockd.store import LockdStore
from technician.doctor import Findings, check_platform
from technician.doctor_local import check_demo_secrets
from tests.keyset_helpers import ROOT, rooted
from tests.rulebook import H1T


def site_keys(cfg, tmp_path, clock) -> tuple[SiteKeys, list[tuple[str, str, str]]]:
    """A rooted site's keys on its own store, with what it audits."""
    audited: list[tuple[str, str, str]] = []
    return SiteKeys(
        cfg, LockdStore(tmp_path / "lockd.db", clock), clock, lambda *row: audited.append(row)
    ).load(), audited


def test_the_platform_serves_a_set_that_checks_out_and_refuses_garbage_over_https(offline_platform, tmp_path) -> None:
    clock = offline_platform.state.clock
    cfg = rooted(H1T).model_copy(
        update={
            "platform": H1T.platform.model_copy(update={"base_url": offline_platform.server.url, "timeout_seconds": 1})
        }
    )
    keys, audited = site_keys(cfg, tmp_path, clock)
    refresh = TrustRefresh(PlatformClient(cfg.platform), keys.store, clock, fetch_keys=True, keyset=keys)
    assert refresh.refresh() and keys.held is not None
    assert keys.held.version == offline_platform.state.key_set.version and refresh.fetch_keys is False
    for fault, reason in (("html", "keyset_unreadable"), ("not_an_object", "keyset_unreadable")):
        requests.put(
            f"{offline_platform.server.url}/_sim/faults", json={"mode": fault, "path": "/v1/keyset"}, timeout=5
        )
        assert not refresh.refresh() and reason in refresh.problem()
        assert audited[-1][:2] == ("keyset_refused", reason)
    requests.put(
        f"{offline_platform.server.url}/_sim/faults", json={"mode": "error_500", "path": "/v1/keyset"}, timeout=5
    )
    before = len(audited)
    assert not refresh.refresh() and "500" in refresh.problem() and len(audited) == before  # a failed fetch, not a set
    requests.put(f"{offline_platform.server.url}/_sim/faults", json={"mode": "none"}, timeout=5)
    assert refresh.refresh() and refresh.problem() == "" and keys.held.version == offline_platform.state.key_set.version


def test_the_stand_in_rotates_its_keys_step_by_step_over_http(offline_platform) -> None:
    url = f"{offline_platform.server.url}/_sim/keys"
    start = requests.get(url, timeout=5).json()
    old = start["signing_key_id"]
    added = requests.post(url, json={"action": "add_key"}, timeout=5).json()
    assert added["version"] == start["version"] + 1 and added["signing_key_id"] == old  # certified, not yet signing
    new = added["key_id"]
    assert requests.post(url, json={"action": "revoke_key", "key_id": old}, timeout=5).status_code == 409  # still signs
    assert requests.post(url, json={"action": "sign_with", "key_id": new}, timeout=5).json()["signing_key_id"] == new
    revoked = requests.post(url, json={"action": "revoke_key", "key_id": old}, timeout=5).json()
    assert revoked["version"] == start["version"] + 2 and revoked["revoked"] == [old]
    assert [k["key_id"] for k in revoked["keys"]] == [new]
    served = requests.get(f"{offline_platform.server.url}/keyset", timeout=5).json()
    assert served["keyset"]["version"] == revoked["version"] and served["signed_by"] == ROOT.key_id
    assert old in requests.get(f"{offline_platform.server.url}/revocations", timeout=5).json()["key_ids"]
    assert requests.post(url, json={"action": "spin"}, timeout=5).status_code == 422
    assert requests.post(url, json={"action": "sign_with", "key_id": "12345678"}, timeout=5).status_code == 409


def test_doctor_checks_a_rooted_site_s_key_set(offline_platform) -> None:
    cfg = rooted(H1T).model_copy(
        update={
            "platform": H1T.platform.model_copy(update={"base_url": offline_platform.server.url, "timeout_seconds": 1})
        }
    )
    found = Findings()
    check_platform(cfg, found)
    assert found.failures == 0 and any(f"is signed by root {ROOT.key_id}" in line for line in found.lines)
    found = Findings()
    check_platform(rooted(cfg, SigningKey.generate()), found)
    assert found.failures == 1 and any("would be refused here: keyset_unknown_root" in line for line in found.lines)
    found = Findings()
    check_demo_secrets(
        cfg.model_copy(
            update={
                "platform": cfg.platform.model_copy(update={"base_url": "https://p.example/v1"}),
                "mqtt": cfg.mqtt_settings.model_copy(update={"host": "b.example", "tls": True}),
            }
        ),
        found,
    )
    assert any(f"is the demo root key {ROOT.key_id}" in line for line in found.lines if line.startswith("FAIL"))
