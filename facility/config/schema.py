"""The whole facility file, and the one validator that holds every cross-field rule."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Literal, TypeVar
from urllib.parse import urlsplit

from pydantic import Field, PrivateAttr, model_validator

from facility.config.models import (
    FILLED_IN,
    Companions,
    DeskChecks,
    Door,
    DoorReader,
    FacilityInfo,
    Kiosk,
    Lockd,
    Mqtt,
    OpeningHours,
    OsdpOutput,
    PinnedKey,
    Platform,
    Room,
    RootKey,
    Rules,
    Seats,
    Space,
    Strict,
    Tokens,
    is_loopback,
)
from facility.config.versions import MOVED_TO_THE_SPACE, VersionProblem, upgraded
from facility.errors import ConfigError, ConfigProblem
from facility.models import FacilityKind
from facility.tokens.demo import DEMO_KEY_IDS
from facility.tokens.keys import key_id_of
from facility.topics import SiteTopics

T = TypeVar("T")


class CrossFieldProblems(ValueError):
    """Raised by the cross-field validator; carries each problem with its own path."""

    def __init__(self, problems: list[ConfigProblem]) -> None:
        self.problems = problems
        super().__init__("; ".join(f"{p.path}: {p.message}" for p in problems))


class FacilityConfig(Strict):
    """One facility, as described by one file in config/: who it is, its hours and rules, and its spaces.

    A version 2 file keeps each space's kind, capacity, companions and desk checks in its [[spaces]]; here,
    `facility.kind`, `seats`, `companions` and `desk_checks` are the first (main) space's, filled in on load, and
    `venue(space)` is the facility as any one space sees it, which every rule decides from."""

    version: Literal[2] = Field(default=2, description="The file's format: 2 (a file without one is version 1).")
    facility: FacilityInfo
    hours: OpeningHours
    rules: Rules
    spaces: list[Space] = Field(min_length=1, max_length=20, description="The facility's spaces, the main one first.")
    desk_checks: DeskChecks = Field(
        default_factory=DeskChecks, description="The main space's (filled in on load).", json_schema_extra=FILLED_IN
    )
    seats: Seats | None = Field(
        default=None, description="The main space's capacity (filled in on load).", json_schema_extra=FILLED_IN
    )
    companions: Companions = Field(
        default_factory=Companions, description="The main space's (filled in on load).", json_schema_extra=FILLED_IN
    )
    rooms: list[Room] = Field(default_factory=list, description="Bookable rooms; each belongs to one space.")
    _venues: dict[str, tuple[FacilityConfig, FacilityConfig]] = PrivateAttr(default_factory=dict)
    _whole: FacilityConfig | None = PrivateAttr(default=None)
    doors: list[Door] = Field(default_factory=list, description="Doors lockd controls.")
    mqtt: Mqtt | None = None
    platform: Platform
    tokens: Tokens
    kiosk: Kiosk | None = None
    lockd: Lockd | None = None

    @model_validator(mode="before")
    @classmethod
    def _spaces_first(cls, data: object) -> object:
        """A version 1 file read as version 2; the main space's values filled in where the program reads them."""
        if not isinstance(data, dict):
            return data
        try:
            data = upgraded(data)
        except VersionProblem as exc:
            raise ValueError(str(exc)) from None
        spaces = data.get("spaces")
        if not (isinstance(spaces, list) and spaces and isinstance(spaces[0], dict)):
            return data
        main = spaces[0]
        data = dict(data)
        if isinstance(data.get("facility"), dict) and "kind" in main:
            data["facility"] = {**data["facility"], "kind": main["kind"]}
        for top, key in MOVED_TO_THE_SPACE.items():
            if key in main:
                data[top] = main[key]
        return data

    @model_validator(mode="after")
    def _cross_field_rules(self) -> FacilityConfig:
        problems = cross_field_problems(self)
        if problems:
            raise CrossFieldProblems(problems)
        return self

    @property
    def kiosk_settings(self) -> Kiosk:
        """[kiosk], which a kiosk's file must hold (kiosk_needs says so before the kiosk starts)."""
        return _present(self.kiosk, "kiosk")

    @property
    def lockd_settings(self) -> Lockd:
        """[lockd], or its defaults when the file names none."""
        return self.lockd if self.lockd is not None else Lockd()

    @property
    def mqtt_settings(self) -> Mqtt:
        """[mqtt], which every program that speaks to the site's broker needs."""
        return _present(self.mqtt, "mqtt")

    @property
    def on_loopback(self) -> bool:
        """True for a site whose broker and platform are on this machine (the demo, tests, a bench)."""
        broker_here = self.mqtt is None or is_loopback(self.mqtt.host)
        return broker_here and is_loopback(urlsplit(self.platform.base_url).hostname)

    def door(self, door_id: str) -> Door | None:
        """The door with this id, if the site has one."""
        return next((d for d in self.doors if d.id == door_id), None)

    def room(self, room_id: str) -> Room | None:
        """The room with this id, if the site has one."""
        return next((r for r in self.rooms if r.id == room_id), None)

    def space(self, space_id: str) -> Space | None:
        """The space with this id, if the facility has one."""
        return next((s for s in self.spaces if s.id == space_id), None)

    def space_of_room(self, room_id: str) -> Space | None:
        """The space a room belongs to."""
        return next((s for s in self.spaces if room_id in s.rooms), None)

    @property
    def walk_in_space(self) -> Space | None:
        """Where a member without a booking checks in at reception: the first space that admits walk-ins."""
        return next((s for s in self.spaces if s.kind.offers_seats), None)

    @property
    def reception_space(self) -> Space:
        """The space reception judges a pass for when the pass names no booking: walk-ins, else the first space
        that checks members in at reception, else the main space."""
        at_reception = next((s for s in self.spaces if s.kind.checks_in_at_reception), self.spaces[0])
        return self.walk_in_space or at_reception

    def venue(self, space: Space | str) -> FacilityConfig:
        """The facility as one space sees it: that space's kind, hours, rules, capacity, companions, desk checks
        and rooms, the facility's everything else. The rules decide per space from it (facility/rules)."""
        chosen = self.space(space) if isinstance(space, str) else space
        if chosen is None:
            raise KeyError(f"no space {space!r} in facility {self.facility.id}")
        known = self._venues.get(chosen.id)
        if known is not None and known[0] is self:  # made once per space: lockd's hot path asks for it each time
            return known[1]
        made = self._venue_of(chosen)
        made._venues = {chosen.id: (made, made)}
        made._whole = self.whole
        # A copy of this model (model_copy) shares this dict: each entry says whose it is.
        self._venues[chosen.id] = (self, made)
        return made

    def _venue_of(self, chosen: Space) -> FacilityConfig:
        """The view venue() keeps."""
        return self.model_copy(
            update={
                "facility": self.facility.model_copy(update={"kind": chosen.kind}),
                "hours": chosen.hours or self.hours,
                "rules": chosen.rules.over(self.rules) if chosen.rules else self.rules,
                "seats": chosen.capacity,
                "companions": chosen.companions,
                "desk_checks": chosen.desk_checks,
                "rooms": [room for room in self.rooms if room.id in chosen.rooms],
            }
        )

    @property
    def whole(self) -> FacilityConfig:
        """The facility as its file describes it (a venue's is the facility it was made from)."""
        return self._whole if self._whole is not None else self

    @property
    def walk_in_venue(self) -> FacilityConfig | None:
        """The facility as its walk-in space sees it (None without one): how a visit without a booking counts."""
        whole = self.whole
        return whole.venue(whole.walk_in_space) if whole.walk_in_space is not None else None

    def venue_of_room(self, room_id: str) -> FacilityConfig:
        """The facility as the space holding this room sees it (the main space's view for a room in none)."""
        space = self.space_of_room(room_id)
        return self.venue(space if space is not None else self.spaces[0])

    def kinds(self) -> set[FacilityKind]:
        """The kinds of the facility's spaces."""
        return {space.kind for space in self.spaces}


