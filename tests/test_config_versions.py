"""Facility file versions (issue 24): the examples as they were written before spaces (version 1, kept unchanged in
tests/data/facility-v1) still load, say that they are version 1, and decide as their hand-written version 2 rewrites
in config/ do, except where a rewrite follows the guide's card further (each such change is named here);
`--check-config FILE --migrated` prints a valid version 2 file equal in content."""

from __future__ import annotations

import json
import logging
import shutil
import tomllib
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from facility.config import FacilityConfig, load_config, parse_config
from facility.config.versions import MAIN_SPACE, notice
from facility.models import Occupancy, Reservation
from facility.rules.booking import booking_refusal, decide_unlock
from facility.rules.checkin import decide_checkin
from kiosk.cli import main as kiosk_main
from lockd.cli import main as lockd_main
from tests.conftest import CONFIG_DIR, REPO
from tests.rulebook import BASIC, CORPORATE, NEWCOMER, PREMIUM, at

VERSION_1 = REPO / "tests" / "data" / "facility-v1"
NAMES = sorted(path.name for path in VERSION_1.glob("*.toml"))
PROGRAMS = {"h1t-shibuya.toml": lockd_main}  # the others are reception kiosks' files


def test_every_example_is_kept_in_its_version_1_form() -> None:
    assert sorted(path.name for path in CONFIG_DIR.glob("*.toml")) == NAMES
    for name in NAMES:
        raw = tomllib.loads((VERSION_1 / name).read_text())
        assert "version" not in raw and "spaces" not in raw and "kind" in raw["facility"], name


