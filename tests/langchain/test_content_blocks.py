"""The content-block translator registered for provider ``mixroute`` (content_blocks.py)."""

from __future__ import annotations

import pytest
from langchain_core.messages import AIMessage, AIMessageChunk
from langchain_core.messages.block_translators import get_translator

import langchain_mixroute  # noqa: F401  (importing the package registers the translator)
from langchain_mixroute.content_blocks import translate_content, translate_content_chunk

PROVIDER = {"model_provider": "mixroute"}


def test_the_translator_is_registered_for_mixroute() -> None:
    translator = get_translator("mixroute")
    assert translator == {
        "translate_content": translate_content,
        "translate_content_chunk": translate_content_chunk,
    }


def test_a_whole_answer_in_standard_blocks() -> None:
    message = AIMessage(
        content="Paris is sunny.",
        additional_kwargs={"reasoning_content": "Check the weather.", "refusal": "Not that part."},
        response_metadata={
            **PROVIDER,
            "citations": [
                {
                    "url": "https://w.example",
                    "title": "W",
                    "snippet": "sunny",
                    "start_index": 0,
                    "end_index": 5,
                    "source": "annotations",
                },
            ],
        },
        tool_calls=[{"name": "get_weather", "args": {"city": "Paris"}, "id": "c1"}],
        invalid_tool_calls=[
            {
                "name": "oops",
                "args": "{",
                "id": "c2",
                "error": "bad JSON",
                "type": "invalid_tool_call",
            }
        ],
    )
    assert message.content_blocks == [
        {"type": "reasoning", "reasoning": "Check the weather."},
        {
            "type": "text",
            "text": "Paris is sunny.",
            "annotations": [
                {
                    "type": "citation",
                    "url": "https://w.example",
                    "title": "W",
                    "start_index": 0,
                    "end_index": 5,
                    "cited_text": "sunny",
                    "extras": {"source": "annotations"},
                }
            ],
        },
        {"type": "tool_call", "name": "get_weather", "args": {"city": "Paris"}, "id": "c1"},
        {"type": "invalid_tool_call", "name": "oops", "args": "{", "id": "c2", "error": "bad JSON"},
        {"type": "refusal", "refusal": "Not that part."},
    ]


def test_an_empty_answer_has_no_blocks() -> None:
    assert AIMessage(content="", response_metadata=PROVIDER).content_blocks == []


def test_chunks_carry_tool_call_chunks_until_the_last() -> None:
    piece = AIMessageChunk(
        content="",
        response_metadata=PROVIDER,
        tool_call_chunks=[
            {"name": "f", "args": "{", "id": "c1", "index": 0, "type": "tool_call_chunk"}
        ],
    )
    assert piece.content_blocks == [
        {"type": "tool_call_chunk", "name": "f", "args": "{", "id": "c1", "index": "lc_tc_0"}
    ]
    last = AIMessageChunk(
        content="",
        response_metadata=PROVIDER,
        tool_call_chunks=[
            {"name": "f", "args": "{}", "id": "c1", "index": 0, "type": "tool_call_chunk"}
        ],
        chunk_position="last",
    )
    assert last.content_blocks == [{"type": "tool_call", "name": "f", "args": {}, "id": "c1"}]


def test_list_content_falls_back_to_langchains_own_reading() -> None:
    message = AIMessage(
        content=[{"type": "text", "text": "Hi"}],
        additional_kwargs={"reasoning_content": "Greet."},
        response_metadata=PROVIDER,
    )
    with pytest.raises(NotImplementedError):
        translate_content(message)
    assert message.content_blocks == [
        {"type": "reasoning", "reasoning": "Greet."},
        {"type": "text", "text": "Hi"},
    ]
