"""OSDP readers and relays: lockd's panel (lockd/osdp.py, lockd/osdp_bus.py) and the simulator's reader
(simulator/osdp_reader.py), real libosdp on both sides, over a real pty (and over TCP), Secure Channel enforced."""

from __future__ import annotations

import binascii
import contextlib
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from facility.config.models import Door, DoorReader, Lockd, OsdpBus, OsdpOutput
from facility.errors import ConfigError
from facility.models import Plan
from facility.tokens import MemberPass, SigningKey, facility_tag, mint
from lockd.osdp import (
    PART_SECONDS,
    VENDOR_CODE,
    OsdpDoor,
    OsdpDriver,
    OsdpReader,
    Reassembly,
    frame_parts,
)
from lockd.osdp_bus import panel_for, read_scbk
from lockd.reader import TokenBucket
from simulator.osdp_reader import SimulatedOsdpReader
from technician.panel_state import reader_led_text
from tests.heard import WAIT, HeardByLockd

SLOW_WAIT = 30.0  # libosdp's own timeouts: a cut wire is given up after about 8 s
KEY = bytes.fromhex("00112233445566778899aabbccddeeff")
OTHER_KEY = bytes.fromhex("ffeeddccbbaa99887766554433221100")
# A fixed pass (fixed key, id and times: it is only read, never verified), 143 Base45 characters.
PASS = mint(
    MemberPass(1001, Plan.CORPORATE, b"door0001", 1_795_000_000, 90, facility_tag("kaikatsu-ikebukuro"), None, "葵"),
    SigningKey(Ed25519PrivateKey.from_private_bytes(bytes(32))),
)
LONGEST = ("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:" * 7)[:300]  # the longest pass: 300 Base45 characters


def key_file(folder: Path, key: bytes = KEY) -> Path:
    """A key file as `officepass-site osdp-key` makes one."""
    path = folder / f"osdp-{key.hex()[:6]}.key"
    path.write_text(key.hex() + "\n")
    return path


def wait_until(condition: Callable[[], bool], timeout: float = WAIT) -> bool:
    """Wait (at most timeout) until the condition holds, looking again every 50 ms."""
    deadline = time.monotonic() + timeout
    done = threading.Event()
    while not condition():
        if time.monotonic() >= deadline:
            return False
        done.wait(0.05)
    return True


@pytest.fixture
def sim() -> Iterator[SimulatedOsdpReader]:
    """A simulated reader at address 1 on a pty, with the site's key."""
    device = SimulatedOsdpReader(1, KEY)
    yield device
    device.close()


@pytest.fixture
def lockd() -> HeardByLockd:
    """A lockd that records what the reader says."""
    return HeardByLockd()


@contextlib.contextmanager
def started(sim: SimulatedOsdpReader, lockd: HeardByLockd, folder: Path, **options: Any) -> Iterator[OsdpReader]:
    """lockd's reader of the simulated one, started, and closed afterwards."""
    reader = OsdpReader(DoorReader(kind="osdp", address=sim.address, key_file=key_file(folder)), sim.bus(), **options)
    reader.start(lockd.on_shown, lockd.on_alarm)
    try:
        yield reader
    finally:
        reader.close()


@pytest.fixture
def reader(sim: SimulatedOsdpReader, lockd: HeardByLockd, tmp_path: Path) -> Iterator[OsdpReader]:
    """lockd's reader on the pty, with the product's limits, its Secure Channel up."""
    with started(sim, lockd, tmp_path) as made:
        assert wait_until(lambda: made.link == "up"), "the Secure Channel did not come up"
        yield made


def settled(sim: SimulatedOsdpReader, lockd: HeardByLockd) -> list[str]:
    """What was handed on once a last card read arrived after everything else (nothing may come later)."""
    sim.card(b"END")
    assert lockd.wait_for(lambda: "END" in lockd.shown)
    return lockd.shown[: lockd.shown.index("END")]


