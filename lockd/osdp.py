"""OSDP readers and relays on the site's bus (IEC 60839-11-5), through libosdp, Secure Channel enforced.

The bus, its control panel and its devices' links are lockd/osdp_bus.py's; here are a reader (lockd's PassReader)
and a door (lockd's DoorHardware, driver "osdp") on it.

Design decision: a pass is longer than an OSDP event. A member pass is Base45 text of about 143 characters (300 at
most); a card-read event carries at most 64 data bytes, and a manufacturer reply at most 128 (libosdp 3.2.9 crashes
on more). A reader on this site therefore forwards the text of a code it read in manufacturer replies (osdp_MFGREP)
under the project's vendor code VENDOR_CODE, in parts of at most 120 bytes, each framed by one byte:
(part index << 4) | part count, the count 1 to 4 (so at most 480 bytes). That byte leads each part's data, rather
than riding in the reply's command byte, because libosdp 3.2.9's control panel does not hand the command byte on
(measured: its event has vendor_code and data only). lockd reassembles the parts of one read in order, from one
reader, within PART_SECONDS. A card-read event's data (64 bytes at most) is handed on as it is, as text: too short to
be a pass, so lockd refuses it, but it is a read, not garbage. Anything else (bad framing, parts out of order, a part
missing, bytes that are not printable ASCII, another vendor code) is garbage: counted, logged once a minute per
reader, alarm reader_garbage, nothing handed on.

A reader hands on at most READS_PER_SECOND reads a second (a token bucket, BURST at once); what is over is dropped,
counted, and raises reader_flood, cleared after a quiet minute. libosdp takes one event a poll, and polls a device
50 ms after its last answer: about 18 events a second, so nine two-part passes or eighteen card reads a second at
most reach the bucket.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from facility.clock import Scheduler
from facility.config.models import Door, DoorReader, Lockd, OsdpBus, OsdpOutput
from facility.errors import ConfigError, ConfigProblem
from lockd.osdp_bus import Link, OsdpPanel, libosdp, panel_for, read_scbk
from lockd.reader import Alarm, Shown, TokenBucket

log = logging.getLogger(__name__)

VENDOR_CODE = 0x4F5045  # "OPE": a locally administered OUI (bit 1 of its first byte set), never a maker's
PART_BYTES = 120
MAX_PARTS = 4
PART_SECONDS = 1.0
CARD_BYTES = 64
READS_PER_SECOND = 5.0
BURST = 10
QUIET_SECONDS = 60.0  # reader_flood and reader_garbage are cleared after this long without more
LOG_EVERY_SECONDS = 60.0
SIGNAL_TENTHS = 20  # the verdict's LED colour, in libosdp's 100 ms units
BEEP_TENTHS = 2
CLOSE_SECONDS = 1.0
RELEASE_SECONDS = 8.0
OUTPUT_OFF, OUTPUT_ON = 1, 2  # osdp_OUT control codes: permanent state off / on, any timed operation aborted


def frame_parts(text: str) -> list[bytes]:
    """A code's text as the data of its manufacturer replies, each led by its framing byte (what a reader sends)."""
    data = text.encode()
    chunks = [data[at : at + PART_BYTES] for at in range(0, len(data), PART_BYTES)] or [b""]
    if len(chunks) > MAX_PARTS:
        raise ValueError(f"{len(data)} bytes do not fit in {MAX_PARTS} parts of {PART_BYTES}")
    return [bytes([index << 4 | len(chunks)]) + chunk for index, chunk in enumerate(chunks)]


def _printable(data: bytes) -> str | None:
    """The bytes as text if all are printable ASCII, else None."""
    return data.decode("ascii") if data and all(0x20 <= b < 0x7F for b in data) else None


