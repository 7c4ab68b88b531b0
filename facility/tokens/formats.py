"""The three signed tokens of docs/architecture.md and their binary bodies.

Member pass (on the phone)    v2: flags and plan, member (varint), pass id, not-before, lifetime,
                              [facility tag], [reservation (varint)], [family name]
                              v1: flags, plan, member, pass id, not-before, lifetime,
                              [facility tag], [reservation], [display name]
Front-desk code (on a kiosk)  facility, kiosk, time step, period
Unlock command (over MQTT)    door, reservation, member, issued-at, lifetime, command id
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass, field

from facility.models import Plan
from facility.tokens.encoding import Malformed, Reader, Writer
from facility.tokens.envelope import TokenType, current_version, seal
from facility.tokens.keys import SigningKey

NAME_MAX_BYTES = 30
ID_MAX_BYTES = 40
_HAS_RESERVATION, _HAS_FACILITY, _FIRST_VISIT, _HAS_NAME = 1, 2, 4, 8
_KNOWN_FLAGS = _HAS_RESERVATION | _HAS_FACILITY | _FIRST_VISIT | _HAS_NAME
_FLAG_BITS = 0x0F  # version 2 keeps the plan in the flags byte's high half


def family_name(name: str) -> str:
    """The family name: the first word, as member records write it (佐藤 葵, also with an ideographic space)."""
    words = name.split()
    return words[0] if words else ""


def display_name(name: str) -> str:
    """What a pass carries of a member's name: the family name, shortened on a character boundary to fit.

    Member records write the family name first (佐藤 葵), so it is the first word; a name without a space is kept
    whole. The kiosk greets members by family name (佐藤 様), and a shorter name keeps the code small."""
    family = family_name(name)
    while len(family.encode("utf-8")) > NAME_MAX_BYTES:
        family = family[:-1]
    return family


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
    signed_by: str = field(default="", compare=False)  # the key that signed it, once verified (not in the body)

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

    def body(self, version: int = current_version(TokenType.MEMBER_PASS)) -> bytes:
        """The binary body in a format version: 2 (current) packs the plan into the flags byte and writes the member
        and reservation as varints; 1 is the older fixed layout."""
        flags = (
            (self.reservation_id is not None) * _HAS_RESERVATION
            | (self.facility_tag is not None) * _HAS_FACILITY
            | self.first_visit_at_chain * _FIRST_VISIT
            | bool(self.name) * _HAS_NAME
        )
        compact = version == 2
        out = Writer().u8(flags | self.plan.wire << 4) if compact else Writer().u8(flags).u8(self.plan.wire)
        (out.varint if compact else out.u64)(self.member_id)
        out.raw(self.pass_id).u32(self.not_before).u16(self.lifetime)
        if self.facility_tag is not None:
            out.raw(self.facility_tag)
        if self.reservation_id is not None:
            (out.varint if compact else out.u64)(self.reservation_id)
        if self.name:
            out.short_text(self.name, NAME_MAX_BYTES)
        return out.bytes()

    @classmethod
    def parse(cls, body: bytes, version: int = current_version(TokenType.MEMBER_PASS)) -> MemberPass:
        """A pass from its body in a format version (1 or 2); raises Malformed."""
        data = Reader(body)
        compact = version == 2
        first = data.u8()
        flags, plan_wire = (first & _FLAG_BITS, first >> 4) if compact else (first, data.u8())
        if flags & ~_KNOWN_FLAGS:
            raise Malformed("unknown flags")
        try:
            plan = Plan.from_wire(plan_wire)
        except ValueError as exc:
            raise Malformed(str(exc)) from None
        integer = data.varint if compact else data.u64
        member_id, pass_id, not_before, lifetime = integer(), data.take(8), data.u32(), data.u16()
        tag = data.take(4) if flags & _HAS_FACILITY else None
        reservation = integer() if flags & _HAS_RESERVATION else None
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
    signed_by: str = field(default="", compare=False)  # the key that signed it, once verified (not in the body)

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
    def parse(cls, body: bytes, version: int = 1) -> DeskCode:
        """A desk code from its body (format version 1, the only one); raises Malformed."""
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
    signed_by: str = field(default="", compare=False)  # the key that signed it, once verified (not in the body)

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
    def parse(cls, body: bytes, version: int = 1) -> UnlockCommand:
        """A command from its body (format version 1, the only one); raises Malformed."""
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
    """Sign a token with key, in its type's current format version; the text goes into a QR code or an MQTT payload."""
    return seal(token.TYPE, key, token.body(), token.context())


def mint_pass_v1(token: MemberPass, key: SigningKey) -> str:
    """A pass in the older version 1 layout, as a phone with an older app still shows (kiosks read both)."""
    return seal(token.TYPE, key, token.body(version=1), token.context(), version=1)
