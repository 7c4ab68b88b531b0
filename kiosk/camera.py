"""The frame source seam: where the kiosk's pictures come from (a camera, a file, a stream, or the simulator).

Named sources are registered by entry points in the group `officepass.cameras` (pyproject.toml), the way
gpiozero registers pin factories: the simulator's camera is "simulated" there, so the kiosk never imports the
simulator and loads it only when its file names it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from importlib.metadata import EntryPoint, entry_points
from typing import Protocol

import cv2
import numpy as np

Frame = np.ndarray  # BGR, uint8, height x width x 3
CAMERA_GROUP = "officepass.cameras"
# OpenCV says every failed attempt to open a device at WARN, dozens of lines a second while a camera is unplugged;
# the kiosk says once, in its own words, that the camera gives no picture.
cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_ERROR)


class FrameSource(Protocol):
    """A camera as the kiosk sees it."""

    def read(self) -> Frame | None:
        """The next frame, or None when the camera gives none (unplugged, stream ended)."""

    def close(self) -> None:
        """Let the device go."""


class OpenCVCamera:
    """A real camera through OpenCV: a device number, a video file, or an RTSP/GStreamer URL."""

    def __init__(self, source: str, width: int = 1280, height: int = 720) -> None:
        self.source = int(source) if source.isdigit() else source
        self.width = width
        self.height = height
        self._capture: cv2.VideoCapture | None = None

    def _open(self) -> cv2.VideoCapture | None:
        """Open the device if it is not open; None while it cannot be opened."""
        if self._capture is None or not self._capture.isOpened():
            capture = cv2.VideoCapture(self.source)
            if not capture.isOpened():
                return None
            capture.set(cv2.CAP_PROP_FRAME_WIDTH, self.width)
            capture.set(cv2.CAP_PROP_FRAME_HEIGHT, self.height)
            self._capture = capture
        return self._capture

    def read(self) -> Frame | None:
        """The next frame; None (and the device released, to be reopened) when the read fails."""
        capture = self._open()
        if capture is None:
            return None
        ok, frame = capture.read()
        if not ok:
            self.close()
            return None
        return frame

    def close(self) -> None:
        """Release the device."""
        if self._capture is not None:
            self._capture.release()
            self._capture = None


def installed_cameras() -> dict[str, EntryPoint]:
    """Frame sources the installed packages register by name (entry point group officepass.cameras)."""
    return {point.name: point for point in entry_points(group=CAMERA_GROUP)}


def frame_source(setting: str, sources: Mapping[str, Callable[[str], FrameSource]] | None = None) -> FrameSource:
    """The camera a facility file names: a registered source by its own name (the simulator's is "simulated"),
    anything else a device number, a file or a stream URL for OpenCV."""
    if sources is not None:
        return sources[setting](setting) if setting in sources else OpenCVCamera(setting)
    registered = installed_cameras()
    return registered[setting].load()(setting) if setting in registered else OpenCVCamera(setting)
