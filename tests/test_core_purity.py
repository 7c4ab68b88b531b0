"""The shared core imports no Qt, OpenCV, paho or GPIO code (docs/architecture.md), so every program can use it."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import REPO

FORBIDDEN = ("PySide6", "cv2", "paho", "gpiozero", "gpiod", "zxingcpp", "pyzbar")


def test_importing_every_core_module_pulls_in_no_hardware_or_ui_library() -> None:
    modules = sorted(".".join(p.relative_to(REPO).with_suffix("").parts) for p in (REPO / "facility").rglob("*.py"))
    script = (
        f"import importlib, sys\nfor m in {modules!r}: importlib.import_module(m)\n"
        f"print(sorted(n for n in sys.modules if n.split('.')[0] in {FORBIDDEN!r}))"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=REPO, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
