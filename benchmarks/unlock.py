"""Benchmarks (not tests): timings printed as JSON, for docs/benchmarks.md.

unlock: from the platform publishing a signed command to lockd driving the relay, over
real Mosquitto, next to the raw MQTT latency measured on the same broker in the same run.
"""

from __future__ import annotations

import logging
import queue
import tempfile
import threading
import time
from collections.abc import Callable
from datetime import timedelta
from functools import partial
from pathlib import Path

from benchmarks.burst_sender import BurstSender
from benchmarks.figures import ms, p99_over_ms
from benchmarks.floors import batch_decision_floor, command_text, commit_floor, raw_mqtt_burst, verify_floor
from benchmarks.seeding import as_synced, nothing_revoked
from facility.clock import Scheduler, SystemClock
from facility.config import FacilityConfig, load_config
from facility.config.models import Door, OpeningHours, Room, Seats
from facility.models import Plan, Reservation
from facility.packaged import DEMO_KEYS, EXAMPLES
from facility.platform import PlatformClient
from facility.tokens import SigningKey, mint, new_id
from facility.topics import SiteTopics
from lockd.clocktrust import ClockTrust
from lockd.daemon import LockDaemon
from lockd.drivers import door_factory
from messagebus import BrokerSettings, BusClient, Inbound
from simulator.broker import MosquittoBroker
from simulator.door import VirtualDoor
from simulator.qtwait import run_until

USERS = {"lockd": "bench-lockd", "platform": "bench-platform"}
KIOSK_SCREEN = (1920, 1080)  # the scan bench's window: a landscape kiosk screen (docs/kiosk.md's sizes)


class RelayMoments:
    """When each probe door's relay was driven to release. The bench's thread is woken once the count it waits for
    is reached, not at every drive: a wake-up per door would take the interpreter from lockd in the middle of a
    batch's relays, and be measured as lockd's."""

    def __init__(self) -> None:
        self.moments: dict[str, list[float]] = {}
        self.total = 0
        self._awaited = 0
        self._changed = threading.Condition()

    def note(self, door_id: str) -> None:
        """A relay was driven now."""
        moment = time.perf_counter()
        with self._changed:
            self.moments.setdefault(door_id, []).append(moment)
            self.total += 1
            if self.total == self._awaited:
                self._changed.notify_all()

    def wait_total(self, total: int, timeout: float) -> bool:
        """True once `total` drives have been noted in all, within timeout seconds."""
        with self._changed:
            self._awaited = total
            return self._changed.wait_for(lambda: self.total >= total, timeout)

    def last(self, door_id: str) -> float:
        """The latest drive of a door's relay."""
        return self.moments[door_id][-1]


class ProbeDoor(VirtualDoor):
    """A virtual door that notes the moment the relay is driven to release."""

    def __init__(self, scheduler: Scheduler, door: Door, moments: RelayMoments) -> None:
        super().__init__(scheduler, door.fail_mode, door.id)
        self.moments = moments

    def set_relay(self, energised: bool) -> None:
        """Note the time of every drive to release, then act as the virtual door."""
        if energised:
            self.moments.note(self.name)
        super().set_relay(energised)


def bench_site(doors: int, data_dir: Path) -> FacilityConfig:
    """The H1T example grown to `doors` booths, open around the clock (a bench runs on the real clock), with no daily
    limit and an NTP-free clock check."""
    base = load_config(EXAMPLES / "h1t-shibuya.toml")
    rooms = [Room(id=f"booth-{n}", name=f"Booth {n}", kind="booth") for n in range(doors)]
    door_list = [
        Door(id=f"booth-{n}", name=f"Booth {n}", rooms=[f"booth-{n}"], driver="simulated", pulse_seconds=0.5)
        for n in range(doors)
    ]
    return base.model_copy(
        update={
            "rooms": rooms,
            "doors": door_list,
            "hours": OpeningHours.around_the_clock(),
            "rules": base.rules.model_copy(update={"max_checkins_per_day": None}),
            "platform": base.platform.model_copy(update={"base_url": "http://127.0.0.1:9/v1", "timeout_seconds": 0.2}),
            "lockd": base.lockd_settings.model_copy(update={"clock_check": "sanity", "data_dir": data_dir}),
        }
    )


