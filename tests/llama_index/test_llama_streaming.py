"""Specification of streamed answers: deltas that add up, thinking as it arrives, tool calls
that grow, a closing response shaped like a non-streamed one, and failures after delivery."""

from __future__ import annotations

import json
from typing import Any

import pytest
from llama_index.core.base.llms.types import (
    ChatMessage,
    ChatResponse,
    CitationBlock,
    TextBlock,
    ThinkingBlock,
    ToolCallBlock,
)
from scripted_gateway import ScriptedGateway, chunk, sse, sse_events

from llama_index_mixroute.responses import INVALID_TOOL_CALLS
from mixroute import APIConnectionError, APIStreamError, InvalidRequestError

HI = [ChatMessage(role="user", content="Hi")]

THINK_THEN_ANSWER = sse(
    {"role": "assistant", "reasoning_content": "Let me "},
    {"reasoning_content": "think."},
    {"content": "Hel"},
    {"content": "lo!"},
)


def test_deltas_add_up_to_the_final_message() -> None:
    gateway = ScriptedGateway(THINK_THEN_ANSWER)
    responses = list(gateway.llm().stream_chat(HI))
    assert "".join(r.delta or "" for r in responses) == responses[-1].message.content == "Hello!"
    assert [r.delta for r in responses] == ["", "", "Hel", "lo!", ""]


def test_thinking_is_streamed_as_it_arrives() -> None:
    gateway = ScriptedGateway(THINK_THEN_ANSWER)
    responses = list(gateway.llm("deepseek-r1").stream_chat(HI))
    assert [r.additional_kwargs.get("thinking_delta") for r in responses[:2]] == [
        "Let me ",
        "think.",
    ]
    assert responses[0].message.blocks == [ThinkingBlock(content="Let me ")]
    assert responses[2].message.blocks == [
        ThinkingBlock(content="Let me think."),
        TextBlock(text="Hel"),
    ]
    final = responses[-1]
    assert final.message.blocks == [
        ThinkingBlock(content="Let me think."),
        TextBlock(text="Hello!"),
    ]
    assert final.additional_kwargs == {
        "prompt_tokens": 25,
        "completion_tokens": 100,
        "total_tokens": 125,
    }
    assert final.raw.usage.total_tokens == 125


def tool_stream() -> str:
    return sse(
        {
            "role": "assistant",
            "tool_calls": [
                {
                    "index": 0,
                    "id": "call_1",
                    "type": "function",
                    "function": {"name": "get_weather", "arguments": ""},
                }
            ],
        },
        {"tool_calls": [{"index": 0, "function": {"arguments": '{"city": "Paris"'}}]},
        {"tool_calls": [{"index": 0, "function": {"arguments": ', "unit": "c"}'}}]},
    )


def test_tool_calls_grow_then_close_parsed() -> None:
    gateway = ScriptedGateway(tool_stream())
    llm = gateway.llm()
    responses = list(llm.stream_chat(HI, tools=[{"name": "get_weather"}]))
    partial = responses[1]
    assert partial.message.blocks == [
        ToolCallBlock(
            tool_call_id="call_1", tool_name="get_weather", tool_kwargs='{"city": "Paris"'
        )
    ]
    wire = partial.message.additional_kwargs["tool_calls"]
    assert wire[0]["function"]["arguments"] == '{"city": "Paris"'
    [selection] = llm.get_tool_calls_from_response(partial, error_on_no_tool_call=False)
    assert selection.tool_kwargs == {"city": "Paris"}  # partial JSON, as agents show progress
    final = responses[-1]
    assert final.message.blocks == [
        ToolCallBlock(
            tool_call_id="call_1",
            tool_name="get_weather",
            tool_kwargs={"city": "Paris", "unit": "c"},
        )
    ]
    assert final.raw.finish_reason == "tool_calls"


def test_citations_and_refusal_stream_in() -> None:
    gateway = ScriptedGateway(
        sse({"content": "News."}, model="grok-3", citations=["https://x.example/1"]),
        sse({"refusal": "I can't "}, {"refusal": "help."}),
    )
    llm = gateway.llm("grok-3")
    responses = list(llm.stream_chat(HI))
    cited = [r for r in responses if any(isinstance(b, CitationBlock) for b in r.message.blocks)]
    assert cited
    assert cited[0].delta == ""
    assert [b.source for b in responses[-1].message.blocks if isinstance(b, CitationBlock)] == [
        "https://x.example/1"
    ]
    refused = list(llm.stream_chat(HI))
    assert refused[1].message.additional_kwargs["refusal"] == "I can't help."
    assert refused[-1].message.additional_kwargs["refusal"] == "I can't help."


