"""Benchmark: how often and how fast each decoder reads codes, on the simulator's frames or a folder of images."""

from __future__ import annotations

import statistics
import time
from pathlib import Path

import cv2

from facility.models import Plan
from facility.tokens import MemberPass, SigningKey, facility_tag, mint, new_id
from kiosk.decoding import make_decoder
from simulator.screen import Shot, render_frame

CONDITIONS = {
    "straight": Shot(),
    "distance 1.5": Shot(distance=1.5), "distance 2.0": Shot(distance=2.0), "distance 2.5": Shot(distance=2.5),
    "tilt 30": Shot(tilt_x=30, tilt_y=20), "tilt 45": Shot(tilt_x=45), "roll 35": Shot(roll=35),
    "blur 1.5": Shot(blur=1.5), "blur 2.5": Shot(blur=2.5),
    "glare 0.5": Shot(glare=0.5), "glare 0.8": Shot(glare=0.8),
    "noise 30": Shot(noise=30), "moire 0.3": Shot(moire=0.3), "moire 0.6": Shot(moire=0.6),
    "dim 0.2": Shot(brightness=0.2), "dark mode": Shot(dark_mode=True), "dark mode, dim": Shot(dark_mode=True, brightness=0.5),
    "everything, dark": Shot(distance=1.3, tilt_x=20, blur=1.0, glare=0.3, noise=8, moire=0.2, dark_mode=True),
}


def _timed(decoder, frame) -> tuple[list[str], float]:
    """What a decoder reads in a frame, and how long it took."""
    start = time.perf_counter()
    texts = [d.text for d in decoder.decode(frame)]
    return texts, time.perf_counter() - start


def _summary(hits: int, total: int, seconds: list[float]) -> dict:
    """Success rate and time per frame."""
    return {"read": f"{hits}/{total}", "success_rate": round(hits / total, 3) if total else None,
            "ms_per_frame_median": round(statistics.median(seconds) * 1000, 2) if seconds else None}


def bench_decode_simulated(passes: int = 10, size: tuple[int, int] = (1280, 720)) -> dict:
    """Each decoder on each condition, `passes` different member passes each."""
    key = SigningKey.generate()
    texts = [mint(MemberPass(n, Plan.CORPORATE, new_id(8), 1_795_000_000, 90, facility_tag("x"), None, "計測"), key)
             for n in range(passes)]
    empty = render_frame(None, Shot(), size)
    report = {"benchmark": "decode", "frames": f"simulated {size[0]}x{size[1]}", "passes_per_condition": passes}
    for name in ("zxing", "pyzbar"):
        decoder, rows = make_decoder(name), {}
        for label, shot in CONDITIONS.items():
            results = [_timed(decoder, render_frame(text, shot, size)) for text in texts]
            rows[label] = _summary(sum(found == [text] for (found, _), text in zip(results, texts, strict=False)), len(texts),
                                   [seconds for _, seconds in results])
        no_code = [_timed(decoder, empty)[1] for _ in range(10)]
        rows["no code in view"] = {"ms_per_frame_median": round(statistics.median(no_code) * 1000, 2)}
        report[name] = rows
    return report


def bench_decode_folder(folder: Path) -> dict:
    """Each decoder on every image in a folder: how many yield a code, and how fast."""
    images = sorted(p for p in Path(folder).iterdir() if p.suffix.lower() in {".png", ".jpg", ".jpeg", ".bmp", ".webp"})
    report = {"benchmark": "decode", "frames": str(folder), "images": len(images)}
    loaded = [(path, cv2.imread(str(path))) for path in images]
    for name in ("zxing", "pyzbar"):
        decoder = make_decoder(name)
        results = [_timed(decoder, image) for _, image in loaded if image is not None]
        report[name] = _summary(sum(bool(found) for found, _ in results), len(results), [s for _, s in results])
    return report
