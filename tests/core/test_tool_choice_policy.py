"""Specification of the tool-choice policy: a forcing choice the model cannot take.

The profile says which forms a model takes (``accepted_tool_choices``) and the strongest
one for "must call" (``strongest_tool_choice``). A forcing choice outside them is sent in
that form with one ``MixrouteWarning`` per model and form; an answer without a tool call
is asked for once more, then ``ToolCallNotMadeError``; ``tool_choice_fallback="refuse"``
refuses before sending. The gateway plays GLM (a 400 to any ``tool_choice`` but ``"auto"``).
"""

from __future__ import annotations

import asyncio
import warnings
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from support.policy_gateway import PolicyGateway, Reply, text, tool_call

from mixroute import (
    AsyncMixrouteClient,
    ChatCompletion,
    InvalidRequestError,
    MixrouteClient,
    MixrouteError,
    MixrouteWarning,
    ToolCallNotMadeError,
    UserMessage,
    get_profile,
)
from mixroute.answer_policy import plan_request
from mixroute.tool_choice import forget_warnings
from mixroute.tools import function_tool

KEY = "sk-policy-test-0123456789abcdef"
BASE = "https://gw.test/v1"
WEATHER = function_tool(
    "get_weather", {"type": "object", "properties": {"city": {"type": "string"}}}
)
TIME = function_tool("get_time")
ASK = [UserMessage("What is the weather in Paris?")]
CALL = tool_call("get_weather", {"city": "Paris"}, preamble="Let me look.")


@pytest.fixture(autouse=True)
def _fresh_warnings() -> Iterator[None]:
    forget_warnings()
    yield
    forget_warnings()


def sync_client(gateway: PolicyGateway) -> MixrouteClient:
    return MixrouteClient(
        KEY, base_url=BASE, http_client=httpx.Client(transport=gateway.transport())
    )


def async_client(gateway: PolicyGateway) -> AsyncMixrouteClient:
    http = httpx.AsyncClient(transport=gateway.transport())
    return AsyncMixrouteClient(KEY, base_url=BASE, http_client=http)


# --- the profile ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("model", "forms", "must", "named"),
    [
        ("gpt-4o", {"auto", "none", "required", "function"}, "required", "function"),
        ("claude-sonnet-4-5", {"auto", "none", "required", "function"}, "required", "function"),
        ("glm-5", {"auto"}, "auto", "auto"),
        ("kimi-k2", {"auto", "none"}, "auto", "auto"),
        ("deepseek-r1", set(), None, None),
        ("o1-mini", set(), None, None),
    ],
)
def test_the_profile_names_the_forms_and_the_strongest(
    model: str, forms: set[str], must: str | None, named: str | None
) -> None:
    profile = get_profile(model)
    assert profile.accepted_tool_choices == forms
    assert profile.strongest_tool_choice() == must
    strongest = profile.strongest_tool_choice("get_weather")
    if named == "function":
        assert strongest == {"type": "function", "function": {"name": "get_weather"}}
    else:
        assert strongest == named


def test_only_forms_that_exist_are_accepted_when_tool_choice_is_off() -> None:
    profile = get_profile("gpt-4o", {"tool_choice": False})
    assert profile.accepted_tool_choices == frozenset()
    assert profile.strongest_tool_choice("x") is None


# --- the request ---------------------------------------------------------------------


@pytest.mark.parametrize("choice", ["any", "required", True, "get_weather"])
def test_a_forcing_choice_glm_cannot_take_is_sent_as_auto_with_one_warning(choice: Any) -> None:
    with pytest.warns(
        MixrouteWarning, match=r"'glm-5' cannot take (tool_choice|a tool_choice)"
    ) as caught:
        planned = plan_request("glm-5", ASK, tools=[WEATHER, TIME], tool_choice=choice)
    assert len(caught) == 1
    assert planned.body["tool_choice"] == "auto"
    named = choice == "get_weather"
    assert planned.policy.must_call == (("get_weather",) if named else ("get_weather", "get_time"))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a second request of the same form: no warning
        plan_request("glm-5", ASK, tools=[WEATHER, TIME], tool_choice=choice)


