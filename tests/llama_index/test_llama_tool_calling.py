"""Specification of function calling: tools, tool_choice, tool_required, parallel calls,
strict schemas, server tools, and reading the calls back (malformed ones included)."""

from __future__ import annotations

from typing import Any

import pytest
from llama_index.core.base.llms.types import ChatMessage, ChatResponse, TextBlock, ToolCallBlock
from llama_index.core.tools import FunctionTool
from scripted_gateway import ScriptedGateway, completion, sse, tool_call, tool_calls_answer

from mixroute import InvalidRequestError

WEB_SEARCH = {"type": "web_search_20250305", "name": "web_search", "max_uses": 5}


def get_weather(city: str) -> str:
    """Get weather information by city."""
    return f"Sunny in {city}"


def get_time(zone: str) -> str:
    """Get the time in a time zone."""
    return "12:00"


WEATHER = FunctionTool.from_defaults(fn=get_weather)
TIME = FunctionTool.from_defaults(fn=get_time)
WEATHER_SPEC = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": WEATHER.metadata.description,  # LlamaIndex's: signature and docstring
        "parameters": {
            "type": "object",
            "properties": {"city": {"title": "City", "type": "string"}},
            "required": ["city"],
        },
    },
}
SHANGHAI = tool_calls_answer(tool_call("call_1", "get_weather", {"city": "Shanghai"}))


def sent_with_tools(
    model: str = "gpt-4o", settings: dict[str, Any] | None = None, **call: Any
) -> dict[str, Any]:
    gateway = ScriptedGateway(SHANGHAI)
    gateway.llm(model, **(settings or {})).chat_with_tools(
        [WEATHER], user_msg="Weather in Shanghai?", **call
    )
    body: dict[str, Any] = gateway.bodies[0]
    return body


def test_chat_with_tools_sends_the_tools_auto_and_no_parallel_calls() -> None:
    assert sent_with_tools() == {
        "model": "gpt-4o",
        "messages": [{"role": "user", "content": "Weather in Shanghai?"}],
        "tools": [WEATHER_SPEC],
        "tool_choice": "auto",
        "parallel_tool_calls": False,
    }


@pytest.mark.parametrize(
    ("call", "choice"),
    [
        ({"tool_required": True}, "required"),
        ({"tool_choice": "none"}, "none"),
        ({"tool_choice": "required"}, "required"),
        ({"tool_choice": "get_weather"}, {"type": "function", "function": {"name": "get_weather"}}),
        (
            {"tool_choice": {"type": "function", "function": {"name": "get_weather"}}},
            {"type": "function", "function": {"name": "get_weather"}},
        ),
    ],
)
def test_tool_choice_forms(call: dict[str, Any], choice: Any) -> None:
    assert sent_with_tools(**call)["tool_choice"] == choice


def test_a_tool_choice_naming_no_tool_is_refused() -> None:
    with pytest.raises(InvalidRequestError, match="function tools available: get_weather"):
        sent_with_tools(tool_choice="get_time")


def test_tool_required_within_what_the_model_takes() -> None:
    assert sent_with_tools("glm-5", tool_required=True)["tool_choice"] == "auto"  # auto only
    assert "tool_choice" not in sent_with_tools("deepseek-r1", tool_required=True)  # no field


def test_an_explicit_form_the_model_cannot_take_is_refused_when_asked() -> None:
    # By default it is weakened (tests/llama_index/test_llama_tool_choice_fallback.py).
    refusing = {"tool_choice_fallback": "refuse"}
    with pytest.raises(InvalidRequestError, match="does not support tool_choice 'required'"):
        sent_with_tools("glm-5", refusing, tool_choice="required")


def test_parallel_calls_allowed_and_models_without_the_field() -> None:
    assert sent_with_tools(allow_parallel_tool_calls=True)["parallel_tool_calls"] is True
    assert "parallel_tool_calls" not in sent_with_tools("o3-mini")


