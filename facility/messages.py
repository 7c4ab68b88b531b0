"""Every MQTT payload, as one model both ends use: the contract of the topic tree (facility/topics.py).

A program writes a message with `.payload()` and reads one with `Model.read(payload)`, which refuses, with
`MessageRefused`, anything over the message's size, anything that is not its JSON, and any field out of its
bounds: an insider's message is judged at the edge, before anything acts on it. Plain-text payloads (a lock
state, an availability, a signed token) have their vocabularies and limits here too. facility/asyncapi.py
writes the AsyncAPI document of the tree from these models (docs/mqtt-asyncapi.json).
"""

from __future__ import annotations

import logging
import math
import types
from datetime import datetime
from enum import Enum
from typing import Annotated, Any, ClassVar, Literal, Self, Union, get_args, get_origin

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, ValidationError
from pydantic.fields import FieldInfo

from facility.contract import KEYSET_MAX_KEYS, KEYSET_MAX_REVOKED
from facility.errors import FacilityError
from facility.reasons import Reason

log = logging.getLogger(__name__)
Identifier = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_-]{0,39}$")]
ReasonCode = Annotated[str, StringConstraints(pattern=r"^[a-z0-9_]{1,40}$")]
Words = Annotated[str, StringConstraints(max_length=300)]  # a message for a person, in one language
TOKEN_MAX_CHARS = 300  # a signed token's text (facility/tokens/formats.py: MAX_CHARS of each kind)
ONLINE, OFFLINE = b"online", b"offline"
AVAILABILITY = ("online", "offline")


def _aware(moment: datetime) -> datetime:
    """A moment with its UTC offset: a naive one means nothing across machines."""
    if moment.tzinfo is None:
        raise ValueError("a moment needs its UTC offset")
    return moment


Moment = Annotated[datetime, AfterValidator(_aware)]


class MessageRefused(FacilityError):
    """A payload that is not the message its topic carries: too large, not its JSON, or a field out of bounds."""


class LockState(str, Enum):
    """A door's lock state, retained on its state topic: Home Assistant's lock vocabulary."""

    LOCKED = "LOCKED"
    UNLOCKING = "UNLOCKING"
    UNLOCKED = "UNLOCKED"
    OPEN = "OPEN"
    JAMMED = "JAMMED"


DoorEventName = Literal[
    "opened",
    "closed",
    "forced",
    "held_open",
    "jammed",
    "unlocked",
    "relocked",
    "refused",
    # a door's pass reader (docs/doors.md): its trouble raised (alarm true) and cleared
    "reader_offline",
    "reader_offline_cleared",
    "reader_secure_channel",
    "reader_secure_channel_cleared",
    "reader_garbage",
    "reader_garbage_cleared",
    "reader_flood",
    "reader_flood_cleared",
]
READER_ALARMS: tuple[DoorEventName, ...] = ("reader_offline", "reader_secure_channel", "reader_garbage", "reader_flood")
DOOR_ALARMS: tuple[DoorEventName, ...] = ("forced", "held_open", "jammed")  # events raised with alarm true
SiteAlarmName = Literal["reservations_stale", "store_lost"]


