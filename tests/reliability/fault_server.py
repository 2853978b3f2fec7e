"""A scripted HTTP/1.1 server on 127.0.0.1 that fails in every way a network and a proxy can.

It is a real socket server (asyncio streams, on its own thread and event loop), so faults
at the connection level are real: a reset is a TCP RST, a cut stream is a socket closed
mid-body, a stall is a peer that stops writing. Each request is answered by the next
:class:`Action` of the script (then by ``then``, or by a function of the request), and the
server counts what it saw: requests, and connections opened and still open.

>>> with FaultServer() as server:  # doctest: +SKIP
...     server.script(Reset(), Status(503), then=Answer("Hello"))
...     ...  # the client's first try is reset, the second gets a 503, the third an answer
...     assert server.request_count == 3

Every wait in here is bounded (:data:`HANG_LIMIT`) and ends early when the client hangs up,
so a scenario that goes wrong fails instead of hanging, and the server stops by itself.
"""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import importlib
import json
import multiprocessing
import random
import socket
import struct
import threading
import time
import zlib
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from multiprocessing.connection import Connection as Pipe
from types import TracebackType
from typing import Any

from reliability.answers import completion_body, event_offset, sse_answer, sse_event

__all__ = [
    "HANG_LIMIT",
    "Action",
    "Answer",
    "ByMode",
    "Close",
    "FaultServer",
    "FaultServerProcess",
    "RandomFaults",
    "Raw",
    "Received",
    "Reply",
    "Reset",
    "Silence",
    "Status",
    "Stream",
    "closed_port_url",
]

HANG_LIMIT = 10.0
"""The longest any scripted silence or stall lasts, whatever the client does."""