def _present(section: T | None, name: str) -> T:
    """A section a program cannot run without; a clear error, not an AttributeError, when it is missing."""
    if section is None:
        raise ConfigError("", [ConfigProblem(name, f"this program needs the [{name}] table")])
    return section


def cross_field_problems(cfg: FacilityConfig) -> list[ConfigProblem]:
    """Every rule that spans more than one field, checked in one place."""
    return [
        *_kind_needs(cfg),
        *_unique_ids("spaces", [s.id for s in cfg.spaces]),
        *_rooms_in_spaces(cfg),
        *_doors_in_one_space(cfg),
        *_unique_ids("rooms", [r.id for r in cfg.rooms]),
        *_unique_ids("doors", [d.id for d in cfg.doors]),
        *_doors_apart_in_home_assistant(cfg),
        *_doors_serve_known_rooms(cfg),
        *_osdp_devices(cfg),
        *_key_ids_match(cfg),
        *_some_key(cfg),
        *_keys_cover_purposes(cfg),
        *_roots_sign_only_key_sets(cfg),
        *_demo_keys_only_on_loopback(cfg),
        *_discovery_apart_from_the_tree(cfg),
    ]


def _discovery_apart_from_the_tree(cfg: FacilityConfig) -> list[ConfigProblem]:
    """Home Assistant reads everything under its discovery prefix: the same root as the site's tree would let it
    read the doors' commands."""
    prefix = cfg.lockd.home_assistant_prefix if cfg.lockd is not None else None
    tree = SiteTopics.of(cfg).prefix
    if prefix is None or prefix != tree:
        return []
    return [
        ConfigProblem(
            "lockd.home_assistant_prefix",
            f"{prefix!r} is also the root of the site's topics "
            "([mqtt] topic_prefix): Home Assistant would read the doors' "
            "commands; keep the default 'homeassistant'",
        )
    ]