# --- the framing, without a bus ----------------------------------------------------------------------------


def test_a_pass_is_framed_in_parts_of_120_bytes_at_most() -> None:
    assert len(PASS) == 143
    parts = frame_parts(PASS)
    assert [part[0] for part in parts] == [0x02, 0x12]
    assert [len(part) for part in parts] == [121, 24]
    assert [part[0] for part in frame_parts(LONGEST)] == [0x03, 0x13, 0x23]
    with pytest.raises(ValueError):
        frame_parts("A" * 481)


def test_the_parts_of_a_read_are_put_back_together_in_order() -> None:
    again = Reassembly()
    first, second = frame_parts(PASS)
    assert again.part(first, 0.0) is None and again.garbage == ""
    assert again.part(second, 0.1) == PASS


def test_parts_out_of_order_missing_or_late_are_garbage() -> None:
    again = Reassembly()
    first, second = frame_parts(PASS)
    assert again.part(second, 0.0) is None and "out of order" in again.garbage
    again.part(first, 1.0)
    assert again.part(first, 1.1) is None and "missing part 2 of 2" in again.garbage  # a new read began
    assert again.part(second, 1.1 + PART_SECONDS + 0.1) is None and "out of order" in again.garbage  # too late
    again.part(first, 5.0)
    assert again.expire(5.0 + PART_SECONDS + 0.1) == "a read missing part 2 of 2"


@pytest.mark.parametrize(
    ("data", "why"),
    [
        (b"\x05" + b"A" * 10, "bad framing"),  # five parts
        (b"\x11" + b"A" * 10, "bad framing"),  # part 2 of 1
        (b"\x01" + "葵".encode(), "not printable ASCII"),
        (b"\x01", "a part of 1 bytes"),
        (b"\x01" + b"A" * 121, "a part of 122 bytes"),
    ],
)
def test_what_is_not_a_framed_part_is_garbage(data: bytes, why: str) -> None:
    again = Reassembly()
    assert again.part(data, 0.0) is None
    assert why in again.garbage


def test_the_bucket_lets_a_burst_through_then_the_rate() -> None:
    bucket = TokenBucket(5.0, 10, now=0.0)
    assert sum(bucket.take(0.0) for _ in range(30)) == 10
    assert sum(bucket.take(1.0) for _ in range(30)) == 5


# --- keys and the panel ------------------------------------------------------------------------------------


def test_a_key_file_holds_32_hex_digits(tmp_path: Path) -> None:
    assert read_scbk(key_file(tmp_path), "reader.key_file") == KEY
    bad = tmp_path / "bad.key"
    bad.write_text("not a key\n")
    with pytest.raises(ConfigError, match=r"bad\.key must hold 32 hex digits"):
        read_scbk(bad, "reader.key_file")
    with pytest.raises(ConfigError, match=r"cannot read the OSDP key file .*missing\.key"):
        OsdpReader(DoorReader(kind="osdp", address=1, key_file=tmp_path / "missing.key"), OsdpBus(port="/dev/null"))


def test_one_panel_per_port_until_closed(sim: SimulatedOsdpReader) -> None:
    panel = panel_for(sim.bus())
    assert panel_for(sim.bus()) is panel
    panel.close()
    assert panel_for(sim.bus()) is not panel
    panel_for(sim.bus()).close()


# --- a reader over a pty -----------------------------------------------------------------------------------


def test_the_secure_channel_comes_up(sim: SimulatedOsdpReader, reader: OsdpReader, lockd: HeardByLockd) -> None:
    assert sim.secure
    assert lockd.alarms == []


def test_a_pass_and_the_longest_text_arrive_whole_and_once(
    sim: SimulatedOsdpReader, reader: OsdpReader, lockd: HeardByLockd
) -> None:
    sim.show(PASS)
    sim.show(LONGEST)
    assert settled(sim, lockd) == [PASS, LONGEST]
    assert reader.garbage.count == 0