def test_the_warning_is_per_model_and_form() -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        plan_request("glm-5", ASK, tools=[WEATHER], tool_choice="required")
        plan_request("glm-5", ASK, tools=[WEATHER], tool_choice="get_weather")
        plan_request("kimi-k2", ASK, tools=[WEATHER], tool_choice="required")
        plan_request("glm-5", ASK, tools=[WEATHER], tool_choice="any")
    assert [w.category for w in caught] == [MixrouteWarning] * 3


def test_a_model_that_takes_no_tool_choice_gets_none_sent() -> None:
    with pytest.warns(MixrouteWarning, match="sending no tool_choice"):
        planned = plan_request("deepseek-r1", ASK, tools=[WEATHER], tool_choice="required")
    assert "tool_choice" not in planned.body
    assert planned.policy.must_call == ("get_weather",)
    quiet = plan_request("deepseek-r1", ASK, tools=[WEATHER], tool_choice="auto")
    assert "tool_choice" not in quiet.body
    assert not quiet.policy.active


def test_a_model_that_takes_the_form_gets_it_as_asked_without_warning() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        planned = plan_request("gpt-4o", ASK, tools=[WEATHER], tool_choice="any")
        named = plan_request("gpt-4o", ASK, tools=[WEATHER], tool_choice="get_weather")
    assert planned.body["tool_choice"] == "required"
    assert named.body["tool_choice"] == {"type": "function", "function": {"name": "get_weather"}}
    assert not planned.policy.active


def test_a_named_choice_on_a_model_with_required_only_forces_required() -> None:
    profile = get_profile("gpt-4o", {"tool_choice_forms": frozenset({"auto", "required"})})
    with pytest.warns(MixrouteWarning):
        planned = plan_request(
            "gpt-4o", ASK, tools=[WEATHER], tool_choice="get_weather", profile=profile
        )
    assert planned.body["tool_choice"] == "required"
    assert not planned.policy.active  # "required" still forces a call: nothing to check


def test_refuse_raises_before_sending() -> None:
    gateway = PolicyGateway("glm-5", [CALL])
    client = sync_client(gateway)
    with pytest.raises(
        InvalidRequestError, match=r"'glm-5' does not support tool_choice 'required'"
    ):
        client.create(
            "glm-5", ASK, tools=[WEATHER], tool_choice="any", tool_choice_fallback="refuse"
        )
    assert gateway.bodies == []


@pytest.mark.parametrize("value", ["strict", "", 1, True])
def test_a_bad_fallback_is_an_invalid_request(value: object) -> None:
    with pytest.raises(
        InvalidRequestError, match="tool_choice_fallback must be 'degrade' or 'refuse'"
    ):
        plan_request("glm-5", ASK, tools=[WEATHER], tool_choice_fallback=value)


def test_none_that_glm_cannot_take_is_still_refused() -> None:
    with pytest.raises(InvalidRequestError, match="does not support tool_choice 'none'"):
        plan_request("glm-5", ASK, tools=[WEATHER], tool_choice="none")


# --- plain answers -------------------------------------------------------------------


def test_glm_any_is_sent_as_auto_and_a_call_is_returned() -> None:
    gateway = PolicyGateway("glm-5", [CALL])
    with pytest.warns(MixrouteWarning):
        answer = sync_client(gateway).create("glm-5", ASK, tools=[WEATHER], tool_choice="any")
    assert [body["tool_choice"] for body in gateway.bodies] == ["auto"]
    assert gateway.refusals == []
    assert answer.message.tool_calls[0].name == "get_weather"


def test_an_answer_without_a_call_is_asked_for_once_more() -> None:
    gateway = PolicyGateway("glm-5", [text("It is sunny."), CALL])
    with pytest.warns(MixrouteWarning):
        answer = sync_client(gateway).create("glm-5", ASK, tools=[WEATHER], tool_choice="any")
    assert answer.message.tool_calls[0].arguments == {"city": "Paris"}
    first, second = gateway.bodies
    assert second["messages"][:-1] == first["messages"]
    instruction = second["messages"][-1]
    assert instruction["role"] == "user"
    assert "get_weather" in instruction["content"]
    assert {k: v for k, v in second.items() if k != "messages"} == {
        k: v for k, v in first.items() if k != "messages"
    }


