"""Mosquitto's password file, written here as `mosquitto_passwd` writes it, and the secrets behind it.

Mosquitto 2 keeps `user:$7$ITERATIONS$SALT$HASH` (PBKDF2-HMAC-SHA512, base64). Writing it here keeps
each password off every command line (`mosquitto_passwd -b` would show it to `ps`), and lets a second
run keep each line whose hash still fits its password, so running the site command again changes
nothing. tests/test_site_setup.py holds a real Mosquitto to what this writes.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

ITERATIONS = 101  # mosquitto_passwd's own; the passwords are 32 random characters, so more would buy nothing
SALT_BYTES = 12


def new_password() -> str:
    """A random password a Mosquitto config line and a password file both hold as one word."""
    return secrets.token_urlsafe(24)


def hash_line(user: str, password: str, salt: bytes | None = None) -> str:
    """One line of the password file."""
    salt = salt if salt is not None else secrets.token_bytes(SALT_BYTES)
    digest = hashlib.pbkdf2_hmac("sha512", password.encode(), salt, ITERATIONS, 64)
    return f"{user}:$7${ITERATIONS}${base64.b64encode(salt).decode()}${base64.b64encode(digest).decode()}"


def matches(line: str, user: str, password: str) -> bool:
    """True when a password-file line is this user's and holds this password."""
    name, _, stored = line.partition(":")
    parts = stored.split("$")
    if name != user or len(parts) != 5 or parts[1] != "7" or not parts[2].isdigit():
        return False
    try:
        salt, digest = base64.b64decode(parts[3]), base64.b64decode(parts[4])
    except ValueError:
        return False
    return hmac.compare_digest(
        hashlib.pbkdf2_hmac("sha512", password.encode(), salt, int(parts[2]), len(digest)), digest
    )


def password_file(users: dict[str, str], existing: str = "") -> str:
    """The whole file for these users and passwords, keeping each existing line that still fits."""
    kept = {line.partition(":")[0]: line for line in existing.splitlines() if ":" in line}
    lines = [
        kept[user] if user in kept and matches(kept[user], user, password) else hash_line(user, password)
        for user, password in sorted(users.items())
    ]
    return "\n".join(lines) + "\n"