def _kind_needs(cfg: FacilityConfig) -> list[ConfigProblem]:
    """Sections each kind of space cannot do without."""
    problems = []
    for n, space in enumerate(cfg.spaces):
        kind, where = space.kind, f"spaces.{n}"
        if kind.offers_seats and space.capacity is None:
            problems.append(ConfigProblem(f"{where}.capacity", f"a {kind.value} space needs a capacity (seats)"))
        if kind.needs_reservation and not space.rooms:
            problems.append(ConfigProblem(f"{where}.rooms", f"a {kind.value} space needs at least one room"))
        if space.phone_holds and (space.capacity is None or space.capacity.unit != "rooms"):
            problems.append(ConfigProblem(f"{where}.phone_holds", "phone holds keep rooms: give capacity unit 'rooms'"))
        if kind.opens_doors:
            if not cfg.doors:
                problems.append(ConfigProblem("doors", f"a {kind.value} space needs at least one [[doors]] entry"))
            if cfg.mqtt is None:
                problems.append(ConfigProblem("mqtt", "doors receive unlock commands over MQTT: add [mqtt]"))
    return problems


def _doors_in_one_space(cfg: FacilityConfig) -> list[ConfigProblem]:
    """A door belongs to the space of its rooms: one space, whose hours and rules it opens by."""
    problems = []
    for n, door in enumerate(cfg.doors):
        spaces = {space.id for room in door.rooms if (space := cfg.space_of_room(room)) is not None}
        if len(spaces) > 1:
            problems.append(
                ConfigProblem(f"doors.{n}.rooms", f"the rooms of one door belong to spaces {', '.join(sorted(spaces))}")
            )
    return problems


def _unknown_rooms(cfg: FacilityConfig, section: str, named: list[list[str]]) -> list[ConfigProblem]:
    """The rooms each entry of a section (spaces, doors) names that [[rooms]] does not hold."""
    known = {room.id for room in cfg.rooms}
    return [
        ConfigProblem(
            f"{section}.{n}.rooms.{k}", f"no room {room!r} in [[rooms]] (known: {', '.join(sorted(known)) or 'none'})"
        )
        for n, rooms in enumerate(named)
        for k, room in enumerate(rooms)
        if room not in known
    ]


