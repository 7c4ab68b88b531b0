"""The board packages as scripts/build_packages.py builds them, for the tests that install or inspect them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.conftest import REPO


def build_package(wheel: Path, key: str, out: Path, arch: str = "amd64", version: str | None = None) -> Path:
    """One package from the project's wheel, uncompressed (quicker to build and to install); its path."""
    result = subprocess.run(
        [
            sys.executable,
            str(REPO / "scripts" / "build_packages.py"),
            key,
            "--arch",
            arch,
            "--wheel",
            str(wheel),
            "--compression",
            "none",
            "--out",
            str(out),
            *(["--version", version] if version else []),
        ],
        check=True,
        capture_output=True,
        text=True,
    )
    return Path(result.stdout.strip().splitlines()[-1])