def test_a_second_answer_without_a_call_raises_naming_the_model_and_what_to_try() -> None:
    gateway = PolicyGateway("glm-5", [text("It is sunny.")])
    with pytest.warns(MixrouteWarning), pytest.raises(ToolCallNotMadeError) as caught:
        sync_client(gateway).create("glm-5", ASK, tools=[WEATHER], tool_choice="get_weather")
    assert len(gateway.bodies) == 2
    error = caught.value
    assert isinstance(error, MixrouteError)
    assert error.model == "glm-5"
    assert error.tools == ("get_weather",)
    assert isinstance(error.raw, ChatCompletion)
    message = str(error)
    assert "'glm-5'" in message
    assert "'required'" in message
    assert "tool_choice_fallback='refuse'" in message


def test_an_answer_cut_off_is_not_asked_for_again() -> None:
    gateway = PolicyGateway("glm-5", [Reply(content="It is", finish_reason="length")])
    with pytest.warns(MixrouteWarning):
        answer = sync_client(gateway).create("glm-5", ASK, tools=[WEATHER], tool_choice="any")
    assert len(gateway.bodies) == 1
    assert answer.finish_reason == "length"


def test_async_create_retries_then_raises() -> None:
    async def run() -> tuple[ChatCompletion, PolicyGateway]:
        good = PolicyGateway("glm-5", [text("Sunny."), CALL])
        answer = await async_client(good).create(
            "glm-5", ASK, tools=[WEATHER], tool_choice="required"
        )
        bad = PolicyGateway("glm-5", [text("Sunny.")])
        with pytest.raises(ToolCallNotMadeError):
            await async_client(bad).create("glm-5", ASK, tools=[WEATHER], tool_choice="required")
        assert len(bad.bodies) == 2
        return answer, good

    with pytest.warns(MixrouteWarning):
        answer, good = asyncio.run(run())
    assert len(good.bodies) == 2
    assert answer.message.tool_calls[0].name == "get_weather"


# --- streamed answers ----------------------------------------------------------------


def _stream_sync(gateway: PolicyGateway, **options: Any) -> tuple[list[Any], Any]:
    with sync_client(gateway).stream("glm-5", ASK, tools=[WEATHER], **options) as stream:
        deltas = list(stream)
        return deltas, stream.completion


def test_a_stream_holds_text_until_a_call_arrives_then_hands_it_out() -> None:
    gateway = PolicyGateway("glm-5", [CALL])
    with pytest.warns(MixrouteWarning):
        deltas, completion = _stream_sync(gateway, tool_choice="any")
    contents = [d.content for d in deltas if d.content]
    calls = [i for i, d in enumerate(deltas) if d.tool_calls]
    texts = [i for i, d in enumerate(deltas) if d.content]
    assert "".join(contents) == "Let me look."
    assert max(texts) <= min(calls)  # handed out when the call began, not before
    assert completion.message.content == "Let me look."
    assert completion.message.tool_calls[0].arguments == {"city": "Paris"}
    assert completion.finish_reason == "tool_calls"


def test_a_stream_without_a_call_is_asked_for_again_and_its_text_never_shown() -> None:
    gateway = PolicyGateway("glm-5", [text("It is sunny in Paris."), CALL])
    with pytest.warns(MixrouteWarning):
        deltas, completion = _stream_sync(gateway, tool_choice="any")
    shown = "".join(d.content or "" for d in deltas)
    assert "sunny" not in shown
    assert shown == "Let me look."
    assert len(gateway.bodies) == 2
    assert gateway.bodies[1]["stream"] is True
    assert completion.message.tool_calls[0].name == "get_weather"
    assert [d.finish_reason for d in deltas if d.finish_reason] == ["tool_calls"]


def test_a_stream_without_a_call_twice_raises_having_shown_nothing() -> None:
    gateway = PolicyGateway("glm-5", [text("It is sunny in Paris.")])
    shown: list[str] = []
    client = sync_client(gateway)
    with (
        pytest.warns(MixrouteWarning),
        pytest.raises(ToolCallNotMadeError),
        client.stream("glm-5", ASK, tools=[WEATHER], tool_choice="any") as stream,
    ):
        shown.extend(d.content or "" for d in stream)
    assert "".join(shown) == ""
    assert len(gateway.bodies) == 2


