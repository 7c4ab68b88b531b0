"""The three signed tokens of docs/architecture.md and their binary bodies.

Member pass (on the phone)    flags, plan, member, pass id, not-before, lifetime,
                              [facility tag], [reservation], [display name]
Front-desk code (on a kiosk)  facility, kiosk, time step, period
Unlock command (over MQTT)    door, reservation, member, issued-at, lifetime, command id
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from facility.models import Plan
from facility.tokens.encoding import Malformed, Reader, Writer
from facility.tokens.envelope import TokenType, seal
from facility.tokens.keys import SigningKey

NAME_MAX_BYTES = 30
ID_MAX_BYTES = 40
_HAS_RESERVATION, _HAS_FACILITY, _FIRST_VISIT, _HAS_NAME = 1, 2, 4, 8
_KNOWN_FLAGS = _HAS_RESERVATION | _HAS_FACILITY | _FIRST_VISIT | _HAS_NAME


def display_name(name: str) -> str:
    """The member's name shortened, on a character boundary, to what a pass can carry."""
    while len(name.encode("utf-8")) > NAME_MAX_BYTES:
        name = name[:-1]
    return name


def facility_tag(facility_id: str) -> bytes:
    """The 4 bytes that bind a pass to one facility without spelling its id out."""
    return hashlib.sha256(facility_id.encode()).digest()[:4]


@dataclass(frozen=True)
class MemberPass:
    """The pass a member's phone shows: who, on which plan, for one or two minutes."""

    member_id: int
    plan: Plan
    pass_id: bytes
    not_before: int
    lifetime: int
    facility_tag: bytes | None = None
    reservation_id: int | None = None
    name: str = ""
    first_visit_at_chain: bool = False

    TYPE = TokenType.MEMBER_PASS
    MAX_CHARS = 300

    @property
    def token_id(self) -> bytes:
        """The id a replay check remembers."""
        return self.pass_id

    @property
    def expires(self) -> int:
        """Last second of validity (before skew)."""
        return self.not_before + self.lifetime

    def body(self) -> bytes:
        """The binary body."""
        flags = ((self.reservation_id is not None) * _HAS_RESERVATION | (self.facility_tag is not None) * _HAS_FACILITY
                 | self.first_visit_at_chain * _FIRST_VISIT | bool(self.name) * _HAS_NAME)
        out = Writer().u8(flags).u8(self.plan.wire).u64(self.member_id).raw(self.pass_id)
        out.u32(self.not_before).u16(self.lifetime)
        if self.facility_tag is not None:
            out.raw(self.facility_tag)
        if self.reservation_id is not None:
            out.u64(self.reservation_id)
        if self.name:
            out.short_text(self.name, NAME_MAX_BYTES)
        return out.bytes()

    @classmethod
    def parse(cls, body: bytes) -> MemberPass:
        """A pass from its body; raises Malformed."""
        data = Reader(body)
        flags = data.u8()
        if flags & ~_KNOWN_FLAGS:
            raise Malformed("unknown flags")
        try:
            plan = Plan.from_wire(data.u8())
        except ValueError as exc:
            raise Malformed(str(exc)) from None
        member_id, pass_id, not_before, lifetime = data.u64(), data.take(8), data.u32(), data.u16()
        tag = data.take(4) if flags & _HAS_FACILITY else None
        reservation = data.u64() if flags & _HAS_RESERVATION else None
        name = data.short_text(NAME_MAX_BYTES) if flags & _HAS_NAME else ""
        data.end()
        return cls(member_id, plan, pass_id, not_before, lifetime, tag, reservation, name, bool(flags & _FIRST_VISIT))

    def context(self) -> bytes:
        """A pass is not bound to a topic."""
        return b""


@dataclass(frozen=True)
class DeskCode:
    """The rotating code a kiosk shows at the front desk."""

    facility_id: str
    kiosk_id: str
    step: int
    period: int

    TYPE = TokenType.DESK_CODE
    MAX_CHARS = 300

    @property
    def token_id(self) -> bytes:
        """Desk codes are shown to many members: they are not single-use."""
        return b""

    @property
    def not_before(self) -> int:
        """First second this step is shown."""
        return self.step * self.period

    @property
    def expires(self) -> int:
        """Last second this step is shown."""
        return (self.step + 1) * self.period

    def body(self) -> bytes:
        """The binary body."""
        out = Writer().short_text(self.facility_id, ID_MAX_BYTES).short_text(self.kiosk_id, ID_MAX_BYTES)
        return out.u32(self.step).u8(self.period).bytes()

    @classmethod
    def parse(cls, body: bytes) -> DeskCode:
        """A desk code from its body; raises Malformed."""
        data = Reader(body)
        code = cls(data.short_text(ID_MAX_BYTES), data.short_text(ID_MAX_BYTES), data.u32(), data.u8())
        data.end()
        if code.period == 0:
            raise Malformed("period is zero")
        return code

    def context(self) -> bytes:
        """A desk code is not bound to a topic."""
        return b""


@dataclass(frozen=True)
class UnlockCommand:
    """An order to open one door for one reservation, valid for seconds."""

    door_id: str
    reservation_id: int
    member_id: int
    issued_at: int
    lifetime: int
    command_id: bytes
    topic: str = ""

    TYPE = TokenType.UNLOCK_COMMAND
    MAX_CHARS = 300

    @property
    def token_id(self) -> bytes:
        """The id a replay check remembers."""
        return self.command_id

    @property
    def not_before(self) -> int:
        """A command is valid from when it was issued."""
        return self.issued_at

    @property
    def expires(self) -> int:
        """Last second of validity (before skew)."""
        return self.issued_at + self.lifetime

    def body(self) -> bytes:
        """The binary body (the topic travels as the signature's context, not in the body)."""
        out = Writer().short_text(self.door_id, ID_MAX_BYTES).u64(self.reservation_id).u64(self.member_id)
        return out.u32(self.issued_at).u16(self.lifetime).raw(self.command_id).bytes()

    @classmethod
    def parse(cls, body: bytes) -> UnlockCommand:
        """A command from its body; raises Malformed."""
        data = Reader(body)
        door, reservation, member = data.short_text(ID_MAX_BYTES), data.u64(), data.u64()
        command = cls(door, reservation, member, data.u32(), data.u16(), data.take(16))
        data.end()
        return command

    def context(self) -> bytes:
        """The topic the command was signed for."""
        return self.topic.encode()


def new_id(size: int) -> bytes:
    """A random token id."""
    return secrets.token_bytes(size)


def mint(token: MemberPass | DeskCode | UnlockCommand, key: SigningKey) -> str:
    """Sign a token with key; the text goes into a QR code or an MQTT payload."""
    return seal(token.TYPE, key, token.body(), token.context())
