"""The platform's HTTP contract as the facility edge uses it: every path and every body (docs/platform-api.md).

The kiosk, lockd, the doctor, the stand-in platform and the tests all speak through these
models, and docs/platform-openapi.yaml is checked against them (tests/test_contract.py). An
answer is validated before anything uses it: a 2xx whose body is not the documented one is a
failure to retry, never a success. Answers ignore fields they do not know (the platform may
grow); bodies the edge sends are exact.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, model_validator
from pydantic_core import PydanticCustomError

from facility.config.models import Identifier, check_public_key, exact_base64
from facility.models import EntryKind, Plan, Reservation
from facility.rules.calendar import local
from facility.tokens import Revocations

# --- paths (relative to the facility file's platform.base_url, which ends in /v1) ------------------

KEYS = "/keys"
KEYSET = "/keyset"
REVOCATIONS = "/revocations"
MEMBERS = "/members"
RESERVATIONS = "/reservations"
DESK_CHECKINS = "/desk-checkins"


def settings_path(facility_id: str) -> str:
    """A facility's public settings."""
    return f"/facilities/{facility_id}/settings"


def reservations_path(facility_id: str) -> str:
    """A facility's reservations changed since a cursor (`?since=N`)."""
    return f"/facilities/{facility_id}/reservations"


def checkins_path(facility_id: str) -> str:
    """Where a kiosk records a check-in (POST, with an Idempotency-Key)."""
    return f"/facilities/{facility_id}/checkins"


def occupancy_path(facility_id: str) -> str:
    """Where a kiosk reports who is in (PUT)."""
    return f"/facilities/{facility_id}/occupancy"


def door_decisions_path(facility_id: str) -> str:
    """Where lockd reports what it decided at a door's pass reader (POST, with an Idempotency-Key)."""
    return f"/facilities/{facility_id}/door-decisions"


def usage_reports_path(facility_id: str) -> str:
    """Where staff hand in a business day's usage report from the kiosk (POST, with an Idempotency-Key)."""
    return f"/facilities/{facility_id}/usage-reports"


def unlock_path(facility_id: str, door_id: str) -> str:
    """Where a member's phone asks to open a door."""
    return f"/facilities/{facility_id}/doors/{door_id}/unlock"


# --- field types -------------------------------------------------------------------------------------


def _hex(text: str) -> str:
    """Lower-case hex digits, or a ValueError."""
    try:
        bytes.fromhex(text)
    except ValueError:
        raise ValueError("not hex digits") from None
    return text.lower()


KeyId = Annotated[str, Field(pattern=r"^[0-9a-fA-F]{8}$"), AfterValidator(str.lower)]
HexId = Annotated[str, Field(min_length=2, max_length=64, pattern=r"^(?:[0-9a-fA-F]{2})+$"), AfterValidator(_hex)]
PublicKey = Annotated[str, AfterValidator(check_public_key)]
MemberId = Annotated[int, Field(ge=1)]
Count = Annotated[int, Field(ge=0)]
UnixTime = Annotated[int, Field(ge=0, lt=2**40)]


def _signature(text: str) -> str:
    """Base64 of exactly 64 bytes (an Ed25519 signature), or a ValueError."""
    return exact_base64(text, 64, "signature")


Signature = Annotated[str, AfterValidator(_signature)]


class Answer(BaseModel):
    """A body the platform sends: checked field by field, fields it adds later are ignored."""

    model_config = ConfigDict(extra="ignore", frozen=True, strict=False)


class Body(BaseModel):
    """A body the edge sends: exactly these fields."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class ErrorAnswer(Answer):
    """Any refusal: a stable code and the words in both languages."""

    error: str
    message_en: str = ""
    message_ja: str = ""


# --- keys and revocations ----------------------------------------------------------------------------


class PublishedKey(Answer):
    """One of the platform's public keys and what it signs."""

    key_id: KeyId
    public_key: PublicKey
    purposes: list[str]


