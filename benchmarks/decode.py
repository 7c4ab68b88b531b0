"""Benchmark: how often and how fast the decoders read codes, on the simulator's frames, photographs made with OpenCV
(`python -m benchmarks.decode --photographs 150`) or a folder of images.

Four readers side by side: zxing-cpp alone (one call, as the kiosk did before its cascade), the kiosk's decoder on a
still picture (`decode`: every way at once), the kiosk's decoder on a camera (`decode_next` over consecutive frames,
within a frame's time each), and pyzbar. On a folder of photographs (`--images`, benchmarks/photos/README.md) every
decoder in the environment instead, alone and one after another: zxing-cpp, pyzbar and OpenCV's WeChat reader.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from benchmarks.figures import ms
from facility.models import Plan
from facility.tokens import MemberPass, SigningKey, display_name, facility_tag, mint, new_id
from kiosk.decoding import (
    Decoded,
    PyzbarDecoder,
    ZxingDecoder,
    read_wechat,
    read_zxing,
    to_gray,
    wechat_available,
)
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


IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".bmp", ".webp"})
CODE_FREE = "code-free"  # a subfolder of pictures that hold no QR code: any text read there is a false read
# The photographs as taken, then the same ones with fewer pixels: a code held further from the same camera.
SCALES: dict[str, float] = {"as photographed": 1.0, "at half size": 0.5, "at 40%": 0.4}
CAMERA_FRAMES = 5  # a photograph shown to the kiosk's camera for this many frames
KIOSK_STILL = "kiosk (still)"
KIOSK_CAMERA = f"kiosk (camera, {CAMERA_FRAMES} frames)"
WECHAT_WHEEL = "opencv-contrib-python-headless"


@dataclass(frozen=True)
class Photo:
    """An image of a folder, and what it holds: the code's text (NAME.txt beside it), no code, or unknown."""

    name: str
    image: Frame
    text: str | None
    code_free: bool = False


def load_photos(folder: Path) -> list[Photo]:
    """The readable images in a folder and in its code-free/ subfolder, with their expected texts."""
    found = [(path, False) for path in sorted(folder.iterdir())]
    if (folder / CODE_FREE).is_dir():
        found += [(path, True) for path in sorted((folder / CODE_FREE).iterdir())]
    photos = []
    for path, free in found:
        if path.suffix.lower() not in IMAGE_SUFFIXES or (image := cv2.imread(str(path))) is None:
            continue
        label = path.with_suffix(".txt")
        text = label.read_bytes().decode("utf-8") if label.is_file() and not free else None
        photos.append(Photo(f"{CODE_FREE}/{path.name}" if free else path.name, image, text, free))
    return photos


Read = Callable[[Frame], list[Decoded]]
Results = tuple[list[str], list[float]]  # what a reader read in one picture, and the time of each frame


def base_readers() -> dict[str, Read]:
    """Each decoder alone on a still picture, and the kiosk's cascade on it (every way at once)."""
    readers: dict[str, Read] = {"zxing-cpp": read_zxing, "pyzbar": PyzbarDecoder().decode}
    if wechat_available():
        readers["wechat"] = lambda frame: read_wechat(to_gray(frame))
    readers[KIOSK_STILL] = ZxingDecoder().decode
    return readers


def combinations(alone: list[str]) -> list[tuple[str, ...]]:
    """The decoders one after another, each only where those before it read nothing: every pair, and all three."""
    pairs = [(a, b) for n, a in enumerate(alone) for b in alone[n + 1 :]]
    return pairs + ([tuple(alone)] if len(alone) > 2 else [])


def _camera(frame: Frame) -> Results:
    """The kiosk's camera on a photograph held still for CAMERA_FRAMES frames: what it read first, each frame's
    time."""
    camera = ZxingDecoder()
    texts: list[str] = []
    seconds: list[float] = []
    for _ in range(CAMERA_FRAMES):
        found, took = _timed(camera.decode_next, frame)
        seconds.append(took)
        texts = texts or found
    return texts, seconds


