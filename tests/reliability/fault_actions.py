"""How the fault server answers one request: the connection it plays on, and the actions.

An :class:`Action` is one way of answering: a well-formed :class:`Answer`, any
:class:`Reply` or chunked :class:`Stream` with a fault on the wire, a :class:`Reset`, a
:class:`Close`, :class:`Silence`, :class:`Raw` bytes. The actions of a server that tries to
exhaust its client (bodies without end, compression bombs, drips) are in
:mod:`reliability.hostile_actions`; the server that plays them all is
:mod:`reliability.fault_server`.

Every wait in here is bounded (:data:`HANG_LIMIT`) and ends early when the client hangs up.
"""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import json
import socket
import struct
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from reliability.answers import completion_body, sse_answer

__all__ = [
    "HANG_LIMIT",
    "Action",
    "Answer",
    "ByMode",
    "Close",
    "Connection",
    "Raw",
    "Received",
    "Reply",
    "Reset",
    "Silence",
    "Status",
    "Stream",
    "chunk",
    "head",
]

HANG_LIMIT = 10.0
"""The longest a scripted silence, stall, drip or blocked write lasts, whatever the client does."""


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
        """Write, waiting (bounded) while the client is not reading."""
        self.writer.write(data)
        await asyncio.wait_for(self.writer.drain(), HANG_LIMIT)

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


def head(
    status: int,
    headers: Mapping[str, str] | Sequence[tuple[str, str]],
    reason: str | None = None,
) -> bytes:
    """A response's status line and headers, with the blank line that ends them."""
    if isinstance(headers, Mapping):
        headers = list(headers.items())
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
        await conn.send(head(self.status, headers, self.reason))
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
        pauses: seconds to wait before each write, by index, instead of ``delay`` (a
            thinking model: keep-alives some way apart, then the answer at once).
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
    pauses: Sequence[float] | None = None
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

    def _pause(self, index: int) -> float:
        if self.pauses is not None:
            return self.pauses[index] if index < len(self.pauses) else 0.0
        return self.delay if index else 0.0

    async def play(self, conn: Connection) -> bool:
        headers = {"Content-Type": "text/event-stream", "Cache-Control": "no-cache"}
        headers.update(self.headers)
        headers["Transfer-Encoding"] = "chunked"
        if self.gzip:
            headers["Content-Encoding"] = "gzip"
        await conn.send(head(self.status, list(headers.items())))
        limit = min(
            (at for at in (self.cut_at, self.reset_at, self.stall_at) if at is not None),
            default=None,
        )
        compressor = zlib.compressobj(wbits=31) if self.gzip else None
        sent = 0
        for index, part in enumerate(self._writes()):
            if not await conn.pause(self._pause(index)):
                return False
            if limit is not None and sent + len(part) >= limit:
                part = part[: limit - sent]
            sent += len(part)
            if compressor is not None:
                part = compressor.compress(part) + compressor.flush(zlib.Z_SYNC_FLUSH)
            if part:
                await conn.send(chunk(part))
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
            await conn.send(chunk(tail))
        await conn.send(b"0\r\n\r\n")
        return not self.drop_after


def chunk(data: bytes) -> bytes:
    """``data`` framed as one chunk of a ``Transfer-Encoding: chunked`` body."""
    return b"%x\r\n%s\r\n" % (len(data), data)


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
