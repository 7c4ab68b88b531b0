"""The decoder seam: zxing-cpp by default, with a cascade for hard pictures; pyzbar as the alternative.

zxing-cpp reads most frames in a millisecond or two. When it reads nothing but the picture has a patch of dense,
sharp-edged texture where a code probably is, the cascade looks at that patch again in other ways: enlarged (a
code held far away), sharpened or deconvolved (out of focus), smoothed (screen moire, sensor noise), thresholded
globally (glare, low contrast), and through pyzbar as a second opinion. A still picture gets every way at once.
A camera gets the time left in each frame: the cascade carries on over the next frames where it stopped, and the
way that read last is tried first. Every way reads QR Model 2 only, so Reed-Solomon error correction stands
between a bad picture and a wrong text.

WeChat's QR reader (opencv-contrib) is here for `bench decode --images`, which compares the decoders: without its
CNN models it read nothing that the cascade does not, on real photographs or on those made with OpenCV, and it takes
10-500 ms on a patch that the cascade must look at within a frame's 6 ms, so the cascade does not use it.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import cv2
import numpy as np
import zxingcpp
from pyzbar import pyzbar

Point = tuple[int, int]

FRAME_BUDGET_SECONDS = 0.006  # a camera's frame: the first look, the search and the cascade together
ANALYSIS_WIDTH = 640  # the search for likely codes works on the picture scaled to about this size
CELL = 8  # ... in cells of this many analysis pixels
STILL_SIDE = 2000  # a still larger than this is looked at again scaled down to it


@dataclass(frozen=True)
class Decoded:
    """A code found in a frame: its text and its corners (for the preview)."""

    text: str
    corners: tuple[Point, ...]


class Decoder(Protocol):
    """Finds QR codes in a frame."""

    name: str

    def decode(self, frame: np.ndarray) -> list[Decoded]:
        """Every QR code in a still picture, by every means the decoder has."""

    def decode_next(self, frame: np.ndarray) -> list[Decoded]:
        """The QR codes in the next frame from a camera, within a frame's time."""


def to_gray(frame: np.ndarray) -> np.ndarray:
    """The frame's luminance (zxing-cpp converts BGR itself, at twice OpenCV's cost); BGRA pictures too."""
    if frame.ndim == 2:
        return frame
    return cv2.cvtColor(frame, cv2.COLOR_BGRA2GRAY if frame.shape[2] == 4 else cv2.COLOR_BGR2GRAY)


def read_zxing(image: np.ndarray, global_threshold: bool = False) -> list[Decoded]:
    """zxing-cpp on one image: QR Model 2, light-on-dark too; one threshold for the whole image when asked."""
    # Model 2 only: a pass never fits Micro QR or rMQR, and their false positives in moire would flash red. (No
    # zxing-cpp objects at module level: nanobind reports them as leaks when the interpreter exits.)
    binarizer = zxingcpp.Binarizer.GlobalHistogram if global_threshold else zxingcpp.Binarizer.LocalAverage
    found = zxingcpp.read_barcodes(
        image,
        formats=zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCodeModel2),
        try_invert=True,
        binarizer=binarizer,
    )
    return [
        Decoded(
            b.text,
            tuple(
                (p.x, p.y)
                for p in (b.position.top_left, b.position.top_right, b.position.bottom_right, b.position.bottom_left)
            ),
        )
        for b in found
        if b.valid
    ]


def read_pyzbar(gray: np.ndarray) -> list[Decoded]:
    """pyzbar on one grayscale image, and on its inverse when that finds nothing (libzbar reads dark-on-light only)."""
    for image in (gray, 255 - gray):
        found = pyzbar.decode(image, symbols=[pyzbar.ZBarSymbol.QRCODE])
        if found:
            return [Decoded(s.data.decode("utf-8", "replace"), tuple((p.x, p.y) for p in s.polygon)) for s in found]
    return []


