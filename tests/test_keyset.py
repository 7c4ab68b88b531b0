"""The signed key set (facility/keyset.py): what a site adopts, what it refuses and why, and that none rolls back."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from facility.config import load_config
from facility.errors import ConfigError
from facility.keyset import MAX_KEYSET_BYTES, KeySetRefusal, SiteKeys, canonical_json, sign_keyset
from facility.reasons import Reason
from facility.tokens import SigningKey
from kiosk.reception import Reception
from kiosk.store import KioskStore
from lockd.store import LockdStore
from tests.conftest import CONFIG_DIR
from tests.keyset_helpers import ROOT, certified, rooted, signed_set
from tests.kiosk_desk import PLATFORM_KEY, clock_at, kiosk_store, member_pass
from tests.rulebook import H1T, REGUS, at

TUESDAY = at("2026-11-24 10:00")
NOW = TUESDAY.timestamp()
DAY = 86400
NEW = SigningKey.generate()


def site(tmp_path: Path, cfg=None, clock=None) -> tuple[SiteKeys, list[tuple[str, str, str]]]:
    """A rooted booking site's keys on its own store, with what it audits."""
    audited: list[tuple[str, str, str]] = []
    clock = clock or clock_at(TUESDAY)
    keys = SiteKeys(
        cfg or rooted(H1T), LockdStore(tmp_path / "lockd.db", clock), clock, lambda *row: audited.append(row)
    ).load()
    return keys, audited


def refused(keys: SiteKeys, document: object) -> KeySetRefusal:
    """The reason a set is refused (it must be)."""
    offer = keys.offer(document if isinstance(document, (bytes, str)) else json.dumps(document).encode(), "https")
    assert offer.outcome == "refused" and offer.refusal is not None, offer
    return offer.refusal.reason


def test_a_newer_genuine_set_is_adopted_kept_and_audited(tmp_path) -> None:
    keys, audited = site(tmp_path)
    assert keys.offer(json.dumps(signed_set(2, certified(PLATFORM_KEY), certified(NEW))), "mqtt").outcome == "adopted"
    ring = keys.keyring()
    assert ring.find(NEW.key_id, "unlock_command") and ring.find(PLATFORM_KEY.key_id, "member_pass")
    assert audited == [("keyset_adopted", "", f"key set v2: keys {PLATFORM_KEY.key_id}, {NEW.key_id}; from mqtt")]
    assert keys.offer(json.dumps(signed_set(2, certified(PLATFORM_KEY), certified(NEW))), "https").outcome == "held"
    assert len(audited) == 1  # the same set again (retained, re-fetched) is nothing new


@pytest.mark.parametrize(
    ("document", "reason"),
    [
        (b"<!DOCTYPE html><html><body>Please log in</body></html>", KeySetRefusal.UNREADABLE),
        (b"[]", KeySetRefusal.UNREADABLE),
        (b"", KeySetRefusal.UNREADABLE),
        (b"{}", KeySetRefusal.UNREADABLE),
        (b'{"keyset": {}, "signed_by": 7, "signature": "x"}', KeySetRefusal.UNREADABLE),
        (b"\xff\xfe", KeySetRefusal.UNREADABLE),
        (b"[" * 100_000, KeySetRefusal.TOO_LARGE),
    ],
    ids=["html", "empty list", "nothing", "empty object", "wrong types", "not utf-8", "too large"],
)
def test_garbage_is_refused_as_unreadable(tmp_path, document, reason) -> None:
    keys, audited = site(tmp_path)
    assert refused(keys, document) is reason
    assert audited[0][:2] == ("keyset_refused", reason.code) and keys.held is None


