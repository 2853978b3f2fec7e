"""Decoding a response body's Content-Encoding incrementally, never past a size limit.

httpx inflates a read whole, so a few megabytes of gzip can become gigabytes in memory.
:class:`ContentDecoder` decodes the raw bytes (``iter_raw``) itself, a bounded step at a
time, and raises :class:`BodyTooLarge` once the output passes ``max_size``. How each
coding keeps that bound:

- ``gzip`` (also ``x-gzip``) and ``deflate``: zlib's ``decompress(data, max_length)``
  produces at most 64 KiB per step, and never more than one byte past the limit.
- ``br``: the decompressor's ``output_buffer_limit`` (brotli >= 1.2, brotlicffi >= 1.2)
  caps each step at 64 KiB plus one internal buffer block. An older brotli has no cap, so
  ``br`` then counts as unsupported (nor is it offered by :func:`accept_encoding`).
- ``zstd``: zstandard's decompressor has no output cap, but a zstd block holds at most
  128 KiB and takes at least 4 input bytes; feeding it slices of ``n`` bytes therefore
  yields at most ``32 KiB * n + 128 KiB``, and the slices are cut so that this is at most
  about 1 MiB, and less near the limit.

The codings decoded are the ones httpx decodes here (``br`` and ``zstd`` only where their
libraries are installed), plus ``x-gzip``, which RFC 9110 says to read as ``gzip``. As in
httpx, a coding this module does not know is skipped and its bytes pass through
unchanged; several codings (``gzip, br``) are undone last-applied first, each held to
the limit (so a bomb inside another coding stops too), a piece at a time.
"""

from __future__ import annotations

import importlib
import zlib
from collections.abc import Callable, Iterable, Iterator
from typing import Any

__all__ = ["BodyTooLarge", "ContentDecoder", "DecodingFailed", "accept_encoding"]

_STEP = 64 * 1024  # output per zlib or brotli step
_ZSTD_SLICE_BUDGET = 1024 * 1024  # worst-case output of one zstd input slice
_ZSTD_BLOCK_RATIO = 32 * 1024  # a 128 KiB zstd block from 4 input bytes


class BodyTooLarge(Exception):
    """The decoded body grew past the limit; ``limit`` is that limit in bytes."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"the decoded body is larger than the limit of {limit} bytes")
        self.limit = limit


class DecodingFailed(Exception):
    """The body is not valid data of its content coding (named in ``coding``)."""

    def __init__(self, coding: str, detail: str) -> None:
        super().__init__(f"the body is not valid {coding!r} data: {detail}")
        self.coding = coding


class _Stage:
    """Undoes one content coding; counts what it produces against the limit."""

    __slots__ = ("_limit", "produced")

    def __init__(self, limit: int) -> None:
        self._limit = limit
        self.produced = 0

    def feed(self, data: bytes) -> Iterator[bytes]:
        """Decode the next bytes, in pieces of bounded size."""
        raise NotImplementedError

    def decode(self, data: bytes) -> bytes:
        """Decode the next bytes at once (the pieces of :meth:`feed`, joined)."""
        return b"".join(self.feed(data))

    def finish(self) -> Iterator[bytes]:
        """End of the body: whatever the decoder still holds."""
        return iter(())

    def _room(self) -> int:
        # One byte more than what is left, so passing the limit is seen without doubt.
        return min(_STEP, self._limit - self.produced + 1)

    def _count(self, size: int) -> None:
        self.produced += size
        if self.produced > self._limit:
            raise BodyTooLarge(self._limit)


class _ZlibStage(_Stage):
    """gzip, or zlib-wrapped deflate: bounded by ``max_length`` on every step."""

    __slots__ = ("_coding", "_inflate")

    def __init__(self, coding: str, wbits: int, limit: int) -> None:
        super().__init__(limit)
        self._coding = coding
        self._inflate = zlib.decompressobj(wbits)

    def feed(self, data: bytes) -> Iterator[bytes]:
        inflate = self._inflate
        if inflate.eof:
            # httpx ignores bytes after the end of the stream; keeping them would let
            # endless trailing junk grow in memory.
            return
        try:
            while True:
                room = self._room()
                out = inflate.decompress(data, room)
                data = inflate.unconsumed_tail
                if out:
                    self._count(len(out))
                    yield out
                # A step short of its room has produced all that the input holds.
                if len(out) < room and not data:
                    return
        except zlib.error as exc:
            raise DecodingFailed(self._coding, str(exc)) from None

    def decode(self, data: bytes) -> bytes:
        # A streamed read usually inflates in one step: then no generator is needed.
        inflate = self._inflate
        if inflate.eof:
            return b""
        limit = self._limit
        room = min(_STEP, limit - self.produced + 1)
        try:
            out = inflate.decompress(data, room)
        except zlib.error as exc:
            raise DecodingFailed(self._coding, str(exc)) from None
        self.produced += len(out)
        if self.produced > limit:
            raise BodyTooLarge(limit)
        if len(out) < room and not inflate.unconsumed_tail:
            return out
        return b"".join((out, *self.feed(inflate.unconsumed_tail)))

    def finish(self) -> Iterator[bytes]:
        try:
            out = self._inflate.flush()
        except zlib.error as exc:  # pragma: no cover - zlib's flush does not check
            raise DecodingFailed(self._coding, str(exc)) from None
        if out:
            self._count(len(out))
            yield out


class _DeflateStage(_ZlibStage):
    """deflate: zlib-wrapped as RFC 9110 says, or raw deflate, which httpx accepts too."""

    __slots__ = ("_head",)

    def __init__(self, limit: int) -> None:
        super().__init__("deflate", zlib.MAX_WBITS, limit)
        self._head: bytes | None = b""  # the opening bytes, until zlib or raw is settled

    def feed(self, data: bytes) -> Iterator[bytes]:
        head = self._head
        if head is None:
            yield from super().feed(data)
            return
        data = head + data
        if len(data) < 2:
            # The zlib header is two bytes: with fewer, an error would prove nothing.
            self._head = data
            return
        self._head = None
        try:
            yield from super().feed(data)
        except DecodingFailed:
            if self.produced:
                raise
            # Not zlib: httpx then reads the same bytes as raw deflate, and so do we.
            self._inflate = zlib.decompressobj(-zlib.MAX_WBITS)
            yield from super().feed(data)

    def decode(self, data: bytes) -> bytes:
        if self._head is not None:
            return b"".join(self.feed(data))
        return super().decode(data)

    def finish(self) -> Iterator[bytes]:
        if self._head:
            head, self._head = self._head, None
            yield from super().feed(head)
        yield from super().finish()


class _BrotliStage(_Stage):
    """br: bounded by the decompressor's ``output_buffer_limit`` on every step."""

    __slots__ = ("_decompressor", "_process")

    def __init__(self, limit: int) -> None:
        super().__init__(limit)
        self._decompressor = _brotli.Decompressor()
        # brotli calls it process; brotlicffi, decompress.
        self._process: Callable[..., bytes] = _brotli_process(self._decompressor)

    def feed(self, data: bytes) -> Iterator[bytes]:
        if not data:
            return
        can_accept = self._decompressor.can_accept_more_data
        try:
            while True:
                room = self._room()
                out = self._process(data, output_buffer_limit=room)
                # What did not fit stays inside the decompressor, drained with no input.
                data = b""
                if out:
                    self._count(len(out))
                    yield out
                if len(out) < room and can_accept():
                    return
        except _brotli.error as exc:
            raise DecodingFailed("br", str(exc)) from None


