"""The stand-in platform's HTTP server: the FastAPI app (simulator/platform/api.py) under uvicorn on a background
thread, on loopback, behind the fault switches."""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import threading
from collections.abc import Callable

import uvicorn
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from simulator.platform.api import create_app
from simulator.platform.errors import ApiError
from simulator.platform.faults import Fault, FaultSetting, FaultSwitches
from simulator.platform.service import PlatformService

MAX_BODY = 64 * 1024
CONTROL_PREFIX = "/v1/_sim/"
CAPTIVE_PORTAL = b"<!DOCTYPE html><html><head><title>Wi-Fi login</title></head><body>Please log in</body></html>"
CANNED = {
    Fault.ERROR_500: ApiError(500, "internal", "simulated server error", "サーバーエラー(模擬)"),
    Fault.RATE_LIMIT: ApiError(429, "rate_limited", "slow down", "混雑中です"),
    Fault.UNAUTHORIZED: ApiError(
        401, "unauthorized", "the API token has expired", "APIトークンの有効期限が切れています"
    ),
}
SHUTDOWN_GRACE = 10.0  # seconds a request inside (a door's answer awaited) may take to end when the port closes
TOO_LARGE = ApiError(413, "too_large", f"body over {MAX_BODY} bytes", "リクエストが大きすぎます")
RawReply = tuple[int, list[tuple[bytes, bytes]], bytes]  # status, headers, body


# --- speaking ASGI by hand, where the faults need it ---------------------------------------------------------------


async def _write(send: Send, status: int, body: bytes, media: str, headers: dict[str, str] | None = None) -> None:
    """One whole answer."""
    fields = [(b"content-type", media.encode()), (b"content-length", str(len(body)).encode())]
    fields += [(name.lower().encode(), value.encode()) for name, value in (headers or {}).items()]
    await send({"type": "http.response.start", "status": status, "headers": fields})
    await send({"type": "http.response.body", "body": body})


async def _write_json(send: Send, status: int, body: object, headers: dict[str, str] | None = None) -> None:
    """A JSON answer."""
    await _write(send, status, json.dumps(body, ensure_ascii=False).encode(), "application/json", headers)


async def _whole_body(scope: Scope, receive: Receive) -> bytes | None:
    """The request's body, or None when it is over MAX_BODY (told by Content-Length, or found while reading)."""
    declared = dict(scope["headers"]).get(b"content-length", b"0")
    if declared.isdigit() and int(declared) > MAX_BODY:
        return None
    chunks, size, more = [], 0, True
    while more:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunks.append(message.get("body", b""))
        size += len(chunks[-1])
        if size > MAX_BODY:
            return None
        more = message.get("more_body", False)
    return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    """A receive that gives the body already read, then whatever the connection says next (its end)."""
    given = False

    async def replay() -> Message:
        """The body once, then the connection."""
        nonlocal given
        if given:
            return await receive()
        given = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replay


async def _captured(app: ASGIApp, scope: Scope, receive: Receive) -> RawReply:
    """Run the request through the app and keep its answer instead of sending it."""
    status, headers, chunks = 500, [], []

    async def keep(message: Message) -> None:
        """Hold each part of the answer."""
        nonlocal status, headers
        if message["type"] == "http.response.start":
            status, headers = message["status"], list(message.get("headers", []))
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))

    await app(scope, receive, keep)
    return status, headers, b"".join(chunks)


def _garbled(answer: RawReply, item: object) -> RawReply:
    """A list answer (reservations) with one more item, as given; any other answer as it was."""
    status, headers, body = answer
    try:
        parsed = json.loads(body)
    except ValueError:
        return answer
    if not isinstance(parsed, dict) or not isinstance(parsed.get("reservations"), list):
        return answer
    body = json.dumps(dict(parsed, reservations=[*parsed["reservations"], item]), ensure_ascii=False).encode()
    kept = [(name, value) for name, value in headers if name.lower() != b"content-length"]
    return status, [*kept, (b"content-length", str(len(body)).encode())], body