def test_stream_complete() -> None:
    gateway = ScriptedGateway(THINK_THEN_ANSWER)
    responses = list(gateway.llm().stream_complete("Hi"))
    assert [(r.delta, r.text) for r in responses] == [
        ("", ""),
        ("", ""),
        ("Hel", "Hel"),
        ("lo!", "Hello!"),
        ("", "Hello!"),
    ]
    assert responses[0].additional_kwargs == {"thinking_delta": "Let me "}
    assert responses[-1].additional_kwargs["total_tokens"] == 125


@pytest.mark.anyio
async def test_async_streams_match_the_sync_ones() -> None:
    gateway = ScriptedGateway(THINK_THEN_ANSWER, THINK_THEN_ANSWER, tool_stream())
    llm = gateway.llm()
    chat = [r async for r in await llm.astream_chat(HI)]
    assert [r.delta for r in chat] == ["", "", "Hel", "lo!", ""]
    assert chat[-1].message.content == "Hello!"
    completions = [r async for r in await llm.astream_complete("Hi")]
    assert completions[-1].text == "Hello!"
    calls = [r async for r in await llm.astream_chat(HI)]
    assert calls[-1].message.blocks[-1].tool_kwargs == {"city": "Paris", "unit": "c"}
    assert all(body["stream"] for body in gateway.bodies)


BROKEN = sse_events(
    chunk({"role": "assistant", "content": "Hel"}),
    chunk({"content": "lo"}),
    'event: error\ndata: {"error": {"message": "upstream overloaded"}}\n\n',
)
CUT = sse_events(chunk({"role": "assistant", "content": "Hel"}), chunk({"content": "lo"}))


@pytest.mark.parametrize(("script", "error"), [(BROKEN, APIStreamError), (CUT, APIConnectionError)])
def test_a_stream_that_fails_midway_delivers_then_raises(
    script: str, error: type[Exception]
) -> None:
    gateway = ScriptedGateway(script)
    received: list[ChatResponse] = []
    stream = gateway.llm(max_retries=2).stream_chat(HI)
    with pytest.raises(error) as info:
        received.extend(stream)
    assert [r.delta for r in received] == ["Hel", "lo"]
    assert info.value.partial is not None
    assert info.value.partial.content == "Hello"
    assert len(gateway.bodies) == 1  # never retried once something was delivered


@pytest.mark.anyio
async def test_an_async_stream_that_fails_midway_delivers_then_raises() -> None:
    gateway = ScriptedGateway(BROKEN)
    received: list[str] = []

    async def read() -> None:
        async for response in await gateway.llm().astream_chat(HI):
            received.append(response.delta or "")

    with pytest.raises(APIStreamError, match="upstream overloaded"):
        await read()
    assert received == ["Hel", "lo"]


def test_nothing_is_sent_until_iterated_but_bad_options_fail_at_once() -> None:
    gateway = ScriptedGateway(THINK_THEN_ANSWER)
    llm = gateway.llm()
    stream = llm.stream_chat(HI)
    assert gateway.bodies == []
    assert next(stream).additional_kwargs["thinking_delta"] == "Let me "
    stream.close()
    with pytest.raises(InvalidRequestError, match="temperature"):
        llm.stream_chat(HI, temperature=5)


def test_leaving_a_stream_early_is_clean() -> None:
    gateway = ScriptedGateway(THINK_THEN_ANSWER, THINK_THEN_ANSWER)
    llm = gateway.llm()
    for response in llm.stream_chat(HI):
        if response.delta:
            break
    assert list(llm.stream_chat(HI))[-1].message.content == "Hello!"


def test_other_choices_are_left_out() -> None:
    gateway = ScriptedGateway(
        sse_events(
            chunk({"content": "A"}),
            {**chunk({"content": "B"}), "choices": [{"index": 1, "delta": {"content": "B"}}]},
            chunk({}, finish_reason="stop"),
            "data: [DONE]\n\n",
        )
    )
    responses = list(gateway.llm().stream_chat(HI, n=2))
    assert json.loads(gateway.requests[0].content)["n"] == 2
    assert [r.delta for r in responses] == ["A", ""]
    assert responses[-1].message.content == "A"


def test_the_closing_response_is_shaped_like_a_plain_call() -> None:
    gateway = ScriptedGateway(THINK_THEN_ANSWER)
    final = list(gateway.llm().stream_chat(HI))[-1]
    expected: dict[str, Any] = {"prompt_tokens": 25, "completion_tokens": 100, "total_tokens": 125}
    assert final.additional_kwargs == expected
    assert final.message.role == "assistant"


