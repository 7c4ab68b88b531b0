"""The virtual camera: the kiosk's frame source seam, filming members' phones as the script says."""

from __future__ import annotations

import threading
import time
from collections import deque
from dataclasses import dataclass

import numpy as np

from simulator.screen import Shot, clean_frame, render_frame


@dataclass(frozen=True)
class Segment:
    """What the camera sees for a number of frames: a phone with a code, or the empty desk."""

    text: str | None
    shot: Shot = Shot()
    frames: int | None = None  # None: until something else is shown


class VirtualCamera:
    """A camera at width x height that films a scripted sequence of phones; it can be unplugged."""

    def __init__(
        self, width: int = 1280, height: int = 720, fps: float = 30.0, paced: bool = False, seed: int = 0
    ) -> None:
        self.size = (width, height)
        self.fps = fps
        self.paced = paced
        self.frames_read = 0
        self.frames_dropped = 0  # frame times that passed while the reader was busy: a real camera drops them
        self.shown: list[tuple[int, str | None]] = []
        self.code_first_seen_at: float | None = None  # when the first frame with the current code was served
        self._rng = np.random.default_rng(seed)
        self._script: deque[Segment] = deque()
        self._current = Segment(None)
        self._left: int | None = None
        self._fresh = False
        self._plugged = threading.Event()
        self._plugged.set()
        self._closed = threading.Event()
        self._next_tick = time.monotonic()
        self._lock = threading.Lock()
        self._draw_ahead(Segment(None))  # the empty desk too: a 1080p desk takes a third of a second to draw

    def show(self, text: str, shot: Shot = Shot(), frames: int | None = None) -> None:
        """Hold a phone with this code up now (for a number of frames, or until changed)."""
        self._draw_ahead(Segment(text, shot, frames))
        with self._lock:
            self._script.clear()
            self._start(Segment(text, shot, frames))

    def empty(self) -> None:
        """Take the phone away."""
        with self._lock:
            self._script.clear()
            self._start(Segment(None))

    def play(self, segments: list[Segment]) -> None:
        """Queue a sequence of phones and empty stretches, shown one after another."""
        for segment in segments:
            self._draw_ahead(segment)
        with self._lock:
            self._script.extend(segments)
            if self._left is None and self._current.text is None:
                self._advance()

    def _draw_ahead(self, segment: Segment) -> None:
        """Draw what a segment shows before it is shown, in the caller's thread: a real camera's frames cost the kiosk
        nothing to make, so the simulator's drawing (tens of milliseconds at 1080p) stays out of the kiosk's time."""
        clean_frame(segment.text, segment.shot, self.size)

    def _start(self, segment: Segment) -> None:
        """Begin showing a segment."""
        self._current, self._left = segment, segment.frames
        self._fresh = segment.text is not None
        self.shown.append((self.frames_read, segment.text))

    def _advance(self) -> None:
        """Move to the next scripted segment, or the empty desk when the script is done."""
        self._start(self._script.popleft() if self._script else Segment(None))

    def unplug(self) -> None:
        """The cable is pulled: reads give nothing until plug()."""
        self._plugged.clear()

    def plug(self) -> None:
        """The cable is back."""
        self._plugged.set()

    def read(self) -> np.ndarray | None:
        """The next frame, or None while unplugged or closed; paced to fps when asked."""
        if self._closed.is_set() or not self._plugged.is_set():
            return None
        if self.paced:
            self._wait_for_tick()
        with self._lock:
            segment, first, self._fresh = self._current, self._fresh, False
            self.frames_read += 1  # counted first, so a segment begun now is logged at its first frame
            if self._left is not None:
                self._left -= 1
                if self._left <= 0:
                    self._advance()
        frame = render_frame(segment.text, segment.shot, self.size, self._rng)
        if first:
            self.code_first_seen_at = time.monotonic()  # the moment the frame is served, as a camera delivers it
        return frame

    def _wait_for_tick(self) -> None:
        """Hold the read until the next frame time, as a real camera does; count the frames a slow reader missed."""
        due, now = self._next_tick + 1 / self.fps, time.monotonic()
        if now > due:
            self.frames_dropped += int((now - due) * self.fps)
        self._next_tick = max(due, now)
        self._closed.wait(max(0.0, self._next_tick - time.monotonic()))

    def close(self) -> None:
        """Stop giving frames."""
        self._closed.set()


def paced_camera(setting: str) -> VirtualCamera:
    """The simulator's camera, paced like a real one, as the kiosk loads it (entry point officepass.cameras)."""
    return VirtualCamera(paced=True)