def test_a_set_signed_by_another_key_is_refused_whoever_it_claims_to_be(tmp_path) -> None:
    keys, audited = site(tmp_path)
    impostor = SigningKey.generate()
    assert refused(keys, signed_set(5, certified(NEW), root=impostor)) is KeySetRefusal.UNKNOWN_ROOT
    forged = signed_set(5, certified(NEW), root=impostor) | {"signed_by": ROOT.key_id}  # claims the pinned root
    assert refused(keys, forged) is KeySetRefusal.BAD_SIGNATURE
    genuine = signed_set(5, certified(PLATFORM_KEY))
    tampered = genuine | {"keyset": genuine["keyset"] | {"keys": [certified(NEW).model_dump(mode="json")]}}
    assert refused(keys, tampered) is KeySetRefusal.BAD_SIGNATURE  # a key slipped into a genuine set
    assert keys.held is None and not keys.keyring().find(NEW.key_id, "unlock_command")
    # The second bad signature within the minute is counted, and audited with its count at the stop.
    assert [row[1] for row in audited] == ["keyset_unknown_root", "keyset_bad_signature"]
    keys.write_tally()
    assert audited[-1][:2] == ("keyset_refused", "keyset_bad_signature") and audited[-1][2].startswith("1 more")


def test_an_older_set_is_refused_also_after_a_restart(tmp_path) -> None:
    keys, _ = site(tmp_path)
    old = signed_set(3, certified(PLATFORM_KEY))
    assert keys.offer(json.dumps(old), "https").outcome == "adopted"
    assert (
        keys.offer(json.dumps(signed_set(4, certified(NEW), revoked=(PLATFORM_KEY.key_id,))), "https").outcome
        == "adopted"
    )
    assert refused(keys, old) is KeySetRefusal.ROLLBACK
    keys.store.close()
    again, audited_again = site(tmp_path)  # the same store: the held set comes back, checked again
    assert again.held is not None and again.held.version == 4
    assert refused(again, old) is KeySetRefusal.ROLLBACK
    assert again.keyring().find(NEW.key_id, "unlock_command") and PLATFORM_KEY.key_id in again.keyring().revoked
    assert audited_again[-1][:2] == ("keyset_refused", "keyset_rollback")


def test_a_fetch_overtaken_by_an_announced_set_is_dropped_not_refused(tmp_path) -> None:
    keys, audited = site(tmp_path)
    first = signed_set(2, certified(PLATFORM_KEY))
    keys.offer(json.dumps(first), "https")
    asked = keys.held_digest  # a fetch asks the platform, which answers v2 ...
    keys.offer(json.dumps(signed_set(3, certified(PLATFORM_KEY), certified(NEW))), "mqtt")  # ... while v3 is announced
    assert keys.offer(json.dumps(first), "https", asked).outcome == "stale"
    assert [row[0] for row in audited] == ["keyset_adopted", "keyset_adopted"]
    assert (
        keys.offer(json.dumps(first), "https", keys.held_digest).refusal.reason is KeySetRefusal.ROLLBACK
    )  # not in flight


def test_the_same_version_with_other_contents_is_refused(tmp_path) -> None:
    keys, _ = site(tmp_path)
    assert keys.offer(json.dumps(signed_set(7, certified(PLATFORM_KEY))), "https").outcome == "adopted"
    assert refused(keys, signed_set(7, certified(NEW))) is KeySetRefusal.CONFLICT
    assert keys.held is not None and [k.key_id for k in keys.held.content.keys] == [PLATFORM_KEY.key_id]


@pytest.mark.parametrize(
    ("not_before", "not_after"), [(NOW - 30 * DAY, NOW - DAY), (NOW + DAY, None)], ids=["all expired", "none begun"]
)
def test_a_set_with_no_key_valid_now_is_refused(tmp_path, not_before, not_after) -> None:
    keys, audited = site(tmp_path)
    document = signed_set(2, certified(NEW, not_before, not_after), certified(PLATFORM_KEY, not_before, not_after))
    assert refused(keys, document) is KeySetRefusal.NO_CURRENT_KEY
    assert keys.held is None and "check this site's clock" in audited[0][2]


