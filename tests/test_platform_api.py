"""The stand-in platform's REST contract (docs/platform-api.md), over real HTTP on loopback."""

from __future__ import annotations

import base64
import uuid
from datetime import datetime, timedelta

import pytest
import requests
import yaml
from fastapi.routing import APIRoute

from facility.models import Plan
from facility.platform import PlatformError
from facility.reasons import Reason
from facility.rules.calendar import TOKYO
from facility.tokens import Keyring, MemberPass, Revocations, verify_member_pass
from simulator.phone import AppClient, Phone
from simulator.platform.api import api as routes
from simulator.platform.errors import ApiError
from simulator.runtime import RunningPlatform
from tests.conftest import CONFIG_DIR


@pytest.fixture
def api(offline_platform: RunningPlatform) -> AppClient:
    """A client of the running platform."""
    return AppClient(offline_platform.server.url, timeout=5)


def refusal(call) -> PlatformError:
    """The platform's refusal of a call that must fail."""
    with pytest.raises(PlatformError) as refused:
        call()
    return refused.value


@pytest.fixture
def clock(offline_platform: RunningPlatform):
    """The platform's clock (the test's wall clock): passes are judged and bookings placed on it."""
    return offline_platform.state.clock


def soon(clock, minutes: float) -> datetime:
    """A moment minutes from now on the platform's clock, in Tokyo."""
    return clock.now().astimezone(TOKYO) + timedelta(minutes=minutes)


def test_keys_verify_the_passes_the_platform_mints(api: AppClient, clock) -> None:
    ring = Keyring()
    for key in api.call("GET", "/keys")["keys"]:
        ring.trust(key["key_id"], base64.b64decode(key["public_key"]), set(key["purposes"]))
    text = Phone(1004, api).show_pass("kaikatsu-ikebukuro")
    member_pass = verify_member_pass(text, ring, clock.now().timestamp(), facility_id="kaikatsu-ikebukuro")
    assert isinstance(member_pass, MemberPass)
    assert (member_pass.member_id, member_pass.plan, member_pass.name) == (
        1004,
        Plan.CORPORATE,
        "田中",
    )  # the family name (docs/tokens.md)
    assert not member_pass.first_visit_at_chain  # the seed says 1004 has visited kaikatsu


def test_first_visit_at_a_chain_travels_in_the_pass_until_a_check_in_is_recorded(api: AppClient, clock) -> None:
    ring = Keyring()
    key = api.call("GET", "/keys")["keys"][0]
    ring.trust("p", base64.b64decode(key["public_key"]), {"member_pass"})
    first = verify_member_pass(Phone(1002, api).show_pass("kaikatsu-ikebukuro"), ring, clock.now().timestamp())
    assert first.first_visit_at_chain
    assert (
        post_checkin(
            api, str(uuid.uuid4()), {"member_id": 1002, "at": soon(clock, 0).isoformat()}, "kaikatsu-ikebukuro"
        ).status_code
        == 201
    )
    again = verify_member_pass(Phone(1002, api).show_pass("kaikatsu-ikebukuro"), ring, clock.now().timestamp())
    assert not again.first_visit_at_chain


def test_a_member_with_a_long_name_still_gets_a_pass(api: AppClient, clock) -> None:
    member = api.add_member("グエン・ヴァン・アレクサンドラ・山田", "corporate")["member_id"]
    ring = Keyring()
    ring.trust("p", base64.b64decode(api.call("GET", "/keys")["keys"][0]["public_key"]), {"member_pass"})
    shown = verify_member_pass(Phone(member, api).show_pass(), ring, clock.now().timestamp())
    assert shown.name == "グエン・ヴァン・アレ"