class Reassembly:
    """The parts of one reader's reads put back together; `garbage` says why the last part was refused."""

    def __init__(self) -> None:
        self._parts: list[bytes] = []
        self._count = 0
        self._began = 0.0
        self.garbage = ""

    def part(self, data: bytes, now: float) -> str | None:
        """Take one manufacturer reply's data: the whole text once its last part is in, else None (garbage set when
        the part, or the read it belonged to, is refused)."""
        self.garbage = ""
        if len(data) < 2 or len(data) > PART_BYTES + 1:
            self._refuse(f"a part of {len(data)} bytes")
            return None
        index, count = data[0] >> 4, data[0] & 0x0F
        if not 1 <= count <= MAX_PARTS or index >= count:
            self._refuse(f"bad framing byte {data[0]:#04x}")
            return None
        if _printable(data[1:]) is None:
            self._refuse("bytes that are not printable ASCII")
            return None
        if index == 0:
            dropped = self.expire(now, force=True)
            self._parts, self._count, self._began = [data[1:]], count, now
        elif index != len(self._parts) or count != self._count or now - self._began > PART_SECONDS:
            self._refuse(f"part {index + 1} of {count} out of order")
            return None
        else:
            dropped, self._parts = "", [*self._parts, data[1:]]
        self.garbage = dropped
        if len(self._parts) < self._count:
            return None
        text = b"".join(self._parts).decode("ascii")
        self._parts, self._count = [], 0
        return text

    def expire(self, now: float, force: bool = False) -> str:
        """Drop a read still missing parts after PART_SECONDS (or now, when forced); why, or "" if none."""
        if not self._parts or (not force and now - self._began <= PART_SECONDS):
            return ""
        missing = f"a read missing part {len(self._parts) + 1} of {self._count}"
        self._parts, self._count = [], 0
        return missing

    def _refuse(self, why: str) -> None:
        """Refuse the part and any read in progress."""
        self._parts, self._count = [], 0
        self.garbage = why


class _Acknowledged:
    """A command's completion, waited for."""

    def __init__(self) -> None:
        self.ok = False
        self._done = threading.Event()

    def __call__(self, ok: bool) -> None:
        """libosdp's word: the device took the command (True) or not."""
        self.ok = ok
        self._done.set()

    def wait(self, timeout: float) -> bool:
        """True once the device took the command, False if it did not within timeout."""
        return self._done.wait(max(0.0, timeout)) and self.ok


def _never(*_: object) -> None:
    """What the reader calls before start(): nothing."""


class _Spell:
    """A reader's trouble that comes in spells (garbage, flood): counted, logged once a minute, an alarm raised
    at the first and cleared after a quiet minute."""

    def __init__(self, alarm: str, reader: str, quiet: float, log_every: float) -> None:
        self.alarm, self.reader, self.quiet, self.log_every = alarm, reader, quiet, log_every
        self.count = 0
        self.raised = False
        self._last = 0.0
        self._logged_at: float | None = None
        self._logged_count = 0

    def happened(self, why: str, now: float, raise_alarm: Alarm) -> None:
        """One more: counted, logged if none was this minute, the alarm raised if it was not."""
        self.count += 1
        self._last = now
        if self._logged_at is None or now - self._logged_at >= self.log_every:
            log.warning(
                "%s: %s (%d in all, %d since last said)", self.reader, why, self.count, self.count - self._logged_count
            )
            self._logged_at, self._logged_count = now, self.count
        if not self.raised:
            self.raised = True
            raise_alarm(self.alarm, True, f"{self.reader}: {why}")

    def look(self, now: float, raise_alarm: Alarm) -> None:
        """Say how many more came since last said, once a minute; clear the alarm after a quiet spell."""
        if self._logged_at is not None and self.count > self._logged_count and now - self._logged_at >= self.log_every:
            log.warning(
                "%s: %d more %s (%d in all)", self.reader, self.count - self._logged_count, self.alarm, self.count
            )
            self._logged_at, self._logged_count = now, self.count
        if self.raised and now - self._last >= self.quiet:
            self.raised = False
            log.info("%s: no %s for %.0f s (%d in all)", self.reader, self.alarm, self.quiet, self.count)
            raise_alarm(self.alarm, False, f"{self.reader}: quiet for {self.quiet:.0f} s")


