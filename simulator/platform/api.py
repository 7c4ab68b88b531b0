"""The stand-in platform's HTTP API on FastAPI (docs/platform-api.md): its operations, and every refusal in the
platform's error shape.

Bodies are validated with facility/contract.py's models (the stand-in's own calls with
simulator/platform/schemas.py), answers with their answer models, and docs/platform-openapi.yaml is generated
from this app (scripts/make_openapi.py). A body, path, header or query value the contract does not allow is
refused before anything is stored, as docs/platform-api.md says: 422 `bad_request`, naming the value, in
Japanese and English. The fault switches and the port are PlatformServer's (simulator/platform/http.py).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Coroutine
from typing import Annotated, Any, Protocol

from fastapi import BackgroundTasks, Body, Depends, FastAPI, Header, Path, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute, APIRouter
from pydantic import BeforeValidator, TypeAdapter, ValidationError
from starlette.exceptions import HTTPException
from starlette.routing import Match

from facility.contract import (
    BookingBody,
    CheckInBody,
    CheckInRecorded,
    DeskCheckinBody,
    DoorDecisionBody,
    DoorDecisionRecorded,
    ErrorAnswer,
    KeysAnswer,
    MemberBody,
    OccupancyBody,
    PassRequest,
    ReservationItem,
    RevocationsAnswer,
    RevokeBody,
    SignedKeySet,
    UnlockRequest,
    UsageReportBody,
    UsageReportRecorded,
)
from simulator.platform.errors import BAD_REQUEST, ApiError
from simulator.platform.faults import Fault, FaultSwitches
from simulator.platform.schemas import (
    AddKey,
    CheckInsListed,
    DoorAnswer,
    DoorDecisionsListed,
    DoorPassesIssued,
    DoorSilent,
    FacilitySettings,
    FaultBody,
    FaultSet,
    FaultState,
    KeyStatus,
    KeyStep,
    KioskAnswer,
    MemberAnswer,
    OccupancyStored,
    PassIssued,
    ReservationsListed,
    SignWith,
)
from simulator.platform.service import PlatformService
from simulator.platform.state import PlatformState


class Switchboard(Protocol):
    """What the stand-in's own calls switch (simulator/platform/http.py's PlatformServer)."""

    faults: FaultSwitches

    def cut_off(self, seconds: float) -> Callable[[], None]:
        """Promise to close the port for `seconds`; the step that does it, to run once the answer is out."""
        ...


BASE_PATH = "/v1"  # the facility file's platform.base_url ends here; the OpenAPI paths are relative to it
SERVER_URL = "http://127.0.0.1:8710/v1"
INVALID = BAD_REQUEST  # a body, path, header or query value the contract does not allow
PUBLIC_SETTINGS = ("facility", "hours", "rules", "desk_checks", "seats", "companions", "rooms")

# --- what each operation may answer besides its success -----------------------------------------------------------

WHY = {
    401: "unauthorized: the facility's API token expired (the stand-in's `unauthorized` fault switch)",
    403: "refused for one of the rules' reasons (the reason code is `error`)",
    404: "not_found: the facility, member, room, door, reservation or key named does not exist",
    409: "refused by a rule the request is well-formed for (a booking rule, a room taken, a key set full): the "
    "reason code is `error`",
    413: "too_large: a body over 64 KiB",
    422: "bad_request: a body, path, header or query value the contract does not allow, named in both languages",
    429: "rate_limited: try again after Retry-After seconds (the stand-in's `rate_limit` fault switch)",
    500: "internal (the stand-in's `error_500` fault switch)",
    503: "broker_unavailable: the platform cannot reach the site's broker",
}
FAULTS = (401, 429, 500)  # what the fault switches answer on every operation but the stand-in's own
RETRY_AFTER = {"Retry-After": {"description": "seconds to wait", "schema": {"type": "integer", "minimum": 0}}}


def answers(
    *refusals: int,
    switched: bool = True,
    more: dict[int, tuple[type, str]] | None = None,
    links: dict[int, dict[str, Any]] | None = None,
) -> dict[int | str, dict[str, Any]]:
    """What an operation answers besides its success: its refusals, in the error shape; `switched`: the fault
    switches' too; `more`: other answers, each with its model and what it means; `links`: the operations an answer
    leads to (OpenAPI links: a fuzzer follows them from one call to the next)."""
    documented: dict[int | str, dict[str, Any]] = {}
    for status in sorted({*refusals, *(FAULTS if switched else ())}):
        documented[status] = {"model": ErrorAnswer, "description": WHY[status]}
        if status == 429:
            documented[status]["headers"] = RETRY_AFTER
    for status, (model, meaning) in (more or {}).items():
        documented[status] = {"model": model, "description": meaning}
    for status, leads_to in (links or {}).items():
        documented[status] = {"links": leads_to}
    return documented


def link(operation: str, **parameters: str) -> dict[str, Any]:
    """An OpenAPI link to an operation, its parameters taken from the answer's body (`/member_id`)."""
    return {"operationId": operation, "parameters": {name: f"$response.body#{at}" for name, at in parameters.items()}}