def wechat_available() -> bool:
    """True when OpenCV has WeChat's QR reader (opencv-contrib-python-headless; the plain wheel lacks it)."""
    return hasattr(cv2, "wechat_qrcode_WeChatQRCode")


_wechat = threading.local()  # one reader a thread: OpenCV's reader objects are not to be shared between threads


def read_wechat(gray: np.ndarray) -> list[Decoded]:
    """WeChat's QR reader (opencv-contrib) on one image: its own finder-pattern search and binarizers, no CNN models
    (OpenCV 5 reads them as ONNX, which no package ships); QR codes only, like the other readers."""
    reader = getattr(_wechat, "reader", None)
    if reader is None:
        reader = _wechat.reader = cv2.wechat_qrcode_WeChatQRCode()  # type: ignore[attr-defined]
    texts, points = reader.detectAndDecode(gray)
    return [
        Decoded(text, tuple((round(float(x)), round(float(y))) for x, y in np.asarray(corners).reshape(-1, 2)))
        for text, corners in zip(texts, points, strict=False)
        if text
    ]


# --- where a code probably is -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Region:
    """A box in the frame (pixels) where a code probably is, and how sure the search is."""

    x: int
    y: int
    width: int
    height: int
    score: float

    def cut(self, gray: np.ndarray, margin: float = 0.15) -> tuple[np.ndarray, Point]:
        """The box with a margin (a code's quiet zone and what the search cut off), and its top-left corner."""
        pad = int(max(self.width, self.height) * margin) + 8
        top, left = max(0, self.y - pad), max(0, self.x - pad)
        return gray[top : self.y + self.height + pad, left : self.x + self.width + pad], (left, top)

    def holds(self, point: tuple[float, float]) -> bool:
        """True when the point lies in the box."""
        return self.x <= point[0] <= self.x + self.width and self.y <= point[1] <= self.y + self.height


_SQUARE_3 = np.ones((3, 3), np.uint8)


def likely_codes(gray: np.ndarray, limit: int = 2) -> list[Region]:
    """Where codes probably are though none was read: patches dense with strong edges, best first.

    A QR code is a block of sharp light-dark edges in every direction; a desk, a wall or a face is not. The search
    scales the picture to about ANALYSIS_WIDTH wide (a code held far away is still a dense patch there), marks the
    pixels whose 3x3 neighbourhood spans a quarter of the picture's contrast, and keeps connected CELL-sized cells
    where a quarter of the pixels are marked. It costs a fraction of a millisecond, so an empty desk costs nothing
    more than the first look."""
    height, width = gray.shape[:2]
    scale = min(1.0, ANALYSIS_WIDTH / max(width, height))
    small = cv2.resize(gray, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA) if scale < 1 else gray
    low, high = np.percentile(small[::4, ::4], (1, 99))
    edges = (cv2.morphologyEx(small, cv2.MORPH_GRADIENT, _SQUARE_3) > max(12.0, 0.25 * (high - low))).astype(np.float32)
    rows, cols = edges.shape[0] // CELL, edges.shape[1] // CELL
    if rows < 2 or cols < 2:
        return []
    density = cv2.resize(edges[: rows * CELL, : cols * CELL], (cols, rows), interpolation=cv2.INTER_AREA)
    _, _, stats, _ = cv2.connectedComponentsWithStats((density > 0.25).astype(np.uint8), connectivity=8)
    size = CELL / scale
    # A patch over a third of the picture is texture or sensor noise: a code that large is read at first look.
    found = [
        Region(int(x * size), int(y * size), int(w * size), int(h * size), float(area))
        for x, y, w, h, area in stats[1:]
        if w >= 2 and h >= 2 and area >= 4 and w * h <= rows * cols / 3
    ]
    return sorted(found, key=lambda region: -region.score)[:limit]


# --- ways of looking again -----------------------------------------------------------------------------------


