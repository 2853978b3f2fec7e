"""ChatMixroute's transport settings (deadlines, size limits, the async backend): they
reach the core clients, fail at construction when bad, are never request options, and a
deadline, set on the model or per call, ends a call against a server that stalls."""

from __future__ import annotations

import asyncio
import time
import typing
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from langchain_core.load import dumpd, load
from langchain_core.messages import HumanMessage
from scripted_mixroute import API_KEY, Script, chunk, completion, model_for
from support.stalling_server import StallingServer, sse_opening

from langchain_mixroute import ChatMixroute
from langchain_mixroute.options import plan_call
from mixroute import APITimeoutError, ConfigurationError, InvalidRequestError, get_profile
from mixroute import settings as core
from mixroute.defaults import AsyncTransportName

TRANSPORT_SETTINGS: dict[str, Any] = {
    "deadline": 12.0,
    "stream_deadline": 30.0,
    "max_line_bytes": 1024,
    "max_body_bytes": 2048,
    "max_error_body_bytes": 512,
}


def model(**settings: Any) -> ChatMixroute:
    return ChatMixroute(model="gpt-4o", api_key=API_KEY, **settings)


# --- settings ----------------------------------------------------------------------------


def test_the_defaults_are_the_cores() -> None:
    defaults = {name: field.default for name, field in ChatMixroute.model_fields.items()}
    assert defaults["deadline"] == core.DEFAULT_DEADLINE
    assert defaults["stream_deadline"] is None
    assert defaults["max_line_bytes"] == core.DEFAULT_MAX_LINE_BYTES
    assert defaults["max_body_bytes"] == core.DEFAULT_MAX_BODY_BYTES
    assert defaults["max_error_body_bytes"] == core.DEFAULT_MAX_ERROR_BODY_BYTES
    assert defaults["async_transport"] == "auto"
    assert typing.get_args(AsyncTransportName) == core.ASYNC_TRANSPORTS


def test_the_settings_reach_both_core_clients() -> None:
    llm = model(**TRANSPORT_SETTINGS, async_transport="httpx")
    for client in (llm._sync_client(), llm._async_client()):
        settings = client.settings
        assert {name: getattr(settings, name) for name in TRANSPORT_SETTINGS} == (
            TRANSPORT_SETTINGS
        )
    aclient = llm._async_client()
    assert aclient.settings.async_transport == "httpx"
    assert aclient.transport == "httpx"
    assert "async_transport='httpx' (httpx)" in repr(aclient)


def test_auto_runs_the_async_pool_on_aiohttp_when_installed() -> None:
    pytest.importorskip("aiohttp")
    assert model()._async_client().transport == "aiohttp"
    assert model(async_transport="aiohttp")._async_client().transport == "aiohttp"


@pytest.mark.parametrize(
    ("setting", "value"),
    [
        ("deadline", -1),
        ("deadline", 0),
        ("stream_deadline", 0),
        ("max_line_bytes", 0),
        ("max_body_bytes", 0),
        ("max_error_body_bytes", -5),
        ("async_transport", "curl"),
    ],
)
def test_bad_values_fail_at_construction_naming_the_setting(setting: str, value: Any) -> None:
    with pytest.raises(ConfigurationError, match=setting):
        model(**{setting: value})


def test_no_deadline_is_none() -> None:
    llm = model(deadline=None, stream_deadline=None)
    assert (llm._sync_client().settings.deadline, llm._sync_client().settings.stream_deadline) == (
        None,
        None,
    )


def test_changing_a_setting_reconnects_and_a_bad_change_is_refused() -> None:
    llm = model(async_transport="httpx")
    llm.deadline = 9
    llm.max_body_bytes = 4096
    assert llm._sync_client().settings.deadline == 9
    assert llm._async_client().settings.max_body_bytes == 4096
    with pytest.raises(ConfigurationError, match="stream_deadline"):
        llm.stream_deadline = -2
    assert llm.stream_deadline is None  # the model keeps the value its clients have
    assert llm._sync_client().settings.stream_deadline is None
    copy = llm.model_copy(update={"stream_deadline": 45.0, "async_transport": "auto"})
    assert copy._sync_client().settings.stream_deadline == 45.0
    assert copy._async_client().settings.async_transport == "auto"
    assert llm._async_client().settings.async_transport == "httpx"


def test_the_settings_are_not_request_options() -> None:
    script = Script(completion({"content": "ok"}))
    llm = model_for(script, **TRANSPORT_SETTINGS, async_transport="httpx")
    llm.invoke("Hi", deadline=30)
    llm.bind(deadline=None).invoke("Hi")
    for body in script.bodies:
        assert body.keys() == {"model", "messages"}
    assert llm._identifying_params == {"model": "gpt-4o"}
    params = llm._get_ls_params(deadline=5)
    assert not {key for key in params if "deadline" in key or "bytes" in key}


@pytest.mark.filterwarnings("ignore::langchain_core._api.beta_decorator.LangChainBetaWarning")
def test_serialized_like_timeout_and_max_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    llm = model(**TRANSPORT_SETTINGS, async_transport="httpx", timeout=7.0)
    kwargs = dumpd(llm)["kwargs"]
    assert {name: kwargs[name] for name in TRANSPORT_SETTINGS} == TRANSPORT_SETTINGS
    assert (kwargs["async_transport"], kwargs["timeout"], kwargs["max_retries"]) == ("httpx", 7, 2)
    monkeypatch.setenv("MIXROUTE_API_KEY", API_KEY)
    again = load(
        dumpd(llm),
        valid_namespaces=["langchain_mixroute"],
        allowed_objects=[ChatMixroute],
        secrets_from_env=True,
    )
    assert again._async_client().settings == llm._async_client().settings