THE_FACILITY = {
    name: link(name, facility="/facility/id") for name in ("reservations", "list_checkins", "post_checkin", "occupancy")
}
THE_MEMBER = {
    "get_member": link("get_member", member="/member_id"),
    "member_pass": link("member_pass", member="/member_id"),
}
THE_BOOKING = {"cancel": link("cancel", reservation="/reservation_id", member_id="/member_id")}


BODY = (INVALID, 413)  # any operation with a body

# --- what the routes read ---------------------------------------------------------------------------------------


def _service(request: Request) -> PlatformService:
    """The platform this app serves (PlatformServer puts it in the app's state)."""
    return request.app.state.service


def _state(request: Request) -> PlatformState:
    """The platform's data."""
    return request.app.state.service.state


def _server(request: Request) -> Switchboard:
    """The server that serves this app: its fault switches and its port."""
    return request.app.state.server


async def _sent(request: Request) -> Any:
    """The JSON body exactly as sent: a check-in is kept as the kiosk wrote it, and a repeat is compared with it
    (None when it is not JSON: the body's own validation refuses it)."""
    try:
        return await request.json()
    except (ValueError, RecursionError):  # RecursionError: nested deeper than Python's parser goes
        return None


def _digits(value: object) -> object:
    """A number in a path or query is written in digits: pydantic alone would read '1002.0' or ' 1002' as 1002."""
    if isinstance(value, str) and not re.fullmatch(r"[0-9]{1,19}", value):
        raise ValueError("write a whole number in digits, e.g. 1002")
    return value


Service = Annotated[PlatformService, Depends(_service)]
State = Annotated[PlatformState, Depends(_state)]
Server = Annotated[Switchboard, Depends(_server)]
Sent = Annotated[Any, Depends(_sent)]
Digits = BeforeValidator(_digits)
ID_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,39}$"  # facility/config/models.py's Identifier
# The examples are the demo seed's (config/simulator/seed.toml): a fuzzer given them reaches past the 404s.
FacilityId = Annotated[str, Path(pattern=ID_PATTERN, description="a facility id", examples=["h1t-shibuya"])]
DoorId = Annotated[str, Path(pattern=ID_PATTERN, description="a door of the facility", examples=["booth-a"])]
# The digits check after Path() or Query(): before it, FastAPI writes the bounds into the OpenAPI as "ge" and "lt".
MemberNumber = Annotated[int, Path(ge=1, lt=2**63, description="a member number", examples=[1002]), Digits]
ReservationNumber = Annotated[int, Path(ge=1, lt=2**63, description="a reservation number", examples=[5001]), Digits]
IdempotencyKey = Annotated[
    str,
    Header(alias="Idempotency-Key", min_length=8, max_length=100, description="the same key for every retry"),
]


