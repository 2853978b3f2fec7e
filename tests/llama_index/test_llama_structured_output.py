"""Specification of structured output: the method comes from the model's profile
(``structured_output_method``), and every path returns a validated pydantic object."""

from __future__ import annotations

import json
from typing import Any

import pytest
from llama_index.core.base.llms.types import ChatMessage
from llama_index.core.prompts import PromptTemplate
from llama_index.core.types import PydanticProgramMode
from pydantic import BaseModel
from scripted_gateway import ScriptedGateway, completion, sse, tool_call, tool_calls_answer

from mixroute import OutputTruncatedError

PROMPT = PromptTemplate("Describe {city} in one line.")
CITY_JSON = '{"name": "Paris", "population": 2100000}'


class City(BaseModel):
    """A city and its population."""

    name: str
    population: int


CITY = City(name="Paris", population=2_100_000)
SCHEMA = {
    "type": "object",
    "properties": {"name": {"type": "string"}, "population": {"type": "integer"}},
    "required": ["name", "population"],
}


def test_json_schema_where_the_profile_has_it() -> None:
    gateway = ScriptedGateway(completion(CITY_JSON))
    result = gateway.llm("gpt-4o").structured_predict(City, PROMPT, city="Paris")
    assert result == CITY
    assert gateway.bodies[0]["response_format"] == {
        "type": "json_schema",
        "json_schema": {
            "name": "City",
            "schema": {**SCHEMA, "description": "A city and its population."},
        },
    }
    assert gateway.bodies[0]["messages"] == [
        {"role": "user", "content": "Describe Paris in one line."}
    ]
    assert "tools" not in gateway.bodies[0]


def test_strict_json_schema() -> None:
    gateway = ScriptedGateway(completion(CITY_JSON))
    gateway.llm("gpt-4o", strict=True).structured_predict(City, PROMPT, city="Paris")
    spec = gateway.bodies[0]["response_format"]["json_schema"]
    assert spec["strict"] is True
    assert spec["schema"]["additionalProperties"] is False


def test_function_calling_where_there_is_no_json_schema() -> None:
    model = "claude-sonnet-4-5"
    gateway = ScriptedGateway(
        tool_calls_answer(
            tool_call("c1", "City", {"name": "Paris", "population": 2_100_000}), model=model
        )
    )
    result = gateway.llm(model).structured_predict(City, PROMPT, city="Paris")
    assert result == CITY
    body = gateway.bodies[0]
    assert [tool["function"]["name"] for tool in body["tools"]] == ["City"]
    # The core's schema tool, forced by name (mixroute.answer_policy).
    assert body["tool_choice"] == {"type": "function", "function": {"name": "City"}}
    assert "response_format" not in body


def test_json_mode_puts_the_schema_in_the_prompt() -> None:
    gateway = ScriptedGateway(completion(f"```json\n{CITY_JSON}\n```", model="glm-5"))
    result = gateway.llm("glm-5").structured_predict(City, PROMPT, city="Paris")
    assert result == CITY
    body = gateway.bodies[0]
    assert body["response_format"] == {"type": "json_object"}
    system, user = body["messages"]
    assert user == {"role": "user", "content": "Describe Paris in one line."}
    assert '"population"' in system["content"]
    assert "{{" not in system["content"]  # the schema as JSON, not a template's escaping
    assert "tools" not in body


def test_with_emulation_off_llama_index_s_own_text_program_runs() -> None:
    gateway = ScriptedGateway(completion(f"```json\n{CITY_JSON}\n```", model="glm-5"))
    llm = gateway.llm("glm-5", emulate_response_format=False)
    assert llm.structured_predict(City, PROMPT, city="Paris") == CITY
    body = gateway.bodies[0]
    assert body["response_format"] == {"type": "json_object"}
    assert body["messages"][0]["content"].startswith("Describe Paris in one line.")


def test_json_mode_without_response_format_for_a_model_without_it() -> None:
    model = "gemini-2.0-flash-thinking-exp"  # no tools, no JSON mode, no json_schema
    gateway = ScriptedGateway(completion(CITY_JSON, model=model))
    assert gateway.llm(model).structured_predict(City, PROMPT, city="Paris") == CITY
    assert "response_format" not in gateway.bodies[0]


def test_the_prompt_template_is_left_unchanged() -> None:
    prompt = PromptTemplate("Describe {city}.")
    ScriptedGateway(completion(CITY_JSON)).llm("glm-5").structured_predict(
        City, prompt, city="Paris"
    )
    assert prompt.output_parser is None


def test_a_refusal_is_an_error_that_says_so() -> None:
    gateway = ScriptedGateway(completion({"content": None, "refusal": "I won't."}))
    with pytest.raises(ValueError, match="refused: I won't"):
        gateway.llm("gpt-4o").structured_predict(City, PROMPT, city="Paris")


