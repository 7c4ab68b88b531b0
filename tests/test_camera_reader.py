"""A camera at a door: the simulator's camera filmed, read by the kiosk's decoder, each showing handed to lockd once."""

from __future__ import annotations

import ast
import logging
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator

import numpy as np
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from facility.config.models import DoorReader
from facility.models import Plan
from facility.tokens import MemberPass, SigningKey, facility_tag, mint
from kiosk.decoding import Decoded, ZxingDecoder
from lockd.camera_reader import NO_PICTURE, PICTURE_BACK, CameraReader
from simulator.camera import VirtualCamera
from tests.conftest import REPO
from tests.heard import WAIT, HeardByLockd

# A fixed pass (fixed key, id and times: it is only read, never verified), 143 Base45 characters, QR version 6.
PASS = mint(
    MemberPass(1001, Plan.CORPORATE, b"door0001", 1_795_000_000, 90, facility_tag("kaikatsu-ikebukuro"), None, "葵"),
    SigningKey(Ed25519PrivateKey.from_private_bytes(bytes(32))),
)
OTHER = mint(
    MemberPass(1002, Plan.CORPORATE, b"door0002", 1_795_000_000, 90, facility_tag("kaikatsu-ikebukuro"), None, "蓮"),
    SigningKey(Ed25519PrivateKey.from_private_bytes(bytes(32))),
)
DOOR_CAMERA = DoorReader(kind="camera", camera="simulated", decoder="zxing")


class Watched:
    """The virtual camera as a frame source whose reads a test can wait for."""

    def __init__(self, camera: VirtualCamera) -> None:
        self.camera = camera
        self.reads = 0
        self.closed = False
        self.changed = threading.Condition()

    def read(self) -> np.ndarray | None:
        """The camera's next frame, counted."""
        frame = self.camera.read()
        with self.changed:
            self.reads += 1
            self.changed.notify_all()
        return frame

    def close(self) -> None:
        """Close the camera."""
        self.camera.close()
        with self.changed:
            self.closed = True
            self.changed.notify_all()

    def wait_for(self, condition: Callable[[], bool]) -> bool:
        """Wait (at most WAIT) until the condition holds, looking again at every read."""
        with self.changed:
            return self.changed.wait_for(condition, WAIT)

    def wait_reads(self, more: int) -> bool:
        """Wait until the reader has taken `more` frames from now."""
        target = self.reads + more
        return self.wait_for(lambda: self.reads >= target)


@pytest.fixture
def camera() -> Watched:
    """The simulator's camera, unpaced and small, so the tests run at the decoder's speed."""
    return Watched(VirtualCamera(640, 480))


@pytest.fixture
def lockd() -> HeardByLockd:
    """A lockd that records what the reader says."""
    return HeardByLockd()


def reading(camera: Watched, lockd: HeardByLockd, **options: float) -> Iterator[CameraReader]:
    """A started reader on the camera, closed afterwards."""
    reader = CameraReader(DOOR_CAMERA, {"simulated": lambda setting: camera}, **options)
    reader.start(lockd.on_shown, lockd.on_alarm)
    try:
        yield reader
    finally:
        reader.close()


@pytest.fixture
def reader(camera: Watched, lockd: HeardByLockd) -> Iterator[CameraReader]:
    """A started reader with the product's timings."""
    yield from reading(camera, lockd)


@pytest.fixture
def quick_reader(camera: Watched, lockd: HeardByLockd) -> Iterator[CameraReader]:
    """A started reader that forgets a code after 1 s and calls a silent camera offline after 0.3 s."""
    yield from reading(camera, lockd, reappear_gap=1.0, offline_after=0.3)


def test_the_pass_is_a_real_143_character_code() -> None:
    assert len(PASS) == 143 and PASS.isascii()


def test_a_code_held_for_many_frames_is_handed_on_once(
    camera: Watched, lockd: HeardByLockd, reader: CameraReader
) -> None:
    camera.camera.show(PASS)
    assert lockd.wait_for(lambda: len(lockd.shown) == 1)
    read_before = reader.codes_read
    assert camera.wait_reads(20)
    assert camera.wait_for(lambda: reader.codes_read >= read_before + 15)  # still read, frame after frame
    assert lockd.shown == [PASS] and reader.handed_on == 1


