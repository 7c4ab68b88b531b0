"""The envelope every token shares: version, type, key id, body, Ed25519 signature.

    0      1      2..5     6..n-65   n-64..n-1
    ver    type   key id   body      signature

The signature covers a domain tag naming the token type and its format version, a
context (an unlock command's MQTT topic; empty otherwise) and every byte before the
signature, so a signature made for one type, one layout or one topic is worthless for
another. Each type lists the versions a verifier reads: member passes are at version 2
(a smaller code) and version 1 passes are still read; the other types are at version 1.
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


# The versions each type's verifier reads; the first is the one written. A newer pass layout is read beside the
# older one so that phones with an older app keep working while the platform moves to the new one.
READABLE_VERSIONS: dict[TokenType, tuple[int, ...]] = {
    TokenType.MEMBER_PASS: (2, 1),
    TokenType.DESK_CODE: (FORMAT_VERSION,),
    TokenType.UNLOCK_COMMAND: (FORMAT_VERSION,),
}


def current_version(token_type: TokenType) -> int:
    """The format version a token of this type is written in."""
    return READABLE_VERSIONS[token_type][0]


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
    version: int
    key_id: str
    body: bytes
    signed_part: bytes
    signature: bytes


def signed_message(token_type: TokenType, context: bytes, signed_part: bytes) -> bytes:
    """What the signature covers: domain tag (type and the envelope's version), context, then the envelope up to the
    signature."""
    tag = f"officepass/{token_type.purpose}/v{signed_part[0]}".encode()
    return Writer().u8(len(tag)).raw(tag).u16(len(context)).raw(context).raw(signed_part).bytes()


def seal(token_type: TokenType, key: SigningKey, body: bytes, context: bytes = b"", version: int | None = None) -> str:
    """Sign body (laid out in `version`, by default the type's current one) as a token of this type, as Base45 text."""
    version = current_version(token_type) if version is None else version
    if version not in READABLE_VERSIONS[token_type]:
        raise ValueError(f"{token_type.purpose} has no format version {version}")
    signed_part = Writer().u8(version).u8(token_type).raw(bytes.fromhex(key.key_id)).raw(body).bytes()
    signature = key.sign(signed_message(token_type, context, signed_part))
    return to_text(signed_part + signature)


def open_envelope(text: str, expected: TokenType, max_chars: int) -> Envelope:
    """Take a token's text apart: size cap first, then Base45, type and version."""
    if len(text) > max_chars:
        raise TooLarge(f"{len(text)} characters; at most {max_chars}")
    data = from_text(text)
    if len(data) < HEADER_BYTES + SIGNATURE_BYTES:
        raise Malformed("too short to be a token")
    reader = Reader(data)
    version, type_byte = reader.u8(), reader.u8()
    if type_byte != expected:  # before the version: each type has its own versions
        raise WrongType(f"token type {type_byte}, expected {int(expected)}")
    if version not in READABLE_VERSIONS[expected]:
        raise UnsupportedVersion(f"format version {version}")
    key_id = reader.take(KEY_ID_BYTES).hex()
    return Envelope(
        expected, version, key_id, data[HEADER_BYTES:-SIGNATURE_BYTES], data[:-SIGNATURE_BYTES], data[-SIGNATURE_BYTES:]
    )