def _rooms_in_spaces(cfg: FacilityConfig) -> list[ConfigProblem]:
    """Each room a space names exists, and each room belongs to exactly one space."""
    problems = _unknown_rooms(cfg, "spaces", [space.rooms for space in cfg.spaces])
    problems += [
        ConfigProblem(f"spaces.{n}.rooms", f"room {room!r} is listed {count} times")
        for n, space in enumerate(cfg.spaces)
        for room, count in Counter(space.rooms).items()
        if count > 1
    ]
    owners = Counter(room for space in cfg.spaces for room in set(space.rooms))
    first = {room.id: n for n, room in reversed(list(enumerate(cfg.rooms)))}  # a repeated id: _unique_ids says so
    for n, room in enumerate(cfg.rooms):
        if first[room.id] != n:
            continue
        if owners[room.id] == 0:
            problems.append(ConfigProblem(f"rooms.{n}.id", f"room {room.id!r} belongs to no space: name it in one"))
        elif owners[room.id] > 1:
            problems.append(ConfigProblem(f"rooms.{n}.id", f"room {room.id!r} belongs to {owners[room.id]} spaces"))
    return problems


def _unique_ids(section: str, ids: list[str]) -> list[ConfigProblem]:
    """Ids within a section must not repeat."""
    repeated = [i for i, n in Counter(ids).items() if n > 1]
    return [
        ConfigProblem(f"{section}.{ids.index(i, ids.index(i) + 1)}.id", f"id {i!r} is used twice") for i in repeated
    ]


def _doors_apart_in_home_assistant(cfg: FacilityConfig) -> list[ConfigProblem]:
    """Home Assistant's entity ids have no '-': lockd writes a door's as '_' (lockd/homeassistant.py), so two doors
    whose ids differ only there would be one door's entities in Home Assistant, and the other's alarms unseen."""
    first: dict[str, str] = {}
    problems = []
    for index, door in enumerate(cfg.doors):
        same = first.setdefault(door.id.replace("-", "_"), door.id)
        if same != door.id:
            problems.append(
                ConfigProblem(
                    f"doors.{index}.id",
                    f"id {door.id!r} and {same!r} are one name in Home Assistant, which writes '-' as '_': rename one",
                )
            )
    return problems


def _doors_serve_known_rooms(cfg: FacilityConfig) -> list[ConfigProblem]:
    """Doors name rooms that exist, and every offered room has a door where doors are used."""
    problems = _unknown_rooms(cfg, "doors", [door.rooms for door in cfg.doors])
    if cfg.doors:
        served = {room for door in cfg.doors for room in door.rooms}
        problems += [
            ConfigProblem(f"rooms.{n}.id", f"room {room.id!r} is offered but no door serves it")
            for n, room in enumerate(cfg.rooms)
            if room.id not in served and not room.private_hire
        ]
    return problems


def _osdp_devices(cfg: FacilityConfig) -> list[ConfigProblem]:
    """OSDP readers and relays need the bus, and one address on it is one device: one key, used by one door."""
    devices: dict[int, tuple[str, Path]] = {}  # address -> (the door using it, its key file)
    problems = []
    for n, door in enumerate(cfg.doors):
        used: list[tuple[str, DoorReader | OsdpOutput]] = []
        used += [("reader", door.reader)] if door.reader is not None and door.reader.kind == "osdp" else []
        used += [("osdp", door.osdp)] if door.osdp is not None else []
        for part, device in used:
            assert device.address is not None and device.key_file is not None, "DoorReader requires both for osdp"
            where = f"doors.{n}.{part}.address"
            if cfg.lockd_settings.osdp is None:
                problems.append(ConfigProblem(where, "an OSDP device needs the bus: add [lockd.osdp] with its port"))
            first = devices.setdefault(device.address, (door.id, Path(device.key_file)))
            if first[0] != door.id:
                problems.append(ConfigProblem(where, f"address {device.address} is door {first[0]!r}'s already"))
            elif first[1] != Path(device.key_file):
                problems.append(ConfigProblem(f"doors.{n}.{part}.key_file", "one device has one key: use one file"))
    return problems