class StrictBodyRoute(APIRoute):
    """An operation whose JSON body is read as strictly as the edge reads the platform's answers (facility/platform.py)
    and as its schema says: `false` is not 0, "5" is not 5, 1700000000 is not a time; 5.0 is 5, as JSON Schema's
    integer. FastAPI alone validates the parsed body leniently, so the body is first read against the same model as
    JSON, strictly (whole numbers as integers); what passes goes on to FastAPI unchanged."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        """FastAPI's handler, behind the strict reading of the body."""
        handler = super().get_route_handler()
        if self.body_field is None:
            return handler
        form: Any = Annotated[self.body_field.field_info.annotation, self.body_field.field_info]  # as FastAPI reads it
        body: TypeAdapter[Any] = TypeAdapter(form)

        async def strictly(request: Request) -> Response:
            """Refuse a body that is only leniently the model, then handle the request as FastAPI does."""
            try:
                body.validate_json(_whole_json(await request.body()), strict=True)
            except ValidationError as exc:
                raise RequestValidationError(
                    [dict(problem, loc=("body", *problem["loc"])) for problem in exc.errors(include_url=False)]
                ) from None
            return await handler(request)

        return strictly


def _whole_json(raw: bytes) -> bytes:
    """A JSON text with its whole-number floats (5.0) written as integers; text that is not JSON as it was."""
    try:
        return json.dumps(_whole(json.loads(raw)), allow_nan=False).encode()
    except (ValueError, RecursionError):
        return raw  # the strict reading says what is wrong with it


api = APIRouter(prefix=BASE_PATH, route_class=StrictBodyRoute, generate_unique_id_function=lambda route: route.name)

# --- keys and revocations ---------------------------------------------------------------------------------------


@api.get("/keys", response_description="the keys and what each signs", response_model=KeysAnswer, responses=answers())
def keys(state: State) -> dict:
    """The platform's public keys, unsigned (sites with a root key read the signed /keyset)."""
    return {"keys": state.keys()}


@api.get("/keyset", response_description="the signed key set", response_model=SignedKeySet, responses=answers(404))
def keyset(state: State) -> dict:
    """The platform's signing keys, certified by its root key (docs/tokens.md, 'The key set'); 404 without a root."""
    document = state.keyset()
    if document is None:
        raise ApiError(
            404,
            "not_found",
            "this platform has no root key, so no key set",
            "このプラットフォームにはルート鍵がないため、鍵セットはありません",
        )
    return document


@api.get(
    "/revocations", response_description="what is withdrawn", response_model=RevocationsAnswer, responses=answers()
)
def revocations(state: State) -> RevocationsAnswer:
    """Withdrawn members, passes and signing keys."""
    return RevocationsAnswer.of(state.revocations())


@api.post(
    "/revocations",
    response_description="what is withdrawn now",
    response_model=RevocationsAnswer,
    responses=answers(*BODY),
)
def revoke(body: RevokeBody, service: Service, tasks: BackgroundTasks) -> RevocationsAnswer:
    """Withdraw a member, a pass or a signing key (stand-in technician call); answers the revocations, then tells
    every site, whose doors and kiosks refresh at once."""
    state = service.state
    state.revoke(body.member_id, bytes.fromhex(body.pass_id) if body.pass_id else None, body.key_id)
    tasks.add_task(service.announce_everywhere)
    return RevocationsAnswer.of(state.revocations())


# --- facilities --------------------------------------------------------------------------------------------------


@api.get(
    "/facilities/{facility}/settings",
    response_description="the public part of the facility file",
    response_model=FacilitySettings,
    responses=answers(INVALID, 404, links={200: THE_FACILITY}),
)
def settings(facility: FacilityId, state: State) -> dict:
    """A facility's public settings: who it is, hours, rules, desk checks, seats, companions, rooms."""
    cfg = state.facility(facility)
    return {name: getattr(cfg, name) for name in PUBLIC_SETTINGS}


@api.get(
    "/facilities/{facility}/reservations",
    response_description="the changes after the cursor, and the new cursor",
    response_model=ReservationsListed,
    responses=answers(INVALID, 404),
)
def reservations(
    facility: FacilityId,
    state: State,
    since: Annotated[int, Query(ge=0, lt=2**63, description="a cursor; 0 for all"), Digits] = 0,
) -> dict:
    """Every reservation changed after the cursor (cancellations included), oldest change first."""
    cursor, changed = state.changed_since(facility, since)
    return {"cursor": cursor, "reservations": changed}