class OsdpReader:
    """A reader on the OSDP bus as lockd's PassReader: each read's text handed to lockd, the verdict on its LED."""

    def __init__(
        self,
        reader: DoorReader,
        bus: OsdpBus,
        *,
        reads_per_second: float = READS_PER_SECOND,
        burst: int = BURST,
        quiet_seconds: float = QUIET_SECONDS,
        log_every: float = LOG_EVERY_SECONDS,
    ) -> None:
        if reader.kind != "osdp" or reader.address is None or reader.key_file is None:
            raise ValueError("an OSDP reader needs a door reader of kind 'osdp' with its address and key_file")
        self.address, self.key_file, self.bus = reader.address, reader.key_file, bus
        self.scbk = read_scbk(reader.key_file, "reader.key_file")
        self.name = f"osdp:{self.address}"
        self.where = f"OSDP reader {self.address} on {bus.port}"
        self.handed_on = 0
        self.link: Link = "starting"
        self.garbage = _Spell("reader_garbage", self.where, quiet_seconds, log_every)
        self.flood = _Spell("reader_flood", self.where, quiet_seconds, log_every)
        self._bucket = TokenBucket(reads_per_second, burst, time.monotonic())
        self._reassembly = Reassembly()
        self._raised: set[str] = set()
        self._shown: Shown = _never
        self._alarm: Alarm = _never
        self._panel: OsdpPanel | None = None
        self._osdp, _ = libosdp()

    def start(self, shown: Shown, alarm: Alarm) -> None:
        """Hand each read to `shown` and trouble to `alarm`, from the bus's dispatcher thread, until close()."""
        if self._panel is not None:
            raise RuntimeError(f"{self.where} is already started")
        self._shown, self._alarm = shown, alarm
        self._panel = panel_for(self.bus)
        self._panel.attach(self.address, self.scbk, self.key_file, self)

    def signal(self, opened: bool) -> None:
        """Green and one beep for an opening, red and two for a refusal, for SIGNAL_TENTHS (what the reader has)."""
        osdp = self._osdp
        panel = self._panel
        if panel is None or panel.link(self.address) != "up":
            log.info("%s: not up, the verdict (%s) is not shown", self.where, "opened" if opened else "refused")
            return
        if panel.capable(self.address, osdp.Capability.LEDControl):
            panel.submit(self.address, self._led(opened))
        if panel.capable(self.address, osdp.Capability.AudibleControl):
            panel.submit(self.address, self._beeps(1 if opened else 2))

    def _led(self, opened: bool) -> dict[str, Any]:
        """The LED command: a steady colour for SIGNAL_TENTHS, then back to what the reader shows by itself."""
        colour = self._osdp.CommandLEDColor
        return {
            "command": self._osdp.Command.LED,
            "reader": 0,
            "led_number": 0,
            "control_code": 2,  # temporary state, timer started now
            "on_count": SIGNAL_TENTHS,
            "off_count": 0,
            "on_color": colour.Green if opened else colour.Red,
            "off_color": colour.Black,
            "timer_count": SIGNAL_TENTHS,
            "temporary": True,
        }

    def _beeps(self, count: int) -> dict[str, Any]:
        """The buzzer command: count short beeps in the reader's default tone."""
        return {
            "command": self._osdp.Command.Buzzer,
            "reader": 0,
            "control_code": 2,  # the default tone
            "on_count": BEEP_TENTHS,
            "off_count": BEEP_TENTHS,
            "rep_count": count,
        }

    def close(self) -> None:
        """Stop hearing the reader (the bus closes with its last device)."""
        if self._panel is not None:
            self._panel.detach(self.address, self)

    # --- the panel's listener (its dispatcher thread) ---------------------------------------------------------

    def on_event(self, event: Mapping[str, Any]) -> None:
        """A card read or a part of a code's text; anything a reader should not send is garbage."""
        kind, now = event.get("event"), time.monotonic()
        if kind == self._osdp.Event.CardRead:
            text = _printable(bytes(event.get("data", b""))[:CARD_BYTES])
            if text is None:
                self.garbage.happened("a card read that is not text", now, self._alarm)
            else:
                self._read(text, now)
        elif kind == self._osdp.Event.ManufacturerReply:
            self._part(event, now)
        elif kind != self._osdp.Event.Status:  # a reader with inputs reports them; its door hears those
            self.garbage.happened(f"an event of kind {kind}", now, self._alarm)

    def _part(self, event: Mapping[str, Any], now: float) -> None:
        """One manufacturer reply: a part of a code's text under the project's vendor code."""
        if event.get("vendor_code") != VENDOR_CODE:
            self.garbage.happened(f"a reply under vendor code {event.get('vendor_code')}", now, self._alarm)
            return
        text = self._reassembly.part(bytes(event.get("data", b"")), now)
        if self._reassembly.garbage:
            self.garbage.happened(self._reassembly.garbage, now, self._alarm)
        if text is not None:
            self._read(text, now)

    def _read(self, text: str, now: float) -> None:
        """Hand a read on, unless the reader is over its rate."""
        if not self._bucket.take(now):
            self.flood.happened(f"more than {self._bucket.rate:g} reads a second, dropped", now, self._alarm)
            return
        self.handed_on += 1
        self._shown(text)

    def on_link(self, link: Link, detail: str) -> None:
        """Raise or clear reader_offline and reader_secure_channel as the link changes."""
        self.link = link
        if link == "up":
            if self._raised:
                log.warning("%s is back: %s", self.where, detail)
            self._set("reader_offline", False, detail)
            self._set("reader_secure_channel", False, detail)
        elif link == "offline":
            log.warning("%s is offline: %s", self.where, detail)
            self._set("reader_secure_channel", False, "offline")
            self._set("reader_offline", True, detail)
        elif link == "secure_channel":
            log.error("%s: %s", self.where, detail)
            self._set("reader_offline", False, "it answers")
            self._set("reader_secure_channel", True, detail)

    def _set(self, alarm: str, raised: bool, detail: str) -> None:
        """Raise or clear an alarm if that changes it."""
        if raised == (alarm in self._raised):
            return
        (self._raised.add if raised else self._raised.discard)(alarm)
        self._alarm(alarm, raised, f"{self.where}: {detail}")

    def tick(self, now: float) -> None:
        """Drop a read whose parts stopped coming, and clear the spells that are over."""
        missing = self._reassembly.expire(now)
        if missing:
            self.garbage.happened(missing, now, self._alarm)
        self.garbage.look(now, self._alarm)
        self.flood.look(now, self._alarm)


