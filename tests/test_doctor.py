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


def test_the_doctor_reads_each_program_s_loops_from_its_metrics(tmp_path: Path) -> None:
    from facility.config import load_config
    from facility.loop import LoopHealth
    from facility.metrics import MetricsEndpoint
    from simulator.broker import free_port
    from simulator.doctor import Findings, check_loops
    from tests.conftest import CONFIG_DIR
    port = free_port()
    lockd = MetricsEndpoint()
    lockd.watch_loops("lockd", lambda: [LoopHealth("reservation-sync", True, 40, 0, 0, "", 3.0),
                                        LoopHealth("trust-refresh", True, 2, 7, 1, "401 unauthorized", 600.0)])
    lockd.serve(port)
    try:
        cfg = load_config(CONFIG_DIR / "h1t-shibuya.toml")
        cfg = cfg.model_copy(update={"lockd": cfg.lockd.model_copy(update={"metrics_port": port})})
        found = Findings()
        check_loops(cfg, found, 3)
    finally:
        lockd.stop()
    assert "OK    lockd loop reservation-sync: running (0 failure(s), 0 restart(s) so far)" in found.lines
    assert ("WARN  lockd loop trust-refresh: failing, stalled or stopped (last good round 600 s ago, 7 failure(s), "
            "1 restart(s)); see the program's log") in found.lines
