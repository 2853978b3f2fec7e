"""Mixroute's option errors follow the core's rule, and tool arguments parse leniently.

A mistake in the settings is a ConfigurationError; one in a call's keyword arguments
(``chat(..., temprature=...)``, streamed or async, ``complete``) an InvalidRequestError
raised before anything is sent; both name the closest real name. Tool-call arguments with
a raw newline inside a string are read by ``get_tool_calls_from_response``.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from llama_index.core.base.llms.types import ChatMessage
from scripted_gateway import KEY, ScriptedGateway, completion, sse, tool_call, tool_calls_answer

from llama_index_mixroute import Mixroute
from mixroute import ConfigurationError, InvalidRequestError

HI = [ChatMessage(role="user", content="Hi")]
CODE = "def add(a, b):\n    return a + b\n"
RAW = '{"code": "' + CODE + '"}'


@pytest.mark.parametrize(
    ("settings", "fragment"),
    [
        ({"temprature": 0.5}, "unknown setting 'temprature'; did you mean 'temperature'?"),
        ({"max_token": 5}, "did you mean 'max_tokens'?"),
        ({"aditional_kwargs": {}}, "did you mean 'additional_kwargs'?"),
        ({"guidance_scale": 2}, "unknown setting 'guidance_scale'; pass request fields"),
        ({"temperature": 3}, "Mixroute settings: temperature must be a number"),
        ({"reasoning_effort": "high"}, "Mixroute settings: .* does not take reasoning_effort"),
    ],
)
def test_a_mistake_in_the_settings_is_a_configuration_error(
    settings: dict[str, Any], fragment: str
) -> None:
    with pytest.raises(ConfigurationError, match=fragment) as caught:
        Mixroute("gpt-4o", api_key=KEY, **settings)
    assert KEY not in str(caught.value)


@pytest.mark.parametrize(
    ("call", "fragment"),
    [
        ({"temprature": 0.5}, "unknown option 'temprature'; did you mean 'temperature'?"),
        ({"tool_choise": "auto"}, "did you mean 'tool_choice'?"),
        ({"extra_header": {}}, "did you mean 'extra_headers'?"),
        ({"top_k": 3}, "pass vendor fields that have no typed option through extra_body"),
    ],
)
def test_a_mistake_in_a_calls_options_is_an_invalid_request(
    call: dict[str, Any], fragment: str
) -> None:
    gateway = ScriptedGateway()
    llm = gateway.llm()
    with pytest.raises(InvalidRequestError, match=fragment):
        llm.chat(HI, **call)
    with pytest.raises(InvalidRequestError, match=fragment):
        llm.stream_chat(HI, **call)
    with pytest.raises(InvalidRequestError, match=fragment):
        llm.complete("Hi", **call)
    with pytest.raises(InvalidRequestError, match=fragment):
        asyncio.run(llm.achat(HI, **call))
    assert gateway.bodies == []


def test_call_tools_go_before_the_server_tools() -> None:
    gateway = ScriptedGateway(completion("ok"))
    search = {"type": "web_search_20250305", "name": "web_search"}
    lookup = {"type": "function", "function": {"name": "lookup", "parameters": {"type": "object"}}}
    gateway.llm(server_tools=[search]).chat(HI, tools=[lookup], temperature=None)
    assert [
        tool.get("name") or tool["function"]["name"] for tool in gateway.bodies[0]["tools"]
    ] == [
        "lookup",
        "web_search",
    ]


# --- lenient tool arguments --------------------------------------------------------------


def test_a_raw_newline_in_arguments_is_a_valid_tool_call() -> None:
    gateway = ScriptedGateway(tool_calls_answer(tool_call("call_1", "write", RAW)))
    llm = gateway.llm()
    response = llm.chat(HI)
    [selection] = llm.get_tool_calls_from_response(response)
    assert (selection.tool_id, selection.tool_name) == ("call_1", "write")
    assert selection.tool_kwargs == {"code": CODE}


def test_a_raw_newline_in_streamed_arguments_is_a_valid_tool_call() -> None:
    half = len(RAW) // 2
    first = {
        "index": 0,
        "id": "call_1",
        "type": "function",
        "function": {"name": "write", "arguments": RAW[:half]},
    }
    rest = {"index": 0, "function": {"arguments": RAW[half:]}}
    gateway = ScriptedGateway(sse({"tool_calls": [first]}, {"tool_calls": [rest]}))
    llm = gateway.llm()
    last = list(llm.stream_chat(HI))[-1]
    [selection] = llm.get_tool_calls_from_response(last)
    assert selection.tool_kwargs == {"code": CODE}


def test_arguments_that_are_not_json_are_refused_with_the_text() -> None:
    gateway = ScriptedGateway(tool_calls_answer(tool_call("call_1", "write", "write(add)")))
    llm = gateway.llm()
    response = llm.chat(HI)
    with pytest.raises(ValueError, match="not a JSON object: 'write\\(add\\)'"):
        llm.get_tool_calls_from_response(response)
    [selection] = llm.get_tool_calls_from_response(response, error_on_no_tool_call=False)
    assert selection.tool_kwargs == {}