def test_a_card_read_is_handed_on_as_text(sim: SimulatedOsdpReader, reader: OsdpReader, lockd: HeardByLockd) -> None:
    sim.card(b"04A2B3C4D5E6F7")
    assert lockd.wait_for(lambda: lockd.shown == ["04A2B3C4D5E6F7"])


def test_garbage_raises_an_alarm_and_nothing_is_handed_on(
    sim: SimulatedOsdpReader, reader: OsdpReader, lockd: HeardByLockd
) -> None:
    first, second = frame_parts(PASS)
    sim.garbage(b"\x35" + b"A" * 20)  # part 4 of 5
    sim.garbage(b"\x01" + "葵".encode())  # not ASCII
    sim.garbage(first, vendor_code=0x00ABCD)  # another maker's reply
    sim.garbage(second)  # the second part without the first
    assert settled(sim, lockd) == []
    assert reader.garbage.count == 4
    assert lockd.raised("reader_garbage")
    assert [name for name, _, _ in lockd.alarms] == ["reader_garbage"]  # raised once, not once per frame


def test_a_reader_with_another_key_raises_the_secure_channel_alarm(tmp_path: Path, lockd: HeardByLockd) -> None:
    with SimulatedOsdpReader(2, OTHER_KEY) as other, started(other, lockd, tmp_path) as reader:
        assert lockd.wait_for(lambda: lockd.raised("reader_secure_channel"), SLOW_WAIT)
        assert "the keys differ" in next(d for name, _, d in lockd.alarms if name == "reader_secure_channel")
        assert not lockd.ever("reader_offline")
        other.show(PASS)
        other.card(b"1234")
        assert not lockd.wait_for(lambda: bool(lockd.shown), 2.0)
        assert reader.link == "secure_channel" and not other.secure


def test_a_cut_wire_raises_offline_and_mending_it_clears_it(
    sim: SimulatedOsdpReader, reader: OsdpReader, lockd: HeardByLockd
) -> None:
    sim.disconnect()
    assert lockd.wait_for(lambda: lockd.raised("reader_offline"))
    assert "no answer" in lockd.alarms[-1][2]
    assert wait_until(lambda: not sim.secure, SLOW_WAIT)  # libosdp gave up on it too: only a re-enable brings it back
    sim.reconnect()
    assert lockd.wait_for(lambda: not lockd.raised("reader_offline"), SLOW_WAIT)
    sim.show(PASS)
    assert lockd.wait_for(lambda: lockd.shown == [PASS])
    assert not lockd.ever("reader_secure_channel")


def test_a_flood_is_cut_to_the_bucket_and_raises_an_alarm(
    sim: SimulatedOsdpReader, reader: OsdpReader, lockd: HeardByLockd
) -> None:
    began = time.monotonic()
    for number in range(200):
        sim.show(f"FLOOD{number:03d}")
    assert lockd.wait_for(lambda: lockd.raised("reader_flood"))
    assert lockd.wait_for(lambda: reader.flood.count >= 10)
    sim.forget_pending()
    elapsed = time.monotonic() - began
    assert 10 <= reader.handed_on <= 10 + 5 * elapsed + 1
    assert len(lockd.shown) == reader.handed_on


def test_the_flood_alarm_is_cleared_after_a_quiet_spell(
    sim: SimulatedOsdpReader, lockd: HeardByLockd, tmp_path: Path
) -> None:
    with started(sim, lockd, tmp_path, reads_per_second=1.0, burst=1, quiet_seconds=1.0) as reader:
        assert wait_until(lambda: reader.link == "up")
        for number in range(3):
            sim.card(f"{number}".encode())
        assert lockd.wait_for(lambda: lockd.raised("reader_flood"))
        assert lockd.wait_for(lambda: not lockd.raised("reader_flood"))


