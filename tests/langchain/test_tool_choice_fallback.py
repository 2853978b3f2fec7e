"""ChatMixroute and the core's answer policy: a weakened ``tool_choice``, an emulated format.

``bind_tools(tool_choice="any")`` on GLM (which answers 400 to anything but ``"auto"``)
warns once and sends ``"auto"``, as ``create_agent`` binds; ``tool_choice_fallback``
("degrade" or "refuse") and ``emulate_response_format`` are fields and per-call options.
``create_agent`` runs against a gateway that plays the vendor (:mod:`support.policy_gateway`).
"""

from __future__ import annotations

import asyncio
import json
import warnings
from typing import Any

import httpx
import pytest
from langchain.agents import create_agent
from langchain_core.messages import HumanMessage
from langchain_core.tools import tool
from pydantic import BaseModel
from support.policy_gateway import PolicyGateway, text, tool_call

from langchain_mixroute import ChatMixroute
from mixroute import (
    ConfigurationError,
    InvalidRequestError,
    MixrouteWarning,
    ToolCallNotMadeError,
)
from mixroute.tool_choice import forget_warnings

KEY = "sk-lc-fallback-0123456789abcdef"
ANSWER = {"city": "Paris", "sky": "sunny"}


class Weather(BaseModel):
    """The weather in a city."""

    city: str
    sky: str


@tool
def get_weather(city: str) -> str:
    """Get weather information by city."""
    return "sunny"


@pytest.fixture(autouse=True)
def _fresh_warnings() -> None:
    forget_warnings()


def model_on(gateway: PolicyGateway, **settings: Any) -> ChatMixroute:
    transport = gateway.transport()
    return ChatMixroute(
        model=gateway.model,
        api_key=KEY,
        max_retries=0,
        http_client=httpx.Client(transport=transport),
        http_async_client=httpx.AsyncClient(transport=transport),
        **settings,
    )


def test_glm_bind_tools_any_warns_once_and_sends_auto() -> None:
    gateway = PolicyGateway("glm-5", [tool_call("get_weather", {"city": "Paris"})])
    bound = model_on(gateway).bind_tools([get_weather], tool_choice="any")
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        first = bound.invoke("Weather in Paris?")
        second = bound.invoke("Weather in Paris?")
    assert [w.category for w in seen] == [MixrouteWarning]
    assert "'glm-5' cannot take tool_choice 'required'" in str(seen[0].message)
    assert [body["tool_choice"] for body in gateway.bodies] == ["auto", "auto"]
    assert gateway.refusals == []
    assert first.tool_calls[0]["name"] == second.tool_calls[0]["name"] == "get_weather"


def test_glm_retries_once_then_raises() -> None:
    gateway = PolicyGateway("glm-5", [text("Sunny."), tool_call("get_weather", {"city": "P"})])
    bound = model_on(gateway).bind_tools([get_weather], tool_choice="get_weather")
    with pytest.warns(MixrouteWarning):
        answer = bound.invoke("Weather in Paris?")
    assert answer.tool_calls[0]["args"] == {"city": "P"}
    assert len(gateway.bodies) == 2
    never = PolicyGateway("glm-5", [text("Sunny.")])
    never_bound = model_on(never).bind_tools([get_weather], tool_choice="any")
    with pytest.warns(MixrouteWarning), pytest.raises(ToolCallNotMadeError, match="'glm-5'"):
        never_bound.invoke("Weather in Paris?")
    assert len(never.bodies) == 2


def test_a_glm_stream_shows_no_text_of_the_answer_that_was_asked_again() -> None:
    gateway = PolicyGateway(
        "glm-5", [text("Sunny."), tool_call("get_weather", {"city": "P"}, preamble="Ok.")]
    )
    bound = model_on(gateway).bind_tools([get_weather], tool_choice="any")
    with pytest.warns(MixrouteWarning):
        chunks = list(bound.stream("Weather in Paris?"))
    whole = chunks[0]
    for chunk in chunks[1:]:
        whole = whole + chunk
    assert whole.content == "Ok."
    assert whole.tool_calls[0]["name"] == "get_weather"


