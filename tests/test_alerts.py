"""The shipped Prometheus alert rules are valid and fire when they should (promtool, installed by set-up)."""

from __future__ import annotations

import re
import subprocess

from tests.conftest import REPO

RULES = REPO / "deploy" / "prometheus"


def test_the_alert_rules_are_valid() -> None:
    result = subprocess.run(
        ["promtool", "check", "rules", "officepass-alerts.yml"], cwd=RULES, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0 and "SUCCESS" in result.stdout, result.stdout + result.stderr


def test_the_alert_rules_fire_on_their_unit_tests() -> None:
    result = subprocess.run(
        ["promtool", "test", "rules", "officepass-alerts.test.yml"],
        cwd=RULES,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_metric_an_alert_reads_is_one_the_programs_serve() -> None:
    from facility.loop import LoopHealth
    from lockd.metrics import LockdMetrics

    lockd = LockdMetrics(lambda: None)
    lockd.watch_loops("lockd", lambda: [LoopHealth("retention", True, 1, 0, 0, "", 1.0)])
    families = list(lockd.registry.collect())  # a labelled metric has no sample until it is used: read the families
    served = {family.name + ("_total" if family.type == "counter" else "") for family in families}
    served |= {
        "officepass_kiosk_outbox_queued",
        "officepass_kiosk_outbox_dead_letters",  # kiosk/metrics.py
        "officepass_kiosk_broker_connected",
        "officepass_kiosk_loop_restarts",
        "officepass_kiosk_loop_up",
    }
    rules = (RULES / "officepass-alerts.yml").read_text()
    named = set(re.findall(r"officepass_[a-z_]+", rules.replace("officepass_(kiosk|lockd)_", "officepass_lockd_")))
    expressions = {
        name for name in named if name not in {"officepass_doors", "officepass_reception", "officepass_loops"}
    }
    assert expressions <= served, expressions - served
