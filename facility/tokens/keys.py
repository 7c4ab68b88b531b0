"""Ed25519 keys: key ids, signing keys in PEM files, and the keyring of trusted public keys."""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

from facility.errors import KeyFileError

KEY_ID_BYTES = 4


def key_id_of(public_key: bytes) -> str:
    """The key id: the first 4 bytes of SHA-256 of the raw public key, in hex."""
    return hashlib.sha256(public_key).digest()[:KEY_ID_BYTES].hex()


class SigningKey:
    """A private Ed25519 key with its key id."""

    def __init__(self, private: Ed25519PrivateKey) -> None:
        self._private = private
        self.public_raw = private.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        self.key_id = key_id_of(self.public_raw)

    @classmethod
    def generate(cls) -> SigningKey:
        """A new random key."""
        return cls(Ed25519PrivateKey.generate())

    @classmethod
    def load(cls, path: str | Path) -> SigningKey:
        """Read a PKCS#8 PEM private key file."""
        try:
            private = serialization.load_pem_private_key(Path(path).read_bytes(), password=None)
        except (OSError, ValueError, TypeError) as exc:
            raise KeyFileError(f"{path}: not a readable Ed25519 private key ({exc})") from None
        if not isinstance(private, Ed25519PrivateKey):
            raise KeyFileError(f"{path}: the key is not Ed25519")
        return cls(private)

    def pem(self) -> bytes:
        """The key as unencrypted PKCS#8 PEM."""
        return self._private.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )

    def save(self, path: str | Path) -> None:
        """Write the key as a PKCS#8 PEM file readable only by its owner."""
        target = Path(path)
        target.touch(mode=0o600, exist_ok=True)
        target.write_bytes(self.pem())

    @property
    def public_b64(self) -> str:
        """The raw public key in base64, as written in facility files."""
        return base64.b64encode(self.public_raw).decode()

    def sign(self, message: bytes) -> bytes:
        """A 64-byte signature of message."""
        return self._private.sign(message)


@dataclass(frozen=True)
class TrustedKey:
    """A public key, what it may sign, and when (Unix times; None: no bound)."""

    name: str
    public: Ed25519PublicKey
    purposes: frozenset[str]
    not_before: float | None = None
    not_after: float | None = None

    def valid_at(self, now: float) -> bool:
        """True when the key may sign at this moment (inside its validity window)."""
        return (self.not_before is None or now >= self.not_before) and (self.not_after is None or now <= self.not_after)

    def verifies(self, signature: bytes, message: bytes) -> bool:
        """True when signature is this key's signature of message."""
        try:
            self.public.verify(signature, message)
        except InvalidSignature:
            return False
        return True


@dataclass
class Keyring:
    """The keys a site trusts, by key id; several at once so keys can be rotated.

    `revoked` names keys withdrawn by a signed key set (facility/keyset.py): refused as revoked even if pinned.
    """

    keys: dict[str, TrustedKey] = field(default_factory=dict)
    revoked: frozenset[str] = frozenset()

    def trust(
        self,
        name: str,
        public_raw: bytes,
        purposes: set[str] | frozenset[str],
        not_before: float | None = None,
        not_after: float | None = None,
    ) -> str:
        """Add a raw public key for the given purposes (and validity window); returns its key id."""
        kid = key_id_of(public_raw)
        self.keys[kid] = TrustedKey(
            name, Ed25519PublicKey.from_public_bytes(public_raw), frozenset(purposes), not_before, not_after
        )
        return kid

    def find(self, kid: str, purpose: str) -> TrustedKey | None:
        """The key with this id if it may sign this purpose."""
        key = self.keys.get(kid)
        return key if key is not None and purpose in key.purposes else None

    @classmethod
    def from_config(cls, trusted_keys: list) -> Keyring:
        """A keyring from the [[tokens.trusted_keys]] of a facility file."""
        ring = cls()
        for key in trusted_keys:
            ring.trust(key.name, key.raw, set(key.purposes), _timestamp(key.not_before), _timestamp(key.not_after))
        return ring


def _timestamp(moment) -> float | None:
    """A config datetime as a Unix time (None stays None)."""
    return moment.timestamp() if moment is not None else None
