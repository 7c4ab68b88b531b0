"""The stand-in platform's seed file is checked like a facility file."""

from __future__ import annotations

from pathlib import Path

import pytest

from facility.errors import ConfigError
from simulator.platform.seed import load_seed
from tests.conftest import CONFIG_DIR

SEED = (CONFIG_DIR / "simulator" / "seed.toml").read_text()


def seed_problems(tmp_path: Path, text: str) -> list[str]:
    """The problems a seed text is refused with (written beside the real one so its paths resolve)."""
    path = CONFIG_DIR / "simulator" / f"test-{tmp_path.name}.toml"
    path.write_text(text)
    try:
        with pytest.raises(ConfigError) as refused:
            load_seed(path)
        return [str(p) for p in refused.value.problems]
    finally:
        path.unlink()


def test_the_committed_seed_loads() -> None:
    seed = load_seed(CONFIG_DIR / "simulator" / "seed.toml")
    assert set(seed.facilities) == {
        "regus-shinjuku-south",
        "kaikatsu-ikebukuro",
        "h1t-shibuya",
        "karaoke-shinjuku",
        "meeting-kanda",
    }
    assert seed.platform_key.key_id == "0075557c"


@pytest.mark.parametrize(
    ("old", "new", "words"),
    [
        ('plan = "corporate"', 'plan = "gold"', "members.3.plan"),
        ('public_key = "M42o0IgTaSj8Uzl+xQe/2QYD9e+8GaSCbnEwc7DJyEo="', 'public_key = "c2hvcnQ="', "32 bytes"),
        ("minutes = 60", "minutes = 60\nroom_size = 3", "room_size"),
        (
            'platform_key_file = "../demo-keys/platform-demo.pem"',
            'platform_key_file = "../demo-keys/none.pem"',
            "none.pem",
        ),
    ],
)
def test_bad_seeds_are_refused_with_the_path(tmp_path: Path, old: str, new: str, words: str) -> None:
    assert old in SEED
    problems = seed_problems(tmp_path, SEED.replace(old, new, 1))
    assert any(words in p for p in problems), problems
