"""Photographs of QR codes made with OpenCV: what a phone or webcam does to a printed or on-screen code in the wild.

The decoder is tuned on the simulator's kiosk frames; these pictures stand in for the photographs the project does not
have. Each is drawn from a seed: a random text in a random QR version and error correction level, printed (or shown on
a screen, light-on-dark now and then) and placed at a random size, tilt and turn on a random scene (a gradient,
stripes, clutter with text, fabric), then lit (shadow, glare, low light), bent, defocused, shaken, scaled down,
grainy and saved as JPEG, each with its own chance. Code-free pictures are the same scenes without the code.
"""

from __future__ import annotations

import math
import string

import cv2
import numpy as np
import qrcode
from qrcode.constants import ERROR_CORRECT_H, ERROR_CORRECT_L, ERROR_CORRECT_M, ERROR_CORRECT_Q

SIZES = ((640, 480), (1280, 720), (1920, 1080), (1600, 1200), (2592, 1944), (3024, 4032))
ALPHANUMERIC = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"


def _text(rng: np.random.Generator) -> str:
    """A URL, a number, an alphanumeric token or printable ASCII, of random length."""

    def pick(alphabet: str, low: int, high: int) -> str:
        return "".join(rng.choice(list(alphabet), int(rng.integers(low, high))))

    return [
        lambda: (
            f"https://{pick(string.ascii_lowercase, 5, 15)}.example/{pick(string.ascii_letters + string.digits, 0, 60)}"
        ),
        lambda: pick(string.digits, 5, 200),
        lambda: pick(ALPHANUMERIC, 10, 250),
        lambda: pick(string.printable[:94], 5, 120),
    ][int(rng.integers(4))]()


def _modules(text: str, level: int) -> np.ndarray:
    """The code's modules (True is dark) with its quiet zone."""
    code = qrcode.QRCode(error_correction=level, border=4)
    code.add_data(text)
    code.make(fit=True)
    return np.array(code.get_matrix(), dtype=bool)


def _scene(rng: np.random.Generator, height: int, width: int) -> np.ndarray:
    """A background: a lit gradient, stripes, clutter with text, or fabric (float32 BGR)."""
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    base = rng.uniform(60, 200) + rng.uniform(-60, 60) * x / width + rng.uniform(-60, 60) * y / height
    scene = np.stack([base * rng.uniform(0.8, 1.2) for _ in range(3)], -1)
    kind = int(rng.integers(4))
    if kind == 1:
        scene += 15 * np.sin(y[..., None] / rng.uniform(3, 20) + np.sin(x[..., None] / 100) * 3)
    elif kind == 2:
        clutter = np.clip(scene, 0, 255).astype(np.uint8)
        for _ in range(int(rng.integers(5, 30))):
            colour = tuple(float(v) for v in rng.uniform(0, 255, 3))
            start = (int(rng.integers(0, width)), int(rng.integers(0, height)))
            end = (start[0] + int(rng.integers(-200, 200)), start[1] + int(rng.integers(-200, 200)))
            if rng.random() < 0.5:
                cv2.rectangle(clutter, start, end, colour, -1 if rng.random() < 0.5 else int(rng.integers(1, 5)))
            else:
                cv2.line(clutter, start, end, colour, int(rng.integers(1, 6)))
        for _ in range(int(rng.integers(0, 10))):
            cv2.putText(
                clutter,
                "".join(rng.choice(list(string.ascii_letters), 10)),
                (int(rng.integers(0, width)), int(rng.integers(0, height))),
                cv2.FONT_HERSHEY_SIMPLEX,
                float(rng.uniform(0.5, 3)),
                tuple(float(v) for v in rng.uniform(0, 255, 3)),
                int(rng.integers(1, 4)),
            )
        scene = clutter.astype(np.float32)
    elif kind == 3:
        scene += rng.normal(0, rng.uniform(5, 25), (height, width, 1))
    return np.clip(scene, 0, 255).astype(np.float32)


