"""Signed tokens: each refusal of docs/architecture.md's verification order, durable replay ids, and properties."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from pathlib import Path

import base45
import pytest
import qrcode
from hypothesis import given, settings
from hypothesis import strategies as st

from facility.models import Plan
from facility.reasons import Reason
from facility.rules.calendar import TOKYO
from facility.store import MemorySeenIds, SqliteSeenIds, open_database
from facility.tokens import (
    DeskCode,
    Keyring,
    MemberPass,
    Refusal,
    Revocations,
    SigningKey,
    UnlockCommand,
    display_name,
    facility_tag,
    mint,
    mint_pass_v1,
    new_id,
    verify_desk_code,
    verify_member_pass,
    verify_unlock_command,
)
from facility.tokens.encoding import BASE45_CHARACTERS, Malformed, Reader, Writer, from_text, to_text
from facility.topics import DEFAULT_PREFIX, SiteTopics
from simulator.clock import SettableClock

NOW = 1_795_000_000
TOPICS = SiteTopics(DEFAULT_PREFIX, "h1t-shibuya")
OTHER_KEY = SigningKey.generate()


def a_pass(**changes) -> MemberPass:
    """A member pass issued now for 90 s, with any fields changed."""
    fields = {"member_id": 424242, "plan": Plan.CORPORATE, "pass_id": new_id(8), "not_before": NOW, "lifetime": 90}
    return MemberPass(**(fields | changes))


def a_command(door: str = "booth-a", **changes) -> UnlockCommand:
    """An unlock command for a door, issued now for 30 s, signed for that door's topic."""
    fields = {
        "door_id": door,
        "reservation_id": 77,
        "member_id": 424242,
        "issued_at": NOW,
        "lifetime": 30,
        "command_id": new_id(16),
        "topic": TOPICS.command(door),
    }
    return UnlockCommand(**(fields | changes))


def check_command(text: str, keyring: Keyring, door: str = "booth-a", now: float = NOW, **kw):
    """Verify an unlock command as it arrives on a door's own topic."""
    return verify_unlock_command(text, keyring, now, topics=TOPICS, door_id=door, arrived_on=TOPICS.command(door), **kw)


def reason_of(result) -> Reason:
    """The refusal's reason; fails the test if the token was accepted."""
    assert isinstance(result, Refusal), f"accepted: {result}"
    return result.reason


# --- round trips and sizes -------------------------------------------------


def test_member_pass_round_trips_with_every_optional_field(platform_key, keyring) -> None:
    issued = a_pass(
        facility_tag=facility_tag("kaikatsu-ikebukuro"), reservation_id=99, name="山田 太郎", first_visit_at_chain=True
    )
    assert verify_member_pass(mint(issued, platform_key), keyring, NOW, facility_id="kaikatsu-ikebukuro") == issued


def qr_version(text: str) -> int:
    """The smallest QR version that holds text at error correction M, as phones draw passes."""
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M)
    code.add_data(text)
    code.make(fit=True)
    return code.version


def test_pass_text_stays_in_qr_alphanumeric_mode_and_small(platform_key) -> None:
    text = mint(a_pass(), platform_key)
    assert set(text) <= set("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:")
    assert len(text) == 132  # docs/tokens.md gives this size: QR version 6 at error correction M


@pytest.mark.parametrize("family", ["林", "佐藤", "佐々木", "Yamamoto"])
def test_a_pass_for_a_facility_with_the_family_name_is_qr_version_6(platform_key, family: str) -> None:
    issued = a_pass(
        member_id=1_000_001, facility_tag=facility_tag("kaikatsu-ikebukuro"), name=display_name(family + " 葵")
    )
    assert qr_version(mint(issued, platform_key)) == 6
    assert qr_version(mint_pass_v1(dataclasses.replace(issued, name=family + " 葵"), platform_key)) >= 7  # what it was


def test_a_version_1_pass_from_an_older_app_still_verifies(platform_key, keyring) -> None:
    issued = a_pass(facility_tag=facility_tag("kaikatsu-ikebukuro"), reservation_id=99, name="山田 太郎")
    text = mint_pass_v1(issued, platform_key)
    assert from_text(text)[0] == 1 and from_text(mint(issued, platform_key))[0] == 2
    assert verify_member_pass(text, keyring, NOW, facility_id="kaikatsu-ikebukuro") == issued


