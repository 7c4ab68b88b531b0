"""lockd end to end: real Mosquitto, the stand-in platform, virtual doors. Every refusal leaves the relay alone."""

from __future__ import annotations

import json
import queue
from datetime import timedelta

import pytest
import requests

from facility.messages import UnlockAnswer
from facility.reasons import Reason
from facility.rules.calendar import since_yesterday
from facility.tokens import SigningKey
from facility.tokens.encoding import from_text, to_text
from messagebus import Inbound
from simulator.phone import AppClient, Phone
from tests.conftest import retained_now
from tests.lockd_site import (
    BOOTH_A_BOOKING,
    MEETING_BOOKING,
    PLATFORM_KEY,
    TOPICS,
    Site,
)


def refused_with(site: Site, answer: dict, reason: Reason, door: str = "booth-a") -> None:
    """The answer is a refusal for reason, the relay never moved, and the refusal is audited."""
    assert (answer["result"], answer["reason"]) == ("refused", reason.code), answer
    assert answer["message_ja"] == reason.ja and answer["message_en"] == reason.en
    assert site.pulses(door) == 0
    site.daemon.write_junk_audit()  # junk (unreadable, forged, retained) is audited in aggregate
    audited = site.daemon.store.audit_rows("refused") + site.daemon.store.audit_rows("refused_junk")
    assert reason.code in [row.reason for row in audited]


def test_a_member_taps_unlock_and_the_door_opens(site: Site) -> None:
    answer = Phone(1003, AppClient(site.platform.server.url)).unlock("h1t-shibuya", "booth-a")
    assert answer["result"] == "opened"
    assert site.pulses() == 1
    (row,) = site.daemon.store.audit_rows("unlock")
    assert (row.door, row.member_id, row.reservation_id) == ("booth-a", 1003, BOOTH_A_BOOKING)
    assert site.next_heard("booth-a/state", where=lambda p: p == b"UNLOCKED")
    assert site.next_heard("booth-a/state", where=lambda p: p == b"LOCKED")  # relocked after the pulse
    assert site.daemon.store.entries_of(1003, since_yesterday(site.clock.now()))[0].reservation_id == BOOTH_A_BOOKING


def test_the_meeting_room_opens_only_for_its_booker(site: Site) -> None:
    refused_with(
        site,
        site.send(site.command("meeting-1", MEETING_BOOKING, member=1003), "meeting-1"),
        Reason.NOT_BOOKER,
        "meeting-1",
    )
    assert site.send(site.command("meeting-1", MEETING_BOOKING, member=1004), "meeting-1")["result"] == "opened"


@pytest.mark.parametrize("aimed_at", ["lockd/alarm", "door/booth-a/state", "lockd/availability"])
def test_an_answer_goes_only_to_the_door_s_reply_topic_whatever_the_command_names(
    site: Site, bus_client, aimed_at: str
) -> None:
    answers: queue.Queue[Inbound] = queue.Queue()
    site.sender.subscribe(TOPICS.reply("booth-a"), answers.put)
    foreign = f"{TOPICS.root}/{aimed_at}"
    site.sender.publish(TOPICS.command("booth-a"), site.command(), response_topic=foreign, correlation=b"misdirected")
    answer = answers.get(timeout=5)
    assert answer.correlation == b"misdirected" and UnlockAnswer.read(answer.payload).result == "opened"
    held = retained_now(bus_client, TOPICS.root + "/#", TOPICS.root + "/marker")
    assert b"opened" not in held.get(foreign, b"")  # what lockd keeps there is still its own


def test_a_replayed_command_is_refused(site: Site) -> None:
    text = site.command()
    assert site.send(text)["result"] == "opened"
    answer = site.send(text)
    assert (answer["result"], answer["reason"]) == ("refused", Reason.REPLAYED.code)
    assert site.pulses() == 1


def test_a_qos1_redelivery_gets_its_answer_again_without_a_second_pulse(site: Site) -> None:
    text = site.command()
    assert site.send(text)["result"] == "opened"
    redelivered = Inbound(TOPICS.command("booth-a"), text.encode(), 1, False, True, None, None, 30, 0.0)
    verdict, new = site.daemon.handler.decide("booth-a", redelivered)
    assert not new and verdict.answer.result == "opened" and site.pulses() == 1