def _enlarge(side: int, most: float = 4.0) -> Callable[[np.ndarray], np.ndarray | None]:
    """Bicubic enlargement towards `side` pixels (at most `most` times), so that modules of a pixel or two get enough
    pixels for the sampling grid; None for a patch already large enough."""

    def prepare(gray: np.ndarray) -> np.ndarray | None:
        factor = min(most, side / max(gray.shape))
        if factor < 1.5:
            return None
        return cv2.resize(gray, None, fx=factor, fy=factor, interpolation=cv2.INTER_CUBIC)

    return prepare


def _sharpen(sigma: float, amount: float) -> Callable[[np.ndarray], np.ndarray]:
    """Unsharp masking: restores the edges that a slightly soft focus spreads."""

    def prepare(gray: np.ndarray) -> np.ndarray:
        return cv2.addWeighted(gray, 1 + amount, cv2.GaussianBlur(gray, (0, 0), sigma), -amount, 0)

    return prepare


def _deblur(sigma: float, noise: float = 0.003) -> Callable[[np.ndarray], np.ndarray]:
    """Wiener deconvolution of a Gaussian blur: undoes a focus that unsharp masking cannot, where noise allows."""

    def prepare(gray: np.ndarray) -> np.ndarray:
        height, width = gray.shape
        rows, cols = cv2.getOptimalDFTSize(height), cv2.getOptimalDFTSize(width)
        padded = cv2.copyMakeBorder(gray, 0, rows - height, 0, cols - width, cv2.BORDER_REPLICATE).astype(np.float32)
        fy, fx = np.fft.fftfreq(rows)[:, None], np.fft.rfftfreq(cols)[None, :]
        transfer = np.exp(-2 * math.pi**2 * sigma**2 * (fx**2 + fy**2))
        restored = np.fft.irfft2(np.fft.rfft2(padded) * (transfer / (transfer**2 + noise)), s=(rows, cols))
        return np.clip(restored[:height, :width], 0, 255).astype(np.uint8)

    return prepare


def _smooth(sigma: float) -> Callable[[np.ndarray], np.ndarray]:
    """A Gaussian low-pass: removes screen-door moire and sensor noise finer than a module."""

    def prepare(gray: np.ndarray) -> np.ndarray:
        return cv2.GaussianBlur(gray, (0, 0), sigma)

    return prepare


def _median(size: int) -> Callable[[np.ndarray], np.ndarray]:
    """A median filter: removes speckle and stripes while keeping edges."""

    def prepare(gray: np.ndarray) -> np.ndarray:
        return cv2.medianBlur(gray, size)

    return prepare


def _then(*steps: Callable[[np.ndarray], np.ndarray | None]) -> Callable[[np.ndarray], np.ndarray | None]:
    """Preparations one after another (None as soon as one is not worth it)."""

    def prepare(gray: np.ndarray) -> np.ndarray | None:
        image: np.ndarray | None = gray
        for step in steps:
            if image is None:
                return None
            image = step(image)
        return image

    return prepare


def _as_is(gray: np.ndarray) -> np.ndarray:
    """The pixels unchanged (for another binarizer or another decoder)."""
    return gray


def _equalize(gray: np.ndarray) -> np.ndarray:
    """Local contrast equalization (CLAHE): lifts a code out of glare or a dark corner."""
    return cv2.createCLAHE(clipLimit=2.0, tileGridSize=(4, 4)).apply(gray)


def _zxing_global(image: np.ndarray) -> list[Decoded]:
    """zxing-cpp with one threshold for the whole patch, which stripes and gradients do not fool the way they fool
    the local one."""
    return read_zxing(image, global_threshold=True)


