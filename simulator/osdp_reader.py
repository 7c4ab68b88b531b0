"""A reader on an OSDP bus, simulated: libosdp's peripheral device behind a real line, for lockd's panel to drive.

The line is a pty pair (lockd opens the pty's path as it opens /dev/ttyUSB0) or a TCP port standing for a serial
device server (tcp://127.0.0.1:port). The reader forwards a code's text as the site's readers do (lockd/osdp.py:
manufacturer replies under the project's vendor code, in framed parts), reads cards, sends garbage on request, can
have its wire cut and mended, and keeps what the panel asked of it: its LED's colours, its beeps, its outputs. Its
inputs play a door contact and an exit button. Capabilities: one LED, a buzzer, outputs, inputs, Secure Channel.
"""

from __future__ import annotations

import contextlib
import os
import socket
import threading
import time
import tty
from collections.abc import Callable
from typing import Any, Literal

from facility.config.models import OsdpBus
from lockd.osdp import CARD_BYTES, VENDOR_CODE, frame_parts
from lockd.osdp_bus import REFRESH_SECONDS, libosdp, set_log_level

MFG_BYTES = 128  # libosdp 3.2.9 crashes on a manufacturer reply longer than this: never submitted
COLOURS = {0: "off", 1: "red", 2: "green", 3: "amber", 4: "blue", 5: "magenta", 6: "cyan", 7: "white"}
WAIT = 10.0


class _PtyWire:
    """The device's end of a pty pair; cut, it swallows what comes and sends nothing (a cut RS-485 pair)."""

    def __init__(self) -> None:
        self.master, self._slave = os.openpty()
        self.path = os.ttyname(self._slave)  # kept open, so the pty outlives a panel that closes its end
        tty.setraw(self.master)
        tty.setraw(self._slave)
        os.set_blocking(self.master, False)
        self.cut = False
        self.id = 0

    def read(self, max_bytes: int) -> bytes:
        """What the panel sent (nothing while cut: it is read and dropped)."""
        try:
            data = os.read(self.master, max_bytes)
        except OSError:
            return b""
        return b"" if self.cut else data

    def write(self, data: bytes) -> int:
        """Send to the panel (into the void while cut)."""
        if self.cut:
            return len(data)
        try:
            return os.write(self.master, data)
        except OSError:
            return 0

    def flush(self) -> None:
        """Nothing to flush."""

    def close(self) -> None:
        """Close both ends."""
        for fd in (self.master, self._slave):
            with contextlib.suppress(OSError):
                os.close(fd)


class _TcpWire:
    """A serial device server's port: one panel connected at a time; cut, the connection is closed and refused."""

    def __init__(self) -> None:
        self._server = socket.create_server(("127.0.0.1", 0))
        self._server.setblocking(False)
        self.path = f"tcp://127.0.0.1:{self._server.getsockname()[1]}"
        self._conn: socket.socket | None = None
        self.cut = False
        self.id = 0

    def _connection(self) -> socket.socket | None:
        """The panel's connection, accepted if it is waiting (and closed at once while cut)."""
        if self._conn is None:
            try:
                conn, _ = self._server.accept()
            except (BlockingIOError, OSError):
                return None
            if self.cut:
                conn.close()
                return None
            conn.setblocking(False)
            self._conn = conn
        return self._conn

    def read(self, max_bytes: int) -> bytes:
        """What the panel sent; the connection is dropped when the panel closes it."""
        conn = self._connection()
        if conn is None:
            return b""
        try:
            data = conn.recv(max_bytes)
        except BlockingIOError:
            return b""
        except OSError:
            data = b""
        if not data:
            self.hang_up()
        return data

    def write(self, data: bytes) -> int:
        """Send to the panel, if connected."""
        conn = self._connection()
        if conn is None:
            return 0
        try:
            return conn.send(data)
        except BlockingIOError:
            return 0
        except OSError:
            self.hang_up()
            return 0

    def flush(self) -> None:
        """Nothing to flush."""

    def hang_up(self) -> None:
        """Close the panel's connection."""
        if self._conn is not None:
            conn, self._conn = self._conn, None
            conn.close()

    def close(self) -> None:
        """Close the connection and stop listening."""
        self.hang_up()
        self._server.close()