class _ZstdStage(_Stage):
    """zstd: bounded by slicing the input, as a block of output needs 4 bytes of input."""

    __slots__ = ("_frame", "_zstd")

    def __init__(self, limit: int) -> None:
        super().__init__(limit)
        self._zstd = _zstandard.ZstdDecompressor()
        self._frame: Any = None  # the decompressobj of the current frame

    def feed(self, data: bytes) -> Iterator[bytes]:
        view = memoryview(data)
        parts: list[bytes] = []
        size = 0
        start = 0
        try:
            while start < len(view):
                room = min(self._limit - self.produced, _ZSTD_SLICE_BUDGET)
                end = start + max(1, room // _ZSTD_BLOCK_RATIO)
                out = self._decompress(view[start:end])
                start = end
                if out:
                    self._count(len(out))
                    parts.append(out)
                    size += len(out)
                    # Tiny slices give tiny outputs: hand them on in pieces of a step.
                    if size >= _STEP:
                        yield b"".join(parts)
                        parts = []
                        size = 0
        except _zstandard.ZstdError as exc:
            raise DecodingFailed("zstd", str(exc)) from None
        if parts:
            yield b"".join(parts)

    def _decompress(self, data: memoryview) -> bytes:
        frame = self._frame
        if frame is None or frame.eof:
            frame = self._frame = self._zstd.decompressobj()
        out: bytes = frame.decompress(data)
        # A body may hold several frames one after another (RFC 8878), as httpx reads it.
        while frame.eof and frame.unused_data:
            rest = frame.unused_data
            frame = self._frame = self._zstd.decompressobj()
            out += frame.decompress(rest)
        return out

    def finish(self) -> Iterator[bytes]:
        if self._frame is not None and not self._frame.eof:
            raise DecodingFailed("zstd", "the data is incomplete")
        return iter(())


class ContentDecoder:
    """Decodes one response body's content-encoding incrementally, never past ``max_size``.

    ``max_size`` bounds the decoded bytes in total. ``content_encoding`` is the
    Content-Encoding header (several headers joined with commas); ``None`` or
    ``identity`` passes bytes through, only counting them. After :class:`BodyTooLarge`
    or :class:`DecodingFailed` the decoder must not be used again.

    >>> import gzip
    >>> decoder = ContentDecoder("gzip", max_size=1000)
    >>> decoder.decode(gzip.compress(b"hello")) + decoder.flush()
    b'hello'
    >>> ContentDecoder("gzip", max_size=1000).decode(gzip.compress(bytes(2000)))
    Traceback (most recent call last):
    ...
    mixroute.decoding.BodyTooLarge: the decoded body is larger than the limit of 1000 bytes
    """

    __slots__ = ("_max_size", "_size", "_stages")

    def __init__(self, content_encoding: str | None, max_size: int) -> None:
        self._max_size = max_size
        self._size = 0
        self._stages = _stages(content_encoding, max_size)

    def decode(self, data: bytes) -> bytes:
        """The decoded bytes of ``data``; :class:`BodyTooLarge` past ``max_size``."""
        stages = self._stages
        if not stages:
            # Identity, on every streamed chunk: count, and hand the same object back.
            size = self._size + len(data)
            self._size = size
            if size > self._max_size:
                raise BodyTooLarge(self._max_size)
            return data
        if len(stages) == 1:
            return stages[0].decode(data)
        pieces = list(self._pipe(stages[0].feed(data), 1))
        return pieces[0] if len(pieces) == 1 else b"".join(pieces)

    def iter_decode(self, data: bytes) -> Iterator[bytes]:
        """Like :meth:`decode`, in pieces of about 1 MiB at most (iterate to the end).

        A reader that can stop early, such as a stream whose line limit is far below
        ``max_size``, takes the pieces one by one and never holds the whole read.
        """
        stages = self._stages
        if not stages:
            return iter((self.decode(data),) if data else ())
        return self._pipe(stages[0].feed(data), 1)

    def flush(self) -> bytes:
        """End of body: what the decoders still hold (zstd also checks it is complete)."""
        return b"".join(self.iter_flush())

    def iter_flush(self) -> Iterator[bytes]:
        """Like :meth:`flush`, in pieces."""
        for index, stage in enumerate(self._stages):
            yield from self._pipe(stage.finish(), index + 1)

    @property
    def size(self) -> int:
        """Decoded bytes produced so far."""
        stages = self._stages
        return stages[-1].produced if stages else self._size

    def _pipe(self, pieces: Iterable[bytes], start: int) -> Iterator[bytes]:
        # Each piece goes through the remaining stages before the next is made, so a
        # stacked coding holds one piece per stage, never a whole read.
        for stage in self._stages[start:]:
            pieces = _through(stage, pieces)
        return iter(pieces)


def accept_encoding() -> str:
    """The Accept-Encoding value for what this environment can decode within a limit.

    >>> accept_encoding().startswith("gzip, deflate")
    True
    """
    return _ACCEPT_ENCODING


def _through(stage: _Stage, pieces: Iterable[bytes]) -> Iterator[bytes]:
    for piece in pieces:
        yield from stage.feed(piece)


def _stages(content_encoding: str | None, max_size: int) -> list[_Stage]:
    if not content_encoding:
        return []
    codings = [coding.strip().lower() for coding in content_encoding.split(",")]
    stages: list[_Stage] = []
    for coding in reversed(codings):  # the last coding listed was applied last
        make = _DECODERS.get(coding)
        if make is not None:
            stages.append(make(max_size))
    return stages


def _import(name: str) -> Any:
    try:
        return importlib.import_module(name)
    except ImportError:
        return None


def _brotli_process(decompressor: Any) -> Callable[..., bytes]:
    process: Callable[..., bytes] = getattr(decompressor, "process", None) or (
        decompressor.decompress
    )
    return process


def _bounded_brotli() -> Any:
    """The brotli module whose decompressor can cap its output, if one is installed."""
    for name in ("brotli", "brotlicffi"):
        module = _import(name)
        if module is None:
            continue
        try:
            decompressor = module.Decompressor()
            _brotli_process(decompressor)(b"", output_buffer_limit=1)
            decompressor.can_accept_more_data()
        except (AttributeError, TypeError):
            continue  # too old (or brotlipy): it would inflate a read without a cap
        return module
    return None


_brotli = _bounded_brotli()
_zstandard = _import("zstandard")

_DECODERS: dict[str, Callable[[int], _Stage]] = {
    "gzip": lambda limit: _ZlibStage("gzip", zlib.MAX_WBITS | 16, limit),
    "x-gzip": lambda limit: _ZlibStage("x-gzip", zlib.MAX_WBITS | 16, limit),
    "deflate": _DeflateStage,
}
if _brotli is not None:
    _DECODERS["br"] = _BrotliStage
if _zstandard is not None:
    _DECODERS["zstd"] = _ZstdStage

_ACCEPT_ENCODING = ", ".join(c for c in ("gzip", "deflate", "br", "zstd") if c in _DECODERS)
