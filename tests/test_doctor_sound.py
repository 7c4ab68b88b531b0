"""`officepass-site doctor` checks the kiosk's sound, and says when it cannot ask the running kiosk (issue 26)."""

from __future__ import annotations

import subprocess
from pathlib import Path

from technician.cli import main
from technician.doctor import Findings
from technician.doctor_local import check_sound
from tests.notify import kiosk_site_file
from tests.rulebook import KAIKATSU

CARD = "card 0: Device [USB Audio Device], device 0: USB Audio [USB Audio]"


def on_a_site(cfg):
    """The file as on a real site (its platform not on this machine)."""
    return cfg.model_copy(update={"platform": cfg.platform.model_copy(update={"base_url": "https://p.example/v1"})})


def aplay(cards: str = CARD, plays: int = 0, error: str = ""):
    """A stand-in for running aplay: -l lists `cards`; playing ends with `plays` and says `error`."""

    def run(args, **kwargs) -> subprocess.CompletedProcess:
        if "-l" in args:
            return subprocess.CompletedProcess(args, 0 if cards else 1, cards, "" if cards else "no soundcards found")
        return subprocess.CompletedProcess(args, plays, b"", error.encode())

    return run


def test_a_card_that_plays_is_ok() -> None:
    found = Findings()
    check_sound(KAIKATSU, found, None, run=aplay(), which=lambda name: "/usr/bin/aplay")
    assert found.lines == [f"OK    sound: aplay plays on {CARD}"]


def test_no_card_or_a_failing_device_fails_on_a_site_and_is_tolerated_on_a_bench() -> None:
    site, bench = Findings(), Findings()
    check_sound(on_a_site(KAIKATSU), site, None, run=aplay(cards=""), which=lambda name: "/usr/bin/aplay")
    check_sound(KAIKATSU, bench, None, run=aplay(cards=""), which=lambda name: "/usr/bin/aplay")
    assert site.lines[0] == "FAIL  sound: no sound card (no soundcards found)" and site.failures == 1
    assert bench.lines[0].startswith("WARN  sound: no sound card") and bench.failures == 0
    busy = Findings()
    error = "aplay: main:831: audio open error: Device or resource busy"
    check_sound(on_a_site(KAIKATSU), busy, None, run=aplay(plays=1, error=error), which=lambda name: "/usr/bin/aplay")
    assert busy.lines[0] == f"FAIL  sound: aplay cannot play on {CARD} ({error})"
    assert busy.lines[1].startswith("      fix: plug in the speaker")


def test_no_player_and_a_running_kiosk_s_report() -> None:
    missing, heard, silent = Findings(), Findings(), Findings()
    check_sound(on_a_site(KAIKATSU), missing, None, which=lambda name: None)
    check_sound(KAIKATSU, heard, True)
    check_sound(KAIKATSU, silent, False)
    assert missing.lines[0] == "FAIL  sound: no aplay on this machine: the kiosk's verdicts would be silent"
    assert heard.lines == ["OK    sound: the kiosk running here plays its verdicts (as it reports in its metrics)"]
    assert silent.lines[0] == (
        "FAIL  sound: the kiosk running here cannot play its verdicts (as it reports in its metrics)"
    )


def test_doctor_says_it_does_not_ask_a_running_kiosk_without_a_metrics_port(tmp_path: Path, capsys) -> None:
    site = kiosk_site_file(tmp_path)  # the Kaikatsu example: no metrics_port
    main(["doctor", "--config", str(site), "--timeout", "1"])
    lines = capsys.readouterr().out.splitlines()
    warned = next(n for n, line in enumerate(lines) if "the kiosk is not asked" in line)
    assert lines[warned].startswith("WARN  the kiosk is not asked: [kiosk] metrics_port is not set")
    assert lines[warned + 1].startswith("      fix: set [kiosk] metrics_port")
    camera = next(n for n, line in enumerate(lines) if "camera 'simulated'" in line and line.startswith("OK"))
    assert warned < camera  # said before the camera line that a running kiosk would contradict
    assert any(line.split()[1:2] == ["sound:"] for line in lines)