def test_the_verdict_lights_the_reader_and_beeps(sim: SimulatedOsdpReader, reader: OsdpReader) -> None:
    reader.signal(True)
    assert sim.wait_for(lambda: sim.led == "green" and len(sim.beeps) == 1)
    assert sim.beeps[-1][1] == 1
    reader.signal(False)
    assert sim.wait_for(lambda: sim.led == "red" and len(sim.beeps) == 2)
    assert sim.beeps[-1][1] == 2
    assert [colour for _, colour in sim.led_history] == ["green", "red"]
    assert reader_led_text(sim.led) == "reader LED RED (refused)"  # what the technician's panel shows


def test_a_listener_that_raises_does_not_stop_the_bus(
    sim: SimulatedOsdpReader, lockd: HeardByLockd, tmp_path: Path
) -> None:
    def fragile(text: str) -> None:
        lockd.on_shown(text)
        raise RuntimeError("lockd's queue broke")

    reader = OsdpReader(DoorReader(kind="osdp", address=1, key_file=key_file(tmp_path)), sim.bus())
    reader.start(fragile, lockd.on_alarm)
    try:
        sim.card(b"ONE")
        sim.card(b"TWO")
        assert lockd.wait_for(lambda: lockd.shown == ["ONE", "TWO"])
    finally:
        reader.close()


# --- over TCP ----------------------------------------------------------------------------------------------


def test_a_reader_behind_a_serial_device_server(lockd: HeardByLockd, tmp_path: Path) -> None:
    with SimulatedOsdpReader(3, KEY, transport="tcp") as served:
        assert served.port.startswith("tcp://127.0.0.1:")
        with started(served, lockd, tmp_path) as reader:
            assert wait_until(lambda: reader.link == "up")
            served.show(PASS)
            assert lockd.wait_for(lambda: lockd.shown == [PASS])
            served.disconnect()  # the server drops the connection: the panel connects again
            assert lockd.wait_for(lambda: lockd.raised("reader_offline"))
            served.reconnect()
            assert lockd.wait_for(lambda: not lockd.raised("reader_offline"), SLOW_WAIT)
            served.card(b"AGAIN")
            assert lockd.wait_for(lambda: lockd.shown == [PASS, "AGAIN"])


# --- a door's relay and inputs -----------------------------------------------------------------------------


def osdp_door(sim: SimulatedOsdpReader, folder: Path) -> Door:
    """A door whose relay is the simulated reader's output 0, its contact input 0 and its exit button input 1."""
    output = OsdpOutput(address=sim.address, key_file=key_file(folder), relay_output=0, contact_input=0, exit_input=1)
    return Door(id="front", name="Front", rooms=["open-space"], driver="osdp", osdp=output)


def test_the_door_drives_the_relay_and_hears_its_inputs(sim: SimulatedOsdpReader, tmp_path: Path) -> None:
    door = osdp_door(sim, tmp_path)
    assert door.osdp is not None
    hardware = OsdpDoor(door.osdp, sim.bus(), name=door.id)
    moves: list[bool] = []
    presses: list[float] = []
    heard = threading.Condition()

    def contact(is_open: bool) -> None:
        with heard:
            moves.append(is_open)
            heard.notify_all()

    hardware.on_contact_change(contact)
    hardware.on_exit_button(lambda: presses.append(time.monotonic()))
    try:
        assert wait_until(lambda: hardware.link == "up")
        hardware.set_relay(True)
        assert sim.wait_for(lambda: sim.outputs[0])
        hardware.set_relay(False)
        assert sim.wait_for(lambda: not sim.outputs[0])
        sim.set_input(0, True)
        assert wait_until(lambda: moves == [True]) and hardware.contact_open()
        sim.set_input(0, False)
        assert wait_until(lambda: moves == [True, False]) and not hardware.contact_open()
        sim.set_input(1, True)
        assert wait_until(lambda: len(presses) == 1)
        assert hardware.strike_locked() is None
    finally:
        hardware.close()
    assert [state for _, _, state in sim.output_history] == [False, True, False, False]  # up, on, off, closed


