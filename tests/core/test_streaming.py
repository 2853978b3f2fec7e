"""Specification of mixroute.streaming: the chunk decoder and the sync and async streams.

The streams are driven through the real clients over ``httpx.MockTransport``: the server
side is a handler returning canned SSE bodies, so every byte goes through httpx.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import replace
from typing import Any

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import mixroute
from mixroute import (
    APIConnectionError,
    APIResponseValidationError,
    APIStreamError,
    AsyncMixrouteClient,
    AuthenticationError,
    ChunkDelta,
    InternalServerError,
    MixrouteClient,
    MixrouteError,
    NotFoundError,
    RateLimitError,
    RetryPolicy,
    StreamDecoder,
    UserMessage,
    get_profile,
)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


# --- canned server side -------------------------------------------------------------------

# The stream example of the vendor page (mixroute-api-seed.txt), byte for byte.
DOCUMENTED_STREAM = (
    b'data: {"id":"chatcmpl-xxx","object":"chat.completion.chunk","created":1234567890,'
    b'"model":"gpt-4o","choices":[{"index":0,"delta":{"role":"assistant","content":"Hello"},'
    b'"finish_reason":null}]}\n\n'
    b'data: {"id":"chatcmpl-xxx","object":"chat.completion.chunk","created":1234567890,'
    b'"model":"gpt-4o","choices":[{"index":0,"delta":{"content":"!"},"finish_reason":null}]}\n\n'
    b'data: {"id":"chatcmpl-xxx","object":"chat.completion.chunk","created":1234567890,'
    b'"model":"gpt-4o","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}\n\n'
    b"data: [DONE]\n\n"
)


def event(
    delta: dict[str, Any] | None = None, finish_reason: str | None = None, **top: Any
) -> bytes:
    chunk = {
        "id": "c1",
        "object": "chat.completion.chunk",
        "model": "m",
        "choices": [{"index": 0, "delta": delta or {}, "finish_reason": finish_reason}],
        **top,
    }
    return b"data: " + json.dumps(chunk).encode() + b"\n\n"


def text(content: str) -> bytes:
    return event({"content": content})


DONE = b"data: [DONE]\n\n"
STOP = event({}, "stop")


class Body(httpx.SyncByteStream, httpx.AsyncByteStream):
    """A response body delivered in the given pieces, optionally failing after them."""

    def __init__(self, *pieces: bytes, fail: Exception | None = None) -> None:
        self.pieces = pieces
        self.fail = fail
        self.closed = False

    def __iter__(self) -> Iterator[bytes]:
        yield from self.pieces
        if self.fail is not None:
            raise self.fail

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for piece in self.pieces:
            yield piece
        if self.fail is not None:
            raise self.fail

    def close(self) -> None:
        self.closed = True

    async def aclose(self) -> None:
        self.closed = True


Reply = httpx.Response | Body | Callable[[httpx.Request], httpx.Response]


class Server:
    """Answers each request with the next reply (the last one repeats); counts them."""

    def __init__(self, *replies: Reply) -> None:
        self.replies = list(replies)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        reply = self.replies[min(len(self.requests), len(self.replies)) - 1]
        if isinstance(reply, Body):
            return httpx.Response(200, headers={"content-type": "text/event-stream"}, stream=reply)
        if isinstance(reply, httpx.Response):
            return reply
        return reply(request)


async def _no_sleep(seconds: float) -> None:
    return None


def policy(max_retries: int = 2) -> RetryPolicy:
    return RetryPolicy(
        max_retries=max_retries,
        initial_delay=0,
        jitter=lambda: 0.0,
        sleep=lambda s: None,
        asleep=_no_sleep,
    )


def sync_client(server: Server, max_retries: int = 2) -> MixrouteClient:
    return MixrouteClient(
        api_key="sk-test",
        http_client=httpx.Client(transport=httpx.MockTransport(server)),
        retry_policy=policy(max_retries),
    )


def async_client(server: Server, max_retries: int = 2) -> AsyncMixrouteClient:
    return AsyncMixrouteClient(
        api_key="sk-test",
        http_client=httpx.AsyncClient(transport=httpx.MockTransport(server)),
        retry_policy=policy(max_retries),
    )


HI = [UserMessage("Hi")]


def contents(deltas: list[ChunkDelta]) -> list[str]:
    return [d.content for d in deltas if d.content]


async def collect(stream: mixroute.AsyncChatStream) -> list[ChunkDelta]:
    return [delta async for delta in stream]


async def drain(stream: mixroute.AsyncChatStream, into: list[ChunkDelta]) -> None:
    """Iterate as a user would, keeping what arrived before an error."""
    async for delta in stream:
        into.append(delta)


# --- sync stream --------------------------------------------------------------------------


def test_documented_stream_example() -> None:
    server = Server(Body(DOCUMENTED_STREAM))
    with sync_client(server).stream("gpt-4o", HI) as stream:
        deltas = list(stream)
    assert contents(deltas) == ["Hello", "!"]
    completion = stream.completion
    assert completion.message.content == "Hello!"
    assert completion.finish_reason == "stop"
    assert completion.id == "chatcmpl-xxx"
    assert stream.response.is_closed
    sent = json.loads(server.requests[0].content)
    assert sent["stream"] is True
    assert server.requests[0].url == "https://console.mixroute.io/v1/chat/completions"


def test_documented_stream_arriving_byte_by_byte() -> None:
    pieces = [DOCUMENTED_STREAM[i : i + 1] for i in range(len(DOCUMENTED_STREAM))]
    with sync_client(Server(Body(*pieces))).stream("gpt-4o", HI) as stream:
        assert contents(list(stream)) == ["Hello", "!"]


def test_done_ends_the_stream_and_what_follows_is_ignored() -> None:
    body = Body(text("a"), DONE, text("ignored"), b"data: not json\n\nevent: error\ndata: {}\n\n")
    with sync_client(Server(body)).stream("m", HI) as stream:
        deltas = list(stream)
    assert contents(deltas) == ["a"]
    assert stream.completion.message.content == "a"


def test_stream_ending_with_finish_reason_but_no_done_is_complete() -> None:
    with sync_client(Server(Body(text("a"), STOP))).stream("m", HI) as stream:
        assert contents(list(stream)) == ["a"]
    assert stream.completion.finish_reason == "stop"


def test_stream_ending_with_neither_done_nor_finish_reason() -> None:
    server = Server(Body(text("Hel"), text("lo")))
    stream = sync_client(server).stream("m", HI)
    received: list[ChunkDelta] = []
    with pytest.raises(APIConnectionError) as info:
        received.extend(stream)
    assert contents(received) == ["Hel", "lo"]
    assert info.value.partial is not None
    assert info.value.partial.content == "Hello"
    assert len(server.requests) == 1  # deltas were delivered: never retried
    assert stream.response.is_closed


GROQ_ERROR = (
    b'event: error\ndata: {"error":{"message":"Tool choice is required, but model did not '
    b'call a tool","type":"invalid_request_error","code":"tool_use_failed",'
    b'"failed_generation":"","status_code":400}}\n\n'
)


@pytest.mark.parametrize("split", [False, True], ids=["one-read", "piece-by-piece"])
def test_groq_event_error(split: bool) -> None:
    pieces = (event({"role": "assistant", "content": ""}), text("maybe"), GROQ_ERROR)
    server = Server(Body(*pieces) if split else Body(b"".join(pieces)))
    stream = sync_client(server).stream("m", HI)
    received: list[ChunkDelta] = []
    with pytest.raises(APIStreamError, match="Tool choice is required") as info:
        received.extend(stream)
    # What came before the error is handed out first, even when it shared a read with it.
    assert contents(received) == ["maybe"]
    error = info.value
    assert error.type == "invalid_request_error"
    assert error.code == "tool_use_failed"
    assert error.partial is not None
    assert error.partial.content == "maybe"
    assert len(server.requests) == 1
    assert stream.response.is_closed


def test_groq_event_error_as_the_first_event_is_not_retried() -> None:
    server = Server(Body(GROQ_ERROR))
    with pytest.raises(APIStreamError), sync_client(server).stream("m", HI) as stream:
        list(stream)
    assert len(server.requests) == 1  # the server's own answer: sending again won't help


def test_openrouter_error_object_in_a_chunk() -> None:
    error_chunk = event(
        {"role": "assistant", "content": ""},
        error={"code": 400, "message": "Token limit reached"},
        provider="Minimax",
    )
    body = Body(b": OPENROUTER PROCESSING\n\n", text("Par"), error_chunk, DONE)
    stream = sync_client(Server(body)).stream("m", HI)
    received: list[ChunkDelta] = []
    with pytest.raises(APIStreamError, match="Token limit reached") as info:
        received.extend(stream)
    assert contents(received) == ["Par"]
    assert info.value.partial is not None
    assert info.value.partial.content == "Par"


def test_non_json_chunk() -> None:
    body = Body(text("a"), b"data: <html>502 Bad Gateway</html>\n\n", STOP)
    stream = sync_client(Server(body)).stream("m", HI)
    with pytest.raises(APIResponseValidationError, match="not JSON") as info:
        list(stream)
    assert info.value.partial is not None
    assert info.value.partial.content == "a"


def test_json_chunk_that_is_not_an_object() -> None:
    with pytest.raises(APIResponseValidationError, match="not a JSON object"):
        list(sync_client(Server(Body(b"data: [1, 2]\n\n"))).stream("m", HI))


def test_body_breaking_midway_is_not_retried() -> None:
    body = Body(text("Hel"), text("lo"), fail=httpx.ReadError("connection reset"))
    server = Server(body, Body(text("other"), STOP, DONE))
    stream = sync_client(server, max_retries=3).stream("m", HI)
    received: list[ChunkDelta] = []
    with pytest.raises(APIConnectionError, match="connection reset") as info:
        received.extend(stream)
    assert contents(received) == ["Hel", "lo"]
    assert info.value.partial is not None
    assert info.value.partial.content == "Hello"
    assert len(server.requests) == 1
    assert stream.response.is_closed
    assert body.closed


def test_failure_before_any_delta_is_retried_once_delivered_once() -> None:
    first = Body(b": keep-alive\n\n", fail=httpx.ReadError("reset"))
    second = Body(text("Hel"), text("lo"), STOP, DONE)
    server = Server(first, second)
    with sync_client(server).stream("m", HI) as stream:
        deltas = list(stream)
    assert contents(deltas) == ["Hel", "lo"]
    assert stream.completion.message.content == "Hello"
    assert len(server.requests) == 2
    assert first.closed


def test_empty_body_is_retried_then_gives_up() -> None:
    server = Server(Body())
    with pytest.raises(APIConnectionError, match="before the answer was complete"):
        list(sync_client(server, max_retries=2).stream("m", HI))
    assert len(server.requests) == 3


def error_response(status: int, message: str, **headers: str) -> httpx.Response:
    return httpx.Response(status, json={"error": {"message": message}}, headers=headers)


@pytest.mark.parametrize(
    ("status", "error_type"), [(401, AuthenticationError), (404, NotFoundError)]
)
def test_final_status_at_open_raises_without_retry(
    status: int, error_type: type[MixrouteError]
) -> None:
    server = Server(error_response(status, "nope"))
    with pytest.raises(error_type, match="nope"):
        sync_client(server).stream("m", HI)
    assert len(server.requests) == 1


@pytest.mark.parametrize(
    ("status", "error_type"), [(429, RateLimitError), (500, InternalServerError)]
)
def test_retryable_status_at_open_is_retried(status: int, error_type: type[MixrouteError]) -> None:
    server = Server(error_response(status, "busy"))
    with pytest.raises(error_type, match="busy"):
        sync_client(server, max_retries=2).stream("m", HI)
    assert len(server.requests) == 3


def test_retryable_status_then_success() -> None:
    server = Server(error_response(429, "slow down"), Body(DOCUMENTED_STREAM))
    with sync_client(server).stream("m", HI) as stream:
        assert contents(list(stream)) == ["Hello", "!"]
    assert len(server.requests) == 2


def test_close_closes_the_response() -> None:
    body = Body(text("a"), text("b"), STOP)
    stream = sync_client(Server(body)).stream("m", HI)
    assert not stream.response.is_closed
    stream.close()
    assert stream.response.is_closed
    assert list(stream) == []  # a closed stream yields nothing more


def test_context_manager_closes_on_early_exit() -> None:
    with sync_client(Server(Body(text("a"), text("b"), STOP))).stream("m", HI) as stream:
        first = next(iter(stream))
        assert first.content == "a"
    assert stream.response.is_closed


def test_breaking_out_then_closing() -> None:
    stream = sync_client(Server(Body(text("a"), text("b"), STOP))).stream("m", HI)
    for _ in stream:
        break
    stream.close()
    assert stream.response.is_closed


def test_close_inside_the_loop_ends_it() -> None:
    body = Body(text("a") + text("b"), text("c"), STOP)
    stream = sync_client(Server(body)).stream("m", HI)
    received = []
    for delta in stream:
        received.append(delta)
        stream.close()
    assert contents(received) == ["a"]
    assert stream.response.is_closed


def test_iterating_a_finished_stream_again_yields_nothing() -> None:
    with sync_client(Server(Body(DOCUMENTED_STREAM))).stream("m", HI) as stream:
        assert len(contents(list(stream))) == 2
        assert list(stream) == []


def test_usage_chunk_and_tool_calls_through_the_client() -> None:
    fragment = {"index": 0, "id": "call_1", "type": "function"}
    body = Body(
        event({"role": "assistant", "tool_calls": [{**fragment, "function": {"name": "f"}}]}),
        event({"tool_calls": [{"index": 0, "function": {"arguments": '{"x": 1}'}}]}),
        event({}, "tool_calls"),
        b'data: {"choices": [], "usage": {"prompt_tokens": 5, "completion_tokens": 2,'
        b' "total_tokens": 7, "prompt_tokens_details": {"cached_tokens": 4}}}\n\n',
        DONE,
    )
    server = Server(body)
    with sync_client(server).stream("m", HI) as stream:
        deltas = list(stream)
    completion = stream.completion
    assert [(c.id, c.name, c.arguments) for c in completion.message.tool_calls] == [
        ("call_1", "f", {"x": 1})
    ]
    assert completion.usage is not None
    assert (completion.usage.total_tokens, completion.usage.cached_tokens) == (7, 4)
    assert deltas[-1].usage == completion.usage
    assert json.loads(server.requests[0].content)["stream_options"] == {"include_usage": True}


def test_inline_think_tags_from_the_profile() -> None:
    body = Body(text("<think>a"), text("</think>b"), text("<"), STOP, DONE)
    profile = replace(get_profile("m"), inline_think_tags=True)
    with sync_client(Server(body)).stream("m", HI, profile=profile) as stream:
        deltas = list(stream)
    assert "".join(d.reasoning or "" for d in deltas) == "a"
    assert "".join(d.content or "" for d in deltas) == "b<"  # held "<" released at the end
    assert (stream.completion.message.reasoning, stream.completion.message.content) == ("a", "b<")


def _one_read_of_mixed_events() -> Body:
    """Text, reasoning and a tool call's fragments, all arriving in one read."""
    call = {"index": 0, "id": "call_1", "type": "function", "function": {"name": "f"}}
    return Body(
        event({"role": "assistant", "reasoning_content": "Hm"})
        + text("Hel")
        + event({"tool_calls": [{**call, "function": {"name": "f", "arguments": '{"x"'}}]})
        + event({"tool_calls": [{"index": 0, "function": {"arguments": ": 1}"}}]})
        + text("lo")
        + STOP
        + DONE
    )