# --- uvicorn on a thread, stopped by an event -------------------------------------------------------------------


class _Uvicorn(uvicorn.Server):
    """uvicorn's server, stopped at once by an event (not its tenth-of-a-second poll), cutting every connection."""

    def __init__(self, config: uvicorn.Config, let_go: Callable[[], None]) -> None:
        super().__init__(config)
        self.ready = threading.Event()  # set once it listens, or once it has failed to
        self.loop: asyncio.AbstractEventLoop | None = None
        self._stopping: asyncio.Event | None = None
        self._let_go = let_go

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        """Listen, then say so."""
        self.loop, self._stopping = asyncio.get_running_loop(), asyncio.Event()
        try:
            await super().startup(sockets)
        finally:
            self.ready.set()

    async def main_loop(self) -> None:
        """Serve until stop() (uvicorn's own loop would poll should_exit every 0.1 s)."""
        await self.on_tick(0)  # the default headers
        assert self._stopping is not None
        await self._stopping.wait()

    def stop(self) -> None:
        """From any thread: stop listening and cut every connection."""
        self.should_exit = True
        if self.loop is not None and self._stopping is not None:
            with contextlib.suppress(RuntimeError):  # the loop has already ended
                self.loop.call_soon_threadsafe(self._stopping.set)

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        """Close the port and every connection, kept-alive and mid-request alike (a stopped or unreachable platform
        answers nobody), let hanging requests go, and give the requests inside a moment to end."""
        for server in self.servers:
            server.close()
        self._cut_connections()
        self._let_go()
        if self.server_state.tasks:
            _, stuck = await asyncio.wait(set(self.server_state.tasks), timeout=SHUTDOWN_GRACE)
            for task in stuck:
                task.cancel()
        self._cut_connections()  # one accepted just before the port closed, and set up meanwhile

    def _cut_connections(self) -> None:
        """Close every connection there is."""
        for connection in list(self.server_state.connections):
            connection.transport.close()

    def transport_of(self, client: object) -> asyncio.Transport | None:
        """The open connection a request came on, by the client's address and port (the scope's `client`)."""
        for connection in self.server_state.connections:
            if getattr(connection, "client", None) == client and not connection.transport.is_closing():
                return connection.transport
        return None


