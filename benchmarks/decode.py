"""Benchmark: how often and how fast the decoders read codes, on the simulator's frames, photographs made with OpenCV
(`python -m benchmarks.decode --photographs 150`) or a folder of images.

Four readers side by side: zxing-cpp alone (one call, as the kiosk did before its cascade), the kiosk's decoder on a
still picture (`decode`: every way at once), the kiosk's decoder on a camera (`decode_next` over consecutive frames,
within a frame's time each), and pyzbar.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np

from benchmarks.figures import ms
from facility.models import Plan
from facility.tokens import MemberPass, SigningKey, display_name, facility_tag, mint, new_id
from kiosk.decoding import Decoded, PyzbarDecoder, ZxingDecoder, read_zxing
from simulator.photographs import photograph
from simulator.screen import Shot, code_modules, render_frame

Frame = np.ndarray
Degrade = Callable[[Frame, int], Frame]


def jpeg(quality: int) -> Degrade:
    """A camera that sends JPEG (MJPEG webcams do)."""

    def degrade(frame: Frame, seed: int) -> Frame:
        _, data = cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, quality])
        decoded = cv2.imdecode(data, cv2.IMREAD_COLOR)
        assert decoded is not None  # OpenCV reads back what it wrote
        return decoded

    return degrade


def sensor_noise(sigma: float) -> Degrade:
    """Fresh sensor noise in every frame."""

    def degrade(frame: Frame, seed: int) -> Frame:
        noise = np.random.default_rng(seed).normal(0, sigma, frame.shape)
        return np.clip(frame + noise, 0, 255).astype(np.uint8)

    return degrade


def motion_blur(length: int, angle: float) -> Degrade:
    """A phone moving while the shutter is open."""
    line = np.zeros((length, length), np.float32)
    line[length // 2, :] = 1
    turned = cv2.warpAffine(
        line, cv2.getRotationMatrix2D((length / 2 - 0.5, length / 2 - 0.5), angle, 1), (length, length)
    )
    kernel = turned / turned.sum()

    def degrade(frame: Frame, seed: int) -> Frame:
        return cv2.filter2D(frame, -1, kernel)

    return degrade


def low_light(frame: Frame, seed: int) -> Frame:
    """A dark room: a quarter of the light, and the noise that comes with it."""
    return sensor_noise(6)((frame * 0.25).astype(np.uint8), seed)


CONDITIONS: dict[str, Shot] = {
    "straight": Shot(),
    "distance 1.5": Shot(distance=1.5),
    "distance 2.0": Shot(distance=2.0),
    "distance 2.5": Shot(distance=2.5),
    "tilt 30": Shot(tilt_x=30, tilt_y=20),
    "tilt 45": Shot(tilt_x=45),
    "roll 35": Shot(roll=35),
    "blur 1.5": Shot(blur=1.5),
    "blur 2.5": Shot(blur=2.5),
    "glare 0.5": Shot(glare=0.5),
    "glare 0.8": Shot(glare=0.8),
    "noise 30": Shot(noise=30),
    "moire 0.3": Shot(moire=0.3),
    "moire 0.6": Shot(moire=0.6),
    "dim 0.2": Shot(brightness=0.2),
    "dark mode": Shot(dark_mode=True),
    "dark mode, dim": Shot(dark_mode=True, brightness=0.5),
    "everything, dark": Shot(distance=1.3, tilt_x=20, blur=1.0, glare=0.3, noise=8, moire=0.2, dark_mode=True),
}
# Beyond the simulator's own optics: what a real camera adds to the hard cases (and where the readers stop).
DEGRADED: dict[str, tuple[Shot, Degrade]] = {
    "distance 2.5, JPEG 70": (Shot(distance=2.5), jpeg(70)),
    "blur 2.5, noise 5": (Shot(blur=2.5), sensor_noise(5)),
    "moire 0.6, JPEG 70": (Shot(moire=0.6), jpeg(70)),
    "tilt 55": (Shot(tilt_x=55, tilt_y=15), jpeg(90)),
    "low light": (Shot(distance=1.5), low_light),
    "distance 2, blur 1, noise 10, JPEG 60": (Shot(distance=2.0, blur=1.0, noise=10), jpeg(60)),
    "distance 3.0": (Shot(distance=3.0), jpeg(95)),
    "blur 3.0": (Shot(blur=3.0), jpeg(95)),
    "moire 0.8": (Shot(moire=0.8), jpeg(95)),
    "motion blur 9 px": (Shot(distance=2.0), motion_blur(9, 10)),
}
READERS = ("zxing_alone", "kiosk_still", "kiosk_camera", "pyzbar")


def bench_passes(count: int, key: SigningKey | None = None) -> list[str]:
    """Member passes as the platform mints them: a network of a million members, bound to a facility, with a
    two-kanji family name."""
    key = key or SigningKey.generate()
    return [
        mint(
            MemberPass(
                1_000_000 + n,
                Plan.CORPORATE,
                new_id(8),
                1_795_000_000,
                90,
                facility_tag("x"),
                None,
                display_name("計測 花子"),
            ),
            key,
        )
        for n in range(count)
    ]


def qr_version(text: str) -> int:
    """The QR version (error correction M) a phone draws the text in."""
    return (code_modules(text).shape[0] - 8 - 17) // 4


def _timed(read: Callable[[Frame], list[Decoded]], frame: Frame) -> tuple[list[str], float]:
    """What a reader reads in a frame, and how long it took."""
    start = time.perf_counter()
    texts = [code.text for code in read(frame)]
    return texts, time.perf_counter() - start


def _frames(
    text: str | None, shot: Shot, degrade: Degrade | None, count: int, size: tuple[int, int], seed: int
) -> list[Frame]:
    """Consecutive camera frames of one showing (each with its own sensor noise)."""
    rng = np.random.default_rng(seed)
    frames = [render_frame(text, shot, size, rng) for _ in range(count)]
    return [degrade(frame, seed * 1000 + n) for n, frame in enumerate(frames)] if degrade else frames


def _condition(
    texts: list[str | None],
    shot: Shot,
    degrade: Degrade | None,
    frames: int,
    size: tuple[int, int],
    every_frame: dict[str, list[float]],
) -> dict[str, dict]:
    """Every reader on one condition: passes read, wrong reads and time per frame."""
    rows: dict[str, dict] = {}
    hits = dict.fromkeys(READERS, 0)
    wrong = dict.fromkeys(READERS, 0)
    seconds: dict[str, list[float]] = {reader: [] for reader in READERS}
    first_frames = []
    for n, text in enumerate(texts):
        shown = _frames(text, shot, degrade, frames, size, n + 1)
        for reader, read in (
            ("zxing_alone", read_zxing),
            ("kiosk_still", ZxingDecoder().decode),
            ("pyzbar", PyzbarDecoder().decode),
        ):
            found, took = _timed(read, shown[0])
            hits[reader] += text is not None and found == [text]
            wrong[reader] += bool(found) and found != [text]
            seconds[reader].append(took)
        camera, first = ZxingDecoder(), None
        for index, frame in enumerate(shown):
            found, took = _timed(camera.decode_next, frame)
            seconds["kiosk_camera"].append(took)
            wrong["kiosk_camera"] += bool(found) and found != [text]
            if first is None and text is not None and found == [text]:
                first = index
        if first is not None:
            hits["kiosk_camera"] += 1
            first_frames.append(first)
    for reader in every_frame:
        every_frame[reader] += seconds[reader]
    for reader in READERS:
        rows[reader] = {
            "read": f"{hits[reader]}/{len(texts)}" if texts[0] is not None else "-",
            "wrong": wrong[reader],
            "ms_per_frame": ms(seconds[reader], digits=2),
        }
    rows["kiosk_camera"]["first_read_at_frame_median"] = statistics.median(first_frames) if first_frames else None
    return rows


def bench_decode_simulated(passes: int = 10, size: tuple[int, int] = (1280, 720), frames: int = 10) -> dict:
    """Each reader on each condition, `passes` different member passes each, `frames` consecutive frames a pass."""
    texts: list[str | None] = list(bench_passes(passes))
    conditions: dict[str, tuple[Shot, Degrade | None]] = {label: (shot, None) for label, shot in CONDITIONS.items()}
    conditions |= DEGRADED
    conditions |= {"no code in view": (Shot(), None), "no code, noise 10": (Shot(noise=10), None)}
    every_frame: dict[str, list[float]] = {"kiosk_camera": [], "zxing_alone": []}
    rows = {
        label: _condition(
            [None] * passes if label.startswith("no code") else texts, shot, degrade, frames, size, every_frame
        )
        for label, (shot, degrade) in conditions.items()
    }
    first = str(texts[0])
    return {
        "benchmark": "decode",
        "frames": f"simulated {size[0]}x{size[1]}",
        "passes_per_condition": passes,
        "frames_per_pass": frames,
        "pass": {"characters": len(first), "qr_version": qr_version(first)},
        "ms_per_frame_all_conditions": {reader: ms(seconds, digits=2) for reader, seconds in every_frame.items()},
        "conditions": rows,
    }


def bench_decode_folder(folder: Path) -> dict:
    """Each reader on every image in a folder: how many yield a code, which only one reader reads, and how fast."""
    images = sorted(p for p in Path(folder).iterdir() if p.suffix.lower() in {".png", ".jpg", ".jpeg", ".bmp", ".webp"})
    loaded = [(path, image) for path in images if (image := cv2.imread(str(path))) is not None]
    found: dict[str, dict[str, list[str]]] = {}
    report: dict = {"benchmark": "decode", "frames": str(folder), "images": len(loaded)}
    for reader, read in (
        ("zxing_alone", read_zxing),
        ("kiosk_still", ZxingDecoder().decode),
        ("pyzbar", PyzbarDecoder().decode),
    ):
        results = [(path, *_timed(read, image)) for path, image in loaded]
        found[reader] = {path.name: texts for path, texts, _ in results}
        report[reader] = {
            "read": f"{sum(bool(texts) for _, texts, _ in results)}/{len(results)}",
            "ms_per_image": ms([took for _, _, took in results], digits=2) if results else None,
        }
    alone, kiosk = found["zxing_alone"], found["kiosk_still"]
    report["kiosk_reads_where_zxing_alone_does_not"] = sorted(name for name in kiosk if kiosk[name] and not alone[name])
    report["zxing_alone_reads_where_kiosk_does_not"] = sorted(
        name for name in alone if not set(alone[name]) <= set(kiosk[name])
    )
    return report


def bench_decode_photographs(count: int = 150, code_free: int = 100, seed: int = 11) -> dict:
    """zxing-cpp alone, the kiosk on stills and pyzbar on photographs made with OpenCV (simulator/photographs.py):
    codes read, codes only one of them reads, wrong texts, and reads in pictures without a code."""
    rng = np.random.default_rng(seed)
    readers: dict[str, Callable[[Frame], list[Decoded]]] = {
        "zxing_alone": read_zxing,
        "kiosk_still": ZxingDecoder().decode,
        "pyzbar": PyzbarDecoder().decode,
    }
    read = dict.fromkeys(readers, 0)
    wrong = dict.fromkeys(readers, 0)
    seconds: dict[str, list[float]] = {name: [] for name in readers}
    only_kiosk = only_alone = 0
    for n in range(count + code_free):
        picture, text = photograph(rng, with_code=n < count)
        found = {}
        for name, reader in readers.items():
            found[name], took = _timed(reader, picture)
            seconds[name].append(took)
            read[name] += text in found[name]
            wrong[name] += any(got != text for got in found[name])
        only_kiosk += text in found["kiosk_still"] and text not in found["zxing_alone"]
        only_alone += text in found["zxing_alone"] and text not in found["kiosk_still"]
    return {
        "benchmark": "decode",
        "frames": f"photographs made with OpenCV, seed {seed}",
        "with_code": count,
        "without_code": code_free,
        **{
            name: {
                "read": f"{read[name]}/{count}",
                "wrong_or_false_reads": wrong[name],
                "ms_per_picture": ms(seconds[name], digits=2),
            }
            for name in readers
        },
        "kiosk_reads_where_zxing_alone_does_not": only_kiosk,
        "zxing_alone_reads_where_kiosk_does_not": only_alone,
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="The decode benchmark on photographs made with OpenCV.")
    parser.add_argument("--photographs", type=int, default=150, help="pictures with a code (default 150)")
    parser.add_argument("--code-free", type=int, default=100, help="pictures without one (default 100)")
    parser.add_argument("--seed", type=int, default=11, help="which pictures (default 11)")
    options = parser.parse_args()
    print(json.dumps(bench_decode_photographs(options.photographs, options.code_free, options.seed)))
