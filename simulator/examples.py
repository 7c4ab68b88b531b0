"""Where the example facility files, the seed and the demo keys are: the repository's config/, or the installed wheel's."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

EXAMPLES = Path(str(files("officepass_examples")))  # a real folder: the wheel installs unzipped
SEED = EXAMPLES / "simulator" / "seed.toml"
DEMO_KEYS = EXAMPLES / "demo-keys"
