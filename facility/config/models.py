"""The facility file's schema: every field described and bounded, unknown keys rejected."""

from __future__ import annotations

import base64
import binascii
import ipaddress
from datetime import datetime
from enum import Enum
from itertools import pairwise
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic.json_schema import JsonDict

from facility.config.timeofday import ClockTime, OpeningRange
from facility.models import FacilityKind, Plan
from facility.topics import DEFAULT_PREFIX


def _beside_the_file(value: Path, info: ValidationInfo) -> Path:
    """A relative path means relative to the facility file's folder, wherever the program was started."""
    base = (info.context or {}).get("base_dir")
    return value if value.is_absolute() or base is None else Path(base) / value


FilePath = Annotated[Path, AfterValidator(_beside_the_file)]
Identifier = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,39}$", description="lower-case id: a-z 0-9 _ -")]
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WEEKDAYS: tuple[Weekday, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# A key the program fills in on load from the main space: never written in a (version 2) file, not in the reference.
FILLED_IN: JsonDict = {"filled_in": True}


class Strict(BaseModel):
    """Base of every section: unknown keys are errors, values are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class FacilityInfo(Strict):
    """Who this facility is."""

    id: Identifier = Field(description="The platform's id of this facility.")
    name: str = Field(min_length=1, max_length=80, description="Name shown on screens.")
    chain: Identifier = Field(description="Chain the facility belongs to; first-visit sign-up is per chain.")
    kind: FacilityKind = Field(
        description="The main space's kind, filled in on load (a version 2 file gives each space its kind).",
        json_schema_extra=FILLED_IN,
    )
    prefecture: str = Field(default="", max_length=10, description="Prefecture, for the platform's listing.")


class OpeningHours(Strict):
    """Opening ranges per weekday; an empty list means closed that day."""

    mon: list[OpeningRange] = Field(description="Monday's opening ranges, e.g. ['09:00-18:00'].")
    tue: list[OpeningRange] = Field(description="Tuesday's opening ranges.")
    wed: list[OpeningRange] = Field(description="Wednesday's opening ranges.")
    thu: list[OpeningRange] = Field(description="Thursday's opening ranges.")
    fri: list[OpeningRange] = Field(description="Friday's opening ranges.")
    sat: list[OpeningRange] = Field(description="Saturday's opening ranges.")
    sun: list[OpeningRange] = Field(description="Sunday's opening ranges.")
    holiday: list[OpeningRange] | None = Field(
        default=None, description="Ranges on Japanese public holidays; omitted: the weekday's ranges apply."
    )

    @classmethod
    def around_the_clock(cls) -> OpeningHours:
        """0:00-24:00 every day (a bench or a trial on the real clock, where no dated rule may decide)."""
        return cls.model_validate({day: ["00:00-24:00"] for day in WEEKDAYS})

    @model_validator(mode="after")
    def _no_overlaps(self) -> OpeningHours:
        for day in (*WEEKDAYS, "holiday"):
            ranges = sorted(getattr(self, day) or [], key=lambda r: r.start)
            for earlier, later in pairwise(ranges):
                if earlier.overnight or later.start < earlier.end:
                    raise ValueError(f"{day}: ranges {earlier} and {later} overlap")
        return self


class EntryCutoff(Strict):
    """No new entry from `after` until `until` on the listed days (e.g. Fridays after 18:00)."""

    after: ClockTime = Field(description="First minute with no new entry, HH:MM.")
    until: ClockTime = Field(default=24 * 60, description="Entry opens again at this time, HH:MM (default 24:00).")
    on: list[Literal[Weekday, "holiday", "day_before_holiday"]] = Field(
        min_length=1, description="Days the cut-off applies: weekdays, 'holiday', 'day_before_holiday'."
    )

    @model_validator(mode="after")
    def _ordered(self) -> EntryCutoff:
        if self.until <= self.after:
            raise ValueError("until must be later than after on the same day")
        return self


class Rules(Strict):
    """The facility's own values for the network's rules (docs/domain.md)."""

    plans_admitted: list[Plan] = Field(min_length=1, description="Plans admitted here.")
    time_limit_minutes: int | None = Field(
        default=None, ge=15, le=24 * 60, description="Time limit per check-in; omitted: no limit."
    )
    max_checkins_per_day: int | None = Field(
        default=None, ge=1, le=50, description="Uses per member per day; omitted: no limit."
    )
    step_out_allowed: bool = Field(default=True, description="Coming back within the time limit is a re-entry.")
    entry_cutoffs: list[EntryCutoff] = Field(default_factory=list, description="Times with no new entry.")
    early_entry_minutes: int = Field(default=10, ge=0, le=60, description="How early a booker may unlock.")
    shortest_booking_minutes: int = Field(default=30, ge=15, le=24 * 60, description="Shortest booking accepted.")
    day_starts_at: ClockTime = Field(
        default=0,
        lt=24 * 60,
        description="When this facility's business day begins, HH:MM (default 00:00). Daily limits, one use a day "
        "and the daily report count business days: at a store open past midnight, '05:00' makes a visit at 01:00 "
        "part of the evening before.",
    )


class DeskCheck(str, Enum):
    """When staff must perform a desk check."""

    NEVER = "never"
    EVERY_VISIT = "every_visit"
    FIRST_VISIT = "first_visit"


class DeskChecks(Strict):
    """Checks staff perform at the desk (docs/domain.md 'Checks at the desk')."""

    temperature: DeskCheck = Field(default=DeskCheck.NEVER, description="Temperature check.")
    photo_id: DeskCheck = Field(default=DeskCheck.NEVER, description="Photo ID check.")
    membership_signup: Literal[DeskCheck.NEVER, DeskCheck.FIRST_VISIT] = Field(
        default=DeskCheck.NEVER, description="One-time sign-up at the chain's first visit."
    )


class Seats(Strict):
    """What members can take in a space, in its unit (seats, or rooms a group shares), and the 'few left' threshold
    behind the vacancy colour."""

    unit: Literal["seats", "rooms"] = Field(
        default="seats",
        description="'seats': each member and each paying companion takes one; 'rooms' (karaoke): a group takes "
        "one room, however many members check in for it, and companions take none of their own.",
    )
    total: int = Field(ge=1, le=2000, description="Seats (or rooms) offered to network members.")
    few_left_at: int = Field(ge=0, description="Free seats (rooms) at or below this show 'few left' (yellow).")
    group_minutes: int = Field(
        default=10,
        ge=0,
        le=120,
        description="Rooms: members who check in within this many minutes of the group's first share its room "
        "(staff may also add a member to a group).",
    )

    @model_validator(mode="after")
    def _threshold_below_total(self) -> Seats:
        if self.few_left_at >= self.total:
            raise ValueError(f"few_left_at ({self.few_left_at}) must be below total ({self.total})")
        return self


class Companions(Strict):
    """Non-member companions (docs/domain.md)."""

    drop_in_fee_yen: int | None = Field(
        default=None, ge=0, le=100_000, description="Fee a companion pays on site; omitted: drop-in not sold."
    )


class Room(Strict):
    """A bookable room, booth or seat."""

    id: Identifier = Field(description="Room id as the platform knows it.")
    name: str = Field(min_length=1, max_length=60, description="Name shown to members.")
    kind: Literal["booth", "seat", "private_room", "meeting_room", "karaoke_room"] = Field(description="Kind of space.")
    capacity: int = Field(default=1, ge=1, le=100, description="People it holds.")
    private_hire: bool = Field(default=False, description="Held back for private hire: not offered to members.")


class SpaceRules(Strict):
    """The rules of one space that differ from the facility's [rules]: what a space leaves out is the facility's."""

    time_limit_minutes: Annotated[int, Field(ge=15, le=24 * 60)] | Literal["none"] | None = Field(
        default=None,
        description='Time limit per check-in in this space, in minutes; "none": no limit here, whatever the '
        "facility's [rules] say.",
    )
    step_out_allowed: bool = Field(default=True, description="Coming back within the time limit is a re-entry.")
    entry_cutoffs: list[EntryCutoff] = Field(default_factory=list, description="Times with no new entry here.")
    early_entry_minutes: int = Field(default=10, ge=0, le=60, description="How early a booker may unlock.")
    shortest_booking_minutes: int = Field(default=30, ge=15, le=24 * 60, description="Shortest booking accepted.")

    def over(self, rules: Rules) -> Rules:
        """The facility's rules with this space's own values laid over them (only those the file gives)."""
        given = {name: getattr(self, name) for name in self.model_fields_set}
        if given.get("time_limit_minutes") == "none":
            given["time_limit_minutes"] = None
        return rules.model_copy(update=given)


class Space(Strict):
    """One space of a facility: open seating, booths, a staffed or unattended meeting room, karaoke rooms... each
    with its own way in, rules, companions, desk checks and capacity (docs/config.md, 'Spaces')."""

    id: Identifier = Field(description="Space id, unique in the facility.")
    name: str = Field(min_length=1, max_length=60, description="Name shown on screens ('会議室 / Meeting room').")
    kind: FacilityKind = Field(description="How members get in here (docs/domain.md kinds).")
    rooms: list[Identifier] = Field(
        default_factory=list, description="The facility's [[rooms]] that belong to this space (booked ones)."
    )
    hours: OpeningHours | None = Field(default=None, description="Opening hours here; omitted: the facility's.")
    rules: SpaceRules | None = Field(default=None, description="Rules that differ here; omitted: the facility's.")
    capacity: Seats | None = Field(
        default=None, description="Seats or rooms members can take (required where they walk in at reception)."
    )
    companions: Companions = Field(default_factory=Companions, description="Non-member companions here.")
    desk_checks: DeskChecks = Field(default_factory=DeskChecks, description="Checks staff perform here.")
    phone_holds: bool = Field(
        default=False, description="Reception may hold a room for a booking taken by phone (karaoke's 事前予約)."
    )


class GpioPins(Strict):
    """Pins of a real board (BCM numbering)."""

    relay_pin: int = Field(ge=0, le=40, description="Output driving the lock relay.")
    relay_active_high: bool = Field(default=True, description="Relay energised by a high level.")
    contact_pin: int = Field(ge=0, le=40, description="Door contact input.")
    contact_closed_high: bool = Field(default=False, description="The contact reads high while the door is shut.")
    exit_button_pin: int | None = Field(default=None, ge=0, le=40, description="Request-to-exit button input.")
    strike_sensor_pin: int | None = Field(default=None, ge=0, le=40, description="Strike monitor input, if fitted.")
    strike_locked_high: bool = Field(default=True, description="The strike monitor reads high while locked.")


OsdpAddress = Annotated[int, Field(ge=0, le=126, description="The device's address on the bus (0 to 126).")]


class OsdpBus(Strict):
    """The site's OSDP bus (IEC 60839-11-5): RS-485 readers and I/O boards, lockd as the control panel."""

    port: str = Field(
        pattern=r"^(/dev/[A-Za-z0-9._/:+-]+|tcp://[A-Za-z0-9.-]+:[0-9]{1,5})$",
        description="The RS-485 adapter's serial device (/dev/ttyUSB0, /dev/serial/by-id/...), or "
        "tcp://host:port of a serial device server.",
    )
    baud: Literal[9600, 19200, 38400, 57600, 115200, 230400] = Field(
        default=115200, description="The bus speed every device on it is set to."
    )


class DoorReader(Strict):
    """Where members show their pass at a door, so that a booked room opens with the cloud down (docs/doors.md)."""

    kind: Literal["camera", "osdp"] = Field(
        description="'camera': a camera read by the kiosk's decoder; 'osdp': a reader on the site's OSDP bus."
    )
    camera: str | None = Field(
        default=None, description="camera: 'simulated', a device number, a file or an RTSP URL (as the kiosk's)."
    )
    decoder: Literal["zxing", "pyzbar"] = Field(default="zxing", description="camera: the 2D-code decoder.")
    address: OsdpAddress | None = Field(default=None, description="osdp: the reader's address on the bus.")
    key_file: FilePath | None = Field(
        default=None,
        description="osdp: the reader's Secure Channel base key (SCBK), 32 hex digits; "
        "`officepass-site setup` makes one where it is missing.",
    )

    @model_validator(mode="after")
    def _fields_of_its_kind(self) -> DoorReader:
        if self.kind == "camera" and (self.camera is None or self.address is not None or self.key_file):
            raise ValueError("a camera reader names its camera, and no OSDP address or key_file")
        if self.kind == "osdp" and (self.address is None or self.key_file is None or self.camera is not None):
            raise ValueError("an osdp reader names its address and key_file, and no camera")
        return self


class OsdpOutput(Strict):
    """A door driven over OSDP (driver 'osdp'): the relay of a reader, or of an OSDP I/O board on the bus."""

    address: OsdpAddress = Field(description="The address of the device whose relay drives the lock.")
    key_file: FilePath = Field(description="That device's Secure Channel base key (SCBK), 32 hex digits.")
    relay_output: int = Field(default=0, ge=0, le=15, description="The output number of the lock relay.")
    contact_input: int | None = Field(default=0, ge=0, le=15, description="The door contact's input number.")
    contact_open_active: bool = Field(default=True, description="The contact input is active while the door is open.")
    exit_input: int | None = Field(default=None, ge=0, le=15, description="The exit button's input number, if wired.")


class Door(Strict):
    """A door (or room lock) and the rooms it lets into."""

    id: Identifier = Field(description="Door id; part of its MQTT topics.")
    name: str = Field(min_length=1, max_length=60, description="Name shown to technicians.")
    rooms: list[Identifier] = Field(min_length=1, description="Rooms this door serves.")
    driver: Identifier = Field(
        description="Door hardware, by the name its driver is registered under (entry points "
        "officepass.door_drivers): 'gpio' for the board's pins, 'simulated' for the simulator's door."
    )
    gpio: GpioPins | None = Field(default=None, description="Pins, required for driver 'gpio'.")
    osdp: OsdpOutput | None = Field(default=None, description="The OSDP relay and inputs, required for driver 'osdp'.")
    reader: DoorReader | None = Field(
        default=None, description="A pass reader at the door: members with a booking get in with the cloud down."
    )
    pulse_seconds: float = Field(default=5.0, ge=0.5, le=30, description="How long the strike stays released.")
    held_open_alarm_seconds: float = Field(default=30.0, ge=5, le=600, description="Alarm after the door stays open.")
    fail_mode: Literal["secure", "safe"] = Field(
        default="secure", description="Locked (secure) or open (safe) when power fails."
    )

    @model_validator(mode="after")
    def _pins_for_gpio(self) -> Door:
        if self.driver == "gpio" and self.gpio is None:
            raise ValueError("driver 'gpio' needs a [doors.gpio] table with its pins")
        if self.driver != "gpio" and self.gpio is not None:
            raise ValueError(f"driver {self.driver!r} takes no gpio pins")
        if (self.driver == "osdp") != (self.osdp is not None):
            raise ValueError("driver 'osdp', and only it, takes a [doors.osdp] table with its relay")
        return self


def is_loopback(host: str | None) -> bool:
    """True for localhost and 127.0.0.0/8 or ::1: the only places plain text is allowed."""
    if host in ("localhost", None):
        return host == "localhost"
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


# What Mosquitto's ACL and client-id binding can hold safely: no white space, no '+', '#' or '/'.
BROKER_NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$"
BrokerName = Annotated[
    str,
    Field(pattern=BROKER_NAME_PATTERN, description="a broker name: letters, digits . _ @ - (no spaces, '+', '#', '/')"),
]


class Bridge(Strict):
    """The link of the site's broker out to the platform's broker (docs/mqtt.md, 'Bridged to the platform')."""

    host: str = Field(pattern=r"^[A-Za-z0-9.-]+$", description="The platform's broker, as its certificate names it.")
    port: int = Field(default=8883, ge=1, le=65535, description="Its TLS port.")
    ca_file: FilePath | None = Field(default=None, description="The CA of its certificate; omitted: the system's CAs.")
    password_file: FilePath = Field(
        description="The site's bridge password, from the platform's operator "
        "(user bridge-FACILITY on the platform's broker)."
    )


class Mqtt(Strict):
    """The site's MQTT 5 broker."""

    host: str = Field(min_length=1, pattern=r"^[^\s/#+]+$", description="Broker host name.")
    port: int = Field(default=8883, ge=1, le=65535, description="Broker port.")
    tls: bool = Field(default=True, description="TLS with certificate verification; off only on loopback.")
    ca_file: FilePath | None = Field(default=None, description="CA bundle for the broker; omitted: system CAs.")
    username: BrokerName | None = Field(
        default=None,
        description="Broker user name; the broker also uses it as the client id (one connection per user).",
    )
    password_file: FilePath | None = Field(default=None, description="File holding the broker password.")
    topic_prefix: str = Field(default=DEFAULT_PREFIX, pattern=r"^[a-z0-9_-]+$", description="Root of the topic tree.")
    bridge: Bridge | None = Field(
        default=None,
        description="Where the site's broker bridges out to the platform's; "
        "officepass-site setup writes the bridge from it.",
    )

    @model_validator(mode="after")
    def _tls_off_only_on_loopback(self) -> Mqtt:
        if not self.tls and not is_loopback(self.host):
            raise ValueError(f"tls = false is allowed only for a broker on this machine, not {self.host!r}")
        if (self.username is None) != (self.password_file is None):
            raise ValueError("username and password_file go together")
        return self


class Platform(Strict):
    """The network's platform API."""

    base_url: str = Field(description="Base URL of the platform API; https unless on loopback.")
    timeout_seconds: float = Field(default=5.0, gt=0, le=60, description="Timeout of each request.")
    ca_file: FilePath | None = Field(default=None, description="CA bundle; omitted: system CAs.")
    api_token_file: FilePath | None = Field(default=None, description="File holding this site's API token.")

    @field_validator("base_url")
    @classmethod
    def _https_unless_loopback(cls, url: str) -> str:
        parts = urlsplit(url)
        if parts.scheme not in ("https", "http") or not parts.hostname:
            raise ValueError(f"{url!r} is not an http(s) URL")
        if parts.scheme == "http" and not is_loopback(parts.hostname):
            raise ValueError(f"plain http is allowed only on this machine; use https for {parts.hostname!r}")
        return url.rstrip("/")


KeyPurpose = Literal["member_pass", "unlock_command", "desk_code"]


def exact_base64(value: str, size: int, what: str) -> str:
    """Accept only base64 of exactly `size` bytes (an Ed25519 key or signature), else a ValueError naming `what`."""
    try:
        raw = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise ValueError(f"{what} is not valid base64") from None
    if len(raw) != size:
        raise ValueError(f"an Ed25519 {what} is {size} bytes, this one is {len(raw)}")
    return value


def check_public_key(value: str) -> str:
    """Accept only base64 of exactly 32 bytes: a raw Ed25519 public key."""
    return exact_base64(value, 32, "public key")


PublicKeyB64 = Annotated[str, AfterValidator(check_public_key)]


class PinnedKey(Strict):
    """A public key whose signatures this site accepts."""

    name: str = Field(min_length=1, max_length=60, description="Label for people, e.g. 'platform 2026-11'.")
    public_key: PublicKeyB64 = Field(description="Raw Ed25519 public key, 32 bytes in base64.")
    purposes: list[KeyPurpose] = Field(min_length=1, description="Tokens this key may sign.")
    key_id: str | None = Field(default=None, pattern=r"^[0-9a-f]{8}$", description="Expected key id (checked).")
    not_before: datetime | None = Field(
        default=None,
        description="Tokens signed by this key are refused before this moment (TOML date-time with offset).",
    )
    not_after: datetime | None = Field(
        default=None,
        description="Tokens signed by this key are refused after this moment (TOML date-time with offset).",
    )

    @model_validator(mode="after")
    def _validity_window(self) -> PinnedKey:
        for name in ("not_before", "not_after"):
            moment = getattr(self, name)
            if moment is not None and moment.tzinfo is None:
                raise ValueError(f"{name} needs a UTC offset, e.g. 2026-12-01T00:00:00+09:00")
        if self.not_before and self.not_after and self.not_after <= self.not_before:
            raise ValueError("not_after must be later than not_before")
        return self

    @property
    def raw(self) -> bytes:
        """The 32 key bytes."""
        return base64.b64decode(self.public_key)


class RootKey(Strict):
    """A root key pinned at install: it certifies the platform's signing keys (the key set) and signs nothing else."""

    name: str = Field(min_length=1, max_length=60, description="Label for people, e.g. 'network root 2026'.")
    public_key: PublicKeyB64 = Field(description="Raw Ed25519 public key, 32 bytes in base64.")
    key_id: str | None = Field(default=None, pattern=r"^[0-9a-f]{8}$", description="Expected key id (checked).")

    @property
    def raw(self) -> bytes:
        """The 32 key bytes."""
        return base64.b64decode(self.public_key)


class Tokens(Strict):
    """How signed tokens are checked here."""

    clock_skew_seconds: int = Field(default=10, ge=0, le=120, description="Clock difference tolerated.")
    trusted_keys: list[PinnedKey] = Field(
        default_factory=list,
        description="Keys pinned here; several during "
        "rotation. May be empty when root_keys certify the platform's keys.",
    )
    root_keys: list[RootKey] = Field(
        default_factory=list,
        max_length=4,
        description="Root keys that certify the "
        "platform's signing keys in its signed key set (docs/tokens.md, 'The key set'); "
        "omitted: only the pinned (and, if allowed, published) keys are trusted.",
    )
    fetch_platform_keys: bool = Field(
        default=True,
        description="Also trust the keys the platform publishes (over "
        "verified TLS), so rotation needs no file change. "
        "Ignored with root_keys: only certified keys count.",
    )


class Kiosk(Strict):
    """The reception kiosk of this facility."""

    id: Identifier = Field(description="Kiosk id, part of the front-desk code.")
    decoder: Literal["zxing", "pyzbar"] = Field(default="zxing", description="2D-code decoder.")
    camera: str = Field(default="simulated", description="'simulated', a device number, a file or an RTSP URL.")
    desk_code_period_seconds: int = Field(default=10, ge=3, le=120, description="How often the desk code rotates.")
    signing_key_file: FilePath | None = Field(default=None, description="The kiosk's Ed25519 key for desk codes.")
    data_dir: FilePath = Field(
        default=Path("var/kiosk"), validate_default=True, description="Where the kiosk keeps its SQLite files."
    )
    language: Literal["ja", "en"] = Field(default="ja", description="Language shown first.")
    metrics_port: int | None = Field(
        default=None,
        ge=1024,
        le=65535,
        description="Serve Prometheus metrics on 127.0.0.1 at this port; omitted: none.",
    )
    staff_pin_hash: str = Field(
        pattern=r"^pbkdf2_sha256\$\d+\$[0-9a-f]+\$[0-9a-f]{64}$",
        description="PBKDF2 hash of the staff PIN: officepass-kiosk --hash-pin.",
    )
    retention_days: int = Field(
        default=90,
        ge=7,
        le=3650,
        description="Days check-ins, member names and audit rows are kept once the platform has them "
        "(personal data: no longer).",
    )
    audit_export_days: int = Field(
        default=400, ge=30, le=3650, description="Days exported audit files (<data_dir>/audit/*.jsonl) are kept."
    )
    clock_check: Literal["kernel", "sanity"] = Field(
        default="kernel",
        description="When retention believes the wall clock, as lockd's clock_check: 'kernel': only while the "
        "kernel says the clock is synchronised (NTP); 'sanity': whenever it reads 2026 or later (benches without "
        "NTP). Either way age is judged by the time the kiosk saw pass (docs/operations.md, 'Retention').",
    )


class Lockd(Strict):
    """The door controller of this site."""

    data_dir: FilePath = Field(
        default=Path("var/lockd"), validate_default=True, description="Where lockd keeps its SQLite files."
    )
    sync_interval_seconds: int = Field(default=60, ge=5, le=3600, description="Reservation sync period.")
    stale_after_minutes: int = Field(default=30, ge=1, le=7 * 24 * 60, description="Cache age that raises an alarm.")
    clock_check: Literal["kernel", "sanity"] = Field(
        default="kernel",
        description="'kernel': refuse while the kernel says the clock is unsynchronised (NTP); "
        "'sanity': only refuse a clock set before 2026 (benches without NTP).",
    )
    metrics_port: int | None = Field(
        default=None,
        ge=1024,
        le=65535,
        description="Serve Prometheus metrics on 127.0.0.1 at this port; omitted: none.",
    )
    pin_factory: Literal["lgpio", "mock"] = Field(
        default="lgpio",
        description="How GPIO doors reach their pins: 'lgpio' (Raspberry Pi OS bookworm, Pi 4 and Pi 5, "
        "through /dev/gpiochip*), 'mock' (gpiozero's mock pins: a rehearsal without wiring).",
    )
    home_assistant_prefix: str | None = Field(
        default="homeassistant",
        pattern=r"^[a-z0-9_-]+$",
        description="Publish Home Assistant MQTT discovery under it; omit to skip.",
    )
    session_expiry_seconds: int = Field(
        default=3600,
        ge=0,
        le=7 * 24 * 3600,
        description="How long the broker keeps lockd's session (and its commands) while away.",
    )
    retention_days: int = Field(
        default=90,
        ge=7,
        le=3650,
        description="Days entries, cached bookings and audit rows are kept once the platform has them "
        "(personal data: no longer).",
    )
    audit_export_days: int = Field(
        default=400, ge=30, le=3650, description="Days exported audit files (<data_dir>/audit/*.jsonl) are kept."
    )
    osdp: OsdpBus | None = Field(
        default=None, description="The site's OSDP bus, required when a door has an osdp reader or driver."
    )
    offline_entry_hours: int = Field(
        default=24,
        ge=1,
        le=7 * 24,
        description="How long after the last good sync with the platform a door's reader still admits bookings: "
        "past it, a cancellation or a revocation lockd has not heard of could let someone in.",
    )
