"""ChatMixroute against a real model server (llama-cpp-python, SmolLM2-135M), replayed.

Recorded by ``make test-local-server``; replayed in the default suite. Each test also
compares what it observes with what it observed while recording. The server's quirks
(no usage chunk, the tool call's id and name repeated in every fragment, the deprecated
``function_call`` beside ``tool_calls``, arguments padded with spaces) must not show.
"""

from __future__ import annotations

import asyncio
from functools import reduce
from operator import add
from typing import Any

import pytest
from langchain_core.messages import AIMessageChunk
from support.cassettes import Endpoint, RecordedResults

from langchain_mixroute import ChatMixroute
from mixroute import AuthenticationError

pytestmark = [pytest.mark.vcr, pytest.mark.local_server]

WEATHER = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Get the weather for a city",
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string"}},
            "required": ["city"],
        },
    },
}


def chat_model(endpoint: Endpoint, max_tokens: int) -> ChatMixroute:
    return ChatMixroute(
        model="smollm2",
        api_key=endpoint.api_key,
        base_url=endpoint.base_url,
        max_retries=0,
        max_tokens=max_tokens,
        temperature=0,
        seed=1,
    )


def test_invoke(mixroute_endpoint: Endpoint, recorded_results: RecordedResults) -> None:
    message = chat_model(mixroute_endpoint, 12).invoke("Name a colour.")
    assert isinstance(message.content, str)
    assert message.content
    assert message.response_metadata["finish_reason"] in ("stop", "length")
    usage = message.usage_metadata
    assert usage is not None
    assert usage["total_tokens"] == usage["input_tokens"] + usage["output_tokens"]
    recorded_results.check(
        {
            "content": message.content,
            "finish_reason": message.response_metadata["finish_reason"],
            "usage": [usage["input_tokens"], usage["output_tokens"]],
        }
    )


def test_stream(mixroute_endpoint: Endpoint, recorded_results: RecordedResults) -> None:
    chunks = list(chat_model(mixroute_endpoint, 16).stream("Count to five."))
    pieces = [str(chunk.content) for chunk in chunks if chunk.content]
    whole = reduce(add, chunks)
    assert len(pieces) > 1
    assert whole.content == "".join(pieces)
    assert chunks[-1].chunk_position == "last"
    finish_reason = whole.response_metadata["finish_reason"]
    assert finish_reason in ("stop", "length")
    # The server ignores stream_options.include_usage: no usage, and nothing made up.
    assert whole.usage_metadata is None
    recorded_results.check({"pieces": pieces, "finish_reason": finish_reason})


def test_forced_tool_call(mixroute_endpoint: Endpoint, recorded_results: RecordedResults) -> None:
    llm = chat_model(mixroute_endpoint, 40).bind_tools([WEATHER], tool_choice="get_weather")
    message = llm.invoke("What is the weather in Paris?")
    [call] = message.tool_calls
    assert call["name"] == "get_weather"
    assert isinstance(call["args"].get("city"), str)
    assert message.invalid_tool_calls == []
    assert message.response_metadata["finish_reason"] == "tool_calls"
    recorded_results.check({"name": call["name"], "args": call["args"]})


def test_forced_tool_call_streamed(
    mixroute_endpoint: Endpoint, recorded_results: RecordedResults
) -> None:
    # The server repeats the id and the name in every fragment; LangChain adds up the
    # fragments' names, so a repeated name would come out as "get_weatherget_weather...".
    llm = chat_model(mixroute_endpoint, 40).bind_tools([WEATHER], tool_choice="get_weather")
    chunks: list[AIMessageChunk] = list(llm.stream("What is the weather in Paris?"))
    whole = reduce(add, chunks)
    [call] = whole.tool_calls
    assert call["name"] == "get_weather"
    assert call["id"] is not None
    assert call["id"].startswith("call_")
    assert isinstance(call["args"].get("city"), str)
    [fragments] = [whole.tool_call_chunks]
    assert [f["name"] for f in fragments] == ["get_weather"]
    assert whole.response_metadata["finish_reason"] == "tool_calls"
    recorded_results.check({"name": call["name"], "args": call["args"]})


def test_async(mixroute_endpoint: Endpoint, recorded_results: RecordedResults) -> None:
    async def ask() -> list[Any]:
        llm = chat_model(mixroute_endpoint, 8)
        try:
            answer = await llm.ainvoke("Say yes.")
            pieces = [str(chunk.content) async for chunk in llm.astream("Say no.") if chunk.content]
        finally:
            await llm.aclose()
        return [answer.content, pieces]

    content, pieces = asyncio.run(ask())
    assert content
    assert pieces
    recorded_results.check({"content": content, "pieces": pieces})


def test_wrong_key_is_an_authentication_error(mixroute_endpoint: Endpoint) -> None:
    wrong = Endpoint(mixroute_endpoint.base_url, "sk-wrong-key-000000000000")
    with pytest.raises(AuthenticationError, match="Invalid API key") as info:
        chat_model(wrong, 4).invoke("Hi")
    assert info.value.status_code == 401