def _raw_mqtt(broker: MosquittoBroker, rounds: int) -> tuple[list[float], list[float]]:
    """One-way publish-to-handler and round-trip times of plain MQTT 5 QoS 1 on the same broker."""
    settings = BrokerSettings(broker.host, broker.port, "platform", USERS["platform"])
    sender, echo = BusClient(settings), BusClient(BrokerSettings(broker.host, broker.port, "lockd", USERS["lockd"]))
    arrivals: queue.Queue[float] = queue.Queue()

    def answer(message: Inbound) -> None:
        arrivals.put(time.perf_counter())
        echo.publish(message.response_topic or "bench/pong", b"pong", correlation=message.correlation, timeout=None)

    echo.subscribe("bench/ping", answer)
    for client in (sender, echo):
        client.start()
        client.wait_connected(10)
    one_way, round_trip = [], []
    for _ in range(rounds):
        start = time.perf_counter()
        reply = sender.request("bench/ping", b"ping", "bench/pong", timeout=5)
        round_trip.append(time.perf_counter() - start)
        one_way.append(arrivals.get(timeout=5) - start)
        assert reply is not None
    sender.stop()
    echo.stop()
    return one_way, round_trip


def bench_unlock(commands: int = 1000, doors: int = 1, burst: bool = False) -> dict:
    """Publish `commands` unlock commands over `doors` doors, one at a time (or every door at once, with
    burst); time each to its relay."""
    return on_bench_broker(lambda broker, work: _measure(broker, work, commands, doors, burst))


def on_bench_broker(measure: Callable[[MosquittoBroker, Path], dict]) -> dict:
    """Run a lockd measurement against a fresh Mosquitto in a throwaway folder, lockd's expected warnings muted."""
    logging.disable(logging.WARNING)  # lockd's "platform unreachable" is expected here: the cache is filled directly
    with tempfile.TemporaryDirectory() as work:
        broker = MosquittoBroker(Path(work) / "broker", USERS)
        broker.start()
        try:
            return measure(broker, Path(work))
        finally:
            broker.stop()
            logging.disable(logging.NOTSET)