def test_revoking_a_member_shows_in_revocations(api: AppClient, clock) -> None:
    assert api.call("GET", "/revocations")["member_ids"] == []
    assert api.call("POST", "/revocations", {"member_id": 1002})["member_ids"] == [1002]
    revoked = Revocations(member_ids=frozenset(api.call("GET", "/revocations")["member_ids"]))
    ring = Keyring()
    ring.trust("p", base64.b64decode(api.call("GET", "/keys")["keys"][0]["public_key"]), {"member_pass"})
    result = verify_member_pass(Phone(1002, api).show_pass(), ring, clock.now().timestamp(), revocations=revoked)
    assert result.reason is Reason.REVOKED


def test_members_are_registered_and_read_back(api: AppClient) -> None:
    made = api.add_member("山本 さくら", "individual_premium")
    assert made["status"] == 201 and made["name"] == "山本 さくら"
    assert api.call("GET", f"/members/{made['member_id']}")["plan"] == "individual_premium"
    assert refusal(lambda: api.add_member("x", "gold")).status == 422
    assert refusal(lambda: api.call("GET", "/members/99999")).status == 404


def test_facility_settings_are_public_parts_of_the_file(api: AppClient) -> None:
    settings = api.call("GET", "/facilities/kaikatsu-ikebukuro/settings")
    assert settings["rules"]["max_checkins_per_day"] == 1 and settings["hours"]["fri"] == ["00:00-24:00"]
    assert "tokens" not in settings and "kiosk" not in settings
    assert refusal(lambda: api.call("GET", "/facilities/nowhere/settings")).status == 404


def test_a_pass_for_a_facility_the_platform_does_not_hold_is_a_conflict_not_a_missing_member(api: AppClient) -> None:
    refused = refusal(lambda: api.call("POST", "/members/1001/pass", {"facility_id": "nowhere"}))
    assert (refused.status, refused.body["error"]) == (409, "unknown_facility")  # the member is there: no 404


def tonight(clock, hour: int, minute: int = 0) -> datetime:
    """Today's hour:minute in Tokyo on the platform's clock (hours past 24 run into tomorrow)."""
    midnight = clock.now().astimezone(TOKYO).replace(hour=0, minute=0, second=0, microsecond=0)
    return midnight + timedelta(hours=hour, minutes=minute)


def test_booking_rules_are_enforced_where_bookings_are_made(api: AppClient, clock) -> None:
    phone = Phone(1002, api)
    made = phone.book("h1t-shibuya", "booth-b", soon(clock, 60), 60)
    assert made["status"] == 201 and not made["cancelled"]
    cases = [
        (lambda: phone.book("h1t-shibuya", "booth-b", soon(clock, 8 * 24 * 60), 60), 409, Reason.BOOKING_TOO_EARLY),
        (lambda: phone.book("h1t-shibuya", "booth-b", soon(clock, -5), 60), 409, Reason.BOOKING_IN_PAST),
        (lambda: phone.book("h1t-shibuya", "booth-b", soon(clock, 600), 20), 409, Reason.BOOKING_TOO_SHORT),
        (lambda: phone.book("h1t-shibuya", "booth-b", soon(clock, 90), 60), 409, Reason.ROOM_TAKEN),
        (lambda: phone.book("h1t-shibuya", "booth-b", tonight(clock, 21), 60), 409, Reason.BOOKING_OUTSIDE_HOURS),
        (lambda: phone.book("h1t-shibuya", "booth-b", tonight(clock, 20, 30), 60), 409, Reason.BOOKING_OUTSIDE_HOURS),
        (lambda: phone.book("h1t-shibuya", "booth-b", tonight(clock, 7 + 24), 60), 409, Reason.BOOKING_OUTSIDE_HOURS),
    ]
    for call, status, reason in cases:
        refused = refusal(call)
        assert (refused.status, refused.body["error"]) == (status, reason.code)
        assert refused.body["message_ja"] == reason.ja
    assert refusal(lambda: phone.book("h1t-shibuya", "private-1", soon(clock, 60), 60)).status == 404


