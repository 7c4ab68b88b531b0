"""The site's OSDP bus (IEC 60839-11-5) with lockd as its control panel, through libosdp, Secure Channel enforced.

One libosdp control panel drives one bus (`[lockd.osdp] port`), shared by every device on it: the doors' relays
and the readers (lockd/osdp.py). `panel_for(bus)` gives the panel of a port, made on first use; a device attaches
to it with its address and Secure Channel base key, and the panel is closed once its last device detached.

The line is a serial device (an RS-485 adapter; raw mode, the bus's baud, non-blocking), or a serial device server
at tcp://host:port, reconnected after any error. Neither ever raises into libosdp: a failed read gives b"" and a
failed write 0, and the device is opened or connected again at most once a second.

What libosdp 3.2.9 does that this module works around (measured over a pty, tests/test_osdp.py):
- A device that stops answering, answers with a NAK (an LED command to a device without LEDs, say) or fails the
  Secure Channel handshake is taken offline for 300 s. The panel disables and re-enables a device that has been
  offline for KICK_SECONDS, so that a reader plugged back in is back within seconds, and sends a device only the
  commands its capabilities report.
- Offline and "the keys differ" look the same in libosdp's status. The line notes when each address last answered
  (a reply's header is never encrypted): a device that answers while its Secure Channel stays down has another key.
- libosdp calls back from inside its refresh, under its lock: the refresh thread is the panel's own (a daemon, with
  a re-entrant lock), and the event callback only queues. A dispatcher thread hands events, link changes and a
  periodic tick to the devices' listeners, one at a time, so that a listener is never called from two threads and a
  listener that raises is logged without stopping the bus.
- libosdp's own log goes to stderr in C; it is kept to critical messages (OFFICEPASS_OSDP_LOG=info or debug to see
  more while commissioning), lockd's log says what matters per device.
"""

from __future__ import annotations

import binascii
import contextlib
import errno
import functools
import importlib
import logging
import os
import queue
import socket
import termios
import threading
import time
import tty
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol

from facility.config.models import OsdpBus
from facility.errors import ConfigError, ConfigProblem, FacilityError

log = logging.getLogger(__name__)

OSDP_EXTRA = "pip install 'officepass-edge[lockd]' (libosdp; the Debian package officepass-door brings it)"
LOG_LEVEL_ENV = "OFFICEPASS_OSDP_LOG"
# libosdp asks for a refresh at least every 50 ms and polls a device 50 ms after its last answer: refreshed every 5 ms
# it reads an answer at once, and an event waits about 55 ms for its poll instead of 100 (p95 from a pass shown to it
# handed on: 125 ms instead of 210, at 115200 baud over a pty), for about half a percent of a core
REFRESH_SECONDS = 0.005
WATCH_SECONDS = 0.2
TICK_SECONDS = 0.2
REOPEN_SECONDS = 1.0
KICK_SECONDS = 5.0
GRACE_SECONDS = 5.0  # how long a device may take to bring its Secure Channel up before it is in trouble
SILENT_SECONDS = 3.0  # a device polled every 100 ms that has not answered this long is gone
QUEUED_EVENTS = 64
JOIN_SECONDS = 2.0
SOM = 0x53  # an OSDP packet's start of message; a reply's address byte has bit 7 set

Link = Literal["starting", "up", "offline", "secure_channel"]


class OsdpUnavailable(FacilityError):
    """libosdp is not installed here."""


def libosdp() -> tuple[Any, Any]:
    """libosdp's Python package and its C module, or one line naming the extra that brings them."""
    try:
        return importlib.import_module("osdp"), importlib.import_module("osdp_sys")
    except ImportError:
        raise OsdpUnavailable(
            f"OSDP readers and doors need libosdp, which is not installed here: {OSDP_EXTRA}"
        ) from None


