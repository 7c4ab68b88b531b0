"""The stand-in platform's HTTP server: a real threaded server on loopback, with fault switches."""

from __future__ import annotations

import contextlib
import json
import logging
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

from simulator.platform.api import Answer, PlatformApi, Request
from simulator.platform.errors import ApiError
from simulator.platform.faults import Fault, FaultSetting, FaultSwitches
from simulator.platform.service import PlatformService

log = logging.getLogger(__name__)
MAX_BODY = 64 * 1024
CONTROL_PREFIX = "/v1/_sim/"


class _Server(ThreadingHTTPServer):
    """One listening socket; handler threads die with the process."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], platform: PlatformServer) -> None:
        super().__init__(address, _Handler)
        self.platform = platform
        self.connections: set[socket.socket] = set()

    def cut_connections(self) -> None:
        """Close every open client connection too: unreachable means kept-alive connections die as well."""
        for connection in list(self.connections):
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)


class _Handler(BaseHTTPRequestHandler):
    """Hands every request to the platform server."""

    protocol_version = "HTTP/1.1"
    server: _Server

    def setup(self) -> None:
        """Track the connection so going unreachable can cut it."""
        super().setup()
        self.server.connections.add(self.connection)

    def finish(self) -> None:
        """Forget the connection."""
        self.server.connections.discard(self.connection)
        super().finish()

    def do_GET(self) -> None:
        """GET, and (aliased below) POST, PUT and DELETE."""
        self.server.platform.handle(self)

    # Every other method gets the API's own 405 (JSON, with the methods allowed), not http.server's HTML 501.
    do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = do_TRACE = do_GET

    def __getattr__(self, name: str):
        """Any method http.server does not know (QUERY, PROPFIND...) also gets the API's 405."""
        if name.startswith("do_"):
            return self.do_GET
        raise AttributeError(name)

    def do_HEAD(self) -> None:
        """HEAD is not part of the API: 405, and (as HEAD requires) no body."""
        self.send_response(405)
        self.send_header("Allow", "GET, POST, PUT, DELETE")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args) -> None:
        """Request lines go to the debug log, not stderr."""
        log.debug("%s %s", self.address_string(), format % args)


def _parse(handler: BaseHTTPRequestHandler) -> Request:
    """The request's path, query, headers and JSON body (400 or 413 when unreadable)."""
    url = urlsplit(handler.path)
    length = int(handler.headers.get("Content-Length") or 0)
    if length > MAX_BODY:
        raise ApiError(413, "too_large", f"body over {MAX_BODY} bytes", "リクエストが大きすぎます")
    raw = handler.rfile.read(length) if length else b""
    try:
        body = json.loads(raw) if raw else None
    except (ValueError, UnicodeDecodeError):
        raise ApiError.bad_request("the body is not JSON") from None
    if body is not None and not isinstance(body, dict):
        raise ApiError.bad_request("the body must be a JSON object")
    headers = {k.lower(): v for k, v in handler.headers.items()}
    return Request(handler.command, url.path.rstrip("/") or "/", dict(parse_qsl(url.query)), headers, body)


CAPTIVE_PORTAL = b"<!DOCTYPE html><html><head><title>Wi-Fi login</title></head><body>Please log in</body></html>"


def _respond(handler: BaseHTTPRequestHandler, status: int, body: object, headers: dict[str, str] | None = None) -> None:
    """Write a JSON answer (bytes are written as an HTML page, as a captive portal would)."""
    html = isinstance(body, bytes)
    data = body if isinstance(body, bytes) else json.dumps(body, ensure_ascii=False).encode()
    handler.send_response(status)
    handler.send_header("Content-Type", "text/html; charset=utf-8" if html else "application/json; charset=utf-8")
    handler.send_header("Content-Length", str(len(data)))
    for name, value in (headers or {}).items():
        handler.send_header(name, value)
    handler.end_headers()
    handler.wfile.write(data)


def _drip(handler: BaseHTTPRequestHandler, status: int, body: dict, every: float, released: threading.Event) -> None:
    """The answer, a byte at a time, each after `every` seconds (until the switch is cleared or the caller leaves)."""
    data = json.dumps(body, ensure_ascii=False).encode()
    handler.send_response(status)
    handler.send_header("Content-Type", "application/json; charset=utf-8")
    handler.send_header("Content-Length", str(len(data)))
    handler.end_headers()
    try:
        for byte in data:
            handler.wfile.write(bytes([byte]))
            handler.wfile.flush()
            released.wait(every)
    except OSError:
        handler.close_connection = True


