"""Streaming through ChatMixroute (chunks.py): chunks that add up to the invoke message.

Each scenario is one answer written twice in the documented wire format, as a whole
completion and as SSE chunks; the streamed chunks, summed, must equal what ``invoke``
returns for the whole one, sync and async.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any
from uuid import UUID

import httpx
import pytest
from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, message_chunk_to_message
from scripted_mixroute import USAGE, Script, chunk, completion, model_for, sse_text

from langchain_mixroute import ChatMixroute
from mixroute import APIConnectionError, APIStreamError

DETAILED_USAGE = {
    **USAGE,
    "prompt_tokens_details": {"cached_tokens": 5},
    "completion_tokens_details": {"reasoning_tokens": 40},
}


def _usage_chunk() -> dict[str, Any]:
    return chunk(choices=False, usage=DETAILED_USAGE)


SCENARIOS: dict[str, tuple[dict[str, Any], list[dict[str, Any]]]] = {
    "text and reasoning": (
        completion(
            {"content": "x = 1 or x = -3", "reasoning_content": "Factor it."},
            model="deepseek-r1",
            usage=DETAILED_USAGE,
            system_fingerprint="fp_1",
        ),
        [
            chunk({"role": "assistant", "reasoning_content": "Factor"}, model="deepseek-r1"),
            chunk({"reasoning_content": " it."}, model="deepseek-r1"),
            chunk({"content": "x = 1"}, model="deepseek-r1"),
            chunk({"content": " or x = -3"}, model="deepseek-r1", system_fingerprint="fp_1"),
            chunk(finish_reason="stop", model="deepseek-r1"),
            chunk(choices=False, model="deepseek-r1", usage=DETAILED_USAGE),
        ],
    ),
    "tool calls": (
        completion(
            {
                "content": None,
                "tool_calls": [
                    {
                        "id": "call_1",
                        "type": "function",
                        "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'},
                    },
                    {
                        "id": "call_2",
                        "type": "function",
                        "function": {"name": "get_time", "arguments": "{}"},
                    },
                ],
            },
            finish_reason="tool_calls",
            usage=DETAILED_USAGE,
        ),
        [
            chunk(
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
                }
            ),
            chunk({"tool_calls": [{"index": 0, "function": {"arguments": '{"city": '}}]}),
            chunk({"tool_calls": [{"index": 0, "function": {"arguments": '"Paris"}'}}]}),
            chunk(
                {
                    "tool_calls": [
                        {
                            "index": 1,
                            "id": "call_2",
                            "type": "function",
                            "function": {"name": "get_time", "arguments": "{}"},
                        }
                    ]
                }
            ),
            chunk(finish_reason="tool_calls"),
            _usage_chunk(),
        ],
    ),
    "citations": (
        completion(
            {"content": "Tech news ..."},
            model="grok-3",
            citations=["https://x.example/1", "https://x.example/2"],
        ),
        [
            chunk({"content": "Tech"}, model="grok-3", citations=["https://x.example/1"]),
            chunk({"content": " news ..."}, model="grok-3", citations=["https://x.example/2"]),
            chunk(finish_reason="stop", model="grok-3"),
            chunk(choices=False, model="grok-3", usage=USAGE),
        ],
    ),
    "refusal": (
        completion({"content": None, "refusal": "I can't help with that."}),
        [
            chunk({"role": "assistant", "refusal": "I can't"}),
            chunk({"refusal": " help with that."}),
            chunk(finish_reason="stop"),
            chunk(choices=False, usage=USAGE),
        ],
    ),
}


def _both(name: str, **settings: Any) -> tuple[ChatMixroute, Script]:
    whole, pieces = SCENARIOS[name]
    script = Script(whole, pieces)
    return model_for(script, whole["model"], **settings), script


def _summed(chunks: list[AIMessageChunk]) -> AIMessage:
    total = chunks[0]
    for piece in chunks[1:]:
        total = total + piece
    message = message_chunk_to_message(total)
    assert isinstance(message, AIMessage)
    return message


@pytest.mark.parametrize("name", SCENARIOS)
def test_chunks_add_up_to_the_invoke_message(name: str) -> None:
    llm, script = _both(name)
    invoked = llm.invoke("Hi")
    chunks = list(llm.stream("Hi"))
    assert _summed(chunks) == invoked
    assert script.bodies[1]["stream"] is True


@pytest.mark.parametrize("name", SCENARIOS)
def test_chunks_add_up_to_the_invoke_message_async(name: str) -> None:
    llm, _ = _both(name)

    async def run() -> tuple[AIMessage, list[AIMessageChunk]]:
        invoked = await llm.ainvoke("Hi")
        return invoked, [c async for c in llm.astream("Hi")]

    invoked, chunks = asyncio.run(run())
    assert _summed(chunks) == invoked


def test_usage_and_finish_ride_on_the_last_chunk_only() -> None:
    llm, _ = _both("text and reasoning")
    llm.invoke("Hi")  # take the whole answer off the script
    chunks = list(llm.stream("Hi"))
    assert [c.usage_metadata is not None for c in chunks] == [False] * 4 + [True]
    last = chunks[-1]
    assert last.chunk_position == "last"
    assert last.usage_metadata == {
        "input_tokens": 25,
        "output_tokens": 100,
        "total_tokens": 125,
        "input_token_details": {"cache_read": 5},
        "output_token_details": {"reasoning": 40},
    }
    assert last.response_metadata == {
        "model_provider": "mixroute",
        "model_name": "deepseek-r1",
        "finish_reason": "stop",
        "id": "chatcmpl-xxx",
        "system_fingerprint": "fp_1",
    }
    assert all(c.response_metadata["model_provider"] == "mixroute" for c in chunks)


def test_reasoning_chunks() -> None:
    llm, _ = _both("text and reasoning")
    llm.invoke("Hi")
    first, second, third = list(llm.stream("Hi"))[:3]
    assert first.additional_kwargs == {"reasoning_content": "Factor"}
    assert first.content == ""
    assert first.content_blocks == [{"type": "reasoning", "reasoning": "Factor"}]
    assert second.additional_kwargs == {"reasoning_content": " it."}
    assert third.content_blocks == [{"type": "text", "text": "x = 1"}]


def test_tool_call_chunks() -> None:
    llm, _ = _both("tool calls")
    llm.invoke("Hi")
    chunks = list(llm.stream("Hi"))
    assert [c.tool_call_chunks for c in chunks[:4]] == [
        [
            {
                "name": "get_weather",
                "args": "",
                "id": "call_1",
                "index": 0,
                "type": "tool_call_chunk",
            }
        ],
        [{"name": None, "args": '{"city": ', "id": None, "index": 0, "type": "tool_call_chunk"}],
        [{"name": None, "args": '"Paris"}', "id": None, "index": 0, "type": "tool_call_chunk"}],
        [{"name": "get_time", "args": "{}", "id": "call_2", "index": 1, "type": "tool_call_chunk"}],
    ]
    summed = _summed(chunks)
    assert [(c["name"], c["args"]) for c in summed.tool_calls] == [
        ("get_weather", {"city": "Paris"}),
        ("get_time", {}),
    ]
    assert chunks[1].content_blocks == [
        {
            "type": "tool_call_chunk",
            "name": None,
            "args": '{"city": ',
            "id": None,
            "index": "lc_tc_0",
        }
    ]


def test_refusal_streams_as_refusal_blocks() -> None:
    llm, _ = _both("refusal")
    invoked = llm.invoke("Hi")
    assert invoked.response_metadata["refusal"] == "I can't help with that."
    assert invoked.content_blocks == [{"type": "refusal", "refusal": "I can't help with that."}]
    first = next(iter(llm.stream("Hi")))
    assert first.content_blocks == [{"type": "refusal", "refusal": "I can't"}]


def test_streaming_true_makes_invoke_stream_and_callbacks_see_tokens() -> None:
    tokens: list[str] = []

    class Tokens(BaseCallbackHandler):
        def on_llm_new_token(self, token: str, **kwargs: Any) -> None:
            tokens.append(token)

    _, pieces = SCENARIOS["text and reasoning"]
    script = Script(pieces)
    llm = model_for(script, "deepseek-r1", streaming=True)
    message = llm.invoke("Hi", config={"callbacks": [Tokens()]})
    assert script.body["stream"] is True
    assert message.content == "x = 1 or x = -3"
    assert message.usage_metadata is not None
    assert tokens == ["", "", "x = 1", " or x = -3", ""]


def test_stream_usage_can_be_switched_off() -> None:
    script = Script([chunk({"content": "Hi"}), chunk(finish_reason="stop")])
    list(model_for(script, stream_usage=False).stream("Hi"))
    list(model_for(script).stream("Hi", stream_usage=False))
    assert ["stream_options" in body for body in script.bodies] == [False, False]


def test_the_stream_path_is_native_on_both_sides() -> None:
    # Overriding these keeps LangChain from running the sync code in a thread pool.
    assert ChatMixroute._astream is not BaseChatModel._astream
    assert ChatMixroute._agenerate is not BaseChatModel._agenerate


def test_v1_output_keeps_standard_blocks_in_content() -> None:
    llm, _ = _both("text and reasoning", output_version="v1")
    invoked = llm.invoke("Hi")
    assert invoked.content == [
        {"type": "reasoning", "reasoning": "Factor it."},
        {"type": "text", "text": "x = 1 or x = -3"},
    ]
    chunks = list(llm.stream("Hi"))
    assert chunks[0].content == [{"type": "reasoning", "reasoning": "Factor", "index": 0}]
    summed = _summed(chunks)
    assert summed.content == [
        {"type": "reasoning", "reasoning": "Factor it.", "index": 0},
        {"type": "text", "text": "x = 1 or x = -3", "index": 1},
    ]
    assert summed.response_metadata["output_version"] == "v1"


def test_v1_output_with_tool_calls() -> None:
    llm, _ = _both("tool calls", output_version="v1")
    invoked = llm.invoke("Hi")
    assert [b["type"] for b in invoked.content] == ["tool_call", "tool_call"]  # type: ignore[index]
    summed = _summed(list(llm.stream("Hi")))
    assert [(b["type"], b.get("name")) for b in summed.content] == [  # type: ignore[union-attr]
        ("tool_call", "get_weather"),
        ("tool_call", "get_time"),
    ]
    assert summed.tool_calls == invoked.tool_calls


# --- a stream that fails midway ----------------------------------------------------------


class Recorder(BaseCallbackHandler):
    def __init__(self) -> None:
        self.tokens: list[str] = []
        self.errors: list[BaseException] = []

    def on_llm_new_token(self, token: str, **kwargs: Any) -> None:
        self.tokens.append(token)

    def on_llm_error(self, error: BaseException, *, run_id: UUID, **kwargs: Any) -> None:
        self.errors.append(error)


def _cut_off(request: httpx.Request) -> httpx.Response:
    # Two chunks, then the connection ends: no finish_reason, no [DONE].
    text = sse_text([chunk({"content": "Hello"}), chunk({"content": " wor"})], done=False)
    return httpx.Response(200, text=text, headers={"content-type": "text/event-stream"})


def _error_event(request: httpx.Request) -> httpx.Response:
    text = sse_text([chunk({"content": "Hello"})], done=False) + (
        "data: " + json.dumps({"error": {"message": "upstream overloaded"}}) + "\n\n"
    )
    return httpx.Response(200, text=text, headers={"content-type": "text/event-stream"})


@pytest.mark.parametrize(
    ("reply", "error", "delivered"),
    [(_cut_off, APIConnectionError, ["Hello", " wor"]), (_error_event, APIStreamError, ["Hello"])],
    ids=["connection cut", "error event"],
)
def test_a_failing_stream_yields_then_raises_and_callbacks_see_it(
    reply: Any, error: type[Exception], delivered: list[str]
) -> None:
    handler = Recorder()
    seen: list[str] = []

    def run() -> None:
        for piece in model_for(Script(reply)).stream("Hi", config={"callbacks": [handler]}):
            seen.append(str(piece.content))

    with pytest.raises(error) as caught:
        run()
    assert seen == delivered
    assert handler.tokens == delivered
    assert handler.errors == [caught.value]
    partial = getattr(caught.value, "partial", None)
    assert partial is not None
    assert partial.content == "".join(delivered)


@pytest.mark.parametrize("reply", [_cut_off, _error_event], ids=["connection cut", "error event"])
def test_a_failing_async_stream_yields_then_raises_and_callbacks_see_it(reply: Any) -> None:
    handler = Recorder()
    seen: list[str] = []

    async def run() -> None:
        async for piece in model_for(Script(reply)).astream("Hi", config={"callbacks": [handler]}):
            seen.append(str(piece.content))

    with pytest.raises((APIConnectionError, APIStreamError)) as caught:
        asyncio.run(run())
    assert seen
    assert seen[0] == "Hello"
    assert handler.errors == [caught.value]


def test_astream_events_reports_each_chunk() -> None:
    llm, _ = _both("text and reasoning")
    llm.invoke("Hi")

    async def run() -> list[Any]:
        return [
            event["data"]["chunk"].content
            async for event in llm.astream_events("Hi", version="v2")
            if event["event"] == "on_chat_model_stream"
        ]

    assert asyncio.run(run()) == ["", "", "x = 1", " or x = -3", ""]