@api.put(
    "/facilities/{facility}/occupancy",
    response_description="the report as stored",
    response_model=OccupancyStored,
    responses=answers(*BODY, 404),
)
def occupancy(facility: FacilityId, body: OccupancyBody, state: State) -> dict:
    """A kiosk reports who is in; the report comes back as stored, with when it came."""
    return state.set_occupancy(facility, body.model_dump(mode="json"))


@api.post(
    "/facilities/{facility}/checkins",
    status_code=201,
    response_description="recorded",
    response_model=CheckInRecorded,
    responses=answers(*BODY, 404, 409, more={200: (CheckInRecorded, "the same key and body again: the first answer")}),
)
def post_checkin(
    facility: FacilityId, key: IdempotencyKey, body: CheckInBody, sent: Sent, state: State, response: Response
) -> dict:
    """Record a check-in once per Idempotency-Key (201), the same answer again for the same key and body (200)."""
    status, answer = state.record_checkin(facility, key, sent)
    response.status_code = status
    return answer


@api.get(
    "/facilities/{facility}/checkins",
    response_description="the check-ins, in order",
    response_model=CheckInsListed,
    responses=answers(INVALID, 404),
)
def list_checkins(facility: FacilityId, state: State) -> dict:
    """Every check-in recorded for a facility, in order (stand-in: what a test or the demo counts)."""
    state.facility(facility)
    return {"checkins": state.checkins_of(facility)}


@api.post(
    "/facilities/{facility}/door-decisions",
    status_code=201,
    response_description="recorded",
    response_model=DoorDecisionRecorded,
    responses=answers(
        *BODY, 404, 409, more={200: (DoorDecisionRecorded, "the same key and body again: the first answer")}
    ),
)
def post_door_decision(
    facility: FacilityId, key: IdempotencyKey, body: DoorDecisionBody, sent: Sent, state: State, response: Response
) -> dict:
    """Keep a decision lockd made at a door's reader once per Idempotency-Key (201); the same again, 200."""
    status, answer = state.record_door_decision(facility, key, sent)
    response.status_code = status
    return answer


@api.get(
    "/facilities/{facility}/door-decisions",
    response_description="the door decisions, in order of arrival",
    response_model=DoorDecisionsListed,
    responses=answers(INVALID, 404),
)
def list_door_decisions(facility: FacilityId, state: State) -> dict:
    """Every door decision recorded for a facility (stand-in: what a test or the demo counts)."""
    state.facility(facility)
    return {"decisions": state.door_decisions_of(facility)}


@api.post(
    "/facilities/{facility}/usage-reports",
    status_code=201,
    response_description="recorded",
    response_model=UsageReportRecorded,
    responses=answers(
        *BODY, 404, 409, more={200: (UsageReportRecorded, "the same key and body again: the first answer")}
    ),
)
def post_usage_report(
    facility: FacilityId, key: IdempotencyKey, body: UsageReportBody, sent: Sent, state: State, response: Response
) -> dict:
    """Keep a business day's usage report a kiosk's staff handed in, once per Idempotency-Key (201); the same report
    again, 200. The latest report of each day and kiosk is the one that counts."""
    status, answer = state.record_usage_report(facility, key, sent)
    response.status_code = status
    return answer


@api.post(
    "/facilities/{facility}/doors/{door}/unlock",
    response_description="the door's answer",
    response_model=DoorAnswer,
    responses=answers(*BODY, 403, 404, 503, more={504: (DoorSilent, "no_answer: the door did not answer in time")}),
)
def unlock(facility: FacilityId, door: DoorId, body: UnlockRequest, service: Service) -> Any:
    """A member taps unlock: the platform checks the booking, sends the door a signed command, answers its reply."""
    status, answer = service.unlock(facility, door, body.member_id)
    return answer if status == 200 else JSONResponse(DoorSilent.model_validate(answer).model_dump(mode="json"), status)


# --- members and bookings -----------------------------------------------------------------------------------------


