"""The staff PIN: stored as a PBKDF2 hash in the facility file, with a lockout after wrong tries."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time

ITERATIONS = 200_000
MAX_TRIES = 5
LOCKOUT_SECONDS = 60


def hash_pin(pin: str, salt: bytes | None = None) -> str:
    """The text to put in [kiosk] staff_pin_hash for this PIN."""
    salt = salt or secrets.token_bytes(16)
    digest = hashlib.pbkdf2_hmac("sha256", pin.encode(), salt, ITERATIONS)
    return f"pbkdf2_sha256${ITERATIONS}${salt.hex()}${digest.hex()}"


def pin_matches(pin: str, stored: str) -> bool:
    """True when the PIN is the one whose hash is stored."""
    try:
        scheme, iterations, salt, digest = stored.split("$")
    except ValueError:
        return False
    attempt = hashlib.pbkdf2_hmac("sha256", pin.encode(), bytes.fromhex(salt), int(iterations))
    return scheme == "pbkdf2_sha256" and hmac.compare_digest(attempt.hex(), digest)


class PinGuard:
    """Checks PINs and locks out after too many wrong ones."""

    def __init__(self, stored: str) -> None:
        self.stored = stored
        self.wrong = 0
        self.locked_until = 0.0

    def locked_for(self) -> int:
        """Seconds left of a lockout (0 when none)."""
        return max(0, int(self.locked_until - time.monotonic()) + 1) if time.monotonic() < self.locked_until else 0

    def check(self, pin: str) -> bool:
        """True for the right PIN; wrong ones count towards a lockout."""
        if self.locked_for():
            return False
        if pin_matches(pin, self.stored):
            self.wrong = 0
            return True
        self.wrong += 1
        if self.wrong >= MAX_TRIES:
            self.wrong = 0
            self.locked_until = time.monotonic() + LOCKOUT_SECONDS
        return False
