"""What a broken or hostile server does to exhaust its client: bodies without end, bombs, drips.

- :class:`Flood`: a body longer than any limit (an SSE line without a newline, a JSON body
  without an end, an error page of megabytes), sent until the client hangs up.
- :class:`Bomb`: a small body that inflates without end (gzip, br or zstd), as an answer,
  an error body or an event stream.
- :class:`Drip`: one byte (or one keep-alive) at a time, each just inside the read timeout,
  in the headers, in a body or in a stream, so that no read ever times out and only a
  deadline, or a stream's bound on the wait for a complete line, can end the call.

Each is bounded on the server's side too (a byte cap, and :data:`HANG_LIMIT` for a drip),
so a client that fails to stop makes its case fail, never the suite hang. A bomb is a few
compressed segments computed once and repeated: the server holds kilobytes, whatever the
client would inflate them to.
"""

from __future__ import annotations

import functools
import importlib
import json
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from reliability.fault_actions import HANG_LIMIT, Action, Connection, chunk, head

__all__ = [
    "BOMB_CAP",
    "FLOOD_CAP",
    "Bomb",
    "Drip",
    "Flood",
    "bomb_segments",
    "deep_json",
    "json_escaped",
    "nested",
]

FLOOD_CAP = 64 * 1024 * 1024
"""The most bytes a flood sends: far past any limit a scenario sets, and still quick."""

BOMB_CAP = 256 * 1024 * 1024
"""The most decoded bytes a bomb stands for: 256 times the limits the scenarios set, and
little enough that a client which inflates all it is sent fails its memory bound, not the
machine."""

_UNIT = 1024 * 1024  # decoded bytes one compressed segment of a bomb stands for
_WRITE = 64 * 1024  # bytes per write of a flood or a bomb


def _content_type(conn: Connection) -> str:
    return "text/event-stream" if conn.request.wants_stream else "application/json"


@dataclass
class Flood(Action):
    """A body longer than any limit: ``prefix``, then ``filler`` again and again.

    Sent chunked, a body without end (``size`` bytes at most, or until the client hangs
    up); with ``length=True``, with a ``Content-Length`` of ``size``, a body merely too
    large. The content type follows the request (an event stream or JSON) unless given.
    """

    prefix: bytes = b""
    filler: bytes = b"x" * _WRITE
    size: int = FLOOD_CAP
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    length: bool = False

    async def play(self, conn: Connection) -> bool:
        headers = {"Content-Type": _content_type(conn), **self.headers}
        if self.length:
            headers["Content-Length"] = str(self.size)
        else:
            headers["Transfer-Encoding"] = "chunked"
        await conn.send(head(self.status, headers))
        frame = (lambda data: data) if self.length else chunk
        sent = 0
        part = self.prefix
        while sent < self.size:
            part = part[: self.size - sent]
            await conn.send(frame(part))
            sent += len(part)
            part = self.filler
        if not self.length:
            await conn.send(b"0\r\n\r\n")
        return False


