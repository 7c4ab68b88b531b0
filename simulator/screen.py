"""Pictures of a phone screen showing a 2D code, as a member holds it up to the kiosk's camera.

The renderer places a phone at a distance and angle in front of a desk scene and adds
what real cameras see of screens: blur, glare, sensor noise, moire, a dim or bright
screen, and dark mode (a light code on a dark screen).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import cv2
import numpy as np
import qrcode
from qrcode.constants import ERROR_CORRECT_M

PHONE_ASPECT = 2.1  # height / width of a phone
SCREEN_MARGIN = 0.06  # bezel, as a share of the phone's width
CODE_SHARE = 0.8  # the code's share of the screen's width


@dataclass(frozen=True)
class Shot:
    """How the phone is held: size in frame, angles, and what the optics add."""

    distance: float = 1.0  # 1.0: the phone is 85% of the frame's height; 2.0: half that
    tilt_x: float = 0.0  # degrees, top of the phone leaning away
    tilt_y: float = 0.0  # degrees, turned left or right
    roll: float = 0.0  # degrees, rotated in the picture plane
    offset: tuple[float, float] = (0.0, 0.0)  # from the centre, as a share of width and height
    blur: float = 0.0  # Gaussian sigma in pixels (focus or motion)
    glare: float = 0.0  # 0..1, a reflection on the screen
    noise: float = 0.0  # sensor noise sigma, 0..255 scale
    moire: float = 0.0  # 0..1, screen-door interference stripes
    brightness: float = 1.0  # screen brightness, 0.2 (dim) .. 1.2
    dark_mode: bool = False  # light code on a dark screen


def code_modules(text: str) -> np.ndarray:
    """The code's modules (True is dark) with a four-module quiet zone."""
    code = qrcode.QRCode(error_correction=ERROR_CORRECT_M, border=4)
    code.add_data(text)
    code.make(fit=True)
    return np.array(code.get_matrix(), dtype=bool)