def set_log_level() -> None:
    """Keep libosdp's C log to critical messages unless OFFICEPASS_OSDP_LOG asks for more."""
    osdp, osdp_sys = libosdp()
    wanted = os.environ.get(LOG_LEVEL_ENV, "critical").lower()
    levels = {"debug": "Debug", "info": "Info", "warning": "Warning", "error": "Error", "critical": "Critical"}
    osdp_sys.set_loglevel(getattr(osdp.LogLevel, levels.get(wanted, "Critical")))


# OSDP's default install key (SCBK-D, 0x30..0x3F): every reader out of the box knows it, so nobody else must.
WELL_KNOWN_KEYS = frozenset({bytes(range(0x30, 0x40))})


def read_scbk(path: Path, where: str) -> bytes:
    """The 16-byte Secure Channel base key in a key file of 32 hex digits; a ConfigError naming the file if not."""
    try:
        text = path.read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(str(path), [ConfigProblem(where, f"cannot read the OSDP key file {path}: {exc}")]) from None
    try:
        key = bytes.fromhex(text)
    except ValueError:
        key = b""
    if len(key) != 16:
        raise ConfigError(
            str(path),
            [ConfigProblem(where, f"the OSDP key file {path} must hold 32 hex digits (`officepass-site setup`)")],
        )
    if key in WELL_KNOWN_KEYS or len(set(key)) == 1:
        raise ConfigError(
            str(path),
            [ConfigProblem(where, f"the OSDP key in {path} is one everybody knows: make a secret one")],
        )
    return key


CRC_PRESENT = 0x04  # the control byte's bit: the packet ends in a CRC-16 (else in an 8-bit checksum)
PACKET_SIZES = range(8, 1441)  # what OSDP allows a packet, header to check; a length outside is no packet


def _intact(packet: bytes) -> bool:
    """True when a whole packet's check holds: CRC-16/AUG-CCITT (poly 0x1021, start 0x1D0F, little-endian at the
    end) when its control byte says so, else the 8-bit checksum that makes its bytes sum to 0."""
    if packet[4] & CRC_PRESENT:
        return binascii.crc_hqx(packet[:-2], 0x1D0F) == int.from_bytes(packet[-2:], "little")
    return sum(packet) % 256 == 0


class _Replies:
    """When each address last answered, seen in the bytes read: only whole packets whose check holds count, so the
    start-of-message byte met inside an encrypted payload never invents a device (a reply's header is in clear)."""

    def __init__(self) -> None:
        self._last: dict[int, float] = {}
        self._carry = b""

    def note(self, data: bytes) -> None:
        """Note the replies in data (a packet split between reads is joined with the next read)."""
        if not data:
            return
        seen, now = self._carry + data, time.monotonic()
        at = seen.find(SOM)
        while at >= 0:
            if len(seen) - at < 5:
                break  # the header is not all here yet
            size = int.from_bytes(seen[at + 2 : at + 4], "little")
            if size in PACKET_SIZES and len(seen) - at < size:
                break  # the packet is not all here yet
            if size in PACKET_SIZES and _intact(seen[at : at + size]):
                if seen[at + 1] & 0x80:
                    self._last[seen[at + 1] & 0x7F] = now
                at = seen.find(SOM, at + size)
            else:
                at = seen.find(SOM, at + 1)
        self._carry = seen[at:] if at >= 0 else b""

    def last(self, address: int) -> float | None:
        """When the address last answered (time.monotonic()), None if never."""
        return self._last.get(address)


