"""The stand-in platform's OpenAPI file (generated from its FastAPI app): every operation documents every status it
can answer, each with a schema, and what the stand-in really answers keeps to it."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta

import pytest
import requests
import yaml
from openapi_schema_validator import OAS31Validator

from facility.rules.calendar import TOKYO
from simulator.runtime import RunningPlatform
from tests.conftest import REPO

SPEC = yaml.safe_load((REPO / "docs" / "platform-openapi.yaml").read_text(encoding="utf-8"))
OPERATIONS = [
    (method, path, operation)
    for path, item in SPEC["paths"].items()
    for method, operation in item.items()
    if method in ("get", "put", "post", "delete")
]
LABELS = [f"{method.upper()} {path}" for method, path, _ in OPERATIONS]


def resolved(schema: dict) -> dict:
    """A schema from the file, its $refs followed to the component they name."""
    return SPEC["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]] if "$ref" in schema else schema


@pytest.mark.parametrize(("method", "path", "operation"), OPERATIONS, ids=LABELS)
def test_every_answer_of_every_operation_has_a_schema(method: str, path: str, operation: dict) -> None:
    for status, answer in operation["responses"].items():
        schema = answer["content"]["application/json"]["schema"]
        assert "$ref" in schema, f"{status}: an answer is a named model"
        if int(status) >= 400:  # any status other than 2xx carries the error shape
            assert "error" in resolved(schema)["required"], status


@pytest.mark.parametrize(("method", "path", "operation"), OPERATIONS, ids=LABELS)
def test_every_operation_documents_the_refusals_any_request_can_get(method: str, path: str, operation: dict) -> None:
    documented = {int(status) for status in operation["responses"]}
    if "requestBody" in operation:
        assert {422, 413} <= documented  # a bad body, a body too large
    if operation.get("parameters"):
        assert 422 in documented  # a bad path, query or header value
    if not path.startswith("/_sim/"):  # the fault switches answer on every operation but their own
        assert {401, 429, 500} <= documented
        assert "Retry-After" in operation["responses"]["429"]["headers"]


def soon(platform: RunningPlatform, minutes: int) -> str:
    """A moment minutes from now on the platform's clock, in Tokyo, as the body carries it."""
    return (platform.state.clock.now().astimezone(TOKYO) + timedelta(minutes=minutes)).isoformat()


def ask(platform: RunningPlatform, method: str, path: str, **kwargs) -> requests.Response:
    """One request to the stand-in."""
    return requests.request(method, f"{platform.server.url}{path}", timeout=5, **kwargs)


def switch(platform: RunningPlatform, **body) -> None:
    """Set the fault switch."""
    assert ask(platform, "PUT", "/_sim/faults", json=body).status_code == 200


