"""Facilities for the tests of occupancy by unit and phone holds, written here (the examples in config/ change with
the guide's cards): a karaoke branch counted by room with phone holds, and an office with an open space and a
staffed meeting room usable with the pass."""

from __future__ import annotations

from facility.config import FacilityConfig, parse_config

DEMO_KEY = "IIhkrhAAs3a19vVuNPPgTqc+SamErWvU016ELA/YN1Q="  # config/demo-keys: accepted on a loopback site only
DEMO_PIN_HASH = (  # 2580, as the examples
    "pbkdf2_sha256$200000$6f66666963657061737364656d6f2121$85dcab189ae7755726eb830fbd30c02640d12f137b125bd90cfe1f31101a7e4c"
)
_SITE = f"""
[platform]
base_url = "http://127.0.0.1:8710/v1"

[[tokens.trusted_keys]]
name = "platform demo key (never deploy)"
public_key = "{DEMO_KEY}"
purposes = ["member_pass"]

[kiosk]
staff_pin_hash = "{DEMO_PIN_HASH}"
id = "front-1"
"""


def karaoke_rooms(rooms: int = 3, few_left_at: int = 1, group_minutes: int = 10) -> FacilityConfig:
    """A karaoke branch open 11:00-05:00 every day, no time limit, counted by room (`rooms` of them), members who
    check in within `group_minutes` of a group's first sharing its room, companions paying 1,000 yen, phone holds."""
    every_day = "\n".join(f'{day} = ["11:00-05:00"]' for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun"))
    return parse_config(
        f"""
version = 2

[facility]
id = "karaoke-test"
name = "カラオケ 試験店 / Karaoke test"
chain = "karaokekan"

[hours]
{every_day}

[rules]
plans_admitted = ["individual_premium", "corporate"]

[[spaces]]
id = "karaoke"
name = "カラオケルーム / Karaoke rooms"
kind = "karaoke"
capacity = {{ unit = "rooms", total = {rooms}, few_left_at = {few_left_at}, group_minutes = {group_minutes} }}
phone_holds = true

[spaces.companions]
drop_in_fee_yen = 1000
{_SITE}""",
        "karaoke-test.toml",
    )


def office_with_meeting_room(seats: int = 2) -> FacilityConfig:
    """A drop-in office open weekdays 9-18 with a 4-hour limit: an open space of `seats` seats, and a staffed meeting
    room (meeting-1) whose representative checks in at the same reception
    (店舗詳細「会議室 (OFFICE PASSで利用可能)」)."""
    weekdays = "\n".join(f'{day} = ["09:00-18:00"]' for day in ("mon", "tue", "wed", "thu", "fri"))
    return parse_config(
        f"""
version = 2

[facility]
id = "office-test"
name = "オフィス 試験店 / Office test"
chain = "office"

[hours]
{weekdays}
sat = []
sun = []

[rules]
plans_admitted = ["individual_premium", "corporate"]
time_limit_minutes = 240

[[spaces]]
id = "open"
name = "オープンスペース / Open space"
kind = "drop_in"
capacity = {{ total = {seats}, few_left_at = 0 }}

[spaces.companions]
drop_in_fee_yen = 2200

[[spaces]]
id = "meeting"
name = "会議室 / Meeting room"
kind = "meeting_room_staffed"
rooms = ["meeting-1"]

[[rooms]]
id = "meeting-1"
name = "会議室1 / Meeting room 1"
kind = "meeting_room"
capacity = 4
{_SITE}""",
        "office-test.toml",
    )