def test_cancellation_closes_two_hours_before_and_changes_are_listed_since_a_cursor(api: AppClient, clock) -> None:
    phone = Phone(1002, api)
    cursor = api.call("GET", "/facilities/h1t-shibuya/reservations", since=0)["cursor"]
    late = phone.book("h1t-shibuya", "booth-b", soon(clock, 90), 60)
    refused = refusal(lambda: phone.cancel(late["reservation_id"]))
    assert (refused.status, refused.body["error"]) == (409, Reason.CANCEL_TOO_LATE.code)
    early = phone.book("h1t-shibuya", "booth-b", soon(clock, 180), 60)
    assert phone.cancel(early["reservation_id"])["cancelled"]
    changed = api.call("GET", "/facilities/h1t-shibuya/reservations", since=cursor)
    assert [(r["reservation_id"], r["cancelled"]) for r in changed["reservations"]] == [
        (late["reservation_id"], False),
        (early["reservation_id"], True),
    ]
    assert api.call("GET", "/facilities/h1t-shibuya/reservations", since=changed["cursor"])["reservations"] == []
    assert refusal(lambda: Phone(1003, api).cancel(late["reservation_id"])).status == 404


def post_checkin(
    api: AppClient, key: str | None, body: dict, facility: str = "regus-shinjuku-south"
) -> requests.Response:
    """POST a check-in as the kiosk's outbox does."""
    headers = {"Idempotency-Key": key} if key else {}
    return requests.post(f"{api.base_url}/facilities/{facility}/checkins", json=body, headers=headers, timeout=5)


def test_the_same_idempotency_key_records_one_check_in_and_answers_the_same(api: AppClient) -> None:
    key, body = str(uuid.uuid4()), {"member_id": 1001, "at": "2026-11-24T10:00:00+09:00", "kind": "check_in"}
    first, second = post_checkin(api, key, body), post_checkin(api, key, body)
    assert (first.status_code, second.status_code) == (201, 200)
    assert first.json() == second.json()
    assert len(api.call("GET", "/facilities/regus-shinjuku-south/checkins")["checkins"]) == 1
    assert post_checkin(api, key, body | {"member_id": 1002}).status_code == 409
    assert post_checkin(api, None, body).status_code == 422
    assert post_checkin(api, str(uuid.uuid4()), {"member_id": 1001, "at": "yesterday"}).status_code == 422


def test_occupancy_is_stored(api: AppClient) -> None:
    answer = api.call(
        "PUT", "/facilities/regus-shinjuku-south/occupancy", {"members_in": 12, "companions_in": 2, "vacancy": "vacant"}
    )
    assert answer["members_in"] == 12 and "received_at" in answer
    assert (
        refusal(lambda: api.call("PUT", "/facilities/regus-shinjuku-south/occupancy", {"members_in": "a"})).status
        == 422
    )


def test_malformed_requests_get_clear_errors(api: AppClient) -> None:
    url = api.base_url
    not_json = requests.post(
        f"{url}/members", data=b"{not json", headers={"Content-Type": "application/json"}, timeout=5
    )
    assert (not_json.status_code, not_json.json()["error"]) == (422, "bad_request")
    assert requests.get(f"{url}/nothing-here", timeout=5).status_code == 404
    assert requests.delete(f"{url}/keys", timeout=5).status_code == 405
    assert requests.post(f"{url}/members", data=b"x" * 70_000, timeout=5).status_code == 413
    assert all(k in not_json.json() for k in ("message_en", "message_ja"))


def test_unlock_and_desk_check_in_need_the_broker(api: AppClient) -> None:
    refused = refusal(lambda: Phone(1003, api).unlock("h1t-shibuya", "booth-a"))
    assert (refused.status, refused.body["error"]) == (503, "broker_unavailable")


def test_every_operation_the_app_serves_is_in_the_openapi_file() -> None:
    spec = yaml.safe_load((CONFIG_DIR.parent / "docs" / "platform-openapi.yaml").read_text(encoding="utf-8"))
    assert len(routes.routes) == 24
    for route in routes.routes:
        assert isinstance(route, APIRoute)
        path = route.path.removeprefix("/v1")
        for method in route.methods:
            assert method.lower() in spec["paths"].get(path, {}), f"{method} {path} is not documented"