def test_a_code_that_leaves_and_comes_back_after_the_gap_is_handed_on_again(
    camera: Watched, lockd: HeardByLockd, quick_reader: CameraReader
) -> None:
    camera.camera.show(PASS)
    assert lockd.wait_for(lambda: lockd.shown == [PASS])
    camera.camera.empty()
    assert camera.wait_reads(3)
    camera.camera.show(PASS)  # back within the gap: the same showing
    assert camera.wait_for(lambda: quick_reader.codes_read >= 2 and camera.camera.code_first_seen_at is not None)
    assert camera.wait_reads(5)
    assert lockd.shown == [PASS]
    camera.camera.empty()
    left = time.monotonic()
    assert camera.wait_for(lambda: time.monotonic() - left > quick_reader.reappear_gap)  # checked at every frame
    camera.camera.show(PASS)
    assert lockd.wait_for(lambda: len(lockd.shown) == 2)
    assert lockd.shown == [PASS, PASS]


def test_two_codes_in_turn_are_each_handed_on(camera: Watched, lockd: HeardByLockd, reader: CameraReader) -> None:
    camera.camera.show(PASS)
    assert lockd.wait_for(lambda: len(lockd.shown) == 1)
    camera.camera.show(OTHER)
    assert lockd.wait_for(lambda: len(lockd.shown) == 2)
    assert lockd.shown == [PASS, OTHER]


def test_the_codes_remembered_are_bounded(camera: Watched, lockd: HeardByLockd, reader: CameraReader) -> None:
    reader.decoder = Crowd()  # new codes in every frame: far more within the gap than a door ever sees
    assert lockd.wait_for(lambda: len(lockd.shown) >= 200)
    assert len(lockd.shown) == len(set(lockd.shown)) and len(reader._seen) <= 64


class Crowd:
    """A decoder that finds ten codes never seen before in every frame."""

    name = "crowd"

    def __init__(self) -> None:
        self.frames = 0

    def decode(self, frame: np.ndarray) -> list[Decoded]:
        """New codes."""
        return self.decode_next(frame)

    def decode_next(self, frame: np.ndarray) -> list[Decoded]:
        """New codes."""
        self.frames += 1
        return [Decoded(f"code {self.frames}.{n}", ()) for n in range(10)]


class Failing:
    """The kiosk's decoder, raising for its first few frames."""

    name = "zxing"

    def __init__(self, failures: int) -> None:
        self.inner = ZxingDecoder()
        self.failures = failures

    def decode(self, frame: np.ndarray) -> list[Decoded]:
        """A still, as the kiosk's."""
        return self.inner.decode(frame)

    def decode_next(self, frame: np.ndarray) -> list[Decoded]:
        """Raise while failures are left, then decode."""
        if self.failures > 0:
            self.failures -= 1
            raise RuntimeError("a frame the decoder chokes on")
        return self.inner.decode_next(frame)


def test_a_decoder_exception_is_logged_once_and_counted_and_the_reading_goes_on(
    camera: Watched, lockd: HeardByLockd, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="lockd.camera_reader")
    reader = CameraReader(DOOR_CAMERA, {"simulated": lambda setting: camera})
    reader.decoder = Failing(5)
    camera.camera.show(PASS)
    reader.start(lockd.on_shown, lockd.on_alarm)
    try:
        assert lockd.wait_for(lambda: lockd.shown == [PASS])
        assert reader.decode_errors.count == 5
        assert reader.thread is not None and reader.thread.is_alive()
    finally:
        reader.close()
    logged = [r for r in caplog.records if "decoding a frame failed" in r.getMessage() and r.levelno >= logging.ERROR]
    assert len(logged) == 1 and logged[0].exc_info is not None


def test_lockd_raising_on_a_code_does_not_stop_the_camera(camera: Watched, lockd: HeardByLockd) -> None:
    def shown(text: str) -> None:
        lockd.on_shown(text)
        if len(lockd.shown) == 1:
            raise RuntimeError("lockd choked on the first code")

    reader = CameraReader(DOOR_CAMERA, {"simulated": lambda setting: camera})
    reader.start(shown, lockd.on_alarm)
    try:
        camera.camera.show(PASS)
        assert lockd.wait_for(lambda: len(lockd.shown) == 1)
        camera.camera.show(OTHER)
        assert lockd.wait_for(lambda: len(lockd.shown) == 2)
        assert lockd.shown == [PASS, OTHER] and reader.shown_errors.count == 1
    finally:
        reader.close()


