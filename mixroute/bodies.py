"""Reading a response body within its limit: the package decodes it and stops at a size.

httpx inflates gzip (and br, zstd) without an output cap, so a small compressed body
could fill memory. The clients therefore read the raw bytes (``iter_raw``) and decode
them with :class:`~mixroute.decoding.ContentDecoder`, which never produces more than the
limit. An answer past its limit is an error; an error body past its limit is cut, and the
rest is never read (the connection is dropped rather than drained).
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx

from mixroute.decoding import BodyTooLarge, ContentDecoder, DecodingFailed
from mixroute.errors import APIConnectionError, APIResponseValidationError

__all__ = ["aread_body", "aread_error_body", "read_body", "read_error_body", "with_content"]


def read_body(response: httpx.Response, limit: int) -> bytes:
    """The whole decoded body of an answer; a typed error past ``limit`` bytes."""
    if response.is_stream_consumed:  # read already (a mock transport's response, say)
        return _whole(response, limit)
    encoding = response.headers.get("content-encoding")
    if not encoding:  # most answers: nothing to decode, the bytes are only counted
        return _read_plain(response, limit)
    decoder = ContentDecoder(encoding, limit)
    parts: list[bytes] = []
    try:
        for raw in response.iter_raw():
            parts.append(decoder.decode(raw))
        parts.append(decoder.flush())
    except BodyTooLarge:
        raise _too_large(response, limit) from None
    except DecodingFailed as exc:
        raise _undecodable(response, exc) from None
    finally:
        response.close()
    return parts[0] if len(parts) == 1 else b"".join(parts)


async def aread_body(response: httpx.Response, limit: int) -> bytes:
    """The whole decoded body of an answer, read on the event loop."""
    if response.is_stream_consumed:
        return _whole(response, limit)
    encoding = response.headers.get("content-encoding")
    if not encoding:
        return await _aread_plain(response, limit)
    decoder = ContentDecoder(encoding, limit)
    parts: list[bytes] = []
    try:
        async for raw in response.aiter_raw():
            parts.append(decoder.decode(raw))
        parts.append(decoder.flush())
    except BodyTooLarge:
        raise _too_large(response, limit) from None
    except DecodingFailed as exc:
        raise _undecodable(response, exc) from None
    finally:
        await response.aclose()
    return parts[0] if len(parts) == 1 else b"".join(parts)


def read_error_body(response: httpx.Response, limit: int) -> bytes:
    """At most ``limit`` decoded bytes of an error body; what comes after is dropped."""
    if response.is_stream_consumed:
        return response.content[:limit]
    reader = _ErrorBody(response, limit)
    try:
        for raw in response.iter_raw():
            if reader.add(raw):
                break
        else:
            reader.end()
    finally:
        response.close()
    return reader.content()


async def aread_error_body(response: httpx.Response, limit: int) -> bytes:
    """At most ``limit`` decoded bytes of an error body, read on the event loop."""
    if response.is_stream_consumed:
        return response.content[:limit]
    reader = _ErrorBody(response, limit)
    try:
        async for raw in response.aiter_raw():
            if reader.add(raw):
                break
        else:
            reader.end()
    finally:
        await response.aclose()
    return reader.content()


def _read_plain(response: httpx.Response, limit: int) -> bytes:
    """:func:`read_body` of a body without a content-encoding."""
    parts: list[bytes] = []
    size = 0
    try:
        for raw in response.iter_raw():
            size += len(raw)
            if size > limit:
                raise _too_large(response, limit)
            parts.append(raw)
    finally:
        response.close()
    return parts[0] if len(parts) == 1 else b"".join(parts)


async def _aread_plain(response: httpx.Response, limit: int) -> bytes:
    """:func:`aread_body` of a body without a content-encoding."""
    parts: list[bytes] = []
    size = 0
    try:
        async for raw in response.aiter_raw():
            size += len(raw)
            if size > limit:
                raise _too_large(response, limit)
            parts.append(raw)
    finally:
        await response.aclose()
    return parts[0] if len(parts) == 1 else b"".join(parts)


def _whole(response: httpx.Response, limit: int) -> bytes:
    content = response.content
    if len(content) > limit:
        raise _too_large(response, limit)
    return content


class _ErrorBody:
    """Collects an error body up to its limit; an undecodable one is kept as it came."""

    __slots__ = ("_decoder", "_limit", "_parts", "_size")

    def __init__(self, response: httpx.Response, limit: int) -> None:
        # Decoded in pieces of at most about 1 MiB, taken one by one until the limit: a
        # bomb yields its first piece and no more. The decoder's own cap is a backstop.
        self._decoder: ContentDecoder | None = ContentDecoder(
            response.headers.get("content-encoding"), limit + _PIECE_ROOM
        )
        self._limit = limit
        self._parts: list[bytes] = []
        self._size = 0

    def add(self, raw: bytes) -> bool:
        """Take the next raw bytes; True once the limit is reached (stop reading)."""
        decoder = self._decoder
        return decoder is None or self._take(decoder.iter_decode(raw))

    def end(self) -> None:
        if self._decoder is not None:
            self._take(self._decoder.iter_flush())

    def _take(self, pieces: Iterator[bytes]) -> bool:
        try:
            for piece in pieces:
                self._parts.append(piece)
                self._size += len(piece)
                if self._size >= self._limit:
                    self._decoder = None
                    return True
        except (BodyTooLarge, DecodingFailed):
            self._decoder = None  # what was decoded so far is kept
            return True
        return False

    def content(self) -> bytes:
        content = b"".join(self._parts)
        return content[: self._limit]


_PIECE_ROOM = 4 * 1024 * 1024  # past the limit: more than one decoded piece may hold


def with_content(response: httpx.Response, content: bytes) -> httpx.Response:
    """The response again, holding ``content`` decoded (for the errors that carry it)."""
    skip = ("content-length", "content-encoding", "transfer-encoding")
    return httpx.Response(
        response.status_code,
        headers=[(k, v) for k, v in response.headers.multi_items() if k.lower() not in skip],
        content=content,
        request=response.request,
        extensions={"reason_phrase": response.reason_phrase.encode("ascii", "replace")},
    )


def _too_large(response: httpx.Response, limit: int) -> APIResponseValidationError:
    return APIResponseValidationError(
        f"The server's answer is larger than max_body_bytes={limit} bytes (after "
        "decompression); it was not read whole. Raise max_body_bytes if the answer is "
        "expected to be this large.",
        request=response.request,
    )


def _undecodable(response: httpx.Response, exc: DecodingFailed) -> APIConnectionError:
    return APIConnectionError(
        f"The server's answer could not be decoded: {exc}", request=response.request
    )
