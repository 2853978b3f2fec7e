"""ChatMixroute's option errors follow the core's rule, and tool arguments parse leniently.

A mistake in the constructor's arguments is a ConfigurationError; one in a call's
(``invoke(..., temperaturee=1)``, ``bind(...)``, ``stream``, ``ainvoke``) an
InvalidRequestError raised before anything is sent; both name the closest real name.
Tool-call arguments with a raw newline inside a string become ``tool_calls``.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from langchain_core.messages import AIMessageChunk
from scripted_mixroute import API_KEY, Script, chunk, completion, model_for

from langchain_mixroute import ChatMixroute
from mixroute import ConfigurationError, InvalidRequestError

CODE = "def add(a, b):\n    return a + b\n"
RAW = '{"code": "' + CODE + '"}'


@pytest.mark.parametrize(
    ("arguments", "fragment"),
    [
        ({"temprature": 0.5}, "unknown argument 'temprature'; did you mean 'temperature'?"),
        ({"max_token": 5}, "unknown argument 'max_token'; did you mean 'max_tokens'?"),
        ({"stream_usag": True}, "did you mean 'stream_usage'?"),
        ({"api_kye": API_KEY}, "did you mean 'api_key'?"),
        ({"temperature": 3}, "ChatMixroute settings: temperature must be a number"),
        ({"model_kwargs": {"top_p": 1}}, r"pass top_p=\.\.\. as its own argument"),
    ],
)
def test_a_mistake_in_the_constructor_is_a_configuration_error(
    arguments: dict[str, Any], fragment: str
) -> None:
    with pytest.raises(ConfigurationError, match=fragment) as caught:
        ChatMixroute(model="gpt-4o", api_key=API_KEY, **arguments)
    assert API_KEY not in str(caught.value)


def test_a_request_option_given_to_the_constructor_is_kept() -> None:
    script = Script(completion({"content": "ok"}))
    model_for(script, presence_penalty=0.5, model_kwargs={"top_k": 3}).invoke("Hi")
    assert (script.body["presence_penalty"], script.body["top_k"]) == (0.5, 3)


@pytest.mark.parametrize(
    ("call", "fragment"),
    [
        ({"temperaturee": 1}, "unknown option 'temperaturee'; did you mean 'temperature'?"),
        ({"tool_choise": "auto"}, "did you mean 'tool_choice'?"),
        ({"timout": 3}, "did you mean 'timeout'?"),
        ({"stream_usag": False}, "did you mean 'stream_usage'?"),
        ({"safe_prompt": True}, "unknown option 'safe_prompt'; pass vendor fields"),
    ],
)
def test_a_mistake_in_a_calls_options_is_an_invalid_request(
    call: dict[str, Any], fragment: str
) -> None:
    script = Script(completion({"content": "ok"}))
    llm = model_for(script)
    with pytest.raises(InvalidRequestError, match=fragment):
        llm.invoke("Hi", **call)
    with pytest.raises(InvalidRequestError, match=fragment):
        llm.bind(**call).invoke("Hi")
    with pytest.raises(InvalidRequestError, match=fragment):
        list(llm.stream("Hi", **call))
    with pytest.raises(InvalidRequestError, match=fragment):
        asyncio.run(llm.ainvoke("Hi", **call))
    assert script.bodies == []


def test_a_correct_call_still_overrides_the_settings() -> None:
    script = Script(completion({"content": "ok"}))
    llm = model_for(script, temperature=0.1, extra_body={"top_k": 5})
    llm.invoke("Hi", temperature=0.9, extra_body={"repetition_penalty": 1.1}, timeout=9)
    assert script.body["temperature"] == 0.9
    assert (script.body["top_k"], script.body["repetition_penalty"]) == (5, 1.1)


def test_langchains_own_metadata_field_is_not_the_requests_metadata() -> None:
    script = Script(completion({"content": "ok"}))
    model_for(script, metadata={"run": "tracing only"}, tool_choice_fallback="refuse").invoke("Hi")
    assert "metadata" not in script.body
    assert "tool_choice_fallback" not in script.body  # a policy, never sent


# --- lenient tool arguments --------------------------------------------------------------


def _call(arguments: str) -> dict[str, Any]:
    return {
        "id": "call_1",
        "type": "function",
        "function": {"name": "write", "arguments": arguments},
    }


def test_a_raw_newline_in_arguments_is_a_valid_tool_call() -> None:
    script = Script(
        completion({"content": None, "tool_calls": [_call(RAW)]}, finish_reason="tool_calls")
    )
    message = model_for(script).invoke("Write add")
    assert message.tool_calls == [
        {"name": "write", "args": {"code": CODE}, "id": "call_1", "type": "tool_call"}
    ]
    assert message.invalid_tool_calls == []


def test_a_raw_newline_in_streamed_arguments_is_a_valid_tool_call() -> None:
    half = len(RAW) // 2
    first = {
        "index": 0,
        "id": "call_1",
        "type": "function",
        "function": {"name": "write", "arguments": RAW[:half]},
    }
    rest = {"index": 0, "function": {"arguments": RAW[half:]}}
    script = Script(
        [
            chunk({"role": "assistant", "tool_calls": [first]}),
            chunk({"tool_calls": [rest]}),
            chunk({}, finish_reason="tool_calls"),
        ]
    )
    total: AIMessageChunk | None = None
    for part in model_for(script).stream("Write add"):
        total = part if total is None else total + part
    assert total is not None
    assert [(call["name"], call["args"]) for call in total.tool_calls] == [
        ("write", {"code": CODE})
    ]
    assert total.invalid_tool_calls == []


def test_arguments_that_are_not_json_are_an_invalid_call_with_the_reason() -> None:
    script = Script(completion({"content": None, "tool_calls": [_call("write(add)")]}))
    message = model_for(script).invoke("Write add")
    assert message.tool_calls == []
    [invalid] = message.invalid_tool_calls
    assert (invalid["name"], invalid["args"]) == ("write", "write(add)")
    assert invalid["error"] is not None
    assert "not valid JSON" in invalid["error"]
