"""The platform contract has one home (facility/contract.py): the OpenAPI file and the stand-in agree with it."""

from __future__ import annotations

import uuid

from facility import contract
from facility.contract import (
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


def test_the_openapi_file_carries_the_contract_s_schemas_as_generated() -> None:
    assert contract.openapi_schemas_block() in OPENAPI, "run: .venv/bin/python scripts/make_openapi.py"


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
                target = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]] if "$ref" in schema else schema
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