@dataclass(frozen=True)
class Way:
    """One way of looking at a patch again: a preparation of its pixels (None: not worth it here), then a reader,
    and about what it costs, in seconds per pixel of patch, before the camera has measured it."""

    name: str
    prepare: Callable[[np.ndarray], np.ndarray | None]
    read: Callable[[np.ndarray], list[Decoded]] = read_zxing
    prior: float = 0.0

    def look(self, patch: np.ndarray, origin: Point) -> list[Decoded] | None:
        """The codes this way reads in the patch, with corners in the frame's pixels; None when it is not worth it
        here (a patch already large enough to enlarge), so that its cost is not learnt from doing nothing."""
        prepared = self.prepare(patch)
        if prepared is None:
            return None
        scale = prepared.shape[1] / patch.shape[1]
        return [
            Decoded(
                code.text, tuple((round(x / scale) + origin[0], round(y / scale) + origin[1]) for x, y in code.corners)
            )
            for code in self.read(prepared)
        ]


# In order of what each adds for its cost, measured on the simulator's hard frames and on photographs made with
# OpenCV (perspective, shadow, glare, low light, curvature, defocus, motion, noise, JPEG; docs/benchmarks.md).
# Priors: seconds per pixel of patch on the project's machine, until the camera has measured each way itself.
WAYS: tuple[Way, ...] = (
    Way("smooth", _smooth(1.2), prior=3e-9),
    Way("enlarge", _enlarge(800), prior=10e-9),
    Way("sharpen", _sharpen(2.0, 2.0), prior=6e-9),
    Way("global threshold", _as_is, _zxing_global, prior=2e-9),
    Way("deblur", _deblur(2.5), prior=16e-9),
    Way("enlarge, then sharpen", _then(_enlarge(1000), _sharpen(3.0, 2.0)), prior=30e-9),
    Way("sharpen, then enlarge", _then(_sharpen(1.5, 2.0), _enlarge(1000)), prior=25e-9),
    Way("median", _median(5), prior=3e-9),
    Way("equalize", _equalize, prior=6e-9),
    Way("deblur more", _deblur(3.5), prior=16e-9),
    Way("enlarge, then smooth", _then(_enlarge(800, most=2), _smooth(2.0)), prior=25e-9),
    Way("enlarge, then deblur", _then(_enlarge(800, most=2), _deblur(4.0, 0.01)), prior=150e-9),
    Way("pyzbar", _as_is, read_pyzbar, prior=35e-9),
)


class _Costs:
    """What each way has cost per pixel of patch on this machine, learnt as it runs."""

    def __init__(self) -> None:
        self.per_pixel: dict[str, float] = {}

    def expected(self, way: Way, pixels: int) -> float:
        """Seconds the way should take on a patch this size (its prior until it has run here)."""
        return self.per_pixel.get(way.name, way.prior) * pixels

    def learn(self, way: Way, pixels: int, seconds: float) -> None:
        """Fold one measurement in (a moving average, so a hiccup of the machine fades)."""
        rate = seconds / max(pixels, 1)
        known = self.per_pixel.get(way.name)
        self.per_pixel[way.name] = rate if known is None else 0.7 * known + 0.3 * rate


