"""The kiosk's decoder: zxing-cpp first, then the cascade where a code probably is, in a frame's time on a camera."""

from __future__ import annotations

import string

import cv2
import numpy as np
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from facility.models import Plan
from facility.tokens import MemberPass, SigningKey, display_name, facility_tag, mint
from kiosk.decoding import Decoded, Way, ZxingDecoder, likely_codes, read_zxing, to_gray
from kiosk.scanner import preview_of
from simulator.screen import Shot, render_frame

# A fixed pass as the platform mints it (fixed key and id), so a condition that fails once fails every time.
PASS = mint(
    MemberPass(
        1_000_001,
        Plan.CORPORATE,
        b"decode01",
        1_795_000_000,
        90,
        facility_tag("kaikatsu-ikebukuro"),
        None,
        display_name("佐藤 葵"),
    ),
    SigningKey(Ed25519PrivateKey.from_private_bytes(bytes(32))),
)
HARD = {"held far away": Shot(distance=2.5), "out of focus": Shot(blur=2.5), "strong moire": Shot(moire=0.6)}
UNREADABLE = Shot(distance=4.0)  # a likely code, in one patch, that nothing reads


class FrozenClock:
    """A clock that moves only when told: the cascade's time budget without the machine's speed in the test."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


class Spy:
    """A way that reads nothing, remembers each call and takes the time it is given on the frozen clock."""

    def __init__(self, name: str, clock: FrozenClock, seconds: float = 0.0, reads: list[Decoded] | None = None) -> None:
        self.name, self.clock, self.seconds, self.reads, self.calls = name, clock, seconds, reads or [], 0

    def way(self) -> Way:
        """The spy as a cascade way."""
        return Way(self.name, lambda gray: gray, self.read)

    def read(self, image: np.ndarray) -> list[Decoded]:
        """Count the call, spend the time, give what it was told to."""
        self.calls += 1
        self.clock.now += self.seconds
        return self.reads


@pytest.mark.parametrize("shot", HARD.values(), ids=HARD.keys())
def test_the_cascade_reads_what_zxing_alone_cannot(shot: Shot) -> None:
    frame = render_frame(PASS, shot)
    assert read_zxing(frame) == []
    assert [code.text for code in ZxingDecoder().decode(frame)] == [PASS]
    camera = ZxingDecoder(clock=FrozenClock())  # time stands still: every way fits the first frame
    assert [code.text for code in camera.decode_next(frame)] == [PASS] and camera.read_by


@pytest.mark.parametrize("shot", HARD.values(), ids=HARD.keys())
def test_a_code_read_by_the_cascade_is_outlined_where_it_is(shot: Shot) -> None:
    frame = render_frame(PASS, Shot(distance=shot.distance, blur=shot.blur, moire=shot.moire, offset=(0.25, 0.1)))
    (found,) = ZxingDecoder().decode(frame)
    xs, ys = [x for x, _ in found.corners], [y for _, y in found.corners]
    assert 640 < min(xs) < max(xs) < 1280 and 360 < sum(ys) / 4 < 720  # right of centre and below it, as placed


@pytest.mark.parametrize(
    "shot",
    [Shot(), Shot(tilt_x=30, tilt_y=20), Shot(dark_mode=True), Shot(noise=30), Shot(distance=2.0), Shot(glare=0.8)],
    ids=str,
)
def test_a_still_is_read_wherever_zxing_alone_reads_it(shot: Shot) -> None:
    frame = render_frame(PASS, shot)
    alone = {code.text for code in read_zxing(frame)}
    assert alone and alone <= {code.text for code in ZxingDecoder().decode(frame)}


@pytest.mark.parametrize(
    "shot", [Shot(distance=4.0), Shot(blur=5.0), Shot(moire=1.0)], ids=["too far", "too blurred", "heavy moire"]
)
def test_beyond_reading_there_is_no_code_rather_than_a_wrong_one(shot: Shot) -> None:
    frame = render_frame(PASS, shot)
    assert ZxingDecoder().decode(frame) == []
    camera = ZxingDecoder(clock=FrozenClock())
    assert all(camera.decode_next(frame) == [] for _ in range(3))


def code_free_pictures() -> list[np.ndarray]:
    """Pictures that hold no code but plenty of edges: text, a checkerboard, noise, stripes, random blocks."""
    rng = np.random.default_rng(5)
    text = np.full((720, 1280, 3), 235, np.uint8)
    for row in range(30, 720, 40):
        line = "".join(rng.choice(list(string.ascii_letters + string.digits + "  "), 60))
        cv2.putText(text, line, (10, row), cv2.FONT_HERSHEY_SIMPLEX, 0.8, (20, 20, 20), 2)
    checker = (np.indices((720, 1280)).sum(0) // 12 % 2 * 255).astype(np.uint8)
    noise = rng.integers(0, 256, (720, 1280), dtype=np.uint8)
    stripes = (127 + 120 * np.sin(np.arange(1280) / 2.2))[None, :].repeat(720, 0).astype(np.uint8)
    blocks = cv2.resize(
        (rng.random((60, 100)) > 0.5).astype(np.uint8) * 255, (1000, 600), interpolation=cv2.INTER_NEAREST
    )
    return [text, checker, noise, stripes, blocks, render_frame(None, Shot(noise=20))]


def test_code_free_pictures_give_no_code_by_any_way() -> None:
    for picture in code_free_pictures():
        assert ZxingDecoder().decode(picture) == []
        camera = ZxingDecoder(clock=FrozenClock())
        assert all(camera.decode_next(picture) == [] for _ in range(3))


def test_the_search_finds_the_phone_in_hard_frames_and_nothing_on_an_empty_desk() -> None:
    for shot in HARD.values():
        (best, *_) = likely_codes(to_gray(render_frame(PASS, shot)))
        assert best.holds((640, 360))  # the phone is in the middle of the frame
    assert likely_codes(to_gray(render_frame(None, Shot()))) == []
    assert likely_codes(to_gray(render_frame(None, Shot(noise=30)))) == []  # sensor noise is not a code


def test_an_empty_desk_costs_no_cascade() -> None:
    clock = FrozenClock()
    spy = Spy("spy", clock)
    camera = ZxingDecoder(clock=clock, ways=(spy.way(),))
    for _ in range(5):
        assert camera.decode_next(render_frame(None, Shot())) == []
    assert spy.calls == 0


def test_the_cascade_stops_when_the_frame_time_is_spent_and_carries_on_in_the_next_frame() -> None:
    clock = FrozenClock()
    spies = [Spy(f"way {n}", clock, seconds=0.002) for n in range(6)]
    camera = ZxingDecoder(frame_budget=0.005, clock=clock, ways=tuple(spy.way() for spy in spies))
    frame = render_frame(PASS, UNREADABLE)
    assert len(likely_codes(to_gray(frame))) == 1
    assert camera.decode_next(frame) == []
    # 2 ms a way in a 5 ms frame: three ways started in the first frame (the third found the time spent)
    assert [spy.calls for spy in spies] == [1, 1, 1, 0, 0, 0]
    camera.decode_next(frame)
    assert [spy.calls for spy in spies] == [1, 1, 1, 1, 1, 1]  # the next frame went on where the first stopped


def test_a_way_too_dear_for_the_time_left_waits_for_the_start_of_the_next_frame() -> None:
    clock = FrozenClock()
    spies = [
        Spy("cheap", clock, seconds=0.001),
        Spy("dear", clock, seconds=0.004),
        Spy("also cheap", clock, seconds=0.001),
    ]
    camera = ZxingDecoder(frame_budget=0.0045, clock=clock, ways=tuple(spy.way() for spy in spies))
    frame = render_frame(PASS, UNREADABLE)
    camera.decode_next(frame)  # cheap, then dear (its cost not yet known); the frame is spent
    assert [spy.calls for spy in spies] == [1, 1, 0]
    camera.decode_next(frame)  # also cheap, cheap; dear would overrun the 2 ms left, so it waits
    assert [spy.calls for spy in spies] == [2, 1, 1]
    camera.decode_next(frame)  # dear first, alone in its frame
    assert [spy.calls for spy in spies] == [2, 2, 1]


def test_the_way_that_read_goes_first_next_time() -> None:
    clock = FrozenClock()
    found = [Decoded("CODE", ((0, 0), (10, 0), (10, 10), (0, 10)))]
    first, second = Spy("first", clock), Spy("second", clock, reads=found)
    camera = ZxingDecoder(clock=clock, ways=(first.way(), second.way()))
    frame = render_frame(PASS, UNREADABLE)
    assert [code.text for code in camera.decode_next(frame)] == ["CODE"] and camera.read_by == "second"
    assert [way.name for way in camera.order] == ["second", "first"]
    calls = first.calls
    camera.decode_next(frame)
    assert first.calls == calls  # read again at once by the way that read before


def as_jpeg(frame: np.ndarray, quality: int = 70) -> np.ndarray:
    """The frame as an MJPEG webcam sends it."""
    return cv2.imdecode(cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, quality])[1], cv2.IMREAD_COLOR)


def with_noise(frame: np.ndarray, sigma: float = 5) -> np.ndarray:
    """The frame with fresh sensor noise."""
    return np.clip(frame + np.random.default_rng(1).normal(0, sigma, frame.shape), 0, 255).astype(np.uint8)


@pytest.mark.parametrize("degrade", [as_jpeg, with_noise], ids=["JPEG 70", "sensor noise 5"])
def test_a_hard_frame_through_a_real_camera_pipeline_is_still_read(degrade) -> None:
    frame = degrade(render_frame(PASS, Shot(distance=2.5)))
    assert [code.text for code in ZxingDecoder().decode(frame)] == [PASS]


def test_the_preview_is_scaled_down_for_the_screen_with_the_code_outlined() -> None:
    frame = render_frame(PASS, Shot(), (1920, 1080))
    codes = ZxingDecoder().decode(frame)
    image = preview_of(frame, codes)
    assert (image.width(), image.height()) == (640, 360)
    x, y = (int(v / 3) for v in codes[0].corners[0])
    assert image.pixelColor(x, y).green() > 150 > image.pixelColor(x, y).red()  # the green outline at the corner
