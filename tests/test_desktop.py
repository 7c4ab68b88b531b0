"""The windowed demo and the control panel open on a desktop: a real X server (Xvfb) and Qt's xcb platform.

Qt's xcb plugin needs libraries Debian does not install with an X server (libxcb-cursor0,
libxcb-icccm4, libxcb-keysyms1...); scripts/setup.sh installs them. Without them Qt aborts (exit 134).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator

import pytest

from tests.conftest import REPO


@pytest.fixture(scope="module")
def display() -> Iterator[str]:
    """An Xvfb server on a free display number (it names the number itself)."""
    read, write = os.pipe()
    server = subprocess.Popen(
        ["Xvfb", "-displayfd", str(write), "-screen", "0", "1280x800x24", "-nolisten", "tcp"],
        pass_fds=(write,),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    os.close(write)
    with os.fdopen(read) as answer:
        number = answer.readline().strip()
    assert number, "Xvfb did not start"
    yield f":{number}"
    server.terminate()
    server.wait(10)


def desktop(display: str) -> dict[str, str]:
    """The environment of a program started from a desktop session on that display."""
    return {key: value for key, value in os.environ.items() if key != "QT_QPA_PLATFORM"} | {
        "DISPLAY": display,
        "QT_QPA_PLATFORM": "xcb",
    }


@pytest.mark.timeout(300)
def test_the_windowed_demo_runs_on_the_xcb_platform(display: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "technician.sim_cli", "demo", "--json"],
        cwd=REPO,
        env=desktop(display),
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert json.loads(result.stdout)["lost"] == 0


@pytest.mark.timeout(300)
def test_the_control_panel_opens_on_the_xcb_platform_and_closes_on_ctrl_c(display: str) -> None:
    panel = subprocess.Popen(
        [sys.executable, "-m", "technician.sim_cli", "panel"],
        cwd=REPO,
        env=desktop(display),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert "control panel open" in panel.stdout.readline(), panel.stderr.read()[-2000:] if panel.poll() else ""
        panel.send_signal(signal.SIGINT)
        assert panel.wait(60) == 0
    finally:
        panel.kill()
