"""Every recorded real exchange, served by a real local server, through LlamaIndex's ``Mixroute``.

A JSON answer goes through ``chat``; a streamed one through ``stream_chat``: the
responses as they arrive (their ``delta`` and ``thinking_delta``), then the closing one
holding the assembled answer. Both are checked against the oracle in ``realdata.py``.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from llama_index.core.base.llms.types import ChatMessage, ChatResponse, CitationBlock, ThinkingBlock
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

from llama_index_mixroute import Mixroute
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
QUESTION = [ChatMessage(role="user", content="Replay the recorded answer.")]


def observed(response: ChatResponse) -> Observed:
    """A whole response in the oracle's terms (tool calls as the wire text they came as)."""
    message, extra = response.message, response.additional_kwargs
    blocks = message.blocks
    calls = [
        {"name": c["function"]["name"] or "", "arguments": c["function"]["arguments"]}
        for c in message.additional_kwargs.get("tool_calls", [])
    ]
    return Observed(
        content=message.content or "",
        reasoning="".join(b.content or "" for b in blocks if isinstance(b, ThinkingBlock)),
        refusal=message.additional_kwargs.get("refusal", ""),
        tool_calls=dict(enumerate(calls)),
        usage=Usage(
            extra["prompt_tokens"],
            extra["completion_tokens"],
            extra.get("cached_tokens"),
            extra.get("reasoning_tokens"),
        )
        if "prompt_tokens" in extra
        else None,
        citations=len({b.source for b in blocks if isinstance(b, CitationBlock)}),
        finish_reason=getattr(response.raw, "finish_reason", None),
    )


def assert_selections_match(llm: Mixroute, response: ChatResponse, want: Expected) -> None:
    """What an agent reads from the response: one selection per recorded call, in order."""
    selections = llm.get_tool_calls_from_response(response, error_on_no_tool_call=False)
    names = [want.tool_calls[i]["name"] for i in sorted(want.tool_calls)]
    assert [s.tool_name for s in selections] == names


@pytest.mark.parametrize("path", exchange_params())
def test_exchange_through_mixroute_llm(path: Path, replay: ReplayServer) -> None:
    exchange = load(path)
    request = exchange["request"]
    llm = Mixroute(
        request["model"],
        api_key="sk-realdata-0000000000000000",
        api_base=replay.play(exchange),
        max_retries=0,
    )
    want_error = STATUS_ERRORS.get(exchange["status"])
    if want_error is not None:
        with pytest.raises(want_error) as info:
            llm.chat(QUESTION)
        assert info.value.status_code == exchange["status"]
        assert info.value.message
        return
    want = expected(exchange, inline_think_tags=get_profile(request["model"]).inline_think_tags)
    if not request.get("stream"):
        response = llm.chat(QUESTION)
        assert_matches(observed(response), want)
        assert_selections_match(llm, response, want)
        return
    responses: list[ChatResponse] = []
    if want.stream_error:  # the responses that arrived before the error, then the typed error
        with pytest.raises(APIStreamError) as failure:
            responses.extend(llm.stream_chat(QUESTION))
        assert failure.value.message
        deltas = responses
    else:
        responses.extend(llm.stream_chat(QUESTION))
        *deltas, closing = responses
        assert closing.delta == ""
        assert_matches(observed(closing), want)
        assert_selections_match(llm, closing, want)
        if deltas:  # the message so far, as the last response before the closing one held it
            so_far = observed(deltas[-1])  # (its raw is the delta: no finish reason)
            assert (so_far.content, so_far.reasoning) == (want.content, want.reasoning)
            assert so_far.tool_calls == want.tool_calls
    assert "".join(r.delta or "" for r in deltas) == want.content
    thinking = "".join(r.additional_kwargs.get("thinking_delta", "") for r in deltas)
    assert thinking == want.reasoning


@pytest.mark.parametrize("path", exchange_params())
def test_exchange_through_mixroute_llm_async(path: Path, replay: ReplayServer) -> None:
    # achat and astream_chat: the async client and stream, held to the same oracle.
    exchange = load(path)
    request = exchange["request"]
    llm = Mixroute(
        request["model"],
        api_key="sk-realdata-0000000000000000",
        api_base=replay.play(exchange),
        max_retries=0,
    )
    want_error = STATUS_ERRORS.get(exchange["status"])

    async def ask() -> tuple[list[ChatResponse], BaseException | None]:
        responses: list[ChatResponse] = []
        try:
            if not request.get("stream"):
                return [await llm.achat(QUESTION)], None
            async for response in await llm.astream_chat(QUESTION):
                responses.append(response)
        except MixrouteError as error:
            return responses, error
        finally:
            await llm.aclose()
        return responses, None

    responses, error = asyncio.run(ask())
    if want_error is not None:
        assert isinstance(error, want_error)
        assert error.status_code == exchange["status"]
        return
    want = expected(exchange, inline_think_tags=get_profile(request["model"]).inline_think_tags)
    if want.stream_error:
        assert isinstance(error, APIStreamError)
        deltas = responses
    else:
        assert error is None
        *deltas, closing = responses
        assert_matches(observed(closing), want)
        assert_selections_match(llm, closing, want)
    if request.get("stream"):
        assert "".join(r.delta or "" for r in deltas) == want.content
        thinking = "".join(r.additional_kwargs.get("thinking_delta", "") for r in deltas)
        assert thinking == want.reasoning
