"""A socket server on 127.0.0.1 that reads each request, then stalls: silent, or dripping.

For deadline tests: a call against it can end only by a bound of the client's own. The
server reads the request, sends ``opening`` (nothing, by default), then sends ``drip``
every ``every`` seconds until the client hangs up; it never finishes an answer.

>>> with StallingServer() as server:  # doctest: +SKIP
...     MixrouteClient(base_url=server.base_url, deadline=0.3).create(...)  # APITimeoutError

Every wait is bounded (``limit``, 10 s), so a test that goes wrong fails instead of hanging.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from types import TracebackType
from typing import Any

__all__ = ["StallingServer", "sse_opening"]


def sse_opening(*chunks: dict[str, Any]) -> bytes:
    """The head of a 200 event stream (no length: it runs until closed) and these events."""
    head = (
        "HTTP/1.1 200 OK\r\n"
        "Content-Type: text/event-stream\r\n"
        "Cache-Control: no-cache\r\n"
        "Connection: close\r\n\r\n"
    )
    events = "".join(f"data: {json.dumps(chunk)}\n\n" for chunk in chunks)
    return (head + events).encode()


class StallingServer:
    """A threaded socket server on an ephemeral port; use it as a context manager."""

    def __init__(
        self, opening: bytes = b"", *, drip: bytes = b"", every: float = 0.1, limit: float = 10.0
    ) -> None:
        self.opening = opening
        self.drip = drip
        self.every = every
        self.limit = limit
        self.bodies: list[bytes] = []
        """The request bodies received, in order."""
        self.connections = 0
        """How many connections the server accepted."""
        self.hang_ups = 0
        """How many connections the client closed: while the server stalled, or before its
        request had arrived whole (a deadline can cut a request between its writes)."""
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.05)
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []
        self._acceptor = threading.Thread(target=self._accept, daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self._listener.getsockname()[:2]
        return f"http://{host}:{port}/v1"

    def __enter__(self) -> StallingServer:
        self._acceptor.start()
        return self

    def __exit__(
        self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._stopping.set()
        self._acceptor.join(timeout=2)
        self._listener.close()
        for thread in self._threads:
            thread.join(timeout=2)

    def hung_up(self, count: int = 1, *, within: float = 5.0) -> bool:
        """Whether the client has closed ``count`` connections, waiting up to ``within`` s.

        Returns as soon as they are closed: the bound is for a loaded machine, where the
        server's thread may notice a hang-up long after the client raised.
        """
        ends = time.monotonic() + within
        while self.hang_ups < count and time.monotonic() < ends:
            time.sleep(0.01)
        return self.hang_ups >= count

    def _accept(self) -> None:
        while not self._stopping.is_set():
            try:
                connection, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with self._lock:
                self.connections += 1
            thread = threading.Thread(target=self._serve, args=(connection,), daemon=True)
            self._threads.append(thread)
            thread.start()

    def _serve(self, connection: socket.socket) -> None:
        with connection:
            connection.settimeout(0.05)
            ends = time.monotonic() + self.limit
            body = self._read_request(connection, ends)
            if body is None:
                if time.monotonic() < ends and not self._stopping.is_set():
                    with self._lock:
                        self.hang_ups += 1  # closed mid-request, not timed out
                return
            with self._lock:
                self.bodies.append(body)
            try:
                connection.sendall(self.opening)
                while time.monotonic() < ends and not self._stopping.is_set():
                    if self._hung_up(connection, min(ends, time.monotonic() + self.every)):
                        with self._lock:
                            self.hang_ups += 1
                        return
                    if self.drip:
                        connection.sendall(self.drip)
            except OSError:  # the client went away mid-write
                with self._lock:
                    self.hang_ups += 1

    def _read_request(self, connection: socket.socket, ends: float) -> bytes | None:
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = self._receive(connection, ends)
            if not chunk:
                return None
            data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        length = 0
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        while len(body) < length:
            chunk = self._receive(connection, ends)
            if not chunk:
                return None
            body += chunk
        return body

    def _receive(self, connection: socket.socket, ends: float) -> bytes:
        """The next bytes from the client; ``b""`` when it closed or time ran out."""
        while time.monotonic() < ends and not self._stopping.is_set():
            try:
                return connection.recv(65536)
            except TimeoutError:
                continue
            except OSError:  # reset by the client
                return b""
        return b""

    def _hung_up(self, connection: socket.socket, until: float) -> bool:
        """Wait until ``until``; true as soon as the client closes the connection."""
        while time.monotonic() < until:
            if self._stopping.is_set():
                return False
            try:
                if connection.recv(65536) == b"":
                    return True
            except TimeoutError:
                continue
            except OSError:
                return True
        return False