def osdp_reader(reader: DoorReader, bus: OsdpBus | None) -> OsdpReader:
    """The reader a door's file names on the site's bus ([lockd.osdp], which the schema requires for it)."""
    if bus is None:
        raise ConfigError("", [ConfigProblem("lockd.osdp", "an OSDP reader needs the bus: add [lockd.osdp]")])
    return OsdpReader(reader, bus)


class OsdpDoor:
    """A door's relay, contact and exit button on an OSDP device (a reader's relay, or an I/O board's)."""

    def __init__(self, output: OsdpOutput, bus: OsdpBus, name: str = "door") -> None:
        self.output, self.bus = output, bus
        self.scbk = read_scbk(output.key_file, f"doors.{name}.osdp.key_file")
        self.where = f"OSDP relay {output.relay_output} of address {output.address} on {bus.port} (door {name})"
        self.relay_energised = False  # what lockd asked for last: set again whenever the device comes back
        self.link: Link = "starting"
        self._open = False  # until the device reports its inputs: a contact never heard is taken as closed
        self._exit_pressed = False
        self._contact_listeners: list[Callable[[bool], None]] = []
        self._exit_listeners: list[Callable[[], None]] = []
        self._osdp, _ = libosdp()
        self.panel = panel_for(bus)
        self.panel.attach(output.address, self.scbk, output.key_file, self)

    def set_relay(self, energised: bool) -> None:
        """Switch the relay (sent again whenever the device comes back, in case it lost its outputs)."""
        self.relay_energised = energised
        self._send_relay()

    def _send_relay(self, done: Callable[[bool], None] | None = None) -> bool:
        """Send the relay's state; False if it could not be queued (the device is not up)."""
        command = {
            "command": self._osdp.Command.Output,
            "output_no": self.output.relay_output,
            "control_code": OUTPUT_ON if self.relay_energised else OUTPUT_OFF,
            "timer_count": 0,
        }
        queued = self.panel.submit(self.output.address, command, done)
        if not queued:
            log.warning(
                "%s: cannot be switched %s now (%s)", self.where, "on" if self.relay_energised else "off", self.link
            )
        return queued

    def contact_open(self) -> bool:
        """True while the contact input reports the door open."""
        return self._open

    def on_contact_change(self, callback: Callable[[bool], None]) -> None:
        """Call back True on opening and False on closing (from the bus's dispatcher thread)."""
        self._contact_listeners.append(callback)

    def on_exit_button(self, callback: Callable[[], None]) -> None:
        """Call back when the exit button is pressed (never, when no exit input is wired)."""
        self._exit_listeners.append(callback)

    def strike_locked(self) -> bool | None:
        """No strike monitor over OSDP."""
        return None

    def switch_off(self, timeout: float) -> bool:
        """Release the relay and wait (at most timeout) for the device to take it; whether it did."""
        self.relay_energised = False
        taken = _Acknowledged()
        return self._send_relay(taken) and taken.wait(timeout)

    def close(self) -> None:
        """Release the relay (waiting a moment for the device to take it) and stop hearing the device."""
        if self.link == "up":
            self.switch_off(CLOSE_SECONDS)
        self.relay_energised = False
        self.panel.detach(self.output.address, self)

    # --- the panel's listener ------------------------------------------------------------------------------

    def on_event(self, event: Mapping[str, Any]) -> None:
        """The device's input report: the door contact and the exit button."""
        if event.get("event") != self._osdp.Event.Status or event.get("type") != self._osdp.StatusReportType.Input:
            return
        report = bytes(event.get("report", b""))
        if self.output.contact_input is not None and self.output.contact_input < len(report):
            active = report[self.output.contact_input] != 0
            self._set_open(active == self.output.contact_open_active)
        if self.output.exit_input is not None and self.output.exit_input < len(report):
            pressed = report[self.output.exit_input] != 0
            if pressed and not self._exit_pressed:
                for listener in list(self._exit_listeners):
                    listener()
            self._exit_pressed = pressed

    def _set_open(self, is_open: bool) -> None:
        """Tell the contact's listeners when the door moves."""
        if is_open == self._open:
            return
        self._open = is_open
        for listener in list(self._contact_listeners):
            listener(is_open)

    def on_link(self, link: Link, detail: str) -> None:
        """Set the relay again when the device comes back; say when it goes."""
        self.link = link
        if link == "up":
            self._send_relay()
        else:
            log.warning("%s: %s (%s)", self.where, link, detail)

    def tick(self, now: float) -> None:
        """No timers."""


