"""Specification of mixroute.answer_policy: ``response_format`` on a model without json_schema.

The best method the profile supports carries it out, and the JSON comes back as content:
a schema tool forced when it is the only tool (weakened, with a retry, where the model
cannot force it), offered beside the user's tools otherwise, and JSON mode with the schema
in the system prompt on a model without tool calling. The gateway plays the vendors
(Claude drops ``response_format``; DeepSeek, GLM, ... answer 400 to ``json_schema``).
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
from typing import Any

import httpx
import pytest
from pydantic import BaseModel
from support.policy_gateway import PolicyGateway, text, tool_call

from mixroute import (
    AsyncMixrouteClient,
    ChatCompletion,
    InvalidRequestError,
    MixrouteClient,
    SystemMessage,
    ToolCallNotMadeError,
    UserMessage,
    build_request_body,
    get_profile,
)
from mixroute.answer_policy import NO_POLICY, AnswerPolicy, plan_request
from mixroute.policy_stream import PolicyChatStream
from mixroute.tool_choice import forget_warnings
from mixroute.tools import function_tool

KEY = "sk-answer-policy-0123456789abcdef"
BASE = "https://gw.test/v1"
ASK = [UserMessage("What is the weather in Paris?")]
WEATHER_TOOL = function_tool(
    "get_weather", {"type": "object", "properties": {"city": {"type": "string"}}}
)
ANSWER = {"city": "Paris", "sky": "sunny"}


class Weather(BaseModel):
    """The weather in a city."""

    city: str
    sky: str


@pytest.fixture(autouse=True)
def _fresh_warnings() -> None:
    forget_warnings()


def sync_client(gateway: PolicyGateway) -> MixrouteClient:
    return MixrouteClient(
        KEY, base_url=BASE, http_client=httpx.Client(transport=gateway.transport())
    )


def async_client(gateway: PolicyGateway) -> AsyncMixrouteClient:
    http = httpx.AsyncClient(transport=gateway.transport())
    return AsyncMixrouteClient(KEY, base_url=BASE, http_client=http)


# --- the plan ------------------------------------------------------------------------


def test_a_model_with_json_schema_gets_response_format_as_given() -> None:
    planned = plan_request("gpt-4o", ASK, response_format=Weather)
    assert planned.body["response_format"]["json_schema"]["name"] == "Weather"
    assert "tools" not in planned.body
    assert planned.policy is NO_POLICY


@pytest.mark.parametrize(
    ("model", "choice"),
    [
        ("deepseek-chat", {"type": "function", "function": {"name": "Weather"}}),
        ("claude-sonnet-4-5", {"type": "function", "function": {"name": "Weather"}}),
        ("deepseek-r1", None),
    ],
)
def test_the_schema_tool_alone_is_forced_as_strongly_as_the_model_takes(
    model: str, choice: object
) -> None:
    planned = plan_request(model, ASK, response_format=Weather)
    body = planned.body
    assert "response_format" not in body
    assert [tool["function"]["name"] for tool in body["tools"]] == ["Weather"]
    assert body["tools"][0]["function"]["parameters"]["required"] == ["city", "sky"]
    assert body.get("tool_choice") == choice
    assert planned.policy.schema_tool == "Weather"
    weakened = choice in ("auto", None)
    assert planned.policy.must_call == (("Weather",) if weakened else ())


def test_the_schema_tool_goes_beside_the_users_tools_unforced() -> None:
    planned = plan_request("claude-sonnet-4-5", ASK, tools=[WEATHER_TOOL], response_format=Weather)
    names = [tool["function"]["name"] for tool in planned.body["tools"]]
    assert names == ["get_weather", "Weather"]
    assert "tool_choice" not in planned.body
    assert planned.policy.schema_tool == "Weather"
    assert planned.policy.must_call == ()


def test_a_schema_named_like_a_user_tool_gets_another_name() -> None:
    same = function_tool("Weather")
    planned = plan_request("claude-sonnet-4-5", ASK, tools=[same], response_format=Weather)
    names = [tool["function"]["name"] for tool in planned.body["tools"]]
    assert names == ["Weather", "Weather_answer"]
    assert planned.policy.schema_tool == "Weather_answer"


@pytest.mark.parametrize("model", ["o1-mini", "gemini-2.0-flash-thinking"])
def test_a_model_without_tools_or_json_mode_gets_the_schema_in_the_prompt(model: str) -> None:
    planned = plan_request(model, ASK, response_format=Weather)
    body = planned.body
    assert "tools" not in body
    assert "response_format" not in body
    system = body["messages"][0]
    assert system["role"] == "system"
    assert json.loads(system["content"].split("\n", 1)[1])["required"] == ["city", "sky"]
    assert body["messages"][1:] == [{"role": "user", "content": "What is the weather in Paris?"}]
    assert not planned.policy.active


def test_a_model_without_tools_but_with_json_mode_gets_json_object_and_the_prompt() -> None:
    profile = dataclasses.replace(get_profile("deepseek-chat"), tool_calling=False)
    messages = [SystemMessage("You are terse."), *ASK]
    body = plan_request("deepseek-chat", messages, response_format=Weather, profile=profile).body
    assert body["response_format"] == {"type": "json_object"}
    system = body["messages"][0]["content"]
    assert system.startswith("You are terse.\n\nAnswer with a single JSON object")
    assert '"sky"' in system
    assert len(body["messages"]) == 2


def test_emulation_off_sends_response_format_as_given() -> None:
    body = plan_request(
        "deepseek-chat", ASK, response_format=Weather, emulate_response_format=False
    ).body
    assert body["response_format"]["type"] == "json_schema"
    assert "tools" not in body


def test_json_object_and_text_formats_are_not_emulated() -> None:
    body = plan_request("deepseek-chat", ASK, response_format="json_object").body
    assert body["response_format"] == {"type": "json_object"}
    assert "tools" not in body


def test_a_bad_emulate_value_is_an_invalid_request() -> None:
    with pytest.raises(InvalidRequestError, match="emulate_response_format must be true or false"):
        plan_request("deepseek-chat", ASK, response_format=Weather, emulate_response_format="no")


def test_a_forcing_choice_without_tools_is_still_refused() -> None:
    with pytest.raises(InvalidRequestError, match="needs tools"):
        plan_request("deepseek-chat", ASK, response_format=Weather, tool_choice="required")


def test_build_request_body_is_the_planned_body() -> None:
    for model in ("glm-5", "claude-sonnet-4-5", "o1-mini", "gpt-4o"):
        assert build_request_body(model, ASK, response_format=Weather) == (
            plan_request(model, ASK, response_format=Weather).body
        )


# --- plain answers -------------------------------------------------------------------


def test_deepseek_answers_with_the_schema_call_as_content() -> None:
    gateway = PolicyGateway("deepseek-chat", [tool_call("Weather", ANSWER)])
    answer = sync_client(gateway).create("deepseek-chat", ASK, response_format=Weather)
    assert gateway.refusals == []
    assert json.loads(answer.message.content or "") == ANSWER
    assert answer.message.tool_calls == []
    assert answer.finish_reason == "stop"
    Weather.model_validate_json(answer.message.content or "")


def test_claude_beside_user_tools_keeps_their_calls_and_turns_the_schema_call_to_content() -> None:
    gateway = PolicyGateway(
        "claude-sonnet-4-5",
        [tool_call("get_weather", {"city": "Paris"}), tool_call("Weather", ANSWER, preamble="Ok.")],
    )
    client = sync_client(gateway)
    options: dict[str, Any] = {"tools": [WEATHER_TOOL], "response_format": Weather}
    first = client.create("claude-sonnet-4-5", ASK, **options)
    assert [call.name for call in first.message.tool_calls] == ["get_weather"]
    assert first.finish_reason == "tool_calls"
    second = client.create("claude-sonnet-4-5", ASK, **options)
    assert json.loads(second.message.content or "") == ANSWER
    assert second.message.tool_calls == []
    assert second.finish_reason == "stop"


@pytest.mark.parametrize("model", ["glm-5", "kimi-k2"])
def test_json_mode_with_the_schema_in_the_prompt_where_no_tool_can_be_forced(model: str) -> None:
    # GLM and Kimi take no forcing tool_choice but have JSON mode: the profile's method.
    assert get_profile(model).structured_output_method == "json_mode"
    planned = plan_request(model, ASK, response_format=Weather)
    assert planned.body["response_format"] == {"type": "json_object"}
    assert "tools" not in planned.body
    assert '"sky"' in planned.body["messages"][0]["content"]
    gateway = PolicyGateway(model, [text(json.dumps(ANSWER))])
    answer = sync_client(gateway).create(model, ASK, response_format=Weather)
    assert json.loads(answer.message.content or "") == ANSWER
    assert gateway.refusals == []


def test_r1_asks_once_more_when_the_schema_tool_was_not_called() -> None:
    gateway = PolicyGateway("deepseek-r1", [text("It is sunny."), tool_call("Weather", ANSWER)])
    answer = sync_client(gateway).create("deepseek-r1", ASK, response_format=Weather)
    assert json.loads(answer.message.content or "") == ANSWER
    assert len(gateway.bodies) == 2
    assert "'Weather'" in gateway.bodies[1]["messages"][-1]["content"]
    assert gateway.refusals == []


def test_r1_json_text_instead_of_the_call_is_taken_as_it_is() -> None:
    gateway = PolicyGateway("deepseek-r1", [text(json.dumps(ANSWER))])
    answer = sync_client(gateway).create("deepseek-r1", ASK, response_format=Weather)
    assert json.loads(answer.message.content or "") == ANSWER
    assert len(gateway.bodies) == 1


def test_r1_prose_twice_raises() -> None:
    gateway = PolicyGateway("deepseek-r1", [text("It is sunny.")])
    with pytest.raises(ToolCallNotMadeError, match="'deepseek-r1'"):
        sync_client(gateway).create("deepseek-r1", ASK, response_format=Weather)


def test_async_create_turns_the_schema_call_to_content() -> None:
    gateway = PolicyGateway("deepseek-r1", [text("Hmm."), tool_call("Weather", ANSWER)])
    client = async_client(gateway)
    answer = asyncio.run(client.create("deepseek-r1", ASK, response_format=Weather))
    assert json.loads(answer.message.content or "") == ANSWER
    assert answer.finish_reason == "stop"


# --- streamed answers ----------------------------------------------------------------


def test_a_stream_turns_the_schema_arguments_into_content_deltas() -> None:
    gateway = PolicyGateway("deepseek-chat", [tool_call("Weather", ANSWER, preamble="Sure: ")])
    with sync_client(gateway).stream("deepseek-chat", ASK, response_format=Weather) as stream:
        deltas = list(stream)
        completion = stream.completion
    assert all(d.tool_calls is None for d in deltas)
    pieces = [d.content for d in deltas if d.content]
    assert len(pieces) > 1  # streamed in fragments, not at the end
    assert json.loads("".join(pieces)) == ANSWER
    assert [d.finish_reason for d in deltas if d.finish_reason] == ["stop"]
    assert completion.message.content == "".join(pieces)
    assert completion.message.tool_calls == []
    assert completion.finish_reason == "stop"


def test_a_stream_beside_user_tools_keeps_their_call_deltas() -> None:
    gateway = PolicyGateway(
        "claude-sonnet-4-5", [tool_call("get_weather", {"city": "Paris"}, preamble="Checking.")]
    )
    client = sync_client(gateway)
    with client.stream(
        "claude-sonnet-4-5", ASK, tools=[WEATHER_TOOL], response_format=Weather
    ) as stream:
        deltas = list(stream)
        completion = stream.completion
    assert "".join(d.content or "" for d in deltas) == "Checking."
    assert any(d.tool_calls for d in deltas)
    assert completion.message.tool_calls[0].name == "get_weather"
    assert completion.finish_reason == "tool_calls"


def test_a_stream_of_prose_beside_user_tools_is_handed_out_at_the_end() -> None:
    gateway = PolicyGateway("claude-sonnet-4-5", [text("Just prose.")])
    with sync_client(gateway).stream(
        "claude-sonnet-4-5", ASK, tools=[WEATHER_TOOL], response_format=Weather
    ) as stream:
        shown = "".join(d.content or "" for d in stream)
        completion = stream.completion
    assert shown == "Just prose." == completion.message.content
    assert completion.finish_reason == "stop"


@dataclasses.dataclass(frozen=True)
class CountingPolicy(AnswerPolicy):
    """The real policy, keeping each completion its ``finish`` shaped."""

    shaped: list[ChatCompletion] = dataclasses.field(default_factory=list)

    def finish(self, completion: ChatCompletion) -> ChatCompletion:
        self.shaped.append(completion)
        return super().finish(completion)


def test_a_finished_stream_is_shaped_once_and_read_as_the_same_completion() -> None:
    gateway = PolicyGateway("deepseek-chat", [tool_call("Weather", ANSWER)])
    policy = CountingPolicy("deepseek-chat", schema_tool="Weather")
    with sync_client(gateway).stream("deepseek-chat", ASK, tools=[WEATHER_TOOL]) as inner:
        stream = PolicyChatStream(inner, policy, gateway.bodies[0], lambda body: inner)
        shown = "".join(delta.content or "" for delta in stream)
        first, again = stream.message, stream.message
        completion = stream.completion
    assert json.loads(shown) == ANSWER == json.loads(first.content or "")
    assert first is again is completion.message
    assert stream.completion is completion
    assert policy.shaped == [completion]  # the policy ran once, on the completion read


def test_an_async_stream_once_ended_returns_the_same_completion() -> None:
    async def run() -> tuple[ChatCompletion, ChatCompletion, Any]:
        gateway = PolicyGateway("deepseek-chat", [tool_call("Weather", ANSWER)])
        opener = async_client(gateway).stream("deepseek-chat", ASK, response_format=Weather)
        async with opener as stream:
            async for _ in stream:
                pass
            return stream.completion, stream.completion, stream.message

    first, again, message = asyncio.run(run())
    assert first is again
    assert message is first.message
    assert json.loads(message.content or "") == ANSWER


def test_an_async_stream_retries_on_r1_and_streams_the_json() -> None:
    async def run() -> tuple[str, ChatCompletion]:
        gateway = PolicyGateway("deepseek-r1", [text("Sunny."), tool_call("Weather", ANSWER)])
        opener = async_client(gateway).stream("deepseek-r1", ASK, response_format=Weather)
        async with opener as stream:
            shown = "".join([delta.content or "" async for delta in stream])
            assert len(gateway.bodies) == 2
            return shown, stream.completion

    shown, completion = asyncio.run(run())
    assert json.loads(shown) == ANSWER
    assert completion.message.content == shown
    assert completion.finish_reason == "stop"


def test_gemini_2_with_tools_gets_the_schema_tool_instead_of_json_schema() -> None:
    # Gemini 2.x refuses function tools beside a JSON response; Gemini 3 takes both.
    paired = plan_request("gemini-2.5-flash", ASK, tools=[WEATHER_TOOL], response_format=Weather)
    assert "response_format" not in paired.body
    assert [t["function"]["name"] for t in paired.body["tools"]] == ["get_weather", "Weather"]
    alone = plan_request("gemini-2.5-flash", ASK, response_format=Weather)
    assert alone.body["response_format"]["type"] == "json_schema"
    three = plan_request("gemini-3-pro", ASK, tools=[WEATHER_TOOL], response_format=Weather)
    assert three.body["response_format"]["type"] == "json_schema"


def test_claude_thinking_asks_again_for_the_schema_tool_it_cannot_be_forced_to_call() -> None:
    thinking = {"thinking": {"type": "enabled", "budget_tokens": 2048}}
    planned = plan_request("claude-sonnet-4-5", ASK, response_format=Weather, extra_body=thinking)
    assert planned.body["tool_choice"] == "auto"
    assert planned.policy.must_call == ("Weather",)
