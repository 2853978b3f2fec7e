"""A scripted HTTP/1.1 server on 127.0.0.1 that fails in every way a network and a proxy can.

It is a real socket server (asyncio streams, on its own thread and event loop), so faults
at the connection level are real: a reset is a TCP RST, a cut stream is a socket closed
mid-body, a stall is a peer that stops writing. Each request is answered by the next
:class:`Action` of the script (then by ``then``, or by a function of the request), and the
server counts what it saw: requests, and connections opened and still open. The actions
are in :mod:`reliability.fault_actions` (answers, and faults on the wire) and
:mod:`reliability.hostile_actions` (bodies without end, compression bombs, drips); they are
re-exported here.

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
import importlib
import multiprocessing
import random
import socket
import threading
import time
from collections import deque
from collections.abc import Callable
from multiprocessing.connection import Connection as Pipe
from types import TracebackType
from typing import Any

from reliability.answers import event_offset, sse_answer, sse_event
from reliability.fault_actions import (
    HANG_LIMIT,
    Action,
    Answer,
    ByMode,
    Close,
    Connection,
    Raw,
    Received,
    Reply,
    Reset,
    Silence,
    Status,
    Stream,
)
from reliability.hostile_actions import Bomb, Drip, Flood

__all__ = [
    "HANG_LIMIT",
    "Action",
    "Answer",
    "Bomb",
    "ByMode",
    "Close",
    "Drip",
    "FaultServer",
    "FaultServerProcess",
    "Flood",
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
        except (
            ConnectionError,
            TimeoutError,  # a write the client did not take within HANG_LIMIT
            asyncio.IncompleteReadError,
            asyncio.LimitOverrunError,
        ):
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
