"""``bind_tools`` (tools.py): every kind of tool, every ``tool_choice`` form, strict, parallel."""

from __future__ import annotations

from typing import Any

import pytest
from langchain_core.tools import tool
from pydantic import BaseModel, Field
from scripted_mixroute import Script, completion, model_for
from typing_extensions import TypedDict

from mixroute import InvalidRequestError

CITY = {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}
WEATHER = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Get weather information by city",
        "parameters": CITY,
    },
}


@tool
def get_weather(city: str) -> str:
    """Get weather information by city"""
    return "sunny"


def get_time(zone: str) -> str:
    """Tell the time in a time zone.

    Args:
        zone: an IANA zone name.
    """
    return "noon"


class Lookup(BaseModel):
    """Look a word up."""

    word: str = Field(description="The word.")


class Convert(TypedDict):
    """Convert an amount."""

    amount: float


def sent_tools(*tools: Any, **bind: Any) -> dict[str, Any]:
    script = Script(completion({"content": "ok"}))
    model_for(script).bind_tools(list(tools), **bind).invoke("Hi")
    return script.body


def test_every_kind_of_tool() -> None:
    body = sent_tools(
        get_weather,
        get_time,
        Lookup,
        Convert,
        {
            "title": "Echo",
            "description": "Say it back.",
            "type": "object",
            "properties": {"text": {"type": "string"}},
        },
        {
            "name": "ping",
            "description": "Ping.",
            "parameters": {"type": "object", "properties": {}},
        },
        {"type": "web_search_20250305", "name": "web_search", "max_uses": 5},
    )
    assert body["tools"] == [
        WEATHER,
        {
            "type": "function",
            "function": {
                "name": "get_time",
                "description": "Tell the time in a time zone.",
                "parameters": {
                    "type": "object",
                    "properties": {"zone": {"type": "string", "description": "an IANA zone name."}},
                    "required": ["zone"],
                },
            },
        },
        {
            "type": "function",
            "function": {
                "name": "Lookup",
                "description": "Look a word up.",
                "parameters": {
                    "type": "object",
                    "properties": {"word": {"type": "string", "description": "The word."}},
                    "required": ["word"],
                },
            },
        },
        {
            "type": "function",
            "function": {
                "name": "Convert",
                "description": "Convert an amount.",
                "parameters": {
                    "type": "object",
                    "properties": {"amount": {"type": "number"}},
                    "required": ["amount"],
                },
            },
        },
        {
            "type": "function",
            "function": {
                "name": "Echo",
                "description": "Say it back.",
                "parameters": {"type": "object", "properties": {"text": {"type": "string"}}},
            },
        },
        {
            "type": "function",
            "function": {
                "name": "ping",
                "description": "Ping.",
                "parameters": {"type": "object", "properties": {}},
            },
        },
        {"type": "web_search_20250305", "name": "web_search", "max_uses": 5},
    ]
    assert "tool_choice" not in body


@pytest.mark.parametrize(
    ("choice", "sent"),
    [
        ("auto", "auto"),
        ("none", "none"),
        ("required", "required"),
        ("any", "required"),
        (True, "required"),
        (False, "none"),
        ("get_weather", {"type": "function", "function": {"name": "get_weather"}}),
        (
            {"type": "function", "function": {"name": "get_weather"}},
            {"type": "function", "function": {"name": "get_weather"}},
        ),
    ],
)
def test_every_tool_choice_form(choice: Any, sent: Any) -> None:
    assert sent_tools(get_weather, tool_choice=choice)["tool_choice"] == sent


def test_strict_and_parallel_tool_calls() -> None:
    body = sent_tools(Lookup, strict=True, parallel_tool_calls=False)
    function = body["tools"][0]["function"]
    assert function["strict"] is True
    assert function["parameters"]["additionalProperties"] is False
    assert body["parallel_tool_calls"] is False


def test_strict_leaves_server_tools_alone() -> None:
    server = {"type": "web_search_20250305", "name": "web_search", "max_uses": 5}
    assert sent_tools(server, get_weather, strict=True)["tools"][0] == server


def test_other_keyword_arguments_are_bound_as_call_options() -> None:
    answer_format = {
        "type": "json_schema",
        "json_schema": {"name": "A", "schema": {"type": "object"}},
    }
    body = sent_tools(get_weather, response_format=answer_format, temperature=0.2)
    assert body["response_format"] == answer_format
    assert body["temperature"] == 0.2


def test_a_tool_choice_naming_no_tool_fails_at_bind_time() -> None:
    with pytest.raises(InvalidRequestError, match="function tools available: get_weather"):
        model_for(Script(completion({}))).bind_tools([get_weather], tool_choice="get_time")


def test_a_tool_choice_the_profile_cannot_take_fails_at_bind_time_when_refused() -> None:
    # GLM accepts only tool_choice "auto" (Zhipu docs); by default "any" is weakened to it
    # when sent (tests/langchain/test_tool_choice_fallback.py).
    refusing = model_for(Script(completion({})), "glm-5", tool_choice_fallback="refuse")
    with pytest.raises(
        InvalidRequestError, match=r"'glm-5' does not support tool_choice 'required'"
    ):
        refusing.bind_tools([get_weather], tool_choice="any")
    with pytest.raises(InvalidRequestError, match=r"does not support tool_choice 'none'"):
        model_for(Script(completion({})), "glm-5").bind_tools([get_weather], tool_choice="none")


def test_a_bad_tool_fails_at_bind_time_naming_its_position() -> None:
    with pytest.raises(
        InvalidRequestError, match=r"tools\[1\]: a JSON schema used as a tool needs a 'title'"
    ):
        model_for(Script(completion({}))).bind_tools(
            [get_weather, {"type": "object", "properties": {}}]
        )


def test_two_tools_of_one_name_fail_before_sending() -> None:
    script = Script(completion({"content": "ok"}))
    bound = model_for(script).bind_tools([Lookup, Lookup.model_json_schema()])  # binding is fine
    with pytest.raises(InvalidRequestError, match="'Lookup' appears more than once"):
        bound.invoke("Hi")
    assert script.bodies == []


def test_tool_calls_come_back_parsed_and_invalid_ones_kept() -> None:
    reply = completion(
        {
            "content": None,
            "tool_calls": [
                {
                    "id": "c1",
                    "type": "function",
                    "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'},
                },
                {
                    "id": "c2",
                    "type": "function",
                    "function": {"name": "get_weather", "arguments": '{"city": '},
                },
            ],
        },
        finish_reason="tool_calls",
    )
    answer = model_for(Script(reply)).bind_tools([get_weather]).invoke("Hi")
    assert answer.tool_calls == [
        {"name": "get_weather", "args": {"city": "Paris"}, "id": "c1", "type": "tool_call"}
    ]
    [bad] = answer.invalid_tool_calls
    assert (bad["name"], bad["args"], bad["id"]) == ("get_weather", '{"city": ', "c2")
    assert bad["error"] is not None
    assert "not valid JSON" in bad["error"]
    assert answer.content_blocks[-1]["type"] == "invalid_tool_call"
