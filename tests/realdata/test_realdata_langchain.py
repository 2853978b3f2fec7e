"""Every recorded real exchange, served by a real local server, through ``ChatMixroute``.

A JSON answer goes through ``invoke``; a streamed one through ``stream`` (the chunks as
they arrive, then their sum) and through ``invoke`` with ``streaming=True`` (LangChain's
own assembly of the same chunks). Both are checked against the oracle in ``realdata.py``.
"""

from __future__ import annotations

import asyncio
from functools import reduce
from operator import add
from pathlib import Path
from typing import Any

import pytest
from langchain_core.messages import AIMessage, AIMessageChunk
from realdata import (
    Expected,
    Observed,
    ReplayServer,
    Usage,
    assert_matches,
    exchange_params,
    expected,
    load,
    requires_realdata,
)

from langchain_mixroute import ChatMixroute
from mixroute import (
    APIStreamError,
    BadRequestError,
    MixrouteError,
    NotFoundError,
    RateLimitError,
    get_profile,
)

pytestmark = requires_realdata
STATUS_ERRORS = {400: BadRequestError, 404: NotFoundError, 429: RateLimitError}
QUESTION = "Replay the recorded answer."


def observed(message: AIMessage) -> Observed:
    """A message (or a sum of chunks) in the oracle's terms."""
    if isinstance(message, AIMessageChunk):  # the exact text of each call's arguments
        calls = [
            {"name": c["name"] or "", "arguments": c["args"] or ""}
            for c in sorted(message.tool_call_chunks, key=lambda c: c["index"] or 0)
        ]
    else:  # parsed calls first, as the core lists them, then the unparseable ones
        calls = [{"name": c["name"], "arguments": c["args"]} for c in message.tool_calls]
        calls += [
            {"name": c["name"] or "", "arguments": c["args"]} for c in message.invalid_tool_calls
        ]
    usage = message.usage_metadata
    citations = message.response_metadata.get("citations") or []
    assert isinstance(message.content, str)
    return Observed(
        content=message.content,
        reasoning=message.additional_kwargs.get("reasoning_content", ""),
        refusal=message.additional_kwargs.get("refusal", ""),
        tool_calls=dict(enumerate(calls)),
        usage=None
        if usage is None
        else Usage(
            usage["input_tokens"],
            usage["output_tokens"],
            usage.get("input_token_details", {}).get("cache_read"),
            usage.get("output_token_details", {}).get("reasoning"),
        ),
        citations=len({c["url"] for c in citations}),
        finish_reason=message.response_metadata.get("finish_reason"),
    )


def assert_blocks_match(message: AIMessage, want: Expected) -> None:
    """LangChain's standard content blocks (our translator) say what the recording says."""
    blocks = message.content_blocks
    reasoning = "".join(b.get("reasoning", "") for b in blocks if b["type"] == "reasoning")
    text = "".join(b.get("text", "") for b in blocks if b["type"] == "text")
    calls = [b for b in blocks if b["type"] in ("tool_call", "invalid_tool_call")]
    assert (reasoning, text) == (want.reasoning, want.content)
    assert [c.get("name") or "" for c in calls] == [
        want.tool_calls[i]["name"] for i in sorted(want.tool_calls)
    ]


def model(base_url: str, name: str, **settings: Any) -> ChatMixroute:
    return ChatMixroute(
        model=name,
        api_key="sk-realdata-0000000000000000",
        base_url=base_url,
        max_retries=0,
        **settings,
    )


@pytest.mark.parametrize("path", exchange_params())
def test_exchange_through_chat_mixroute(path: Path, replay: ReplayServer) -> None:
    exchange = load(path)
    request = exchange["request"]
    llm = model(replay.play(exchange), request["model"])
    want_error = STATUS_ERRORS.get(exchange["status"])
    if want_error is not None:
        with pytest.raises(want_error) as info:
            llm.invoke(QUESTION)
        assert info.value.status_code == exchange["status"]
        assert info.value.message
        return
    want = expected(exchange, inline_think_tags=get_profile(request["model"]).inline_think_tags)
    if not request.get("stream"):
        message = llm.invoke(QUESTION)
        assert_matches(observed(message), want)
        assert_blocks_match(message, want)
        return
    chunks: list[AIMessageChunk] = []
    if want.stream_error:  # the chunks that arrived before the error, then the typed error
        with pytest.raises(APIStreamError) as failure:
            chunks.extend(llm.stream(QUESTION))
        assert failure.value.message
    else:
        chunks.extend(llm.stream(QUESTION))
        assembled = reduce(add, chunks)
        assert assembled.chunk_position == "last"
        assert_matches(observed(assembled), want)
        assert_blocks_match(assembled, want)
        invoked = model(llm.base_url or "", request["model"], streaming=True).invoke(QUESTION)
        assert replay.server.received[-1].json()["stream"] is True
        assert_matches(observed(invoked), want)
        assert_blocks_match(invoked, want)
    assert "".join(str(c.content) for c in chunks) == want.content
    assert (
        "".join(c.additional_kwargs.get("reasoning_content", "") for c in chunks) == want.reasoning
    )


@pytest.mark.parametrize("path", exchange_params())
def test_exchange_through_chat_mixroute_async(path: Path, replay: ReplayServer) -> None:
    # ainvoke and astream: the async client and stream, held to the same oracle.
    exchange = load(path)
    request = exchange["request"]
    llm = model(replay.play(exchange), request["model"])
    want_error = STATUS_ERRORS.get(exchange["status"])

    async def ask() -> tuple[Any, list[AIMessageChunk], BaseException | None]:
        chunks: list[AIMessageChunk] = []
        try:
            if not request.get("stream"):
                return await llm.ainvoke(QUESTION), chunks, None
            async for chunk in llm.astream(QUESTION):
                chunks.append(chunk)
        except MixrouteError as error:
            return None, chunks, error
        finally:
            await llm.aclose()
        return reduce(add, chunks), chunks, None

    message, chunks, error = asyncio.run(ask())
    if want_error is not None:
        assert isinstance(error, want_error)
        assert error.status_code == exchange["status"]
        return
    want = expected(exchange, inline_think_tags=get_profile(request["model"]).inline_think_tags)
    if want.stream_error:
        assert isinstance(error, APIStreamError)
    else:
        assert error is None
        assert_matches(observed(message), want)
        assert_blocks_match(message, want)
    if request.get("stream"):
        assert "".join(str(c.content) for c in chunks) == want.content
        reasoning = "".join(c.additional_kwargs.get("reasoning_content", "") for c in chunks)
        assert reasoning == want.reasoning
