"""Streamed chat completions: iterate deltas, then read the assembled completion.

A stream is an object to iterate and to close (both work as context managers). It never
delivers a delta twice: it is retried only when it fails before handing anything over;
after that a failure raises a typed error whose ``partial`` holds what had arrived.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from types import TracebackType
from typing import Any

import httpx
from pydantic import SecretStr

from mixroute import jsonsafe
from mixroute.accumulator import ChunkDelta, StreamAccumulator
from mixroute.deadlines import READ_UNTIL, DeadlineExceeded
from mixroute.decoding import ContentDecoder, DecodingFailed
from mixroute.errors import (
    APIConnectionError,
    APIResponseValidationError,
    APIStreamError,
    APITimeoutError,
    MixrouteError,
    error_message,
)
from mixroute.response import AssistantMessage, ChatCompletion
from mixroute.settings import DEFAULT_MAX_LINE_BYTES
from mixroute.sse import LineTooLong, ServerSentEvent, SSEDecoder
from mixroute.transport import connection_error, redact_error
from mixroute.url_advice import requested

__all__ = ["AsyncChatStream", "ChatStream", "StreamBounds", "StreamDecoder"]


class StreamDecoder:
    """Bytes of an SSE chat stream in, :class:`ChunkDelta` values out (no I/O).

    When one read completes several events and a later one is an error, the deltas before
    it are returned and the error is kept in ``error``: the caller hands those deltas out
    first, then raises it (the next :meth:`feed` or :meth:`end` raises it too).
    """

    __slots__ = ("_head", "accumulator", "done", "error", "finished", "max_line_bytes", "sse")

    def __init__(
        self, *, inline_think_tags: bool = False, max_line_bytes: int = DEFAULT_MAX_LINE_BYTES
    ) -> None:
        self.sse = SSEDecoder(max_line_bytes=max_line_bytes)
        self.max_line_bytes = max_line_bytes
        self.accumulator = StreamAccumulator(inline_think_tags=inline_think_tags)
        self.done = False
        self.finished = False
        self.error: MixrouteError | None = None
        # The body's first bytes, kept until an event shows it is an event stream: a JSON
        # error or an HTML page sent instead must end in its own message, not "ended early".
        self._head: bytes | None = b""

    def feed(self, data: bytes) -> list[ChunkDelta]:
        """Decode the next bytes; return the deltas they complete."""
        events = self.events(data)
        if not events:
            return []
        if len(events) == 1:
            return self._event(events[0])
        return self._events(events)

    def events(self, data: bytes) -> list[ServerSentEvent]:
        """Decode the next bytes into events, not read yet: :meth:`event_deltas` reads one.

        The streams read a network read's events one at a time, as they hand out the
        deltas, so that the accumulator's state is always that of the last delta handed
        out (``stream.message`` is the answer so far, not so far plus the rest of a read).
        """
        if self.error is not None:
            raise self.error
        if self._head is not None and len(self._head) < _HEAD_LIMIT:
            self._head += data[: _HEAD_LIMIT - len(self._head)]
        try:
            events = self.sse.feed(data)
        except LineTooLong as exc:
            raise APIStreamError(
                f"The stream sent a line or event longer than max_line_bytes={exc.limit} "
                "bytes; it was not read further. Raise max_line_bytes if such chunks are "
                "expected."
            ) from None
        if events:
            self._head = None
        return events

    def event_deltas(self, event: ServerSentEvent) -> list[ChunkDelta]:
        """Read one event of :meth:`events` into the accumulator; return its deltas."""
        return self._event(event)

    def end(self, request: httpx.Request | None = None) -> list[ChunkDelta]:
        """Flush at the end of the body; raise if it ended before the answer did.

        ``request``, the request the body answered, is named in the error for a body that
        was no event stream at all (a web page where the API should be).
        """
        if self.error is not None:
            raise self.error
        events = self.sse.flush()
        if events:
            self._head = None
        deltas = self._events(events)
        if self.error is not None:
            return deltas
        if not self.done and not self._saw_finish():
            if self._head is not None:
                _raise_if_not_event_stream(self._head, request)
            raise APIConnectionError(
                "The stream ended before the answer was complete (no [DONE] and no finish_reason)."
            )
        self.finished = True
        deltas.extend(self.accumulator.finish())
        return deltas

    def _events(self, events: list[ServerSentEvent]) -> list[ChunkDelta]:
        deltas: list[ChunkDelta] = []
        for event in events:
            try:
                deltas.extend(self._event(event))
            except MixrouteError as exc:
                if not deltas:
                    raise
                self.error = exc
                break
        return deltas

    def _saw_finish(self) -> bool:
        completion = self.accumulator.completion()
        return any(choice.finish_reason for choice in completion.choices)

    def _event(self, event: ServerSentEvent) -> list[ChunkDelta]:
        if self.done:
            return []
        data = event.data
        if data == "[DONE]":
            self.done = True
            return []
        if event.event == "error":
            body = _json_or_text(data)
            message = error_message(body) or "The server reported an error mid-stream."
            raise APIStreamError(message, body=body)
        try:
            chunk = jsonsafe.loads(data)
        except ValueError:
            if not data.strip():
                return []
            raise APIResponseValidationError(
                f"The stream sent a chunk that is not JSON: {data[:200]!r}", body=data
            ) from None
        if not isinstance(chunk, dict):
            raise APIResponseValidationError(
                f"The stream sent a chunk that is not a JSON object: {data[:200]!r}", body=chunk
            )
        return self.accumulator.feed(chunk)


_HEAD_LIMIT = 4096


def _raise_if_not_event_stream(head: bytes, request: httpx.Request | None) -> None:
    """Type a body that held no event at all: a JSON object or an HTML page, not SSE."""
    text = head.decode("utf-8", errors="replace").strip()
    if not text.startswith(("{", "[", "<")):
        return  # nothing, or only SSE comments: the stream was dropped
    body = _json_or_text(text)
    if isinstance(body, dict) and body.get("error"):
        message = error_message(body) or "The server answered the stream with an error."
        raise APIStreamError(message, body=body)
    where = ""
    if request is not None:  # a web page where the API should be: say where, and what to try
        where = f" ({requested(request, doubt_base_url=text.startswith('<'))})"
    raise APIResponseValidationError(
        f"The server answered a stream request with a body that is not an event stream: "
        f"{text[:200]!r}{where}",
        request=request,
        body=body,
    )


def _check_status(response: httpx.Response) -> None:
    # Error statuses were typed before the stream opened; what else is not 2xx is a 3xx
    # (httpx follows no redirects): an http:// base_url redirected, a proxy's login page.
    if 200 <= response.status_code < 300:
        return
    location = response.headers.get("location")
    where = f" to {location!r}" if location else ""
    raise APIResponseValidationError(
        f"The server answered {response.status_code} {response.reason_phrase}{where} "
        f"instead of an event stream ({requested(response.request)}).",
        request=response.request,
    )


def _json_or_text(data: str) -> Any:
    try:
        return jsonsafe.loads(data)
    except ValueError:
        return data


@dataclass(frozen=True, slots=True)
class StreamBounds:
    """How long a stream may wait, and how its body is decoded.

    ``idle``: seconds a stream may go without a complete line (an event or a keep-alive
    comment; bytes of an unfinished line do not count), the read timeout; ``until``: the
    :func:`time.monotonic` instant the whole stream must end by (its ``deadline``, in
    seconds, is kept for messages). ``None`` turns either off.
    """

    idle: float | None = None
    until: float | None = None
    deadline: float | None = None

    def limit(self, now: float, waited: float) -> float | None:
        """The instant a read starting ``now`` must end by.

        ``waited``: the seconds already spent waiting in reads since the last complete
        line. The caller's own time between reads is not waiting on the server, and does
        not count.
        """
        idle, until = self.idle, self.until
        if idle is None:
            return until
        end = now + idle - waited
        return end if until is None or end < until else until

    def timeout_error(self, now: float) -> APITimeoutError:
        """The error for a read that ran past :meth:`limit`."""
        if self.until is not None and now >= self.until - _SLACK:
            return APITimeoutError(f"The stream's deadline of {self.deadline:g} s passed.")
        return APITimeoutError(
            f"The stream sent no complete line for {self.idle:g} s (the read timeout)."
        )


NO_BOUNDS = StreamBounds()
_SLACK = 0.01  # seconds: how early a bound may be judged reached (clock granularity)


class _StreamBase:
    """What both streams share: the decoder, the final completion, and error framing."""

    def __init__(
        self,
        response: httpx.Response,
        decoder: StreamDecoder,
        secret: SecretStr | None,
        bounds: StreamBounds,
    ) -> None:
        self.response = response
        self._secret = secret
        self._decoder = decoder
        self._think = decoder.accumulator.inline_think_tags
        self._max_line = decoder.max_line_bytes
        self._bounds = bounds
        self._content: ContentDecoder | None = None
        self._waited = 0.0  # in reads, since the last complete line (the idle clock)
        self._delivered = False
        self._stopped = False  # ended, failed or closed: iterating again yields nothing

    @property
    def completion(self) -> ChatCompletion:
        """The assembled completion (complete once iteration has ended)."""
        return self._decoder.accumulator.completion()

    @property
    def message(self) -> AssistantMessage:
        """The first answer as of the last delta handed out (cheap to read after each)."""
        return self._decoder.accumulator.message()

    def _new_decoder(self) -> StreamDecoder:
        return StreamDecoder(inline_think_tags=self._think, max_line_bytes=self._max_line)

    def _request(self) -> httpx.Request | None:
        """The request the response answers (none on a response made by hand)."""
        try:
            return self.response.request
        except RuntimeError:
            return None

    def _begin_body(self) -> None:
        """Before the first read of a response: its content decoder and the idle clock."""
        _check_status(self.response)
        if self.response.is_stream_consumed:  # read already (a mock transport's), decoded
            self._content = None
            self._waited = 0.0
            return
        encoding = self.response.headers.get("content-encoding")
        # A compressed read is decoded in pieces of about 1 MiB, each handed to the SSE
        # decoder before the next is made: a bomb stops at the line limit, never whole.
        self._content = ContentDecoder(encoding, _STREAM_BODY_CAP) if encoding else None
        self._waited = 0.0

    def _seen(self, data: bytes) -> bytes:
        """Restart the idle clock when a line completed, and pass ``data`` on."""
        if b"\n" in data or b"\r" in data:
            self._waited = 0.0
        return data

    def _pieces(self, content: ContentDecoder, raw: bytes | None) -> Iterator[bytes]:
        """The decoded pieces of one compressed read (``None``: the end of the body)."""
        try:
            for piece in content.iter_flush() if raw is None else content.iter_decode(raw):
                yield self._seen(piece)
        except DecodingFailed as exc:
            raise APIConnectionError(f"The stream could not be decoded: {exc}") from None

    def _failure(self, exc: BaseException) -> MixrouteError:
        if isinstance(exc, httpx.TimeoutException) and self._bounds is not NO_BOUNDS:
            error: MixrouteError = self._bounds.timeout_error(time.monotonic())
            error.__cause__ = exc
        elif isinstance(exc, DeadlineExceeded):
            error = self._bounds.timeout_error(time.monotonic())
        elif isinstance(exc, httpx.HTTPError):
            error = connection_error(exc, self.response.request)
        elif isinstance(exc, MixrouteError):
            error = exc
        else:  # pragma: no cover - defensive: never let a bare exception escape
            error = APIConnectionError(f"Stream failed: {exc!r}")
        if self._secret is not None:  # a server may echo the key in an error event
            redact_error(error, self._secret)
        error.partial = self._decoder.accumulator.message()
        return error

    def _deadline_passed(self) -> bool:
        until = self._bounds.until
        return until is not None and time.monotonic() >= until - _SLACK


# A stream has no size limit of its own (it may run long); the line limit bounds memory.
_STREAM_BODY_CAP = 1 << 62

# What reading a stream may raise: transport failures, the typed errors the decoder raises
# for what the server sent, and httpx.StreamError once the caller has closed the response.
_STREAM_FAILURES = (httpx.HTTPError, httpx.StreamError, MixrouteError, DeadlineExceeded)


class ChatStream(_StreamBase):
    """A sync stream of :class:`ChunkDelta` values.

    >>> with client.stream("gpt-4o", [UserMessage("Hi")]) as stream:  # doctest: +SKIP
    ...     for delta in stream:
    ...         print(delta.content or "", end="")
    ...     print(stream.completion.usage)
    """

    def __init__(
        self,
        response: httpx.Response,
        decoder: StreamDecoder,
        reopen: Callable[[MixrouteError], httpx.Response] | None = None,
        *,
        secret: SecretStr | None = None,
        bounds: StreamBounds = NO_BOUNDS,
    ) -> None:
        super().__init__(response, decoder, secret, bounds)
        self._reopen = reopen

    def __iter__(self) -> Iterator[ChunkDelta]:
        while not self._stopped:
            decoder = self._decoder
            try:
                for data in self._chunks():
                    # Event by event: the accumulator reads each just before its deltas
                    # are handed out (an error event raises after those before it).
                    for event in decoder.events(data):
                        for delta in decoder.event_deltas(event):
                            self._delivered = True
                            yield delta
                            if self._stopped:  # closed by the caller inside the loop
                                return
                for delta in decoder.end(self._request()):
                    self._delivered = True
                    yield delta
                if decoder.error is not None:
                    raise decoder.error
                self._stopped = True
                return
            except _STREAM_FAILURES as exc:
                if self._stopped:  # closed by the caller while reading
                    return
                if isinstance(exc, httpx.StreamError):  # read elsewhere: a usage error
                    raise
                error = self._failure(exc)
            finally:
                self.response.close()
            if (
                self._delivered
                or self._reopen is None
                or not _may_retry(error)
                or self._deadline_passed()
            ):
                self._stopped = True
                raise error
            self.response = self._reopen(error)
            self._decoder = self._new_decoder()

    def _chunks(self) -> Iterator[bytes]:
        """The decoded body, each read bounded by the idle timeout and the deadline."""
        self._begin_body()
        response = self.response
        raw = iter((response.content,)) if response.is_stream_consumed else response.iter_raw()
        bounds = self._bounds
        content = self._content
        if bounds is NO_BOUNDS:
            for read in raw:
                if content is None:
                    yield self._seen(read)
                else:
                    yield from self._pieces(content, read)
            if content is not None:
                yield from self._pieces(content, None)
            return
        # Right after a complete line, with no deadline, the read's own timeout (the
        # request's read timeout, which is ``idle``) is the bound: nothing to cut.
        plain = bounds.until is None
        while True:
            now = time.monotonic()
            if plain and not self._waited:
                data = next(raw, None)
            else:
                limit = bounds.limit(now, self._waited)
                if limit is not None and now >= limit:
                    # With an http_client of your own (whose reads nothing cuts short), a
                    # drip still ends here, at its next byte.
                    raise bounds.timeout_error(now)
                # The sync transport cuts each socket read to this instant.
                token = READ_UNTIL.set(limit)
                try:
                    data = next(raw, None)
                finally:
                    READ_UNTIL.reset(token)
            self._waited += time.monotonic() - now
            if data is None:
                if content is not None:
                    yield from self._pieces(content, None)
                return
            if content is None:
                yield self._seen(data)
            else:
                yield from self._pieces(content, data)

    def close(self) -> None:
        """Close the response, returning its connection to the pool."""
        self._stopped = True
        self.response.close()

    def __enter__(self) -> ChatStream:
        return self

    def __exit__(
        self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


class AsyncChatStream(_StreamBase):
    """An async stream of :class:`ChunkDelta` values; close it (or use ``async with``).

    It is an iterator object, not an async generator, so leaving an ``async for`` early
    leaves nothing to finalise but the response, which ``aclose`` (or the ``async with``
    block) closes at once.
    """

    def __init__(
        self,
        response: httpx.Response,
        decoder: StreamDecoder,
        reopen: Callable[[MixrouteError], Awaitable[httpx.Response]] | None = None,
        *,
        secret: SecretStr | None = None,
        bounds: StreamBounds = NO_BOUNDS,
    ) -> None:
        super().__init__(response, decoder, secret, bounds)
        self._reopen = reopen
        self._pending: list[ChunkDelta] = []
        self._events: list[ServerSentEvent] = []  # of the last read, not read yet, reversed
        self._raw: AsyncIterator[bytes] | None = None

    def __aiter__(self) -> AsyncChatStream:
        return self

    async def __anext__(self) -> ChunkDelta:
        pending = self._pending
        while not pending:
            if self._stopped:
                raise StopAsyncIteration
            try:
                events = self._events
                if events:  # one event at a time, as the sync stream reads them
                    deltas = self._decoder.event_deltas(events.pop())
                else:
                    deltas = await self._read()
            except _STREAM_FAILURES as exc:
                if self._stopped:  # closed by the caller while reading
                    raise StopAsyncIteration from None
                if isinstance(exc, httpx.StreamError):  # read elsewhere: a usage error
                    raise
                error = self._failure(exc)
                self._events.clear()
                await self._close_response()
                if (
                    self._delivered
                    or self._reopen is None
                    or not _may_retry(error)
                    or self._deadline_passed()
                ):
                    self._stopped = True
                    raise error from None
                self.response = await self._reopen(error)
                self._decoder = self._new_decoder()
                continue
            if deltas:
                deltas.reverse()
                pending.extend(deltas)
        self._delivered = True
        return pending.pop()

    async def _read(self) -> list[ChunkDelta]:
        decoder = self._decoder
        if decoder.error is not None:  # met after deltas that have now been handed out
            raise decoder.error
        if decoder.finished:
            self._stopped = True
            return []
        raw = self._raw
        if raw is None:
            self._begin_body()
            response = self.response
            raw = self._raw = (
                _once(response.content) if response.is_stream_consumed else response.aiter_raw()
            )
        try:
            bounds = self._bounds
            if bounds is NO_BOUNDS:
                data = await raw.__anext__()
            else:
                data = await self._bounded_read(raw, bounds)
        except StopAsyncIteration:
            await self._close_response()
            if self._content is None:
                return decoder.end(self._request())
            deltas = self._feed_pieces(decoder, self._pieces(self._content, None))
            return deltas if decoder.error is not None else deltas + decoder.end(self._request())
        if self._content is None:
            events = decoder.events(self._seen(data))
            if len(events) == 1:
                return decoder.event_deltas(events[0])
            events.reverse()
            self._events = events
            return []
        return self._feed_pieces(decoder, self._pieces(self._content, data))

    @staticmethod
    def _feed_pieces(decoder: StreamDecoder, pieces: Iterator[bytes]) -> list[ChunkDelta]:
        # A failure after some pieces gave deltas is kept for the next read, as the
        # decoder does within one read: what arrived is handed out first.
        deltas: list[ChunkDelta] = []
        try:
            for piece in pieces:
                deltas.extend(decoder.feed(piece))
        except MixrouteError as exc:
            if not deltas:
                raise
            decoder.error = exc
        return deltas

    async def _bounded_read(self, raw: AsyncIterator[bytes], bounds: StreamBounds) -> bytes:
        now = time.monotonic()
        limit = bounds.limit(now, self._waited)
        if limit is None:
            return await raw.__anext__()
        if now >= limit:
            raise bounds.timeout_error(now)
        idle = bounds.idle
        # Right after a complete line the transport's own read timeout (the same ``idle``
        # seconds, counted from now) is bound enough: a timer per chunk would cost more
        # than the read. Only a partial line or a near deadline needs one.
        if idle is not None and limit >= now + idle - min(1.0, idle / 20):
            data = await raw.__anext__()
        else:
            try:
                async with asyncio.timeout(limit - now):
                    data = await raw.__anext__()
            except TimeoutError:
                raise bounds.timeout_error(time.monotonic()) from None
        self._waited += time.monotonic() - now
        return data

    async def _close_response(self) -> None:
        raw, self._raw = self._raw, None
        if raw is not None and isinstance(raw, AsyncGenerator):
            await raw.aclose()  # finalise it here, not in the loop's garbage collection
        await self.response.aclose()

    async def aclose(self) -> None:
        """Close the response, returning its connection to the pool."""
        self._stopped = True
        self._pending.clear()
        self._events.clear()
        await self._close_response()

    async def __aenter__(self) -> AsyncChatStream:
        return self

    async def __aexit__(
        self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()


async def _once(content: bytes) -> AsyncIterator[bytes]:
    yield content


def _may_retry(error: MixrouteError) -> bool:
    """Only transport failures are retried; an error the server sent is its answer."""
    return isinstance(error, APIConnectionError)
