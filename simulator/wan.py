"""A site's WAN link on loopback: a TCP relay in front of the platform's broker that can be cut and restored.

Cutting it drops every connection through it at once (as a router that reboots does) and stops listening,
so new connections are refused until it is restored, while the brokers on both sides keep running. It
relays bytes only: TLS runs end to end through it, verified as ever.

Refusing matters: a relay that accepted a connection and then closed it would look to a bridge like a TLS
handshake cut short, which Mosquitto 2.0.11 sometimes never recovers from (docs/mqtt.md). For the same
reason, stop the far broker only behind a link that is cut, or dial it directly.
"""

from __future__ import annotations

import contextlib
import socket
import threading

BUFFER = 65536


class WanLink:
    """Listens on a free loopback port and relays each connection to the target until cut."""

    def __init__(self, target_port: int, host: str = "127.0.0.1") -> None:
        self.host = host
        self.target = (host, target_port)
        self._lock = threading.Lock()
        self._open: list[socket.socket] = []
        self._listener = socket.create_server((host, 0))
        self.port: int = self._listener.getsockname()[1]
        self._accepting = self._listen()

    @property
    def up(self) -> bool:
        """True while the link carries traffic."""
        return self._listener.fileno() != -1

    def _listen(self) -> threading.Thread:
        """Accept connections on the current listener, on a thread of their own."""
        thread = threading.Thread(target=self._accept, args=(self._listener,), name="wan-link", daemon=True)
        thread.start()
        return thread

    def _accept(self, listener: socket.socket) -> None:
        """Relay each connection to the target until the listener is closed."""
        while True:
            try:
                inside, _ = listener.accept()
            except OSError:
                return  # closed by cut() or stop()
            try:
                outside = socket.create_connection(self.target, timeout=5)
            except OSError:
                inside.close()  # the far broker is down
                continue
            outside.settimeout(None)
            with self._lock:
                self._open += [inside, outside]
            for source, sink in ((inside, outside), (outside, inside)):
                threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    @staticmethod
    def _pump(source: socket.socket, sink: socket.socket) -> None:
        """Copy bytes one way until either side ends; then end both."""
        try:
            while data := source.recv(BUFFER):
                sink.sendall(data)
        except OSError:
            pass
        for end in (source, sink):
            with contextlib.suppress(OSError):  # the other direction may have ended it already
                end.shutdown(socket.SHUT_RDWR)
            end.close()

    def _close_listener(self) -> None:
        """Stop listening: connections are refused from now on."""
        with contextlib.suppress(OSError):
            self._listener.shutdown(socket.SHUT_RDWR)  # wakes the blocked accept(), which close() alone does not
        self._listener.close()
        self._accepting.join(5)

    def cut(self) -> None:
        """Drop every connection and refuse new ones until restore()."""
        if self.up:
            self._close_listener()
        with self._lock:
            dropped, self._open = self._open, []
        for end in dropped:
            with contextlib.suppress(OSError):
                end.shutdown(socket.SHUT_RDWR)
            end.close()

    def restore(self) -> None:
        """Listen again on the same port."""
        if not self.up:
            self._listener = socket.create_server((self.host, self.port))
            self._accepting = self._listen()

    def stop(self) -> None:
        """Cut everything for good."""
        self.cut()