def test_an_async_stream_retries_and_hands_each_text_out_once() -> None:
    async def run(gateway: PolicyGateway) -> tuple[list[Any], ChatCompletion]:
        client = async_client(gateway)
        async with client.stream("glm-5", ASK, tools=[WEATHER], tool_choice="any") as stream:
            deltas = [delta async for delta in stream]
            return deltas, stream.completion

    gateway = PolicyGateway("glm-5", [text("Sunny and warm."), CALL])
    with pytest.warns(MixrouteWarning):
        deltas, completion = asyncio.run(run(gateway))
    assert "".join(d.content or "" for d in deltas) == "Let me look." == completion.message.content
    assert len(gateway.bodies) == 2

    failing = PolicyGateway("glm-5", [text("Sunny and warm.")])
    with pytest.raises(ToolCallNotMadeError):
        asyncio.run(run(failing))


def test_an_unaffected_stream_is_the_core_stream_itself() -> None:
    from mixroute import ChatStream
    from mixroute.policy_stream import PolicyChatStream

    gateway = PolicyGateway("gpt-4o", [CALL])
    stream = sync_client(gateway).stream("gpt-4o", ASK, tools=[WEATHER], tool_choice="any")
    with stream:
        assert type(stream) is ChatStream
        assert not isinstance(stream, PolicyChatStream)
        list(stream)
    assert gateway.bodies[0]["tool_choice"] == "required"


# --- thinking ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "thinking",
    [
        {"extra_body": {"thinking": {"type": "enabled", "budget_tokens": 2048}}},
        {"reasoning_effort": "high"},
    ],
)
def test_claude_thinking_takes_only_auto_and_none(thinking: dict[str, Any]) -> None:
    assert get_profile("claude-sonnet-4-5").thinking_tool_choice_forms == {"auto", "none"}
    with pytest.warns(MixrouteWarning):
        planned = plan_request(
            "claude-sonnet-4-5", ASK, tools=[WEATHER], tool_choice="required", **thinking
        )
    assert planned.body["tool_choice"] == "auto"
    assert planned.policy.must_call == ("get_weather",)
    plain = plan_request("claude-sonnet-4-5", ASK, tools=[WEATHER], tool_choice="required")
    assert plain.body["tool_choice"] == "required"


def test_the_error_survives_a_pickle_as_it_crosses_to_another_process() -> None:
    import pickle

    error = ToolCallNotMadeError("glm-5", ("get_weather",))
    again = pickle.loads(pickle.dumps(error))
    assert (again.model, again.tools, str(again)) == ("glm-5", ("get_weather",), str(error))


def test_the_thinking_forms_can_be_overridden_from_plain_data() -> None:
    # As a TOML or JSON file gives them: a list. gpt-5.1 takes any reasoning_effort.
    profile = get_profile("gpt-5.1", {"thinking_tool_choice_forms": ["auto"]})
    assert profile.thinking_tool_choice_forms == frozenset({"auto"})
    options: dict[str, Any] = {"tools": [WEATHER], "tool_choice": "any", "profile": profile}
    with pytest.warns(MixrouteWarning):
        thinking = plan_request("gpt-5.1", ASK, reasoning_effort="high", **options)
    assert thinking.body["tool_choice"] == "auto"
    assert plan_request("gpt-5.1", ASK, **options).body["tool_choice"] == "required"


def test_a_policy_stream_closed_early_closes_its_response() -> None:
    gateway = PolicyGateway("glm-5", [CALL])
    with pytest.warns(MixrouteWarning):
        stream = sync_client(gateway).stream("glm-5", ASK, tools=[WEATHER], tool_choice="any")
    for delta in stream:
        if delta.tool_calls:
            stream.close()
    assert stream.response.is_closed
    assert len(gateway.bodies) == 1


def test_one_record_serves_the_tool_choice_and_the_capability_warnings() -> None:
    def warned() -> list[str]:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            plan_request("glm-5", ASK, tools=[WEATHER], tool_choice="required")
            plan_request("o1-mini", ASK, tools=[WEATHER])
        return [str(w.message).split(";")[0].split(", but")[0] for w in caught]

    said = [
        "Model 'glm-5' cannot take tool_choice 'required'",
        "Model 'o1-mini' was sent tools",
    ]
    assert warned() == said
    assert warned() == []  # once per model and kind, for both
    forget_warnings()
    assert warned() == said