class ZxingDecoder:
    """zxing-cpp, then the cascade where a code probably is (dark-mode screens are read too)."""

    name = "zxing"

    def __init__(
        self,
        frame_budget: float = FRAME_BUDGET_SECONDS,
        clock: Callable[[], float] = time.perf_counter,
        ways: tuple[Way, ...] = WAYS,
    ) -> None:
        self.frame_budget = frame_budget
        self.clock = clock
        self.order = list(ways)
        self.costs = _Costs()
        self.cursor = 0  # where the cascade carries on in the next frame
        self.read_by: str = ""  # the way that read the last code ("" for the first look)

    def decode(self, frame: np.ndarray) -> list[Decoded]:
        """Every QR code in a still picture: the first look, then every way on every likely patch, then the whole."""
        found = read_zxing(frame)  # exactly what zxing-cpp alone reads, first
        gray = to_gray(frame)
        for region in likely_codes(gray, limit=4):
            if any(region.holds(_centre(code)) for code in found):
                continue
            patch, origin = region.cut(gray)
            found += next((codes for way in self.order if (codes := way.look(patch, origin))), [])
        if not found:
            whole, shrink = _at_most(gray, STILL_SIDE)
            found = next((codes for way in self.order if (codes := way.look(whole, (0, 0)))), [])
            found = [
                Decoded(code.text, tuple((round(x / shrink), round(y / shrink)) for x, y in code.corners))
                for code in found
            ]
        return _unique(found)

    def decode_next(self, frame: np.ndarray) -> list[Decoded]:
        """The codes in a camera's next frame: the first look, then the cascade while the frame's time lasts."""
        start = self.clock()
        gray = to_gray(frame)
        found = read_zxing(gray)
        if found:
            self.cursor, self.read_by = 0, ""
            return found
        regions = likely_codes(gray)
        if not regions:
            self.cursor = 0
            return []
        return self._cascade(gray, regions, start)

    def _cascade(self, gray: np.ndarray, regions: list[Region], start: float) -> list[Decoded]:
        """Try (way, patch) pairs from where the last frame stopped, each only if it fits in what is left of the
        frame; the next frame starts at the first pair that did not fit or was not reached."""
        patches = [region.cut(gray) for region in regions]
        pairs = [(way, patch) for way in self.order for patch in patches]
        if not pairs:
            return []
        passed_over: int | None = None
        position = self.cursor
        for position in range(self.cursor, self.cursor + len(pairs)):
            way, (pixels, origin) = pairs[position % len(pairs)]
            spent = self.clock() - start
            if spent >= self.frame_budget:
                break
            if spent + self.costs.expected(way, pixels.size) > self.frame_budget:
                passed_over = position if passed_over is None else passed_over  # it goes first next frame
                continue
            began = self.clock()
            found = way.look(pixels, origin)
            if found is None:
                continue
            self.costs.learn(way, pixels.size, self.clock() - began)
            if found:
                self.order.remove(way)
                self.order.insert(0, way)  # the phone is likely still held the same way in the next frames
                self.cursor, self.read_by = 0, way.name
                return found
        else:
            position += 1
        self.cursor = (passed_over if passed_over is not None else position) % len(pairs)
        return []


def _centre(code: Decoded) -> tuple[float, float]:
    """The middle of a code's corners."""
    return (sum(x for x, _ in code.corners) / len(code.corners), sum(y for _, y in code.corners) / len(code.corners))


def _at_most(gray: np.ndarray, side: int) -> tuple[np.ndarray, float]:
    """The picture scaled down so that its longer side is at most `side`, and the factor used."""
    factor = min(1.0, side / max(gray.shape[:2]))
    if factor == 1.0:
        return gray, 1.0
    return cv2.resize(gray, None, fx=factor, fy=factor, interpolation=cv2.INTER_AREA), factor


def _unique(found: list[Decoded]) -> list[Decoded]:
    """One entry per text (two patches may hold the same code)."""
    seen: dict[str, Decoded] = {}
    for code in found:
        seen.setdefault(code.text, code)
    return list(seen.values())


class PyzbarDecoder:
    """pyzbar (libzbar): cannot read light-on-dark, so an empty result is retried on the inverted image."""

    name = "pyzbar"

    def decode(self, frame: np.ndarray) -> list[Decoded]:
        """Every QR code in the frame."""
        return read_pyzbar(to_gray(frame))

    def decode_next(self, frame: np.ndarray) -> list[Decoded]:
        """The codes in a camera's next frame (pyzbar has no cascade)."""
        return self.decode(frame)


def make_decoder(name: str) -> Decoder:
    """The decoder a facility file names."""
    decoders: dict[str, type[ZxingDecoder] | type[PyzbarDecoder]] = {"zxing": ZxingDecoder, "pyzbar": PyzbarDecoder}
    if name not in decoders:
        raise ValueError(f"unknown decoder {name!r}; use one of {', '.join(decoders)}")
    return decoders[name]()