def test_the_driver_releases_the_relay_after_lockd_died(sim: SimulatedOsdpReader, tmp_path: Path) -> None:
    door = osdp_door(sim, tmp_path)
    driver = OsdpDriver(Lockd(data_dir=tmp_path / "lockd", osdp=sim.bus()))
    assert driver.release([door]) == [door]
    assert sim.output_history and sim.output_history[-1][1:] == (0, False)


def test_a_reader_and_the_relay_of_one_device_share_the_panel(
    sim: SimulatedOsdpReader, reader: OsdpReader, lockd: HeardByLockd, tmp_path: Path
) -> None:
    door = osdp_door(sim, tmp_path)
    assert door.osdp is not None
    hardware = OsdpDoor(door.osdp, sim.bus(), name=door.id)
    try:
        assert hardware.panel is panel_for(sim.bus())
        assert wait_until(lambda: hardware.link == "up")
        sim.show(PASS)
        sim.set_input(0, True)
        assert lockd.wait_for(lambda: lockd.shown == [PASS])
        assert wait_until(hardware.contact_open)
    finally:
        hardware.close()
    assert not hardware.panel.closed  # the reader still hears it


def test_a_device_attached_after_the_start_is_added_to_the_running_panel(
    sim: SimulatedOsdpReader, lockd: HeardByLockd, tmp_path: Path
) -> None:
    door = osdp_door(sim, tmp_path)
    assert door.osdp is not None
    hardware = OsdpDoor(door.osdp, sim.bus(), name=door.id)
    absent = OsdpReader(DoorReader(kind="osdp", address=9, key_file=key_file(tmp_path)), sim.bus())
    try:
        assert wait_until(lambda: hardware.link == "up")
        absent.start(lockd.on_shown, lockd.on_alarm)  # libosdp's panel is made again, with both
        hardware.set_relay(True)  # asked for during the new handshake (or just after): the device gets it
        assert sim.wait_for(lambda: sim.outputs[0])
        assert hardware.panel.link(1) == "up" and sorted(hardware.panel.devices) == [1, 9]
        assert lockd.wait_for(lambda: lockd.raised("reader_offline"))
        assert "OSDP reader 9" in lockd.alarms[-1][2]
    finally:
        absent.close()
        hardware.close()
    assert hardware.panel.closed and panel_for(sim.bus()) is not hardware.panel
    panel_for(sim.bus()).close()


def test_the_vendor_code_is_locally_administered() -> None:
    assert (VENDOR_CODE >> 16) & 0x02  # never a registered maker's OUI


def test_only_whole_intact_replies_say_that_an_address_answered() -> None:
    """The start-of-message byte inside an encrypted payload, followed by what looks like address 9, is no reply;
    a reply split across two reads counts once it is whole; a damaged one never does."""
    from lockd.osdp_bus import SOM, _Replies  # the line's reply watch, on bytes made here

    body = bytes([SOM, 0x80 | 1, 0, 0, 0x04 | 0x01, 0x40])  # address 1 answers ACK, with a CRC
    body = body[:2] + (len(body) + 2).to_bytes(2, "little") + body[4:]
    reply = body + binascii.crc_hqx(body, 0x1D0F).to_bytes(2, "little")
    noise = bytes([0x12, SOM, 0x80 | 9, 0x33, 0x07, 0x9A, SOM, 0x89])  # SOM then "address 9" inside a payload
    replies = _Replies()
    replies.note(noise + reply[:5])
    assert replies.last(1) is None and replies.last(9) is None  # the reply is not whole yet
    replies.note(reply[5:] + noise)
    assert replies.last(1) is not None and replies.last(9) is None
    damaged = replies.last(1)
    broken = bytearray(reply)
    broken[1] = 0x80 | 9
    replies.note(bytes(broken))
    assert replies.last(9) is None and replies.last(1) == damaged