def _measure(broker: MosquittoBroker, work: Path, commands: int, doors: int, burst: bool) -> dict:
    """Run lockd on probe doors and time commands, then raw MQTT."""
    cfg = bench_site(doors, work / "lockd")
    key = SigningKey.load(DEMO_KEYS / "platform-demo.pem")
    moments = RelayMoments()
    daemon = probe_lockd(broker, cfg, moments)
    sender = BusClient(BrokerSettings(broker.host, broker.port, "platform", USERS["platform"]))
    try:
        daemon.start()
        sender.start()
        sender.wait_connected(10)
        daemon.bus.wait_connected(10)
        latencies = (_send_bursts if burst else _send_commands)(cfg, key, sender, moments, commands)
    finally:
        sender.stop()
        daemon.stop()
    one_way, round_trip = _raw_mqtt(broker, commands)
    report = {
        "benchmark": "unlock",
        "commands": len(latencies),
        "doors": doors,
        "mode": "burst" if burst else "one at a time",
        "publish_to_relay_ms": ms(latencies),
        "raw_mqtt_one_way_ms": ms(one_way),
        "raw_mqtt_round_trip_ms": ms(round_trip),
        "lockd_adds_p99_ms": p99_over_ms(latencies, one_way),
        "floor_one_durable_commit_ms": ms(commit_floor(work, commands)),
        "floor_authenticate_one_command_ms": ms(verify_floor(cfg, key, commands)),
        "floor_one_command_decided_without_mqtt_ms": ms(batch_decision_floor(cfg, key, work, commands, 1)),
    }
    if burst:
        rounds = max(1, commands // doors)
        raw_burst = raw_mqtt_burst(broker, USERS, doors, rounds)
        report |= {
            "floor_raw_mqtt_burst_one_way_ms": ms(raw_burst),
            "floor_batch_decided_without_mqtt_ms": ms(batch_decision_floor(cfg, key, work, rounds)),
            "lockd_adds_p99_over_raw_burst_ms": p99_over_ms(latencies, raw_burst),
        }
    return report


def probe_lockd(broker: MosquittoBroker, cfg: FacilityConfig, moments: RelayMoments) -> LockDaemon:
    """lockd (not started) on probe doors that note each relay's moment, every room booked around now."""
    daemon = LockDaemon(
        cfg,
        BrokerSettings(broker.host, broker.port, "lockd", USERS["lockd"]),
        PlatformClient(cfg.platform),
        door_factory({"simulated": lambda door, scheduler: ProbeDoor(scheduler, door, moments)}),
        trust=ClockTrust("sanity"),
    )
    book_every_room(daemon, cfg)
    return daemon


def book_every_room(daemon: LockDaemon, cfg: FacilityConfig) -> None:
    """Reservation n + 1 of room n for member n + 1 around now, straight into lockd's cache: each booth its own
    booker, as at a site (one member holding a hundred bookings made each decision read a hundred of them)."""
    now = SystemClock().now()
    rows = [
        Reservation(n + 1, room.id, n + 1, now - timedelta(hours=1), now + timedelta(hours=5), plan=Plan.CORPORATE)
        for n, room in enumerate(cfg.rooms)
    ]
    as_synced(daemon.store, rows, 0, now)


def _send_bursts(
    cfg: FacilityConfig, key: SigningKey, sender: BusClient, moments: RelayMoments, count: int
) -> list[float]:
    """Round after round, a command for every door published at once by the platform's own process (BurstSender);
    each timed to its own relay. Each round is a burst on a quiet site: it starts once lockd has answered every
    command of the one before and every door it opened has locked again (its LOCKED state heard)."""
    topics = SiteTopics.of(cfg)
    answers = _Heard(sender, [topics.reply(door.id) for door in cfg.doors])
    locked = _Heard(sender, [topics.door(door.id, "state") for door in cfg.doors], b"LOCKED")
    settings = sender.settings
    burst = BurstSender(settings.host, settings.port, settings.username or "", settings.password or "")
    latencies: list[float] = []
    try:
        for _ in range(max(1, count // len(cfg.doors))):
            texts = [(door.id, command_text(door.id, n + 1, topics, key)) for n, door in enumerate(cfg.doors)]
            driven, answered, relocked = moments.total, answers.count, locked.count
            started = burst.send([(topics.command(door_id), text, topics.reply(door_id)) for door_id, text in texts])
            if not moments.wait_total(driven + len(texts), 30):
                raise TimeoutError("lockd did not drive every relay of a burst within 30 s")
            latencies += [moments.last(door_id) - at for (door_id, _), at in zip(texts, started, strict=True)]
            if not (answers.wait(answered + len(texts), 30) and locked.wait(relocked + len(texts), 30)):
                raise TimeoutError("lockd did not answer every command and lock every door again within 30 s")
    finally:
        burst.close()
    return latencies


class _Heard:
    """Counts the messages heard on some topics (those with a given payload, if one is named)."""

    def __init__(self, bus: BusClient, topics: list[str], payload: bytes | None = None) -> None:
        self.payload = payload
        self.count = 0
        self._changed = threading.Condition()
        for topic in topics:
            bus.subscribe(topic, self._heard)

    def _heard(self, message: Inbound) -> None:
        """One more, if it is one of those counted."""
        if self.payload is not None and message.payload != self.payload:
            return
        with self._changed:
            self.count += 1
            self._changed.notify_all()

    def wait(self, count: int, timeout: float) -> bool:
        """True once `count` have been heard, within timeout seconds."""
        with self._changed:
            return self._changed.wait_for(lambda: self.count >= count, timeout)


def _send_commands(
    cfg: FacilityConfig, key: SigningKey, sender: BusClient, moments: RelayMoments, count: int
) -> list[float]:
    """Publish minted commands one at a time and wait for each relay drive."""
    topics = SiteTopics.of(cfg)
    latencies = []
    for n in range(count):
        door = cfg.doors[n % len(cfg.doors)]
        text = command_text(door.id, n % len(cfg.doors) + 1, topics, key)
        start, driven = time.perf_counter(), moments.total
        sender.publish(topics.command(door.id), text, expiry=30, timeout=None)
        if not moments.wait_total(driven + 1, 10):
            raise TimeoutError("lockd did not drive the relay within 10 s")
        latencies.append(moments.last(door.id) - start)
    return latencies


def _rss_mb() -> float:
    """This process's resident memory in MiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return round(int(line.split()[1]) / 1024, 1)
    return 0.0


def bench_scan(
    width: int = 1280,
    height: int = 720,
    samples: int = 40,
    idle_seconds: float = 5.0,
    screen: tuple[int, int] = KIOSK_SCREEN,
) -> dict:
    """The kiosk on the simulator's camera, its window at a kiosk's screen size: frames decoded (and dropped), time
    per frame, code in frame to verdict on screen, idle cost."""
    import os

    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtWidgets import QApplication

    from benchmarks.decode import qr_version
    from facility.models import Plan
    from facility.tokens import MemberPass, facility_tag
    from kiosk.app import KioskApp
    from simulator.camera import VirtualCamera

    qt = QApplication.instance() or QApplication([])
    base = load_config(EXAMPLES / "kaikatsu-ikebukuro.toml")
    cfg = base.model_copy(
        update={
            "rules": base.rules.model_copy(update={"entry_cutoffs": [], "max_checkins_per_day": None}),
            "seats": Seats(total=2000, few_left_at=5),
            "platform": base.platform.model_copy(update={"base_url": "http://127.0.0.1:9/v1"}),
        }
    )
    key = SigningKey.load(DEMO_KEYS / "platform-demo.pem")
    camera = VirtualCamera(width, height, fps=30, paced=True)
    logging.disable(logging.WARNING)
    with tempfile.TemporaryDirectory() as data:
        kiosk = KioskApp(cfg, camera, data_dir=Path(data))
        nothing_revoked(kiosk.store)  # its platform is unreachable here
        worker = kiosk.scanner.worker
        shown: list[float] = []
        kiosk.verdict_displayed.connect(lambda verdict: shown.append(time.monotonic()))
        kiosk.start(full_screen=False)
        # Full screen offscreen is the platform's 800x600 and a plain window Qt's 640x480: a verdict page that small
        # shrinks its words step by step, which a kiosk's own screen never asks for.
        kiosk.window.resize(*screen)
        idle = _idle(qt, kiosk, idle_seconds)
        latencies, text = [], ""
        frames, dropped, wall = worker.frames, camera.frames_dropped, time.monotonic()
        worker.decode_seconds.clear()
        for n in range(samples):
            text = mint(
                MemberPass(
                    9000 + n,
                    Plan.CORPORATE,
                    new_id(8),
                    int(time.time()),
                    90,
                    facility_tag(cfg.facility.id),
                    None,
                    "計測",
                ),
                key,
            )
            before = len(shown)
            camera.show(text)
            if run_until(partial(_more_than, shown, before), 5) and camera.code_first_seen_at is not None:
                latencies.append(shown[-1] - camera.code_first_seen_at)
            camera.empty()
            run_until(lambda: camera.frames_read % 5 == 0 and camera.code_first_seen_at is not None, 1)
        scanning = {
            "frames_decoded_per_second": round((worker.frames - frames) / (time.monotonic() - wall), 1),
            "frames_dropped": camera.frames_dropped - dropped,
            "decode_ms_per_frame": ms(list(worker.decode_seconds), digits=2),
        }
        kiosk.stop()
    logging.disable(logging.NOTSET)
    return {
        "benchmark": "scan",
        "width": width,
        "height": height,
        "camera_fps": 30,
        "screen": f"{screen[0]}x{screen[1]}",
        "pass_qr_version": qr_version(text),
        **idle,
        "while_members_scan": scanning,
        "code_to_verdict_ms": ms(latencies, digits=1),
    }


def _more_than(shown: list[float], before: int) -> bool:
    """True once another verdict is on screen."""
    return len(shown) > before


def _idle(qt, kiosk, seconds: float) -> dict:
    """Decode rate, frames dropped, time per frame, CPU share and memory while the kiosk scans an empty desk."""
    worker, camera = kiosk.scanner.worker, kiosk.scanner.worker.camera
    frames, dropped, cpu, wall = worker.frames, camera.frames_dropped, time.process_time(), time.monotonic()
    worker.decode_seconds.clear()
    run_until(lambda: time.monotonic() - wall >= seconds, seconds + 1)
    elapsed = time.monotonic() - wall
    return {
        "frames_decoded_per_second": round((worker.frames - frames) / elapsed, 1),
        "idle_frames_dropped": camera.frames_dropped - dropped,
        "idle_decode_ms_per_frame": ms(list(worker.decode_seconds), digits=2),
        "idle_cpu_share_of_one_core": round((time.process_time() - cpu) / elapsed, 3),
        "idle_rss_mb": _rss_mb(),
        "note": "CPU includes the simulated camera drawing its frames in the same process",
    }
