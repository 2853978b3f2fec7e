"""The core against a real model server (llama-cpp-python, SmolLM2-135M), replayed.

Recorded by ``make test-local-server``; replayed in the default suite. Each test also
compares what it observes with what it observed while recording.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from support.cassettes import Endpoint, RecordedResults

from mixroute import AsyncMixrouteClient, AuthenticationError, MixrouteClient, UserMessage

pytestmark = [pytest.mark.vcr, pytest.mark.local_server]

MODEL = "smollm2"
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


def client(endpoint: Endpoint) -> MixrouteClient:
    return MixrouteClient(api_key=endpoint.api_key, base_url=endpoint.base_url, max_retries=0)


def test_plain(mixroute_endpoint: Endpoint, recorded_results: RecordedResults) -> None:
    with client(mixroute_endpoint) as c:
        answer = c.create(
            MODEL, [UserMessage("Name a colour.")], max_tokens=12, temperature=0, seed=1
        )
    assert answer.message.content
    assert answer.finish_reason in ("stop", "length")
    assert answer.usage is not None
    assert answer.usage.total_tokens == answer.usage.prompt_tokens + answer.usage.completion_tokens
    recorded_results.check(
        {
            "content": answer.message.content,
            "finish_reason": answer.finish_reason,
            "usage": [answer.usage.prompt_tokens, answer.usage.completion_tokens],
        }
    )


def test_streamed(mixroute_endpoint: Endpoint, recorded_results: RecordedResults) -> None:
    with (
        client(mixroute_endpoint) as c,
        c.stream(
            MODEL, [UserMessage("Count to five.")], max_tokens=16, temperature=0, seed=1
        ) as stream,
    ):
        pieces = [delta.content for delta in stream if delta.content]
    completion = stream.completion
    assert len(pieces) > 1
    assert "".join(pieces) == completion.message.content
    assert completion.finish_reason in ("stop", "length")
    recorded_results.check({"pieces": pieces, "finish_reason": completion.finish_reason})


def test_forced_tool_call(mixroute_endpoint: Endpoint, recorded_results: RecordedResults) -> None:
    with client(mixroute_endpoint) as c:
        answer = c.create(
            MODEL,
            [UserMessage("What is the weather in Paris?")],
            tools=[WEATHER],
            tool_choice="get_weather",
            max_tokens=40,
            temperature=0,
            seed=1,
        )
    [call] = answer.message.tool_calls
    assert call.name == "get_weather"
    assert isinstance(call.arguments.get("city"), str)
    assert answer.finish_reason == "tool_calls"
    recorded_results.check({"name": call.name, "arguments": call.arguments})


def test_forced_tool_call_streamed(
    mixroute_endpoint: Endpoint, recorded_results: RecordedResults
) -> None:
    # This server repeats the id and the name in every fragment: they must not pile up.
    with (
        client(mixroute_endpoint) as c,
        c.stream(
            MODEL,
            [UserMessage("What is the weather in Paris?")],
            tools=[WEATHER],
            tool_choice="get_weather",
            max_tokens=40,
            temperature=0,
            seed=1,
        ) as stream,
    ):
        fragments = [call for delta in stream for call in delta.tool_calls or ()]
    [call] = stream.completion.message.tool_calls
    assert call.name == "get_weather"
    assert [f.name for f in fragments if f.name] == ["get_weather"]
    assert "".join(f.arguments for f in fragments) == call.raw_arguments
    recorded_results.check({"name": call.name, "arguments": call.arguments})


def test_async(mixroute_endpoint: Endpoint, recorded_results: RecordedResults) -> None:
    async def ask() -> list[Any]:
        async with AsyncMixrouteClient(
            api_key=mixroute_endpoint.api_key, base_url=mixroute_endpoint.base_url, max_retries=0
        ) as c:
            answer = await c.create(
                MODEL, [UserMessage("Say yes.")], max_tokens=8, temperature=0, seed=1
            )
            stream = await c.stream(
                MODEL, [UserMessage("Say no.")], max_tokens=8, temperature=0, seed=1
            )
            async with stream:
                pieces = [delta.content async for delta in stream if delta.content]
        return [answer.message.content, pieces]

    content, pieces = asyncio.run(ask())
    assert content
    assert pieces
    recorded_results.check({"content": content, "pieces": pieces})


def test_wrong_key_is_an_authentication_error(mixroute_endpoint: Endpoint) -> None:
    wrong = Endpoint(mixroute_endpoint.base_url, "sk-wrong-key-000000000000")
    with client(wrong) as c, pytest.raises(AuthenticationError, match="Invalid API key"):
        c.create(MODEL, [UserMessage("Hi")], max_tokens=4)
