"""The code keeps to its lint, format and type rules ([tool.ruff], [tool.mypy] in pyproject.toml): all are part of the
test command."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import REPO


def test_ruff_finds_nothing() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "."], cwd=REPO, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stdout[-4000:]


def test_the_code_is_as_ruff_formats_it() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "ruff", "format", "--check", "."], cwd=REPO, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stdout[-4000:] + "\nrun: .venv/bin/ruff format ."


def test_mypy_finds_nothing() -> None:
    result = subprocess.run([sys.executable, "-m", "mypy"], cwd=REPO, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-4000:]


def test_the_code_cites_the_project_s_own_docs() -> None:
    tracked = subprocess.run(["git", "ls-files"], cwd=REPO, capture_output=True, text=True, check=True).stdout.split()
    stale = [
        name
        for name in tracked
        if name.endswith((".py", ".md", ".toml"))
        and any(old in (REPO / name).read_text(encoding="utf-8") for old in ("DOMAIN.md", "DESIGN.md"))
        and name != "tests/test_lint.py"
    ]
    assert stale == [], "cite docs/domain.md and docs/architecture.md, which are in the repository"
    for doc in ("domain.md", "architecture.md"):
        assert (REPO / "docs" / doc).exists()