class KeysAnswer(Answer):
    """GET /keys."""

    keys: list[PublishedKey]


class CertifiedKey(Answer):
    """One of the platform's signing keys as its root certifies it: what it signs and when (Unix seconds; null: no
    bound).

    Purposes this edge does not know are ignored, so the platform can certify keys for new token types."""

    key_id: KeyId
    public_key: PublicKey
    purposes: Annotated[
        list[Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,39}$")]], Field(min_length=1, max_length=16)
    ]
    not_before: UnixTime | None = None
    not_after: UnixTime | None = None

    @model_validator(mode="after")
    def _begins_before_it_ends(self) -> CertifiedKey:
        """A key's window is not empty: one that ends before it begins could sign nothing, and is no key set's."""
        if self.not_before is not None and self.not_after is not None and self.not_after <= self.not_before:
            raise ValueError(f"key {self.key_id} ends (not_after) before it begins (not_before)")
        return self


KEYSET_MAX_KEYS, KEYSET_MAX_REVOKED = 64, 4096  # what one key set may certify and revoke


class KeySetContent(Answer):
    """The signed part of the key set (docs/tokens.md, 'The key set'): versioned, complete, with what it revokes."""

    format: Literal[1]
    version: Annotated[int, Field(ge=1, lt=2**53)]
    issued_at: UnixTime
    keys: Annotated[list[CertifiedKey], Field(min_length=1, max_length=KEYSET_MAX_KEYS)]
    revoked: Annotated[list[KeyId], Field(max_length=KEYSET_MAX_REVOKED)] = []


class SignedKeySet(Answer):
    """GET /keyset, and the retained MQTT announcement: the key set, the root key that signed it, and its signature."""

    keyset: KeySetContent
    signed_by: KeyId
    signature: Signature


class RevocationsAnswer(Answer):
    """GET /revocations: what the platform has withdrawn."""

    key_ids: list[KeyId] = []
    member_ids: list[MemberId] = []
    pass_ids: list[HexId] = []

    def revocations(self) -> Revocations:
        """As the verifier uses them."""
        return Revocations(
            frozenset(self.key_ids), frozenset(self.member_ids), frozenset(bytes.fromhex(p) for p in self.pass_ids)
        )

    @classmethod
    def of(cls, revocations: Revocations) -> RevocationsAnswer:
        """The answer that says these revocations (the stand-in platform; the programs' caches)."""
        return cls(
            key_ids=sorted(revocations.key_ids),
            member_ids=sorted(revocations.member_ids),
            pass_ids=sorted(p.hex() for p in revocations.pass_ids),
        )


# --- reservations -----------------------------------------------------------------------------------


class ReservationItem(Answer):
    """One reservation as the platform lists it."""

    reservation_id: Annotated[int, Field(ge=1, lt=2**63)]
    facility_id: str | None = None
    room_id: Annotated[str, Field(min_length=1, max_length=40)]
    member_id: MemberId
    plan: Plan
    starts_at: AwareDatetime
    ends_at: AwareDatetime
    cancelled: bool
    guests: Count = 0
    version: int | None = None

    def reservation(self) -> Reservation:
        """As the rules use it, in Tokyo time; ValueError for a booking that ends before it starts."""
        if self.ends_at <= self.starts_at:
            raise ValueError(f"reservation {self.reservation_id} ends before it starts")
        return Reservation(
            self.reservation_id,
            self.room_id,
            self.member_id,
            local(self.starts_at),
            local(self.ends_at),
            self.cancelled,
            self.guests,
            self.plan,
        )

    @classmethod
    def of(cls, facility_id: str, reservation: Reservation, version: int) -> ReservationItem:
        """How the platform lists a reservation."""
        r = reservation
        return cls(
            reservation_id=r.reservation_id,
            facility_id=facility_id,
            room_id=r.room_id,
            member_id=r.member_id,
            plan=r.plan,
            starts_at=r.starts_at,
            ends_at=r.ends_at,
            cancelled=r.cancelled,
            guests=r.guests,
            version=version,
        )