def _so_far(deltas: list[ChunkDelta]) -> tuple[str | None, str | None, list[str]]:
    """What the deltas handed out so far add up to: content, reasoning, call arguments."""
    content = "".join(d.content or "" for d in deltas) or None
    reasoning = "".join(d.reasoning or "" for d in deltas) or None
    arguments = "".join(f.arguments for d in deltas for f in d.tool_calls or ())
    return content, reasoning, [arguments] if arguments else []


def _seen(message: mixroute.AssistantMessage) -> tuple[str | None, str | None, list[str]]:
    calls = [c.raw_arguments or "" for c in message.tool_calls]
    calls += [c.arguments or "" for c in message.invalid_tool_calls]
    return message.content, message.reasoning, calls


def test_message_is_the_answer_as_of_the_last_delta_handed_out() -> None:
    # Many events in one read: the accumulator reads each as its deltas are handed out.
    delivered: list[ChunkDelta] = []
    with sync_client(Server(_one_read_of_mixed_events())).stream("m", HI) as stream:
        for delta in stream:
            delivered.append(delta)
            assert _seen(stream.message) == _so_far(delivered)
    assert _seen(stream.message) == ("Hello", "Hm", ['{"x": 1}'])


@pytest.mark.anyio
async def test_async_message_is_the_answer_as_of_the_last_delta_handed_out() -> None:
    delivered: list[ChunkDelta] = []
    server = Server(_one_read_of_mixed_events())
    async with await async_client(server).stream("m", HI) as stream:
        async for delta in stream:
            delivered.append(delta)
            assert _seen(stream.message) == _so_far(delivered)
    assert _seen(stream.message) == ("Hello", "Hm", ['{"x": 1}'])