def _listen(host: str, port: int) -> socket.socket:
    """A listening TCP socket on host:port (port 0: a free one)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # Said to be TCP: asyncio turns Nagle off only on such sockets' connections, and with it on, an answer's body
    # waits 40 ms behind its headers on a kept-alive connection.
    listening = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    listening.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # the same port again after going unreachable
    try:
        listening.bind((host, port))
        listening.listen(128)
    except OSError:
        listening.close()
        raise
    return listening


class PlatformServer:
    """Serves the platform API on host:port; faults and unreachability are switched here."""

    def __init__(self, service: PlatformService, host: str = "127.0.0.1", port: int = 0) -> None:
        self.host = host
        self.port = port
        self.faults = FaultSwitches()
        self.app = create_app(service, self)
        self._uvicorn: _Uvicorn | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.RLock()  # start, close and restore, one at a time
        self._reachability = threading.Condition()
        self._cut_offs_due = 0  # asked for through PUT /_sim/faults and not yet carried out
        self._comeback: threading.Timer | None = None
        self._stopped = False  # stop() was called: no timed comeback or late cut-off opens the port again
        self._held: set[asyncio.Future[None]] = set()  # requests a fault switch holds (hang, drip)

    @property
    def url(self) -> str:
        """The API's base URL."""
        return f"http://{self.host}:{self.port}/v1"

    def start(self) -> None:
        """Listen and serve on a background thread; returns once connections are accepted."""
        with self._lock:
            self._stopped = False
            if self._uvicorn is not None:
                return
            listening = _listen(self.host, self.port)
            self.port = listening.getsockname()[1]  # known at once, also when port 0 picked a free one
            config = uvicorn.Config(
                _FaultLayer(self.app, self),
                interface="asgi3",
                http="h11",
                ws="none",
                lifespan="off",
                proxy_headers=False,  # the client's address is the connection's (a dropped answer finds it by it)
                log_config=None,  # the programs' own logging stays as they set it
                log_level="error",  # not a warning per malformed request a fuzzer sends
                access_log=False,
            )
            server = _Uvicorn(config, self._let_go)
            thread = threading.Thread(target=server.run, args=([listening],), name="platform-http", daemon=True)
            thread.start()
            server.ready.wait()
            if not server.started:
                thread.join()
                listening.close()
                raise OSError(f"the stand-in platform could not serve on {self.host}:{self.port}")
            self._uvicorn, self._thread = server, thread
        self._announce()

    def _close(self) -> None:
        """Stop listening and cut every connection; returns once the port is closed."""
        with self._lock:
            if self._uvicorn is not None and self._thread is not None:
                self._uvicorn.stop()
                self._thread.join()
            self._uvicorn, self._thread = None, None  # unreachable only now that the port is closed
        self._announce()

    def _announce(self) -> None:
        """Wake whoever waits for the port to open or close, or for a cut-off to be carried out."""
        with self._reachability:
            self._reachability.notify_all()

    def wait_reachable(self, reachable: bool, timeout: float) -> bool:
        """Wait until the port is open (or closed); False if it is not by timeout."""
        with self._reachability:
            return self._reachability.wait_for(lambda: self.reachable is reachable, timeout)

    def stop(self) -> None:
        """Stop serving and let any hanging request go; a pending comeback is called off."""
        with self._lock:
            self._stopped = True
            self._call_off_comeback()
        self.faults.released.set()
        self._close()

    def go_unreachable(self, seconds: float | None = None) -> None:
        """Close the port (connections are refused); come back after seconds, if given."""
        self._close()
        with self._lock:
            self._call_off_comeback()
            if seconds and not self._stopped:
                self._comeback = threading.Timer(seconds, self.restore)
                self._comeback.daemon = True
                self._comeback.start()

    def restore(self) -> None:
        """Listen again on the same port after go_unreachable (not after stop)."""
        with self._lock:
            self._call_off_comeback()
            if self._stopped:
                return
            self.start()

    def _call_off_comeback(self) -> None:
        """Forget a timed comeback (a restore or a stop came first)."""
        with self._lock:
            if self._comeback is not None and self._comeback is not threading.current_thread():
                self._comeback.cancel()
            self._comeback = None

    def cut_off(self, seconds: float) -> Callable[[], None]:
        """From a request (PUT /_sim/faults): promise to close the port for `seconds`; the step that does it, to run
        once the answer is out, on its own thread (the server cannot wait for itself to stop)."""
        with self._reachability:
            self._cut_offs_due += 1

        def carry_out() -> None:
            """Close the port, and say the promise is kept."""
            try:
                self.go_unreachable(seconds)
            finally:
                with self._reachability:
                    self._cut_offs_due -= 1
                    self._reachability.notify_all()

        return lambda: threading.Thread(target=carry_out, name="platform-cut-off", daemon=True).start()

    def settle(self, timeout: float = 10.0) -> None:
        """Back to normal for the next caller: any cut-off asked for carried out, the switch cleared, the port open
        (a fuzzer that flips the switches, between its requests)."""
        with self._reachability:
            self._reachability.wait_for(lambda: self._cut_offs_due == 0, timeout)
        self.faults.clear()
        self.restore()

    @property
    def reachable(self) -> bool:
        """True while the port is open."""
        return self._uvicorn is not None

    def connected(self, scope: Scope) -> asyncio.Transport | None:
        """The open connection a request came on (None once the caller or the server has closed it)."""
        server = self._uvicorn
        return server.transport_of(scope.get("client")) if server is not None else None

    async def until_released(self, seconds: float) -> None:
        """Wait until the switch is cleared or the server stops, at most `seconds`, without holding the event loop
        (the switch is a threading.Event: a thread waits on it and wakes this request)."""
        loop = asyncio.get_running_loop()
        released: asyncio.Future[None] = loop.create_future()

        def wake() -> None:
            """Let the request go (once)."""
            if not released.done():
                released.set_result(None)

        def watch() -> None:
            """Wait on the switch, then wake the request (unless the server has ended meanwhile)."""
            self.faults.released.wait(seconds)
            with contextlib.suppress(RuntimeError):  # the loop has ended: nobody waits any more
                loop.call_soon_threadsafe(wake)

        self._held.add(released)
        threading.Thread(target=watch, name="platform-fault-wait", daemon=True).start()
        try:
            await released
        finally:
            self._held.discard(released)

    def _let_go(self) -> None:
        """In a closing server's loop: every request a fault switch holds there goes on (to find its caller gone)."""
        loop = asyncio.get_running_loop()
        for held in list(self._held):
            if held.get_loop() is loop and not held.done():
                held.set_result(None)