def test_a_signed_set_that_contradicts_itself_is_refused(tmp_path) -> None:
    keys, _ = site(tmp_path)
    mislabelled = certified(NEW).model_copy(update={"key_id": PLATFORM_KEY.key_id})
    assert refused(keys, signed_set(2, mislabelled)) is KeySetRefusal.INCONSISTENT
    assert refused(keys, signed_set(2, certified(NEW), revoked=(NEW.key_id,))) is KeySetRefusal.INCONSISTENT
    assert refused(keys, signed_set(2, certified(NEW), certified(NEW))) is KeySetRefusal.INCONSISTENT
    backwards = signed_set(2, certified(NEW, NOW - DAY, NOW + DAY))["keyset"]
    backwards["keys"][0]["not_after"] = int(NOW - 2 * DAY)  # ends before it begins
    assert refused(keys, sign_keyset(backwards, ROOT)) is KeySetRefusal.INCONSISTENT
    later_format = sign_keyset(signed_set(2, certified(NEW))["keyset"] | {"format": 2}, ROOT)
    assert refused(keys, later_format) is KeySetRefusal.INCONSISTENT  # genuine, but not a format read here


def test_a_stepped_clock_neither_brings_an_old_set_back_nor_blocks_a_new_one(tmp_path) -> None:
    clock = clock_at(TUESDAY)
    desk = Reception(rooted(REGUS), kiosk_store(tmp_path / "kiosk.db", clock), clock)
    short = certified(NEW, NOW - DAY, NOW + DAY)
    assert desk.keys.offer(json.dumps(signed_set(10, short, issued_at=NOW)), "https").outcome == "adopted"
    clock.shift(-365 * DAY)  # a year back: the versions decide, not the clocks
    assert (
        refused(desk.keys, signed_set(9, certified(PLATFORM_KEY), issued_at=NOW - 400 * DAY)) is KeySetRefusal.ROLLBACK
    )
    clock.shift(365 * DAY + 2 * DAY)  # two days on: NEW's window is over, and the held set stays held
    assert desk.present(member_pass(REGUS, key=NEW, at=clock.now().timestamp())).reasons == (Reason.KEY_NOT_VALID,)
    assert refused(desk.keys, signed_set(11, short)) is KeySetRefusal.NO_CURRENT_KEY
    renewed = certified(NEW, NOW, NOW + 30 * DAY)
    assert desk.keys.offer(json.dumps(signed_set(11, renewed)), "https").outcome == "adopted"
    assert desk.present(member_pass(REGUS, key=NEW, at=clock.now().timestamp())).admitted


def test_a_refused_set_is_audited_once_and_a_flood_of_them_in_aggregate(tmp_path, caplog) -> None:
    keys, audited = site(tmp_path)
    caplog.set_level(logging.WARNING, "facility.keyset")
    for _ in range(3):
        refused(keys, b"[]")
    assert len([r for r in caplog.records if "keyset_unreadable" in r.getMessage()]) == 1
    assert len(audited) == 1
    for n in range(600):  # whoever may publish a key set sends 600 different ones within the minute
        refused(keys, f"<html>{n}".encode())
    assert len(audited) == 1 and len(caplog.records) == 1  # counted, not one row (or log line) each
    keys.clock.shift(3600)  # type: ignore[attr-defined]  # a wall clock stepped on does not open the gate
    refused(keys, b"<html>after a clock step")
    assert len(audited) == 1
    keys.clock.lapse(61)  # type: ignore[attr-defined]  # a minute really passes
    refused(keys, b"<html>after the minute")
    assert len(audited) == 2 and audited[-1][2].endswith("601 more refused before it")
    refused(keys, b"<html>once more")
    keys.write_tally()  # at a stop, the rest: no count is lost
    assert len(audited) == 3 and audited[-1][2].startswith("1 more key set(s) refused")


