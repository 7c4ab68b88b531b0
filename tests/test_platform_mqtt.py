"""The platform's flows over a real Mosquitto: unlock commands, desk-code check-ins, change notices."""

from __future__ import annotations

import json
import queue
import time

import pytest
import qrcode

from facility.models import Plan
from facility.platform import PlatformError
from facility.reasons import Reason
from facility.tokens import DeskCode, SigningKey, mint
from facility.tokens.encoding import from_text, to_text
from facility.topics import SiteTopics
from messagebus import Inbound
from simulator.phone import AppClient, Phone
from simulator.runtime import RunningPlatform
from technician.sim_cli import main as sim_main
from tests.conftest import CONFIG_DIR
from tests.rulebook import H1T, KAIKATSU, tomorrow_at_ten
from tests.stand_ins import AnsweringDoor, AnsweringKiosk

H1T_TOPICS = SiteTopics("officepass", "h1t-shibuya")
KIOSK_KEY = SigningKey.load(CONFIG_DIR / "demo-keys" / "kiosk-demo.pem")


@pytest.fixture
def platform(real_time_platform):
    """The platform on the real clock: the stand-in doors and kiosk and the desk codes here use it; no dated rule is
    involved."""
    return real_time_platform


def phone(platform: RunningPlatform, member: int) -> Phone:
    """A member's phone talking to the running platform."""
    return Phone(member, AppClient(platform.server.url, timeout=10))


def desk_code(
    facility: str = "kaikatsu-ikebukuro", kiosk: str = "front-1", key: SigningKey = KIOSK_KEY, age: float = 0
) -> str:
    """The text of the code a kiosk shows now (or age seconds ago)."""
    moment = int(time.time() - age)
    return mint(DeskCode(facility, kiosk, moment // 10, 10), key)


def forged(text: str) -> str:
    """A code signed by another key but claiming the demo kiosk key's id."""
    raw = bytearray(from_text(text))
    raw[2:6] = bytes.fromhex(KIOSK_KEY.key_id)
    return to_text(bytes(raw))


def test_unlock_sends_a_signed_command_with_mqtt5_properties_and_returns_the_door_s_answer(
    platform, bus_client
) -> None:
    door = AnsweringDoor(bus_client(), H1T, "booth-a")
    answer = phone(platform, 1003).unlock("h1t-shibuya", "booth-a")
    assert answer["result"] == "opened" and answer["status"] == 200
    command: Inbound = door.received.get(timeout=5)
    assert command.topic == H1T_TOPICS.command("booth-a")
    assert (command.qos, command.retain) == (1, False)
    assert 0 < command.expiry <= 30
    assert command.response_topic == H1T_TOPICS.door("booth-a", "reply")
    assert command.correlation and len(command.correlation) == 16


def test_a_door_that_does_not_answer_gives_504(platform) -> None:
    answer = phone(platform, 1003).unlock("h1t-shibuya", "booth-a")
    assert (answer["status"], answer["result"]) == (504, "no_answer")


def test_refusals_before_any_command_is_sent(platform, bus_client) -> None:
    door = AnsweringDoor(bus_client(), H1T, "meeting-1")
    for member, door_id, reason in [(1003, "meeting-1", Reason.NOT_BOOKER), (1001, "booth-b", Reason.NO_RESERVATION)]:
        with pytest.raises(PlatformError) as refused:
            phone(platform, member).unlock("h1t-shibuya", door_id)
        assert (refused.value.status, refused.value.body["error"]) == (403, reason.code)
    assert phone(platform, 1004).unlock("h1t-shibuya", "meeting-1")["result"] == "opened"  # the booker
    assert door.received.qsize() == 1


def test_booking_and_cancelling_publish_a_change_notice(platform, bus_client) -> None:
    notices: queue.Queue = queue.Queue()
    bus_client().subscribe(H1T_TOPICS.reservations_changed, notices.put)
    booked = phone(platform, 1002).book("h1t-shibuya", "booth-b", tomorrow_at_ten(platform.state.clock), 60)
    first = notices.get(timeout=5)
    phone(platform, 1002).cancel(booked["reservation_id"])
    second = notices.get(timeout=5)
    assert json.loads(second.payload)["cursor"] > json.loads(first.payload)["cursor"]
    assert (second.retain, second.qos) == (False, 1)


def test_desk_code_check_in_hands_the_kiosk_a_pass_bound_to_its_facility(platform, bus_client) -> None:
    kiosk = AnsweringKiosk(bus_client(), KAIKATSU, "front-1")
    answer = phone(platform, 1003).scan_desk_code(desk_code())
    assert (answer["result"], answer["name"], answer["facility_id"]) == ("admitted", "高橋", "kaikatsu-ikebukuro")
    handed = kiosk.passes.get(timeout=5)
    assert handed.member_id == 1003 and handed.plan is Plan.INDIVIDUAL_BASIC and handed.first_visit_at_chain


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        (lambda: forged(desk_code(key=SigningKey.generate())), Reason.BAD_SIGNATURE),
        (lambda: desk_code(age=60), Reason.EXPIRED),
        (lambda: desk_code(kiosk="front-9"), Reason.UNKNOWN_KEY),
        (lambda: "NOT A DESK CODE", Reason.BAD_FORMAT),
    ],
    ids=["forged", "photo of an old code", "kiosk the platform does not know", "garbage"],
)
def test_bad_desk_codes_are_refused_with_their_reason(platform, code, reason: Reason) -> None:
    with pytest.raises(PlatformError) as refused:
        phone(platform, 1003).scan_desk_code(code())
    assert (refused.value.status, refused.value.body["error"]) == (403, reason.code)


def test_desk_check_in_without_a_kiosk_answer_is_pending(platform) -> None:
    answer = phone(platform, 1003).scan_desk_code(desk_code())
    assert (answer["status"], answer["result"]) == (202, "pending")


def test_a_desk_code_read_from_a_photo_works(platform, bus_client, tmp_path) -> None:
    AnsweringKiosk(bus_client(), KAIKATSU, "front-1")
    qrcode.make(desk_code()).save(tmp_path / "desk.png")
    assert (
        sim_main(
            ["--platform", platform.server.url, "scan-desk", "--member", "1004", "--image", str(tmp_path / "desk.png")]
        )
        == 0
    )
