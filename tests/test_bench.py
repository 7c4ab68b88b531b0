"""The benchmarks run and report what they promise (their figures belong in docs/benchmarks.md, not in tests)."""

from __future__ import annotations

from simulator.bench import bench_unlock


def test_unlock_benchmark_reports_lockd_next_to_raw_mqtt() -> None:
    report = bench_unlock(commands=30, doors=3)
    assert (report["commands"], report["doors"]) == (30, 3)
    for series in ("publish_to_relay_ms", "raw_mqtt_one_way_ms", "raw_mqtt_round_trip_ms"):
        assert 0 < report[series]["median"] <= report[series]["p99"] <= report[series]["max"]


def test_scan_benchmark_reports_rate_latency_and_idle_cost(qapp) -> None:
    from simulator.bench import bench_scan
    report = bench_scan(640, 480, samples=3, idle_seconds=0.5)
    assert report["frames_decoded_per_second"] > 0 and report["idle_rss_mb"] > 0
    assert report["code_to_verdict_ms"]["samples"] == 3
    assert 0 < report["code_to_verdict_ms"]["median"] <= report["code_to_verdict_ms"]["max"]
