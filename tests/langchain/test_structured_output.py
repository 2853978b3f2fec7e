"""``with_structured_output`` (structured.py): each method, the profile default, include_raw,
strict, refusals, and the clear error for an answer cut off at ``max_tokens``."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
from langchain_core.exceptions import ModelRefusalError, OutputParserException
from langchain_core.messages import AIMessage
from pydantic import BaseModel
from pydantic import v1 as pydantic_v1
from scripted_mixroute import Script, chunk, completion, model_for
from typing_extensions import TypedDict

from mixroute import InvalidRequestError, OutputTruncatedError


class Answer(BaseModel):
    """An answer with its summary."""

    summary: str


class AnswerDict(TypedDict):
    """An answer with its summary."""

    summary: str


ANSWER_SCHEMA = {
    "title": "Answer",
    "description": "An answer with its summary.",
    "type": "object",
    "properties": {"summary": {"type": "string"}},
    "required": ["summary"],
}
PARAMETERS = {
    "type": "object",
    "properties": {"summary": {"type": "string"}},
    "required": ["summary"],
}
SCHEMAS = {"pydantic": Answer, "typeddict": AnswerDict, "json schema": ANSWER_SCHEMA}
PARSED = {
    "pydantic": Answer(summary="AI."),
    "typeddict": {"summary": "AI."},
    "json schema": {"summary": "AI."},
}
NAMES = {"pydantic": "Answer", "typeddict": "AnswerDict", "json schema": "Answer"}


def text_reply(content: str = '{"summary": "AI."}', **kw: Any) -> dict[str, Any]:
    return completion({"content": content}, **kw)


def tool_reply(
    arguments: str = '{"summary": "AI."}', name: str = "Answer", **kw: Any
) -> dict[str, Any]:
    call = {"id": "c1", "type": "function", "function": {"name": name, "arguments": arguments}}
    kw.setdefault("finish_reason", "tool_calls")
    return completion({"content": None, "tool_calls": [call]}, **kw)


@pytest.mark.parametrize("kind", SCHEMAS)
def test_json_schema(kind: str) -> None:
    script = Script(text_reply())
    result = (
        model_for(script).with_structured_output(SCHEMAS[kind], method="json_schema").invoke("Hi")
    )
    assert result == PARSED[kind]
    sent = script.body["response_format"]
    assert sent["type"] == "json_schema"
    spec = sent["json_schema"]
    assert spec["name"] == NAMES[kind]
    # The description travels beside the schema, or (pydantic, as the core builds it) in it.
    description = spec.get("description") or spec["schema"].pop("description")
    assert description == "An answer with its summary."
    assert spec["schema"] == PARAMETERS
    assert "strict" not in spec


@pytest.mark.parametrize("kind", SCHEMAS)
def test_function_calling(kind: str) -> None:
    name = NAMES[kind]
    script = Script(tool_reply(name=name))
    result = (
        model_for(script)
        .with_structured_output(SCHEMAS[kind], method="function_calling")
        .invoke("Hi")
    )
    assert result == PARSED[kind]
    body = script.body
    assert body["tools"] == [
        {
            "type": "function",
            "function": {
                "name": name,
                "description": "An answer with its summary.",
                "parameters": PARAMETERS,
            },
        }
    ]
    assert body["tool_choice"] == {"type": "function", "function": {"name": name}}
    assert body["parallel_tool_calls"] is False


@pytest.mark.parametrize("kind", SCHEMAS)
def test_json_mode_puts_the_schema_in_the_system_prompt(kind: str) -> None:
    script = Script(text_reply('```json\n{"summary": "AI."}\n```'))
    structured = model_for(script).with_structured_output(SCHEMAS[kind], method="json_mode")
    assert structured.invoke([("system", "Be brief."), ("human", "Hi")]) == PARSED[kind]
    body = script.body
    assert body["response_format"] == {"type": "json_object"}
    system = body["messages"][0]
    assert system["role"] == "system"
    assert system["content"].startswith("Be brief.\n\nAnswer with a single JSON object")
    assert json.dumps(PARAMETERS["properties"]) in system["content"]
    assert body["messages"][1] == {"role": "user", "content": "Hi"}


class AnswerV1(pydantic_v1.BaseModel):
    """An answer with its summary."""

    summary: str


@pytest.mark.parametrize(
    ("method", "reply"),
    [
        ("json_schema", text_reply()),
        ("function_calling", tool_reply(name="AnswerV1")),
        ("json_mode", text_reply()),
    ],
)
def test_a_pydantic_v1_model_is_parsed_into_an_instance(method: str, reply: Any) -> None:
    script = Script(reply)
    structured = model_for(script).with_structured_output(AnswerV1, method=method)
    assert structured.invoke("Hi") == AnswerV1(summary="AI.")


def test_json_mode_without_a_schema_returns_a_dict() -> None:
    script = Script(text_reply('{"anything": [1, 2]}'))
    assert model_for(script).with_structured_output(method="json_mode").invoke("Hi") == {
        "anything": [1, 2]
    }
    assert script.body["messages"][0] == {
        "role": "system",
        "content": "Answer with a single JSON object and nothing else.",
    }


@pytest.mark.parametrize(
    ("model", "method", "tool_choice", "parallel"),
    [
        ("gpt-4o", "json_schema", None, None),
        (
            "claude-sonnet-4-5-20250929",
            "function_calling",
            {"type": "function", "function": {"name": "Answer"}},
            False,
        ),
        ("deepseek-r1", "function_calling", None, None),  # no tool_choice, no parallel_tool_calls
        ("glm-5", "json_mode", None, None),  # tool_choice "auto" only: cannot force a tool
        ("o3-mini", "json_schema", None, None),
    ],
)
def test_the_default_method_comes_from_the_profile(
    model: str, method: str, tool_choice: Any, parallel: Any
) -> None:
    reply = tool_reply(model=model) if method == "function_calling" else text_reply(model=model)
    script = Script(reply)
    assert model_for(script, model).with_structured_output(Answer).invoke("Hi") == Answer(
        summary="AI."
    )
    body = script.body
    assert ("response_format" in body) == (method != "function_calling")
    assert ("tools" in body) == (method == "function_calling")
    assert body.get("tool_choice") == tool_choice
    assert body.get("parallel_tool_calls") == parallel


def test_strict_json_schema() -> None:
    script = Script(text_reply())
    model_for(script).with_structured_output(Answer, method="json_schema", strict=True).invoke("Hi")
    spec = script.body["response_format"]["json_schema"]
    assert spec["strict"] is True
    assert spec["schema"]["additionalProperties"] is False


def test_strict_function_calling() -> None:
    script = Script(tool_reply())
    model_for(script).with_structured_output(Answer, method="function_calling", strict=True).invoke(
        "Hi"
    )
    function = script.body["tools"][0]["function"]
    assert function["strict"] is True
    assert function["parameters"]["additionalProperties"] is False


@pytest.mark.parametrize("method", ["json_schema", "function_calling", "json_mode"])
def test_include_raw_on_success(method: str) -> None:
    reply = tool_reply() if method == "function_calling" else text_reply()
    result = (
        model_for(Script(reply))
        .with_structured_output(Answer, method=method, include_raw=True)
        .invoke("Hi")
    )
    assert isinstance(result, dict)
    assert isinstance(result["raw"], AIMessage)
    assert result["parsed"] == Answer(summary="AI.")
    assert result["parsing_error"] is None


@pytest.mark.parametrize(
    ("method", "reply"),
    [
        ("json_schema", text_reply("not json at all")),
        ("json_schema", text_reply('{"title": "missing summary"}')),
        ("function_calling", tool_reply('{"title": "missing summary"}')),
        ("json_mode", text_reply("{broken")),
        ("json_schema", text_reply("[" * 100_000)),
        ("json_mode", text_reply('{"a": ' + "[" * 100_000 + "]" * 100_000 + "}")),
    ],
    ids=[
        "not json",
        "wrong fields",
        "wrong tool arguments",
        "broken json",
        "nested too deep",
        "valid but nested too deep",
    ],
)
def test_include_raw_returns_a_parsing_failure(method: str, reply: dict[str, Any]) -> None:
    structured = model_for(Script(reply)).with_structured_output(
        Answer, method=method, include_raw=True
    )
    result = structured.invoke("Hi")
    assert isinstance(result, dict)
    assert result["parsed"] is None
    assert isinstance(result["parsing_error"], (OutputParserException, ValueError))
    assert isinstance(result["raw"], AIMessage)
    with pytest.raises((OutputParserException, ValueError)):
        model_for(Script(reply)).with_structured_output(Answer, method=method).invoke("Hi")


def test_a_refusal_raises_or_is_returned() -> None:
    refusal = completion({"content": None, "refusal": "I can't help with that."})
    with pytest.raises(ModelRefusalError, match=r"I can't help with that\."):
        model_for(Script(refusal)).with_structured_output(Answer).invoke("Hi")
    result = (
        model_for(Script(refusal)).with_structured_output(Answer, include_raw=True).invoke("Hi")
    )
    assert isinstance(result, dict)
    assert isinstance(result["parsing_error"], ModelRefusalError)


@pytest.mark.parametrize("include_raw", [False, True])
@pytest.mark.parametrize(
    ("method", "reply"),
    [
        ("json_schema", text_reply('{"summary": "AI is a fie', finish_reason="length")),
        ("function_calling", tool_reply('{"summary": "AI', finish_reason="length")),
        ("json_mode", text_reply('{"summ', finish_reason="length")),
    ],
)
def test_an_answer_cut_off_at_max_tokens_is_a_clear_error(
    method: str, reply: dict[str, Any], include_raw: bool
) -> None:
    llm = model_for(Script(reply), max_tokens=8)
    structured = llm.with_structured_output(Answer, method=method, include_raw=include_raw)
    with pytest.raises(
        OutputTruncatedError, match=r"cut off at the token limit \(max_tokens=8\)"
    ) as caught:
        structured.invoke("Hi")
    assert isinstance(caught.value.raw, AIMessage)
    assert caught.value.raw.response_metadata["finish_reason"] == "length"


def test_a_cut_off_stream_is_the_same_clear_error() -> None:
    pieces = [chunk({"content": '{"summary": "AI'}), chunk(finish_reason="length")]
    structured = model_for(Script(pieces)).with_structured_output(AnswerDict, method="json_schema")
    with pytest.raises(OutputTruncatedError):
        list(structured.stream("Hi"))


def test_structured_output_streams_partial_objects() -> None:
    pieces = [
        chunk({"content": '{"summary": "AI'}),
        chunk({"content": ' is a field."}'}),
        chunk(finish_reason="stop"),
    ]
    structured = model_for(Script(pieces)).with_structured_output(AnswerDict, method="json_schema")
    assert list(structured.stream("Hi")) == [{"summary": "AI"}, {"summary": "AI is a field."}]


def test_a_stream_nested_too_deep_is_a_parsing_error() -> None:
    pieces = [chunk({"content": "[" * 50_000}), chunk({"content": "[" * 50_000})]
    structured = model_for(Script(pieces)).with_structured_output(AnswerDict, method="json_mode")
    with pytest.raises(OutputParserException, match="nested too deep"):
        list(structured.stream("Hi"))


def test_async_structured_output() -> None:
    structured = model_for(Script(text_reply())).with_structured_output(Answer, include_raw=True)
    result = asyncio.run(structured.ainvoke("Hi"))
    assert isinstance(result, dict)
    assert result["parsed"] == Answer(summary="AI.")


def test_bad_arguments_are_refused() -> None:
    # One except clause catches them all: each is an InvalidRequestError (a ValueError).
    llm = model_for(Script(text_reply()))
    with pytest.raises(InvalidRequestError, match="method='xml' is not one of"):
        llm.with_structured_output(Answer, method="xml")
    with pytest.raises(InvalidRequestError, match="needs a schema"):
        llm.with_structured_output(None, method="json_schema")
    with pytest.raises(InvalidRequestError, match="unknown argument 'tools'"):
        llm.with_structured_output(Answer, tools=[])
    with pytest.raises(InvalidRequestError, match="did you mean 'include_raw'"):
        llm.with_structured_output(Answer, include_rwa=True)
    with pytest.raises(InvalidRequestError, match="strict applies to"):
        llm.with_structured_output(Answer, method="json_mode", strict=True)


@pytest.mark.parametrize("method", ["json_schema", "function_calling"])
def test_structured_output_with_v1_content(method: str) -> None:
    reply = tool_reply() if method == "function_calling" else text_reply()
    llm = model_for(Script(reply), output_version="v1")
    assert llm.with_structured_output(Answer, method=method).invoke("Hi") == Answer(summary="AI.")


def test_the_cores_truncation_error_explains_itself() -> None:
    error = OutputTruncatedError(max_tokens=5)
    assert "cut off at the token limit of 5 tokens" in str(error)
    assert error.raw is None


GUIDE = Path(__file__).resolve().parents[2] / "docs" / "guides" / "structured-output.md"


@pytest.mark.parametrize("method", ["json_schema", "function_calling", "json_mode"])
def test_a_calls_own_arguments_reach_the_model_with_every_method(method: str) -> None:
    said = "A call's own arguments reach the model with every method"
    assert said in " ".join(GUIDE.read_text(encoding="utf-8").split())
    reply = tool_reply() if method == "function_calling" else text_reply()
    script = Script(reply)
    structured = model_for(script).with_structured_output(Answer, method=method)
    assert structured.invoke("Hi", max_tokens=33, temperature=0.2) == Answer(summary="AI.")
    assert (script.body["max_tokens"], script.body["temperature"]) == (33, 0.2)
    assert asyncio.run(structured.ainvoke("Hi", max_tokens=44)) == Answer(summary="AI.")
    assert script.bodies[-1]["max_tokens"] == 44


def test_json_mode_streams_partial_objects_with_the_instruction_sent() -> None:
    pieces = [
        chunk({"content": '{"summary": "AI'}),
        chunk({"content": ' is a field."}'}),
        chunk(finish_reason="stop"),
    ]
    script = Script(pieces)
    structured = model_for(script).with_structured_output(AnswerDict, method="json_mode")
    streamed = list(structured.stream([("system", "Be brief."), ("human", "Hi")], max_tokens=9))
    assert streamed == [{"summary": "AI"}, {"summary": "AI is a field."}]
    assert script.body["max_tokens"] == 9
    assert script.body["messages"][0]["content"].startswith("Be brief.\n\nAnswer with")

    async def astreamed() -> list[Any]:
        return [piece async for piece in structured.astream("Hi")]

    assert asyncio.run(astreamed()) == [{"summary": "AI"}, {"summary": "AI is a field."}]
    assert script.bodies[-1]["messages"][0]["role"] == "system"