class _FaultLayer:
    """The app behind the body limit and the fault switches: each request asks the switch how to (mis)behave."""

    def __init__(self, app: ASGIApp, server: PlatformServer) -> None:
        self.app = app
        self.server = server

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """One request: over the limit, a 413; else as the fault switch says (the /_sim calls never switched)."""
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        body = await _whole_body(scope, receive)
        if body is None:
            return await _write_json(send, TOO_LARGE.status, TOO_LARGE.body())
        path = scope["path"]
        setting = FaultSetting() if path.startswith(CONTROL_PREFIX) else self.server.faults.take(path)
        await self._answer(setting, scope, _replay(body, receive), send)

    async def _answer(self, setting: FaultSetting, scope: Scope, receive: Receive, send: Send) -> None:
        """Answer as the switch says."""
        fault = setting.fault
        if fault in CANNED:
            refusal = CANNED[fault]
            retry = {"Retry-After": str(setting.retry_after)} if fault is Fault.RATE_LIMIT else None
            return await _write_json(send, refusal.status, refusal.body(), retry)
        if fault is Fault.NOT_AN_OBJECT:
            return await _write_json(send, setting.status, [])
        if fault is Fault.HTML:
            return await _write(send, setting.status, CAPTIVE_PORTAL, "text/html; charset=utf-8")
        if fault is Fault.HANG:
            await self.server.until_released(setting.hang_seconds)
            return await self._drop(scope, receive)
        if fault not in (Fault.GARBLED_ITEM, Fault.DRIP, Fault.DROP_AFTER_COMMIT):
            return await self.app(scope, receive, send)
        answer = await _captured(self.app, scope, receive)  # carried out: committed whatever happens next
        if fault is Fault.DROP_AFTER_COMMIT:
            return await self._drop(scope, receive)
        if fault is Fault.GARBLED_ITEM:
            answer = _garbled(answer, setting.item)
        status, headers, body = answer
        await send({"type": "http.response.start", "status": status, "headers": headers})
        if fault is Fault.DRIP:
            await self._drip(scope, send, body, setting.hang_seconds)
        await send({"type": "http.response.body", "body": b"" if fault is Fault.DRIP else body})

    async def _drip(self, scope: Scope, send: Send, body: bytes, every: float) -> None:
        """The body a byte at a time, each after `every` seconds, until the switch is cleared or the caller leaves."""
        for at, byte in enumerate(body):
            if at:
                await self.server.until_released(every)
            if self.server.connected(scope) is None:
                return
            await send({"type": "http.response.body", "body": bytes([byte]), "more_body": True})

    async def _drop(self, scope: Scope, receive: Receive) -> None:
        """Close the connection without an answer, then wait until uvicorn has seen it go (it would answer a request
        left without one with a 500 of its own)."""
        transport = self.server.connected(scope)
        if transport is not None:
            transport.close()
        while (await receive())["type"] != "http.disconnect":
            pass
