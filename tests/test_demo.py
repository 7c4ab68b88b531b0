"""The README's main command: the demo runs to its summary."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.conftest import REPO


def test_demo_json_summary_counts_each_verdict() -> None:
    done = subprocess.run([sys.executable, "-m", "simulator.cli", "demo", "--json"], capture_output=True, text=True,
                          cwd=REPO, timeout=60)
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert summary["check_ins_admitted"] == 3
    assert summary["check_ins_refused"] == {"replayed": 1, "plan_not_admitted": 1, "unknown_key": 1, "expired": 1,
                                            "closed": 1, "after_cutoff": 2, "daily_limit": 1}
    assert summary["uses_counted"] == 2


def test_demo_prints_each_arrival_in_words() -> None:
    done = subprocess.run([sys.executable, "-m", "simulator.cli", "demo"], capture_output=True, text=True, cwd=REPO,
                          timeout=60)
    assert done.returncode == 0
    lines = done.stdout.splitlines()
    assert len(lines) == 11 and lines[-1].startswith("summary: ")
    assert "ADMIT  check_in until 20:30, desk checks: photo_id+membership_signup" in done.stdout