class SerialLine:
    """A serial device as libosdp's channel: raw, at the bus's baud, non-blocking, opened again after an error."""

    def __init__(self, path: str, baud: int, channel_id: int = 1) -> None:
        self.id = channel_id  # libosdp's channel id: the same for every device on the bus, so it shares the line
        self.path, self.baud = path, baud
        self.replies = _Replies()
        self.generation = 0  # one more at each (re)open: the panel then tries the devices that are down at once
        self._fd: int | None = None
        self._tried = 0.0
        self._complained = False

    def _open(self) -> int | None:
        """The open device, opened now if closed (at most once a second); None if it cannot be opened."""
        if self._fd is not None:
            return self._fd
        if time.monotonic() - self._tried < REOPEN_SECONDS:
            return None
        self._tried = time.monotonic()
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_NOCTTY | os.O_NONBLOCK)
        except OSError as exc:
            self._complain(f"cannot be opened: {exc} (is the adapter plugged in, and lockd in group dialout?)")
            return None
        try:
            self._configure(fd)
        except (OSError, termios.error) as exc:
            os.close(fd)
            self._complain(f"is not a serial device lockd can set to {self.baud} baud: {exc}")
            return None
        if self._complained:
            log.warning("OSDP bus %s is open again", self.path)
        self._fd, self._complained = fd, False
        self.generation += 1
        return fd

    def maintain(self) -> None:
        """Open the device if it is closed (libosdp does not read a line while every device on it is set aside)."""
        self._open()

    def _configure(self, fd: int) -> None:
        """Raw 8N1 at the bus's baud, no flow control, modem lines ignored, anything already received dropped."""
        tty.setraw(fd, termios.TCSANOW)
        attrs = termios.tcgetattr(fd)
        attrs[2] = (attrs[2] & ~(termios.CSIZE | termios.PARENB | termios.CSTOPB | termios.CRTSCTS)) | (
            termios.CS8 | termios.CLOCAL | termios.CREAD
        )
        speed = getattr(termios, f"B{self.baud}")
        attrs[4] = attrs[5] = speed
        termios.tcsetattr(fd, termios.TCSANOW, attrs)
        termios.tcflush(fd, termios.TCIOFLUSH)

    def _complain(self, what: str) -> None:
        """Log the line's trouble once until it is open again (a missing adapter is tried every second)."""
        if not self._complained:
            log.warning("OSDP bus %s %s", self.path, what)
            self._complained = True

    def _lost(self, exc: OSError) -> None:
        """The device went away (an unplugged USB adapter gives EIO): close it, open it again later."""
        self._complain(f"failed: {exc}")
        self.close()

    def read(self, max_bytes: int) -> bytes:
        """What has arrived, at most max_bytes; b"" when nothing has or the line is down."""
        fd = self._open()
        if fd is None:
            return b""
        try:
            data = os.read(fd, max_bytes)
        except BlockingIOError:
            return b""
        except OSError as exc:
            self._lost(exc)
            return b""
        self.replies.note(data)
        return data

    def write(self, data: bytes) -> int:
        """Send what the line takes now; 0 when it takes nothing or is down."""
        fd = self._open()
        if fd is None:
            return 0
        try:
            return os.write(fd, data)
        except BlockingIOError:
            return 0
        except OSError as exc:
            self._lost(exc)
            return 0

    def flush(self) -> None:
        """Drop what has arrived and not been read (libosdp flushes after a broken packet); never what is being sent."""
        if self._fd is not None:
            with contextlib.suppress(OSError, termios.error):
                termios.tcflush(self._fd, termios.TCIFLUSH)

    def close(self) -> None:
        """Close the device."""
        if self._fd is not None:
            fd, self._fd = self._fd, None
            os.close(fd)

    def __str__(self) -> str:
        return self.path


