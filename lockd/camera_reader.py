"""A camera at a door, read by the kiosk's own decoder (kiosk/decoding.py) on a thread of its own, without Qt.

This module alone in lockd imports OpenCV and zxing-cpp (through kiosk.camera and kiosk.decoding): a door board
without the extra officepass-edge[door-camera] has neither, so lockd imports it only when a door names a camera.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping

import numpy as np

from facility.config.models import DoorReader
from kiosk.camera import FrameSource, frame_source
from kiosk.decoding import Decoder, make_decoder
from lockd.reader import MAX_SHOWN_CHARS, Alarm, Shown

log = logging.getLogger(__name__)

OFFLINE_SECONDS = 3.0  # no picture this long and the door's reader is offline
RECONNECT_SECONDS = 1.0  # a camera that gives no picture is asked again this often (as the kiosk's scanner does)
REAPPEAR_GAP = 3.0  # unseen this long, a code shown again is a new showing
FRAME_SECONDS = 1 / 30  # at most this many frames a second: a camera that never blocks must not take a core
REMEMBERED_CODES = 64  # codes kept for the gap: a crowd of phones within 3 s cannot grow the memory
JOIN_SECONDS = 5.0
NO_PICTURE = "the camera gives no picture"
PICTURE_BACK = "the camera gives pictures again"


def _never(*_: object) -> None:
    """What the reader calls before start(): nothing."""


class _Trouble:
    """One kind of exception the thread survives: the first is logged with its traceback, every one is counted."""

    def __init__(self, what: str) -> None:
        self.what = what
        self.count = 0

    def happened(self) -> None:
        """Count the exception being handled, and log it if it is the first (a broken camera would flood the log)."""
        self.count += 1
        if self.count == 1:
            log.exception("camera reader: %s failed (further failures are counted, not logged)", self.what)
        else:
            log.debug("camera reader: %s failed again (%d times)", self.what, self.count, exc_info=True)


class CameraReader:
    """A door's camera as a PassReader: each code held up is handed to lockd once per showing."""

    name = "camera"

    def __init__(
        self,
        reader: DoorReader,
        sources: Mapping[str, Callable[[str], FrameSource]] | None = None,
        *,
        offline_after: float = OFFLINE_SECONDS,
        reappear_gap: float = REAPPEAR_GAP,
    ) -> None:
        if reader.kind != "camera" or reader.camera is None:
            raise ValueError("a camera reader needs a door reader of kind 'camera' that names its camera")
        self.setting = reader.camera
        self.sources = sources
        self.decoder: Decoder = make_decoder(reader.decoder)  # the kiosk's decoder for the same setting
        self.offline_after = offline_after
        self.reappear_gap = reappear_gap
        self.last_signal: bool | None = None  # lockd's last verdict (True: opened), for a simulator's screen
        self.frames = 0
        self.codes_read = 0  # codes found in frames, a code held up for a second counting about 30 times
        self.handed_on = 0
        self.decode_errors = _Trouble("decoding a frame")
        self.shown_errors = _Trouble("handing a code to lockd")
        self.read_errors = _Trouble("reading the camera")
        self.offline = False
        self.thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._shown: Shown = _never
        self._alarm: Alarm = _never
        self._seen: OrderedDict[str, float] = OrderedDict()  # text -> when last seen, the longest unseen first

    def start(self, shown: Shown, alarm: Alarm) -> None:
        """Open the camera the door names and read it on a thread of its own until close()."""
        if self.thread is not None:
            raise RuntimeError("the camera reader is already started")
        self._shown, self._alarm = shown, alarm
        camera = frame_source(self.setting, self.sources)
        self.thread = threading.Thread(target=self._run, args=(camera,), name="camera-reader", daemon=True)
        self.thread.start()

    def signal(self, opened: bool) -> None:
        """A bare camera has no LED or beeper: keep the verdict for whoever shows it."""
        log.debug("camera reader: verdict %s", "opened" if opened else "refused")
        self.last_signal = opened

    def close(self) -> None:
        """Stop the thread and wait for it; the thread lets the camera go itself."""
        self._stop.set()
        if self.thread is not None:
            self.thread.join(JOIN_SECONDS)
            if self.thread.is_alive():
                log.warning("camera reader: the camera did not give back its read within %.0f s", JOIN_SECONDS)

    def _run(self, camera: FrameSource) -> None:
        """Read, decode and hand on until stopped; the camera is closed by this thread, never during a read."""
        last_picture = time.monotonic()
        try:
            while not self._stop.is_set():
                began = time.monotonic()
                frame = self._read(camera)
                if frame is None:
                    self._stop.wait(self._no_picture(began - last_picture))
                    continue
                last_picture = began
                self._report_offline(False)
                self._look_at(frame)
                self._stop.wait(max(0.0, began + FRAME_SECONDS - time.monotonic()))
        finally:
            camera.close()

    def _read(self, camera: FrameSource) -> np.ndarray | None:
        """The next frame; None when the camera gives none or its read raises (an unplugged USB camera may)."""
        try:
            return camera.read()
        except Exception:
            self.read_errors.happened()
            return None

    def _no_picture(self, silent: float) -> float:
        """Raise the alarm once the camera has been silent long enough; how long to wait before asking it again."""
        if silent >= self.offline_after:
            self._report_offline(True)
            return RECONNECT_SECONDS
        return min(RECONNECT_SECONDS, self.offline_after - silent)  # so that the alarm is raised on time

    def _report_offline(self, offline: bool) -> None:
        """Raise or clear reader_offline when it changes."""
        if offline == self.offline:
            return
        self.offline = offline
        log.warning("camera reader: %s", NO_PICTURE if offline else PICTURE_BACK)
        try:
            self._alarm("reader_offline", offline, NO_PICTURE if offline else PICTURE_BACK)
        except Exception:
            log.exception("camera reader: raising the alarm failed")

    def _look_at(self, frame: np.ndarray) -> None:
        """Decode one frame and hand on each code not seen within the gap."""
        self.frames += 1
        try:
            found = self.decoder.decode_next(frame)
        except Exception:
            self.decode_errors.happened()
            return
        now = time.monotonic()
        self._forget(now)
        for code in found:
            self.codes_read += 1
            if len(code.text) > MAX_SHOWN_CHARS:
                continue  # no pass is this long; lockd need not hear of it at every frame
            if self._is_new(code.text, now):
                self._hand_on(code.text)

    def _is_new(self, text: str, now: float) -> bool:
        """Note the code as seen now; True when it was not seen within the gap (a new showing)."""
        new = text not in self._seen  # _forget() has dropped whatever was seen before the gap
        self._seen[text] = now
        self._seen.move_to_end(text)
        while len(self._seen) > REMEMBERED_CODES:
            self._seen.popitem(last=False)
        return new

    def _forget(self, now: float) -> None:
        """Drop the codes unseen for the gap: shown again, they are a new showing."""
        while self._seen and now - next(iter(self._seen.values())) >= self.reappear_gap:
            self._seen.popitem(last=False)

    def _hand_on(self, text: str) -> None:
        """Give lockd the code; its own trouble must not stop the door's camera."""
        self.handed_on += 1
        try:
            self._shown(text)
        except Exception:
            self.shown_errors.happened()