def test_a_pass_relabelled_as_the_other_version_is_refused(platform_key, keyring) -> None:
    for text, other in ((mint(a_pass(), platform_key), 1), (mint_pass_v1(a_pass(), platform_key), 2)):
        data = bytearray(from_text(text))
        data[0] = other
        assert isinstance(verify_member_pass(to_text(bytes(data)), keyring, NOW), Refusal)


@pytest.mark.parametrize("value", [0, 1, 127, 128, 16_383, 16_384, 1_000_001, 2**63, 2**64 - 1])
def test_varints_round_trip(value: int) -> None:
    data = Writer().varint(value).bytes()
    assert len(data) == max(1, -(-value.bit_length() // 7))
    reader = Reader(data)
    assert reader.varint() == value
    reader.end()


@pytest.mark.parametrize("data", [b"\x80\x00", b"\xff" * 9 + b"\x02", b"\x80" * 11, b"\x80"])
def test_varints_in_a_longer_form_or_too_large_or_cut_are_malformed(data: bytes) -> None:
    with pytest.raises(Malformed):
        Reader(data).varint()


def test_unlock_command_and_desk_code_round_trip(platform_key, keyring) -> None:
    command = a_command()
    assert check_command(mint(command, platform_key), keyring) == command
    code = DeskCode("regus-shinjuku-south", "reception-1", NOW // 10, 10)
    assert verify_desk_code(mint(code, platform_key), keyring, NOW) == code


# --- each refusal, in verification order ----------------------------------


def test_size_cap_is_checked_before_parsing(keyring) -> None:
    assert reason_of(verify_member_pass("Z" * 10_000, keyring, NOW)) is Reason.TOO_LARGE


@pytest.mark.parametrize("text", ["", "hello", "abc", "!!!!", "0" * 10, "OP1:" + "A" * 50, "A\n" * 60])
def test_garbage_is_bad_format(text: str, keyring) -> None:
    assert reason_of(verify_member_pass(text, keyring, NOW)) is Reason.BAD_FORMAT


def test_other_version_and_other_type_are_refused(platform_key, keyring) -> None:
    data = bytearray(from_text(mint(a_pass(), platform_key)))
    data[0] = 3
    assert reason_of(verify_member_pass(to_text(bytes(data)), keyring, NOW)) is Reason.UNSUPPORTED_VERSION
    command = bytearray(from_text(mint(a_command(), platform_key)))
    command[0] = 2  # passes have a version 2; commands do not
    assert reason_of(check_command(to_text(bytes(command)), keyring)) is Reason.UNSUPPORTED_VERSION
    command_text = mint(a_command(), platform_key)
    assert reason_of(verify_member_pass(command_text, keyring, NOW)) is Reason.WRONG_TYPE


def test_unknown_key_and_key_trusted_for_another_purpose(platform_key) -> None:
    text = mint(a_pass(), platform_key)
    assert reason_of(verify_member_pass(text, Keyring(), NOW)) is Reason.UNKNOWN_KEY
    doors_only = Keyring()
    doors_only.trust("platform", platform_key.public_raw, {"unlock_command"})
    assert reason_of(verify_member_pass(text, doors_only, NOW)) is Reason.UNKNOWN_KEY


def test_signature_by_an_untrusted_key_claiming_a_trusted_key_id(platform_key, keyring) -> None:
    forged = bytearray(from_text(mint(a_pass(), OTHER_KEY)))
    forged[2:6] = bytes.fromhex(platform_key.key_id)
    assert reason_of(verify_member_pass(to_text(bytes(forged)), keyring, NOW)) is Reason.BAD_SIGNATURE


@pytest.mark.parametrize(
    ("now", "reason"),
    [
        (NOW - 11, Reason.NOT_YET_VALID),
        (NOW - 10, None),
        (NOW + 100, None),
        (NOW + 101, Reason.EXPIRED),
    ],
)
def test_time_window_with_skew(platform_key, keyring, now: int, reason: Reason | None) -> None:
    result = verify_member_pass(mint(a_pass(), platform_key), keyring, now, skew=10)
    assert (reason_of(result) if reason else None) is reason


def test_skew_is_configurable(platform_key, keyring) -> None:
    text = mint(a_pass(), platform_key)
    assert reason_of(verify_member_pass(text, keyring, NOW - 5, skew=0)) is Reason.NOT_YET_VALID
    assert isinstance(verify_member_pass(text, keyring, NOW - 5, skew=30), MemberPass)


def test_a_pass_claiming_a_long_life_is_refused(platform_key, keyring) -> None:
    text = mint(a_pass(lifetime=3600), platform_key)
    assert reason_of(verify_member_pass(text, keyring, NOW)) is Reason.LIFETIME_TOO_LONG


def test_replayed_pass_is_refused_the_second_time(platform_key, keyring) -> None:
    seen, text = MemorySeenIds(), mint(a_pass(), platform_key)
    assert isinstance(verify_member_pass(text, keyring, NOW, seen=seen), MemberPass)
    assert reason_of(verify_member_pass(text, keyring, NOW + 1, seen=seen)) is Reason.REPLAYED


def test_seen_ids_survive_a_restart(platform_key, keyring, tmp_path: Path) -> None:
    text = mint(a_command(), platform_key)
    first = open_database(tmp_path / "seen.db")
    assert isinstance(check_command(text, keyring, seen=SqliteSeenIds(first)), UnlockCommand)
    first.close()
    reopened = SqliteSeenIds(open_database(tmp_path / "seen.db"))
    assert reason_of(check_command(text, keyring, now=NOW + 5, seen=reopened)) is Reason.REPLAYED


def test_seen_ids_are_kept_past_expiry_then_forgotten(platform_key) -> None:
    elapsed = [0.0]
    seen = MemorySeenIds(monotonic=lambda: elapsed[0])
    assert seen.first_sighting(b"id", keep_until=NOW + 100, now=NOW)
    elapsed[0] = 100
    assert not seen.first_sighting(b"id", keep_until=NOW + 100, now=NOW + 100)
    elapsed[0] = 101
    assert seen.first_sighting(b"id", keep_until=NOW + 300, now=NOW + 101)


def test_seen_ids_outlive_a_wall_clock_stepped_forward_and_back(tmp_path) -> None:
    clock = SettableClock(datetime.fromtimestamp(NOW, TOKYO))
    seen = SqliteSeenIds(open_database(tmp_path / "seen.db"), clock)
    assert seen.first_sighting(b"used", keep_until=NOW + 100, now=NOW)
    clock.step_wall(7200)  # the wall clock jumps two hours; hardly any time has passed
    assert seen.first_sighting(b"other", keep_until=NOW + 7300, now=NOW + 7200)  # prunes what has expired...
    clock.step_wall(-7200)
    assert not seen.first_sighting(b"used", keep_until=NOW + 100, now=NOW + 1)  # ...which "used" had not
    clock.advance(101)  # now it has expired by both clocks
    assert seen.first_sighting(b"later", keep_until=NOW + 400, now=NOW + 102)
    assert seen.first_sighting(b"used", keep_until=NOW + 400, now=NOW + 102)


@pytest.mark.parametrize("kind", ["sqlite", "memory"])
def test_a_used_token_stays_used_when_the_clock_runs_ahead_long_enough_to_forget_it_then_steps_back(
    tmp_path, kind: str
) -> None:
    """Forward (the id forgotten once expired by both clocks: real time passed too), then back into the token's time:
    the id's expiry is behind the horizon of what was forgotten, so it is still seen; a token kept longer is new."""
    clock = SettableClock(datetime.fromtimestamp(NOW, TOKYO))
    seen = (
        SqliteSeenIds(open_database(tmp_path / "seen.db"), clock)
        if kind == "sqlite"
        else MemorySeenIds(monotonic=clock.monotonic)
    )
    assert seen.first_sighting(b"used", keep_until=NOW + 100, now=NOW)
    clock.advance(101)  # real time passes: expired by the monotonic clock
    clock.step_wall(3600)  # and the wall clock runs an hour ahead: a sighting forgets "used"
    assert seen.first_sighting(b"other", keep_until=NOW + 3800, now=NOW + 3701)
    clock.step_wall(-3600)  # back into "used"'s time
    assert not seen.first_sighting(b"used", keep_until=NOW + 100, now=NOW + 90)
    assert seen.first_sighting(b"fresh", keep_until=NOW + 250, now=NOW + 101)  # a token minted now is new


@pytest.mark.parametrize("withdrawn", ["member", "key", "pass"])
def test_revoked_member_key_or_pass(platform_key, keyring, withdrawn: str) -> None:
    revocations = {
        "member": Revocations(member_ids=frozenset({424242})),
        "key": Revocations(key_ids=frozenset({platform_key.key_id})),
        "pass": Revocations(pass_ids=frozenset({b"\x01" * 8})),
    }[withdrawn]
    text = mint(a_pass(pass_id=b"\x01" * 8), platform_key)
    expected = Reason.KEY_REVOKED if withdrawn == "key" else Reason.REVOKED
    assert reason_of(verify_member_pass(text, keyring, NOW, revocations=revocations)) is expected
    assert isinstance(
        verify_member_pass(
            mint(a_pass(member_id=1), platform_key),
            keyring,
            NOW,
            revocations=Revocations(member_ids=frozenset({424242})),
        ),
        MemberPass,
    )


def test_pass_bound_to_another_facility(platform_key, keyring) -> None:
    text = mint(a_pass(facility_tag=facility_tag("regus-shinjuku-south")), platform_key)
    assert reason_of(verify_member_pass(text, keyring, NOW, facility_id="kaikatsu-ikebukuro")) is Reason.WRONG_FACILITY
    assert isinstance(verify_member_pass(text, keyring, NOW, facility_id="regus-shinjuku-south"), MemberPass)


def test_command_for_another_door_is_refused_and_does_not_burn_its_id(platform_key, keyring) -> None:
    seen, text = MemorySeenIds(), mint(a_command("booth-a"), platform_key)
    assert reason_of(check_command(text, keyring, door="booth-b", seen=seen)) is Reason.WRONG_DOOR
    assert isinstance(check_command(text, keyring, door="booth-a", seen=seen), UnlockCommand)


def test_command_arriving_on_another_topic_is_wrong_door(platform_key, keyring) -> None:
    text = mint(a_command("booth-a"), platform_key)
    result = verify_unlock_command(
        text, keyring, NOW, topics=TOPICS, door_id="booth-a", arrived_on=TOPICS.command("booth-b")
    )
    assert reason_of(result) is Reason.WRONG_DOOR


def test_command_signed_for_another_topic_fails_its_signature(platform_key, keyring) -> None:
    signed_elsewhere = dataclasses.replace(
        a_command("booth-a"), topic=SiteTopics(DEFAULT_PREFIX, "other-site").command("booth-a")
    )
    assert reason_of(check_command(mint(signed_elsewhere, platform_key), keyring)) is Reason.BAD_SIGNATURE


def test_command_lifetime_cap_and_expiry(platform_key, keyring) -> None:
    assert reason_of(check_command(mint(a_command(lifetime=600), platform_key), keyring)) is Reason.LIFETIME_TOO_LONG
    assert reason_of(check_command(mint(a_command(), platform_key), keyring, now=NOW + 41)) is Reason.EXPIRED


def test_desk_code_is_accepted_one_period_late_but_not_two(platform_key, keyring) -> None:
    text = mint(DeskCode("regus-shinjuku-south", "reception-1", NOW // 10, 10), platform_key)
    start = (NOW // 10) * 10
    assert isinstance(verify_desk_code(text, keyring, start + 25, skew=5), DeskCode)
    assert reason_of(verify_desk_code(text, keyring, start + 26, skew=5)) is Reason.EXPIRED
    assert reason_of(verify_desk_code(text, keyring, start - 6, skew=5)) is Reason.NOT_YET_VALID


def test_a_pass_carries_the_family_name_shortened_on_a_character_boundary() -> None:
    assert (
        display_name("グエン・ヴァン・アレクサンドラ・山田") == "グエン・ヴァン・アレ"
    )  # no space: 10 characters, 30 bytes
    assert display_name("佐藤 葵") == "佐藤"
    assert display_name("佐々木\u3000陽翔") == "佐々木"  # an ideographic space too
    assert display_name("") == ""
    with pytest.raises(ValueError, match="at most 30"):
        mint(a_pass(name="あ" * 11), OTHER_KEY)


def test_every_reason_has_japanese_and_english_words() -> None:
    for reason in Reason:
        assert reason.ja and reason.en and reason.ja != reason.en
        assert Reason.from_code(reason.code) is reason


# --- properties -------------------------------------------------------------

PASSES = st.builds(
    MemberPass,
    member_id=st.integers(0, 2**64 - 1),
    plan=st.sampled_from(Plan),
    pass_id=st.binary(min_size=8, max_size=8),
    not_before=st.just(NOW),
    lifetime=st.integers(1, 300),
    facility_tag=st.none() | st.binary(min_size=4, max_size=4),
    reservation_id=st.none() | st.integers(0, 2**64 - 1),
    name=st.text(max_size=12).map(display_name),
    first_visit_at_chain=st.booleans(),
)


@settings(max_examples=150, deadline=None)
@given(issued=PASSES)
def test_valid_passes_round_trip(issued: MemberPass, platform_key, keyring) -> None:
    assert verify_member_pass(mint(issued, platform_key), keyring, NOW) == issued
    assert verify_member_pass(mint_pass_v1(issued, platform_key), keyring, NOW) == issued


@settings(max_examples=300, deadline=None)
@given(issued=PASSES, minted=st.sampled_from([mint, mint_pass_v1]), data=st.data())
def test_any_change_of_any_byte_is_refused(
    issued: MemberPass, minted, data: st.DataObject, platform_key, keyring
) -> None:
    raw = bytearray(from_text(minted(issued, platform_key)))
    index = data.draw(st.integers(0, len(raw) - 1))
    raw[index] ^= data.draw(st.integers(1, 255))
    assert isinstance(verify_member_pass(to_text(bytes(raw)), keyring, NOW), Refusal)


@settings(max_examples=300, deadline=None)
@given(issued=PASSES, data=st.data())
def test_any_change_of_any_character_is_refused(issued: MemberPass, data: st.DataObject, platform_key, keyring) -> None:
    text = mint(issued, platform_key)
    index = data.draw(st.integers(0, len(text) - 1))
    replacement = data.draw(st.characters(codec="utf-8").filter(lambda c: c != text[index]))
    assert isinstance(verify_member_pass(text[:index] + replacement + text[index + 1 :], keyring, NOW), Refusal)


@settings(max_examples=200, deadline=None)
@given(issued=PASSES, data=st.data())
def test_any_truncation_is_refused(issued: MemberPass, data: st.DataObject, platform_key, keyring) -> None:
    text = mint(issued, platform_key)
    cut = data.draw(st.integers(0, len(text) - 1))
    assert isinstance(verify_member_pass(text[:cut], keyring, NOW), Refusal)


@settings(max_examples=100, deadline=None)
@given(issued=PASSES)
def test_any_other_key_is_refused(issued: MemberPass, keyring) -> None:
    assert reason_of(verify_member_pass(mint(issued, SigningKey.generate()), keyring, NOW)) is Reason.UNKNOWN_KEY


@settings(max_examples=150, deadline=None)
@given(door=st.sampled_from(["booth-a", "booth-b", "meeting-1"]), data=st.data())
def test_any_change_to_a_command_is_refused(door: str, data: st.DataObject, platform_key, keyring) -> None:
    raw = bytearray(from_text(mint(a_command(door), platform_key)))
    index = data.draw(st.integers(0, len(raw) - 1))
    raw[index] ^= data.draw(st.integers(1, 255))
    assert isinstance(check_command(to_text(bytes(raw)), keyring, door=door), Refusal)


@settings(max_examples=400, deadline=None)
@given(st.binary(min_size=1, max_size=300))
def test_base45_text_decodes_back_to_its_bytes(data: bytes) -> None:
    assert from_text(to_text(data)) == data


@settings(max_examples=600, deadline=None)
@given(st.text(alphabet=BASE45_CHARACTERS + "az\n\x00é", max_size=40))
def test_base45_decoding_agrees_with_the_base45_package_on_any_text(text: str) -> None:
    """The hand-written decoder (lockd's hot path) and the library: the same bytes, or both refuse."""
    try:
        expected: bytes | None = base45.b45decode(text) if text and set(text) <= set(BASE45_CHARACTERS) else None
    except (ValueError, KeyError):
        expected = None
    if expected is None:
        with pytest.raises(Malformed):
            from_text(text)
    else:
        assert from_text(text) == expected


@pytest.mark.parametrize("text", ["GGW", "::", "ZZZZZ", "A", ""])
def test_base45_groups_past_their_range_or_cut_short_are_refused(text: str) -> None:
    """'GGW' is 65,536 (over two bytes), '::' over one byte, a lone character is no group, nothing is no token."""
    with pytest.raises(Malformed):
        from_text(text)