def test_revoking_the_only_pinned_key_leaves_the_doors_to_the_certified_one(tmp_path) -> None:
    cfg = rooted(REGUS)
    assert [key.key_id for key in cfg.tokens.trusted_keys] == [PLATFORM_KEY.key_id]  # the only pinned key
    clock = clock_at(TUESDAY)
    desk = Reception(cfg, kiosk_store(tmp_path / "kiosk.db", clock), clock)
    assert (
        desk.keys.offer(json.dumps(signed_set(2, certified(NEW), revoked=(PLATFORM_KEY.key_id,))), "https").outcome
        == "adopted"
    )
    assert desk.present(member_pass(cfg, key=PLATFORM_KEY, at=clock.now().timestamp())).reasons == (Reason.KEY_REVOKED,)
    assert desk.present(member_pass(cfg, key=NEW, at=clock.now().timestamp())).admitted
    assert [row[1] for row in desk.store.audit_rows()][:2] == ["keyset_adopted", "refused"]


def test_a_site_without_a_root_behaves_as_before(tmp_path) -> None:
    clock = clock_at(TUESDAY)
    desk = Reception(REGUS, kiosk_store(tmp_path / "kiosk.db", clock), clock)
    assert not desk.keys.rooted
    offer = desk.keys.offer(json.dumps(signed_set(2, certified(NEW))), "https")
    assert offer.outcome == "refused" and not desk.keyring().find(NEW.key_id, "member_pass")
    assert desk.present(member_pass(REGUS, at=clock.now().timestamp())).admitted


def test_a_certified_demo_key_is_not_trusted_off_loopback(tmp_path) -> None:
    cfg = rooted(REGUS)
    elsewhere = cfg.model_copy(
        update={
            "platform": REGUS.platform.model_copy(update={"base_url": "https://platform.example.jp/v1"}),
            "tokens": cfg.tokens.model_copy(update={"trusted_keys": []}),
        }
    )  # root only
    keys, _ = site(tmp_path, cfg=elsewhere)
    assert keys.offer(json.dumps(signed_set(2, certified(PLATFORM_KEY), certified(NEW))), "https").outcome == "adopted"
    assert keys.keyring().find(NEW.key_id, "member_pass") and not keys.keyring().find(
        PLATFORM_KEY.key_id, "member_pass"
    )


def test_a_held_set_the_root_no_longer_signs_is_set_aside_at_start(tmp_path) -> None:
    keys, _ = site(tmp_path)
    keys.offer(json.dumps(signed_set(2, certified(NEW))), "https")
    keys.store.close()
    other_root = SigningKey.generate()
    again, audited = site(tmp_path, cfg=rooted(H1T, other_root))  # the file now pins another root
    assert again.held is None and not again.keyring().find(NEW.key_id, "unlock_command")
    assert audited[0][:2] == ("keyset_refused", "keyset_unknown_root") and "held set" in audited[0][2]


def test_the_canonical_bytes_are_sorted_compact_utf8() -> None:
    assert canonical_json({"b": [1, "é"], "a": {"d": None, "c": 2}}) == '{"a":{"c":2,"d":null},"b":[1,"é"]}'.encode()


def test_a_root_key_in_the_facility_file_is_checked(tmp_path) -> None:
    text = (CONFIG_DIR / "h1t-shibuya.toml").read_text()
    pinned = text[text.index("[[tokens.trusted_keys]]") : text.index("\n[lockd]")]
    root = f'[[tokens.root_keys]]\nname = "root"\npublic_key = "{ROOT.public_b64}"\nkey_id = "{ROOT.key_id}"\n'

    def written(name: str, body: str) -> Path:
        (tmp_path / name).write_text(body)
        return tmp_path / name

    assert load_config(written("ok.toml", text.replace(pinned, root))).tokens.trusted_keys == []  # the root alone
    with pytest.raises(ConfigError, match=r"root_keys\.0\.key_id"):
        load_config(written("id.toml", text.replace(pinned, pinned + root.replace(ROOT.key_id, "00000000"))))
    as_token_key = f'[[tokens.root_keys]]\nname = "root"\npublic_key = "{PLATFORM_KEY.public_b64}"\n'
    with pytest.raises(ConfigError, match="signs key sets only"):
        load_config(written("both.toml", text.replace(pinned, pinned + as_token_key)))
    with pytest.raises(ConfigError, match="no key is trusted"):
        load_config(written("none.toml", text.replace(pinned, "[tokens]\nclock_skew_seconds = 10\n")))
    off_loopback = text.replace(pinned, root).replace("http://127.0.0.1:8710/v1", "https://platform.example.jp/v1")
    with pytest.raises(ConfigError, match="public demo key a7f0d538"):  # the demo root is for loopback sites only
        load_config(written("demo-root.toml", off_loopback))


