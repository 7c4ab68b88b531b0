"""Benchmark: a rush of 300 members within minutes at one kiosk and 50 booths, with the real programs.

The kiosk (`officepass-kiosk`, offscreen) and lockd (`officepass-lockd`, 50 simulated booth doors) run
as their own processes, so their CPU and memory are measured apart; members arrive through the
stand-in platform like real phones: front-desk code check-ins at the kiosk, bookings and unlocks at
the booths. Reports throughput, answer times, refusals, the kiosk's outbox depth, and anything lost.
"""

from __future__ import annotations

import os
import random
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

import requests

from benchmarks.figures import ms
from facility.packaged import EXAMPLES
from facility.platform import PlatformError
from facility.tokens import DeskCode, SigningKey, mint
from lockd.acl import acl_text
from simulator.broker import MosquittoBroker, free_port
from simulator.phone import AppClient, Phone
from simulator.runtime import start_platform

CONFIG = EXAMPLES
BOOTHS = 50


def _booking_site(work: Path, broker: MosquittoBroker, platform_url: str, metrics: int) -> Path:
    """The H1T example grown to 50 booths, open around the clock (the rush runs on the real clock), pointed at this
    run's broker, platform and folders."""
    head = (CONFIG / "h1t-shibuya.toml").read_text().split("[[spaces]]")[0].replace('"08:00-21:00"', '"00:00-24:00"')
    head = head.replace("max_checkins_per_day = 5\n", "")
    booths = ", ".join(f'"booth-{n}"' for n in range(BOOTHS))
    space = f'[[spaces]]\nid = "booths"\nname = "Booths"\nkind = "booking"\nrooms = [{booths}]\n\n'
    rooms = space + "".join(
        f'[[rooms]]\nid = "booth-{n}"\nname = "Booth {n}"\nkind = "booth"\n\n' for n in range(BOOTHS)
    )
    doors = "".join(
        f'[[doors]]\nid = "booth-{n}"\nname = "Booth {n} door"\nrooms = ["booth-{n}"]\ndriver = "simulated"\n'
        f"pulse_seconds = 3\n\n"
        for n in range(BOOTHS)
    )
    tail = (
        f'[mqtt]\nhost = "127.0.0.1"\nport = {broker.port}\ntls = false\nusername = "lockd-h1t-shibuya"\n'
        f'password_file = "{CONFIG}/demo-keys/mqtt-lockd-h1t-shibuya.pass"\n\n'
        f'[platform]\nbase_url = "{platform_url}"\n\n'
        f'[[tokens.trusted_keys]]\nname = "demo"\npublic_key = "IIhkrhAAs3a19vVuNPPgTqc+SamErWvU016ELA/YN1Q="\n'
        f'purposes = ["unlock_command"]\n\n[lockd]\ndata_dir = "{work}/lockd"\nclock_check = "sanity"\n'
        f"metrics_port = {metrics}\n"
    )
    (work / "booths.toml").write_text(head + rooms + doors + tail)
    return work / "booths.toml"


def _reception_site(work: Path, broker: MosquittoBroker, platform_url: str, metrics: int) -> Path:
    """The Kaikatsu example, always open and roomy, pointed at this run's broker, platform and folders."""
    text = (CONFIG / "kaikatsu-ikebukuro.toml").read_text()
    text = text.replace('[[rules.entry_cutoffs]]\nafter = "18:00"\non = ["fri", "day_before_holiday"]\n', "")
    text = text.replace("max_checkins_per_day = 1\n", "").replace("total = 30", "total = 2000")
    text = text.replace("port = 1883", f"port = {broker.port}").replace("http://127.0.0.1:8710/v1", platform_url)
    text = text.replace('"demo-keys/', f'"{CONFIG}/demo-keys/').replace(
        '"../var/kaikatsu-ikebukuro/kiosk"', f'"{work}/kiosk"'
    )
    text = text.replace("[kiosk]\n", f"[kiosk]\nmetrics_port = {metrics}\n")
    (work / "reception.toml").write_text(text)
    return work / "reception.toml"


def _seed(work: Path, booths: Path, reception: Path) -> Path:
    """The platform's seed for this run: the two sites, the demo signing key and the kiosk; members come later."""
    (work / "seed.toml").write_text(
        f'platform_key_file = "{CONFIG}/demo-keys/platform-demo.pem"\nfacilities = ["{booths}", "{reception}"]\n\n'
        '[[kiosks]]\nfacility = "kaikatsu-ikebukuro"\nkiosk = "front-1"\n'
        'public_key = "M42o0IgTaSj8Uzl+xQe/2QYD9e+8GaSCbnEwc7DJyEo="\n'
    )
    return work / "seed.toml"