class SimulatedOsdpReader:
    """An OSDP reader with a relay board's outputs and inputs, running from construction until close()."""

    def __init__(
        self,
        address: int,
        scbk: bytes,
        *,
        transport: Literal["pty", "tcp"] = "pty",
        vendor_code: int = VENDOR_CODE,
        inputs: int = 4,
        outputs: int = 4,
        baud: Literal[9600, 19200, 38400, 57600, 115200, 230400] = 115200,
    ) -> None:
        self.address, self.vendor_code, self.baud = address, vendor_code, baud
        self._wire: _PtyWire | _TcpWire = _PtyWire() if transport == "pty" else _TcpWire()
        self.led_history: list[tuple[float, str]] = []  # (time.monotonic(), colour) for each LED command
        self.beeps: list[tuple[float, int]] = []  # (time.monotonic(), beeps) for each buzzer command
        self.outputs = dict.fromkeys(range(outputs), False)
        self.output_history: list[tuple[float, int, bool]] = []
        self.inputs = [False] * inputs
        self.changed = threading.Condition()
        self._led_until = 0.0
        self._led_colour = "off"
        self._lock = threading.RLock()  # libosdp's: held by refresh, which calls back into this object
        self._stop = threading.Event()
        self._was_secure = False
        self.refresh_errors = 0
        self._osdp, osdp_sys = libosdp()
        set_log_level()
        self._pd = osdp_sys.PeripheralDevice(self._info(scbk), capabilities=self._capabilities(inputs, outputs))
        self._pd.set_command_callback(self._on_command)
        self._thread = threading.Thread(target=self._refresh, name=f"sim-osdp-{address}", daemon=True)
        self._thread.start()

    def _info(self, scbk: bytes) -> dict[str, Any]:
        """libosdp's description of the device: address, key, line and identity."""
        return {
            "name": f"sim-reader-{self.address}",
            "address": self.address,
            "flags": 0,
            "scbk": scbk,
            "channel": self._wire,
            "version": 1,
            "model": 1,
            "vendor_code": self.vendor_code,
            "serial_number": 0x5100 + self.address,
            "firmware_version": 1,
        }

    def _capabilities(self, inputs: int, outputs: int) -> list[dict[str, int]]:
        """What the device says it has: one LED, a buzzer, its outputs and inputs, and the Secure Channel."""
        cap = self._osdp.Capability
        items = [
            (cap.LEDControl, 1),
            (cap.AudibleControl, 1),
            (cap.OutputControl, outputs),
            (cap.ContactStatusMonitoring, inputs),
            (cap.CommunicationSecurity, 1),
        ]
        return [{"function_code": code, "compliance_level": 1, "num_items": n} for code, n in items if n]

    @property
    def port(self) -> str:
        """What a facility file's [lockd.osdp] port names to reach this reader."""
        return self._wire.path

    def bus(self) -> OsdpBus:
        """The bus settings that reach this reader."""
        return OsdpBus(port=self.port, baud=self.baud)

    # --- what happens at the reader ------------------------------------------------------------------------

    def show(self, text: str) -> None:
        """A member holds a code to the reader: its text goes to the panel in framed parts."""
        for part in frame_parts(text):
            self._submit_reply(part, self.vendor_code, part[0])

    def card(self, data: bytes) -> None:
        """A card is read: its data (64 bytes at most) as a card-read event."""
        if len(data) > CARD_BYTES:
            raise ValueError(f"a card read carries at most {CARD_BYTES} bytes")
        self._submit(
            {
                "event": self._osdp.Event.CardRead,
                "reader_no": 0,
                "format": self._osdp.CardFormat.Unspecified,
                "direction": 0,
                "length": len(data) * 8,
                "data": data,
            }
        )

    def garbage(self, raw: bytes, vendor_code: int | None = None) -> None:
        """Send raw bytes as a manufacturer reply's data, unframed (under another vendor code, if given)."""
        self._submit_reply(raw, self.vendor_code if vendor_code is None else vendor_code, raw[0] if raw else 0)

    def _submit_reply(self, data: bytes, vendor_code: int, command: int) -> None:
        """A manufacturer reply, never longer than libosdp takes."""
        if len(data) > MFG_BYTES:
            raise ValueError(f"a manufacturer reply carries at most {MFG_BYTES} bytes")
        event = {"event": self._osdp.Event.ManufacturerReply, "vendor_code": vendor_code, "mfg_command": command}
        self._submit({**event, "data": data})

    def set_input(self, number: int, active: bool) -> None:
        """An input changes (a door contact, an exit button): the device reports all its inputs."""
        self.inputs[number] = active
        self._report_inputs()

    def _report_inputs(self) -> None:
        """Report every input's state, as an input status event."""
        report = bytes(int(active) for active in self.inputs)
        event = {"event": self._osdp.Event.Status, "type": self._osdp.StatusReportType.Input}
        self._submit({**event, "nr_entries": len(report), "report": report})

    def _submit(self, event: dict[str, Any]) -> None:
        """Queue an event for the panel's next poll."""
        with self._lock:
            if not self._pd.submit_event(event):
                raise RuntimeError(f"the simulated reader's event queue refused {event.get('event')}")

    def forget_pending(self) -> int:
        """Drop the events the panel has not polled yet; how many."""
        with self._lock:
            return int(self._pd.flush_events())

    def disconnect(self) -> None:
        """Cut the wire: nothing reaches the panel, nothing from it arrives."""
        self._wire.cut = True
        if isinstance(self._wire, _TcpWire):
            self._wire.hang_up()

    def reconnect(self) -> None:
        """Mend the wire."""
        self._wire.cut = False

    # --- what the panel asked of it ------------------------------------------------------------------------

    @property
    def led(self) -> str:
        """The LED's colour now: a verdict's colour for its time, else "off"."""
        return self._led_colour if time.monotonic() < self._led_until else "off"

    @property
    def secure(self) -> bool:
        """True while the panel talks to the reader over a Secure Channel."""
        return bool(self._pd.is_sc_active())

    def wait_for(self, condition: Callable[[], bool], timeout: float = WAIT) -> bool:
        """Wait (at most timeout) until the condition holds, looking again whenever the panel commands."""
        with self.changed:
            return self.changed.wait_for(condition, timeout)

    def _on_command(self, command: dict[str, Any]) -> tuple[int, None]:
        """libosdp's command callback (inside refresh): keep what was asked; never raise into libosdp."""
        try:
            self._keep(command, time.monotonic())
        except Exception:
            return -1, None
        with self.changed:
            self.changed.notify_all()
        return 0, None

    def _keep(self, command: dict[str, Any], now: float) -> None:
        """Note an LED, buzzer or output command."""
        kind = command.get("command")
        if kind == self._osdp.Command.LED and command.get("temporary"):
            self._led_colour = COLOURS.get(command["on_color"], "off")
            self._led_until = now + command["timer_count"] / 10
            self.led_history.append((now, self._led_colour))
        elif kind == self._osdp.Command.Buzzer:
            self.beeps.append((now, command["rep_count"]))
        elif kind == self._osdp.Command.Output:
            state = command["control_code"] in (2, 4, 5)  # on: permanent (aborting or after a timer), or temporary
            self.outputs[command["output_no"]] = state
            self.output_history.append((now, command["output_no"], state))

    def _refresh(self) -> None:
        """libosdp's refresh until closed; the inputs are reported each time the Secure Channel comes up."""
        while not self._stop.wait(REFRESH_SECONDS):
            with self._lock:
                try:
                    self._pd.refresh()
                    secure = bool(self._pd.is_sc_active())
                    if secure and not self._was_secure:
                        self._report_inputs()
                    self._was_secure = secure
                except Exception:
                    self.refresh_errors += 1  # a simulated device survives what a real one would

    def close(self) -> None:
        """Stop the device and close its line."""
        self._stop.set()
        self._thread.join(WAIT)
        with self._lock:
            with contextlib.suppress(Exception):
                self._pd.flush_events()
            self._pd = None
        self._wire.close()

    def __enter__(self) -> SimulatedOsdpReader:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()
