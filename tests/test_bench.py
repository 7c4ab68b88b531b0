"""The benchmarks run and report what they promise (their figures belong in docs/benchmarks.md, not in tests)."""

from __future__ import annotations

from simulator.bench import bench_unlock


def test_unlock_benchmark_reports_lockd_next_to_raw_mqtt() -> None:
    report = bench_unlock(commands=30, doors=3)
    assert (report["commands"], report["doors"]) == (30, 3)
    for series in ("publish_to_relay_ms", "raw_mqtt_one_way_ms", "raw_mqtt_round_trip_ms"):
        assert 0 < report[series]["median"] <= report[series]["p99"] <= report[series]["max"]
