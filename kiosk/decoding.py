"""The decoder seam: zxing-cpp by default, pyzbar as the alternative (docs/architecture.md measured both)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import cv2
import numpy as np
import zxingcpp
from pyzbar import pyzbar

Point = tuple[int, int]


@dataclass(frozen=True)
class Decoded:
    """A code found in a frame: its text and its corners (for the preview)."""

    text: str
    corners: tuple[Point, ...]


class Decoder(Protocol):
    """Finds QR codes in a frame."""

    name: str

    def decode(self, frame: np.ndarray) -> list[Decoded]:
        """Every QR code in the frame."""


class ZxingDecoder:
    """zxing-cpp: reads light-on-dark (dark mode) screens by itself."""

    name = "zxing"

    def decode(self, frame: np.ndarray) -> list[Decoded]:
        """Every QR code in the frame."""
        # Model 2 only: a pass never fits Micro QR or rMQR, and their false positives in moire would flash red.
        found = zxingcpp.read_barcodes(frame, formats=zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCodeModel2),
                                       try_invert=True)
        return [Decoded(b.text, tuple((p.x, p.y) for p in (b.position.top_left, b.position.top_right,
                                                             b.position.bottom_right, b.position.bottom_left)))
                for b in found if b.valid]


class PyzbarDecoder:
    """pyzbar (libzbar): cannot read light-on-dark, so an empty result is retried on the inverted image."""

    name = "pyzbar"

    def decode(self, frame: np.ndarray) -> list[Decoded]:
        """Every QR code in the frame."""
        gray = cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY) if frame.ndim == 3 else frame
        return self._read(gray) or self._read(255 - gray)

    @staticmethod
    def _read(gray: np.ndarray) -> list[Decoded]:
        """pyzbar on one grayscale image."""
        found = pyzbar.decode(gray, symbols=[pyzbar.ZBarSymbol.QRCODE])
        return [Decoded(s.data.decode("utf-8", "replace"), tuple((p.x, p.y) for p in s.polygon)) for s in found]


def make_decoder(name: str) -> Decoder:
    """The decoder a facility file names."""
    decoders: dict[str, type[ZxingDecoder] | type[PyzbarDecoder]] = {"zxing": ZxingDecoder, "pyzbar": PyzbarDecoder}
    if name not in decoders:
        raise ValueError(f"unknown decoder {name!r}; use one of {', '.join(decoders)}")
    return decoders[name]()