def test_a_set_larger_than_the_cap_is_refused_before_it_is_parsed(tmp_path) -> None:
    keys, _ = site(tmp_path)
    assert refused(keys, b" " * (MAX_KEYSET_BYTES + 1)) is KeySetRefusal.TOO_LARGE


PUBLISHED = [
    {"key_id": key.key_id, "public_key": key.public_b64, "purposes": ["member_pass", "unlock_command"]}
    for key in (PLATFORM_KEY, NEW)
]


def published_site(tmp_path: Path, cfg, published_for: str | None) -> SiteKeys:
    """A site's keys on a store holding the platform's published keys, as the trust refresh keeps them."""
    clock = clock_at(TUESDAY)
    store = KioskStore(tmp_path / f"{published_for}.db", clock)
    store.cache("keys", PUBLISHED)
    return SiteKeys(cfg, store, clock, published_for=published_for).load()


def test_published_keys_count_only_for_the_purpose_a_program_asks_and_where_the_facility_allows(tmp_path) -> None:
    desk = published_site(tmp_path, REGUS, "member_pass").keyring()
    assert desk.find(NEW.key_id, "member_pass") and not desk.find(NEW.key_id, "unlock_command")
    assert not published_site(tmp_path, REGUS, None).keyring().find(NEW.key_id, "member_pass")  # lockd's way
    pinned_only = REGUS.model_copy(update={"tokens": REGUS.tokens.model_copy(update={"fetch_platform_keys": False})})
    assert not published_site(tmp_path / "pinned", pinned_only, "member_pass").keyring().find(NEW.key_id, "member_pass")
    rooted_site = published_site(tmp_path / "rooted", rooted(REGUS), "member_pass")
    assert not rooted_site.keyring().find(NEW.key_id, "member_pass")  # with a root, only certified keys


def test_a_published_demo_key_is_not_trusted_off_loopback(tmp_path) -> None:
    elsewhere = REGUS.model_copy(
        update={
            "platform": REGUS.platform.model_copy(update={"base_url": "https://platform.example.jp/v1"}),
            "tokens": REGUS.tokens.model_copy(update={"trusted_keys": []}),
        }
    )
    ring = published_site(tmp_path, elsewhere, "member_pass").keyring()
    assert ring.find(NEW.key_id, "member_pass") and not ring.find(PLATFORM_KEY.key_id, "member_pass")
    here = published_site(tmp_path / "here", REGUS, "member_pass").keyring()
    assert here.find(PLATFORM_KEY.key_id, "member_pass")


def test_the_kiosk_trusts_what_its_site_keys_say(tmp_path) -> None:
    clock = clock_at(TUESDAY)
    desk = Reception(REGUS, kiosk_store(tmp_path / "kiosk.db", clock), clock)
    desk.store.cache("keys", PUBLISHED)
    assert desk.keys.published_for == "member_pass"
    assert desk.keyring().keys.keys() == desk.keys.keyring().keys.keys() == {PLATFORM_KEY.key_id, NEW.key_id}


def test_a_set_that_lists_a_root_for_tokens_is_refused_and_the_root_signs_no_command(tmp_path) -> None:
    keys, audited = site(tmp_path)
    for listed in ([certified(ROOT)], [certified(PLATFORM_KEY), certified(ROOT, purposes=["unlock_command"])]):
        assert refused(keys, signed_set(7, *listed)) is KeySetRefusal.INCONSISTENT
    assert keys.held is None and not keys.keyring().find(ROOT.key_id, "unlock_command")
    assert "a root signs key sets only" in audited[0][2]
    assert keys.offer(json.dumps(signed_set(8, certified(PLATFORM_KEY))), "https").outcome == "adopted"  # not stuck
