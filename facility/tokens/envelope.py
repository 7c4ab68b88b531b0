"""The envelope every token shares: version, type, key id, body, Ed25519 signature.

    0      1      2..5     6..n-65   n-64..n-1
    ver    type   key id   body      signature

The signature covers a domain tag naming the token type, a context (an unlock
command's MQTT topic; empty otherwise) and every byte before the signature, so a
signature made for one type or one topic is worthless for another.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

from facility.tokens.encoding import Malformed, Reader, Writer, from_text, to_text
from facility.tokens.keys import KEY_ID_BYTES, SigningKey

FORMAT_VERSION = 1
SIGNATURE_BYTES = 64
HEADER_BYTES = 2 + KEY_ID_BYTES


class TokenType(IntEnum):
    """The kinds of signed token, with their byte on the wire."""

    MEMBER_PASS = 1
    DESK_CODE = 2
    UNLOCK_COMMAND = 3

    @property
    def purpose(self) -> str:
        """The key purpose in facility files that may sign this type."""
        return self.name.lower()


class TooLarge(Malformed):
    """The text is longer than any token of its type can be."""


class UnsupportedVersion(Malformed):
    """A format version this code does not read."""


class WrongType(Malformed):
    """A well-formed token of another type."""


@dataclass(frozen=True)
class Envelope:
    """A token taken apart but not yet trusted."""

    token_type: TokenType
    key_id: str
    body: bytes
    signed_part: bytes
    signature: bytes


def signed_message(token_type: TokenType, context: bytes, signed_part: bytes) -> bytes:
    """What the signature covers: domain tag, context, then the envelope up to the signature."""
    tag = f"officepass/{token_type.purpose}/v{FORMAT_VERSION}".encode()
    return Writer().u8(len(tag)).raw(tag).u16(len(context)).raw(context).raw(signed_part).bytes()


def seal(token_type: TokenType, key: SigningKey, body: bytes, context: bytes = b"") -> str:
    """Sign body as a token of this type and write it out as Base45 text."""
    signed_part = Writer().u8(FORMAT_VERSION).u8(token_type).raw(bytes.fromhex(key.key_id)).raw(body).bytes()
    signature = key.sign(signed_message(token_type, context, signed_part))
    return to_text(signed_part + signature)


def open_envelope(text: str, expected: TokenType, max_chars: int) -> Envelope:
    """Take a token's text apart: size cap first, then Base45, version and type."""
    if len(text) > max_chars:
        raise TooLarge(f"{len(text)} characters; at most {max_chars}")
    data = from_text(text)
    if len(data) < HEADER_BYTES + SIGNATURE_BYTES:
        raise Malformed("too short to be a token")
    reader = Reader(data)
    version, type_byte = reader.u8(), reader.u8()
    if version != FORMAT_VERSION:
        raise UnsupportedVersion(f"format version {version}")
    if type_byte != expected:
        raise WrongType(f"token type {type_byte}, expected {int(expected)}")
    key_id = reader.take(KEY_ID_BYTES).hex()
    return Envelope(expected, key_id, data[HEADER_BYTES:-SIGNATURE_BYTES], data[:-SIGNATURE_BYTES], data[-SIGNATURE_BYTES:])