def forged(text: str) -> str:
    """A command signed by another key, claiming the platform key's id."""
    raw = bytearray(from_text(text))
    raw[2:6] = bytes.fromhex(PLATFORM_KEY.key_id)
    return to_text(bytes(raw))


REFUSALS = {
    "retained": (lambda s: s.send(s.command(), retain=True), Reason.RETAINED),
    "expired": (lambda s: s.send(s.command(age=100)), Reason.EXPIRED),
    "signed by an unknown key": (lambda s: s.send(s.command(key=SigningKey.generate())), Reason.UNKNOWN_KEY),
    "forged signature": (lambda s: s.send(forged(s.command(key=SigningKey.generate()))), Reason.BAD_SIGNATURE),
    "for another door": (lambda s: s.send(s.command("booth-a"), door="booth-b"), Reason.WRONG_DOOR),
    "another member's reservation": (lambda s: s.send(s.command(member=1001)), Reason.NOT_BOOKER),
    "no such reservation": (lambda s: s.send(s.command(reservation=999999)), Reason.NO_RESERVATION),
    "garbage": (lambda s: s.send("hello door"), Reason.BAD_FORMAT),
    "binary junk": (lambda s: s.send(b"\xff\xfe\x00"), Reason.BAD_FORMAT),
    "far too long": (lambda s: s.send("A" * 5000), Reason.TOO_LARGE),
}


@pytest.mark.parametrize("case", REFUSALS.values(), ids=REFUSALS.keys())
def test_refusals(site: Site, case) -> None:
    send, reason = case
    door = "booth-b" if reason is Reason.WRONG_DOOR else "booth-a"
    refused_with(site, send(site), reason, door)
    assert site.pulses("booth-a") == 0


def book_booth_b(site: Site, hours: float) -> int:
    """Member 1002 books booth-b some hours ahead; lockd hears of it and syncs."""
    before = site.daemon.sync.sync_count
    start = site.platform.state.clock.now() + timedelta(hours=hours)
    reservation = Phone(1002, AppClient(site.platform.server.url)).book("h1t-shibuya", "booth-b", start, 60)
    site.wait_synced(before)
    return reservation["reservation_id"]


def test_outside_the_reservation_window(site: Site) -> None:
    reservation = book_booth_b(site, 3)
    refused_with(
        site, site.send(site.command("booth-b", reservation, member=1002), "booth-b"), Reason.TOO_EARLY, "booth-b"
    )


def test_a_cancellation_reaches_the_door_at_once(site: Site) -> None:
    reservation = book_booth_b(site, 3)
    before = site.daemon.sync.sync_count
    Phone(1002, AppClient(site.platform.server.url)).cancel(reservation)
    site.wait_synced(before)
    assert site.daemon.store.reservation(reservation).cancelled
    site.clock.shift(3 * 3600)  # even at the booked time, with a command issued then
    refused_with(
        site,
        site.send(site.command("booth-b", reservation, member=1002), "booth-b"),
        Reason.RESERVATION_CANCELLED,
        "booth-b",
    )


def test_over_the_daily_limit(site: Site) -> None:
    now = site.clock.now()
    with site.daemon.store.transaction() as db:
        for n in range(5):  # five uses earlier today, each with its own booking
            site.daemon.store.record_entry(db, 1003, now - timedelta(minutes=5 + n), "booth-b", 7000 + n, True)
    refused_with(site, site.send(site.command()), Reason.DAILY_LIMIT)


def test_an_untrusted_clock_opens_nothing(site: Site) -> None:
    site.clock.shift(-10 * 365 * 24 * 3600)  # a board that booted without its time
    refused_with(site, site.send(site.command()), Reason.CLOCK_UNTRUSTED)


