"""The demo keys: their private halves are published in this repository (config/demo-keys/), so anyone can sign
with them. They are for sites on this machine only (the demo, the tests, a technician's bench); a facility file
or a platform that trusts one anywhere else is refused.
"""

from __future__ import annotations

# Key ids (first 4 bytes of SHA-256 of the raw public key) of config/demo-keys/*.pem; a test checks they match.
DEMO_KEY_IDS: dict[str, str] = {
    "0075557c": "platform-demo.pem",
    "1c3fcaa8": "kiosk-demo.pem",
    "a7f0d538": "root-demo.pem",
}


def is_demo_key(key_id: str) -> bool:
    """True for a key whose private half is public (never trust it outside a loopback site)."""
    return key_id in DEMO_KEY_IDS