def requests_for_every_answer(platform: RunningPlatform) -> list[tuple[str, str, dict]]:
    """Requests that together draw every kind of answer from the stand-in without a broker: (method, path, how)."""
    key, checkin = str(uuid.uuid4()), {"member_id": 1001, "at": soon(platform, 0)}
    booking = {"member_id": 1002, "facility_id": "h1t-shibuya", "room_id": "booth-b", "ends_at": soon(platform, 240)}
    signing = platform.state.key_set.signing_key.key_id
    unlock = "/facilities/h1t-shibuya/doors/{}/unlock"
    checkins = "/facilities/regus-shinjuku-south/checkins"
    return [
        ("GET", "/keys", {}),
        ("GET", "/keyset", {}),
        ("GET", "/revocations", {}),
        ("POST", "/revocations", {"json": {"member_id": 1004}}),
        ("POST", "/revocations", {"json": {}}),
        ("GET", "/facilities/h1t-shibuya/settings", {}),
        ("GET", "/facilities/nowhere/settings", {}),
        ("GET", "/facilities/h1t-shibuya/reservations", {}),
        ("GET", "/facilities/nowhere/reservations", {}),
        ("PUT", "/facilities/nowhere/occupancy", {"json": {"members_in": 1}}),
        ("PUT", "/facilities/nowhere/occupancy", {"data": b"1" * 70_000}),
        ("POST", checkins, {"json": checkin, "headers": {"Idempotency-Key": key}}),
        ("POST", checkins, {"json": checkin, "headers": {"Idempotency-Key": key}}),
        ("POST", checkins, {"json": checkin | {"member_id": 1002}, "headers": {"Idempotency-Key": key}}),
        ("POST", checkins, {"json": checkin}),
        ("GET", checkins, {}),
        ("GET", "/facilities/nowhere/checkins", {}),
        ("POST", unlock.format("booth-a"), {"json": {"member_id": 1003}}),  # no broker: 503
        ("POST", unlock.format("booth-a"), {"json": {"member_id": 1002}}),  # not their booking: 403
        ("POST", unlock.format("nowhere"), {"json": {"member_id": 1002}}),
        ("POST", "/members", {"json": {"name": "山本 さくら", "plan": "corporate"}}),
        ("GET", "/members/1001", {}),
        ("GET", "/members/99999", {}),
        ("POST", "/members/1001/pass", {"json": {}}),
        ("POST", "/members/99999/pass", {"json": {}}),
        ("POST", "/reservations", {"json": booking | {"starts_at": soon(platform, 180)}}),
        ("POST", "/reservations", {"json": booking | {"starts_at": soon(platform, 190)}}),  # taken: 409
        ("POST", "/reservations", {"json": booking | {"starts_at": soon(platform, -60)}}),  # in the past: 422
        ("POST", "/reservations", {"json": booking | {"starts_at": soon(platform, 180), "room_id": "private-1"}}),
        ("DELETE", "/reservations/5001", {"params": {"member_id": 1003}}),  # it has begun: 422
        ("DELETE", "/reservations/5001", {"params": {"member_id": 1002}}),
        ("POST", "/desk-checkins", {"json": {"member_id": 1001, "code": "forged"}}),
        ("GET", "/_sim/faults", {}),
        ("PUT", "/_sim/faults", {"json": {"mode": "none"}}),
        ("GET", "/_sim/keys", {}),
        ("POST", "/_sim/keys", {"json": {"action": "add_key"}}),
        ("POST", "/_sim/keys", {"json": {"action": "revoke_key", "key_id": signing}}),  # signs now: 409
        ("POST", "/_sim/keys", {"json": {"action": "revoke_key", "key_id": "12345678"}}),
    ]


def operation_of(method: str, path: str) -> dict:
    """The operation of the file a request is for."""
    for template, item in SPEC["paths"].items():
        if re.fullmatch(re.sub(r"\{\w+\}", "[^/]+", template), path.partition("?")[0]):
            return item[method.lower()]
    raise AssertionError(f"{method} {path} is not documented")


def documented(operation: dict, answer: requests.Response) -> None:
    """The answer's status is one the operation documents, and its body keeps to that status's schema."""
    assert str(answer.status_code) in operation["responses"], f"{operation['operationId']}: {answer.status_code}"
    schema = operation["responses"][str(answer.status_code)]["content"]["application/json"]["schema"]
    OAS31Validator(schema | {"components": SPEC["components"]}).validate(answer.json())


def test_every_answer_the_stand_in_gives_is_documented_with_its_schema(offline_platform: RunningPlatform) -> None:
    statuses = set()
    for method, path, how in requests_for_every_answer(offline_platform):
        answer = ask(offline_platform, method, path, **how)
        documented(operation_of(method, path), answer)
        statuses.add(answer.status_code)
    assert statuses == {200, 201, 403, 404, 409, 413, 422, 503}  # each kind drawn


@pytest.mark.parametrize("mode", ["error_500", "rate_limit", "unauthorized"])
def test_what_the_fault_switches_answer_is_documented_too(offline_platform: RunningPlatform, mode: str) -> None:
    for method, path, how in requests_for_every_answer(offline_platform):
        if not path.startswith("/_sim/"):
            switch(offline_platform, mode=mode, count=1)
            documented(operation_of(method, path), ask(offline_platform, method, path, **how))
