"""The stand-in platform's own bodies and answers: what facility/contract.py leaves out.

The contract holds what the kiosk and lockd send and read. Here are the rest of the stand-in's answers (a
member, a fresh pass, the door's or the kiosk's reply, the full settings), the stand-in-only calls (fault
switches, key rotation) and the answers the contract reads only in part, in full. The FastAPI app
(simulator/platform/api.py) validates with them and the OpenAPI file is generated from them.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import ConfigDict, Field

from facility.config.models import Companions, DeskChecks, FacilityInfo, OpeningHours, Room, Rules, Seats
from facility.contract import (
    Answer,
    Body,
    CertifiedKey,
    CheckInRecorded,
    Count,
    DoorDecisionRecorded,
    ErrorAnswer,
    HexId,
    KeyId,
    MemberId,
    OccupancyAnswer,
    ReservationItem,
    SettingsAnswer,
    UnixTime,
)
from facility.models import Plan
from simulator.platform.faults import Fault

# A switch's times stay within an hour: a longer wait than a test run is a typo (and a thread's wait overflows).
Seconds = Annotated[float, Field(gt=0, le=3600, allow_inf_nan=False)]
Wait = Annotated[float, Field(ge=0, le=3600, allow_inf_nan=False)]

# --- answers the contract reads only in part, in full ---------------------------------------------------------


class FacilitySettings(SettingsAnswer):
    """GET /facilities/{facility}/settings: the public part of the facility file, as the file's own models say."""

    facility: FacilityInfo  # type: ignore[assignment]
    hours: OpeningHours  # type: ignore[assignment]
    rules: Rules  # type: ignore[assignment]
    desk_checks: DeskChecks
    seats: Seats | None = None
    companions: Companions
    rooms: list[Room]


class ReservationsListed(Answer):
    """GET /facilities/{facility}/reservations?since=N: every change after the cursor, oldest first."""

    cursor: Count
    reservations: list[ReservationItem]


class OccupancyStored(OccupancyAnswer):
    """PUT /facilities/{facility}/occupancy: the report as stored, with when it came."""

    companions_in: Count = 0
    vacancy: str | None = None


class CheckInListed(CheckInRecorded):
    """One recorded check-in: the body exactly as the kiosk sent it, with the platform's answer."""

    model_config = ConfigDict(extra="allow", frozen=True)

    member_id: MemberId


class CheckInsListed(Answer):
    """GET /facilities/{facility}/checkins (stand-in): every check-in recorded for a facility, in order."""

    checkins: list[CheckInListed]


class DoorDecisionListed(DoorDecisionRecorded):
    """One recorded door decision: the body exactly as lockd sent it, with the platform's answer."""

    model_config = ConfigDict(extra="allow", frozen=True)

    door_id: str


class DoorDecisionsListed(Answer):
    """GET /facilities/{facility}/door-decisions (stand-in): every door decision recorded, in order of arrival."""

    decisions: list[DoorDecisionListed]


# --- members' phones -------------------------------------------------------------------------------------------


class MemberAnswer(Answer):
    """A member as the platform holds them."""

    member_id: MemberId
    name: str
    plan: Plan
    chains_visited: list[str]


class PassIssued(Answer):
    """POST /members/{member}/pass: a fresh member pass for the phone's screen."""

    model_config = ConfigDict(extra="ignore", frozen=True, populate_by_name=True)

    pass_text: str = Field(alias="pass", description="the pass, as the phone shows it in its 2D code")
    pass_id: HexId
    expires: UnixTime


class DoorPass(Answer):
    """One pass of a booking's booklet."""

    model_config = ConfigDict(extra="ignore", frozen=True, populate_by_name=True)

    pass_text: str = Field(alias="pass", description="the pass, as the phone shows it in its 2D code at the door")
    pass_id: HexId
    not_before: UnixTime
    expires: UnixTime


class DoorPassesIssued(Answer):
    """GET /members/{member}/reservations/{reservation}/door-passes: the booking's passes, one a minute from the
    early entry to the end, each valid 90 s; the phone keeps them and shows the current one at the door offline."""

    passes: list[DoorPass]


class PeerAnswer(Answer):
    """What a door or a kiosk answered over MQTT, passed through (fields it adds are kept)."""

    model_config = ConfigDict(extra="allow", frozen=True)

    result: str = Field(description="opened or refused (a door), admitted or refused (a kiosk); bad_answer")
    reason: str | None = None
    message_en: str | None = None
    message_ja: str | None = None


class DoorAnswer(PeerAnswer):
    """POST /facilities/{facility}/doors/{door}/unlock: the door's answer to the command the platform sent."""

    reservation_id: int
    command_id: str


class DoorSilent(ErrorAnswer):
    """504: the door did not answer in time (the command may still arrive: it lives 30 s)."""

    result: Literal["no_answer"]
    reservation_id: int
    command_id: str


class KioskAnswer(PeerAnswer):
    """POST /desk-checkins: the kiosk's verdict (200), or `pending` when it has not answered yet (202)."""

    facility_id: str
    kiosk_id: str
    pass_id: HexId


# --- stand-in only: fault switches -----------------------------------------------------------------------------


class FaultBody(Body):
    """PUT /_sim/faults: turn a fault on (`none` clears it); docs/platform-api.md has what each mode does."""

    mode: Fault
    count: Annotated[int, Field(ge=1, le=1_000_000)] | None = Field(None, description="only the next count requests")
    retry_after: Annotated[int, Field(ge=0, lt=2**31)] = Field(1, description="rate_limit: the Retry-After seconds")
    hang_seconds: Wait = Field(30.0, description="hang: how long; drip: the wait between bytes")
    seconds: Seconds = Field(10.0, description="unreachable: how long the port stays closed")
    status: Annotated[int, Field(ge=200, le=599)] = Field(200, description="not_an_object, html: the status")
    item: Any = Field(None, description="garbled_item: the item appended to a list answer, as given")
    path: Annotated[str, Field(pattern=r"^/[!-~]{0,200}$")] | None = Field(
        None, description="only requests for this path, e.g. /v1/keyset (default: every request)"
    )


class FaultState(Answer):
    """GET /_sim/faults: the switch's position (`remaining`: requests left; null: until cleared)."""

    mode: Fault
    remaining: int | None
    retry_after: int
    hang_seconds: float
    status: int
    item: Any = None
    path: str | None


class FaultSet(Answer):
    """PUT /_sim/faults: the mode now on."""

    mode: Fault


# --- stand-in only: key rotation (simulator/platform/keys.py) ----------------------------------------------------


class AddKey(Body):
    """Rotation step 1: certify a new random key, with an optional window (Unix seconds)."""

    action: Literal["add_key"]
    not_before: UnixTime | None = None
    not_after: UnixTime | None = None


class SignWith(Body):
    """Rotation step 2: sign new passes and commands with a certified key."""

    action: Literal["sign_with"]
    key_id: KeyId


class RevokeKey(Body):
    """Rotation step 3: revoke a certified key that no longer signs."""

    action: Literal["revoke_key"]
    key_id: KeyId


KeyStep = Annotated[AddKey | SignWith | RevokeKey, Field(discriminator="action")]


class KeyStatus(Answer):
    """Where a key rotation stands: the set's version, the key signing now, certified and revoked keys."""

    version: Annotated[int, Field(ge=1)]
    signing_key_id: KeyId
    rooted: bool
    keys: list[CertifiedKey]
    revoked: list[KeyId]
    key_id: KeyId | None = Field(None, description="the key the step was about")