def test_strict_tools_per_call_or_as_a_setting() -> None:
    strict_function = sent_with_tools(strict=True)["tools"][0]["function"]
    assert strict_function["strict"] is True
    assert strict_function["parameters"]["additionalProperties"] is False
    assert sent_with_tools(settings={"strict": True})["tools"][0]["function"]["strict"] is True


def test_server_tools_go_with_every_call_and_raw_dicts_pass_through() -> None:
    gateway = ScriptedGateway(SHANGHAI, SHANGHAI)
    llm = gateway.llm("claude-sonnet-4-5", server_tools=[WEB_SEARCH])
    llm.chat_with_tools([WEATHER], user_msg="Weather?")
    assert gateway.bodies[0]["tools"] == [WEATHER_SPEC, WEB_SEARCH]
    code_tool = {"type": "code_execution_20250522", "name": "code_execution"}
    llm.chat_with_tools([WEATHER, code_tool], user_msg="Weather?")
    assert gateway.bodies[1]["tools"] == [WEATHER_SPEC, code_tool, WEB_SEARCH]


def test_history_is_not_changed_in_place() -> None:
    history = [ChatMessage(role="system", content="Be brief.")]
    gateway = ScriptedGateway(SHANGHAI)
    gateway.llm().chat_with_tools([WEATHER], user_msg="Weather?", chat_history=history)
    assert len(history) == 1
    assert [m["role"] for m in gateway.bodies[0]["messages"]] == ["system", "user"]


def test_get_tool_calls_from_response() -> None:
    gateway = ScriptedGateway(SHANGHAI)
    llm = gateway.llm()
    response = llm.chat_with_tools([WEATHER], user_msg="Weather in Shanghai?")
    [selection] = llm.get_tool_calls_from_response(response)
    assert (selection.tool_id, selection.tool_name, selection.tool_kwargs) == (
        "call_1",
        "get_weather",
        {"city": "Shanghai"},
    )


def test_no_tool_call_raises_only_when_asked() -> None:
    llm = ScriptedGateway().llm()
    response = ChatResponse(message=ChatMessage(role="assistant", content="No tools needed."))
    with pytest.raises(ValueError, match="Expected at least one tool call"):
        llm.get_tool_calls_from_response(response)
    assert llm.get_tool_calls_from_response(response, error_on_no_tool_call=False) == []


@pytest.mark.parametrize(
    "arguments",
    ['{"city": Shanghai', '{"city": ' + "[" * 100_000],
    ids=["broken", "nested too deep"],
)
def test_malformed_arguments_raise_or_become_no_arguments(arguments: str) -> None:
    gateway = ScriptedGateway(tool_calls_answer(tool_call("call_1", "get_weather", arguments)))
    llm = gateway.llm()
    response = llm.chat_with_tools([WEATHER], user_msg="Weather?")
    with pytest.raises(ValueError, match="'get_weather' with arguments that are not a JSON object"):
        llm.get_tool_calls_from_response(response)
    [selection] = llm.get_tool_calls_from_response(response, error_on_no_tool_call=False)
    assert (selection.tool_name, selection.tool_kwargs) == ("get_weather", {})


def test_legacy_additional_kwargs_tool_calls_are_read() -> None:
    llm = ScriptedGateway().llm()
    message = ChatMessage(
        role="assistant",
        content=None,
        additional_kwargs={"tool_calls": [tool_call("c9", "get_time", {"zone": "UTC"})]},
    )
    [selection] = llm.get_tool_calls_from_response(ChatResponse(message=message))
    assert (selection.tool_id, selection.tool_kwargs) == ("c9", {"zone": "UTC"})


def test_legacy_tool_call_arguments_nested_too_deep_become_no_arguments() -> None:
    llm = ScriptedGateway().llm()
    call = tool_call("c9", "get_time", "[" * 100_000)  # parse_partial_json would overflow
    message = ChatMessage(role="assistant", content=None, additional_kwargs={"tool_calls": [call]})
    with pytest.raises(ValueError, match="not a JSON object"):
        llm.get_tool_calls_from_response(ChatResponse(message=message))
    [selection] = llm.get_tool_calls_from_response(
        ChatResponse(message=message), error_on_no_tool_call=False
    )
    assert selection.tool_kwargs == {}


