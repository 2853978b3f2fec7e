"""Mixroute (LlamaIndex) and the core's answer policy: a weakened ``tool_choice``, an emulated format.

``tool_required`` or a forcing ``tool_choice`` on GLM (a 400 to anything but ``"auto"``)
warns once and sends ``"auto"``, asking once more when no tool is called;
``tool_choice_fallback`` and ``emulate_response_format`` are settings and call options.
The gateway plays the vendor (:mod:`support.policy_gateway`).
"""

from __future__ import annotations

import asyncio
import json
import warnings
from typing import Any

import httpx
import pytest
from llama_index.core.base.llms.types import ChatMessage
from llama_index.core.tools import FunctionTool
from pydantic import BaseModel
from support.policy_gateway import PolicyGateway, text, tool_call

from llama_index_mixroute import Mixroute
from mixroute import (
    ConfigurationError,
    InvalidRequestError,
    MixrouteWarning,
    ToolCallNotMadeError,
)
from mixroute.tool_choice import forget_warnings

KEY = "sk-llama-fallback-0123456789abcdef"
ANSWER = {"city": "Paris", "sky": "sunny"}
ASK = [ChatMessage(role="user", content="Weather in Paris?")]


class Weather(BaseModel):
    """The weather in a city."""

    city: str
    sky: str


def get_weather(city: str) -> str:
    """Get weather information by city."""
    return "sunny"


WEATHER_TOOL = FunctionTool.from_defaults(fn=get_weather)


@pytest.fixture(autouse=True)
def _fresh_warnings() -> None:
    forget_warnings()


def llm_on(gateway: PolicyGateway, **settings: Any) -> Mixroute:
    transport = gateway.transport()
    return Mixroute(
        gateway.model,
        api_key=KEY,
        max_retries=0,
        http_client=httpx.Client(transport=transport),
        async_http_client=httpx.AsyncClient(transport=transport),
        **settings,
    )


def test_tool_required_on_glm_warns_once_sends_auto_and_asks_again() -> None:
    gateway = PolicyGateway("glm-5", [text("Sunny."), tool_call("get_weather", {"city": "P"})])
    llm = llm_on(gateway)
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        response = llm.chat_with_tools([WEATHER_TOOL], user_msg="Weather?", tool_required=True)
        llm.chat_with_tools([WEATHER_TOOL], user_msg="Weather?", tool_required=True)
    assert [w.category for w in seen] == [MixrouteWarning]
    assert "'glm-5' cannot take tool_choice 'required'" in str(seen[0].message)
    assert [body["tool_choice"] for body in gateway.bodies] == ["auto", "auto", "auto"]
    assert gateway.refusals == []
    selections = llm.get_tool_calls_from_response(response)
    assert selections[0].tool_name == "get_weather"
    assert "get_weather" in gateway.bodies[1]["messages"][-1]["content"]


def test_a_named_choice_never_called_raises_after_one_retry() -> None:
    gateway = PolicyGateway("glm-5", [text("Sunny.")])
    with pytest.warns(MixrouteWarning), pytest.raises(ToolCallNotMadeError, match="'glm-5'"):
        llm_on(gateway).chat_with_tools(
            [WEATHER_TOOL], user_msg="Weather?", tool_choice="get_weather"
        )
    assert len(gateway.bodies) == 2


def test_a_streamed_retry_shows_only_the_answer_that_called() -> None:
    gateway = PolicyGateway(
        "glm-5", [text("Sunny."), tool_call("get_weather", {"city": "P"}, preamble="Ok.")]
    )
    with pytest.warns(MixrouteWarning):
        responses = list(
            llm_on(gateway).stream_chat_with_tools(
                [WEATHER_TOOL], user_msg="Weather?", tool_required=True
            )
        )
    deltas = "".join(response.delta or "" for response in responses)
    assert deltas == "Ok."
    assert responses[-1].message.content == "Ok."
    assert len(gateway.bodies) == 2


def test_refuse_as_a_setting_or_per_call_raises_before_sending() -> None:
    gateway = PolicyGateway("glm-5", [tool_call("get_weather", {"city": "P"})])
    with pytest.raises(InvalidRequestError, match="does not support tool_choice 'required'"):
        llm_on(gateway, tool_choice_fallback="refuse").chat_with_tools(
            [WEATHER_TOOL], user_msg="Weather?", tool_required=True
        )
    with pytest.raises(InvalidRequestError, match="does not support tool_choice 'required'"):
        llm_on(gateway).chat_with_tools(
            [WEATHER_TOOL],
            user_msg="Weather?",
            tool_choice="required",
            tool_choice_fallback="refuse",
        )
    assert gateway.bodies == []


def test_bad_values_are_a_configuration_error_as_settings_and_invalid_per_call() -> None:
    gateway = PolicyGateway("glm-5", [text("Hi")])
    with pytest.raises(ConfigurationError, match="tool_choice_fallback must be"):
        llm_on(gateway, tool_choice_fallback="never")
    with pytest.raises(ConfigurationError, match="emulate_response_format must be"):
        llm_on(gateway, emulate_response_format="on")
    with pytest.raises(InvalidRequestError, match="tool_choice_fallback must be"):
        llm_on(gateway).chat(ASK, tool_choice_fallback="never")
    assert gateway.bodies == []


def test_a_response_format_on_claude_comes_back_as_json_content() -> None:
    gateway = PolicyGateway("claude-sonnet-4-5", [tool_call("Weather", ANSWER, preamble="Ok.")])
    llm = llm_on(gateway)
    response = llm.chat(ASK, response_format=Weather)
    assert json.loads(response.message.content or "") == ANSWER
    streamed = list(llm.stream_chat(ASK, response_format=Weather))
    assert len([r for r in streamed if r.delta]) > 1
    assert json.loads(streamed[-1].message.content or "") == ANSWER
    assert all("response_format" not in body for body in gateway.bodies)


def test_an_async_response_format_on_r1_asks_again_for_the_schema_call() -> None:
    gateway = PolicyGateway("deepseek-r1", [text("Sunny."), tool_call("Weather", ANSWER)])
    response = asyncio.run(llm_on(gateway).achat(ASK, response_format=Weather))
    assert Weather.model_validate_json(response.message.content or "") == Weather(**ANSWER)
    assert len(gateway.bodies) == 2


def test_emulation_off_as_a_setting_sends_the_format_as_given() -> None:
    gateway = PolicyGateway("claude-sonnet-4-5", [text(json.dumps(ANSWER))])
    llm_on(gateway, emulate_response_format=False).chat(ASK, response_format=Weather)
    assert gateway.bodies[0]["response_format"]["type"] == "json_schema"
    assert "tools" not in gateway.bodies[0]


def test_structured_predict_on_deepseek_r1_without_tool_choice() -> None:
    # deepseek-r1 refuses the tool_choice field: the core's schema tool is offered without
    # it (quietly: the forcing is the core's, not the caller's), and asked for once more
    # when the first answer is prose.
    from llama_index.core.prompts import PromptTemplate

    gateway = PolicyGateway("deepseek-r1", [text("Hmm."), tool_call("Weather", ANSWER)])
    with warnings.catch_warnings():
        warnings.simplefilter("error", MixrouteWarning)
        weather = llm_on(gateway).structured_predict(Weather, PromptTemplate("Weather in Paris?"))
    assert weather == Weather(**ANSWER)
    assert all("tool_choice" not in body for body in gateway.bodies)
    assert len(gateway.bodies) == 2
