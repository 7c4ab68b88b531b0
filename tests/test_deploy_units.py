"""The shipped systemd units and the board's GPIO set-up, checked with the system's own tools."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from kiosk.cli import LEFT_BY_STAFF, mark_left_by_staff
from tests.conftest import REPO

UNITS = REPO / "deploy" / "systemd"


def test_the_units_pass_systemd_analyze_verify_without_a_word(tmp_path: Path) -> None:
    stubs = tmp_path / "bin"
    stubs.mkdir()
    for program in ("officepass-lockd", "officepass-kiosk", "cage"):
        (stubs / program).write_text("#!/bin/sh\nexit 0\n")
        (stubs / program).chmod(0o755)
    for unit in UNITS.glob("*.service"):  # the programs as installed (docs/deploy.md), here stubs
        text = unit.read_text().replace("/opt/officepass/.venv/bin/", f"{stubs}/").replace("/usr/bin/cage", f"{stubs}/cage")
        (tmp_path / unit.name).write_text(text)
    result = subprocess.run(["systemd-analyze", "verify", *[str(tmp_path / u.name) for u in UNITS.glob("*.service")]],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and result.stderr.strip() == "", result.stderr  # a bad value is only a warning


def fake_root(tmp_path: Path) -> Path:
    """A root with this machine's account files: plain Debian, no gpio group."""
    root = tmp_path / "root"
    (root / "etc").mkdir(parents=True)
    for name in ("passwd", "group", "shadow", "gshadow", "login.defs"):
        shutil.copy(f"/etc/{name}", root / "etc" / name)
    for name in ("group", "gshadow"):
        kept = [line for line in (root / "etc" / name).read_text().splitlines() if not line.startswith("gpio:")]
        (root / "etc" / name).write_text("\n".join(kept) + "\n")
    return root


def test_the_gpio_set_up_gives_the_door_user_its_group_and_rule_on_plain_debian_twice_over(tmp_path: Path) -> None:
    root = fake_root(tmp_path)
    for _ in range(2):  # idempotent: a second run changes nothing and does not fail
        subprocess.run([str(REPO / "deploy" / "board" / "setup-gpio.sh"), str(root)], check=True, capture_output=True)
    groups = {line.split(":")[0]: line.split(":")[3] for line in (root / "etc" / "group").read_text().splitlines()}
    assert "officepass" in groups["gpio"].split(",")
    rule = (root / "etc" / "udev" / "rules.d" / "99-officepass-gpio.rules").read_text()
    assert 'GROUP="gpio"' in rule and 'KERNEL=="gpiochip*"' in rule
    unit = (UNITS / "officepass-lockd.service").read_text()
    assert "SupplementaryGroups=gpio" in unit and "User=officepass" in unit  # the unit names what the script makes


def test_staff_can_leave_the_kiosk_and_nobody_can_switch_away_from_it() -> None:
    unit = (UNITS / "officepass-kiosk.service").read_text()
    settings = dict(line.split("=", 1) for line in unit.splitlines() if "=" in line and not line.startswith("#"))
    # cage ends with 0 whatever the kiosk did: every end restarts, except after staff left (the mark in /run)
    assert settings["Restart"] == "always" and settings["RuntimeDirectoryPreserve"] == "restart"
    assert f"/run/{settings['RuntimeDirectory']}/{LEFT_BY_STAFF}" in settings["ExecCondition"]
    command = settings["ExecStart"].split()
    assert command[0] == "/usr/bin/cage" and "-s" not in command[:command.index("--")]  # no VT switching


def test_the_unit_s_condition_refuses_to_start_only_after_staff_left(tmp_path: Path, monkeypatch) -> None:
    unit = (UNITS / "officepass-kiosk.service").read_text()
    condition = next(line.split("=", 1)[1] for line in unit.splitlines() if line.startswith("ExecCondition="))
    runtime = tmp_path / "run"
    runtime.mkdir()
    check = ["/bin/sh", "-c", condition.split("'")[1].replace("/run/officepass-kiosk", str(runtime))]
    assert subprocess.run(check).returncode == 0  # a crash: start again
    monkeypatch.setenv("RUNTIME_DIRECTORY", str(runtime))
    mark_left_by_staff()
    assert subprocess.run(check).returncode == 1  # staff closed it: stay closed
