"""Specification of the answers: blocks, tool calls, usage, citations, refusals, logprobs."""

from __future__ import annotations

from typing import Any

import pytest
from llama_index.core.base.llms.types import (
    ChatMessage,
    ChatResponse,
    CitationBlock,
    LogProb,
    TextBlock,
    ThinkingBlock,
    ToolCallBlock,
)
from scripted_gateway import ScriptedGateway, completion, tool_call

from mixroute import ChatCompletion

HI = [ChatMessage(role="user", content="Hi")]


def answer(message: dict[str, Any] | str, **top: Any) -> ChatResponse:
    gateway = ScriptedGateway(completion(message, **top))
    return gateway.llm().chat(HI)


def test_text_and_reasoning_blocks() -> None:
    response = answer({"content": "42", "reasoning": "Six times seven."})
    assert response.message.blocks == [
        ThinkingBlock(content="Six times seven."),
        TextBlock(text="42"),
    ]
    assert isinstance(response.raw, ChatCompletion)


def test_reasoning_tokens_and_cached_tokens() -> None:
    usage = {
        "prompt_tokens": 10,
        "completion_tokens": 30,
        "total_tokens": 40,
        "prompt_tokens_details": {"cached_tokens": 4},
        "completion_tokens_details": {"reasoning_tokens": 20},
    }
    response = answer({"content": "42", "reasoning_content": "..."}, usage=usage)
    assert response.additional_kwargs == {
        "prompt_tokens": 10,
        "completion_tokens": 30,
        "total_tokens": 40,
        "cached_tokens": 4,
        "reasoning_tokens": 20,
    }
    assert response.message.blocks[0] == ThinkingBlock(content="...", num_tokens=20)


def test_no_usage_no_counts() -> None:
    assert answer("ok", usage=None).additional_kwargs == {}


def test_tool_calls_as_blocks_and_in_additional_kwargs() -> None:
    calls = [tool_call("c1", "get_weather", {"city": "Paris"}), tool_call("c2", "get_time", {})]
    response = answer({"content": "Checking.", "tool_calls": calls}, finish_reason="tool_calls")
    assert response.message.blocks == [
        TextBlock(text="Checking."),
        ToolCallBlock(tool_call_id="c1", tool_name="get_weather", tool_kwargs={"city": "Paris"}),
        ToolCallBlock(tool_call_id="c2", tool_name="get_time", tool_kwargs={}),
    ]
    assert response.message.additional_kwargs == {"tool_calls": calls}


def test_malformed_tool_arguments_are_kept_and_marked() -> None:
    response = answer(
        {"content": None, "tool_calls": [tool_call("c1", "get_weather", '{"city": Paris}')]},
        finish_reason="tool_calls",
    )
    assert response.message.blocks == [
        ToolCallBlock(tool_call_id="c1", tool_name="get_weather", tool_kwargs='{"city": Paris}')
    ]
    [invalid] = response.message.additional_kwargs["invalid_tool_calls"]
    assert (invalid["id"], invalid["name"]) == ("c1", "get_weather")
    assert "not valid JSON" in invalid["error"]


def test_refusal() -> None:
    response = answer({"content": None, "refusal": "I can't help with that."})
    assert response.message.content is None
    assert response.message.additional_kwargs == {"refusal": "I can't help with that."}


def test_citations_from_annotations() -> None:
    annotations = [
        {
            "type": "url_citation",
            "url_citation": {
                "url": "https://news.example/a",
                "title": "A",
                "start_index": 0,
                "end_index": 5,
            },
        }
    ]
    response = answer({"content": "News.", "annotations": annotations})
    assert response.message.blocks == [
        TextBlock(text="News."),
        CitationBlock(
            cited_content=TextBlock(text=""),
            source="https://news.example/a",
            title="A",
            additional_location_info={"start_index": 0, "end_index": 5},
        ),
    ]
    assert response.message.content == "News."
    assert response.additional_kwargs["citations"][0]["url"] == "https://news.example/a"


def test_logprobs() -> None:
    gateway = ScriptedGateway(completion("Hi"))
    gateway.answers[0]["choices"][0]["logprobs"] = {
        "content": [
            {
                "token": "Hi",
                "logprob": -0.1,
                "bytes": [72, 105],
                "top_logprobs": [
                    {"token": "Hi", "logprob": -0.1, "bytes": [72, 105]},
                    {"token": "Hey", "logprob": -2.5, "bytes": None},
                ],
            }
        ]
    }
    response = gateway.llm(additional_kwargs={"logprobs": True, "top_logprobs": 2}).chat(HI)
    assert gateway.bodies[0]["logprobs"] is True
    assert response.logprobs == [
        [
            LogProb(token="Hi", logprob=-0.1, bytes=[72, 105]),
            LogProb(token="Hey", logprob=-2.5, bytes=[]),
        ]
    ]


def test_completion_response() -> None:
    gateway = ScriptedGateway(completion({"content": "x = 1", "reasoning_content": "Factor."}))
    response = gateway.llm().complete("Solve x^2 + 2x - 3 = 0")
    assert gateway.bodies[0]["messages"] == [{"role": "user", "content": "Solve x^2 + 2x - 3 = 0"}]
    assert response.text == "x = 1"
    assert response.additional_kwargs["reasoning_content"] == "Factor."
    assert response.additional_kwargs["total_tokens"] == 125


@pytest.mark.anyio
async def test_async_chat_and_complete() -> None:
    gateway = ScriptedGateway(completion("one"), completion("two"))
    llm = gateway.llm()
    assert (await llm.achat(HI)).message.content == "one"
    assert (await llm.acomplete("Hi")).text == "two"
    assert len(gateway.bodies) == 2


def test_the_answer_serializes() -> None:
    response = answer(
        {"content": "42", "reasoning_content": "r", "tool_calls": [tool_call("c", "f", {})]}
    )
    assert '"42"' in response.model_dump_json()
    assert ChatMessage.model_validate_json(response.message.model_dump_json()) == response.message