MIXED = sse(
    {"role": "assistant", "reasoning_content": "Hm, "},
    {"reasoning_content": "weather."},
    {"content": "Let me "},
    {
        "tool_calls": [
            {
                "index": 0,
                "id": "call_1",
                "type": "function",
                "function": {"name": "get_weather", "arguments": '{"city": '},
            }
        ]
    },
    {"content": "check."},
    {"tool_calls": [{"index": 0, "function": {"arguments": '"Paris"}'}}]},
    {"content": " Done."},
)  # one body: every event arrives in the same read, then a usage-only last chunk


def _shown(response: ChatResponse) -> tuple[str | None, str, str]:
    """A streamed response's text, thinking and tool-call arguments (as JSON text)."""
    thinking = "".join(
        b.content or "" for b in response.message.blocks if isinstance(b, ThinkingBlock)
    )
    calls = [b.tool_kwargs for b in response.message.blocks if isinstance(b, ToolCallBlock)]
    assert all(isinstance(c, str) for c in calls)  # streamed: the JSON text as it arrived
    return response.message.content, thinking, "".join(map(str, calls))


def _expected(script: str) -> list[tuple[str | None, str, str]]:
    """What each response must show: the deltas so far, read back from the script."""
    events = [json.loads(line[6:]) for line in script.split("\n\n") if line[6:7] == "{"]
    pieces = [e["choices"][0]["delta"] for e in events if e["choices"]]
    wanted = []
    text = thinking = arguments = ""
    for delta in pieces:
        text += delta.get("content") or ""
        thinking += delta.get("reasoning_content") or ""
        arguments += "".join(
            c["function"].get("arguments", "") for c in delta.get("tool_calls", ())
        )
        if delta:
            wanted.append((text or None, thinking, arguments))
    return wanted


def test_each_response_holds_the_answer_as_of_its_delta() -> None:
    gateway = ScriptedGateway(MIXED)
    responses = list(gateway.llm().stream_chat(HI))
    streamed, final = responses[:-1], responses[-1]
    assert [_shown(r) for r in streamed] == _expected(MIXED)
    assert [r.delta for r in streamed] == ["", "", "Let me ", "", "check.", "", " Done."]
    assert [r.additional_kwargs.get("thinking_delta") for r in streamed[:3]] == [
        "Hm, ",
        "weather.",
        None,
    ]
    # A call still arriving is shown as its JSON so far, not listed as invalid.
    partial = streamed[3].message
    assert partial.additional_kwargs["tool_calls"][0]["function"]["arguments"] == '{"city": '
    assert INVALID_TOOL_CALLS not in partial.additional_kwargs
    # The usage-only last chunk adds no response of its own; the closing one carries it.
    assert final.delta == ""
    assert final.message.content == "Let me check. Done."
    assert final.additional_kwargs["total_tokens"] == 125
    assert [b.tool_kwargs for b in final.message.blocks if isinstance(b, ToolCallBlock)] == [
        {"city": "Paris"}
    ]


@pytest.mark.anyio
async def test_async_responses_hold_the_answer_as_of_their_delta() -> None:
    gateway = ScriptedGateway(MIXED, MIXED)
    llm = gateway.llm()
    responses = [r async for r in await llm.astream_chat(HI)]
    assert [_shown(r) for r in responses[:-1]] == _expected(MIXED)
    completions = [r async for r in await llm.astream_complete("Hi")]
    assert [r.text for r in completions] == [
        "",
        "",
        "Let me ",
        "Let me check.",
        "Let me check. Done.",
        "Let me check. Done.",
    ]


def test_a_stream_with_only_tool_calls_keeps_each_call_in_place() -> None:
    two = sse(
        {
            "tool_calls": [
                {"index": 0, "id": "a", "function": {"name": "f", "arguments": '{"n": 1}'}},
                {"index": 1, "id": "b", "function": {"name": "g", "arguments": '{"n"'}},
            ]
        },
        {"tool_calls": [{"index": 1, "function": {"arguments": ": 2}"}}]},
    )
    responses = list(ScriptedGateway(two).llm().stream_chat(HI))
    names = [
        [b.tool_name for b in r.message.blocks if isinstance(b, ToolCallBlock)] for r in responses
    ]
    assert names == [["f", "g"], ["f", "g"], ["f", "g"]]
    assert [r.message.content for r in responses] == [None, None, None]