def test_an_answer_cut_off_at_the_token_limit_says_so() -> None:
    gateway = ScriptedGateway(completion('{"name": "Par', finish_reason="length"))
    with pytest.raises(OutputTruncatedError, match=r"token limit \(max_tokens=5\)") as info:
        gateway.llm("gpt-4o", max_tokens=5).structured_predict(City, PROMPT, city="Paris")
    assert info.value.raw.message.content == '{"name": "Par'


def test_tool_arguments_cut_off_at_the_token_limit_say_so() -> None:
    cut = tool_calls_answer(tool_call("c1", "City", '{"name": "Par'))
    cut["choices"][0]["finish_reason"] = "length"
    gateway = ScriptedGateway(cut)
    with pytest.raises(OutputTruncatedError):
        gateway.llm("claude-sonnet-4-5").structured_predict(City, PROMPT, city="Paris")


def test_an_answer_that_does_not_validate_raises() -> None:
    gateway = ScriptedGateway(completion('{"name": "Paris"}'))
    with pytest.raises(ValueError, match="population"):
        gateway.llm("gpt-4o").structured_predict(City, PROMPT, city="Paris")


def test_a_program_mode_chosen_by_the_user_is_respected() -> None:
    gateway = ScriptedGateway(completion(CITY_JSON))
    llm = gateway.llm("gpt-4o", pydantic_program_mode=PydanticProgramMode.LLM)
    assert llm.structured_predict(City, PROMPT, city="Paris") == CITY
    assert "response_format" not in gateway.bodies[0]


def test_user_llm_kwargs_are_sent() -> None:
    gateway = ScriptedGateway(completion(CITY_JSON))
    gateway.llm("gpt-4o").structured_predict(
        City, PROMPT, llm_kwargs={"temperature": 0.0}, city="Paris"
    )
    assert gateway.bodies[0]["temperature"] == 0.0


@pytest.mark.anyio
async def test_async_structured_predict_on_each_path() -> None:
    gateway = ScriptedGateway(
        completion(CITY_JSON),
        tool_calls_answer(tool_call("c1", "City", {"name": "Paris", "population": 2_100_000})),
        completion(CITY_JSON, model="glm-5"),
    )
    for model in ("gpt-4o", "claude-sonnet-4-5", "glm-5"):
        assert await gateway.llm(model).astructured_predict(City, PROMPT, city="Paris") == CITY


def streamed_json() -> str:
    return sse(
        {"content": '{"name": "Pa'},
        {"content": 'ris", "population": '},
        {"content": "2100000}"},
    )


def test_stream_structured_predict_with_json_schema() -> None:
    gateway = ScriptedGateway(streamed_json())
    partials = list(gateway.llm("gpt-4o").stream_structured_predict(City, PROMPT, city="Paris"))
    assert partials[-1] == CITY
    assert len(partials) > 2
    assert gateway.bodies[0]["stream"] is True
    assert gateway.bodies[0]["response_format"]["type"] == "json_schema"


def test_stream_structured_predict_with_function_calling() -> None:
    arguments = json.dumps({"name": "Paris", "population": 2_100_000})
    stream = sse(
        {
            "tool_calls": [
                {"index": 0, "id": "c1", "function": {"name": "City", "arguments": arguments[:10]}}
            ]
        },
        {"tool_calls": [{"index": 0, "function": {"arguments": arguments[10:]}}]},
    )
    gateway = ScriptedGateway(stream)
    partials = list(
        gateway.llm("claude-sonnet-4-5").stream_structured_predict(City, PROMPT, city="Paris")
    )
    assert partials[-1] == CITY
    assert [tool["function"]["name"] for tool in gateway.bodies[0]["tools"]] == ["City"]


@pytest.mark.anyio
async def test_astream_structured_predict() -> None:
    gateway = ScriptedGateway(streamed_json())
    llm = gateway.llm("gpt-4o")
    partials = [p async for p in await llm.astream_structured_predict(City, PROMPT, city="Paris")]
    assert partials[-1] == CITY


def test_as_structured_llm() -> None:
    gateway = ScriptedGateway(completion(CITY_JSON))
    structured = gateway.llm("gpt-4o").as_structured_llm(City)
    response = structured.chat([ChatMessage(role="user", content="Describe Paris.")])
    assert response.raw == CITY
    assert json.loads(response.message.content or "") == CITY.model_dump()


def test_structured_predict_sends_llama_index_events() -> None:
    from llama_index.core.instrumentation import get_dispatcher
    from llama_index.core.instrumentation.event_handlers import BaseEventHandler

    seen: list[str] = []

    class Names(BaseEventHandler):
        def handle(self, event: Any, **kwargs: Any) -> None:
            seen.append(type(event).__name__)

    handler = Names()
    root = get_dispatcher()
    root.add_event_handler(handler)
    try:
        ScriptedGateway(completion(CITY_JSON)).llm("gpt-4o").structured_predict(
            City, PROMPT, city="Paris"
        )
    finally:
        root.event_handlers.remove(handler)
    assert seen[0] == "LLMStructuredPredictStartEvent"
    assert seen[-1] == "LLMStructuredPredictEndEvent"
    assert "LLMChatEndEvent" in seen