def _place(scene: np.ndarray, modules: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """The code printed (or on a screen) and photographed at a random size, tilt and turn; and where it lies."""
    height, width = scene.shape[:2]
    ink, paper = rng.uniform(0, 70), rng.uniform(170, 255)
    if rng.random() < 0.15:
        ink, paper = paper, ink  # light on dark
    code = np.repeat(np.repeat(np.where(modules, ink, paper).astype(np.float32), 8, 0), 8, 1)
    code = np.stack([code] * 3, -1)
    module = min(rng.uniform(1.2, 9), min(width, height) * 0.8 / modules.shape[0])
    half = modules.shape[0] * module / 2
    tilt_x = rng.uniform(-45, 45) * (rng.random() < 0.6)
    tilt_y = rng.uniform(-35, 35) * (rng.random() < 0.5)
    roll = rng.uniform(0, 360) * (rng.random() < 0.5) + rng.uniform(-10, 10)
    ax, ay, az = (math.radians(a) for a in (tilt_x, tilt_y, roll))
    rx = np.array([[1, 0, 0], [0, math.cos(ax), -math.sin(ax)], [0, math.sin(ax), math.cos(ax)]])
    ry = np.array([[math.cos(ay), 0, math.sin(ay)], [0, 1, 0], [-math.sin(ay), 0, math.cos(ay)]])
    rz = np.array([[math.cos(az), -math.sin(az), 0], [math.sin(az), math.cos(az), 0], [0, 0, 1]])
    turned = np.array([[-half, -half, 0], [half, -half, 0], [half, half, 0], [-half, half, 0]]) @ (rz @ ry @ rx).T
    focal, centre = width * 1.2, (rng.uniform(0.3, 0.7) * width, rng.uniform(0.3, 0.7) * height)
    depth = focal + turned[:, 2]
    corners = np.stack([centre[0] + turned[:, 0] * focal / depth, centre[1] + turned[:, 1] * focal / depth], 1)
    side = code.shape[0]
    warp = cv2.getPerspectiveTransform(
        np.array([[0, 0], [side, 0], [side, side], [0, side]], np.float32), corners.astype(np.float32)
    )
    flags = cv2.INTER_AREA if module < 4 else cv2.INTER_LINEAR
    mask = cv2.warpPerspective(np.ones((side, side), np.float32), warp, (width, height))[..., None]
    return scene * (1 - mask) + cv2.warpPerspective(code, warp, (width, height), flags=flags) * mask, mask


def _motion_blur(image: np.ndarray, length: int, angle: float) -> np.ndarray:
    """The camera moving while the shutter is open."""
    line = np.zeros((length, length), np.float32)
    line[length // 2, :] = 1
    turned = cv2.warpAffine(
        line, cv2.getRotationMatrix2D((length / 2 - 0.5, length / 2 - 0.5), angle, 1), (length, length)
    )
    kernel = (turned / max(float(turned.sum()), 1e-6)).astype(np.float32)
    return cv2.filter2D(image, -1, kernel)


def photograph(rng: np.random.Generator, with_code: bool = True) -> tuple[np.ndarray, str | None]:
    """One photograph (BGR, uint8) and the text of the code in it (None: no code)."""
    width, height = SIZES[int(rng.integers(len(SIZES)))]
    image = _scene(rng, height, width)
    text = None
    if with_code:
        text = _text(rng)
        level = (ERROR_CORRECT_L, ERROR_CORRECT_M, ERROR_CORRECT_Q, ERROR_CORRECT_H)[int(rng.integers(4))]
        image, mask = _place(image, _modules(text, level), rng)
        if rng.random() < 0.3:  # on a screen: moire
            y, x = np.mgrid[0:height, 0:width].astype(np.float32)
            period, angle = rng.uniform(3, 8), math.radians(rng.uniform(0, 90))
            stripes = 1 - rng.uniform(0.1, 0.5) * 0.5 * (
                1 + np.sin(2 * math.pi * (x * math.cos(angle) + y * math.sin(angle)) / period)
            )
            image = image * np.where(mask > 0, stripes[..., None], 1)
    if rng.random() < 0.4:  # a shadow across part of the picture
        shadow = np.ones((height, width), np.float32)
        cv2.fillPoly(
            shadow, [rng.integers(0, max(width, height), (4, 2)).astype(np.int32)], float(rng.uniform(0.35, 0.8))
        )
        image = image * cv2.GaussianBlur(shadow, (0, 0), rng.uniform(5, 40))[..., None]
    if rng.random() < 0.3:  # glare
        y, x = np.mgrid[0:height, 0:width].astype(np.float32)
        gx, gy, radius = rng.uniform(0, width), rng.uniform(0, height), rng.uniform(0.05, 0.3) * width
        image = image + rng.uniform(60, 200) * np.exp(-((x - gx) ** 2 + (y - gy) ** 2) / (2 * radius**2))[..., None]
    if rng.random() < 0.3:  # low light
        image = image * rng.uniform(0.15, 0.5)
    if rng.random() < 0.3:  # a bent page
        y, x = np.mgrid[0:height, 0:width].astype(np.float32)
        bend = y + rng.uniform(2, 12) * np.sin(x / width * math.pi * rng.uniform(0.5, 2))
        image = cv2.remap(
            image.astype(np.float32), x, bend.astype(np.float32), cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT
        )
    image = np.clip(image, 0, 255).astype(np.float32)
    if rng.random() < 0.5:  # out of focus
        image = cv2.GaussianBlur(image, (0, 0), rng.uniform(0.5, 3.5) * max(1, width / 1280))
    if rng.random() < 0.25:
        image = _motion_blur(image, int(rng.integers(3, 14)), rng.uniform(0, 180))
    if rng.random() < 0.2:  # a cheap lens or digital zoom
        factor = rng.uniform(0.4, 0.8)
        image = cv2.resize(cv2.resize(image, None, fx=factor, fy=factor, interpolation=cv2.INTER_AREA), (width, height))
    noise = float(rng.choice([0, 2, 5, 10, 20]))
    if noise:
        image = image + rng.normal(0, noise, image.shape)
    picture = np.clip(image, 0, 255).astype(np.uint8)
    if rng.random() < 0.6:
        _, data = cv2.imencode(".jpg", picture, [cv2.IMWRITE_JPEG_QUALITY, int(rng.integers(25, 95))])
        decoded = cv2.imdecode(data, cv2.IMREAD_COLOR)
        assert decoded is not None  # OpenCV reads back what it wrote
        picture = decoded
    return picture, text
