"""The platform contract has one home (facility/contract.py): the OpenAPI file and the stand-in agree with it."""

from __future__ import annotations

import importlib.util
import uuid

import yaml
from pydantic.json_schema import models_json_schema

from facility import contract
from facility.contract import (
    Body,
    CheckInBody,
    CheckInRecorded,
    KeysAnswer,
    OccupancyAnswer,
    OccupancyBody,
    ReservationsAnswer,
    RevocationsAnswer,
    SettingsAnswer,
    read_reservation,
)
from facility.platform import PlatformClient
from tests.conftest import REPO
from tests.rulebook import REGUS, at

OPENAPI = (REPO / "docs" / "platform-openapi.yaml").read_text(encoding="utf-8")
SPEC = yaml.safe_load(OPENAPI)


def make_openapi():
    """The script that writes the OpenAPI file from the stand-in's FastAPI app."""
    spec = importlib.util.spec_from_file_location("make_openapi", REPO / "scripts" / "make_openapi.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_committed_openapi_file_is_what_the_app_generates() -> None:
    assert make_openapi().openapi_text() == OPENAPI, "run: .venv/bin/python scripts/make_openapi.py"


def test_the_openapi_file_carries_the_contract_s_models_as_pydantic_writes_them() -> None:
    components = SPEC["components"]["schemas"]
    for model in contract.OPENAPI_MODELS:
        if model is contract.OccupancyAnswer:
            assert components["OccupancyStored"]["required"] == ["members_in", "received_at"]  # answered in full
            continue
        mode = "validation" if issubclass(model, Body) else "serialization"  # bodies are read, answers written
        _, top = models_json_schema([(model, mode)], ref_template="#/components/schemas/{model}")
        for name, schema in top["$defs"].items():
            assert components[name] == without_null_defaults(schema), name


def without_null_defaults(schema: object) -> object:
    """A JSON schema as FastAPI's OpenAPI model writes it: `default: null` is left out (null is no default)."""
    if isinstance(schema, dict):
        return {key: without_null_defaults(value) for key, value in schema.items() if (key, value) != ("default", None)}
    if isinstance(schema, list):
        return [without_null_defaults(item) for item in schema]
    return schema


def test_the_openapi_file_is_valid_openapi() -> None:
    from openapi_spec_validator import validate
    from openapi_spec_validator.readers import read_from_filename

    spec, _ = read_from_filename(str(REPO / "docs" / "platform-openapi.yaml"))
    validate(spec)  # raises, naming the place, when it is not


def test_every_body_sent_to_the_platform_has_a_typed_schema() -> None:
    from openapi_spec_validator.readers import read_from_filename

    spec, _ = read_from_filename(str(REPO / "docs" / "platform-openapi.yaml"))
    for path, operations in spec["paths"].items():
        for method in ("post", "put"):
            if method in operations:
                schema = operations[method]["requestBody"]["content"]["application/json"]["schema"]
                for choice in schema.get("oneOf", [schema]):  # one of several steps (POST /_sim/keys)
                    target = spec["components"]["schemas"][choice["$ref"].rsplit("/", 1)[1]]
                    assert target.get("additionalProperties") is False, (method, path)
                    assert all(
                        "type" in field or "$ref" in field or "anyOf" in field or "description" in field
                        for field in target["properties"].values()
                    ), (method, path)


def test_every_path_of_the_contract_is_in_the_openapi_file() -> None:
    paths = [
        contract.KEYS,
        contract.KEYSET,
        contract.REVOCATIONS,
        contract.MEMBERS,
        contract.RESERVATIONS,
        contract.DESK_CHECKINS,
        contract.settings_path("{facility}"),
        contract.reservations_path("{facility}"),
        contract.checkins_path("{facility}"),
        contract.door_decisions_path("{facility}"),
        contract.occupancy_path("{facility}"),
        contract.unlock_path("{facility}", "{door}"),
    ]
    for path in paths:
        assert f"\n  {path}:\n" in OPENAPI, path


def test_the_stand_in_platform_answers_as_the_contract_says(offline_platform) -> None:
    client = PlatformClient(REGUS.platform.model_copy(update={"base_url": offline_platform.server.url}))
    assert client.call("GET", contract.KEYS, KeysAnswer).keys[0].key_id == "0075557c"
    assert client.call("GET", contract.REVOCATIONS, RevocationsAnswer).revocations().member_ids == frozenset()
    listed = client.call("GET", contract.reservations_path("h1t-shibuya"), ReservationsAnswer, since=0)
    assert listed.cursor > 0 and all(read_reservation(item).room_id for item in listed.reservations)
    assert (
        client.call("GET", contract.settings_path(REGUS.facility.id), SettingsAnswer).facility["id"]
        == REGUS.facility.id
    )
    body = CheckInBody(member_id=1001, at=at("2026-11-24 10:00"), pass_id="ab12")
    recorded = client.call(
        "POST",
        contract.checkins_path(REGUS.facility.id),
        CheckInRecorded,
        body,
        headers={"Idempotency-Key": str(uuid.uuid4())},
    )
    assert recorded.checkin_id >= 1
    stored = client.call(
        "PUT", contract.occupancy_path(REGUS.facility.id), OccupancyAnswer, OccupancyBody(members_in=3)
    )
    assert stored.members_in == 3