@api.post(
    "/members",
    response_description="the member",
    status_code=201,
    response_model=MemberAnswer,
    responses=answers(*BODY, links={201: THE_MEMBER}),
)
def add_member(body: MemberBody, state: State) -> dict:
    """Register a member (stand-in: sign-up happens elsewhere)."""
    return state.add_member(body.name, body.plan).public()


@api.get(
    "/members/{member}", response_description="the member", response_model=MemberAnswer, responses=answers(INVALID, 404)
)
def get_member(member: MemberNumber, state: State) -> dict:
    """One member."""
    return state.member(member).public()


@api.post(
    "/members/{member}/pass",
    response_description="a fresh pass",
    status_code=201,
    response_model=PassIssued,
    responses=answers(*BODY, 404, 409),
)
def member_pass(member: MemberNumber, body: PassRequest, state: State) -> dict:
    """A fresh member pass (90 s) for the phone, bound to the facility when given."""
    text, issued = state.mint_pass(member, body.facility_id)
    return {"pass": text, "pass_id": issued.pass_id.hex(), "expires": issued.expires}


@api.get(
    "/members/{member}/reservations/{reservation}/door-passes",
    response_description="the booking's door passes",
    response_model=DoorPassesIssued,
    responses=answers(INVALID, 404),
)
def door_passes(member: MemberNumber, reservation: ReservationNumber, state: State) -> dict:
    """The booking's passes for the booker's phone, to show at the door's reader while offline (docs/doors.md)."""
    issued = state.door_passes(member, reservation)
    return {
        "passes": [
            {"pass": text, "pass_id": p.pass_id.hex(), "not_before": p.not_before, "expires": p.expires}
            for text, p in issued
        ]
    }


@api.post(
    "/reservations",
    status_code=201,
    response_description="the reservation",
    response_model=ReservationItem,
    responses=answers(*BODY, 403, 404, 409, links={201: THE_BOOKING}),
)
def book(body: BookingBody, service: Service, tasks: BackgroundTasks) -> dict:
    """Book a room under the booking rules; the site's doors are told once the answer is out."""
    record = service.state.book(
        body.member_id, body.facility_id, body.room_id, body.starts_at, body.ends_at, body.guests
    )
    tasks.add_task(service.announce_reservations, record.facility_id)
    return record.public()


@api.delete(
    "/reservations/{reservation}",
    response_description="the cancelled reservation",
    response_model=ReservationItem,
    responses=answers(INVALID, 404, 409),
)
def cancel(
    reservation: ReservationNumber,
    member_id: Annotated[
        int, Query(ge=1, lt=2**63, description="the booker: only their own booking", examples=[1003]), Digits
    ],
    service: Service,
    tasks: BackgroundTasks,
) -> dict:
    """Cancel a booking, up to 2 hours before its start; the site's doors are told once the answer is out."""
    record = service.state.cancel(reservation, member_id)
    tasks.add_task(service.announce_reservations, record.facility_id)
    return record.public()


@api.post(
    "/desk-checkins",
    response_description="the kiosk's verdict",
    response_model=KioskAnswer,
    responses=answers(*BODY, 403, 404, 503, more={202: (KioskAnswer, "pending: the kiosk has not answered yet")}),
)
def desk_checkin(body: DeskCheckinBody, service: Service, response: Response) -> dict:
    """The app submits the front-desk code it scanned; the kiosk's verdict comes back."""
    status, answer = service.desk_checkin(body.member_id, body.code)
    response.status_code = status
    return answer


# --- stand-in only: fault switches and key rotation (never affected by the fault switches) --------------------------


@api.get(
    "/_sim/faults",
    response_description="the switch's position",
    response_model=FaultState,
    responses=answers(switched=False),
)
def get_faults(server: Server) -> dict:
    """The fault switch's position."""
    return server.faults.setting.public()