class Message(BaseModel):
    """A JSON message: unknown fields refused, every field bounded, at most MAX_BYTES on the wire."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)
    MAX_BYTES: ClassVar[int] = 8192  # above the largest message the model allows (tests/test_messages.py)

    def payload(self) -> bytes:
        """The message as it goes on the wire (absent optional fields left out)."""
        return self.model_dump_json(by_alias=True, exclude_none=True).encode()

    @classmethod
    def accepted(cls, payload: bytes, topic: str) -> Self | None:
        """The message, or None once its refusal is logged: for a handler that acts on good messages only."""
        try:
            return cls.read(payload)
        except MessageRefused as refused:
            log.warning("refused on %s: %s", topic, refused)
            return None

    @classmethod
    def fitted(cls, **values: Any) -> Self:
        """The message with every text cut to its field's length (ending in "…"): for a writer whose own text can run
        long (a stop's cause, an error, a path), so that what it reports is shortened, never lost."""
        for name, value in values.items():
            limit = _text_limit(cls.model_fields[name]) if name in cls.model_fields else None
            if isinstance(value, str) and limit is not None and len(value) > limit:
                values[name] = value[: limit - 1] + "…"
        return cls.model_validate(values)

    @classmethod
    def read(cls, payload: bytes) -> Self:
        """The message a payload holds, or MessageRefused saying why not (size first: nothing large is parsed)."""
        if len(payload) > cls.MAX_BYTES:
            raise MessageRefused(f"{cls.__name__}: {len(payload)} bytes, at most {cls.MAX_BYTES}")
        try:
            return cls.model_validate_json(payload)
        except ValidationError as exc:
            first = exc.errors(include_url=False)[0]
            where = ".".join(str(part) for part in first["loc"]) or "(payload)"
            raise MessageRefused(f"{cls.__name__}: {where}: {first['msg']}") from None


def _text_limit(field: FieldInfo) -> int | None:
    """The most characters a text field takes, wherever its annotation says it (None: not a bounded text)."""
    found = [item.max_length for item in field.metadata if getattr(item, "max_length", None) is not None]
    return found[0] if found else _annotated_limit(field.annotation)


def _annotated_limit(annotation: Any) -> int | None:
    """The max_length inside an annotation (through Optional and Annotated), if any."""
    if get_origin(annotation) is Annotated:
        limits = [item.max_length for item in get_args(annotation)[1:] if getattr(item, "max_length", None)]
        return limits[0] if limits else None
    if get_origin(annotation) in (Union, types.UnionType):
        limits = [limit for arg in get_args(annotation) if (limit := _annotated_limit(arg)) is not None]
        return limits[0] if limits else None
    return None


class UnlockAnswer(Message):
    """lockd's answer to an unlock command, on the command's response topic."""

    result: Literal["opened", "refused"]
    door: Identifier
    command_id: Annotated[str, StringConstraints(max_length=64)] = ""
    reason: ReasonCode | None = None
    message_ja: Words | None = None
    message_en: Words | None = None


class DoorEvent(Message):
    """Something a door did: moved, raised an alarm, or refused a command."""

    event: DoorEventName
    door: Identifier
    at: Moment
    alarm: bool = False
    reason: ReasonCode | None = None  # why a command was refused


class SiteAlarm(Message):
    """One of lockd's site alarms, retained: raised (active) or cleared."""

    alarm: SiteAlarmName
    active: bool
    at: Moment
    error: Annotated[str, StringConstraints(max_length=500)] = ""
    refusing_issued_before: Moment | None = None  # store_lost: commands issued before the new store are refused


class AuditEvent(Message):
    """One row of lockd's audit trail, as it is written."""

    MAX_BYTES: ClassVar[int] = 16384
    at: Moment
    door: Annotated[str, StringConstraints(max_length=40)]
    action: Annotated[str, StringConstraints(pattern=r"^[a-z0-9_]{1,40}$")]
    reason: Annotated[str, StringConstraints(max_length=300)] = ""
    command_id: Annotated[str, StringConstraints(max_length=64)] = ""
    member_id: int | None = Field(default=None, ge=0, lt=2**63)
    reservation_id: int | None = Field(default=None, ge=0, lt=2**63)
    detail: Annotated[str, StringConstraints(max_length=1000)] = ""


KeyId = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{8}$")]


class HeldKeySet(Message):
    """The key set lockd holds, retained: which version each site runs on."""

    MAX_BYTES: ClassVar[int] = 65536
    version: int = Field(ge=0, lt=2**53)
    keys: list[KeyId] = Field(max_length=KEYSET_MAX_KEYS)  # as many as a key set may hold: never refused
    revoked: list[KeyId] = Field(max_length=KEYSET_MAX_REVOKED)
    at: Moment


class LockdStatus(Message):
    """What lockd is and knows, retained: its version, its last good reservation sync, the key set it holds."""

    version: Annotated[str, StringConstraints(max_length=40)]
    last_sync: Moment | None = None
    keyset_version: int | None = Field(default=None, ge=0, lt=2**53)
    at: Moment


class ReservationsChanged(Message):
    """The platform's notice that a facility's reservations (or revocations) changed since a cursor."""

    cursor: int = Field(ge=0, lt=2**63)


class DeskCheckin(Message):
    """A member who scanned the front-desk code: the pass their phone holds, handed to the kiosk."""

    pass_text: Annotated[str, StringConstraints(min_length=1, max_length=TOKEN_MAX_CHARS)] = Field(
        validation_alias="pass", serialization_alias="pass"
    )
    via: Literal["desk_code"] = "desk_code"


class CheckinAnswer(Message):
    """The kiosk's answer to a desk-code check-in, on its response topic."""

    result: Literal["admitted", "refused"]
    name: Annotated[str, StringConstraints(max_length=60)] = ""
    repeat: bool = False
    ends_at: Moment | None = None
    desk_checks: list[ReasonCode] = Field(default_factory=list, max_length=8)
    room: Annotated[str, StringConstraints(max_length=60)] | None = None
    companions: int | None = Field(default=None, ge=0, le=100)
    reason: ReasonCode | None = None
    message_ja: Words | None = None
    message_en: Words | None = None

    @classmethod
    def refusing(cls, reason: Reason) -> CheckinAnswer:
        """A refusal for a reason, in its words."""
        return cls(result="refused", reason=reason.code, message_ja=reason.ja, message_en=reason.en)


def _keep_until(value: float) -> float:
    """A finite moment (Unix seconds) this side of the year 2100."""
    if not math.isfinite(value) or not 0 < value < 4_102_444_800:
        raise ValueError("keep_until must be a moment in Unix seconds before 2100")
    return value


class SpentPass(Message):
    """A pass a kiosk admitted: the facility's other kiosks refuse it until keep_until."""

    MAX_BYTES: ClassVar[int] = 256
    pass_id: Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{16}$")]
    keep_until: Annotated[float, AfterValidator(_keep_until)]
    kiosk: Identifier


def availability(online: bool) -> bytes:
    """A program's availability payload."""
    return ONLINE if online else OFFLINE
