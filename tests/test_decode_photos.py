"""Real camera photographs (benchmarks/photos): the kiosk's cascade reads at least what every decoder alone or
combined reads, never a wrong text, nothing in code-free photographs; `bench decode --images` says plainly when
there is nothing to read."""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks.__main__ import main
from benchmarks.decode import KIOSK_CAMERA, KIOSK_STILL, bench_decode_folder, load_photos
from kiosk.decoding import ZxingDecoder

PHOTOS = Path(__file__).resolve().parent.parent / "benchmarks" / "photos"
FAR = "at 40%"  # the photographs with 40% of their pixels each way: where the decoders part


@pytest.fixture(scope="module")
def rows() -> dict[str, dict]:
    """Every reader's figures on the photographs held further away."""
    report = bench_decode_folder(PHOTOS, {FAR: 0.4})
    assert (report["with_code"], report["code_free"]) == (6, 27)
    return {reader: figures[FAR] for reader, figures in report["readers"].items()}


def reads(row: dict) -> int:
    """How many codes a reader read."""
    return int(row["read"].split("/")[0])


def test_the_photographs_ship_with_their_texts_licence_and_source() -> None:
    photos = load_photos(PHOTOS)
    coded = [photo.text for photo in photos if photo.text is not None]
    assert len(coded) == 6 and all(text.startswith(("MECARD:", "UI office hours")) for text in coded)
    assert sum(photo.code_free for photo in photos) == 27 and all(photo.image.size for photo in photos)
    assert "Apache License" in (PHOTOS / "LICENSE-Apache-2.0.txt").read_text()
    assert "Debian source package" in (PHOTOS / "README.md").read_text()


def test_every_decoder_is_compared_alone_and_combined(rows: dict[str, dict]) -> None:
    assert {"zxing-cpp", "pyzbar", "wechat", "zxing-cpp + pyzbar + wechat", KIOSK_STILL, KIOSK_CAMERA} <= set(rows)
    assert len(rows) == 3 + 4 + 2  # three alone, three pairs and all three, the kiosk on stills and on a camera


def test_the_cascade_reads_at_least_every_decoder_and_combination(rows: dict[str, dict]) -> None:
    best_other = max(reads(row) for reader, row in rows.items() if not reader.startswith("kiosk"))
    assert reads(rows[KIOSK_STILL]) >= best_other and reads(rows[KIOSK_STILL]) > reads(rows["zxing-cpp"])
    assert reads(rows[KIOSK_STILL]) == 6


def test_no_reader_reads_a_wrong_text_or_a_code_in_a_code_free_photograph(rows: dict[str, dict]) -> None:
    assert all(row["wrong"] == 0 and row["false_reads"] == 0 for row in rows.values()), rows


def test_a_camera_reads_no_code_in_the_code_free_photographs_as_taken() -> None:
    for photo in load_photos(PHOTOS):
        if photo.code_free:
            camera = ZxingDecoder()
            assert all(camera.decode_next(photo.image) == [] for _ in range(3)), photo.name


@pytest.mark.parametrize("made", [False, True], ids=["missing folder", "empty folder"])
def test_bench_decode_images_ends_with_a_clear_line(tmp_path: Path, capsys, made: bool) -> None:
    folder = tmp_path / "photos"
    if made:
        folder.mkdir()
        (folder / "notes.txt").write_text("no pictures here")
    assert main(["decode", "--images", str(folder)]) == 1
    last = capsys.readouterr().err.strip().splitlines()[-1]
    assert last == (f"decode: no readable images in {folder}" if made else f"decode: no folder of images at {folder}")
