"""An answer cut off at the token limit says the same thing through both adapters.

A stand-in gateway on 127.0.0.1 answers in the documented wire format: ``finish_reason``
``"length"`` with the JSON (as text, or as a tool call's arguments) stopped mid-way,
plain or streamed as asked. ``ChatMixroute.with_structured_output`` and
``Mixroute.structured_predict`` (sync and async) raise :class:`~mixroute.OutputTruncatedError`
with one message, the core's :func:`~mixroute.cut_off.cut_off_error`, naming the token
limit the request really sent, however it was given.
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
from support.local_server import LocalServer, Received, Reply
from support.plausible_gateway import USAGE, completion, stream_events

from langchain_mixroute import ChatMixroute
from llama_index_mixroute import Mixroute
from mixroute import OutputTruncatedError
from mixroute.cut_off import cut_off_error

PROMPT = PromptTemplate("Name a city.")
CUT = '{"name": "Par'


class City(BaseModel):
    """A city."""

    name: str


def cut_off(model: str, as_tool_call: bool, streamed: bool) -> Reply:
    """A completion stopped at the token limit mid-JSON, in content or in a tool call."""
    message: dict[str, Any] = {"role": "assistant", "content": CUT}
    if as_tool_call:
        call = {"id": "call_1", "type": "function"}
        message = {**message, "content": None}
        message["tool_calls"] = [{**call, "function": {"name": "City", "arguments": CUT}}]
    if streamed:
        events = stream_events(model, message, "length", {}, include_usage=True)
        return Reply(200, events, {"Content-Type": "text/event-stream"})
    choice = {"index": 0, "message": message, "finish_reason": "length"}
    return Reply(200, completion(model, choices=[choice], usage=USAGE))


@contextmanager
def serving(model: str, as_tool_call: bool) -> Iterator[LocalServer]:
    """A stand-in gateway that cuts every answer off, plain or streamed as asked."""

    def respond(request: Received) -> Reply:
        return cut_off(model, as_tool_call, streamed=bool(request.json().get("stream")))

    with LocalServer(respond) as server:
        yield server


def settings_for(model: str, server: LocalServer) -> dict[str, Any]:
    return {"model": model, "api_key": "sk-test", "base_url": server.base_url}


@contextmanager
def gateway(model: str, as_tool_call: bool) -> Iterator[dict[str, Any]]:
    """The settings of a model on a stand-in gateway that cuts every answer off."""
    with serving(model, as_tool_call) as server:
        yield settings_for(model, server)


def sent_limits(server: LocalServer) -> list[dict[str, Any]]:
    """The token-limit fields of each body the gateway received."""
    names = ("max_tokens", "max_completion_tokens")
    return [{k: v for k, v in r.json().items() if k in names} for r in server.received]


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
    sent = {"max_tokens": max_tokens} if max_tokens else None
    assert str(langchain) == str(cut_off_error("length", sent=sent, expected="structured output"))
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
    assert str(error) == str(
        cut_off_error("length", sent={"max_tokens": 200}, expected="structured output")
    )
    assert "The structured output was cut off at the token limit (max_tokens=200)" in str(error)


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
    assert str(error) == str(
        cut_off_error("length", sent={"max_tokens": 200}, expected="tool call")
    )
    assert str(error).startswith(
        "The tool call's arguments were cut off at the token limit (max_tokens=200)"
    )


# --- the limit named is the one the request sent, however it was given --------------------

# How a limit reaches the request: the model's settings (``options`` in ``model_kwargs``
# for LangChain, ``additional_kwargs`` for LlamaIndex), the call's own, the body's limit
# fields, and the limit the message names. ``o3-mini``'s profile sends ``max_tokens`` as
# ``max_completion_tokens``.
GIVEN: dict[str, tuple[str, dict[str, Any], dict[str, Any], dict[str, Any], dict[str, int]]] = {
    "max_completion_tokens in the model's options": (
        "gpt-4o",
        {"max_tokens": 200, "options": {"max_completion_tokens": 50}},
        {},
        {"max_tokens": 200, "max_completion_tokens": 50},
        {"max_completion_tokens": 50},
    ),
    "max_tokens for one call": (
        "gpt-4o",
        {"max_tokens": 200},
        {"max_tokens": 77},
        {"max_tokens": 77},
        {"max_tokens": 77},
    ),
    "max_tokens sent as max_completion_tokens": (
        "o3-mini",
        {"max_tokens": 200},
        {},
        {"max_completion_tokens": 200},
        {"max_completion_tokens": 200},
    ),
}


def assert_names(error: OutputTruncatedError, limit: dict[str, int], part: str) -> None:
    ((name, value),) = limit.items()
    assert f"{part} cut off at the token limit ({name}={value}) before the JSON" in str(error)
    assert f"raise {name} (on the model or in the call)" in str(error)
    assert error.max_tokens == value


@pytest.mark.parametrize("as_tool_call", [False, True], ids=["json_schema", "function_calling"])
@pytest.mark.parametrize("given", list(GIVEN))
def test_langchain_names_the_limit_the_request_sent(given: str, as_tool_call: bool) -> None:
    model, settings, call, sent, limit = GIVEN[given]
    own = {"max_tokens": settings["max_tokens"], "model_kwargs": settings.get("options", {})}
    method = "function_calling" if as_tool_call else "json_schema"
    with serving(model, as_tool_call) as server:
        structured = ChatMixroute(**settings_for(model, server), **own).with_structured_output(
            City, method=method
        )
        invoked = raised(lambda: structured.invoke("Name a city.", **call))
        bound = raised(lambda: structured.bind(**call).invoke("Name a city."))
        streamed = raised(lambda: list(structured.stream("Name a city.", **call)))
    assert sent_limits(server) == [sent] * 3
    for error in (invoked, bound, streamed):
        assert_names(error, limit, "The structured output was")
        assert error.raw.response_metadata["token_limit"] == limit


def llama_index_llm(model: str, server: LocalServer, settings: dict[str, Any]) -> Mixroute:
    own = {"max_tokens": settings["max_tokens"], "additional_kwargs": settings.get("options", {})}
    return Mixroute(**settings_for(model, server), **own, max_retries=0)


@pytest.mark.parametrize("as_tool_call", [False, True], ids=["json_schema", "function_calling"])
@pytest.mark.parametrize("given", list(GIVEN))
def test_llama_index_names_the_limit_the_request_sent(given: str, as_tool_call: bool) -> None:
    model, settings, call, sent, limit = GIVEN[given]
    model = "claude-sonnet-4-5" if as_tool_call and model == "gpt-4o" else model
    with serving(model, as_tool_call) as server:
        llm = llama_index_llm(model, server, settings)
        plain = raised(lambda: llm.structured_predict(City, PROMPT, call))
        awaited = raised(run(lambda: llm.astructured_predict(City, PROMPT, call)))
    assert sent_limits(server) == [sent] * 2
    for error in (plain, awaited):
        assert_names(error, limit, "The structured output was")
        assert error.raw.additional_kwargs["token_limit"] == limit


@pytest.mark.parametrize("given", list(GIVEN))
def test_llama_index_tool_calls_name_the_limit_the_request_sent(given: str) -> None:
    model, settings, call, sent, limit = GIVEN[given]
    tool = FunctionTool.from_defaults(fn=pick, name="City")
    with serving(model, as_tool_call=True) as server:
        llm = llama_index_llm(model, server, settings)
        called = raised(lambda: llm.predict_and_call([tool], "Paris", tool_required=True, **call))
        *_, last = llm.stream_chat_with_tools([tool], "Paris", tool_required=True, **call)
        streamed = raised(lambda: llm.get_tool_calls_from_response(last))
    assert sent_limits(server) == [sent] * 2
    for error in (called, streamed):
        assert_names(error, limit, "The tool call's arguments were")