@pytest.mark.parametrize("name", NAMES)
def test_a_version_1_file_loads_as_one_space_and_says_it_is_version_1(
    name: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    copy = tmp_path / name  # a path of its own: the notice is said once per file and process
    shutil.copy(VERSION_1 / name, copy)
    with caplog.at_level(logging.WARNING, logger="facility.config.loader"):
        cfg = load_config(copy)
    raw = tomllib.loads(copy.read_text())
    (said,) = [record.getMessage() for record in caplog.records if "version 1 facility file" in record.getMessage()]
    assert said == f"{copy}: {notice(raw)}" and "--migrated" in said
    (space,) = cfg.spaces
    assert (space.id, space.kind.value, space.rooms) == (MAIN_SPACE, raw["facility"]["kind"], [r.id for r in cfg.rooms])


@pytest.mark.parametrize("name", NAMES)
def test_check_config_migrated_prints_an_equal_version_2_file(
    name: str, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    copy = tmp_path / name
    shutil.copy(VERSION_1 / name, copy)
    (tmp_path / "demo-keys").symlink_to(CONFIG_DIR / "demo-keys")  # the files it names, beside it as in config/
    main = PROGRAMS.get(name, kiosk_main)
    assert main(["--check-config", str(copy), "--migrated"]) == 0
    said = capsys.readouterr()
    assert f"{copy}: OK for " in said.err and f"{copy}: note: version 1 file" in said.err
    migrated = said.out  # standard output is the new file and nothing else: ready to redirect
    assert migrated.startswith(f"# {name} in the form of facility file version 2\n")
    raw = tomllib.loads(migrated)
    assert raw["version"] == 2 and notice(raw) == "" and "kind" not in raw["facility"]
    assert same(parse_config(migrated, "migrated.toml", tmp_path), load_config(copy))
    rewritten = tmp_path / "migrated.toml"
    rewritten.write_text(migrated)
    assert main(["--check-config", str(rewritten)]) == 0
    assert "note:" not in capsys.readouterr().out  # the new form: nothing to say


# What each hand-written rewrite changed on purpose, to follow the guide's card, undone on its version 2 text:
# everything else must be what the version 1 file said.
def _regus(raw: dict[str, Any]) -> None:
    """店舗詳細「会議室 (OFFICE PASSで利用可能)」: a staffed meeting room beside the open space."""
    assert [space["kind"] for space in raw["spaces"]] == ["drop_in", "meeting_room_staffed"]
    raw["spaces"] = raw["spaces"][:1]
    del raw["rooms"]


def _h1t(raw: dict[str, Any]) -> None:
    """会議室（無人受付）: 共連れで利用可能: the meeting room is a space of its own, beside the booths."""
    booths, meeting = raw["spaces"]
    assert (booths["kind"], meeting["kind"], meeting["rooms"]) == ("booking", "meeting_room_unattended", ["meeting-1"])
    booths["rooms"] = [room["id"] for room in raw["rooms"]]
    raw["spaces"] = [booths]


def _karaoke(raw: dict[str, Any]) -> None:
    """事前予約が可能（店舗へ直接電話…）: reception holds rooms booked by phone; and the branch's business day (the
    guide does not settle it) begins at 06:00, after its latest closing."""
    assert raw["spaces"][0].pop("phone_holds") is True
    assert raw["rules"].pop("day_starts_at") == "06:00"


ON_PURPOSE = {"regus-shinjuku.toml": _regus, "h1t-shibuya.toml": _h1t, "karaoke-shinjuku.toml": _karaoke}


def dumped(cfg: FacilityConfig, folder: Path) -> dict[str, Any]:
    """What a facility file decides with: everything but its spaces' own ids and names, its paths as if beside
    config/."""
    text = json.dumps(cfg.model_dump(mode="json"), ensure_ascii=False).replace(str(folder), str(CONFIG_DIR))
    content = json.loads(text)
    for space in content["spaces"]:
        del space["id"], space["name"]
    return content


def same(one: FacilityConfig, other: FacilityConfig) -> bool:
    """The two files say the same, paths and all."""
    return one.model_dump(mode="json") == other.model_dump(mode="json")


@pytest.mark.parametrize("name", NAMES)
def test_a_version_1_file_says_what_its_version_2_rewrite_says_but_for_the_guide_s_changes(name: str) -> None:
    raw = tomllib.loads((CONFIG_DIR / name).read_text())
    ON_PURPOSE.get(name, lambda raw: None)(raw)
    undone = FacilityConfig.model_validate(raw, context={"base_dir": CONFIG_DIR})
    assert dumped(load_config(VERSION_1 / name), VERSION_1) == dumped(undone, CONFIG_DIR)


MOMENTS = [at(f"2026-11-{day} {hour}") for day in (20, 21, 22, 23, 24) for hour in ("00:30", "08:59", "10:00", "18:30")]
RECEPTION = [name for name in NAMES if name not in PROGRAMS and name != "meeting-kanda.toml"]


@pytest.mark.parametrize("name", RECEPTION)
def test_the_main_space_admits_and_refuses_as_the_version_1_file_did(name: str) -> None:
    old, new = load_config(VERSION_1 / name), load_config(CONFIG_DIR / name)
    before, after = old.venue(old.spaces[0]), new.venue(new.spaces[0])
    for moment in MOMENTS:
        for member in (BASIC, PREMIUM, CORPORATE, NEWCOMER):
            for occupancy in (Occupancy(), Occupancy(members_in=after.seats.total if after.seats else 0)):
                assert decide_checkin(before, member, [], occupancy, moment) == decide_checkin(
                    after, member, [], occupancy, moment
                ), (moment, member, occupancy)


def test_the_booking_site_s_doors_open_as_the_version_1_file_opened_them() -> None:
    old, new = load_config(VERSION_1 / "h1t-shibuya.toml"), load_config(CONFIG_DIR / "h1t-shibuya.toml")
    for door in new.doors:
        room = door.rooms[0]
        for moment in MOMENTS:
            booking = Reservation(1, room, PREMIUM.member_id, moment, moment + timedelta(hours=1), guests=2)
            for member in (PREMIUM.member_id, CORPORATE.member_id):
                for when in (moment - timedelta(minutes=6), moment, moment + timedelta(minutes=30)):
                    assert decide_unlock(old.venue_of_room(room), door, booking, member, [], when) == decide_unlock(
                        new.venue_of_room(room), door, booking, member, [], when
                    )
            week_before = moment - timedelta(days=1)
            assert booking_refusal(
                old.venue_of_room(room), moment, moment + timedelta(minutes=45), week_before
            ) == booking_refusal(new.venue_of_room(room), moment, moment + timedelta(minutes=45), week_before)


def test_a_file_that_says_version_1_is_read_as_one_that_says_nothing() -> None:
    text = (VERSION_1 / "karaoke-shinjuku.toml").read_text()
    said, unsaid = parse_config("version = 1\n" + text), parse_config(text)
    assert said.version == unsaid.version == 2 and [s.kind for s in said.spaces] == [s.kind for s in unsaid.spaces]
