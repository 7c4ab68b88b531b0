"""Benchmark (not a test): a pass shown at a door's reader to lockd driving the relay, with the cloud out of reach.

lockd runs on probe doors with its booking cache filled and no platform at all (its address answers nothing), as a
site with the WAN cut. Two readers:
- camera: the simulator's camera at 1280x720, 30 frames a second, paced like a real one; timed from the first frame
  that shows the pass being served to the relay;
- osdp: the simulator's OSDP reader (libosdp's peripheral side) on a real pty pair at 115200 baud, Secure Channel
  on; timed from the reader being handed the pass to the relay.
Goals (issue 25): p95 under 300 ms with a camera, under 150 ms over OSDP.
"""

from __future__ import annotations

import random
import secrets
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

from benchmarks.figures import ms
from benchmarks.unlock import USERS, ProbeDoor, RelayMoments, bench_site, book_every_room
from facility.config import FacilityConfig
from facility.config.models import Door, DoorReader, OsdpBus
from facility.models import Plan
from facility.packaged import DEMO_KEYS
from facility.platform import PlatformClient
from facility.tokens import MemberPass, SigningKey, facility_tag, mint, new_id
from lockd.clocktrust import ClockTrust
from lockd.daemon import LockDaemon
from lockd.drivers import door_factory
from lockd.reader import PassReader
from messagebus import BrokerSettings
from simulator.broker import MosquittoBroker

RELAY_TIMEOUT = 5.0


class MonotonicMoments(RelayMoments):
    """RelayMoments on time.monotonic, the clock the simulator's camera stamps its frames with."""

    def note(self, door_id: str) -> None:
        """A relay was driven now."""
        moment = time.monotonic()
        with self._changed:
            self.moments.setdefault(door_id, []).append(moment)
            self.total += 1
            if self.total >= self._awaited:
                self._changed.notify_all()


def door_pass(cfg: FacilityConfig, key: SigningKey, booth: int) -> str:
    """A door pass for booth n's booking (reservation n + 1 of member n + 1, as book_every_room makes them)."""
    issued = MemberPass(
        booth + 1, Plan.CORPORATE, new_id(8), int(time.time()), 90, facility_tag(cfg.facility.id), booth + 1
    )
    return mint(issued, key)


def reader_lockd(
    work: Path,
    broker: MosquittoBroker,
    reader: DoorReader,
    make: Callable[[Door], PassReader] | None = None,
    bus: OsdpBus | None = None,
) -> tuple[LockDaemon, MonotonicMoments, FacilityConfig]:
    """lockd (started) on one probe door with the given reader (made by `make`, or as lockd makes it on the site's
    OSDP `bus`), every room booked around now, no platform."""
    cfg = bench_site(1, work / "lockd")
    cfg = cfg.model_copy(
        update={
            "doors": [cfg.doors[0].model_copy(update={"reader": reader})],
            "lockd": cfg.lockd_settings.model_copy(update={"osdp": bus}),
        }
    )
    moments = MonotonicMoments()
    daemon = LockDaemon(
        cfg,
        BrokerSettings(broker.host, broker.port, "lockd", USERS["lockd"]),
        PlatformClient(cfg.platform),
        door_factory({"simulated": lambda door, scheduler: ProbeDoor(scheduler, door, moments)}),
        trust=ClockTrust("sanity"),
        readers_for=make,
    )
    book_every_room(daemon, cfg)
    daemon.start()
    threading.Event().wait(1.1)  # passes are minted in whole seconds: the first must not predate the store
    return daemon, moments, cfg


def time_shows(shows: int, show: Callable[[str], float], cfg: FacilityConfig, moments: MonotonicMoments) -> list[float]:
    """Show `shows` fresh passes one after the other; seconds from each showing (as `show` stamps it) to its relay."""
    key = SigningKey.load(DEMO_KEYS / "platform-demo.pem")
    latencies = []
    pace = random.Random(25)
    for _ in range(shows):
        # The next member comes some time after the last (the reader's LED and beeper commands for the last verdict
        # have gone out by then); at random moments, so that no showing falls into step with the reader's polls.
        threading.Event().wait(pace.uniform(0.3, 1.0))
        driven = moments.total
        shown_at = show(door_pass(cfg, key, 0))
        if not moments.wait_total(driven + 1, RELAY_TIMEOUT):
            raise TimeoutError("lockd did not open the door for a valid pass within 5 s")
        latencies.append(moments.last(cfg.doors[0].id) - shown_at)
    return latencies


def bench_camera(work: Path, broker: MosquittoBroker, shows: int) -> dict:
    """The camera reader: first frame with the pass served -> relay."""
    from lockd.camera_reader import CameraReader
    from simulator.camera import VirtualCamera

    camera = VirtualCamera(1280, 720, fps=30, paced=True)
    setting = DoorReader(kind="camera", camera="bench")
    daemon, moments, cfg = reader_lockd(
        work, broker, setting, lambda door: CameraReader(setting, {"bench": lambda _: camera})
    )

    def show(text: str) -> float:
        camera.empty()  # the last member has gone
        before = camera.code_first_seen_at
        camera.show(text)
        deadline = time.monotonic() + RELAY_TIMEOUT
        while camera.code_first_seen_at == before and time.monotonic() < deadline:
            threading.Event().wait(0.001)  # until the camera has served the first frame with this pass
        return camera.code_first_seen_at or time.monotonic()

    try:
        latencies = time_shows(shows, show, cfg, moments)
    finally:
        daemon.stop()
    return {"reader": "camera 1280x720 30 fps", "shown_to_relay_ms": ms(latencies), "goal_p95_ms": 300}


def bench_osdp(work: Path, broker: MosquittoBroker, shows: int) -> dict:
    """The OSDP reader on a real pty at 115200 baud, Secure Channel on: the pass handed to the reader -> relay."""
    from simulator.osdp_reader import SimulatedOsdpReader

    scbk = secrets.token_bytes(16)
    key_file = work / "reader.key"
    key_file.write_text(scbk.hex() + "\n")
    with SimulatedOsdpReader(1, scbk, baud=115200) as device:
        setting = DoorReader(kind="osdp", address=1, key_file=key_file)
        daemon, moments, cfg = reader_lockd(work, broker, setting, bus=device.bus())
        try:
            if not device.wait_for(lambda: device.secure, 15):
                raise TimeoutError("the reader's Secure Channel did not come up")

            def show(text: str) -> float:
                started = time.monotonic()
                device.show(text)
                return started

            latencies = time_shows(shows, show, cfg, moments)
        finally:
            daemon.stop()
    return {"reader": "osdp 115200 baud, Secure Channel", "shown_to_relay_ms": ms(latencies), "goal_p95_ms": 150}


def bench_reader(shows: int = 50) -> dict:
    """Both readers, each on a fresh lockd and broker: pass shown -> relay, with the cloud out of reach."""
    report: dict = {"benchmark": "reader", "shows": shows}
    with tempfile.TemporaryDirectory() as folder:
        for name, measure in (("camera", bench_camera), ("osdp", bench_osdp)):
            work = Path(folder) / name
            broker = MosquittoBroker(work / "broker", USERS)
            broker.start()
            try:
                report[name] = measure(work, broker, shows)
            finally:
                broker.stop()
    return report
