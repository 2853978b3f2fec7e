"""parse_completion: typed results from every shape of answer the vendors send."""

from __future__ import annotations

from typing import Any

import pytest

from mixroute import APIResponseValidationError, parse_completion
from mixroute.response import parse_arguments, parse_usage


def completion(message: dict[str, Any], **top: Any) -> dict[str, Any]:
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "created": 1234567890,
        "model": "m",
        "choices": [
            {"index": 0, "message": {"role": "assistant", **message}, "finish_reason": "stop"}
        ],
        **top,
    }


def test_documented_response() -> None:
    result = parse_completion(
        completion(
            {"content": "Response content..."},
            usage={"prompt_tokens": 25, "completion_tokens": 100, "total_tokens": 125},
            system_fingerprint="fp_1",
        )
    )
    assert result.id == "chatcmpl-1"
    assert result.model == "m"
    assert result.created == 1234567890
    assert result.system_fingerprint == "fp_1"
    assert result.message.content == "Response content..."
    assert result.finish_reason == "stop"
    assert result.usage is not None
    assert (result.usage.prompt_tokens, result.usage.completion_tokens) == (25, 100)
    assert result.usage.total_tokens == 125


@pytest.mark.parametrize("field", ["reasoning_content", "reasoning"])
def test_reasoning_in_either_spelling(field: str) -> None:
    result = parse_completion(completion({"content": "x = 1", field: "Factor: (x+3)(x-1)"}))
    assert result.message.reasoning == "Factor: (x+3)(x-1)"
    assert result.message.content == "x = 1"


def test_tool_calls_valid_and_malformed() -> None:
    calls = [
        {
            "id": "a",
            "type": "function",
            "function": {"name": "get_weather", "arguments": '{"city": "Shanghai"}'},
        },
        {"id": "b", "type": "function", "function": {"name": "broken", "arguments": '{"city": '}},
        {"id": "c", "type": "function", "function": {"name": "listy", "arguments": "[1, 2]"}},
        {"id": "d", "type": "function", "function": {"name": "noargs", "arguments": ""}},
    ]
    result = parse_completion(completion({"content": None, "tool_calls": calls}))
    message = result.message
    assert [(c.id, c.name, c.arguments) for c in message.tool_calls] == [
        ("a", "get_weather", {"city": "Shanghai"}),
        ("d", "noargs", {}),
    ]
    assert message.tool_calls[0].raw_arguments == '{"city": "Shanghai"}'
    assert [(c.id, c.name, c.arguments) for c in message.invalid_tool_calls] == [
        ("b", "broken", '{"city": '),
        ("c", "listy", "[1, 2]"),
    ]
    assert "not valid JSON" in message.invalid_tool_calls[0].error
    assert "JSON object" in message.invalid_tool_calls[1].error


def test_arguments_sent_as_an_object_are_accepted() -> None:
    calls = [{"id": "a", "function": {"name": "f", "arguments": {"x": 1}}}]
    assert parse_completion(completion({"tool_calls": calls})).message.tool_calls[0].arguments == {
        "x": 1
    }


def test_usage_details_and_extras() -> None:
    usage = parse_usage(
        {
            "prompt_tokens": 10,
            "completion_tokens": 20,
            "total_tokens": 30,
            "prompt_tokens_details": {"cached_tokens": 4},
            "completion_tokens_details": {"reasoning_tokens": 12},
            "cost": 0.0012,
            "is_byok": False,
        }
    )
    assert usage is not None
    assert usage.cached_tokens == 4
    assert usage.reasoning_tokens == 12
    assert usage.extra["cost"] == 0.0012
    assert usage.extra["is_byok"] is False


def test_usage_deepseek_cache_field_and_missing_total() -> None:
    usage = parse_usage({"prompt_tokens": 3, "completion_tokens": 4, "prompt_cache_hit_tokens": 2})
    assert usage is not None
    assert usage.total_tokens == 7
    assert usage.cached_tokens == 2
    assert parse_usage(None) is None
    assert parse_usage("garbage") is None


def test_citations_in_all_three_shapes_and_refusal() -> None:
    annotations = [
        {
            "type": "url_citation",
            "url_citation": {
                "url": "https://a.example",
                "title": "A",
                "start_index": 0,
                "end_index": 5,
            },
        }
    ]
    body = completion(
        {"content": "News", "annotations": annotations, "refusal": None},
        citations=["https://b.example"],
        search_info={
            "search_results": [
                {"index": 1, "title": "C", "url": "https://c.example", "site_name": "c"}
            ]
        },
    )
    result = parse_completion(body)
    assert [(c.url, c.source) for c in result.citations] == [
        ("https://b.example", "citations"),
        ("https://c.example", "search_info"),
        ("https://a.example", "annotations"),
    ]
    assert result.citations[2].title == "A"
    assert result.extra["search_info"]["search_results"][0]["site_name"] == "c"
    refused = parse_completion(completion({"content": None, "refusal": "I can't help with that."}))
    assert refused.message.refusal == "I can't help with that."


def test_unknown_fields_are_kept() -> None:
    body = completion(
        {"content": "x", "reasoning_details": [{"type": "reasoning.text"}]}, provider="OpenAI"
    )
    result = parse_completion(body)
    assert result.extra == {"provider": "OpenAI"}
    assert result.message.extra == {"reasoning_details": [{"type": "reasoning.text"}]}


def test_inline_think_tags_split_only_when_asked() -> None:
    body = completion({"content": "<think>Let me see.</think>\n\nIt is 4."})
    assert parse_completion(body).message.content == "<think>Let me see.</think>\n\nIt is 4."
    split = parse_completion(body, inline_think_tags=True).message
    assert (split.reasoning, split.content) == ("Let me see.", "It is 4.")


def test_content_given_as_parts_is_joined() -> None:
    body = completion({"content": [{"type": "text", "text": "a"}, {"type": "text", "text": "b"}]})
    assert parse_completion(body).message.content == "ab"


@pytest.mark.parametrize(
    "bad", [None, [], "text", {"choices": "x"}, {"choices": []}, {"choices": [5]}]
)
def test_not_a_completion_is_a_typed_error(bad: Any) -> None:
    with pytest.raises(APIResponseValidationError):
        parse_completion(bad)


def test_parse_arguments() -> None:
    assert parse_arguments("  ") == ({}, None)
    assert parse_arguments('{"a": [1]}') == ({"a": [1]}, None)
    value, error = parse_arguments("nope")
    assert value is None
    assert error is not None


def test_empty_text_is_no_text_as_in_a_stream() -> None:
    message = parse_completion(completion({"content": "", "reasoning_content": ""})).message
    assert (message.content, message.reasoning) == (None, None)
    split = parse_completion(completion({"content": "<think></think>"}), inline_think_tags=True)
    assert (split.message.reasoning, split.message.content) == (None, None)


def test_repeated_citations_are_kept_once() -> None:
    body = completion({"content": "x"}, citations=["https://a.example", "https://a.example"])
    assert [c.url for c in parse_completion(body).citations] == ["https://a.example"]