# --- async stream -------------------------------------------------------------------------


@pytest.mark.anyio
async def test_async_documented_stream_example() -> None:
    server = Server(Body(DOCUMENTED_STREAM))
    async with await async_client(server).stream("gpt-4o", HI) as stream:
        deltas = await collect(stream)
    assert contents(deltas) == ["Hello", "!"]
    assert stream.completion.message.content == "Hello!"
    assert stream.response.is_closed


@pytest.mark.anyio
async def test_async_iterator_protocol_directly() -> None:
    stream = await async_client(Server(Body(text("a"), STOP, DONE))).stream("m", HI)
    iterator = aiter(stream)
    assert (await anext(iterator)).content == "a"
    assert (await anext(iterator)).finish_reason == "stop"
    with pytest.raises(StopAsyncIteration):
        await anext(iterator)
    with pytest.raises(StopAsyncIteration):  # and it stays ended
        await anext(iterator)
    assert stream.response.is_closed


@pytest.mark.anyio
async def test_async_done_ends_the_stream() -> None:
    body = Body(text("a"), DONE, text("ignored"), b"data: garbage\n\n")
    stream = await async_client(Server(body)).stream("m", HI)
    assert contents(await collect(stream)) == ["a"]


@pytest.mark.anyio
async def test_async_stream_with_neither_done_nor_finish_reason() -> None:
    server = Server(Body(text("Hel"), text("lo")))
    stream = await async_client(server).stream("m", HI)
    received: list[ChunkDelta] = []
    with pytest.raises(APIConnectionError) as info:
        await drain(stream, received)
    assert contents(received) == ["Hel", "lo"]
    assert info.value.partial is not None
    assert info.value.partial.content == "Hello"
    assert len(server.requests) == 1