def test_refusals_are_published_as_events_and_audit_rows(site: Site) -> None:
    site.send(site.command(age=100))
    audit = json.loads(site.next_heard("lockd/audit").payload)  # the audit row goes out first
    assert (audit["action"], audit["reason"]) == ("refused", "expired")
    event = json.loads(site.next_heard("booth-a/event", where=lambda p: b"refused" in p).payload)
    assert (event["event"], event["reason"]) == ("refused", "expired")


def test_a_hanging_platform_cannot_stall_the_doors(site: Site) -> None:
    requests.put(f"{site.platform.server.url}/_sim/faults", json={"mode": "hang", "hang_seconds": 30}, timeout=5)
    try:
        # A command for a reservation lockd has never heard of asks for a sync; the platform hangs. The answer
        # still comes within the sender's wait (5 s), and the next door's command right after it opens.
        unknown = site.send(site.command("booth-b", 999_999, member=1002), "booth-b")
        assert (unknown["result"], unknown["reason"]) == ("refused", Reason.NO_RESERVATION.code)
        assert site.send(site.command())["result"] == "opened"
    finally:
        requests.put(f"{site.platform.server.url}/_sim/faults", json={"mode": "none"}, timeout=5)


def test_a_batch_is_decided_as_each_command_alone_would_be(site: Site) -> None:
    earlier = site.command()
    assert site.send(earlier)["result"] == "opened"
    genuine = site.command()

    def arrival(text: str | bytes, door: str = "booth-a", duplicate: bool = False) -> tuple[str, Inbound]:
        payload = text.encode() if isinstance(text, str) else text
        return door, Inbound(TOPICS.command(door), payload, 1, False, duplicate, None, None, 30, 0.0)

    batch = [
        arrival(genuine),
        arrival(site.command("meeting-1", MEETING_BOOKING, member=1004), "meeting-1"),
        arrival(site.command("meeting-1", MEETING_BOOKING, member=1003), "meeting-1"),
        arrival(site.command(age=100)),
        arrival(forged(site.command(key=SigningKey.generate()))),
        arrival("hello door"),
        arrival(b"\xff\xfe"),
        arrival(site.command(key=SigningKey.generate())),
        arrival(genuine),
        arrival(genuine, duplicate=True),
        arrival(earlier),
        arrival(earlier, duplicate=True),
        # for a booking the cache does not hold: set aside, a sync asked for, then decided after the others
        arrival(site.command("booth-b", 999_999, member=1002), "booth-b"),
        arrival(site.command("meeting-1", MEETING_BOOKING, member=1004), "meeting-1"),
    ]
    outcomes = site.daemon.handler.decide_batch(batch)
    seen = [(verdict.answer.result, verdict.answer.reason, new) for verdict, new in outcomes]
    assert seen == [
        ("opened", None, True),
        ("opened", None, True),
        ("refused", "not_booker", True),
        ("refused", "expired", True),
        ("refused", "bad_signature", True),
        ("refused", "bad_format", True),
        ("refused", "bad_format", True),
        ("refused", "unknown_key", True),
        ("refused", "replayed", True),
        ("opened", None, False),
        ("refused", "replayed", True),
        ("opened", None, False),
        ("refused", "no_reservation", True),
        ("opened", None, True),
    ]
    assert [verdict.junk for verdict, _ in outcomes[3:9]] == [False, True, True, True, True, True]


def test_a_relay_that_fails_in_a_batch_leaves_its_opening_waiting_and_the_other_doors_open(
    site: Site, monkeypatch
) -> None:
    def broken(energised: bool) -> None:
        raise OSError("relay board not answering")

    monkeypatch.setattr(site.doors["meeting-1"], "set_relay", broken)
    texts = {"booth-a": site.command(), "meeting-1": site.command("meeting-1", MEETING_BOOKING, member=1004)}
    site.daemon._commands(
        [
            Inbound(TOPICS.command(door), text.encode(), 1, False, False, None, None, 30, 0.0)
            for door, text in texts.items()
        ]
    )
    assert site.pulses("booth-a") == 1
    assert [door for _, door, _, _ in site.daemon.store.awaiting_pulse()] == ["meeting-1"]  # pulsed at the next start
