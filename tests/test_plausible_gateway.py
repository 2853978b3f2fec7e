"""The stand-in gateway (support/plausible_gateway.py) answers each request as code expects.

The README blocks and the examples run against it: its answers must be what the core
parses, and shaped after the request (JSON valid for a schema, a call of the named tool).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from enum import Enum
from typing import Any

import pytest
from pydantic import BaseModel
from support.local_server import LocalServer
from support.plausible_gateway import ANSWER, STREAMED, PlausibleGateway, instance_of

from mixroute import MixrouteClient, UserMessage


class Kind(Enum):
    CITY = "city"
    TOWN = "town"


class Place(BaseModel):
    name: str
    kind: Kind
    population: int | None
    area: float
    tags: list[str]


class Atlas(BaseModel):
    places: list[Place]
    capital: Place
    complete: bool


def test_an_instance_of_a_schema_validates_against_the_model() -> None:
    Atlas.model_validate(instance_of(Atlas.model_json_schema()))


@pytest.fixture
def client() -> Iterator[tuple[MixrouteClient, PlausibleGateway]]:
    gateway = PlausibleGateway()
    with LocalServer(gateway) as server:
        yield MixrouteClient(api_key="sk-test-0000000000000000", base_url=server.base_url), gateway


def test_plain_and_streamed_answers_differ_and_the_stream_is_remembered(
    client: tuple[MixrouteClient, PlausibleGateway],
) -> None:
    core, gateway = client
    assert core.create("glm-5", [UserMessage("hi")]).message.content == ANSWER
    with core.stream("glm-5", [UserMessage("hi")]) as stream:
        text = "".join(delta.content or "" for delta in stream)
    assert text == STREAMED
    assert stream.completion.usage is not None
    assert gateway.streams == [STREAMED]


def test_a_json_schema_response_format_gets_json_for_that_schema(
    client: tuple[MixrouteClient, PlausibleGateway],
) -> None:
    core, _ = client
    answer = core.create("gpt-4o", [UserMessage("atlas")], response_format=Atlas)
    Atlas.model_validate_json(answer.message.content or "")


def test_json_mode_gets_json_for_the_schema_written_in_the_prompt(
    client: tuple[MixrouteClient, PlausibleGateway],
) -> None:
    core, _ = client
    prompt = f"Answer as JSON for this schema:\n{json.dumps(Place.model_json_schema())}\nThanks."
    answer = core.create("glm-5", [UserMessage(prompt)], response_format="json_object")
    Place.model_validate_json(answer.message.content or "")


@pytest.mark.parametrize("stream", [False, True])
def test_the_named_tool_is_called_with_arguments_for_its_schema(
    client: tuple[MixrouteClient, PlausibleGateway], stream: bool
) -> None:
    core, _ = client
    tools = [
        {"type": "function", "function": {"name": "first", "parameters": {"type": "object"}}},
        {
            "type": "function",
            "function": {"name": "place", "parameters": Place.model_json_schema()},
        },
    ]
    options: dict[str, Any] = {
        "tools": tools,
        "tool_choice": {"type": "function", "function": {"name": "place"}},
    }
    if stream:
        with core.stream("gpt-4o", [UserMessage("where?")], **options) as answer:
            list(answer)
        completion = answer.completion
    else:
        completion = core.create("gpt-4o", [UserMessage("where?")], **options)
    (call,) = completion.message.tool_calls
    assert call.name == "place"
    Place.model_validate(call.arguments)
    assert completion.finish_reason == "tool_calls"


def _function(name: str) -> dict[str, Any]:
    return {"type": "function", "function": {"name": name, "parameters": {"type": "object"}}}


def test_after_a_tool_result_the_next_uncalled_tool_is_called_then_text(
    client: tuple[MixrouteClient, PlausibleGateway],
) -> None:
    core, _ = client
    tools = [_function("first"), _function("second")]
    messages: list[Any] = [UserMessage("go")]
    called = []
    for _ in range(3):
        answer = core.create("gpt-4o", messages, tools=tools)
        if not answer.message.tool_calls:
            break
        (call,) = answer.message.tool_calls
        called.append(call.name)
        messages += [answer.message, {"role": "tool", "tool_call_id": call.id, "content": "ok"}]
    assert called == ["first", "second"]
    assert answer.message.content == "The tool said: ok"


def test_a_user_message_naming_a_tool_gets_that_tool_called(
    client: tuple[MixrouteClient, PlausibleGateway],
) -> None:
    core, _ = client
    tools = [_function("first"), _function("second")]
    answer = core.create("gpt-4o", [UserMessage("Call the tool 'second' now.")], tools=tools)
    assert [call.name for call in answer.message.tool_calls] == ["second"]


def test_a_react_prompt_gets_an_action_then_an_answer_after_the_observation(
    client: tuple[MixrouteClient, PlausibleGateway],
) -> None:
    core, _ = client
    system = {
        "role": "system",
        "content": '## Tools\n> Tool Name: weather\nTool Args: {"properties": '
        '{"city": {"type": "string"}}, "type": "object"}\n',
    }
    action = core.create("glm-5", [system, UserMessage("Weather?")]).message.content or ""
    assert action.splitlines()[1:] == ["Action: weather", 'Action Input: {"city": "example"}']
    observed = [system, UserMessage("Weather?"), {"role": "assistant", "content": action}]
    answer = core.create("glm-5", [*observed, UserMessage("Observation: sunny")])
    assert (answer.message.content or "").endswith("Answer: The tool said: sunny")


@pytest.mark.parametrize("stream", [False, True])
def test_max_tokens_below_the_word_count_cuts_the_answer_with_finish_length(
    client: tuple[MixrouteClient, PlausibleGateway], stream: bool
) -> None:
    core, _ = client
    if stream:
        with core.stream("glm-5", [UserMessage("hi")], max_tokens=2) as answer:
            list(answer)
        completion = answer.completion
    else:
        completion = core.create("glm-5", [UserMessage("hi")], max_tokens=2)
    assert completion.finish_reason == "length"
    assert len((completion.message.content or "").split(" ")) == 2
    assert core.create("glm-5", [UserMessage("hi")], max_tokens=100).finish_reason == "stop"


@pytest.mark.parametrize("stream", [False, True])
def test_thinking_and_a_web_search_server_tool_get_reasoning_and_a_citation(
    client: tuple[MixrouteClient, PlausibleGateway], stream: bool
) -> None:
    core, _ = client
    tool = {"type": "web_search_20250305", "name": "web_search", "max_uses": 5}
    options: dict[str, Any] = {"tools": [tool], "enable_thinking": True}
    if stream:
        with core.stream("qwen-plus", [UserMessage("news?")], **options) as answer:
            list(answer)
        completion = answer.completion
    else:
        completion = core.create("qwen-plus", [UserMessage("news?")], **options)
    assert completion.message.reasoning
    assert [(c.url, c.source) for c in completion.citations] == [
        ("https://news.example/stand-in", "annotations")
    ]


def test_json_mode_reads_a_schema_written_with_doubled_braces(
    client: tuple[MixrouteClient, PlausibleGateway],
) -> None:
    core, _ = client
    schema = json.dumps(Place.model_json_schema()).replace("{", "{{").replace("}", "}}")
    prompt = f"Here's a JSON schema to follow:\n{schema}\n"
    answer = core.create("glm-5", [UserMessage(prompt)], response_format="json_object")
    Place.model_validate_json(answer.message.content or "")
