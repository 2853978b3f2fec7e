"""Streamed chat completions: iterate deltas, then read the assembled completion.

A stream is an object to iterate and to close (both work as context managers). It never
delivers a delta twice: it is retried only when it fails before handing anything over;
after that a failure raises a typed error whose ``partial`` holds what had arrived.
"""

from __future__ import annotations

import json
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Iterator
from types import TracebackType
from typing import Any

import httpx
from pydantic import SecretStr

from mixroute.accumulator import ChunkDelta, StreamAccumulator
from mixroute.errors import (
    APIConnectionError,
    APIResponseValidationError,
    APIStreamError,
    MixrouteError,
    error_message,
)
from mixroute.response import AssistantMessage, ChatCompletion
from mixroute.sse import ServerSentEvent, SSEDecoder
from mixroute.transport import connection_error, redact_error

__all__ = ["AsyncChatStream", "ChatStream", "StreamDecoder"]


class StreamDecoder:
    """Bytes of an SSE chat stream in, :class:`ChunkDelta` values out (no I/O).

    When one read completes several events and a later one is an error, the deltas before
    it are returned and the error is kept in ``error``: the caller hands those deltas out
    first, then raises it (the next :meth:`feed` or :meth:`end` raises it too).
    """

    __slots__ = ("_head", "accumulator", "done", "error", "finished", "sse")

    def __init__(self, *, inline_think_tags: bool = False) -> None:
        self.sse = SSEDecoder()
        self.accumulator = StreamAccumulator(inline_think_tags=inline_think_tags)
        self.done = False
        self.finished = False
        self.error: MixrouteError | None = None
        # The body's first bytes, kept until an event shows it is an event stream: a JSON
        # error or an HTML page sent instead must end in its own message, not "ended early".
        self._head: bytes | None = b""

    def feed(self, data: bytes) -> list[ChunkDelta]:
        """Decode the next bytes; return the deltas they complete."""
        if self.error is not None:
            raise self.error
        if self._head is not None and len(self._head) < _HEAD_LIMIT:
            self._head += data[: _HEAD_LIMIT - len(self._head)]
        events = self.sse.feed(data)
        if not events:
            return []
        self._head = None
        if len(events) == 1:
            return self._event(events[0])
        return self._events(events)

    def end(self) -> list[ChunkDelta]:
        """Flush at the end of the body; raise if it ended before the answer did."""
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
                _raise_if_not_event_stream(self._head)
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
            chunk = json.loads(data)
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


def _raise_if_not_event_stream(head: bytes) -> None:
    """Type a body that held no event at all: a JSON object or an HTML page, not SSE."""
    text = head.decode("utf-8", errors="replace").strip()
    if not text.startswith(("{", "[", "<")):
        return  # nothing, or only SSE comments: the stream was dropped
    body = _json_or_text(text)
    if isinstance(body, dict) and body.get("error"):
        message = error_message(body) or "The server answered the stream with an error."
        raise APIStreamError(message, body=body)
    raise APIResponseValidationError(
        f"The server answered a stream request with a body that is not an event stream: "
        f"{text[:200]!r}",
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
        "instead of an event stream; check base_url.",
        request=response.request,
    )


def _json_or_text(data: str) -> Any:
    try:
        return json.loads(data)
    except ValueError:
        return data


class _StreamBase:
    """What both streams share: the decoder, the final completion, and error framing."""

    def __init__(
        self, response: httpx.Response, decoder: StreamDecoder, secret: SecretStr | None
    ) -> None:
        self.response = response
        self._secret = secret
        self._decoder = decoder
        self._think = decoder.accumulator.inline_think_tags
        self._delivered = False
        self._stopped = False  # ended, failed or closed: iterating again yields nothing

    @property
    def completion(self) -> ChatCompletion:
        """The assembled completion (complete once iteration has ended)."""
        return self._decoder.accumulator.completion()

    @property
    def message(self) -> AssistantMessage:
        """The assembled first answer so far."""
        return self._decoder.accumulator.message()

    def _failure(self, exc: BaseException) -> MixrouteError:
        if isinstance(exc, httpx.HTTPError):
            error: MixrouteError = connection_error(exc, self.response.request)
        elif isinstance(exc, MixrouteError):
            error = exc
        else:  # pragma: no cover - defensive: never let a bare exception escape
            error = APIConnectionError(f"Stream failed: {exc!r}")
        if self._secret is not None:  # a server may echo the key in an error event
            redact_error(error, self._secret)
        error.partial = self._decoder.accumulator.message()
        return error


# What reading a stream may raise: transport failures, the typed errors the decoder raises
# for what the server sent, and httpx.StreamError once the caller has closed the response.
_STREAM_FAILURES = (httpx.HTTPError, httpx.StreamError, MixrouteError)


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
    ) -> None:
        super().__init__(response, decoder, secret)
        self._reopen = reopen

    def __iter__(self) -> Iterator[ChunkDelta]:
        while not self._stopped:
            decoder = self._decoder
            try:
                _check_status(self.response)
                for data in self.response.iter_bytes():
                    for delta in decoder.feed(data):
                        self._delivered = True
                        yield delta
                        if self._stopped:  # closed by the caller inside the loop
                            return
                    if decoder.error is not None:
                        raise decoder.error
                for delta in decoder.end():
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
            if self._delivered or self._reopen is None or not _may_retry(error):
                self._stopped = True
                raise error
            self.response = self._reopen(error)
            self._decoder = StreamDecoder(inline_think_tags=self._think)

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
    ) -> None:
        super().__init__(response, decoder, secret)
        self._reopen = reopen
        self._pending: list[ChunkDelta] = []
        self._raw: AsyncIterator[bytes] | None = None

    def __aiter__(self) -> AsyncChatStream:
        return self

    async def __anext__(self) -> ChunkDelta:
        pending = self._pending
        while not pending:
            if self._stopped:
                raise StopAsyncIteration
            try:
                deltas = await self._read()
            except _STREAM_FAILURES as exc:
                if self._stopped:  # closed by the caller while reading
                    raise StopAsyncIteration from None
                if isinstance(exc, httpx.StreamError):  # read elsewhere: a usage error
                    raise
                error = self._failure(exc)
                await self._close_response()
                if self._delivered or self._reopen is None or not _may_retry(error):
                    self._stopped = True
                    raise error from None
                self.response = await self._reopen(error)
                self._decoder = StreamDecoder(inline_think_tags=self._think)
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
        if self._raw is None:
            _check_status(self.response)
            self._raw = self.response.aiter_bytes()
        try:
            data = await self._raw.__anext__()
        except StopAsyncIteration:
            await self._close_response()
            return decoder.end()
        return decoder.feed(data)

    async def _close_response(self) -> None:
        raw, self._raw = self._raw, None
        if raw is not None and isinstance(raw, AsyncGenerator):
            await raw.aclose()  # finalise it here, not in the loop's garbage collection
        await self.response.aclose()

    async def aclose(self) -> None:
        """Close the response, returning its connection to the pool."""
        self._stopped = True
        self._pending.clear()
        await self._close_response()

    async def __aenter__(self) -> AsyncChatStream:
        return self

    async def __aexit__(
        self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()


def _may_retry(error: MixrouteError) -> bool:
    """Only transport failures are retried; an error the server sent is its answer."""
    return isinstance(error, APIConnectionError)