@dataclass
class Bomb(Action):
    """A compression bomb: ``prefix``, then ``fill`` bytes without end, compressed, chunked.

    ``coding`` is ``gzip``, ``br`` or ``zstd`` (the last two need ``brotli`` and
    ``zstandard``). Each megabyte of ``fill`` is a few dozen to a thousand bytes on the
    wire; the server stops after ``size`` decoded bytes or when the client hangs up.
    """

    coding: Literal["gzip", "br", "zstd"] = "gzip"
    status: int = 200
    prefix: bytes = b""
    fill: bytes = b"\0"
    headers: dict[str, str] = field(default_factory=dict)
    size: int = BOMB_CAP

    async def play(self, conn: Connection) -> bool:
        start, segment = bomb_segments(self.coding, self.prefix, self.fill)
        headers = {"Content-Type": _content_type(conn), **self.headers}
        headers["Content-Encoding"] = self.coding
        headers["Transfer-Encoding"] = "chunked"
        per_write = max(1, _WRITE // len(segment))
        left = self.size // _UNIT
        # The start goes out in one chunk with the first segments, as a server writing as
        # fast as it can would send it: the client's first read of the body holds both.
        data = head(self.status, headers) + chunk(start + segment * min(per_write, left))
        left -= min(per_write, left)
        while True:
            await conn.send(data)
            if left <= 0:
                return False  # never a valid end: a bomb has no trailer
            count = min(per_write, left)
            data = chunk(segment * count)
            left -= count


@functools.cache
def bomb_segments(coding: str, prefix: bytes, fill: bytes) -> tuple[bytes, bytes]:
    """A bomb's compressed start, and the segment (one more megabyte of ``fill``) that repeats.

    A compressor fed the same megabyte again and again, flushing after each, soon writes
    the same bytes for each: that steady segment, repeated, is the rest of the stream.
    """
    compress = _flushing_compressor(coding)
    unit = fill * (_UNIT // len(fill))
    outputs = [compress(prefix + unit)]
    for _ in range(8):
        segment = compress(unit)
        if segment == outputs[-1]:
            start = b"".join(outputs[:-1]) or segment
            _check_bomb(coding, start, segment, prefix)
            return start, segment
        outputs.append(segment)
    raise RuntimeError(f"the {coding} compressor found no steady segment")  # pragma: no cover


def _flushing_compressor(coding: str) -> Callable[[bytes], bytes]:
    if coding == "gzip":
        # A full flush forgets the window, so the same input gives the same bytes again.
        deflate = zlib.compressobj(9, zlib.DEFLATED, 31)
        return lambda data: deflate.compress(data) + deflate.flush(zlib.Z_FULL_FLUSH)
    if coding == "br":
        brotli = importlib.import_module("brotli").Compressor(quality=5)
        return lambda data: brotli.process(data) + brotli.flush()
    if coding == "zstd":
        zstandard = importlib.import_module("zstandard")
        zstd = zstandard.ZstdCompressor(level=3).compressobj()
        return lambda data: zstd.compress(data) + zstd.flush(zstandard.COMPRESSOBJ_FLUSH_BLOCK)
    raise ValueError(f"no bomb for the coding {coding!r}")


def _check_bomb(coding: str, start: bytes, segment: bytes, prefix: bytes) -> None:
    """Decode a little of the bomb with the library itself: it must be valid data."""
    data = start + segment * 3
    if coding == "gzip":
        decoded = zlib.decompressobj(31).decompress(data)
    elif coding == "br":
        decoded = importlib.import_module("brotli").Decompressor().process(data)
    else:
        decoded = importlib.import_module("zstandard").ZstdDecompressor().decompressobj()
        decoded = decoded.decompress(data)
    if not (decoded.startswith(prefix) and len(decoded) >= 4 * _UNIT):
        raise RuntimeError(f"the {coding} bomb does not decode")  # pragma: no cover


@dataclass
class Drip(Action):
    """``drip`` written ``unit`` bytes at a time, each ``every`` seconds, over and over.

    ``where`` says what drips: ``"headers"`` (the status line, then header bytes that never
    end), ``"body"`` (the headers promise a large ``Content-Length``; ``prefix``, then the
    drip) or ``"stream"`` (a chunked event stream: ``prefix`` at once, then each unit in a
    chunk of its own). An ``every`` just under the read timeout keeps every read in time, so
    only a deadline, or a stream's bound on the wait for a complete line, ends the call.
    The drip stops when the client hangs up, and after :data:`HANG_LIMIT` seconds.
    """

    drip: bytes
    every: float
    where: Literal["headers", "body", "stream"] = "stream"
    unit: int = 1
    prefix: bytes = b""
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)

    async def play(self, conn: Connection) -> bool:
        frame: Callable[[bytes], bytes] = chunk if self.where == "stream" else (lambda d: d)
        if self.where == "headers":
            await conn.send(b"HTTP/1.1 %d OK\r\n" % self.status)
        else:
            headers = {"Content-Type": _content_type(conn), **self.headers}
            if self.where == "stream":
                headers["Transfer-Encoding"] = "chunked"
            else:
                headers["Content-Length"] = str(FLOOD_CAP)
            await conn.send(
                head(self.status, headers) + (frame(self.prefix) if self.prefix else b"")
            )
        give_up = time.monotonic() + HANG_LIMIT
        at = 0
        while time.monotonic() < give_up:
            if not await conn.pause(self.every):
                break
            piece = (self.drip * 2)[at : at + self.unit]
            at = (at + self.unit) % len(self.drip)
            await conn.send(frame(piece))
        return False


def deep_json(depth: int = 100_000) -> bytes:
    """``depth`` opening brackets: JSON that ``json.loads`` cannot read without recursing."""
    return b"[" * depth


def nested(value: Any, depth: int) -> str:
    """``value`` as JSON, inside ``depth`` lists: valid, and deeper than any real answer."""
    return "[" * depth + json.dumps(value) + "]" * depth


def json_escaped(text: str) -> str:
    r"""``text`` with every character as a JSON escape: ``sk`` is ``\u0073\u006b``."""
    return "".join(f"\\u{ord(char):04x}" for char in text)