class TcpLine:
    """A serial device server at tcp://host:port as libosdp's channel, connected without blocking, reconnected after
    an error or when the server closes the connection."""

    def __init__(self, host: str, port: int, channel_id: int = 1) -> None:
        self.id = channel_id
        self.host, self.port = host, port
        self.replies = _Replies()
        self.generation = 0  # one more at each connection: the panel then tries the devices that are down at once
        self._sock: socket.socket | None = None
        self._connected = False
        self._tried = 0.0
        self._complained = False

    def _ready(self) -> socket.socket | None:
        """The connected socket, connecting (at most once a second) if there is none; None until connected."""
        if self._sock is None:
            if time.monotonic() - self._tried < REOPEN_SECONDS:
                return None
            self._tried = time.monotonic()
            self._start_connect()
            return None
        if not self._connected:
            self._finish_connect()
        return self._sock if self._connected else None

    def _start_connect(self) -> None:
        """Begin a non-blocking connect (the host is looked up here: give an address where DNS may be slow)."""
        try:
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.setblocking(False)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            code = sock.connect_ex((self.host, self.port))
        except OSError as exc:
            self._complain(f"cannot be reached: {exc}")
            return
        if code not in (0, errno.EINPROGRESS):
            sock.close()
            self._complain(f"cannot be reached: {os.strerror(code)}")
            return
        self._sock = sock
        if code == 0:
            self._now_connected()

    def _finish_connect(self) -> None:
        """Whether the pending connect has completed: connected, failed (closed, tried again later) or pending."""
        assert self._sock is not None
        code = self._sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
        if code not in (0, errno.EINPROGRESS, errno.EALREADY):
            self._complain(f"cannot be reached: {os.strerror(code)}")
            self.close()
            return
        try:
            self._sock.getpeername()
        except OSError:
            return  # still connecting
        self._now_connected()

    def _now_connected(self) -> None:
        """The connection is up (said once bytes come: a server may accept and close at once)."""
        self._connected = True
        self.generation += 1

    def maintain(self) -> None:
        """Connect if not connected (libosdp does not read a line while every device on it is set aside)."""
        self._ready()

    def _complain(self, what: str) -> None:
        """Log the server's trouble once until it is connected again."""
        if not self._complained:
            log.warning("OSDP bus tcp://%s:%d %s", self.host, self.port, what)
            self._complained = True

    def read(self, max_bytes: int) -> bytes:
        """What has arrived, at most max_bytes; b"" when nothing has or the connection is down."""
        sock = self._ready()
        if sock is None:
            return b""
        try:
            data = sock.recv(max_bytes)
        except (BlockingIOError, InterruptedError):
            return b""
        except OSError as exc:
            self._complain(f"failed: {exc}")
            self.close()
            return b""
        if not data:  # the server closed the connection
            self._complain("closed the connection")
            self.close()
            return b""
        if self._complained:
            log.warning("OSDP bus tcp://%s:%d is connected again", self.host, self.port)
            self._complained = False
        self.replies.note(data)
        return data

    def write(self, data: bytes) -> int:
        """Send what the socket takes now; 0 when it takes nothing or the connection is down."""
        sock = self._ready()
        if sock is None:
            return 0
        try:
            return sock.send(data)
        except (BlockingIOError, InterruptedError):
            return 0
        except OSError as exc:
            self._complain(f"failed: {exc}")
            self.close()
            return 0

    def flush(self) -> None:
        """Nothing to flush on a socket."""

    def close(self) -> None:
        """Close the connection (a later read or write connects again)."""
        if self._sock is not None:
            sock, self._sock, self._connected = self._sock, None, False
            sock.close()

    def __str__(self) -> str:
        return f"tcp://{self.host}:{self.port}"


Line = SerialLine | TcpLine


def open_line(bus: OsdpBus) -> Line:
    """The line of the bus's port (opened on first use)."""
    if bus.port.startswith("tcp://"):
        host, _, port = bus.port.removeprefix("tcp://").rpartition(":")
        return TcpLine(host, int(port))
    return SerialLine(bus.port, bus.baud)


class DeviceListener(Protocol):
    """What hears one device on the panel: the door whose relay it is, the reader it is. Called from the panel's
    dispatcher thread only, one call at a time."""

    def on_event(self, event: Mapping[str, Any]) -> None:
        """An event the device reported over its Secure Channel."""

    def on_link(self, link: Link, detail: str) -> None:
        """The device's link changed: up, offline, or answering without a Secure Channel (the keys differ)."""

    def tick(self, now: float) -> None:
        """A few times a second, for the listener's own timers (time.monotonic())."""


