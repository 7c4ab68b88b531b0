"""`officepass-sim doctor` says in plain words what works and what does not."""

from __future__ import annotations

from pathlib import Path

from simulator.cli import main
from tests.test_lockd_resilience import write_site_file


def test_a_healthy_site_with_lockd_running(site, broker, tmp_path: Path, capsys) -> None:
    config = write_site_file(tmp_path, broker, site.platform.server.url)
    assert main(["doctor", "--config", str(config), "--timeout", "3"]) == 0
    out = capsys.readouterr().out
    assert "OK    platform" in out and "accepts 'lockd'" in out and "door booth-a (ブースA扉 / Booth A door): LOCKED" in out
    assert out.strip().endswith("all good")


def test_a_wrong_password_and_a_dead_platform_are_named(broker, platform, tmp_path: Path, capsys) -> None:
    config = write_site_file(tmp_path, broker, "http://127.0.0.1:9/v1")
    (tmp_path / "pw").write_text("not-the-password")
    assert main(["doctor", "--config", str(config), "--timeout", "2"]) == 1
    out = capsys.readouterr().out
    assert "FAIL  cannot reach the platform at http://127.0.0.1:9/v1" in out
    assert "FAIL  cannot log in to the broker" in out and "2 problem(s) found" in out


def test_a_broken_file_is_explained(tmp_path: Path, capsys) -> None:
    (tmp_path / "bad.toml").write_text("[facility]\nid = 'x'\n")
    assert main(["doctor", "--config", str(tmp_path / "bad.toml")]) == 1
    assert "the facility file is not valid" in capsys.readouterr().out