def refused_as_bad_request(answer: requests.Response, names: str) -> None:
    """A 422 `bad_request` in the platform's error shape, naming the value in both languages."""
    body = answer.json()
    assert (answer.status_code, body["error"]) == (422, "bad_request"), answer.text
    assert names in body["message_en"] and names in body["message_ja"], body
    assert body["message_ja"].startswith("リクエストが不正です"), body


@pytest.mark.parametrize(
    ("method", "path", "body", "names"),
    [
        ("PUT", "/facilities/regus-shinjuku-south/occupancy", {"members_in": False}, "members_in"),
        ("PUT", "/facilities/regus-shinjuku-south/occupancy", {"members_in": "3"}, "members_in"),
        ("PUT", "/facilities/regus-shinjuku-south/occupancy", {"members_in": 2.5}, "members_in"),
        ("PUT", "/facilities/regus-shinjuku-south/occupancy", {"members_in": 3, "guests": 1}, "guests"),
        ("PUT", "/facilities/regus-shinjuku-south/occupancy", {}, "members_in"),
        ("POST", "/members", {"name": "山本", "plan": "gold"}, "plan"),
        ("POST", "/reservations", {"member_id": True, "facility_id": "h1t-shibuya"}, "member_id"),
        ("POST", "/members/1001/pass", {"facility_id": 7}, "facility_id"),
        ("POST", "/desk-checkins", {"member_id": 1001, "code": ""}, "code"),
        ("POST", "/revocations", {"pass_id": "xyz"}, "pass_id"),
        ("POST", "/revocations", {}, "member_id"),
        ("PUT", "/_sim/faults", {"mode": "hang", "hang_seconds": 1e9}, "hang_seconds"),
        ("POST", "/_sim/keys", {"action": "sign_with", "key_id": "not-hex!"}, "key_id"),
    ],
)
def test_a_bad_body_is_refused_before_anything_is_done_naming_the_field(
    api: AppClient, method: str, path: str, body: dict, names: str
) -> None:
    refused_as_bad_request(requests.request(method, f"{api.base_url}{path}", json=body, timeout=5), names)


@pytest.mark.parametrize("depth", [40, 400, 1000, 30_000])  # 30,000: 60 kB, under the 64 KiB a body may be
@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/members"),
        ("PUT", "/_sim/faults"),
        ("POST", "/_sim/keys"),
        ("POST", "/facilities/h1t-shibuya/checkins"),
    ],
)
def test_a_body_nested_deeper_than_any_contract_is_a_bad_request_never_a_500(
    api: AppClient, method: str, path: str, depth: int
) -> None:
    nested = "[" * depth + "]" * depth
    answer = requests.request(
        method,
        f"{api.base_url}{path}",
        data=nested,
        headers={"Content-Type": "application/json", "Idempotency-Key": str(uuid.uuid4())},
        timeout=10,
    )
    body = answer.json()
    assert (answer.status_code, body["error"]) == (422, "bad_request"), answer.text
    assert body["message_en"] != "the body is not JSON"  # it is JSON: what is wrong is its shape or its depth
    assert requests.get(f"{api.base_url}/keyset", timeout=5).status_code in (200, 404)  # still serving


def test_a_whole_number_written_as_5_0_in_a_body_is_the_integer_5(api: AppClient) -> None:
    stored = requests.put(
        f"{api.base_url}/facilities/regus-shinjuku-south/occupancy", json={"members_in": 5.0}, timeout=5
    )
    assert stored.status_code == 200 and stored.json()["members_in"] == 5  # JSON Schema's integer, as documented