def _usage(pid: int) -> tuple[float, float]:
    """CPU seconds so far and resident MiB of a process."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    cpu = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    rss = (
        next(
            int(line.split()[1])
            for line in Path(f"/proc/{pid}/status").read_text().splitlines()
            if line.startswith("VmRSS:")
        )
        / 1024
    )
    return cpu, rss


class Watch:
    """CPU share and peak memory of the kiosk and lockd over a stretch of time."""

    def __init__(self, processes: dict[str, subprocess.Popen]) -> None:
        self.processes = processes
        self.start = {name: _usage(p.pid)[0] for name, p in processes.items()}
        self.peak = {name: _usage(p.pid)[1] for name, p in processes.items()}
        self.began = time.monotonic()

    def sample(self) -> None:
        """Note the memory now."""
        for name, process in self.processes.items():
            self.peak[name] = max(self.peak[name], _usage(process.pid)[1])

    def report(self) -> dict:
        """CPU as a share of one core, and peak RSS, per program."""
        elapsed = time.monotonic() - self.began
        return {
            name: {
                "cpu_share_of_one_core": round((_usage(p.pid)[0] - self.start[name]) / elapsed, 3),
                "peak_rss_mb": round(self.peak[name], 1),
            }
            for name, p in self.processes.items()
        }


def _metric(port: int, name: str) -> float | None:
    """One value from a Prometheus endpoint, or None while it does not answer."""
    try:
        text = requests.get(f"http://127.0.0.1:{port}/metrics", timeout=2).text
    except requests.RequestException:
        return None
    return next((float(line.split()[-1]) for line in text.splitlines() if line.startswith(name + " ")), None)


def poll(condition: Callable[[], bool], timeout: float, step: float = 0.2) -> bool:
    """Poll a condition, at most timeout seconds (a benchmark, not a test: other programs' endpoints and reports
    are all it can watch)."""
    pause, deadline = threading.Event(), time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        pause.wait(step)
    return True


def bench_rush(members: int = 300, seconds: float = 60.0, idle_seconds: float = 5.0) -> dict:
    """The rush, with 1 in 6 members going to a booth and the rest to the kiosk; `seconds` stands for ten minutes."""
    with tempfile.TemporaryDirectory(prefix="officepass-demo-") as folder:
        return _rush(Path(folder), members, seconds, idle_seconds)


def _rush(work: Path, members: int, seconds: float, idle_seconds: float) -> dict:
    """Start everything, wait idle, run the rush, drain, report."""
    platform_port, kiosk_metrics, lockd_metrics = free_port(), free_port(), free_port()
    password = SigningKey.generate().key_id
    broker = MosquittoBroker(
        work / "broker",
        {
            "platform": password,
            "lockd-h1t-shibuya": "demo-lockd-h1t-password",
            "kiosk-kaikatsu-ikebukuro": "demo-kiosk-password",
        },
    )
    platform_url = f"http://127.0.0.1:{platform_port}/v1"
    booths = _booking_site(work, broker, platform_url, lockd_metrics)
    reception = _reception_site(work, broker, platform_url, kiosk_metrics)
    from facility.config import load_config
    from messagebus import BrokerSettings

    broker.acl = acl_text([load_config(booths), load_config(reception)])
    broker.start()
    platform = start_platform(
        _seed(work, booths, reception),
        port=platform_port,
        reply_timeout=10,
        broker=BrokerSettings(broker.host, broker.port, "platform", password, client_id="platform"),
    )
    env = os.environ | {"QT_QPA_PLATFORM": "offscreen"}
    programs = {
        "lockd": subprocess.Popen(
            [sys.executable, "-m", "lockd.cli", "--config", str(booths)], env=env, stderr=subprocess.DEVNULL
        ),
        "kiosk": subprocess.Popen(
            [sys.executable, "-m", "kiosk.cli", "--config", str(reception), "--windowed"],
            env=env,
            stderr=subprocess.DEVNULL,
        ),
    }
    try:
        ready = poll(
            lambda: (
                _metric(lockd_metrics, "officepass_lockd_broker_connected") == 1
                and _metric(kiosk_metrics, "officepass_kiosk_broker_connected") == 1
            ),
            60,
        )
        if not ready:
            raise RuntimeError("lockd or the kiosk did not come up")
        idle = Watch(programs)
        poll(lambda: time.monotonic() - idle.began >= idle_seconds, idle_seconds + 1)
        idle_report = idle.report()
        return {
            "benchmark": "rush",
            "members": members,
            "arrivals_within_seconds": seconds,
            "idle": idle_report,
            **_run_rush(platform, programs, kiosk_metrics, members, seconds),
        }
    finally:
        for process in programs.values():
            process.terminate()
        for process in programs.values():
            process.wait(20)
        platform.stop()
        broker.stop()


def _plan(platform, members: int, seconds: float) -> list[tuple[float, str, int, int]]:
    """Members and when they arrive: one in six has booked a booth (one per booth), the rest go to the kiosk."""
    from facility.models import Plan

    state, rng, arrivals = platform.state, random.Random(300), []
    start = state.clock.now() + timedelta(minutes=2)
    for n in range(members):
        member = state.add_member(f"会員{n:03d}", Plan.CORPORATE).member_id
        booth = n if n < min(BOOTHS, members // 6) else -1
        if booth >= 0:
            state.book(member, "h1t-shibuya", f"booth-{booth}", start, start + timedelta(minutes=60))
        arrivals.append((rng.uniform(0, seconds), "booth" if booth >= 0 else "kiosk", member, booth))
    return sorted(arrivals)


def _arrive(url: str, kiosk_key: SigningKey, kind: str, member: int, booth: int) -> tuple[str, float, str]:
    """One member's arrival: scan the desk code, or tap unlock at the booked booth; the answer and its time."""
    started = time.perf_counter()
    phone = Phone(member, AppClient(url, timeout=30))  # each phone its own connection, as in life
    try:
        if kind == "kiosk":
            code = mint(DeskCode("kaikatsu-ikebukuro", "front-1", int(time.time() // 10), 10), kiosk_key)
            answer = phone.scan_desk_code(code)
            outcome = answer["result"] if answer["result"] != "refused" else f"refused:{answer.get('reason')}"
        else:
            answer = phone.unlock("h1t-shibuya", f"booth-{booth}")
            outcome = answer["result"] if answer["result"] != "refused" else f"refused:{answer.get('reason')}"
    except PlatformError as refused:
        outcome = f"refused:{refused.body.get('error')}"
    return kind, time.perf_counter() - started, outcome


def _run_rush(platform, programs: dict, kiosk_metrics: int, members: int, seconds: float) -> dict:
    """Members arrive at their moments from a pool of phones; the programs are watched meanwhile."""
    arrivals = _plan(platform, members, seconds)
    kiosk_key = SigningKey.load(CONFIG / "demo-keys" / "kiosk-demo.pem")
    watch, stop, depth = Watch(programs), threading.Event(), [0.0]

    def sample() -> None:
        while not stop.wait(0.5):
            watch.sample()
            depth[0] = max(depth[0], _metric(kiosk_metrics, "officepass_kiosk_outbox_queued") or 0)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    began = time.monotonic()

    def arrive(arrival: tuple[float, str, int, int]) -> tuple[str, float, str]:
        offset, kind, member, booth = arrival
        stop.wait(max(0.0, began + offset - time.monotonic()))  # not yet this member's moment
        return _arrive(platform.server.url, kiosk_key, kind, member, booth)

    with ThreadPoolExecutor(max_workers=32) as pool:
        results = list(pool.map(arrive, arrivals))
    elapsed = time.monotonic() - began
    under_rush = watch.report()
    stop.set()
    sampler.join(5)
    poll(lambda: _metric(kiosk_metrics, "officepass_kiosk_outbox_queued") == 0, 60)
    admitted = sum(1 for kind, _, outcome in results if kind == "kiosk" and outcome == "admitted")
    recorded = len(platform.state.checkins_of("kaikatsu-ikebukuro"))
    return {
        "throughput_members_per_second": round(len(results) / elapsed, 2),
        "kiosk_answer_ms": ms([s for kind, s, _ in results if kind == "kiosk"]),
        "unlock_answer_ms": ms([s for kind, s, _ in results if kind == "booth"]),
        "outcomes": dict(Counter(f"{kind}:{outcome}" for kind, _, outcome in results)),
        "kiosk_outbox_max_depth": int(depth[0]),
        "under_rush": under_rush,
        "check_ins_admitted": admitted,
        "check_ins_recorded_by_platform": recorded,
        "lost": admitted - recorded,
    }