def _key_ids_match(cfg: FacilityConfig) -> list[ConfigProblem]:
    """A key id written beside a key must be that key's id: catches keys pasted into the wrong entry."""
    return [
        ConfigProblem(f"tokens.{section}.{n}.key_id", f"key id is {key_id_of(key.raw)}, not {key.key_id}")
        for section, n, key in _every_key(cfg)
        if key.key_id is not None and key.key_id != key_id_of(key.raw)
    ]


def _every_key(cfg: FacilityConfig) -> list[tuple[str, int, PinnedKey | RootKey]]:
    """Each pinned and root key with its section and place, for the checks they share."""
    pinned: list[tuple[str, int, PinnedKey | RootKey]] = [
        ("trusted_keys", n, k) for n, k in enumerate(cfg.tokens.trusted_keys)
    ]
    return pinned + [("root_keys", n, k) for n, k in enumerate(cfg.tokens.root_keys)]


def _some_key(cfg: FacilityConfig) -> list[ConfigProblem]:
    """A site trusts pinned keys, or a root that certifies the platform's keys; with neither it opens for no one."""
    if cfg.tokens.trusted_keys or cfg.tokens.root_keys:
        return []
    return [
        ConfigProblem(
            "tokens.trusted_keys",
            "no key is trusted: pin the platform's keys here, or give "
            "[[tokens.root_keys]] to trust the keys its root certifies",
        )
    ]


def _roots_sign_only_key_sets(cfg: FacilityConfig) -> list[ConfigProblem]:
    """A root key certifies keys and signs no token: the same key pinned for tokens too is a mistake."""
    pinned = {key_id_of(key.raw) for key in cfg.tokens.trusted_keys}
    return [
        ConfigProblem(
            f"tokens.root_keys.{n}.public_key",
            f"key {key_id_of(key.raw)} is also in trusted_keys: a root key signs key sets only, never tokens",
        )
        for n, key in enumerate(cfg.tokens.root_keys)
        if key_id_of(key.raw) in pinned
    ]


def _keys_cover_purposes(cfg: FacilityConfig) -> list[ConfigProblem]:
    """Some trusted key must sign what this kind of facility verifies (with a root, the key set says which)."""
    if cfg.tokens.root_keys or not cfg.tokens.trusted_keys:
        return []
    needed = {"member_pass"} if cfg.facility.kind.checks_in_at_reception else set()
    if cfg.doors:
        needed.add("unlock_command")
    if any(door.reader is not None for door in cfg.doors):
        needed.add("member_pass")  # a door's reader reads the booking's member passes (docs/doors.md)
    offered = {p for key in cfg.tokens.trusted_keys for p in key.purposes}
    return [
        ConfigProblem("tokens.trusted_keys", f"no trusted key has purpose {purpose!r}, needed here")
        for purpose in sorted(needed - offered)
    ]


def _demo_keys_only_on_loopback(cfg: FacilityConfig) -> list[ConfigProblem]:
    """A demo key's private half is in the repository: trusting it is only safe on a site on this machine."""
    if cfg.on_loopback:
        return []
    return [
        ConfigProblem(
            f"tokens.{section}.{n}.public_key",
            f"this is the public demo key {key_id_of(key.raw)} (config/demo-keys/{DEMO_KEY_IDS[key_id_of(key.raw)]}): "
            "its private key is published, so anyone could sign with it; it is accepted only on a loopback "
            "site (broker and platform on 127.0.0.1). Trust the platform's real key here",
        )
        for section, n, key in _every_key(cfg)
        if key_id_of(key.raw) in DEMO_KEY_IDS
    ]
