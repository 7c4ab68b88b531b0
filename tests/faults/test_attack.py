"""Attack: thousands of mutated passes and unlock commands and malformed MQTT payloads.

No crash, no door opened, no check-in admitted, and every refusal names a reason.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable

import pytest

from facility.models import Plan
from facility.reasons import Reason
from facility.tokens import (
    MemberPass,
    SigningKey,
    facility_tag,
    mint,
    new_id,
)
from facility.tokens.encoding import from_text, to_text
from messagebus import Inbound
from tests.kiosk_desk import PLATFORM_KEY, reception
from tests.lockd_site import TOPICS
from tests.rulebook import KAIKATSU, at

RANDOM = random.Random(20261124)
MUTATIONS = 5000


def mutate(text: str, valid_now: Callable) -> str | bytes:
    """One hostile variant of a valid token: flipped bytes, cuts, junk, other keys, old times."""
    raw = bytearray(from_text(text))
    kind = RANDOM.randrange(8)
    if kind == 0:
        raw[RANDOM.randrange(len(raw))] ^= RANDOM.randrange(1, 256)
        return to_text(bytes(raw))
    if kind == 1:
        return text[: RANDOM.randrange(len(text))]
    if kind == 2:
        return text + RANDOM.choice(["A", "00", " ", "\n", "é"])
    if kind == 3:
        return bytes(RANDOM.randrange(256) for _ in range(RANDOM.randrange(1, 400)))
    if kind == 4:
        return "".join(
            RANDOM.choice("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:") for _ in range(RANDOM.randrange(1, 300))
        )
    if kind == 5:
        return valid_now(key=SigningKey.generate())
    if kind == 6:
        return valid_now(age=RANDOM.choice([-3600, 600, 86400]))
    raw[2:6] = bytes(RANDOM.randrange(256) for _ in range(4))  # another key id
    return to_text(bytes(raw))


def test_mutated_passes_admit_no_one(tmp_path) -> None:
    desk = reception(KAIKATSU, tmp_path, at("2026-11-24 10:00"))
    now = desk.clock.now().timestamp()

    def valid_now(key: SigningKey = PLATFORM_KEY, age: float = 0) -> str:
        return mint(
            MemberPass(
                RANDOM.randrange(1, 10**6),
                Plan.CORPORATE,
                new_id(8),
                int(now - age),
                90,
                facility_tag(KAIKATSU.facility.id),
                None,
                "攻撃",
            ),
            key,
        )

    reasons = set()
    for _ in range(MUTATIONS):
        attempt = mutate(valid_now(), valid_now)
        verdict = desk.present(attempt if isinstance(attempt, str) else attempt.decode("latin-1"))
        assert not verdict.admitted, attempt
        assert verdict.reasons and isinstance(verdict.reasons[0], Reason)
        reasons.add(verdict.reasons[0])
    assert desk.store.checkins() == [] and desk.store.outbox() == []
    assert {Reason.BAD_FORMAT, Reason.BAD_SIGNATURE, Reason.UNKNOWN_KEY, Reason.EXPIRED} <= reasons


def test_mutated_commands_open_no_door(site) -> None:
    def valid_now(key: SigningKey = PLATFORM_KEY, age: float = 0, door: str = "booth-a") -> str:
        return site.command(door, key=key, age=age)

    reasons = set()
    for n in range(MUTATIONS):
        door = RANDOM.choice(["booth-a", "booth-b", "meeting-1"])
        payload = mutate(valid_now(door="booth-a"), valid_now)
        if n % 10 == 0:  # a genuine command, shown to another door
            payload, door = valid_now(door="booth-a"), "booth-b"
        data = payload.encode("utf-8", "replace") if isinstance(payload, str) else payload
        message = Inbound(TOPICS.command(door), data, 1, n % 17 == 0, False, None, None, 30, 0.0)
        verdict, _new = site.daemon.handler.decide(door, message)
        assert verdict.answer.result == "refused", verdict.answer
        reasons.add(verdict.answer.reason)
    assert all(len(door.events("relay_on")) == 0 for door in site.doors.values())
    assert site.daemon.store.audit_rows("unlock") == []
    assert {"bad_format", "bad_signature", "unknown_key", "expired", "wrong_door", "retained"} <= reasons


@pytest.mark.parametrize(
    "payload",
    [b"", b"\x00" * 10_000, b"{}", json.dumps({"open": True}).encode(), "開錠".encode(), b"Y" * 299, b"%" * 301],
    ids=["empty", "zeros", "json", "json-open", "kanji", "299", "301"],
)
def test_malformed_payloads_over_the_broker_are_answered_and_refused(site, payload: bytes) -> None:
    answer = site.send(payload)
    assert answer["result"] == "refused" and answer["reason"] in {"bad_format", "too_large"}
    assert site.pulses() == 0
    assert site.send(site.command())["result"] == "opened"  # and the door still works for a real member


def test_replays_of_a_used_command_never_open_again(site) -> None:
    genuine = site.command()
    assert site.send(genuine)["result"] == "opened"
    for n in range(500):
        door = "booth-a" if n % 3 else "booth-b"  # replayed at its own door and shown to another
        message = Inbound(TOPICS.command(door), genuine.encode(), 1, False, False, None, None, 30, 0.0)
        verdict, _ = site.daemon.handler.decide(door, message)
        assert verdict.answer.result == "refused"
        # shown to another door it is refused for that door once; the same bytes again are a replay
        assert verdict.answer.reason == ("wrong_door" if n == 0 else "replayed")
    assert site.pulses() == 1 and len(site.daemon.store.audit_rows("unlock")) == 1