@api.put(
    "/_sim/faults",
    response_description="the mode now on",
    response_model=FaultSet,
    responses=answers(*BODY, switched=False),
)
def set_faults(body: FaultBody, server: Server, tasks: BackgroundTasks) -> dict:
    """Turn a fault on (`none` clears); `unreachable` closes the port for `seconds` once the answer is out."""
    if body.mode is Fault.NONE:
        server.faults.clear()
    elif body.mode is Fault.UNREACHABLE:
        tasks.add_task(server.cut_off(body.seconds))
    else:
        server.faults.set(body.mode, body.count, body.retry_after, body.hang_seconds, body.status, body.item, body.path)
    return {"mode": body.mode}


@api.get(
    "/_sim/keys",
    response_description="where the rotation stands",
    response_model=KeyStatus,
    responses=answers(switched=False),
)
def key_status(state: State) -> dict:
    """Where a key rotation stands: set version, the key signing now, certified and revoked keys."""
    return state.key_set.status()


@api.post(
    "/_sim/keys",
    response_description="where the rotation stands after the step, with the key it was about",
    response_model=KeyStatus,
    responses=answers(*BODY, 404, 409, switched=False),
)
def rotate_keys(step: Annotated[KeyStep, Body()], service: Service) -> dict:
    """One step of a key rotation (docs/platform-api.md, 'Stand-in only: rotating keys')."""
    if isinstance(step, AddKey):
        return service.add_signing_key(not_before=step.not_before, not_after=step.not_after)
    if isinstance(step, SignWith):
        return service.sign_with(step.key_id)
    return service.revoke_signing_key(step.key_id)


# --- refusals in the platform's error shape -------------------------------------------------------------------------

PLACES = {  # where a value was: in English before its name, in Japanese before の and its name
    "body": ("", "本文"),
    "query": ("query parameter ", "クエリ"),
    "path": ("path ", "パス"),
    "header": ("header ", "ヘッダー"),
}
PROBLEMS_JA = {
    "missing": "必須です",
    "json_invalid": "JSON として読めません",
    "extra_forbidden": "この項目は受け付けません",
    "int_parsing": "整数で指定してください",
    "int_type": "整数で指定してください",
    "int_from_float": "整数で指定してください",
    "value_error": "値が正しくありません",
    "greater_than": "範囲外です",
    "greater_than_equal": "範囲外です",
    "less_than": "範囲外です",
    "less_than_equal": "範囲外です",
    "string_too_short": "長さが範囲外です",
    "string_too_long": "長さが範囲外です",
    "string_pattern_mismatch": "形式が正しくありません",
    "enum": "使用できない値です",
    "literal_error": "使用できない値です",
    "union_tag_invalid": "使用できない値です",
    "names_nothing": "member_id、pass_id、key_id のどれかを指定してください",
}


def invalid(problem: dict) -> ApiError:
    """One validation problem as the platform's 422 `bad_request`, naming the value in English and Japanese."""
    place, *inside = [str(part) for part in problem["loc"]]
    en_place, ja_place = PLACES.get(place, ("", ""))
    name = ".".join(inside)
    en = f"{en_place}{name}" if name else "the body"
    ja = f"{ja_place}の {name}" if name else ja_place
    if problem["type"] == "json_invalid" and "recursion" in problem["msg"]:
        return ApiError(INVALID, "bad_request", "the body is nested too deeply", "リクエストの本文の入れ子が深すぎます")
    if problem["type"] == "json_invalid":
        return ApiError(INVALID, "bad_request", "the body is not JSON", "リクエストの本文が JSON として読めません")
    said = PROBLEMS_JA.get(problem["type"], "値が正しくありません")
    return ApiError(
        INVALID,
        "bad_request",
        f"{en}: {problem['msg'].removeprefix('Value error, ')}",
        f"リクエストが不正です（{ja}: {said}）",
    )


async def _refused(request: Request, exc: ApiError) -> Response:
    """A refusal of the platform's own: its status and its words."""
    return JSONResponse(exc.body(), exc.status)


async def _invalid(request: Request, exc: RequestValidationError) -> Response:
    """A body, path, header or query value the contract does not allow: the first problem, named."""
    refusal = invalid(exc.errors()[0])
    return JSONResponse(refusal.body(), refusal.status)