def test_a_camera_without_a_picture_raises_reader_offline_and_clears_it_when_frames_come_back(
    camera: Watched, lockd: HeardByLockd
) -> None:
    camera.camera.unplug()
    reader = CameraReader(DOOR_CAMERA, {"simulated": lambda setting: camera}, offline_after=0.3)
    started = time.monotonic()
    reader.start(lockd.on_shown, lockd.on_alarm)
    try:
        assert lockd.wait_for(lambda: len(lockd.alarms) == 1)
        assert time.monotonic() - started >= 0.3 and reader.offline
        assert camera.wait_reads(1)  # asked again while offline
        camera.camera.plug()
        assert lockd.wait_for(lambda: len(lockd.alarms) == 2)
        assert lockd.alarms == [("reader_offline", True, NO_PICTURE), ("reader_offline", False, PICTURE_BACK)]
        assert NO_PICTURE == "the camera gives no picture" and not reader.offline
        camera.camera.show(PASS)
        assert lockd.wait_for(lambda: lockd.shown == [PASS])
    finally:
        reader.close()


def test_a_camera_that_stops_giving_pictures_goes_offline(
    camera: Watched, lockd: HeardByLockd, quick_reader: CameraReader
) -> None:
    assert camera.wait_reads(3)
    assert lockd.alarms == []
    camera.camera.unplug()
    assert lockd.wait_for(lambda: lockd.alarms == [("reader_offline", True, NO_PICTURE)])
    camera.camera.plug()
    assert lockd.wait_for(lambda: len(lockd.alarms) == 2)


def test_a_camera_whose_read_raises_counts_as_one_without_a_picture(lockd: HeardByLockd) -> None:
    class Broken:
        def read(self) -> np.ndarray | None:
            raise OSError("the USB camera went away mid-read")

        def close(self) -> None:
            """Nothing to let go."""

    reader = CameraReader(DOOR_CAMERA, {"simulated": lambda setting: Broken()}, offline_after=0.2)
    reader.start(lockd.on_shown, lockd.on_alarm)
    try:
        assert lockd.wait_for(lambda: lockd.alarms == [("reader_offline", True, NO_PICTURE)])
        assert reader.read_errors.count >= 1 and reader.thread is not None and reader.thread.is_alive()
    finally:
        reader.close()


def test_close_stops_the_thread_and_lets_the_camera_go(camera: Watched, lockd: HeardByLockd) -> None:
    reader = CameraReader(DOOR_CAMERA, {"simulated": lambda setting: camera})
    reader.start(lockd.on_shown, lockd.on_alarm)
    assert camera.wait_reads(2)
    reader.close()
    assert reader.thread is not None and not reader.thread.is_alive()
    assert camera.closed
    reads = camera.reads
    reader.close()  # twice is harmless
    assert camera.reads == reads


def test_the_verdict_is_kept_for_a_screen_to_show(reader: CameraReader) -> None:
    assert reader.last_signal is None
    reader.signal(True)
    assert reader.last_signal is True
    reader.signal(False)
    assert reader.last_signal is False


def test_the_reader_uses_the_decoder_the_kiosk_builds_for_the_setting() -> None:
    assert isinstance(CameraReader(DOOR_CAMERA).decoder, ZxingDecoder)
    pyzbar = CameraReader(DoorReader(kind="camera", camera="0", decoder="pyzbar"))
    assert pyzbar.decoder.name == "pyzbar" and pyzbar.name == "camera"


def test_a_door_reader_of_another_kind_is_refused(tmp_path) -> None:
    key = tmp_path / "reader.key"
    key.write_text("00" * 16)
    with pytest.raises(ValueError, match="kind 'camera'"):
        CameraReader(DoorReader(kind="osdp", address=1, key_file=key))


def test_nothing_else_in_lockd_imports_the_camera_or_vision_libraries_at_module_top() -> None:
    vision = {"lockd.camera_reader", "cv2", "zxingcpp", "pyzbar", "numpy", "kiosk"}
    found = {}
    for path in sorted((REPO / "lockd").glob("*.py")):
        if path.name == "camera_reader.py":
            continue
        for node in ast.parse(path.read_text(encoding="utf-8")).body:  # the module's top level only
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module, *(f"{node.module}.{alias.name}" for alias in node.names)]
            hits = [n for n in names if n in vision or n.split(".")[0] in vision - {"lockd"}]
            if hits:
                found[path.name] = hits
    assert found == {}


def test_the_camera_reader_needs_only_the_door_camera_extra() -> None:
    script = (
        "import sys, lockd.camera_reader\n"
        "print(sorted({n.split('.')[0] for n in sys.modules} & {'PySide6', 'qrcode', 'budoux', 'simulator'}))"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=REPO, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"  # no Qt, and the simulator's camera only when a door names it