@pytest.mark.anyio
@pytest.mark.parametrize("split", [False, True], ids=["one-read", "piece-by-piece"])
async def test_async_groq_event_error(split: bool) -> None:
    pieces = (text("maybe"), GROQ_ERROR)
    stream = await async_client(Server(Body(*pieces) if split else Body(b"".join(pieces)))).stream(
        "m", HI
    )
    received: list[ChunkDelta] = []
    with pytest.raises(APIStreamError, match="Tool choice is required") as info:
        await drain(stream, received)
    assert contents(received) == ["maybe"]
    assert info.value.partial is not None
    assert info.value.partial.content == "maybe"
    assert stream.response.is_closed
    with pytest.raises(StopAsyncIteration):  # a failed stream is over
        await anext(aiter(stream))


@pytest.mark.anyio
async def test_async_openrouter_error_chunk() -> None:
    error_chunk = event({}, error={"code": 502, "message": "Upstream died"})
    stream = await async_client(Server(Body(text("x"), error_chunk, DONE))).stream("m", HI)
    with pytest.raises(APIStreamError, match="Upstream died") as info:
        await collect(stream)
    assert info.value.partial is not None
    assert info.value.partial.content == "x"


@pytest.mark.anyio
async def test_async_non_json_chunk() -> None:
    stream = await async_client(Server(Body(b"data: {oops\n\n"))).stream("m", HI)
    with pytest.raises(APIResponseValidationError):
        await collect(stream)


