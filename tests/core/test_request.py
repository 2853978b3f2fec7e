"""build_request_body: documented fields, vendor options, per-model rules, and bad input."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import BaseModel

from mixroute import (
    AssistantMessage,
    InvalidRequestError,
    MixrouteError,
    SearchOptions,
    SearchParameters,
    ToolCall,
    UserMessage,
    build_request_body,
    get_profile,
)

HI = [{"role": "user", "content": "Hi"}]


def body(model: str = "gpt-4o", messages: Any = None, **options: Any) -> dict[str, Any]:
    return build_request_body(model, messages or HI, **options)


def test_minimal_body_is_model_and_messages_only() -> None:
    assert body() == {"model": "gpt-4o", "messages": HI}


def test_openai_fields_are_sent_as_given() -> None:
    sent = body(
        temperature=0.2,
        top_p=0.9,
        max_tokens=100,
        stop=["\n\n", "END"],
        seed=7,
        n=2,
        presence_penalty=0.5,
        frequency_penalty=-0.5,
        logprobs=True,
        top_logprobs=3,
        user="u-1",
        logit_bias={"50256": -100},
        metadata={"k": "v"},
        service_tier="auto",
    )
    assert sent == {
        "model": "gpt-4o",
        "messages": HI,
        "temperature": 0.2,
        "top_p": 0.9,
        "max_tokens": 100,
        "stop": ["\n\n", "END"],
        "seed": 7,
        "n": 2,
        "presence_penalty": 0.5,
        "frequency_penalty": -0.5,
        "logprobs": True,
        "top_logprobs": 3,
        "user": "u-1",
        "logit_bias": {"50256": -100},
        "metadata": {"k": "v"},
        "service_tier": "auto",
    }


def test_stream_asks_for_usage_unless_stream_options_given() -> None:
    assert body(stream=True)["stream_options"] == {"include_usage": True}
    assert "stream_options" not in body(stream=True, include_usage=False)
    custom = body(stream=True, stream_options={"include_usage": False})
    assert custom["stream"] is True
    assert custom["stream_options"] == {"include_usage": False}


def test_vendor_options_are_typed_fields() -> None:
    sent = body(
        "qwen-max",
        enable_search=True,
        search_options=SearchOptions(search_strategy="standard", forced_search=False),
        enable_thinking=False,
    )
    assert sent["enable_search"] is True
    assert sent["search_options"] == {"search_strategy": "standard", "forced_search": False}
    assert sent["enable_thinking"] is False


def test_search_options_as_dict_are_checked_and_extra_keys_kept() -> None:
    sent = body("qwen-max", search_options={"search_strategy": "pro", "citation_format": "[1]"})
    assert sent["search_options"] == {"search_strategy": "pro", "citation_format": "[1]"}
    with pytest.raises(InvalidRequestError, match="search_strategy"):
        body("qwen-max", search_options={"search_strategy": "deep"})


def test_search_parameters_grok_dialect() -> None:
    sent = body("grok-3", search_parameters=SearchParameters(mode="auto", return_citations=True))
    assert sent["search_parameters"] == {"mode": "auto", "return_citations": True}
    with pytest.raises(InvalidRequestError, match="mode"):
        SearchParameters(mode="always")  # type: ignore[arg-type]
    with pytest.raises(InvalidRequestError, match="max_search_results"):
        body("grok-3", search_parameters={"max_search_results": 0})


def test_extra_body_is_merged_last() -> None:
    sent = body(temperature=0.1, extra_body={"temperature": 0.3, "thinking": {"type": "enabled"}})
    assert sent["temperature"] == 0.3
    assert sent["thinking"] == {"type": "enabled"}


def test_unknown_option_names_extra_body() -> None:
    with pytest.raises(InvalidRequestError, match="extra_body"):
        body(temprature=0.5)


@pytest.mark.parametrize(
    ("options", "fragment"),
    [
        ({"temperature": 3}, "temperature must be a number from 0.0 to 2.0"),
        ({"temperature": "hot"}, "temperature"),
        ({"top_p": 1.5}, "top_p"),
        ({"max_tokens": -1}, "max_tokens must be a positive int"),
        ({"max_tokens": 10.5}, "max_tokens"),
        ({"n": 0}, "n must be a positive int"),
        ({"seed": "x"}, "seed must be an int"),
        ({"stop": 5}, "stop must be a string or a list of strings"),
        ({"logprobs": "yes"}, "logprobs must be true or false"),
        ({"top_logprobs": 99}, "top_logprobs"),
        ({"enable_search": 1}, "enable_search must be true or false"),
        ({"reasoning_effort": 3}, "reasoning_effort must be a string"),
        ({"extra_body": [1]}, "extra_body must be a dict"),
        ({"parallel_tool_calls": True}, "no tools"),
    ],
)
def test_bad_values_fail_before_sending(options: dict[str, Any], fragment: str) -> None:
    with pytest.raises(InvalidRequestError) as info:
        body(**options)
    assert fragment in str(info.value)
    assert isinstance(info.value, MixrouteError)
    assert isinstance(info.value, ValueError)


def test_bad_model_and_messages() -> None:
    with pytest.raises(InvalidRequestError, match="model"):
        build_request_body("", HI)
    with pytest.raises(InvalidRequestError, match="non-empty list"):
        build_request_body("gpt-4o", [])
    with pytest.raises(InvalidRequestError, match="non-empty list"):
        build_request_body("gpt-4o", "Hi")  # type: ignore[arg-type]


def test_reasoning_effort_follows_the_profile() -> None:
    assert body("grok-3-mini", reasoning_effort="high")["reasoning_effort"] == "high"
    with pytest.raises(InvalidRequestError, match="use one of low, high"):
        body("grok-3-mini", reasoning_effort="medium")
    with pytest.raises(InvalidRequestError, match="does not take reasoning_effort"):
        body("gpt-4o", reasoning_effort="low")
    # An unknown model accepts any level: the gateway or the vendor will judge it.
    assert body("my-custom-model", reasoning_effort="max")["reasoning_effort"] == "max"


def test_reasoning_effort_profile_override() -> None:
    profile = get_profile("gpt-4o", {"reasoning_effort_levels": ["low"]})
    assert body("gpt-4o", profile=profile, reasoning_effort="low")["reasoning_effort"] == "low"


def test_o_series_rules() -> None:
    sent = body("o3-mini", temperature=0.5, max_tokens=50)
    assert "temperature" not in sent
    assert "max_tokens" not in sent
    assert sent["max_completion_tokens"] == 50


def test_tools_tool_choice_and_parallel_calls() -> None:
    weather = {
        "type": "function",
        "function": {
            "name": "get_weather",
            "description": "Get weather information by city",
            "parameters": {
                "type": "object",
                "properties": {"city": {"type": "string"}},
                "required": ["city"],
            },
        },
    }
    search = {"type": "web_search_20250305", "name": "web_search", "max_uses": 5}
    sent = body(tools=[weather, search], tool_choice="get_weather", parallel_tool_calls=False)
    assert sent["tools"] == [weather, search]
    assert sent["tool_choice"] == {"type": "function", "function": {"name": "get_weather"}}
    assert sent["parallel_tool_calls"] is False
    assert body(tools=[weather], tool_choice="any")["tool_choice"] == "required"
    with pytest.raises(InvalidRequestError, match="get_weather"):
        body(tools=[weather], tool_choice="get_time")


def test_tool_choice_outside_the_profile_fails_when_refused() -> None:
    # By default such a choice is weakened (tests/core/test_tool_choice_policy.py).
    tool = {"type": "function", "function": {"name": "f", "parameters": {"type": "object"}}}
    with pytest.raises(InvalidRequestError, match="'glm-5' does not support tool_choice"):
        body("glm-5", tools=[tool], tool_choice="required", tool_choice_fallback="refuse")
    with pytest.raises(InvalidRequestError, match="does not support tool_choice 'none'"):
        body("glm-5", tools=[tool], tool_choice="none")
    assert body("glm-5", tools=[tool], tool_choice="auto")["tool_choice"] == "auto"


def test_tool_parameters_must_be_an_object_schema() -> None:
    bad = {"type": "function", "function": {"name": "f", "parameters": {"type": "string"}}}
    with pytest.raises(InvalidRequestError):
        body(tools=[bad])


class Answer(BaseModel):
    summary: str


def test_response_format_from_pydantic_and_strict() -> None:
    sent = body(response_format=Answer)
    assert sent["response_format"]["type"] == "json_schema"
    assert sent["response_format"]["json_schema"]["name"] == "Answer"
    assert sent["response_format"]["json_schema"]["schema"]["required"] == ["summary"]
    strict = body(response_format=Answer, strict=True)["response_format"]["json_schema"]
    assert strict["strict"] is True
    assert strict["schema"]["additionalProperties"] is False
    assert body(response_format={"type": "json_object"})["response_format"] == {
        "type": "json_object"
    }


def _tool_turn(reasoning: str) -> AssistantMessage:
    call = ToolCall(id="call_1", name="get_weather", arguments={"city": "Paris"})
    return AssistantMessage(content=None, reasoning=reasoning, tool_calls=[call])


def _history(assistant: Any) -> list[Any]:
    return [
        UserMessage("Weather in Paris?"),
        assistant,
        {"role": "tool", "tool_call_id": "call_1", "content": "sunny"},
    ]


def test_reasoning_goes_back_on_tool_call_turns() -> None:
    sent = body("kimi-k2.5", _history(_tool_turn("I should call the tool.")))
    assistant = sent["messages"][1]
    assert assistant["reasoning_content"] == "I should call the tool."
    assert assistant["tool_calls"] == [
        {
            "id": "call_1",
            "type": "function",
            "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'},
        }
    ]


def test_deepseek_r1_gets_no_reasoning_back_even_on_tool_call_turns() -> None:
    # DeepSeek answers 400 when any input message carries reasoning_content for R1.
    sent = body("deepseek-r1", _history(_tool_turn("hidden")))
    assert "reasoning_content" not in sent["messages"][1]
    assert sent["messages"][1]["tool_calls"]


def test_reasoning_is_dropped_on_plain_turns() -> None:
    plain = AssistantMessage(content="x = 1", reasoning="Let me factor it.")
    sent = body("deepseek-r1", [UserMessage("Solve"), plain, UserMessage("And?")])
    assert sent["messages"][1] == {"role": "assistant", "content": "x = 1"}
    as_dict = {"role": "assistant", "content": "x = 1", "reasoning_content": "Let me factor it."}
    sent = body("deepseek-r1", [UserMessage("Solve"), as_dict, UserMessage("And?")])
    assert "reasoning_content" not in sent["messages"][1]


def test_profile_overrides_the_reasoning_policy() -> None:
    never = get_profile("kimi-k2.5", {"reasoning_on_history": "never"})
    sent = body("kimi-k2.5", _history(_tool_turn("hidden")), profile=never)
    assert "reasoning_content" not in sent["messages"][1]
    always = get_profile("deepseek-r1", {"reasoning_on_history": "always"})
    plain = AssistantMessage(content="ok", reasoning="why")
    sent = body("deepseek-r1", [UserMessage("a"), plain, UserMessage("b")], profile=always)
    assert sent["messages"][1]["reasoning_content"] == "why"


def test_non_serialisable_tool_argument_fails_with_the_call_named() -> None:
    call = ToolCall(id="c", name="save", arguments={"when": object()})
    turn = AssistantMessage(tool_calls=[call])
    with pytest.raises(InvalidRequestError, match="save"):
        body(messages=[UserMessage("x"), turn])


@pytest.mark.parametrize(
    ("name", "value", "said"),
    [
        ("user", 42, "user must be a string"),
        ("service_tier", 5, "service_tier must be a string"),
        ("metadata", {"k": 1}, "metadata must map strings to strings"),
        ("metadata", ["k"], "metadata must map strings to strings"),
        ("logit_bias", "x", "logit_bias must map token ids to numbers from -100 to 100"),
        ("logit_bias", {"50256": 101}, "logit_bias must map token ids"),
        ("logit_bias", {"50256": True}, "logit_bias must map token ids"),
    ],
)
def test_the_passed_through_fields_are_checked(name: str, value: Any, said: str) -> None:
    with pytest.raises(InvalidRequestError, match=said):
        body(**{name: value})


def test_the_passed_through_fields_go_out_as_given() -> None:
    sent = body(user="u-1", service_tier="flex", metadata={"k": "v"}, logit_bias={50256: -100})
    assert (sent["user"], sent["service_tier"]) == ("u-1", "flex")
    assert (sent["metadata"], sent["logit_bias"]) == ({"k": "v"}, {50256: -100})
