"""Capture and decoding off the UI thread: a worker reads frames at the camera's rate and reports codes."""

from __future__ import annotations

import threading
import time
from collections import deque

import cv2
import numpy as np
from PySide6.QtCore import QObject, QThread, Signal, Slot
from PySide6.QtGui import QImage

from kiosk.camera import FrameSource
from kiosk.decoding import Decoded, Decoder

RECONNECT_SECONDS = 1.0
REAPPEAR_GAP = 0.5  # unseen this long, a code shown again is a new showing
PREVIEW_WIDTH = 640  # the reception page shows the camera 480 wide: a 1080p frame need not cross threads whole


def to_qimage(frame: np.ndarray) -> QImage:
    """A BGR frame as a QImage that owns its pixels."""
    rgb = cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)
    height, width = rgb.shape[:2]
    return QImage(rgb.data, width, height, 3 * width, QImage.Format.Format_RGB888).copy()


def preview_of(frame: np.ndarray, codes: list[Decoded], width: int = PREVIEW_WIDTH) -> QImage:
    """The frame scaled down to at most `width` pixels wide, with the codes found outlined."""
    scale = min(1.0, width / frame.shape[1])
    shown = cv2.resize(frame, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA) if scale < 1 else frame.copy()
    for code in codes:
        cv2.polylines(
            shown, [np.array([(x * scale, y * scale) for x, y in code.corners], np.int32)], True, (60, 200, 60), 4
        )
    return to_qimage(shown)


class ScanWorker(QObject):
    """Reads the camera, decodes each frame, and says what it found; lives on its own thread."""

    found = Signal(str)
    preview = Signal(QImage)
    camera_ok = Signal(bool)

    def __init__(self, camera: FrameSource, decoder: Decoder, preview_every: int = 3) -> None:
        super().__init__()
        self.camera = camera
        self.decoder = decoder
        self.preview_every = preview_every
        self.frames = 0
        self.decoded = 0
        self.decode_seconds: deque[float] = deque(maxlen=900)  # the last 30 s at 30 fps, for benches and staff
        self._stop = threading.Event()
        self._last: dict[str, float] = {}
        self._camera_ok: bool | None = None

    @Slot()
    def run(self) -> None:
        """Read and decode until stopped; a lost camera is retried every second."""
        while not self._stop.is_set():
            frame = self.camera.read()
            if frame is None:
                self._report_camera(False)
                self._stop.wait(RECONNECT_SECONDS)
                continue
            self._report_camera(True)
            self._look_at(frame)

    def _look_at(self, frame: np.ndarray) -> None:
        """Decode a frame; report new codes, and show a preview with the codes outlined."""
        self.frames += 1
        began = time.perf_counter()
        found = self.decoder.decode_next(frame)
        self.decode_seconds.append(time.perf_counter() - began)
        now = time.monotonic()
        for code in found:
            self.decoded += 1
            if now - self._last.get(code.text, -REAPPEAR_GAP) >= REAPPEAR_GAP:
                self.found.emit(code.text)  # a pass held up is seen in every frame: say so once per showing
            self._last[code.text] = now
        if found or self.frames % self.preview_every == 0:
            self.preview.emit(preview_of(frame, found))

    def _report_camera(self, ok: bool) -> None:
        """Say when the camera goes away or comes back."""
        if ok != self._camera_ok:
            self._camera_ok = ok
            self.camera_ok.emit(ok)

    def stop(self) -> None:
        """Finish the loop."""
        self._stop.set()


class Scanner(QObject):
    """Owns the worker and its thread."""

    def __init__(self, camera: FrameSource, decoder: Decoder, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.capture_thread = QThread(self)  # not "thread": that would hide QObject.thread()
        self.worker = ScanWorker(camera, decoder)
        self.worker.moveToThread(self.capture_thread)
        self.capture_thread.started.connect(self.worker.run)
        self.capture_thread.finished.connect(self.worker.deleteLater)

    def start(self) -> None:
        """Start scanning."""
        self.capture_thread.start()

    def stop(self) -> None:
        """Stop scanning and wait for the thread."""
        self.worker.stop()
        self.capture_thread.quit()
        self.capture_thread.wait(5000)