class ReservationsAnswer(Answer):
    """GET /facilities/{facility}/reservations?since=N; each item is read on its own (read_reservation)."""

    cursor: Count
    reservations: list[Any]  # one unreadable booking must not keep every other change from the doors


def read_reservation(raw: object) -> Reservation:
    """One listed reservation, strictly; ValueError (or OverflowError for an impossible date) when it is not one."""
    return ReservationItem.model_validate_json(json.dumps(raw), strict=True).reservation()


def listed_id(raw: object) -> int | None:
    """The reservation id of a listed item that could not be read, read leniently (77, 77.0, "77"): whatever
    booking it might be about is forgotten rather than left as it was."""
    rid = raw.get("reservation_id") if isinstance(raw, dict) else None
    if isinstance(rid, float) and rid.is_integer():
        rid = int(rid)
    if isinstance(rid, str) and rid.strip().isdigit():
        rid = int(rid.strip())
    return rid if isinstance(rid, int) and not isinstance(rid, bool) and 1 <= rid < 2**63 else None


class BookingBody(Body):
    """POST /reservations (a member's phone): book a room."""

    member_id: MemberId
    facility_id: Annotated[str, Field(min_length=1, max_length=40)]
    room_id: Annotated[str, Field(min_length=1, max_length=40)]
    starts_at: AwareDatetime
    ends_at: AwareDatetime
    guests: Annotated[int, Field(ge=0, le=100)] = 0


# --- members' phones (the stand-in platform serves these too) -----------------------------------------------


class MemberBody(Body):
    """POST /members (stand-in): register a member."""

    name: Annotated[str, Field(min_length=1, max_length=60)]
    plan: Plan


class PassRequest(Body):
    """POST /members/{member}/pass: a fresh pass, bound to the facility whose desk code the app scanned."""

    facility_id: Identifier | None = None


class UnlockRequest(Body):
    """POST /facilities/{facility}/doors/{door}/unlock: the member tapped unlock."""

    member_id: MemberId


class DeskCheckinBody(Body):
    """POST /desk-checkins: the front-desk code the app scanned."""

    member_id: MemberId
    code: Annotated[str, Field(min_length=1, max_length=400)]


def _one_of_them(schema: dict, model: type) -> None:
    """The schema of a body that names at least one thing, each given as a value (null is not one)."""
    for field in schema["properties"].values():
        field.update(next(option for option in field.pop("anyOf") if option.get("type") != "null"))
        field.pop("default", None)
    schema["minProperties"] = 1


class RevokeBody(Body):
    """POST /revocations (stand-in technician call): withdraw a member, a pass or a signing key."""

    model_config = ConfigDict(extra="forbid", frozen=True, json_schema_extra=_one_of_them)

    @model_validator(mode="before")
    @classmethod
    def _no_nulls(cls, data: object) -> object:
        """A field given is a value: null is refused, as the schema says."""
        if isinstance(data, dict) and any(value is None for value in data.values()):
            raise ValueError("give values, not null; leave out what you do not name")
        if isinstance(data, dict) and not data:
            raise PydanticCustomError("names_nothing", "name a member_id, a pass_id or a key_id")
        return data

    member_id: MemberId | None = None
    pass_id: HexId | None = None
    key_id: KeyId | None = None


# --- check-ins and occupancy ----------------------------------------------------------------------


class CheckInBody(Body):
    """POST /facilities/{facility}/checkins: one kept check-in (the idempotency key travels as a header)."""

    member_id: MemberId
    at: AwareDatetime
    kind: EntryKind = EntryKind.CHECK_IN
    plan: Plan = Plan.INDIVIDUAL_PREMIUM
    ends_at: AwareDatetime | None = None
    new_use: bool = True
    pass_id: str = ""
    source: str = "member_screen"
    note: str = ""
    reservation_id: int | None = None  # a staffed meeting room's representative: one use of the booking
    companions: Count | None = None  # and the guests who came along
    companion_fee_yen: Count | None = None