@dataclass
class Received:
    """One request as the server read it."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    connection: int  # the server's number for the TCP connection it came on

    @property
    def json(self) -> Any:
        return json.loads(self.body) if self.body else None

    @property
    def wants_stream(self) -> bool:
        body = self.json
        return isinstance(body, dict) and body.get("stream") is True


class Connection:
    """What an action needs to answer: the socket streams and the request."""

    def __init__(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: Received
    ) -> None:
        self.reader = reader
        self.writer = writer
        self.request = request

    async def send(self, data: bytes) -> None:
        self.writer.write(data)
        await self.writer.drain()

    async def wait_for_hangup(self, limit: float = HANG_LIMIT) -> None:
        """Wait until the client closes the connection (or ``limit`` runs out)."""
        with contextlib.suppress(TimeoutError, ConnectionError):
            while await asyncio.wait_for(self.reader.read(4096), limit):
                pass

    async def pause(self, seconds: float) -> bool:
        """Sleep, but return ``False`` at once if the client hangs up meanwhile."""
        if seconds <= 0:
            return True
        try:
            data = await asyncio.wait_for(self.reader.read(1), seconds)
        except TimeoutError:
            return True
        except ConnectionError:
            return False
        return bool(data)

    def reset(self) -> None:
        """Abort with a TCP RST (SO_LINGER 0), discarding anything unsent."""
        sock = self.writer.get_extra_info("socket")
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.writer.transport.abort()


class Action:
    """One way of answering one request; ``play`` returns whether to keep the connection."""

    async def play(self, conn: Connection) -> bool:
        raise NotImplementedError


def _head(status: int, headers: Sequence[tuple[str, str]], reason: str | None = None) -> bytes:
    phrase = reason if reason is not None else _REASONS.get(status, "Status")
    lines = [f"HTTP/1.1 {status} {phrase}"]
    lines += [f"{name}: {value}" for name, value in headers]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


_REASONS = {
    200: "OK",
    302: "Found",
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    408: "Request Timeout",
    409: "Conflict",
    418: "I'm a teapot",
    422: "Unprocessable Entity",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}


@dataclass
class Reply(Action):
    """A response with a ``Content-Length`` body, sent whole or with a fault.

    Args:
        status, body, headers: what to send (a dict body is sent as JSON).
        gzip: compress the body (``Content-Encoding: gzip``).
        close: say ``Connection: close`` and close after the body.
        drop_after: keep-alive promised, but close silently after the body (a server that
            closes idle connections without saying so).
        truncate_at: send only this many body bytes of the promised length, then close.
        stall_after: send the headers and this many body bytes, then stop writing.
        write_size, delay: write the body in pieces of this size, this many seconds apart.

    """

    status: int = 200
    body: bytes | str | dict[str, Any] | list[Any] = b""
    headers: dict[str, str] = field(default_factory=dict)
    gzip: bool = False
    close: bool = False
    drop_after: bool = False
    truncate_at: int | None = None
    stall_after: int | None = None
    reason: str | None = None
    write_size: int | None = None
    delay: float = 0.0

    def encoded(self) -> tuple[bytes, list[tuple[str, str]]]:
        headers = dict(self.headers)
        body = self.body
        if isinstance(body, dict | list):
            headers.setdefault("Content-Type", "application/json")
            raw = json.dumps(body).encode()
        elif isinstance(body, str):
            headers.setdefault("Content-Type", "text/plain; charset=utf-8")
            raw = body.encode()
        else:
            raw = body
        if self.gzip:
            raw = gzip.compress(raw)
            headers["Content-Encoding"] = "gzip"
        headers["Content-Length"] = str(len(raw))
        if self.close:
            headers["Connection"] = "close"
        return raw, list(headers.items())

    async def play(self, conn: Connection) -> bool:
        raw, headers = self.encoded()
        await conn.send(_head(self.status, headers, self.reason))
        if self.stall_after is not None:
            await conn.send(raw[: self.stall_after])
            await conn.wait_for_hangup()
            return False
        if self.truncate_at is not None:
            await conn.send(raw[: self.truncate_at])
            return False
        size = self.write_size or len(raw) or 1
        for start in range(0, len(raw), size):
            if start and not await conn.pause(self.delay):
                return False
            await conn.send(raw[start : start + size])
        return not (self.close or self.drop_after)


def Status(
    status: int,
    message: str | None = None,
    *,
    body: bytes | str | dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> Reply:
    """An error status with an OpenAI-style error body carrying ``message``."""
    if body is None:
        body = {"error": {"message": message, "type": "mixroute_error", "code": status}}
    return Reply(status, body, dict(headers or {}))


@dataclass
class Stream(Action):
    """A ``Transfer-Encoding: chunked`` response (an SSE stream, usually), with faults.

    Args:
        payload: the whole body; ``parts`` says how it is split into writes.
        parts: write boundaries; by default the payload is written event by event.
        status, headers: the response line and headers (``text/event-stream`` by default).
        delay: seconds between writes (a slow drip); ends early if the client hangs up.
        cut_at: after this many payload bytes, close the socket (no terminating chunk).
        reset_at: like ``cut_at`` but with a TCP RST.
        stall_at: after this many payload bytes, stop writing and wait for the client.
        gzip: compress the body, flushing at each write so it still streams.
        write_size: split writes further into pieces of at most this many bytes.
        drop_after: close the connection silently once the stream is complete.

    """

    payload: bytes
    parts: Sequence[bytes] | None = None
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    cut_at: int | None = None
    reset_at: int | None = None
    stall_at: int | None = None
    gzip: bool = False
    write_size: int | None = None
    drop_after: bool = False

    def _writes(self) -> list[bytes]:
        parts = list(self.parts) if self.parts is not None else _split_events(self.payload)
        if self.write_size:
            size = self.write_size
            parts = [part[i : i + size] for part in parts for i in range(0, len(part), size)]
        return [part for part in parts if part]

    async def play(self, conn: Connection) -> bool:
        headers = {"Content-Type": "text/event-stream", "Cache-Control": "no-cache"}
        headers.update(self.headers)
        headers["Transfer-Encoding"] = "chunked"
        if self.gzip:
            headers["Content-Encoding"] = "gzip"
        await conn.send(_head(self.status, list(headers.items())))
        limit = min(
            (at for at in (self.cut_at, self.reset_at, self.stall_at) if at is not None),
            default=None,
        )
        compressor = zlib.compressobj(wbits=31) if self.gzip else None
        sent = 0
        for index, part in enumerate(self._writes()):
            if index and not await conn.pause(self.delay):
                return False
            if limit is not None and sent + len(part) >= limit:
                part = part[: limit - sent]
            sent += len(part)
            if compressor is not None:
                part = compressor.compress(part) + compressor.flush(zlib.Z_SYNC_FLUSH)
            if part:
                await conn.send(b"%x\r\n%s\r\n" % (len(part), part))
            if limit is not None and sent >= limit:
                break
        if limit is not None and sent >= limit:
            if self.stall_at is not None and limit == self.stall_at:
                await conn.wait_for_hangup()
            elif self.reset_at is not None and limit == self.reset_at:
                conn.reset()
            return False
        if compressor is not None:
            tail = compressor.flush()
            await conn.send(b"%x\r\n%s\r\n" % (len(tail), tail))
        await conn.send(b"0\r\n\r\n")
        return not self.drop_after


def _split_events(payload: bytes) -> list[bytes]:
    events = payload.split(b"\n\n")
    parts = [event + b"\n\n" for event in events[:-1]]
    if events[-1]:
        parts.append(events[-1])
    return parts


@dataclass
class Answer(Action):
    """A well-formed answer: a completion for a plain request, an SSE stream for a stream.

    ``pieces`` is how many content chunks the stream carries; extra keyword arguments go to
    :class:`Reply` (plain) or :class:`Stream` (streamed), for example ``close=True``,
    ``gzip=True``, ``delay=0.01``.
    """

    text: str = "Hello from the fault server."
    pieces: int = 4
    plain_options: dict[str, Any] = field(default_factory=dict)
    stream_options: dict[str, Any] = field(default_factory=dict)

    async def play(self, conn: Connection) -> bool:
        if conn.request.wants_stream:
            return await Stream(sse_answer(self.text, self.pieces), **self.stream_options).play(
                conn
            )
        return await Reply(200, completion_body(self.text), **self.plain_options).play(conn)


@dataclass
class ByMode(Action):
    """One action for a plain request, another for a streamed one."""

    plain: Action
    stream: Action

    async def play(self, conn: Connection) -> bool:
        return await (self.stream if conn.request.wants_stream else self.plain).play(conn)


@dataclass
class Reset(Action):
    """Read the request, then abort the connection with a TCP RST."""

    async def play(self, conn: Connection) -> bool:
        conn.reset()
        return False


@dataclass
class Close(Action):
    """Read the request, then close the connection without a byte of answer."""

    async def play(self, conn: Connection) -> bool:
        return False


@dataclass
class Silence(Action):
    """Read the request and never answer (until the client gives up)."""

    async def play(self, conn: Connection) -> bool:
        await conn.wait_for_hangup()
        return False


@dataclass
class Raw(Action):
    """Send these exact bytes (a broken status line, say), then close."""

    data: bytes

    async def play(self, conn: Connection) -> bool:
        await conn.send(self.data)
        return False


Responder = Callable[[Received], Action]


class FaultServer:
    """The server: start it (or use ``with``), point a client at :attr:`base_url`, script it.

    Attributes:
        received: every request read, in order (``keep_bodies=False`` keeps none).
        request_count: how many requests were read.
        connections_opened: how many TCP connections were accepted.
        open_connections: how many of them are still open.

    """

    def __init__(self, *, keep_bodies: bool = True) -> None:
        self.keep_bodies = keep_bodies
        self.received: list[Received] = []
        self.request_count = 0
        self.connections_opened = 0
        self.open_connections = 0
        self._queue: deque[Action] = deque()
        self._then: Action | Responder = Answer()
        self._lock = threading.Lock()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._port = 0

    # -- scripting -------------------------------------------------------------------------

    def script(self, *actions: Action, then: Action | Responder | None = None) -> None:
        """Answer the next requests with ``actions`` in order, then with ``then``."""
        with self._lock:
            self._queue = deque(actions)
            if then is not None:
                self._then = then

    def _next_action(self, request: Received) -> Action:
        with self._lock:
            if self._queue:
                return self._queue.popleft()
            then = self._then
        return then if isinstance(then, Action) else then(request)

    # -- observing -------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._port}/v1"

    def wait_open_connections(self, at_most: int, limit: float = 3.0) -> int:
        """Wait (bounded) until at most ``at_most`` connections are open; return the count."""
        deadline = time.monotonic() + limit
        while self.open_connections > at_most and time.monotonic() < deadline:
            time.sleep(0.005)
        return self.open_connections

    async def await_open_connections(self, at_most: int, limit: float = 3.0) -> int:
        """:meth:`wait_open_connections` for async tests (it does not block the loop)."""
        deadline = time.monotonic() + limit
        # Polling, not an Event: the count is kept by the server's own thread and loop.
        while self.open_connections > at_most and time.monotonic() < deadline:  # noqa: ASYNC110
            await asyncio.sleep(0.005)
        return self.open_connections

    # -- serving ---------------------------------------------------------------------------

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        with self._lock:
            self.connections_opened += 1
            self.open_connections += 1
            number = self.connections_opened
        try:
            while True:
                request = await _read_request(reader, number)
                if request is None:
                    break
                with self._lock:
                    self.request_count += 1
                    if self.keep_bodies:
                        self.received.append(request)
                if not await self._next_action(request).play(Connection(reader, writer, request)):
                    break
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            pass
        finally:
            self._tasks.discard(task)
            if not writer.transport.is_closing():
                writer.close()
            with self._lock:
                self.open_connections -= 1

    def start(self) -> FaultServer:
        self._thread.start()

        async def listen() -> asyncio.Server:
            return await asyncio.start_server(
                self._handle, "127.0.0.1", 0, limit=2**20, backlog=1024
            )

        self._server = asyncio.run_coroutine_threadsafe(listen(), self._loop).result(5)
        self._port = self._server.sockets[0].getsockname()[1]
        return self

    def stop(self) -> None:
        async def shutdown() -> None:
            assert self._server is not None
            self._server.close()
            for task in list(self._tasks):
                task.cancel()
            await asyncio.gather(*self._tasks, return_exceptions=True)

        if self._server is not None:
            asyncio.run_coroutine_threadsafe(shutdown(), self._loop).result(5)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)
        self._loop.close()

    def __enter__(self) -> FaultServer:
        return self.start()

    def __exit__(
        self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


async def _read_request(reader: asyncio.StreamReader, connection: int) -> Received | None:
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError:
        return None  # the client closed an idle keep-alive connection
    lines = head.decode("latin-1").split("\r\n")
    method, path, _ = lines[0].split(" ", 2)
    headers = {}
    for line in lines[1:]:
        if line:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
    body = await reader.readexactly(int(headers.get("content-length") or 0))
    return Received(method, path, headers, body, connection)


class FaultServerProcess:
    """A :class:`FaultServer` in a child process, answering with a responder built there.

    For load and memory tests: the server then shares neither the GIL nor the memory that
    ``tracemalloc`` traces with the client under test. ``responder`` names a callable as
    ``"module:attribute"``; it is called with ``args`` in the child to make the responder.
    """

    def __init__(self, responder: str, *args: Any) -> None:
        context = multiprocessing.get_context("spawn")
        self._pipe, child = context.Pipe()
        self._process = context.Process(
            target=_serve_in_child, args=(child, responder, args), daemon=True
        )
        self.base_url = ""

    def stats(self) -> dict[str, int]:
        """``requests``, ``open`` and ``opened`` connections, and the responder's ``failed``."""
        self._pipe.send("stats")
        if not self._pipe.poll(5):
            raise TimeoutError("the fault server process did not answer")
        stats: dict[str, int] = self._pipe.recv()
        return stats

    async def await_open_connections(self, at_most: int, limit: float = 3.0) -> int:
        """Wait (bounded, without blocking the loop) until at most ``at_most`` are open."""
        deadline = time.monotonic() + limit
        # Polling, not an Event: the count is kept in another process.
        while (count := self.stats()["open"]) > at_most and time.monotonic() < deadline:  # noqa: ASYNC110
            await asyncio.sleep(0.01)
        return count

    def __enter__(self) -> FaultServerProcess:
        self._process.start()
        try:
            if not self._pipe.poll(30):
                raise TimeoutError("the fault server process did not start")
            self.base_url = self._pipe.recv()
        except (EOFError, TimeoutError):
            self._process.kill()
            raise RuntimeError("the fault server process failed to start") from None
        return self

    def __exit__(
        self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        with contextlib.suppress(OSError):
            self._pipe.send("stop")
        self._process.join(5)
        if self._process.is_alive():
            self._process.kill()
            self._process.join(5)
        self._pipe.close()


def _serve_in_child(pipe: Pipe, responder: str, args: tuple[Any, ...]) -> None:
    module, _, name = responder.partition(":")
    respond = getattr(importlib.import_module(module), name)(*args)
    with FaultServer(keep_bodies=False) as server:
        server.script(then=respond)
        pipe.send(server.base_url)
        # Bounded: a parent that dies without saying "stop" ends the child within a minute.
        while pipe.poll(60):
            if pipe.recv() != "stats":
                break
            pipe.send(
                {
                    "requests": server.request_count,
                    "open": server.open_connections,
                    "opened": server.connections_opened,
                    "failed": getattr(respond, "failed", 0),
                }
            )


class RandomFaults:
    """A responder that answers most requests and fails about ``rate`` of them at random.

    The faults are drawn (seeded) from a mix a gateway really produces: 5xx, 429, resets,
    silent closes, error objects and error events, and streams cut after content.
    """

    def __init__(self, rate: float, seed: int = 6) -> None:
        self.rate = rate
        self.random = random.Random(seed)
        self.failed = 0
        self.answer = Answer()
        stream = sse_answer(self.answer.text)
        error = {"error": {"message": "random error"}}
        self.faults: list[Action] = [
            Status(500, "random failure"),
            Status(429, "random rate limit", headers={"retry-after-ms": "0"}),
            Reset(),
            Close(),
            ByMode(Reply(200, error), Stream(sse_event(error, event="error"))),
            ByMode(
                Status(503, "random outage"), Stream(stream, cut_at=event_offset(stream, 3) + 10)
            ),
        ]

    def __call__(self, request: Received) -> Action:
        # Called on the server's one event-loop thread: no lock needed.
        if self.random.random() >= self.rate:
            return self.answer
        self.failed += 1
        return self.random.choice(self.faults)


def closed_port_url() -> str:
    """A base URL on 127.0.0.1 where nothing listens: connecting to it is refused."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/v1"