def _drop(handler: BaseHTTPRequestHandler) -> None:
    """Close the connection without answering, as a crashed or cut-off server would."""
    handler.close_connection = True
    with contextlib.suppress(OSError):
        handler.connection.shutdown(socket.SHUT_RDWR)


class PlatformServer:
    """Serves the platform API on host:port; faults and unreachability are switched here."""

    def __init__(self, service: PlatformService, host: str = "127.0.0.1", port: int = 0) -> None:
        self.host = host
        self.port = port
        self.faults = FaultSwitches()
        self.api = PlatformApi(service, self)
        self._server: _Server | None = None
        self._lock = threading.Lock()
        self._reachability = threading.Condition()

    @property
    def url(self) -> str:
        """The API's base URL."""
        return f"http://{self.host}:{self.port}/v1"

    def start(self) -> None:
        """Listen and serve on a background thread."""
        with self._lock:
            self._server = _Server((self.host, self.port), self)
            self.port = self._server.server_address[1]
            # A short poll interval makes shutdown (and going unreachable) prompt.
            threading.Thread(target=self._server.serve_forever, args=(0.05,), name="platform-http", daemon=True).start()
        self._announce()

    def _close(self) -> None:
        """Stop listening; requests already inside finish."""
        with self._lock:
            server, self._server = self._server, None
        if server is not None:
            server.shutdown()
            server.server_close()
            server.cut_connections()
        self._announce()

    def _announce(self) -> None:
        """Wake whoever waits for the port to open or close."""
        with self._reachability:
            self._reachability.notify_all()

    def wait_reachable(self, reachable: bool, timeout: float) -> bool:
        """Wait until the port is open (or closed); False if it is not by timeout."""
        with self._reachability:
            return self._reachability.wait_for(lambda: self.reachable is reachable, timeout)

    def stop(self) -> None:
        """Stop serving and let any hanging request go."""
        self.faults.released.set()
        self._close()

    def go_unreachable(self, seconds: float | None = None) -> None:
        """Close the port (connections are refused); come back after seconds, if given."""
        self._close()
        if seconds:
            timer = threading.Timer(seconds, self.restore)
            timer.daemon = True
            timer.start()

    def restore(self) -> None:
        """Listen again on the same port after go_unreachable."""
        if self._server is None:
            self.start()

    @property
    def reachable(self) -> bool:
        """True while the port is open."""
        return self._server is not None

    def handle(self, handler: BaseHTTPRequestHandler) -> None:
        """Answer one request, unless a fault switch says otherwise."""
        try:
            request = _parse(handler)
        except ApiError as exc:
            return _respond(handler, exc.status, exc.body())
        setting = FaultSetting() if request.path.startswith(CONTROL_PREFIX) else self.faults.take(request.path)
        fault = setting.fault
        if fault is Fault.ERROR_500:
            return _respond(
                handler,
                500,
                {"error": "internal", "message_en": "simulated server error", "message_ja": "サーバーエラー(模擬)"},
            )
        if fault is Fault.RATE_LIMIT:
            return _respond(
                handler,
                429,
                {"error": "rate_limited", "message_en": "slow down", "message_ja": "混雑中です"},
                {"Retry-After": str(setting.retry_after)},
            )
        if fault is Fault.HANG:
            self.faults.released.wait(setting.hang_seconds)
            return _drop(handler)
        if fault is Fault.NOT_AN_OBJECT:
            return _respond(handler, setting.status, [])
        if fault is Fault.HTML:
            return _respond(handler, setting.status, CAPTIVE_PORTAL)
        if fault is Fault.UNAUTHORIZED:
            return _respond(
                handler,
                401,
                {
                    "error": "unauthorized",
                    "message_en": "the API token has expired",
                    "message_ja": "APIトークンの有効期限が切れています",
                },
            )
        status, body = self._answer(request)
        if fault is Fault.GARBLED_ITEM and isinstance(body.get("reservations"), list):
            body = dict(body, reservations=[*body["reservations"], setting.item])
        if fault is Fault.DRIP:
            _drip(handler, status, body, setting.hang_seconds, self.faults.released)
        elif fault is Fault.DROP_AFTER_COMMIT:
            _drop(handler)  # committed, but the caller never hears so
        else:
            allow = {"Allow": ", ".join(self.api.allowed(request.path))} if status == 405 else None
            _respond(handler, status, body, allow)
        for action in request.after:
            action()

    def _answer(self, request: Request) -> Answer:
        """Route the request; errors become their JSON answers."""
        try:
            return self.api.route(request)
        except ApiError as exc:
            return exc.status, exc.body()
        except Exception:
            log.exception("platform failed on %s %s", request.method, request.path)
            return 500, {"error": "internal", "message_en": "unexpected error", "message_ja": "予期しないエラー"}
