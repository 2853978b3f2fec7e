"""LlamaIndex's Mixroute against a real model server (llama-cpp-python, SmolLM2-135M), replayed.

Recorded by ``make test-local-server``; replayed in the default suite. Each test also
compares what it observes with what it observed while recording. The server's quirks
(no usage chunk, the tool call's id and name repeated in every fragment, the deprecated
``function_call`` beside ``tool_calls``, arguments padded with spaces, a 500 for
``tool_choice: "required"``) must not show, or must show as a typed error.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from llama_index.core.base.llms.types import ChatMessage, ChatResponse, ToolCallBlock
from llama_index.core.tools import FunctionTool
from support.cassettes import Endpoint, RecordedResults

from llama_index_mixroute import Mixroute
from mixroute import AuthenticationError, InternalServerError

pytestmark = [pytest.mark.vcr, pytest.mark.local_server]


def get_weather(city: str) -> str:
    """Get the weather for a city."""
    return f"Sunny in {city}"


WEATHER = FunctionTool.from_defaults(fn=get_weather)


def llm(endpoint: Endpoint, max_tokens: int) -> Mixroute:
    return Mixroute(
        "smollm2",
        api_key=endpoint.api_key,
        api_base=endpoint.base_url,
        max_retries=0,
        max_tokens=max_tokens,
        temperature=0,
        seed=1,
    )


def user(text: str) -> list[ChatMessage]:
    return [ChatMessage(role="user", content=text)]


def test_chat(mixroute_endpoint: Endpoint, recorded_results: RecordedResults) -> None:
    response = llm(mixroute_endpoint, 12).chat(user("Name a colour."))
    extra = response.additional_kwargs
    assert response.message.content
    assert response.raw.finish_reason in ("stop", "length")
    assert extra["total_tokens"] == extra["prompt_tokens"] + extra["completion_tokens"]
    recorded_results.check(
        {
            "content": response.message.content,
            "finish_reason": response.raw.finish_reason,
            "usage": [extra["prompt_tokens"], extra["completion_tokens"]],
        }
    )


def test_stream_chat(mixroute_endpoint: Endpoint, recorded_results: RecordedResults) -> None:
    *responses, closing = llm(mixroute_endpoint, 16).stream_chat(user("Count to five."))
    pieces = [r.delta for r in responses if r.delta]
    assert len(pieces) > 1
    assert responses[-1].message.content == "".join(pieces)  # the message so far, as it grew
    assert closing.delta == ""
    assert closing.message.content == "".join(pieces)
    assert closing.raw.finish_reason in ("stop", "length")
    # The server ignores stream_options.include_usage: no usage, and nothing made up.
    assert "prompt_tokens" not in closing.additional_kwargs
    recorded_results.check({"pieces": pieces, "finish_reason": closing.raw.finish_reason})


def test_chat_with_tools_forced(
    mixroute_endpoint: Endpoint, recorded_results: RecordedResults
) -> None:
    # tool_required alone sends tool_choice "required", which this server cannot do (see
    # the last test); forcing the tool by name is the form it takes.
    model = llm(mixroute_endpoint, 40)
    response = model.chat_with_tools(
        [WEATHER],
        user_msg="What is the weather in Paris?",
        tool_required=True,
        tool_choice="get_weather",
    )
    [selection] = model.get_tool_calls_from_response(response)
    assert selection.tool_name == "get_weather"
    assert isinstance(selection.tool_kwargs.get("city"), str)
    assert response.raw.finish_reason == "tool_calls"
    recorded_results.check({"name": selection.tool_name, "arguments": selection.tool_kwargs})


def test_stream_chat_with_tools_forced(
    mixroute_endpoint: Endpoint, recorded_results: RecordedResults
) -> None:
    # The server repeats the id and the name in every fragment: one call, named once.
    model = llm(mixroute_endpoint, 40)
    *responses, closing = model.stream_chat_with_tools(
        [WEATHER], user_msg="What is the weather in Paris?", tool_choice="get_weather"
    )
    calls = [b for b in responses[-1].message.blocks if isinstance(b, ToolCallBlock)]
    assert [b.tool_name for b in calls] == ["get_weather"]
    [selection] = model.get_tool_calls_from_response(closing)
    assert selection.tool_name == "get_weather"
    assert selection.tool_id.startswith("call_")
    assert isinstance(selection.tool_kwargs.get("city"), str)
    [wire] = closing.message.additional_kwargs["tool_calls"]
    assert calls[0].tool_kwargs == wire["function"]["arguments"]  # the text, as it arrived
    recorded_results.check({"name": selection.tool_name, "arguments": selection.tool_kwargs})


def test_async(mixroute_endpoint: Endpoint, recorded_results: RecordedResults) -> None:
    async def ask() -> list[Any]:
        model = llm(mixroute_endpoint, 8)
        try:
            answer = await model.achat(user("Say yes."))
            stream = await model.astream_chat(user("Say no."))
            responses: list[ChatResponse] = [r async for r in stream]
        finally:
            await model.aclose()
        return [answer.message.content, [r.delta for r in responses if r.delta]]

    content, pieces = asyncio.run(ask())
    assert content
    assert pieces
    recorded_results.check({"content": content, "pieces": pieces})


def test_tool_required_is_a_server_error_here(mixroute_endpoint: Endpoint) -> None:
    # llama-cpp-python's chatml-function-calling handler knows "auto" and a named tool
    # only: "required" fails inside the server, a 500 whose error message is empty.
    model = llm(mixroute_endpoint, 40)
    with pytest.raises(InternalServerError) as info:
        model.chat_with_tools([WEATHER], user_msg="Weather in Paris?", tool_required=True)
    assert info.value.status_code == 500
    assert info.value.message == "Error code: 500 - internal_server_error"  # not a dict repr


def test_wrong_key_is_an_authentication_error(mixroute_endpoint: Endpoint) -> None:
    wrong = Endpoint(mixroute_endpoint.base_url, "sk-wrong-key-000000000000")
    with pytest.raises(AuthenticationError, match="Invalid API key") as info:
        llm(wrong, 4).chat(user("Hi"))
    assert info.value.status_code == 401