@pytest.mark.anyio
async def test_async_body_breaking_midway_is_not_retried() -> None:
    body = Body(text("Hel"), text("lo"), fail=httpx.ReadError("connection reset"))
    server = Server(body, Body(text("other"), STOP))
    stream = await async_client(server, max_retries=3).stream("m", HI)
    received: list[ChunkDelta] = []
    with pytest.raises(APIConnectionError, match="connection reset") as info:
        await drain(stream, received)
    assert contents(received) == ["Hel", "lo"]
    assert info.value.partial is not None
    assert info.value.partial.content == "Hello"
    assert len(server.requests) == 1
    assert stream.response.is_closed


@pytest.mark.anyio
async def test_async_failure_before_any_delta_is_retried() -> None:
    first = Body(fail=httpx.RemoteProtocolError("peer closed"))
    server = Server(first, Body(text("Hel"), text("lo"), STOP, DONE))
    async with await async_client(server).stream("m", HI) as stream:
        deltas = await collect(stream)
    assert contents(deltas) == ["Hel", "lo"]
    assert stream.completion.message.content == "Hello"
    assert len(server.requests) == 2
    assert first.closed


@pytest.mark.anyio
async def test_async_retries_exhausted_before_any_delta() -> None:
    server = Server(Body(fail=httpx.ReadError("reset")))
    stream = await async_client(server, max_retries=1).stream("m", HI)
    with pytest.raises(APIConnectionError):
        await collect(stream)
    assert len(server.requests) == 2


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("status", "error_type", "requests"),
    [
        (401, AuthenticationError, 1),
        (404, NotFoundError, 1),
        (429, RateLimitError, 3),
        (500, InternalServerError, 3),
    ],
)
async def test_async_status_errors_at_open(
    status: int, error_type: type[MixrouteError], requests: int
) -> None:
    server = Server(error_response(status, "no"))
    with pytest.raises(error_type):
        await async_client(server, max_retries=2).stream("m", HI)
    assert len(server.requests) == requests