@dataclass
class _Device:
    """One device on the bus and what the watcher knows of its link."""

    address: int
    scbk: bytes
    key_file: Path
    listeners: dict[DeviceListener, Link | None] = field(default_factory=dict)  # each with the link it was told
    link: Link = "starting"
    detail: str = ""
    up_at: float = field(default_factory=time.monotonic)  # when last up (or attached): the grace runs from here
    reply_seen: float | None = None
    answered_down: float | None = None  # when it last answered while its Secure Channel was down
    answering_since: float = 0.0  # when this spell of answers without a Secure Channel began
    kicked_at: float = field(default_factory=time.monotonic)
    kicking: bool = False


_WAKE = object()


def _no_event(offset: int, event: dict[str, Any]) -> int:
    """The event callback of a panel let go: nothing."""
    return 0


def _no_completion(offset: int, command: dict[str, Any], status: int) -> None:
    """The completion callback of a panel let go: nothing."""


class _Trouble:
    """One kind of exception a thread survives: the first is logged with its traceback, then one a minute."""

    def __init__(self, what: str) -> None:
        self.what, self.count, self._logged = what, 0, 0.0

    def happened(self) -> None:
        """Count the exception being handled, and log it if none was logged this minute."""
        self.count += 1
        if time.monotonic() - self._logged >= 60.0 or self.count == 1:
            self._logged = time.monotonic()
            log.exception("OSDP: %s failed (%d times so far)", self.what, self.count)


