"""Tool-call arguments parse as LangChain's parser does, and a cut-off answer says so.

Raw control characters inside JSON strings (a literal newline in generated code) are
accepted in plain and streamed answers; text that is not JSON still makes an invalid call
with the reason; the depth guard still holds. ``ChatCompletion.truncated`` and
``is_truncated`` are the one test of ``finish_reason == "length"``.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from mixroute import MixrouteClient, StreamAccumulator, parse_completion
from mixroute.jsonsafe import JSONTooDeep, loads, too_deep
from mixroute.response import is_truncated, parse_arguments

KEY = "sk-test-lenient-0123456789"
CODE = "def add(a, b):\n\treturn a + b\n"
RAW = '{"path": "add.py", "code": "' + CODE + '"}'
"""Arguments as real models send them: the newline and tab inside the string are raw."""


def test_the_raw_text_is_not_strict_json() -> None:
    with pytest.raises(json.JSONDecodeError, match="control character"):
        json.loads(RAW)


def test_raw_control_characters_inside_strings_are_accepted() -> None:
    assert parse_arguments(RAW) == ({"path": "add.py", "code": CODE}, None)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("not json at all", "Arguments are not valid JSON"),
        ('{"code": "unterminated', "Arguments are not valid JSON"),
        ('["a", "list"]', "must be a JSON object, got list"),
    ],
)
def test_text_that_is_not_a_json_object_is_still_refused_with_the_reason(
    text: str, reason: str
) -> None:
    parsed, error = parse_arguments(text)
    assert parsed is None
    assert error is not None
    assert reason in error


def test_lenient_parsing_keeps_the_depth_guard() -> None:
    deep = '{"a": ' + "[" * 300 + "]" * 300 + "}"
    parsed, error = parse_arguments(deep)
    assert parsed is None
    assert error is not None
    assert "nested deeper than 200" in error
    with pytest.raises(JSONTooDeep):
        loads(deep, strict=False)
    assert too_deep(deep)
    assert not too_deep(RAW)


def test_strict_loads_is_the_default() -> None:
    with pytest.raises(ValueError, match="control character"):
        loads(RAW)
    assert loads(RAW, strict=False)["code"] == CODE


def _answer(arguments: str, finish_reason: str = "tool_calls") -> dict[str, Any]:
    call = {
        "id": "call_1",
        "type": "function",
        "function": {"name": "write", "arguments": arguments},
    }
    message = {"role": "assistant", "content": None, "tool_calls": [call]}
    return {
        "id": "c",
        "model": "gpt-4o",
        "choices": [{"index": 0, "message": message, "finish_reason": finish_reason}],
    }


def test_a_plain_answer_with_a_raw_newline_has_a_valid_tool_call() -> None:
    completion = parse_completion(_answer(RAW))
    [call] = completion.message.tool_calls
    assert call.arguments == {"path": "add.py", "code": CODE}
    assert call.raw_arguments == RAW
    assert completion.message.invalid_tool_calls == []


def test_a_plain_answer_that_is_not_json_is_an_invalid_call_with_the_reason() -> None:
    completion = parse_completion(_answer("write(add.py)"))
    assert completion.message.tool_calls == []
    [invalid] = completion.message.invalid_tool_calls
    assert (invalid.name, invalid.arguments) == ("write", "write(add.py)")
    assert "not valid JSON" in invalid.error


def _stream_chunks(arguments: str) -> list[dict[str, Any]]:
    middle = len(arguments) // 2  # the raw newline arrives in its own fragment
    fragments = [arguments[:middle], arguments[middle:]]
    first = {
        "index": 0,
        "id": "call_1",
        "type": "function",
        "function": {"name": "write", "arguments": ""},
    }
    deltas = [{"tool_calls": [first]}] + [
        {"tool_calls": [{"index": 0, "function": {"arguments": part}}]} for part in fragments
    ]
    chunks = [
        {"id": "c", "model": "gpt-4o", "choices": [{"index": 0, "delta": d, "finish_reason": None}]}
        for d in deltas
    ]
    chunks.append(
        {
            "id": "c",
            "model": "gpt-4o",
            "choices": [{"index": 0, "delta": {}, "finish_reason": "tool_calls"}],
        }
    )
    return chunks


def test_a_streamed_call_with_a_raw_newline_is_valid_when_assembled() -> None:
    accumulator = StreamAccumulator()
    for chunk in _stream_chunks(RAW):
        accumulator.feed(chunk)
    message = accumulator.message()
    assert [call.arguments for call in message.tool_calls] == [{"path": "add.py", "code": CODE}]
    assert message.invalid_tool_calls == []


def _client(reply: httpx.Response) -> MixrouteClient:
    transport = httpx.MockTransport(lambda request: reply)
    return MixrouteClient(
        KEY, base_url="https://gw.example/v1", http_client=httpx.Client(transport=transport)
    )


def test_the_client_returns_the_call_plain_and_streamed() -> None:
    with _client(httpx.Response(200, json=_answer(RAW))) as client:
        completion = client.create("gpt-4o", [{"role": "user", "content": "write add"}])
    assert completion.message.tool_calls[0].arguments["code"] == CODE
    events = "".join(f"data: {json.dumps(chunk)}\n\n" for chunk in _stream_chunks(RAW))
    streamed = httpx.Response(
        200, text=events + "data: [DONE]\n\n", headers={"content-type": "text/event-stream"}
    )
    with (
        _client(streamed) as client,
        client.stream("gpt-4o", [{"role": "user", "content": "x"}]) as stream,
    ):
        list(stream)
        final = stream.completion
    assert final.message.tool_calls[0].arguments["code"] == CODE
    assert final.message.invalid_tool_calls == []


# --- truncation --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("reason", "cut"), [("length", True), ("stop", False), ("tool_calls", False), (None, False)]
)
def test_truncated_means_finish_reason_length(reason: str | None, cut: bool) -> None:
    body = _answer("{}", finish_reason=reason) if reason else _answer("{}")
    if reason is None:
        body["choices"][0]["finish_reason"] = None
    assert parse_completion(body).truncated is cut
    assert is_truncated(reason) is cut