# --- the per-call deadline ---------------------------------------------------------------


def plan(**call: Any) -> dict[str, Any]:
    planned = plan_call(
        [HumanMessage("Hi")],
        None,
        call,
        model="gpt-4o",
        defaults={"temperature": 0.5},
        stream_usage=True,
        profile_of=get_profile,
    )
    return planned.client


def test_a_per_call_deadline_goes_to_the_client_only_when_given() -> None:
    assert "deadline" not in plan()
    assert plan(deadline=5)["deadline"] == 5
    assert plan(deadline=None)["deadline"] is None  # kept: no deadline for this call
    assert plan(deadline=5, temperature=None).keys() == {
        "profile",
        "timeout",
        "extra_headers",
        "deadline",
    }


def test_a_bad_per_call_deadline_is_refused() -> None:
    llm = model_for(Script(completion({"content": "ok"})))
    with pytest.raises(InvalidRequestError, match="deadline must be a positive number"):
        llm.invoke("Hi", deadline=-1)


# --- deadlines against a server that stalls ----------------------------------------------


def stalling_model(server: StallingServer, **settings: Any) -> ChatMixroute:
    # A read timeout well past the deadline, and no retries: only the deadline can end it.
    return ChatMixroute(
        model="gpt-4o",
        api_key=API_KEY,
        base_url=server.base_url,
        max_retries=0,
        timeout=5.0,
        **settings,
    )


def test_invoke_ends_at_a_per_call_deadline() -> None:
    with StallingServer() as server:
        llm = stalling_model(server)
        started = time.monotonic()
        with pytest.raises(APITimeoutError):
            llm.invoke("Hi", deadline=0.3)
        elapsed = time.monotonic() - started
        assert server.hung_up()  # the connection is closed, not left to the server
        llm.close()
    assert 0.25 < elapsed < 2.0
    assert len(server.bodies) == 1  # the request was sent, and answered by nothing


def test_a_bound_deadline_and_the_models_own_end_a_call() -> None:
    with StallingServer() as server:
        bound = stalling_model(server).bind(deadline=0.3)
        started = time.monotonic()
        with pytest.raises(APITimeoutError):
            bound.invoke("Hi")
        assert time.monotonic() - started < 2.0
        own = stalling_model(server, deadline=0.3)
        started = time.monotonic()
        with pytest.raises(APITimeoutError):
            own.invoke("Hi")
        assert time.monotonic() - started < 2.0


@pytest.mark.parametrize("transport", ["httpx", "aiohttp"])
def test_ainvoke_ends_at_a_per_call_deadline(transport: str) -> None:
    if transport == "aiohttp":
        pytest.importorskip("aiohttp")

    async def run(llm: ChatMixroute) -> float:
        started = time.monotonic()
        try:
            with pytest.raises(APITimeoutError):
                await llm.ainvoke("Hi", deadline=0.5)
            return time.monotonic() - started
        finally:
            await llm.aclose()

    with StallingServer() as server:
        elapsed = asyncio.run(run(stalling_model(server, async_transport=transport)))
        # The first async call imports the async stack inside its deadline: 0.5 s leaves a
        # loaded machine room to connect, so the hang-up is of a connection it made. The
        # server's threads count both late on a loaded machine: wait for the hang-up first.
        assert server.hung_up()
        assert server.connections == 1
    assert 0.45 < elapsed < 2.5


FIRST = chunk({"role": "assistant", "content": "Hel"})


def drain(pieces: Iterator[Any], into: list[Any]) -> None:
    for piece in pieces:
        into.append(piece.content)


async def adrain(pieces: AsyncIterator[Any], into: list[Any]) -> None:
    async for piece in pieces:
        into.append(piece.content)


def dripping_server() -> StallingServer:
    # Headers and one event, then a blank line every 0.1 s: complete lines keep coming,
    # so neither the read timeout nor the idle bound can end the stream; the deadline can.
    return StallingServer(sse_opening(FIRST), drip=b"\n", every=0.1)


def test_a_stream_ends_at_the_stream_deadline_with_what_arrived() -> None:
    with dripping_server() as server:
        llm = stalling_model(server, stream_deadline=0.3)
        contents: list[Any] = []
        started = time.monotonic()
        with pytest.raises(APITimeoutError) as caught:
            drain(llm.stream("Hi"), contents)
        elapsed = time.monotonic() - started
        llm.close()
    assert 0.25 < elapsed < 2.0
    assert contents == ["Hel"]
    assert caught.value.partial is not None
    assert caught.value.partial.content == "Hel"


def test_a_per_call_deadline_bounds_a_stream_and_astream() -> None:
    async def arun(llm: ChatMixroute) -> tuple[list[Any], APITimeoutError]:
        contents: list[Any] = []
        try:
            with pytest.raises(APITimeoutError) as caught:
                # 0.5 s, as for ainvoke: room for the first async call to import its stack.
                await adrain(llm.astream("Hi", deadline=0.5), contents)
            return contents, caught.value
        finally:
            await llm.aclose()

    with dripping_server() as server:
        llm = stalling_model(server)  # no stream_deadline: only the call's
        started = time.monotonic()
        with pytest.raises(APITimeoutError) as caught:
            contents = [piece.content for piece in llm.stream("Hi", deadline=0.3)]
        assert time.monotonic() - started < 2.0
        assert caught.value.partial is not None
        assert caught.value.partial.content == "Hel"
        started = time.monotonic()
        contents, error = asyncio.run(arun(llm))
        assert time.monotonic() - started < 2.5
    assert contents == ["Hel"]
    assert error.partial is not None
    assert error.partial.content == "Hel"