def _score(photos: list[Photo], results: list[Results]) -> dict:
    """Reads, wrong reads, false reads and time per frame of one reader on one set of pictures."""
    pairs = list(zip(photos, results, strict=True))
    coded = [(photo.text, texts) for photo, (texts, _) in pairs if photo.text is not None]
    unlabelled = [texts for photo, (texts, _) in pairs if photo.text is None and not photo.code_free]
    row: dict = {"read": f"{sum(text in texts for text, texts in coded)}/{len(coded)}"}
    if unlabelled:
        row["unlabelled_read"] = f"{sum(map(bool, unlabelled))}/{len(unlabelled)}"
    row["wrong"] = sum(any(got != text for got in texts) for text, texts in coded)
    row["false_reads"] = sum(bool(texts) for photo, (texts, _) in pairs if photo.code_free)
    row["ms_per_frame"] = ms([took for _, times in results for took in times], digits=2)
    return row


def _first(names: tuple[str, ...], each: dict[str, Results]) -> Results:
    """Decoders one after another until one reads: its texts, and the time of all that ran."""
    spent = 0.0
    for name in names:
        texts, (took,) = each[name]
        spent += took
        if texts:
            return texts, [spent]
    return [], [spent]


def _run(photos: list[Photo]) -> dict[str, list[Results]]:
    """Every reader, alone and combined, on every photograph."""
    readers = base_readers()
    each = [{name: _once(read, photo.image) for name, read in readers.items()} for photo in photos]
    alone = [name for name in readers if name != KIOSK_STILL]
    runs = {name: [results[name] for results in each] for name in alone}
    for names in combinations(alone):
        runs[" + ".join(names)] = [_first(names, results) for results in each]
    runs[KIOSK_STILL] = [results[KIOSK_STILL] for results in each]
    runs[KIOSK_CAMERA] = [_camera(photo.image) for photo in photos]
    return runs


def _once(read: Read, frame: Frame) -> Results:
    """One reader on one still picture."""
    texts, took = _timed(read, frame)
    return texts, [took]


def _scaled(photos: list[Photo], factor: float) -> list[Photo]:
    """The photographs with fewer pixels (area-averaged, as a sensor further away sees them)."""
    if factor == 1.0:
        return photos
    return [
        Photo(
            p.name, cv2.resize(p.image, None, fx=factor, fy=factor, interpolation=cv2.INTER_AREA), p.text, p.code_free
        )
        for p in photos
    ]


def bench_decode_folder(folder: Path, scales: dict[str, float] | None = None) -> dict:
    """Each decoder alone and combined, and the kiosk's cascade, on a folder of photographs: codes read, wrong texts,
    reads in code-free pictures and time per frame, side by side; the photographs as taken, then scaled down."""
    folder = Path(folder)
    if not folder.is_dir():
        return {"benchmark": "decode", "frames": str(folder), "failed": f"no folder of images at {folder}"}
    photos = load_photos(folder)
    if not photos:
        return {"benchmark": "decode", "frames": str(folder), "failed": f"no readable images in {folder}"}
    runs = {label: _run(_scaled(photos, factor)) for label, factor in (scales or SCALES).items()}
    first = next(iter(runs.values()))
    return {
        "benchmark": "decode",
        "frames": str(folder),
        "images": len(photos),
        "with_code": sum(photo.text is not None for photo in photos),
        "code_free": sum(photo.code_free for photo in photos),
        "wechat": "opencv-contrib, without CNN models" if wechat_available() else f"not installed ({WECHAT_WHEEL})",
        "readers": {reader: {label: _score(photos, rows[reader]) for label, rows in runs.items()} for reader in first},
    } | _as_before(photos, first)


def _as_before(photos: list[Photo], runs: dict[str, list[Results]]) -> dict:
    """The figures the folder report has always had, on the first scale: pictures that yield any code, and those
    that only one of zxing-cpp alone and the kiosk reads."""
    report: dict = {}
    for old, reader in (("zxing_alone", "zxing-cpp"), ("kiosk_still", KIOSK_STILL), ("pyzbar", "pyzbar")):
        report[old] = {
            "read": f"{sum(bool(texts) for texts, _ in runs[reader])}/{len(photos)}",
            "ms_per_image": ms([took for _, times in runs[reader] for took in times], digits=2),
        }
    pairs = [
        (photo.name, alone, kiosk)
        for photo, (alone, _), (kiosk, _) in zip(photos, runs["zxing-cpp"], runs[KIOSK_STILL], strict=True)
    ]
    report["kiosk_reads_where_zxing_alone_does_not"] = sorted(
        name for name, alone, kiosk in pairs if kiosk and not alone
    )
    report["zxing_alone_reads_where_kiosk_does_not"] = sorted(
        name for name, alone, kiosk in pairs if not set(alone) <= set(kiosk)
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
