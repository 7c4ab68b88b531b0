"""Helpers for the key-set tests: the demo root, facility files that pin it, and signed sets."""

from __future__ import annotations

from facility.config import FacilityConfig
from facility.config.models import RootKey
from facility.contract import CertifiedKey, KeySetContent
from facility.keyset import sign_keyset
from facility.tokens import SigningKey
from tests.conftest import CONFIG_DIR

ROOT = SigningKey.load(CONFIG_DIR / "demo-keys" / "root-demo.pem")
PURPOSES = ["member_pass", "unlock_command"]


def rooted(cfg: FacilityConfig, root: SigningKey = ROOT) -> FacilityConfig:
    """The facility file with the root key pinned (its pinned keys stay)."""
    pinned = RootKey(name="network root (demo)", public_key=root.public_b64, key_id=root.key_id)
    return cfg.model_copy(update={"tokens": cfg.tokens.model_copy(update={"root_keys": [pinned]})})


def certified(
    key: SigningKey, not_before: float | None = None, not_after: float | None = None, purposes: list[str] | None = None
) -> CertifiedKey:
    """A key as a set certifies it."""
    return CertifiedKey(
        key_id=key.key_id,
        public_key=key.public_b64,
        purposes=purposes or PURPOSES,
        not_before=int(not_before) if not_before is not None else None,
        not_after=int(not_after) if not_after is not None else None,
    )


def signed_set(
    version: int, *keys: CertifiedKey, revoked: tuple[str, ...] = (), issued_at: float = 0, root: SigningKey = ROOT
) -> dict:
    """A key set signed by a root, as GET /keyset answers it."""
    content = KeySetContent(format=1, version=version, issued_at=int(issued_at), keys=list(keys), revoked=list(revoked))
    return sign_keyset(content, root)
