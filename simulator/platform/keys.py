"""The stand-in platform's signing keys and the key set its root certifies them in, with the steps of a rotation.

A rotation without a visit, as a fleet rehearses it (docs/platform-api.md, 'Stand-in only: rotating keys'):

1. `add_key()`: a new key is certified in a new set version; the platform still signs with the old one.
2. wait until the sites hold that version (lockd says so, retained, on `.../lockd/keyset`);
3. `sign_with(new)`: new tokens are signed with the new key; tokens already out, signed by the old, stay good;
4. after an overlap of at least a command's lifetime and the clock skew, `revoke_key(old)`: a new set
   version lists it as revoked (and /revocations does too), so the sites refuse it from then on.

Each step that changes the set returns the new version; the service announces it over MQTT.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from pydantic import ValidationError

from facility.clock import Clock
from facility.contract import CertifiedKey, KeySetContent
from facility.keyset import sign_keyset
from facility.tokens import SigningKey
from simulator.platform.errors import ApiError

PURPOSES = ("member_pass", "unlock_command")
MAX_KEYS = 64  # facility/contract.py's KeySetContent: a set certifies at most 64 keys
MAX_REVOKED = 4096  # and lists at most 4096 revoked ones


@dataclass(frozen=True)
class Certified:
    """A signing key in the set, with what it signs and when (Unix seconds; None: no bound)."""

    key: SigningKey
    purposes: tuple[str, ...] = PURPOSES
    not_before: int | None = None
    not_after: int | None = None

    def entry(self) -> CertifiedKey:
        """As the set lists it."""
        return CertifiedKey(
            key_id=self.key.key_id,
            public_key=self.key.public_b64,
            purposes=list(self.purposes),
            not_before=self.not_before,
            not_after=self.not_after,
        )


class PlatformKeys:
    """The key that signs passes and commands now, the keys certified beside it, and the signed key set."""

    def __init__(self, signing: SigningKey, root: SigningKey | None, clock: Clock) -> None:
        self.root = root
        self.clock = clock
        self._certified: dict[str, Certified] = {signing.key_id: Certified(signing)}
        self._made: dict[str, SigningKey] = {signing.key_id: signing}  # every key ever used, revoked ones too
        self._revoked: list[str] = []
        self._signing = signing
        # The stand-in keeps nothing across restarts: its first set is numbered by its clock, so a restarted
        # platform never offers a set older than one a site already holds.
        self.version = max(1, int(clock.now().timestamp()))
        self._document: dict | None = None
        self._lock = threading.RLock()

    @property
    def signing_key(self) -> SigningKey:
        """The key new passes and commands are signed with."""
        return self._signing

    def key(self, key_id: str) -> SigningKey:
        """A key the platform made or was given (revoked ones too: a bench signs with an old key to see it refused)."""
        with self._lock:
            if key_id not in self._made:
                raise ApiError.not_found("signing key", key_id)
            return self._made[key_id]

    def published(self) -> list[dict]:
        """The keys as GET /keys lists them (unsigned: for sites without a root key)."""
        with self._lock:
            return [
                {"key_id": c.key.key_id, "public_key": c.key.public_b64, "purposes": list(c.purposes)}
                for c in self._certified.values()
            ]

    def document(self) -> dict | None:
        """The signed key set (GET /keyset, the MQTT announcement); None for a platform without a root key."""
        with self._lock:
            if self.root is None:
                return None
            if self._document is None:
                content = KeySetContent(
                    format=1,
                    version=self.version,
                    issued_at=int(self.clock.now().timestamp()),
                    keys=[c.entry() for c in self._certified.values()],
                    revoked=list(self._revoked),
                )
                self._document = sign_keyset(content, self.root)
            return self._document

    def status(self) -> dict:
        """Where the rotation stands: version, signing key, certified and revoked keys."""
        with self._lock:
            return {
                "version": self.version,
                "signing_key_id": self._signing.key_id,
                "rooted": self.root is not None,
                "keys": [c.entry().model_dump(mode="json") for c in self._certified.values()],
                "revoked": list(self._revoked),
            }

    def add_key(
        self,
        key: SigningKey | None = None,
        purposes: tuple[str, ...] = PURPOSES,
        not_before: int | None = None,
        not_after: int | None = None,
    ) -> SigningKey:
        """Step 1: certify a key (a new random one by default) in a new set version; nothing is signed with it yet.

        The entry is built (and so checked against the contract) before anything is kept: a key the set cannot
        list would break every later GET /keyset."""
        key = key or SigningKey.generate()
        if not_before is not None and not_after is not None and not_after <= not_before:
            raise ApiError(  # well-formed, each bound in range: refused as the key set's rule, not as a bad request
                409,
                "key_window_empty",
                f"the key would end (not_after {not_after}) before it begins (not_before {not_before})",
                f"鍵の有効期間が空です（not_before {not_before}、not_after {not_after}）",
            )
        certified = Certified(key, purposes, not_before, not_after)
        try:
            certified.entry()
        except ValidationError as exc:
            raise ApiError.bad_request(f"the key cannot be certified: {exc.errors()[0]['msg']}") from None
        with self._lock:
            if key.key_id in self._revoked:
                raise ApiError(
                    409,
                    "key_revoked",
                    f"key {key.key_id} was revoked; make a new one",
                    f"鍵 {key.key_id} は失効済みです",
                )
            if key.key_id not in self._certified and len(self._certified) >= MAX_KEYS:
                raise ApiError(
                    409,
                    "key_set_full",
                    f"the key set already certifies {MAX_KEYS} keys: revoke one first",
                    f"鍵セットには既に {MAX_KEYS} 個の鍵があります。先にどれかを失効させてください",
                )
            self._made[key.key_id] = key
            self._certified[key.key_id] = certified
            self._changed()
        return key

    def sign_with(self, key_id: str) -> None:
        """Step 3: sign new passes and commands with a certified key (the set does not change)."""
        with self._lock:
            if key_id not in self._certified:
                raise ApiError(
                    409,
                    "key_not_certified",
                    f"key {key_id} is not in the key set",
                    f"鍵 {key_id} は鍵セットにありません",
                )
            self._signing = self._certified[key_id].key

    def revoke_key(self, key_id: str) -> None:
        """Step 4: withdraw a certified key in a new set version; the key signing now cannot be withdrawn (sign
        with another first, or every site would refuse everything the platform signs)."""
        with self._lock:
            if key_id == self._signing.key_id:
                raise ApiError(
                    409,
                    "key_in_use",
                    f"key {key_id} signs everything now: sign with another key first",
                    f"鍵 {key_id} は使用中です。先に別の鍵に切り替えてください",
                )
            if key_id not in self._certified:
                raise ApiError.not_found("certified key", key_id)
            if len(self._revoked) >= MAX_REVOKED:
                raise ApiError(
                    409,
                    "key_set_full",
                    f"the key set already lists {MAX_REVOKED} revoked keys",
                    f"鍵セットには既に {MAX_REVOKED} 個の失効鍵があります",
                )
            del self._certified[key_id]
            self._revoked.append(key_id)
            self._changed()

    def _changed(self) -> None:
        """A new set version, signed again when next asked for."""
        self.version += 1
        self._document = None