def test_refuse_raises_at_bind_time_and_per_call_before_sending() -> None:
    gateway = PolicyGateway("glm-5", [tool_call("get_weather", {"city": "P"})])
    refusing = model_on(gateway, tool_choice_fallback="refuse")
    with pytest.raises(InvalidRequestError, match="does not support tool_choice 'required'"):
        refusing.bind_tools([get_weather], tool_choice="any")
    bound = model_on(gateway).bind_tools([get_weather], tool_choice="any")
    with pytest.raises(InvalidRequestError, match="does not support tool_choice 'required'"):
        bound.invoke("Weather?", tool_choice_fallback="refuse")
    assert gateway.bodies == []


def test_a_bad_setting_is_a_configuration_error_and_a_bad_call_option_an_invalid_request() -> None:
    gateway = PolicyGateway("glm-5", [text("Hi")])
    with pytest.raises(ConfigurationError, match="tool_choice_fallback must be"):
        model_on(gateway, tool_choice_fallback="sometimes")
    with pytest.raises(ConfigurationError, match="emulate_response_format must be"):
        model_on(gateway, emulate_response_format="yes")
    with pytest.raises(InvalidRequestError, match="tool_choice_fallback must be"):
        model_on(gateway).invoke("Hi", tool_choice_fallback="sometimes")
    assert gateway.bodies == []


def test_create_agent_on_glm_with_a_response_format_and_tools() -> None:
    gateway = PolicyGateway(
        "glm-5",
        [tool_call("get_weather", {"city": "Paris"}), tool_call("Weather", ANSWER)],
    )
    agent = create_agent(model_on(gateway), tools=[get_weather], response_format=Weather)
    with pytest.warns(MixrouteWarning):
        result = agent.invoke({"messages": [HumanMessage("Weather in Paris?")]})
    assert result["structured_response"] == Weather(**ANSWER)
    assert gateway.refusals == []
    assert all(body["tool_choice"] == "auto" for body in gateway.bodies)


def test_create_agent_on_claude_provider_strategy_gets_json_content() -> None:
    # LangChain picks ProviderStrategy for "claude" from its own list of names; Claude
    # drops response_format, so the core emulates it with a schema tool beside the tools.
    gateway = PolicyGateway(
        "claude-sonnet-4-5-20250929",
        [tool_call("get_weather", {"city": "Paris"}), tool_call("Weather", ANSWER)],
    )
    agent = create_agent(model_on(gateway), tools=[get_weather], response_format=Weather)
    with warnings.catch_warnings():
        warnings.simplefilter("error", MixrouteWarning)
        result = agent.invoke({"messages": [HumanMessage("Weather in Paris?")]})
    assert result["structured_response"] == Weather(**ANSWER)
    names = [[t["function"]["name"] for t in body["tools"]] for body in gateway.bodies]
    assert names == [["get_weather", "Weather"], ["get_weather", "Weather"]]
    assert all("response_format" not in body for body in gateway.bodies)


def test_create_agent_on_claude_without_tools() -> None:
    gateway = PolicyGateway("claude-sonnet-4-5-20250929", [tool_call("Weather", ANSWER)])
    agent = create_agent(model_on(gateway), response_format=Weather)
    result = agent.invoke({"messages": [HumanMessage("Weather in Paris?")]})
    assert result["structured_response"] == Weather(**ANSWER)
    assert gateway.bodies[0]["tool_choice"] == {"type": "function", "function": {"name": "Weather"}}


def test_json_schema_structured_output_streams_as_content_on_deepseek() -> None:
    gateway = PolicyGateway("deepseek-chat", [tool_call("Weather", ANSWER)])
    structured = model_on(gateway).with_structured_output(Weather, method="json_schema")
    parsed = list(structured.stream("Weather in Paris?"))
    assert parsed[-1] == Weather(**ANSWER)
    assert structured.invoke("Weather in Paris?") == Weather(**ANSWER)
    assert all("response_format" not in body for body in gateway.bodies)


def test_emulation_off_sends_the_format_as_given() -> None:
    gateway = PolicyGateway("claude-sonnet-4-5", [text(json.dumps(ANSWER))])
    llm = model_on(gateway, emulate_response_format=False)
    answer = asyncio.run(llm.bind(response_format=Weather).ainvoke("Weather?"))
    assert json.loads(str(answer.content)) == ANSWER
    assert gateway.bodies[0]["response_format"]["type"] == "json_schema"
    assert "tools" not in gateway.bodies[0]