class OsdpDriver:
    """The "osdp" door driver: doors whose relay is on a device of the site's OSDP bus ([lockd.osdp])."""

    def __init__(self, settings: Lockd) -> None:
        self._bus = settings.osdp

    def _door_bus(self, door: Door) -> tuple[OsdpOutput, OsdpBus]:
        """The door's relay and the bus (the schema requires both for driver "osdp")."""
        if door.osdp is None or self._bus is None:
            raise ConfigError(
                "", [ConfigProblem(f"doors.{door.id}.osdp", "an OSDP door needs [doors.osdp] and [lockd.osdp]")]
            )
        return door.osdp, self._bus

    def __call__(self, door: Door, scheduler: Scheduler) -> OsdpDoor:
        """A door whose relay is on the bus."""
        return OsdpDoor(*self._door_bus(door), name=door.id)

    def release(self, doors: Sequence[Door]) -> list[Door]:
        """After lockd died: switch each door's relay off; the doors whose device took it within RELEASE_SECONDS."""
        made = [(door, OsdpDoor(*self._door_bus(door), name=door.id)) for door in doors]
        released: list[Door] = []
        deadline = time.monotonic() + RELEASE_SECONDS
        for door, hardware in made:
            address = hardware.output.address
            up = hardware.panel.wait_link(address, ("up",), max(0.0, deadline - time.monotonic()))
            if up and hardware.switch_off(deadline - time.monotonic()):
                released.append(door)
            else:
                log.error("%s: not released (the device did not take the command)", hardware.where)
        for _, hardware in made:
            hardware.panel.detach(hardware.output.address, hardware)
        return released
