"""A facility is a set of spaces (issue 24): the version 2 file form, its checks, and the venue each rule decides by."""

from __future__ import annotations

import pytest

from facility.config import parse_config
from facility.errors import ConfigError
from facility.models import FacilityKind
from facility.rules.companions import companion_fee

KEY = "IIhkrhAAs3a19vVuNPPgTqc+SamErWvU016ELA/YN1Q="
HEAD = f"""
version = 2
[facility]
id = "mixed"
name = "Mixed office"
chain = "mixed"
[hours]
mon = ["09:00-18:00"]
tue = ["09:00-18:00"]
wed = ["09:00-18:00"]
thu = ["09:00-18:00"]
fri = ["09:00-18:00"]
sat = []
sun = []
[rules]
plans_admitted = ["individual_premium", "corporate"]
time_limit_minutes = 240
[platform]
base_url = "http://127.0.0.1:8710/v1"
[[tokens.trusted_keys]]
name = "demo"
public_key = "{KEY}"
purposes = ["member_pass"]
"""
OPEN = """
[[spaces]]
id = "open"
name = "オープンスペース / Open space"
kind = "drop_in"
capacity = { total = 40, few_left_at = 5 }
companions = { drop_in_fee_yen = 1100 }
"""
MEETING = """
[[spaces]]
id = "meeting"
name = "会議室 / Meeting room"
kind = "meeting_room_staffed"
rooms = ["room-a"]
rules = { time_limit_minutes = 120 }
[spaces.hours]
mon = ["10:00-17:00"]
tue = ["10:00-17:00"]
wed = ["10:00-17:00"]
thu = ["10:00-17:00"]
fri = ["10:00-17:00"]
sat = []
sun = []
"""
ROOM = """
[[rooms]]
id = "room-a"
name = "会議室A / Room A"
kind = "meeting_room"
capacity = 6
"""


def problems_of(text: str) -> list[tuple[str, str]]:
    """The (path, message) of each problem the text is refused with."""
    with pytest.raises(ConfigError) as refused:
        parse_config(text)
    return [(p.path, p.message) for p in refused.value.problems]


def test_each_space_decides_by_its_own_values_and_the_facility_s_otherwise() -> None:
    cfg = parse_config(HEAD + OPEN + MEETING + ROOM)
    assert [space.id for space in cfg.spaces] == ["open", "meeting"] and cfg.kinds() == {
        FacilityKind.DROP_IN,
        FacilityKind.MEETING_ROOM_STAFFED,
    }
    open_space, meeting = cfg.venue("open"), cfg.venue("meeting")
    assert open_space.rules.time_limit_minutes == 240 and meeting.rules.time_limit_minutes == 120
    assert meeting.rules.plans_admitted == open_space.rules.plans_admitted  # the facility's, inherited
    assert open_space.hours.mon[0].start != meeting.hours.mon[0].start
    assert companion_fee(open_space) == 1100 and companion_fee(meeting) == 0  # meeting rooms: guests come free
    assert cfg.space_of_room("room-a") is cfg.space("meeting") and [r.id for r in meeting.rooms] == ["room-a"]
    assert cfg.walk_in_space is cfg.space("open") and cfg.venue_of_room("room-a").facility.kind is meeting.facility.kind
    assert cfg.venue("open") is cfg.venue("open")  # made once


@pytest.mark.parametrize(
    ("text", "path", "words"),
    [
        (HEAD + OPEN + MEETING, "spaces.1.rooms.0", "no room 'room-a'"),
        (HEAD + OPEN + ROOM, "rooms.0.id", "belongs to no space"),
        (
            HEAD + OPEN + MEETING + MEETING.replace('id = "meeting"', 'id = "meeting-2"') + ROOM,
            "rooms.0.id",
            "2 spaces",
        ),
        (HEAD + OPEN + OPEN + MEETING + ROOM, "spaces.1.id", "used twice"),
        (
            HEAD + OPEN.replace("capacity = { total = 40, few_left_at = 5 }\n", "") + MEETING + ROOM,
            "spaces.0.capacity",
            "needs a capacity",
        ),
        (
            HEAD + OPEN.replace('kind = "drop_in"', 'kind = "drop_in"\nphone_holds = true') + MEETING + ROOM,
            "spaces.0.phone_holds",
            "unit 'rooms'",
        ),
    ],
    ids=["unknown room", "room in no space", "room in two", "space twice", "no capacity", "holds without rooms"],
)
def test_spaces_that_do_not_fit_are_refused_where_they_stand(text: str, path: str, words: str) -> None:
    assert any(p == path and words in m for p, m in problems_of(text)), problems_of(text)


def test_a_version_2_file_keeps_kind_seats_companions_and_desk_checks_in_its_spaces() -> None:
    stray = (
        HEAD.replace('chain = "mixed"', 'chain = "mixed"\nkind = "drop_in"')
        + OPEN
        + "[seats]\ntotal = 3\nfew_left_at = 1\n"
    )
    (problem,) = problems_of(stray)
    assert "keeps [seats], facility.kind in its [[spaces]]" in problem[1]


def test_an_unknown_version_and_spaces_without_a_version_are_refused() -> None:
    assert "version 3" in problems_of(HEAD.replace("version = 2", "version = 3") + OPEN)[0][1]
    assert "needs version = 2" in problems_of(HEAD.replace("version = 2", "") + OPEN)[0][1]


def test_a_space_can_lift_the_facility_s_time_limit() -> None:
    lifted = MEETING.replace("rules = { time_limit_minutes = 120 }", 'rules = { time_limit_minutes = "none" }')
    cfg = parse_config(HEAD + OPEN + lifted + ROOM)
    assert cfg.venue("meeting").rules.time_limit_minutes is None and cfg.venue("open").rules.time_limit_minutes == 240


@pytest.mark.parametrize(
    ("text", "words"),
    [
        (HEAD.replace("version = 2", "version = 2.0") + OPEN, "version 2.0"),
        (HEAD.replace("version = 2", "version = true") + OPEN, "version True"),
        (HEAD, "add at least one [[spaces]]"),
        (HEAD + OPEN + MEETING.replace('rooms = ["room-a"]', 'rooms = ["room-a", "room-a"]') + ROOM, "listed 2 times"),
    ],
    ids=["float version", "bool version", "no spaces", "a room twice in a space"],
)
def test_a_version_or_spaces_that_do_not_make_sense_are_refused_in_words(text: str, words: str) -> None:
    assert any(words in message for _, message in problems_of(text)), problems_of(text)