@pytest.mark.parametrize(
    ("path", "names"),
    [
        ("/facilities/h1t-shibuya/reservations?since=", "since"),
        ("/facilities/h1t-shibuya/reservations?since=-1", "since"),
        ("/facilities/h1t-shibuya/reservations?since=1.0", "since"),
        ("/facilities/h1t-shibuya/reservations?since=abc", "since"),
        ("/members/1001.0", "member"),
        ("/members/0", "member"),
        ("/facilities/Not_An_Id/settings", "facility"),
    ],
)
def test_a_bad_query_or_path_value_is_refused_naming_it(api: AppClient, path: str, names: str) -> None:
    refused_as_bad_request(requests.get(f"{api.base_url}{path}", timeout=5), names)


def test_a_member_number_is_written_in_digits_and_a_missing_one_is_said_to_be_missing(api: AppClient) -> None:
    url = f"{api.base_url}/reservations/5001"
    written_as_a_float = requests.delete(url, params={"member_id": "457998854246137.0"}, timeout=5)
    refused_as_bad_request(written_as_a_float, "member_id")
    assert "digits" in written_as_a_float.json()["message_en"]  # not 'required': it was given, wrongly written
    missing = requests.delete(url, timeout=5)
    refused_as_bad_request(missing, "member_id")
    assert "required" in missing.json()["message_en"]
    assert requests.delete(url, params={"member_id": "1002"}, timeout=5).status_code == 404  # not theirs


def test_an_empty_since_is_refused_and_a_missing_one_lists_everything(api: AppClient) -> None:
    url = f"{api.base_url}/facilities/h1t-shibuya/reservations"
    assert requests.get(url, params={"since": ""}, timeout=5).status_code == 422
    everything = requests.get(url, timeout=5)
    assert (
        everything.status_code == 200 and everything.json() == requests.get(url, params={"since": 0}, timeout=5).json()
    )


def test_an_undeclared_method_is_a_405_naming_every_method_of_the_path(api: AppClient) -> None:
    answer = requests.delete(f"{api.base_url}/revocations", timeout=5)
    assert (answer.status_code, answer.headers["Allow"], answer.json()["error"]) == (
        405,
        "GET, POST",
        "method_not_allowed",
    )
    assert requests.head(f"{api.base_url}/keys", timeout=5).status_code == 405  # HEAD is not part of the API


@pytest.mark.parametrize(
    ("window", "status", "error"),
    [
        ({"not_before": 10**30}, 422, "bad_request"),
        ({"not_before": 2_000_000_000, "not_after": 1_900_000_000}, 409, "key_window_empty"),
    ],
    ids=["huge", "ends before it begins"],
)
def test_a_key_window_no_site_could_take_is_refused_and_the_key_set_stays_served(
    api: AppClient, offline_platform: RunningPlatform, window: dict, status: int, error: str
) -> None:
    url = f"{api.base_url}/_sim/keys"
    before = requests.get(url, timeout=5).json()
    answer = requests.post(url, json={"action": "add_key", **window}, timeout=5)
    assert (answer.status_code, answer.json()["error"]) == (status, error)
    assert "not_before" in answer.json()["message_en"] and "not_before" in answer.json()["message_ja"]
    assert requests.get(url, timeout=5).json() == before  # nothing was stored
    keyset = requests.get(f"{api.base_url}/keyset", timeout=5)
    assert keyset.status_code == 200 and keyset.json()["keyset"]["version"] == before["version"]
    with pytest.raises(ApiError) as in_process:  # a bench calling the service directly is refused the same way
        offline_platform.service.add_signing_key(not_before=2**41)
    assert in_process.value.status == 422
    assert requests.get(f"{api.base_url}/keyset", timeout=5).status_code == 200


def test_a_full_key_set_refuses_one_more_key(api: AppClient) -> None:
    url = f"{api.base_url}/_sim/keys"
    answers = [requests.post(url, json={"action": "add_key"}, timeout=5) for _ in range(64)]
    assert [a.status_code for a in answers].count(200) == 63  # the signing key and 63 more: the contract's 64
    assert (answers[-1].status_code, answers[-1].json()["error"]) == (409, "key_set_full")
    assert len(requests.get(f"{api.base_url}/keyset", timeout=5).json()["keyset"]["keys"]) == 64