def two_calls() -> dict[str, Any]:
    return tool_calls_answer(
        tool_call("c1", "get_weather", {"city": "Paris"}),
        tool_call("c2", "get_time", {"zone": "CET"}),
    )


def test_only_the_first_call_is_kept_unless_parallel_calls_are_allowed() -> None:
    gateway = ScriptedGateway(two_calls(), two_calls())
    llm = gateway.llm()
    single = llm.chat_with_tools([WEATHER, TIME], user_msg="Both?")
    assert [b.tool_name for b in single.message.blocks if isinstance(b, ToolCallBlock)] == [
        "get_weather"
    ]
    assert len(single.message.additional_kwargs["tool_calls"]) == 1
    both = llm.chat_with_tools([WEATHER, TIME], user_msg="Both?", allow_parallel_tool_calls=True)
    assert [s.tool_name for s in llm.get_tool_calls_from_response(both)] == [
        "get_weather",
        "get_time",
    ]


@pytest.mark.anyio
async def test_async_and_streaming_tool_calls() -> None:
    stream = sse(
        {
            "tool_calls": [
                {
                    "index": 0,
                    "id": "call_1",
                    "function": {"name": "get_weather", "arguments": '{"city": '},
                }
            ]
        },
        {"tool_calls": [{"index": 0, "function": {"arguments": '"Paris"}'}}]},
    )
    gateway = ScriptedGateway(SHANGHAI, stream, stream)
    llm = gateway.llm()
    response = await llm.achat_with_tools([WEATHER], user_msg="Weather?", tool_required=True)
    assert llm.get_tool_calls_from_response(response)[0].tool_kwargs == {"city": "Shanghai"}
    last = [r async for r in await llm.astream_chat_with_tools([WEATHER], user_msg="Weather?")][-1]
    assert llm.get_tool_calls_from_response(last)[0].tool_kwargs == {"city": "Paris"}
    last = list(llm.stream_chat_with_tools([WEATHER], user_msg="Weather?"))[-1]
    assert llm.get_tool_calls_from_response(last)[0].tool_kwargs == {"city": "Paris"}
    assert gateway.bodies[0]["tool_choice"] == "required"
    assert all(body["tools"] == [WEATHER_SPEC] for body in gateway.bodies)


def test_predict_and_call_runs_the_tool() -> None:
    gateway = ScriptedGateway(SHANGHAI)
    result = gateway.llm().predict_and_call([WEATHER], user_msg="Weather in Shanghai?")
    assert result.response == "Sunny in Shanghai"
    assert result.sources[0].tool_name == "get_weather"


def test_a_tool_call_turn_goes_back_with_its_result() -> None:
    gateway = ScriptedGateway(SHANGHAI, completion("It is sunny in Shanghai."))
    llm = gateway.llm()
    history: list[ChatMessage] = [ChatMessage(role="user", content="Weather in Shanghai?")]
    first = llm.chat_with_tools([WEATHER], chat_history=history)
    [selection] = llm.get_tool_calls_from_response(first)
    history += [
        first.message,
        ChatMessage(
            role="tool",
            content=get_weather(**selection.tool_kwargs),
            additional_kwargs={"tool_call_id": selection.tool_id},
        ),
    ]
    second = llm.chat_with_tools([WEATHER], chat_history=history)
    assert second.message.blocks == [TextBlock(text="It is sunny in Shanghai.")]
    assert gateway.bodies[1]["messages"][1:] == [
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [tool_call("call_1", "get_weather", '{"city": "Shanghai"}')],
        },
        {"role": "tool", "content": "Sunny in Shanghai", "tool_call_id": "call_1"},
    ]