def phone_screen(text: str, width: int, dark_mode: bool = False, brightness: float = 1.0) -> np.ndarray:
    """The phone, face on: bezel, app header, and the code; BGR, width pixels wide."""
    height = int(width * PHONE_ASPECT)
    phone = np.full((height, width, 3), 25, np.uint8)
    margin = int(width * SCREEN_MARGIN)
    background, ink = ((18, 18, 18), (230, 230, 230)) if dark_mode else ((250, 250, 250), (10, 10, 10))
    cv2.rectangle(phone, (margin, margin * 2), (width - margin, height - margin * 2), background, -1)
    cv2.rectangle(phone, (margin, margin * 2), (width - margin, margin * 2 + height // 10), (160, 90, 20), -1)
    modules = code_modules(text)
    side = int((width - 2 * margin) * CODE_SHARE)
    tile = cv2.resize((~modules).astype(np.uint8) * 255, (side, side), interpolation=cv2.INTER_NEAREST)
    top, left = (height - side) // 2, (width - side) // 2
    block = np.where(tile[..., None] > 0, np.array(background, np.uint8), np.array(ink, np.uint8))
    phone[top : top + side, left : left + side] = block
    return np.clip(phone.astype(np.float32) * brightness, 0, 255).astype(np.uint8)


@lru_cache(maxsize=4)
def desk_scene(width: int, height: int, seed: int = 7) -> np.ndarray:
    """A reception desk behind the phone: soft light falling across wood and a wall."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    light = 0.6 + 0.4 * np.exp(-(((x - width * 0.3) / width) ** 2 + ((y - height * 0.2) / height) ** 2) * 3)
    grain = 8 * np.sin(y / 9 + np.sin(x / 140) * 4)
    base = np.stack([120 + grain, 150 + grain, 180 + grain], axis=-1) * light[..., None]
    base[: height // 3] = base[: height // 3] * 0.7 + 60
    base += rng.normal(0, 3, base.shape)
    return np.clip(base, 0, 255).astype(np.uint8)


def _corners(shot: Shot, phone_size: tuple[int, int], frame_size: tuple[int, int]) -> np.ndarray:
    """Where the phone's four corners land in the frame after turning it in 3D and projecting."""
    w, h = phone_size
    fw, fh = frame_size
    ax, ay, az = (math.radians(a) for a in (shot.tilt_x, shot.tilt_y, shot.roll))
    rx = np.array([[1, 0, 0], [0, math.cos(ax), -math.sin(ax)], [0, math.sin(ax), math.cos(ax)]])
    ry = np.array([[math.cos(ay), 0, math.sin(ay)], [0, 1, 0], [-math.sin(ay), 0, math.cos(ay)]])
    rz = np.array([[math.cos(az), -math.sin(az), 0], [math.sin(az), math.cos(az), 0], [0, 0, 1]])
    square = np.array([[-w / 2, -h / 2, 0], [w / 2, -h / 2, 0], [w / 2, h / 2, 0], [-w / 2, h / 2, 0]])
    turned = square @ (rz @ ry @ rx).T
    focal = fw * 1.2
    depth = focal + turned[:, 2]
    centre = (fw / 2 + shot.offset[0] * fw, fh / 2 + shot.offset[1] * fh)
    return np.stack([centre[0] + turned[:, 0] * focal / depth, centre[1] + turned[:, 1] * focal / depth], 1).astype(
        np.float32
    )


def _place_phone(frame: np.ndarray, text: str, shot: Shot) -> np.ndarray:
    """Draw the phone into the frame; returns the mask of the pixels it covers."""
    fh, fw = frame.shape[:2]
    phone = phone_screen(text, max(40, int(fh * 0.85 / shot.distance / PHONE_ASPECT)), shot.dark_mode, shot.brightness)
    ph, pw = phone.shape[:2]
    source = np.array([[0, 0], [pw, 0], [pw, ph], [0, ph]], np.float32)
    warp = cv2.getPerspectiveTransform(source, _corners(shot, (pw, ph), (fw, fh)))
    warped = cv2.warpPerspective(phone, warp, (fw, fh), flags=cv2.INTER_LINEAR)
    mask = cv2.warpPerspective(np.full((ph, pw), 255, np.uint8), warp, (fw, fh))
    alpha = mask[..., None].astype(np.float32) / 255
    frame[:] = (warped * alpha + frame * (1 - alpha)).astype(np.uint8)
    return mask


def _moire(frame: np.ndarray, mask: np.ndarray, strength: float) -> None:
    """Fine interference stripes where the camera films the screen's pixel grid."""
    h, w = mask.shape
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    angle = math.radians(12)
    stripes = 1 - strength * 0.5 * (1 + np.sin(2 * math.pi * (x * math.cos(angle) + y * math.sin(angle)) / 4.3))
    factor = np.where(mask > 0, stripes, 1.0)[..., None]
    frame[:] = np.clip(frame * factor, 0, 255).astype(np.uint8)


def _glare(frame: np.ndarray, mask: np.ndarray, strength: float) -> None:
    """A soft reflection of a ceiling light across the upper left of the code."""
    ys, xs = np.nonzero(mask)
    if len(xs) == 0:
        return
    cx, cy = np.percentile(xs, 40), np.percentile(ys, 45)
    radius = max(8.0, (xs.max() - xs.min()) * 0.35)
    h, w = mask.shape
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    blob = np.exp(-(((x - cx) ** 2 + (y - cy) ** 2) / (2 * radius**2))) * (mask > 0)
    frame[:] = np.clip(frame + strength * 255 * blob[..., None], 0, 255).astype(np.uint8)


@lru_cache(maxsize=16)
def clean_frame(text: str | None, shot: Shot, size: tuple[int, int]) -> np.ndarray:
    """The frame before sensor noise: the scene, the phone and the optics; cached while the phone is still."""
    frame = desk_scene(*size).copy()
    if text is not None:
        mask = _place_phone(frame, text, shot)
        if shot.moire:
            _moire(frame, mask, shot.moire)
        if shot.glare:
            _glare(frame, mask, shot.glare)
    if shot.blur:
        frame = cv2.GaussianBlur(frame, (0, 0), shot.blur)
    frame.setflags(write=False)
    return frame


def render_frame(
    text: str | None, shot: Shot = Shot(), size: tuple[int, int] = (1280, 720), rng: np.random.Generator | None = None
) -> np.ndarray:
    """One camera frame showing the phone with the code (or just the desk when text is None)."""
    frame = clean_frame(text, shot, size)
    if not shot.noise:
        return frame.copy()
    fields = _noise_fields(frame.shape, shot.noise)
    field = fields[int((rng or np.random.default_rng()).integers(len(fields)))]
    return np.clip(frame.astype(np.int16) + field, 0, 255).astype(np.uint8)


@lru_cache(maxsize=4)
def _noise_fields(shape: tuple[int, ...], sigma: float, count: int = 6) -> tuple[np.ndarray, ...]:
    """A few sensor-noise fields drawn once, so a frame costs one addition rather than a fresh draw."""
    rng = np.random.default_rng(11)
    return tuple(rng.normal(0, sigma, shape).astype(np.int16) for _ in range(count))
