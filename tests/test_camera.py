"""The virtual camera: frames of phones that the kiosk's real decoders read, scripted, and unpluggable."""

from __future__ import annotations

import cv2
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from facility.models import Plan
from facility.tokens import MemberPass, SigningKey, facility_tag, mint
from kiosk.camera import OpenCVCamera
from kiosk.decoding import PyzbarDecoder, ZxingDecoder, make_decoder
from simulator.camera import Segment, VirtualCamera
from simulator.screen import Shot, clean_frame, phone_screen, render_frame

# A fixed pass (fixed key and id), so a condition that fails once fails every time.
PASS = mint(
    MemberPass(
        1001, Plan.CORPORATE, b"camera01", 1_795_000_000, 90, facility_tag("kaikatsu-ikebukuro"), None, "佐藤 葵"
    ),
    SigningKey(Ed25519PrivateKey.from_private_bytes(bytes(32))),
)
ZXING, PYZBAR = ZxingDecoder(), PyzbarDecoder()

READABLE = {
    "held straight": Shot(),
    "further away": Shot(distance=2.0),
    "tilted away and sideways": Shot(tilt_x=30, tilt_y=20),
    "rotated in hand": Shot(roll=35),
    "slightly out of focus": Shot(blur=1.5),
    "ceiling light glare": Shot(glare=0.8),
    "grainy sensor": Shot(noise=30),
    "moire from the screen grid": Shot(moire=0.3),
    "dim screen": Shot(brightness=0.2),
    "dark mode": Shot(dark_mode=True),
    "dark mode, dim": Shot(dark_mode=True, brightness=0.5),
    "everything at once, dark mode": Shot(
        distance=1.3, tilt_x=20, blur=1.0, glare=0.3, noise=8, moire=0.2, dark_mode=True
    ),
}


@pytest.mark.parametrize("shot", READABLE.values(), ids=READABLE.keys())
def test_zxing_reads_the_phone_in_each_condition(shot: Shot) -> None:
    assert [d.text for d in ZXING.decode(render_frame(PASS, shot))] == [PASS]


@pytest.mark.parametrize(
    "shot", [Shot(), Shot(tilt_x=30), Shot(dark_mode=True)], ids=["straight", "tilted", "dark mode"]
)
def test_pyzbar_reads_the_common_cases(shot: Shot) -> None:
    assert [d.text for d in PYZBAR.decode(render_frame(PASS, shot))] == [PASS]


def test_the_decoder_reports_where_the_code_is() -> None:
    (found,) = ZXING.decode(render_frame(PASS, Shot(offset=(0.25, 0.0))))
    xs = [x for x, _ in found.corners]
    assert len(found.corners) == 4 and min(xs) > 640  # moved right of centre


def test_empty_frames_hold_no_code() -> None:
    frame = render_frame(None, Shot(noise=10))
    assert frame.shape == (720, 1280, 3) and ZXING.decode(frame) == [] and PYZBAR.decode(frame) == []


def test_the_camera_plays_a_script_of_phones_and_empty_frames() -> None:
    camera = VirtualCamera(640, 480)
    camera.play([Segment(None, frames=2), Segment(PASS, Shot(dark_mode=True), frames=3), Segment(None, frames=2)])
    seen = [[d.text for d in ZXING.decode(camera.read())] for _ in range(8)]
    assert seen == [[], [], [PASS], [PASS], [PASS], [], [], []]
    assert camera.shown == [(0, None), (2, PASS), (5, None), (7, None)]  # (first frame, what was shown)


def test_unplugging_gives_no_frames_until_plugged_back() -> None:
    camera = VirtualCamera(640, 480)
    camera.show(PASS)
    assert camera.read() is not None
    camera.unplug()
    assert camera.read() is None
    camera.plug()
    assert [d.text for d in ZXING.decode(camera.read())] == [PASS]
    camera.close()
    assert camera.read() is None


def test_a_frame_saved_to_file_is_read_back_through_opencv(tmp_path) -> None:
    cv2.imwrite(str(tmp_path / "shot.png"), render_frame(PASS, Shot(tilt_y=15)))
    camera = OpenCVCamera(str(tmp_path / "shot.png"))
    assert [d.text for d in make_decoder("zxing").decode(camera.read())] == [PASS]
    camera.close()
    assert OpenCVCamera(str(tmp_path / "missing.png")).read() is None


def test_a_phone_screen_png_decodes() -> None:
    assert [d.text for d in ZXING.decode(phone_screen(PASS, 540, dark_mode=True))] == [PASS]


def test_unknown_decoder_names_are_refused() -> None:
    with pytest.raises(ValueError, match="zxing, pyzbar"):
        make_decoder("opencv")


def test_the_camera_draws_a_phone_when_it_is_shown_not_when_its_frame_is_read() -> None:
    camera = VirtualCamera(640, 480)
    camera.show(PASS, Shot(roll=12))
    drawn = clean_frame.cache_info()
    assert [d.text for d in ZXING.decode(camera.read())] == [PASS]
    assert clean_frame.cache_info().misses == drawn.misses  # served from what show() drew
    assert camera.code_first_seen_at is not None


def test_a_paced_camera_counts_the_frames_a_slow_reader_missed() -> None:
    camera = VirtualCamera(640, 480, fps=30, paced=True)
    camera.read()
    assert camera.frames_dropped == 0
    camera._next_tick -= 1.0  # as if the reader had come back a second late
    camera.read()
    assert 29 <= camera.frames_dropped <= 30  # a second's frames but the one it is given
