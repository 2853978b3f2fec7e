"""An answer cut off at the token limit says the same thing through both adapters.

A stand-in gateway on 127.0.0.1 answers in the documented wire format: ``finish_reason``
``"length"`` with the JSON (as text, or as a tool call's arguments) stopped mid-way.
``ChatMixroute.with_structured_output`` and ``Mixroute.structured_predict`` (sync and
async) raise :class:`~mixroute.OutputTruncatedError` with one message, the core's
:func:`~mixroute.response.cut_off_message`, naming the limit in effect.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from llama_index.core.prompts import PromptTemplate
from llama_index.core.tools import FunctionTool
from pydantic import BaseModel
from support.local_server import LocalServer, Reply
from support.plausible_gateway import USAGE, completion

from langchain_mixroute import ChatMixroute
from llama_index_mixroute import Mixroute
from mixroute import OutputTruncatedError
from mixroute.response import cut_off_message

PROMPT = PromptTemplate("Name a city.")
CUT = '{"name": "Par'


class City(BaseModel):
    """A city."""

    name: str


def cut_off(model: str, as_tool_call: bool) -> Reply:
    """A completion stopped at the token limit mid-JSON, in content or in a tool call."""
    message: dict[str, Any] = {"role": "assistant", "content": CUT}
    if as_tool_call:
        call = {"id": "call_1", "type": "function"}
        message = {**message, "content": None}
        message["tool_calls"] = [{**call, "function": {"name": "City", "arguments": CUT}}]
    choice = {"index": 0, "message": message, "finish_reason": "length"}
    return Reply(200, completion(model, choices=[choice], usage=USAGE))


@contextmanager
def gateway(model: str, as_tool_call: bool) -> Iterator[dict[str, Any]]:
    """The settings of a model on a stand-in gateway that cuts every answer off."""
    with LocalServer(lambda _: cut_off(model, as_tool_call)) as server:
        yield {"model": model, "api_key": "sk-test", "base_url": server.base_url}


def raised(call: Callable[[], Any]) -> OutputTruncatedError:
    with pytest.raises(OutputTruncatedError) as caught:
        call()
    return caught.value


def run(make: Callable[[], Awaitable[Any]]) -> Callable[[], Any]:
    return lambda: asyncio.run(make())


# The same case twice: the schema's JSON in the text (json_schema), and the schema as a
# forced tool whose arguments were cut off (function calling, which is Claude's method).
CASES = {"json_schema": ("gpt-4o", False), "forced tool call": ("claude-sonnet-4-5", True)}


@pytest.mark.parametrize("asynchronous", [False, True], ids=["sync", "async"])
@pytest.mark.parametrize("max_tokens", [200, None], ids=["limit set", "no limit set"])
@pytest.mark.parametrize("case", list(CASES))
def test_both_adapters_say_the_same_with_the_limit_in_effect(
    case: str, max_tokens: int | None, asynchronous: bool
) -> None:
    model, as_tool_call = CASES[case]
    with gateway(model, as_tool_call) as settings:
        settings = {**settings, "max_tokens": max_tokens, "max_retries": 0}
        structured = ChatMixroute(**settings).with_structured_output(City)
        llm = Mixroute(**settings)
        if asynchronous:
            langchain = raised(run(lambda: structured.ainvoke("Name a city.")))
            llama_index = raised(run(lambda: llm.astructured_predict(City, PROMPT)))
        else:
            langchain = raised(lambda: structured.invoke("Name a city."))
            llama_index = raised(lambda: llm.structured_predict(City, PROMPT))
    assert str(langchain) == str(llama_index)
    assert str(langchain) == cut_off_message(
        "length", max_tokens=max_tokens, expected="structured output"
    )
    limit = "(max_tokens=200)" if max_tokens else "(the model's own: max_tokens was not set)"
    assert f"The structured output was cut off at the token limit {limit}" in str(langchain)
    assert "or in the call) or shorten the schema or the prompt." in str(langchain)
    assert langchain.max_tokens == llama_index.max_tokens == max_tokens
    assert langchain.raw.response_metadata["finish_reason"] == "length"  # AIMessage
    assert llama_index.raw.raw.finish_reason == "length"  # ChatResponse of the core answer


def test_the_explicit_method_of_langchain_says_it_too() -> None:
    with gateway("gpt-4o", as_tool_call=True) as settings:
        model = ChatMixroute(**settings, max_tokens=200, max_retries=0)
        structured = model.with_structured_output(City, method="function_calling")
        error = raised(lambda: structured.invoke("Name a city."))
    assert str(error) == cut_off_message("length", max_tokens=200, expected="structured output")
    assert "The structured output was cut off at the token limit (max_tokens=200)" in str(error)


@pytest.mark.parametrize("asynchronous", [False, True], ids=["sync", "async"])
def test_a_limit_given_for_one_llama_index_call_is_the_one_named(asynchronous: bool) -> None:
    with gateway("gpt-4o", as_tool_call=False) as settings:
        llm = Mixroute(**settings, max_tokens=200, max_retries=0)
        per_call = {"max_tokens": 50}
        if asynchronous:
            error = raised(run(lambda: llm.astructured_predict(City, PROMPT, per_call)))
        else:
            error = raised(lambda: llm.structured_predict(City, PROMPT, per_call))
    assert "(max_tokens=50)" in str(error)
    assert error.max_tokens == 50


def pick(name: str) -> str:
    """Pick a city."""
    return name


@pytest.mark.parametrize("asynchronous", [False, True], ids=["sync", "async"])
def test_a_forced_llama_index_tool_call_cut_off_names_the_llm_s_limit(asynchronous: bool) -> None:
    tool = FunctionTool.from_defaults(fn=pick, name="City")
    with gateway("gpt-4o", as_tool_call=True) as settings:
        llm = Mixroute(**settings, additional_kwargs={"max_tokens": 200}, max_retries=0)
        if asynchronous:
            error = raised(run(lambda: llm.apredict_and_call([tool], "Paris", tool_required=True)))
        else:
            error = raised(lambda: llm.predict_and_call([tool], "Paris", tool_required=True))
    assert str(error) == cut_off_message("length", max_tokens=200, expected="tool call")
    assert str(error).startswith(
        "The tool call's arguments were cut off at the token limit (max_tokens=200)"
    )
