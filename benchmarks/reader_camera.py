"""Benchmark building block: a camera at a door (lockd/camera_reader.py), from the frame showing a pass to lockd.

The simulator's camera films passes at 1280x720 and 30 frames a second, paced like a real camera; the door's reader
decodes them with the kiosk's decoder on its own thread. Each showing is timed from the moment the camera serves the
first frame with the code (a real camera's frame being available) to the moment the reader hands the text to lockd:
the decoder's time, the frames it needed, and any wait between frames. `officepass-sim bench reader` builds on
`measure_camera_reader`; on its own: `python -m benchmarks.reader_camera --shows 100`.
"""

from __future__ import annotations

import argparse
import json
import queue
import threading
import time
from typing import Literal

import numpy as np

from benchmarks.decode import bench_passes, qr_version
from benchmarks.figures import ms
from facility.config.models import DoorReader
from lockd.camera_reader import CameraReader
from simulator.camera import VirtualCamera

SHOWN_TIMEOUT = 5.0  # a pass not handed on by then counts as unread
EMPTY_FRAMES = 5  # the empty desk between two members, as at a real door
CAMERA_FPS = 30.0


class _CountedCamera:
    """The simulator's camera as the reader's frame source, with its reads countable and waitable."""

    def __init__(self, camera: VirtualCamera) -> None:
        self.camera = camera
        self.reads = 0
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

    def wait_reads(self, more: int, timeout: float = SHOWN_TIMEOUT) -> bool:
        """Wait until `more` frames have been read from now."""
        with self.changed:
            target = self.reads + more
            return self.changed.wait_for(lambda: self.reads >= target, timeout)


def _one_show(camera: _CountedCamera, handed: queue.Queue[tuple[str, float]], text: str) -> float | None:
    """Seconds from the first frame with the code to the reader handing it on; None when it never did."""
    camera.camera.show(text)  # drawn here, before it is shown: the drawing is not the reader's time
    deadline = time.monotonic() + SHOWN_TIMEOUT
    latency = None
    while latency is None and (left := deadline - time.monotonic()) > 0:
        try:
            got, at = handed.get(timeout=left)
        except queue.Empty:
            break
        if got == text and camera.camera.code_first_seen_at is not None:
            latency = at - camera.camera.code_first_seen_at
    camera.camera.empty()
    camera.wait_reads(EMPTY_FRAMES)
    return latency


def measure_camera_reader(
    shows: int, *, width: int = 1280, height: int = 720, decoder: Literal["zxing", "pyzbar"] = "zxing"
) -> dict:
    """Time `shows` passes from frame to lockd through the door's camera reader: samples and percentiles (ms)."""
    camera = _CountedCamera(VirtualCamera(width, height, fps=CAMERA_FPS, paced=True))
    handed: queue.Queue[tuple[str, float]] = queue.Queue()
    reader = CameraReader(
        DoorReader(kind="camera", camera="simulated", decoder=decoder), {"simulated": lambda setting: camera}
    )
    reader.start(lambda text: handed.put((text, time.monotonic())), lambda reason, raised, detail: None)
    texts = bench_passes(shows + 1)
    try:
        _one_show(camera, handed, texts[0])  # warm-up, not counted: the decoder's first call loads its tables
        dropped = camera.camera.frames_dropped
        timed = [_one_show(camera, handed, text) for text in texts[1:]]
    finally:
        reader.close()
    samples = [seconds for seconds in timed if seconds is not None]
    spread = ms(samples, digits=1)
    return {
        "benchmark": "reader camera",
        "width": width,
        "height": height,
        "camera_fps": CAMERA_FPS,
        "decoder": decoder,
        "pass_chars": len(texts[0]),
        "pass_qr_version": qr_version(texts[0]),
        "read": f"{len(samples)}/{shows}",
        "frames_dropped": camera.camera.frames_dropped - dropped,
        "p50_ms": spread["median"],
        "p95_ms": spread["p95"],
        "frame_to_shown_ms": spread,  # count, median, nearest-rank p95 and p99, max: as every benchmark says them
        "samples_ms": [round(seconds * 1000, 2) for seconds in samples],
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="A door's camera reader: frame showing a pass to lockd.")
    parser.add_argument("--shows", type=int, default=100, help="passes shown (default 100)")
    parser.add_argument("--decoder", choices=["zxing", "pyzbar"], default="zxing", help="default zxing")
    options = parser.parse_args()
    print(json.dumps(measure_camera_reader(options.shows, decoder=options.decoder)))
