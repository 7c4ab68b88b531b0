"""The benchmarks run and report what they promise (their figures belong in docs/benchmarks.md, not in tests)."""

from __future__ import annotations

import pytest

from benchmarks.unlock import bench_unlock


def test_unlock_benchmark_reports_lockd_next_to_raw_mqtt() -> None:
    report = bench_unlock(commands=30, doors=3)
    assert (report["commands"], report["doors"]) == (30, 3)
    for series in ("publish_to_relay_ms", "raw_mqtt_one_way_ms", "raw_mqtt_round_trip_ms"):
        assert 0 < report[series]["median"] <= report[series]["p99"] <= report[series]["max"]


def test_scan_benchmark_reports_rate_latency_and_idle_cost(qapp) -> None:
    from benchmarks.unlock import bench_scan

    report = bench_scan(640, 480, samples=3, idle_seconds=0.5)
    assert report["frames_decoded_per_second"] > 0 and report["idle_rss_mb"] > 0 and report["pass_qr_version"] == 6
    assert report["code_to_verdict_ms"]["samples"] == 3 and report["screen"] == "1920x1080"
    assert 0 < report["code_to_verdict_ms"]["median"] <= report["code_to_verdict_ms"]["max"]
    scanning = report["while_members_scan"]
    assert scanning["frames_decoded_per_second"] > 0 and scanning["frames_dropped"] >= 0
    assert 0 < scanning["decode_ms_per_frame"]["median"] <= scanning["decode_ms_per_frame"]["p95"]


def test_decode_benchmark_covers_every_reader_and_a_folder(tmp_path) -> None:
    import cv2

    from benchmarks.decode import (
        CONDITIONS,
        DEGRADED,
        READERS,
        bench_decode_folder,
        bench_decode_simulated,
        bench_passes,
    )
    from simulator.screen import Shot, render_frame

    report = bench_decode_simulated(passes=1, size=(640, 480), frames=2)
    rows = report["conditions"]
    assert set(rows) == set(CONDITIONS) | set(DEGRADED) | {"no code in view", "no code, noise 10"}
    assert report["pass"]["qr_version"] == 6 and all(set(row) == set(READERS) for row in rows.values())
    assert rows["straight"]["zxing_alone"]["read"] == rows["straight"]["kiosk_camera"]["read"] == "1/1"
    assert rows["no code in view"]["kiosk_still"] == rows["no code in view"]["kiosk_still"] | {"read": "-", "wrong": 0}
    cv2.imwrite(str(tmp_path / "a.png"), render_frame("HELLO", Shot(), (640, 480)))
    cv2.imwrite(str(tmp_path / "b.png"), render_frame(None, Shot(), (640, 480)))
    cv2.imwrite(str(tmp_path / "far.png"), render_frame(bench_passes(1)[0], Shot(distance=2.5), (1280, 720)))
    folder = bench_decode_folder(tmp_path)
    assert folder["images"] == 3 and folder["zxing_alone"]["read"] == "1/3" and folder["kiosk_still"]["read"] == "2/3"
    assert folder["kiosk_reads_where_zxing_alone_does_not"] == ["far.png"]
    assert folder["zxing_alone_reads_where_kiosk_does_not"] == []


def test_decode_benchmark_on_photographs_made_with_opencv() -> None:
    from benchmarks.decode import bench_decode_photographs

    report = bench_decode_photographs(count=4, code_free=2, seed=3)
    assert (report["with_code"], report["without_code"]) == (4, 2)
    assert report["zxing_alone_reads_where_kiosk_does_not"] == 0
    assert all(report[reader]["wrong_or_false_reads"] == 0 for reader in ("zxing_alone", "kiosk_still", "pyzbar"))


def test_photographs_are_drawn_from_their_seed() -> None:
    import numpy as np

    from simulator.photographs import photograph

    first, second = photograph(np.random.default_rng(8)), photograph(np.random.default_rng(8))
    assert first[1] == second[1] and first[1] is not None and np.array_equal(first[0], second[0])
    assert photograph(np.random.default_rng(8), with_code=False)[1] is None


def test_unlock_benchmark_in_bursts() -> None:
    report = bench_unlock(commands=20, doors=10, burst=True)
    assert (report["commands"], report["mode"]) == (20, "burst")
    for floor in (
        "floor_raw_mqtt_burst_one_way_ms",
        "floor_batch_decided_without_mqtt_ms",
        "floor_one_durable_commit_ms",
    ):
        assert 0 < report[floor]["median"] <= report[floor]["max"]