class OsdpPanel:
    """One bus's libosdp control panel: its devices, their links, and their events handed to their listeners."""

    def __init__(self, bus: OsdpBus, line: Line | None = None) -> None:
        self.bus = bus
        self.line = line if line is not None else open_line(bus)
        self.devices: dict[int, _Device] = {}
        self.closed = False
        self.ignored = 0  # events from a device whose Secure Channel was not up
        self.dropped = 0  # events the dispatcher could not take (a listener stuck)
        self._order: list[int] = []  # libosdp's device offsets: the addresses as the panel was made
        self._lock = threading.RLock()  # libosdp's: held by refresh, which calls back into this object
        self._changed = threading.Condition()
        self._rebuilding = threading.Lock()  # one rebuild at a time (devices attached from two threads)
        self._ctx: Any = None
        self._generation = 0
        self._refresh_stop = threading.Event()
        self._refresh_thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._events: queue.Queue[object] = queue.Queue(QUEUED_EVENTS)
        self._completions: list[tuple[int, dict[str, Any], Callable[[bool], None]]] = []
        self._threads: list[threading.Thread] = []
        self._troubles = {name: _Trouble(name) for name in ("refresh", "watch", "dispatch", "a listener", "an event")}

    @property
    def port(self) -> str:
        """The bus's port, as the facility file gives it."""
        return self.bus.port

    def attach(self, address: int, scbk: bytes, key_file: Path, listener: DeviceListener) -> None:
        """Hear a device; a device new to the panel is added to libosdp (started, or made again with it)."""
        if self.closed:
            raise RuntimeError(f"the OSDP panel of {self.port} is closed")
        with self._rebuilding:
            with self._lock:
                device = self.devices.get(address)
                if device is not None and device.scbk != scbk:
                    raise ConfigError(
                        str(key_file),
                        [ConfigProblem(f"osdp address {address}", f"{key_file} and {device.key_file} differ")],
                    )
                if device is None:
                    device = self.devices[address] = _Device(address, scbk, key_file)
                device.listeners[listener] = None
            if address not in self._order:
                self._rebuild()
        self._start_threads()

    def detach(self, address: int, listener: DeviceListener) -> None:
        """Stop hearing a device; the panel closes once nothing hears any device."""
        with self._lock:
            device = self.devices.get(address)
            if device is not None:
                device.listeners.pop(listener, None)
            idle = all(not d.listeners for d in self.devices.values())
        if idle:
            self.close()

    def link(self, address: int) -> Link:
        """The device's link as last seen."""
        return self.devices[address].link

    def wait_link(self, address: int, links: tuple[Link, ...], timeout: float) -> bool:
        """Wait (at most timeout) until the device's link is one of links."""
        with self._changed:
            return self._changed.wait_for(lambda: self.devices[address].link in links, timeout)

    def capable(self, address: int, capability: int) -> bool:
        """True when the device reported the capability (known once its link was up)."""
        with self._lock:
            if self._ctx is None or address not in self._order:
                return False
            try:
                _, items = self._ctx.check_capability(self._order.index(address), capability)
            except ValueError:
                return False
        return bool(items)

    def submit(self, address: int, command: dict[str, Any], done: Callable[[bool], None] | None = None) -> bool:
        """Queue a command for the device; done(True) once it acknowledged it (False: it did not). False when the
        command could not be queued (the device is not up)."""
        with self._lock:
            if self._ctx is None or address not in self._order:
                return False
            offset = self._order.index(address)
            if done is not None:
                del self._completions[:-QUEUED_EVENTS]  # a command libosdp never completes is not waited for
                self._completions.append((offset, dict(command), done))
            try:
                queued = bool(self._ctx.submit_command(offset, command))
            except (ValueError, TypeError) as exc:
                log.error("OSDP: command %s to address %d is malformed: %s", command, address, exc)
                queued = False
            if not queued and done is not None:
                self._completions.pop()
            return queued

    def close(self) -> None:
        """Stop the threads and libosdp, close the line, and forget the panel (panel_for makes a new one)."""
        with _PANELS_LOCK:
            if _PANELS.get(self.port) is self:
                del _PANELS[self.port]
        if self.closed:
            return
        self.closed = True
        self._stop.set()
        with contextlib.suppress(queue.Full):  # a full queue wakes the dispatcher anyway
            self._events.put_nowait(_WAKE)
        for thread in self._threads:
            if thread is not threading.current_thread():
                thread.join(JOIN_SECONDS)
        self._stop_refresh()
        self.line.close()

    # --- libosdp -------------------------------------------------------------------------------------------

    def _rebuild(self) -> None:
        """Make libosdp's panel with every device attached so far, and refresh it (libosdp takes no device once
        made: one attached after the start makes it again, which costs each device a new handshake)."""
        osdp, osdp_sys = libosdp()
        set_log_level()
        self._stop_refresh()  # outside the lock: the refresh thread takes it to finish its round
        with self._lock:
            order = list(self.devices)
            infos = [
                {
                    "name": f"osdp-{address}",
                    "address": address,
                    "flags": osdp.LibFlag.EnforceSecure,  # never InstallMode: a key is set on the device, never sent
                    "scbk": self.devices[address].scbk,
                    "channel": self.line,
                }
                for address in order
            ]
            ctx = osdp_sys.ControlPanel(infos)
            ctx.set_event_callback(functools.partial(self._on_event, ctx, order))
            ctx.set_command_completion_callback(self._on_completion)
            self._ctx, self._order = ctx, order
            self._completions.clear()
            now = time.monotonic()
            for device in self.devices.values():
                device.up_at = device.kicked_at = now
                device.kicking = False
                # A new panel knows no Secure Channel yet: every device is starting again, so that the listeners
                # hear it come up (a door sets its relay again then) and nothing is sent to it meanwhile as if up.
                device.link, device.detail = "starting", "the panel was made again: a new Secure Channel handshake"
                for listener in device.listeners:
                    device.listeners[listener] = None  # told "up" again once it is, even by a listener told before
            self._refresh_stop = threading.Event()
            self._refresh_thread = threading.Thread(
                target=self._refresh, args=(ctx, self._refresh_stop), name=f"osdp-refresh {self.port}", daemon=True
            )
            self._refresh_thread.start()

    def _stop_refresh(self) -> None:
        """Stop the refresh thread and wait for it (never while holding the lock it needs to see the stop), then let
        libosdp's panel go: its callbacks hold it, so they are replaced for it to be torn down."""
        self._refresh_stop.set()
        if self._refresh_thread is not None and self._refresh_thread is not threading.current_thread():
            self._refresh_thread.join(JOIN_SECONDS)
        self._refresh_thread = None
        with self._lock:
            if self._ctx is not None:
                self._ctx.set_event_callback(_no_event)
                self._ctx.set_command_completion_callback(_no_completion)
            self._ctx = None

    def _refresh(self, ctx: Any, stop: threading.Event) -> None:
        """libosdp's periodic refresh, until stopped; an exception (a callback's, leaked through C) is survived."""
        while not stop.wait(REFRESH_SECONDS):
            try:
                with self._lock:
                    if not stop.is_set():
                        ctx.refresh()
            except Exception:
                self._troubles["refresh"].happened()

    def _on_event(self, ctx: Any, order: list[int], offset: int, event: dict[str, Any]) -> int:
        """libosdp's event callback (inside refresh): queue what came over a Secure Channel, ignore the rest."""
        try:
            if not (ctx.sc_status() >> offset) & 1:
                self.ignored += 1
                return 0
            self._events.put_nowait((order[offset], event))
        except queue.Full:
            self.dropped += 1
        except Exception:
            self._troubles["an event"].happened()
        return 0

    def _on_completion(self, offset: int, command: dict[str, Any], status: int) -> None:
        """libosdp's command completion callback (inside refresh): tell whoever waits for this command."""
        try:
            for index, (at, sent, done) in enumerate(self._completions):
                if at == offset and all(command.get(key) == value for key, value in sent.items()):
                    del self._completions[index]
                    done(status == 0)
                    return
        except Exception:
            self._troubles["an event"].happened()

    # --- the panel's threads -------------------------------------------------------------------------------

    def _start_threads(self) -> None:
        """Start the watcher and the dispatcher, once."""
        if self._threads:
            return
        for name, target in (("watch", self._watch_loop), ("dispatch", self._dispatch_loop)):
            thread = threading.Thread(target=target, name=f"osdp-{name} {self.port}", daemon=True)
            self._threads.append(thread)
            thread.start()

    def _watch_loop(self) -> None:
        """Look at every device's link a few times a second until closed."""
        while not self._stop.wait(WATCH_SECONDS):
            try:
                self._watch(time.monotonic())
            except Exception:
                self._troubles["watch"].happened()

    def _watch(self, now: float) -> None:
        """Each device's link from libosdp's status and the line's replies; re-enable devices libosdp gave up on."""
        with self._lock:
            if self._ctx is None:
                return
            self.line.maintain()
            if self.line.generation != self._generation:  # the line is (again) open: try what is down now
                self._generation = self.line.generation
                for device in self.devices.values():
                    device.kicked_at = -KICK_SECONDS
            online, secure = self._ctx.status(), self._ctx.sc_status()
            for offset, address in enumerate(self._order):
                device = self.devices[address]
                up = bool((secure >> offset) & 1)
                self._judge(device, up, now)
                self._kick(device, offset, up or bool((online >> offset) & 1), now)
        with self._changed:
            self._changed.notify_all()

    def _judge(self, device: _Device, secure: bool, now: float) -> None:
        """The device's link: up while its Secure Channel is and it answers; answering for GRACE_SECONDS without a
        Secure Channel: another key; silent for SILENT_SECONDS (or never heard past the grace): offline."""
        replied = self.line.replies.last(device.address)
        if not secure and replied is not None and replied != device.reply_seen:
            if device.answered_down is None or now - device.answered_down > 2 * KICK_SECONDS:
                device.answering_since = now  # a new spell of answers without a Secure Channel
            device.answered_down = now
        device.reply_seen = replied
        silent = replied is None or now - replied > SILENT_SECONDS
        answering = device.answered_down is not None and now - device.answered_down <= 2 * KICK_SECONDS
        if secure and not silent:
            device.up_at, device.answered_down = now, None
            device.link, device.detail = "up", "Secure Channel up"
        elif not secure and answering:
            if now - device.answering_since >= GRACE_SECONDS:
                device.link = "secure_channel"
                device.detail = (
                    f"it answers, but the Secure Channel did not come up in {GRACE_SECONDS:.0f} s: "
                    f"the keys differ (its key is not the one in {device.key_file})"
                )
        elif silent and (replied is not None or now - device.up_at >= GRACE_SECONDS):
            device.link = "offline"
            device.detail = f"no answer for {now - (replied or device.up_at):.0f} s"

    def _kick(self, device: _Device, offset: int, online: bool, now: float) -> None:
        """Disable and, at the next look, enable a device libosdp has set aside (for 300 s), so it is tried now."""
        if device.kicking:
            if not self._ctx.is_pd_enabled(offset):
                self._ctx.enable_pd(offset)
                device.kicking = False
            return
        if online or now - device.kicked_at < KICK_SECONDS:
            return
        device.kicked_at = now
        device.kicking = bool(self._ctx.disable_pd(offset))

    def _dispatch_loop(self) -> None:
        """Hand events, link changes and ticks to the listeners until closed."""
        next_tick = time.monotonic()
        while not self._stop.is_set():
            try:
                item = self._events.get(timeout=max(0.0, next_tick - time.monotonic()))
            except queue.Empty:
                item = None
            try:
                if isinstance(item, tuple):
                    self._dispatch(*item)
                if time.monotonic() >= next_tick:
                    next_tick = time.monotonic() + TICK_SECONDS
                    self._tick(time.monotonic())
            except Exception:
                self._troubles["dispatch"].happened()

    def _dispatch(self, address: int, event: Mapping[str, Any]) -> None:
        """One event to each of its device's listeners."""
        with self._lock:
            listeners = list(self.devices[address].listeners)
        for listener in listeners:
            self._guarded(listener.on_event, event)

    def _tick(self, now: float) -> None:
        """Tell each listener its device's link if it changed, then let it look at its timers."""
        due: list[tuple[DeviceListener, Link | None, str]] = []
        with self._lock:  # a listener detached meanwhile is neither told nor put back
            for device in self.devices.values():
                for listener, told in device.listeners.items():
                    news: Link | None = device.link if told != device.link and device.link != "starting" else None
                    if news is not None:
                        device.listeners[listener] = news
                    due.append((listener, news, device.detail))
        for listener, news, detail in due:
            if news is not None:
                self._guarded(listener.on_link, news, detail)
            self._guarded(listener.tick, now)

    def _guarded(self, call: Callable[..., None], *args: Any) -> None:
        """Call a listener; what it raises is logged (once a minute) and goes no further."""
        try:
            call(*args)
        except Exception:
            self._troubles["a listener"].happened()


_PANELS: dict[str, OsdpPanel] = {}
_PANELS_LOCK = threading.Lock()


def panel_for(bus: OsdpBus) -> OsdpPanel:
    """The panel of the bus's port, shared by its doors and readers; made on first use (a closed one is replaced)."""
    with _PANELS_LOCK:
        panel = _PANELS.get(bus.port)
        if panel is None or panel.closed:
            panel = _PANELS[bus.port] = OsdpPanel(bus)
        elif panel.bus.baud != bus.baud:
            log.warning("OSDP bus %s: asked at %d baud, open at %d", bus.port, bus.baud, panel.bus.baud)
        return panel