class CheckInRecorded(Answer):
    """The platform has the check-in (201 the first time, 200 with the same body for the same key)."""

    checkin_id: int
    idempotency_key: str
    recorded_at: AwareDatetime


class DoorDecisionBody(Body):
    """POST /facilities/{facility}/door-decisions: what lockd decided when a pass was shown at a door's reader,
    possibly long ago, while the platform was out of reach (the idempotency key travels as a header).

    One decision each; passes that never authenticated (a coupon, noise) come as one row per door, reason and minute
    with their `count`."""

    door_id: Identifier
    at: AwareDatetime
    reader: str = Field(min_length=1, max_length=20, pattern=r"^[a-z0-9:_-]+$")
    result: Literal["opened", "refused"]
    reason: str = Field(default="", max_length=40, pattern=r"^[a-z0-9_]*$")
    member_id: MemberId | None = None
    reservation_id: Annotated[int, Field(ge=1)] | None = None
    pass_id: str = Field(default="", max_length=32, pattern=r"^[0-9a-f]*$")
    count: Annotated[int, Field(ge=1, le=1_000_000)] = 1


class DoorDecisionRecorded(Answer):
    """The platform has the decision (201 the first time, 200 with the same body for the same key)."""

    idempotency_key: str
    recorded_at: AwareDatetime


class OccupancyBody(Body):
    """PUT /facilities/{facility}/occupancy: who is in now."""

    members_in: Count
    companions_in: Count = 0
    vacancy: str | None = None


class OccupancyAnswer(Answer):
    """The report as the platform stored it."""

    members_in: Count
    received_at: AwareDatetime


class UsageRow(Body):
    """One use of a usage report (facility/usage.py counts them): the report's CSV row."""

    use_no: Annotated[int, Field(ge=1)]
    member_id: MemberId
    plan: Plan
    started_at: AwareDatetime
    check_ins: Annotated[int, Field(ge=1)]
    reservation_id: Annotated[int, Field(ge=1)] | None = None


USAGE_ROWS_MAX = 400  # uses in one report: its body stays under the platform's 64 KiB


class UsageReportBody(Body):
    """POST /facilities/{facility}/usage-reports: a business day's uses as one kiosk counted them, handed in by staff
    from the staff page. The idempotency key (a header) is made from the report's content: the same report sent again
    is the same key (200, the first answer); a later report of the same day (more uses since) is a new key, and the
    platform keeps the latest of each day and kiosk (by when it came: the report carries no time of its own, so the
    same report made twice is the same body)."""

    day: date
    kiosk: Identifier
    uses: list[UsageRow] = Field(max_length=USAGE_ROWS_MAX)


class UsageReportRecorded(Answer):
    """The platform has the report (201 the first time, 200 with the same body for the same key)."""

    idempotency_key: str
    recorded_at: AwareDatetime
    uses: Count


# --- settings (the doctor reads them) ---------------------------------------------------------------


class SettingsAnswer(Answer):
    """GET /facilities/{facility}/settings: the public part of the facility file."""

    facility: dict
    hours: dict
    rules: dict


# --- the OpenAPI file's schemas (docs/platform-openapi.yaml; scripts/make_openapi.py writes them there) --------

OPENAPI_MODELS: tuple[type[BaseModel], ...] = (
    ErrorAnswer,
    PublishedKey,
    KeysAnswer,
    CertifiedKey,
    KeySetContent,
    SignedKeySet,
    RevocationsAnswer,
    ReservationItem,
    BookingBody,
    CheckInBody,
    CheckInRecorded,
    OccupancyBody,
    OccupancyAnswer,
    MemberBody,
    PassRequest,
    UnlockRequest,
    DeskCheckinBody,
    RevokeBody,
)
