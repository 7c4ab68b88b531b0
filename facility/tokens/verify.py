"""Verification of signed tokens, in docs/architecture.md's order.

size cap, parse, key id (known, unrevoked, inside its validity), signature, binding (facility or
door), time window, issued after the local store began, replay, revocation. The binding is checked
before the replay record is written, so a command shown to the wrong door does not burn its id for
the right one. The first four steps ("authentic") write nothing, so junk can be turned away cheaply.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import TypeVar

from facility.reasons import Reason
from facility.store import SeenIds
from facility.tokens.encoding import Malformed
from facility.tokens.envelope import (
    TooLarge,
    UnsupportedVersion,
    WrongType,
    open_envelope,
    signed_message,
)
from facility.tokens.formats import DeskCode, MemberPass, UnlockCommand, facility_tag
from facility.tokens.keys import Keyring
from facility.topics import SiteTopics

# Refusals decided before a signature checked out: anyone can make them (a coupon QR, random bytes, a made-up key id),
# so they are audited in aggregate, never one row each (lockd/junk.py, kiosk/reception.py).
UNAUTHENTICATED = frozenset(
    {
        Reason.TOO_LARGE,
        Reason.BAD_FORMAT,
        Reason.UNSUPPORTED_VERSION,
        Reason.WRONG_TYPE,
        Reason.UNKNOWN_KEY,
        Reason.KEY_REVOKED,
        Reason.KEY_NOT_VALID,
        Reason.BAD_SIGNATURE,
    }
)
MAX_PASS_LIFETIME = 300
MAX_COMMAND_LIFETIME = 120
REPLAY_MARGIN = 60

Token = TypeVar("Token", MemberPass, DeskCode, UnlockCommand)


@dataclass(frozen=True)
class Refusal:
    """Why a token was refused; token_id is set once the token could be parsed (for the audit)."""

    reason: Reason
    detail: str = ""
    token_id: str = ""

    def __str__(self) -> str:
        return f"{self.reason.code}: {self.detail}" if self.detail else self.reason.code


@dataclass(frozen=True)
class Revocations:
    """What the platform has withdrawn: signing keys, members and single passes."""

    key_ids: frozenset[str] = field(default_factory=frozenset)
    member_ids: frozenset[int] = field(default_factory=frozenset)
    pass_ids: frozenset[bytes] = field(default_factory=frozenset)
    known: bool = True  # False: no list fetched since the store began (a lost store's revocations are gone too)

    def revokes(self, token: MemberPass | UnlockCommand) -> bool:
        """True when the member, this very token or the key that signed it has been withdrawn (the key is checked
        before the signature too; here again, as the list may be newer by the time the token is decided)."""
        return token.member_id in self.member_ids or token.token_id in self.pass_ids or token.signed_by in self.key_ids


NO_REVOCATIONS = Revocations()
UNKNOWN_REVOCATIONS = Revocations(known=False)  # nothing that a revocation could change is accepted against these


def _parse(
    text: str, kind: type[Token], keyring: Keyring, context_of, now: float, revocations: Revocations = NO_REVOCATIONS
) -> tuple[Token, str] | Refusal:
    """Size cap, parse, key id (known, unrevoked, valid now) and signature; the token and its key id, or a refusal."""
    try:
        envelope = open_envelope(text, kind.TYPE, kind.MAX_CHARS)
        token = kind.parse(envelope.body, envelope.version)
    except TooLarge as exc:
        return Refusal(Reason.TOO_LARGE, str(exc))
    except UnsupportedVersion as exc:
        return Refusal(Reason.UNSUPPORTED_VERSION, str(exc))
    except WrongType as exc:
        return Refusal(Reason.WRONG_TYPE, str(exc))
    except Malformed as exc:
        return Refusal(Reason.BAD_FORMAT, str(exc))
    token = context_of(token)
    trusted = keyring.find(envelope.key_id, kind.TYPE.purpose)
    if trusted is None and envelope.key_id not in keyring.revoked:
        return Refusal(
            Reason.UNKNOWN_KEY, f"key {envelope.key_id} is not trusted for {kind.TYPE.purpose}", token.token_id.hex()
        )
    if envelope.key_id in revocations.key_ids or envelope.key_id in keyring.revoked:
        return Refusal(Reason.KEY_REVOKED, f"key {envelope.key_id} is revoked", token.token_id.hex())
    assert trusted is not None, "a key neither trusted nor revoked was refused above"
    if not trusted.valid_at(now):
        return Refusal(Reason.KEY_NOT_VALID, f"key {envelope.key_id} is not valid at {now:.0f}", token.token_id.hex())
    if not trusted.verifies(envelope.signature, signed_message(kind.TYPE, token.context(), envelope.signed_part)):
        return Refusal(Reason.BAD_SIGNATURE, f"signature does not match key {envelope.key_id}", token.token_id.hex())
    return dataclasses.replace(token, signed_by=envelope.key_id), envelope.key_id


def _time_window(
    token: MemberPass | DeskCode | UnlockCommand, now: float, skew: float, max_lifetime: int
) -> Refusal | None:
    """Refuse tokens outside their validity, allowing skew, and tokens that claim too long a life."""
    if token.expires - token.not_before > max_lifetime:
        return Refusal(
            Reason.LIFETIME_TOO_LONG,
            f"{token.expires - token.not_before} s; at most {max_lifetime} s",
            token.token_id.hex(),
        )
    if now < token.not_before - skew:
        return Refusal(Reason.NOT_YET_VALID, f"valid from {token.not_before}, now {now:.0f}", token.token_id.hex())
    if now > token.expires + skew:
        return Refusal(Reason.EXPIRED, f"expired at {token.expires}, now {now:.0f}", token.token_id.hex())
    return None


def _fresh_and_live(
    token: MemberPass | UnlockCommand,
    now: float,
    skew: float,
    seen: SeenIds | None,
    revocations: Revocations,
    issued_after: float | None,
) -> Refusal | None:
    """Issued after the local replay memory began, judged against known revocations, not seen before, not revoked."""
    if issued_after is not None and token.not_before < issued_after:
        # The replay memory that would have remembered this token's use began later (a lost or new store). Compared
        # to the fraction of a second: a token whose not-before is the store's epoch rounded down may have been used
        # in the same second, before the store began.
        return Refusal(
            Reason.ISSUED_BEFORE_STORE,
            f"issued at {token.not_before}, accepted from {issued_after:.3f}",
            token.token_id.hex(),
        )
    if not revocations.known:  # refused before the replay record: the same token passes once they are known
        return Refusal(
            Reason.REVOCATIONS_UNKNOWN, "no revocation list fetched since this store began", token.token_id.hex()
        )
    if seen is not None and not seen.first_sighting(token.token_id, token.expires + skew + REPLAY_MARGIN, now):
        return Refusal(Reason.REPLAYED, f"id {token.token_id.hex()} was seen before", token.token_id.hex())
    if revocations.revokes(token):
        return Refusal(Reason.REVOKED, f"member {token.member_id} or this token is revoked", token.token_id.hex())
    return None


def verify_member_pass(
    text: str,
    keyring: Keyring,
    now: float,
    *,
    skew: float = 10,
    seen: SeenIds | None = None,
    revocations: Revocations = NO_REVOCATIONS,
    facility_id: str | None = None,
    issued_after: float | None = None,
) -> MemberPass | Refusal:
    """A member pass that is genuine, for this facility, current and unused; else the refusal.

    With a facility_id, an untagged pass is refused: it names no facility, so two facilities could
    each admit it once (docs/tokens.md, 'Untagged passes').
    """
    authentic = authenticate_member_pass(text, keyring, now, revocations=revocations)
    if isinstance(authentic, Refusal):
        return authentic
    return judge_member_pass(
        authentic,
        now,
        skew=skew,
        seen=seen,
        revocations=revocations,
        facility_id=facility_id,
        issued_after=issued_after,
    )


def authenticate_member_pass(
    text: str, keyring: Keyring, now: float, *, revocations: Revocations = NO_REVOCATIONS
) -> MemberPass | Refusal:
    """The first checks, which write nothing: size, parse, key (known, unrevoked, valid) and signature."""
    parsed = _parse(text, MemberPass, keyring, lambda token: token, now, revocations)
    return parsed if isinstance(parsed, Refusal) else parsed[0]


def judge_member_pass(
    member_pass: MemberPass,
    now: float,
    *,
    skew: float = 10,
    seen: SeenIds | None = None,
    revocations: Revocations = NO_REVOCATIONS,
    facility_id: str | None = None,
    issued_after: float | None = None,
) -> MemberPass | Refusal:
    """The checks after authenticity: this facility, current, issued after the store began, unused, not revoked."""
    if facility_id is not None and member_pass.facility_tag is None:
        return Refusal(Reason.NO_FACILITY, "the pass names no facility", member_pass.pass_id.hex())
    if facility_id is not None and member_pass.facility_tag != facility_tag(facility_id):
        return Refusal(Reason.WRONG_FACILITY, "the pass was issued for another facility", member_pass.pass_id.hex())
    return (
        _time_window(member_pass, now, skew, MAX_PASS_LIFETIME)
        or _fresh_and_live(member_pass, now, skew, seen, revocations, issued_after)
        or member_pass
    )


def verify_desk_code(
    text: str, keyring: Keyring, now: float, *, skew: float = 10, steps_back: int = 1
) -> DeskCode | Refusal:
    """A genuine desk code shown now or up to steps_back periods ago (the member may take a moment)."""
    parsed = _parse(text, DeskCode, keyring, lambda token: token, now)
    if isinstance(parsed, Refusal):
        return parsed
    code, _ = parsed
    if now > code.expires + steps_back * code.period + skew:
        return Refusal(Reason.EXPIRED, f"step {code.step} ended at {code.expires}, now {now:.0f}")
    if now < code.not_before - skew:
        return Refusal(Reason.NOT_YET_VALID, f"step {code.step} starts at {code.not_before}, now {now:.0f}")
    return code


def authenticate_unlock_command(
    text: str, keyring: Keyring, now: float, *, topics: SiteTopics, revocations: Revocations = NO_REVOCATIONS
) -> UnlockCommand | Refusal:
    """The first checks, which write nothing: size, parse, key (known, unrevoked, valid) and signature."""
    parsed = _parse(
        text,
        UnlockCommand,
        keyring,
        lambda cmd: dataclasses.replace(cmd, topic=topics.command(cmd.door_id)),
        now,
        revocations,
    )
    return parsed if isinstance(parsed, Refusal) else parsed[0]


def judge_unlock_command(
    command: UnlockCommand,
    now: float,
    *,
    topics: SiteTopics,
    door_id: str,
    arrived_on: str,
    skew: float = 10,
    seen: SeenIds | None = None,
    revocations: Revocations = NO_REVOCATIONS,
    issued_after: float | None = None,
) -> UnlockCommand | Refusal:
    """The checks after authenticity: this door, current, issued after the store began, unused, not revoked."""
    if command.door_id != door_id or arrived_on != topics.command(door_id):
        return Refusal(
            Reason.WRONG_DOOR, f"signed for {command.topic}, arrived on {arrived_on}", command.command_id.hex()
        )
    return (
        _time_window(command, now, skew, MAX_COMMAND_LIFETIME)
        or _fresh_and_live(command, now, skew, seen, revocations, issued_after)
        or command
    )


def verify_unlock_command(
    text: str,
    keyring: Keyring,
    now: float,
    *,
    topics: SiteTopics,
    door_id: str,
    arrived_on: str,
    skew: float = 10,
    seen: SeenIds | None = None,
    revocations: Revocations = NO_REVOCATIONS,
    issued_after: float | None = None,
) -> UnlockCommand | Refusal:
    """An unlock command that is genuine, for this door, current and unused; else the refusal."""
    command = authenticate_unlock_command(text, keyring, now, topics=topics, revocations=revocations)
    if isinstance(command, Refusal):
        return command
    return judge_unlock_command(
        command,
        now,
        topics=topics,
        door_id=door_id,
        arrived_on=arrived_on,
        skew=skew,
        seen=seen,
        revocations=revocations,
        issued_after=issued_after,
    )


def peek(text: str, kind: type[Token]) -> Token | None:
    """What a token claims, UNVERIFIED: only to choose how to verify it (which kiosk's key) or what to
    prepare first (a reservation lockd has not synced yet). Never to decide anything."""
    try:
        envelope = open_envelope(text, kind.TYPE, kind.MAX_CHARS)
        return kind.parse(envelope.body, envelope.version)
    except Malformed:
        return None
