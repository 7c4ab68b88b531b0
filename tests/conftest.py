"""Fixtures shared by every test: a real Mosquitto broker, paths and the demo keys."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from facility.tokens import Keyring, SigningKey
from simulator.broker import MosquittoBroker

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

REPO = Path(__file__).resolve().parent.parent
CONFIG_DIR = REPO / "config"
ALL_PURPOSES = {"member_pass", "desk_code", "unlock_command"}


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[MosquittoBroker]:
    """A real Mosquitto on 127.0.0.1 on a free port, with users 'lockd' and 'platform'; stopped after the test."""
    instance = MosquittoBroker(tmp_path / "mosquitto", users={"lockd": "lockd-secret", "platform": "platform-secret"})
    instance.start()
    yield instance
    instance.stop()


@pytest.fixture(scope="session")
def platform_key() -> SigningKey:
    """A signing key standing for the platform's."""
    return SigningKey.generate()


@pytest.fixture(scope="session")
def keyring(platform_key: SigningKey) -> Keyring:
    """A keyring trusting the platform key for every purpose."""
    ring = Keyring()
    ring.trust("platform", platform_key.public_raw, ALL_PURPOSES)
    return ring
