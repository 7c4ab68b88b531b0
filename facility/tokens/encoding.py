"""The wire form of tokens: a fixed binary layout, written out in Base45 (RFC 9285).

Base45 uses only QR alphanumeric characters, so a pass fits a small QR version.
"""

from __future__ import annotations

import struct

import base45

BASE45_CHARACTERS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"
_NOT_BASE45 = 0xFF
# Each byte of ASCII text to its Base45 value (0 to 44), anything else to _NOT_BASE45: bytes.translate does it in C.
_BASE45_VALUES = bytes(BASE45_CHARACTERS.find(chr(code)) % 256 for code in range(256))


class Malformed(ValueError):
    """The bytes do not follow the layout."""


def to_text(data: bytes) -> str:
    """Base45 text of data."""
    return base45.b45encode(data).decode("ascii")


def from_text(text: str) -> bytes:
    """Bytes of Base45 text; refuses any character outside the alphabet (no case folding, no newlines).

    RFC 9285 as the base45 package decodes it (tests/test_tokens.py holds the two equal), at a fifth of its cost:
    lockd decodes every command it hears, junk included, so the character loop runs in C here."""
    if not text or not text.isascii():
        raise Malformed("not Base45 text")
    values = text.encode("ascii").translate(_BASE45_VALUES)
    groups, rest = divmod(len(values), 3)
    if _NOT_BASE45 in values or rest == 1:
        raise Malformed("not Base45 text")
    end = 3 * groups
    pairs = [
        low + 45 * mid + 2025 * high
        for low, mid, high in zip(values[0:end:3], values[1:end:3], values[2:end:3], strict=True)
    ]
    if pairs and max(pairs) > 0xFFFF:
        raise Malformed("not Base45 text")
    decoded = struct.pack(f">{groups}H", *pairs)
    if rest:
        last = values[end] + 45 * values[end + 1]
        if last > 0xFF:
            raise Malformed("not Base45 text")
        decoded += bytes((last,))
    return decoded


class Writer:
    """Appends fixed-size and length-prefixed fields."""

    def __init__(self) -> None:
        self.parts: list[bytes] = []

    def u8(self, value: int) -> Writer:
        """An unsigned byte."""
        self.parts.append(struct.pack(">B", value))
        return self

    def u16(self, value: int) -> Writer:
        """A big-endian 16-bit unsigned integer."""
        self.parts.append(struct.pack(">H", value))
        return self

    def u32(self, value: int) -> Writer:
        """A big-endian 32-bit unsigned integer."""
        self.parts.append(struct.pack(">I", value))
        return self

    def u64(self, value: int) -> Writer:
        """A big-endian 64-bit unsigned integer."""
        self.parts.append(struct.pack(">Q", value))
        return self

    def varint(self, value: int) -> Writer:
        """An unsigned integer below 2**64 in LEB128: 7 bits a byte, so small numbers take few bytes."""
        if not 0 <= value < 2**64:
            raise ValueError(f"{value} does not fit 64 bits")
        out = bytearray()
        while value >= 0x80:
            out.append(value & 0x7F | 0x80)
            value >>= 7
        out.append(value)
        self.parts.append(bytes(out))
        return self

    def raw(self, value: bytes) -> Writer:
        """Bytes as they are."""
        self.parts.append(value)
        return self

    def short_text(self, value: str, limit: int) -> Writer:
        """UTF-8 text of at most limit bytes, behind a one-byte length."""
        data = value.encode("utf-8")
        if len(data) > limit:
            raise ValueError(f"{value!r} is {len(data)} bytes; at most {limit}")
        return self.u8(len(data)).raw(data)

    def bytes(self) -> bytes:
        """Everything written so far."""
        return b"".join(self.parts)


class Reader:
    """Reads the fields back, refusing short input and leftovers."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.offset = 0

    def take(self, size: int) -> bytes:
        """The next size bytes."""
        if self.offset + size > len(self.data):
            raise Malformed("truncated")
        chunk = self.data[self.offset : self.offset + size]
        self.offset += size
        return chunk

    def u8(self) -> int:
        """An unsigned byte."""
        return self.take(1)[0]

    def u16(self) -> int:
        """A big-endian 16-bit unsigned integer."""
        return struct.unpack(">H", self.take(2))[0]

    def u32(self) -> int:
        """A big-endian 32-bit unsigned integer."""
        return struct.unpack(">I", self.take(4))[0]

    def u64(self) -> int:
        """A big-endian 64-bit unsigned integer."""
        return struct.unpack(">Q", self.take(8))[0]

    def varint(self) -> int:
        """An unsigned LEB128 integer below 2**64, in its shortest form only (one number, one spelling)."""
        value = 0
        for shift in range(0, 70, 7):
            byte = self.u8()
            value |= (byte & 0x7F) << shift
            if not byte & 0x80:
                if (byte == 0 and shift) or value >= 2**64:
                    raise Malformed("varint not in its shortest form or too large")
                return value
        raise Malformed("varint too long")

    def short_text(self, limit: int) -> str:
        """Length-prefixed UTF-8 text of at most limit bytes."""
        size = self.u8()
        if size > limit:
            raise Malformed("text field too long")
        try:
            return self.take(size).decode("utf-8")
        except UnicodeDecodeError:
            raise Malformed("text field is not UTF-8") from None

    def end(self) -> None:
        """Refuse bytes left over after the last field."""
        if self.offset != len(self.data):
            raise Malformed("bytes after the last field")