@pytest.mark.anyio
async def test_async_break_then_aclose_closes_the_response() -> None:
    body = Body(text("a"), text("b"), text("c"), STOP)
    stream = await async_client(Server(body)).stream("m", HI)
    async for delta in stream:
        assert delta.content == "a"
        break
    assert not stream.response.is_closed
    await stream.aclose()
    assert stream.response.is_closed
    assert body.closed
    assert await collect(stream) == []  # a closed stream yields nothing more


@pytest.mark.anyio
async def test_async_aclose_drops_deltas_already_decoded() -> None:
    stream = await async_client(Server(Body(text("a") + text("b") + STOP))).stream("m", HI)
    assert (await anext(aiter(stream))).content == "a"
    await stream.aclose()
    assert await collect(stream) == []


@pytest.mark.anyio
async def test_async_context_manager_closes_on_early_exit() -> None:
    stream = await async_client(Server(Body(text("a"), text("b"), STOP))).stream("m", HI)
    async with stream:
        assert (await anext(aiter(stream))).content == "a"
    assert stream.response.is_closed


# --- StreamDecoder, no I/O ------------------------------------------------------------------


def test_decoder_feed_and_end() -> None:
    decoder = StreamDecoder()
    deltas = decoder.feed(DOCUMENTED_STREAM[:50])
    deltas += decoder.feed(DOCUMENTED_STREAM[50:])
    assert contents(deltas) == ["Hello", "!"]
    assert decoder.done
    assert decoder.end() == []
    assert decoder.finished


def test_decoder_end_flushes_a_last_event_without_blank_line() -> None:
    decoder = StreamDecoder()
    assert contents(decoder.feed(text("a") + b"data: [DONE]")) == ["a"]
    assert decoder.end() == []
    assert decoder.done
    assert decoder.accumulator.message().content == "a"


def test_decoder_end_raises_on_a_truncated_stream() -> None:
    decoder = StreamDecoder()
    decoder.feed(text("a"))
    with pytest.raises(APIConnectionError, match="no \\[DONE\\] and no finish_reason"):
        decoder.end()


def test_decoder_keeps_an_error_behind_the_deltas_of_the_same_read() -> None:
    decoder = StreamDecoder()
    deltas = decoder.feed(text("a") + text("b") + GROQ_ERROR + text("never"))
    assert contents(deltas) == ["a", "b"]
    assert isinstance(decoder.error, APIStreamError)
    with pytest.raises(APIStreamError):
        decoder.feed(b"")
    with pytest.raises(APIStreamError):
        decoder.end()


def test_decoder_error_alone_raises_at_once() -> None:
    with pytest.raises(APIStreamError):
        StreamDecoder().feed(GROQ_ERROR)


def test_decoder_event_error_with_text_data() -> None:
    with pytest.raises(APIStreamError, match="overloaded"):
        StreamDecoder().feed(b"event: error\ndata: overloaded\n\n")


def test_decoder_ignores_empty_data() -> None:
    assert StreamDecoder().feed(b"data:\n\ndata:  \n\n") == []


_lines = st.lists(
    st.sampled_from(
        [
            b"data: [DONE]",
            b"data: {}",
            b'data: {"choices": [{"delta": {"content": "x"}}]}',
            b'data: {"choices": {"0": 1}}',
            b'data: {"choices": [{"delta": {"tool_calls": [{"function": "f"}]}}]}',
            b'data: {"error": {"message": 3}}',
            b"data: null",
            b"data: nope",
            b"event: error",
            b": comment",
            b"",
            b"\xff\xfe",
        ]
    )
    | st.binary(max_size=8),
    max_size=10,
)


@settings(max_examples=150, deadline=None)
@given(lines=_lines)
def test_decoder_on_arbitrary_input_raises_only_typed_errors(lines: list[bytes]) -> None:
    decoder = StreamDecoder()
    try:
        decoder.feed(b"\n".join(lines))
        decoder.end()
    except MixrouteError:
        pass
    decoder.accumulator.completion()