def test_unlock_benchmark_under_floods_of_junk() -> None:
    from benchmarks.flood import bench_flood

    report = bench_flood(junk=200, commands=6, doors=3)
    assert report["genuine_commands_during_floods"] >= 6 and report["genuine_lost"] == 0
    answered, sent = map(int, report["junk_answered"].split("/"))
    assert sent == 200 * report["floods"] and answered <= sent
    assert report["floor_raw_mqtt_one_way_during_flood_ms"]["median"] > 0


def test_rush_benchmark_loses_nothing() -> None:
    from benchmarks.rush import bench_rush

    report = bench_rush(members=24, seconds=3, idle_seconds=0.5)
    assert report["lost"] == 0 and report["check_ins_admitted"] == 20
    assert report["outcomes"] == {"kiosk:admitted": 20, "booth:opened": 4}
    assert {"lockd", "kiosk"} == set(report["under_rush"]) == set(report["idle"])


def test_history_benchmark_compares_a_store_with_history_to_an_empty_one_and_shows_retention(qapp) -> None:
    from benchmarks.history import bench_history

    report = bench_history(days=100, checkins_per_day=20, commands_per_day=40, samples=10)
    for side, figure in (("kiosk", "scan_to_verdict_ms"), ("kiosk", "refresh_ms"), ("lockd", "unlock_decision_ms")):
        for store in ("empty", "year"):
            assert 0 < report[side][store][figure]["median"] <= report[side][store][figure]["max"]
    year = report["kiosk"]["year"]
    assert 10 * 20 <= year["purged"]["checkins"] <= 11 * 20  # the days past 90 went (the platform had them all)
    assert year["file_bytes_after_retention"] < year["file_bytes_all_kept"]
    assert report["lockd"]["year"]["purged"]["entries"] > 0


def test_fleet_benchmark_bridges_every_site_loses_nothing_and_rotates_the_key() -> None:
    from benchmarks.fleet import bench_fleets

    report = bench_fleets(
        [3], doors_per_site=2, seconds=3, rate=5, site_brokers=2, lockd_sites=1, rotate_keys=True, command_lifetime=5
    )
    assert (report["sites"], report["doors_per_site"], report["real_lockd_sites"]) == (3, 2, ["fleet-0"])
    commands = report["commands"]
    assert commands["lost"] == 0 and commands["answered"] == commands["sent"] > 0
    assert set(commands["by_result"]) == {"opened"}
    for series in ("all", "real_lockd", "stand_in"):
        assert set(report["publish_to_answer_ms"][series]) == {"samples", "median", "p95", "p99", "max"}
    assert report["publish_to_answer_ms"]["stand_in"]["samples"] > 0
    assert report["cloud_broker"]["rss_mb"] > 0 and report["cloud_broker"]["cpu_share_of_one_core"] >= 0
    assert report["startup"]["key_set_held_by_all"]["sites_holding"] == 3
    rotation = report["rotation"]
    assert rotation["new_key_certified"]["sites_holding"] == rotation["old_key_revoked"]["sites_holding"] == 3
    assert rotation["new_key_probes"] == {"opened": 3}
    assert rotation["old_key_probes"] == {"refused:key_revoked": 3}
    assert rotation["traffic_meanwhile"]["lost"] == 0 and set(rotation["traffic_meanwhile"]["by_result"]) <= {"opened"}


@pytest.mark.soak
@pytest.mark.timeout(1800)
def test_a_simulated_month_keeps_memory_threads_and_files_flat(qapp) -> None:
    """The long soak (about 11 minutes): pytest -m soak. The figures go to docs/benchmarks.md."""
    from benchmarks.soak import bench_soak

    report = bench_soak(days=30)
    growth = report["growth_after_retention_began"]
    assert growth["threads"] == 1.0 and growth["rss_mb"] < 1.15
    assert growth["kiosk_db_bytes"] < 1.3 and growth["lockd_db_bytes"] < 1.3
    assert all(day["queued"] == 0 for day in report["daily"])


def test_every_benchmark_summarises_timings_one_way() -> None:
    from benchmarks.figures import ms, p99_over_ms, percentile, spread

    hundred = [n / 1000 for n in range(1, 101)]  # 1 ms .. 100 ms
    assert (percentile(sorted(hundred), 95), percentile(sorted(hundred), 99)) == (0.095, 0.099)  # nearest rank
    assert ms(hundred) == {"samples": 100, "median": 50.5, "p95": 95.0, "p99": 99.0, "max": 100.0}
    assert percentile([0.5], 99) == 0.5 and spread([])["median"] is None
    assert p99_over_ms(hundred, [0.001] * 10) == 98.0
