"""scripts/setup.sh, which demo.sh and test.sh source: whatever it and apt and pip say goes to stderr, so that
`demo.sh --headless --json` prints only JSON even on the first run of a fresh clone."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from tests.conftest import REPO

NOISY = '#!/bin/sh\necho "$(basename "$0") says something on stdout"\necho "and on stderr" >&2\n'


def stub(folder: Path, name: str, text: str = NOISY) -> None:
    """A program on PATH that talks on both streams."""
    (folder / name).write_text(text)
    (folder / name).chmod(0o755)


def test_the_first_set_up_of_a_fresh_clone_says_nothing_on_stdout(tmp_path: Path) -> None:
    clone = tmp_path / "clone"
    (clone / "scripts").mkdir(parents=True)
    shutil.copy(REPO / "scripts" / "setup.sh", clone / "scripts" / "setup.sh")
    shutil.copy(REPO / "pyproject.toml", clone / "pyproject.toml")
    shutil.copytree(REPO / "tests" / "asyncapi", clone / "tests" / "asyncapi", ignore=shutil.ignore_patterns("node_*"))
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    stub(bin_dir, "dpkg-query", "#!/bin/sh\nexit 1\n")  # nothing is installed yet
    stub(bin_dir, "apt-get")
    stub(bin_dir, "node")
    stub(bin_dir, "npm", NOISY + 'mkdir -p "$3/node_modules"\n')  # npm ci --prefix FOLDER: makes its node_modules
    # python3 makes the venv: its python answers every question and installs noisily, as pip does
    venv_python = NOISY.replace("#!/bin/sh\n", '#!/bin/sh\ncase "$1" in -c) exit 0;; esac\n')
    stub(
        bin_dir,
        "python3",
        '#!/bin/sh\ncase "$1" in -c) exit 0;; esac\n'
        f"mkdir -p \"$3/bin\" && printf '%s' '{venv_python}' > \"$3/bin/python\" && "
        "chmod +x \"$3/bin/python\"\necho 'venv made'\n",
    )
    result = subprocess.run(
        ["bash", "-c", f"source {clone / 'scripts' / 'setup.sh'}"],
        capture_output=True,
        text=True,
        env=os.environ | {"PATH": f"{bin_dir}:/usr/bin:/bin"},
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
    assert "setup: installing Debian packages" in result.stderr and "setup: installing the project" in result.stderr
    assert "apt-get says something on stdout" in result.stderr and "python says something on stdout" in result.stderr
    assert "npm says something on stdout" in result.stderr