def allowed(scope: dict) -> list[str]:
    """The methods the path answers to (the Allow header of a 405), over every operation on it."""
    return sorted(
        {
            method
            for route in api.routes
            if isinstance(route, APIRoute) and route.matches(scope)[0] is not Match.NONE
            for method in route.methods or ()
        }
    )


async def _http(request: Request, exc: HTTPException) -> Response:
    """Starlette's own refusals (no such path, a method the path does not answer to) in the error shape."""
    if exc.status_code == 404:
        return JSONResponse(ApiError.not_found("route", request.url.path).body(), 404)
    if exc.status_code == 405:
        methods = ", ".join(allowed(dict(request.scope)))
        refusal = ApiError(405, "method_not_allowed", f"use {methods}", f"{methods} を使用してください")
        return JSONResponse(refusal.body(), 405, headers={"Allow": methods})
    refusal = ApiError(exc.status_code, "http_error", str(exc.detail), "リクエストを処理できません")
    return JSONResponse(refusal.body(), exc.status_code, headers=exc.headers)


async def _crashed(request: Request, exc: Exception) -> Response:
    """A fault of the stand-in itself: 500 `internal` in the error shape (uvicorn logs the traceback)."""
    return JSONResponse(ApiError(500, "internal", "unexpected error", "予期しないエラー").body(), 500)


HANDLERS: dict[int | type[Exception], Callable[[Request, Any], Coroutine[Any, Any, Response]]] = {
    ApiError: _refused,
    RequestValidationError: _invalid,
    HTTPException: _http,
    Exception: _crashed,
}

# --- the app and its OpenAPI document ---------------------------------------------------------------------------------

DESCRIPTION = (
    "The contract of docs/platform-api.md, generated from the stand-in platform's FastAPI app "
    "(simulator/platform/api.py) by scripts/make_openapi.py: do not edit by hand. The stand-in implements all of "
    "it; /_sim paths exist only there. Any status other than 2xx carries the error shape "
    "{error, message_en, message_ja}; the fault switches (PUT /_sim/faults) can also make the stand-in answer "
    "outside this document on purpose (an HTML page, [], a hang, a closed connection)."
)


def create_app(service: PlatformService | None = None, server: Switchboard | None = None) -> FastAPI:
    """The API as an ASGI app (without a service it can only describe itself: scripts/make_openapi.py)."""
    app = FastAPI(
        title="officepass platform (as the facility edge uses it)",
        version="1",
        openapi_url=None,  # the document is a file (docs/platform-openapi.yaml), not an undocumented route
        docs_url=None,
        redoc_url=None,
        redirect_slashes=False,
        separate_input_output_schemas=True,
        exception_handlers=HANDLERS,
    )
    app.include_router(api)
    app.state.service = service
    app.state.server = server
    return app


def openapi_document(app: FastAPI | None = None) -> dict[str, Any]:
    """The app's OpenAPI document, its paths relative to the base URL (which ends in /v1)."""
    app = app or create_app()
    document = get_openapi(
        title=app.title,
        version=app.version,
        description=DESCRIPTION,
        routes=api.routes,
        servers=[{"url": SERVER_URL, "description": "the stand-in platform (officepass-sim platform)"}],
        separate_input_output_schemas=True,
    )
    document["paths"] = {path.removeprefix(BASE_PATH): item for path, item in document["paths"].items()}
    for item in document["paths"].values():
        for operation in item.values():
            # FastAPI documents its own 422 for an operation with inputs; the platform's 422 has the platform's shape.
            if operation["responses"].get("422", {}).get("description") == "Validation Error":
                del operation["responses"]["422"]
    for name in ("HTTPValidationError", "ValidationError"):
        document["components"]["schemas"].pop(name, None)
    return _whole(document)


def _whole(value: Any) -> Any:
    """A JSON value with its whole-number floats as integers (5.0 is JSON Schema's integer 5; and FastAPI's OpenAPI
    model writes pydantic's bounds, `minimum: 1` of an integer, as floats)."""
    if isinstance(value, dict):
        return {key: _whole(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_whole(item) for item in value]
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value
