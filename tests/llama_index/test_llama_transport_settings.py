"""``Mixroute``'s transport settings (deadlines, size limits, the async backend): they reach
the core clients, fail at construction when bad, follow a change, are never request
options, and a deadline, set on the LLM or per call, ends a call against a server that
stalls with the core's ``APITimeoutError``."""

from __future__ import annotations

import asyncio
import copy
import pickle
import time
import typing
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from llama_index.core.base.llms.types import ChatMessage
from scripted_gateway import KEY, ScriptedGateway, completion
from support.stalling_server import StallingServer, sse_opening

from llama_index_mixroute import Mixroute
from mixroute import (
    APITimeoutError,
    ConfigurationError,
    InvalidRequestError,
    MixrouteWarning,
    UserMessage,
)
from mixroute import settings as core
from mixroute.client import DEFAULT
from mixroute.defaults import AsyncTransportName

HI = [ChatMessage(role="user", content="Hi")]
ONE = [UserMessage("Hi")]
TRANSPORT_SETTINGS: dict[str, Any] = {
    "deadline": 12.0,
    "stream_deadline": 30.0,
    "max_line_bytes": 1024,
    "max_body_bytes": 2048,
    "max_error_body_bytes": 512,
}


def llm(**settings: Any) -> Mixroute:
    return Mixroute("gpt-4o", api_key=KEY, **settings)


def transport_settings(settings: core.ClientSettings) -> dict[str, Any]:
    return {name: getattr(settings, name) for name in TRANSPORT_SETTINGS}


# --- settings ----------------------------------------------------------------------------


def test_the_defaults_are_the_cores() -> None:
    defaults = {name: field.default for name, field in Mixroute.model_fields.items()}
    assert defaults["deadline"] == core.DEFAULT_DEADLINE
    assert defaults["stream_deadline"] is None
    assert defaults["max_line_bytes"] == core.DEFAULT_MAX_LINE_BYTES
    assert defaults["max_body_bytes"] == core.DEFAULT_MAX_BODY_BYTES
    assert defaults["max_error_body_bytes"] == core.DEFAULT_MAX_ERROR_BODY_BYTES
    assert defaults["async_transport"] == "auto"
    assert typing.get_args(AsyncTransportName) == core.ASYNC_TRANSPORTS


def test_the_settings_reach_both_core_clients() -> None:
    clients = llm(**TRANSPORT_SETTINGS, async_transport="httpx")._runtime.clients
    assert transport_settings(clients.async_client.settings) == TRANSPORT_SETTINGS
    assert transport_settings(clients.sync_client.settings) == TRANSPORT_SETTINGS
    aclient = clients.async_client
    assert (aclient.settings.async_transport, aclient.transport) == ("httpx", "httpx")
    assert "async_transport='httpx' (httpx)" in repr(aclient)


def test_auto_runs_the_async_pool_on_aiohttp_when_installed() -> None:
    pytest.importorskip("aiohttp")
    assert llm()._runtime.clients.async_client.transport == "aiohttp"


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
        llm(**{setting: value})


def test_a_changed_client_setting_reconnects_and_a_bad_change_is_refused() -> None:
    model = llm(async_transport="httpx")
    model.deadline = 9
    model.max_retries = 4
    model.timeout = 30
    clients = model._runtime.clients
    assert (clients.sync_client.settings.deadline, clients.async_client.settings.deadline) == (9, 9)
    assert clients.async_client.retry_policy.max_retries == 4
    assert clients.sync_client.settings.timeout.read == 30
    with pytest.raises(ConfigurationError, match="max_body_bytes"):
        model.max_body_bytes = 0
    assert model.max_body_bytes == core.DEFAULT_MAX_BODY_BYTES  # kept, as the clients have it
    assert model._runtime.clients is clients
    model.api_base = "http://127.0.0.1:9/v1/"
    assert model.api_base == model._runtime.clients.base_url == "http://127.0.0.1:9/v1"
    key = model._runtime.clients.async_client.settings.api_key.get_secret_value()
    assert key == KEY


def test_a_copy_gets_its_own_clients_with_the_settings_it_has() -> None:
    model = llm(async_transport="httpx")
    same = model.model_copy(update={"temperature": 0.5})
    assert same._runtime.clients is not model._runtime.clients  # pools of its own
    assert same._runtime.clients.settings == model._runtime.clients.settings
    other = model.model_copy(update={"stream_deadline": 45.0, "async_transport": "auto"})
    assert other._runtime.clients is not model._runtime.clients
    assert other._runtime.clients.sync_client.settings.stream_deadline == 45.0
    assert model._runtime.clients.sync_client.settings.stream_deadline is None
    assert model._runtime.clients.async_client.settings.async_transport == "httpx"
    deep = copy.deepcopy(model)._runtime.clients
    assert deep is not model._runtime.clients
    assert deep.settings == model._runtime.clients.settings


def test_user_http_clients_survive_a_reconnect() -> None:
    gateway = ScriptedGateway(completion("ok"), completion("ok"))
    model = gateway.llm()
    model.deadline = 20
    model.chat(HI)
    asyncio.run(model.achat(HI))
    assert len(gateway.bodies) == 2


def test_the_settings_are_not_request_options_and_are_serialized(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    gateway = ScriptedGateway(completion("ok"), completion("ok"))
    model = gateway.llm(**TRANSPORT_SETTINGS, async_transport="httpx")
    model.chat(HI, deadline=30)
    model.complete("Hi", deadline=None)
    for body in gateway.bodies:
        assert body.keys() == {"model", "messages"}
    assert "deadline" not in model.to_payload()
    data = model.to_dict()
    assert {name: data[name] for name in TRANSPORT_SETTINGS} == TRANSPORT_SETTINGS
    assert data["async_transport"] == "httpx"
    monkeypatch.setenv("MIXROUTE_API_KEY", KEY)
    again = Mixroute.from_dict(data)
    assert transport_settings(again._runtime.clients.async_client.settings) == TRANSPORT_SETTINGS
    with pytest.warns(
        MixrouteWarning, match="httpx sync and async clients"
    ):  # the gateway's, left out
        unpickled = pickle.loads(pickle.dumps(model))
    assert unpickled._runtime.clients.async_client.settings.deadline == 12.0


# --- the per-call deadline ---------------------------------------------------------------


def test_a_per_call_deadline_goes_to_the_client_only_when_given() -> None:
    model = llm()
    assert model._request(ONE, {}).args == {}
    assert model._request(ONE, {"deadline": 5}).args == {"deadline": 5.0}
    assert model._request(ONE, {"deadline": None}).args == {"deadline": None}
    assert model._request(ONE, {"deadline": DEFAULT}).args == {"deadline": DEFAULT}


def test_a_bad_per_call_deadline_is_refused_when_the_call_is_made() -> None:
    model = llm()
    with pytest.raises(InvalidRequestError, match="deadline must be a positive number"):
        model.chat(HI, deadline=-1)
    with pytest.raises(InvalidRequestError, match="deadline must be a positive number"):
        model.stream_chat(HI, deadline=0)  # before the stream is iterated


# --- deadlines against a server that stalls ----------------------------------------------


def stalling_llm(server: StallingServer, **settings: Any) -> Mixroute:
    # A read timeout well past the deadline, and no retries: only the deadline can end it.
    return Mixroute(
        "gpt-4o", api_key=KEY, base_url=server.base_url, max_retries=0, timeout=5.0, **settings
    )


def test_chat_and_complete_end_at_a_per_call_deadline() -> None:
    with StallingServer() as server:
        model = stalling_llm(server)
        started = time.monotonic()
        with pytest.raises(APITimeoutError):
            model.chat(HI, deadline=0.3)
        assert 0.25 < time.monotonic() - started < 2.0
        started = time.monotonic()
        with pytest.raises(APITimeoutError):
            model.complete("Hi", deadline=0.3)
        assert 0.25 < time.monotonic() - started < 2.0
        assert server.hung_up(2)
        model.close()
    assert len(server.bodies) == 2


@pytest.mark.parametrize("transport", ["httpx", "aiohttp"])
def test_achat_ends_at_a_per_call_deadline(transport: str) -> None:
    if transport == "aiohttp":
        pytest.importorskip("aiohttp")

    async def run(model: Mixroute) -> float:
        started = time.monotonic()
        try:
            with pytest.raises(APITimeoutError):
                await model.achat(HI, deadline=0.5)
            return time.monotonic() - started
        finally:
            await model.aclose()

    with StallingServer() as server:
        elapsed = asyncio.run(run(stalling_llm(server, async_transport=transport)))
        # The first async call imports the async stack inside its deadline: 0.5 s leaves a
        # loaded machine room to connect, so the hang-up is of a connection it made. The
        # server's threads count both late on a loaded machine: wait for the hang-up first.
        assert server.hung_up()
        assert server.connections == 1
    assert 0.45 < elapsed < 2.5


def test_the_llms_own_deadline_ends_a_call() -> None:
    with StallingServer() as server:
        started = time.monotonic()
        with pytest.raises(APITimeoutError):
            stalling_llm(server, deadline=0.3).chat(HI)
        assert time.monotonic() - started < 2.0


FIRST = {
    "id": "chatcmpl-1",
    "object": "chat.completion.chunk",
    "created": 1,
    "model": "gpt-4o",
    "choices": [{"index": 0, "delta": {"role": "assistant", "content": "Hel"}}],
}


def drain(responses: Iterator[Any], into: list[str]) -> None:
    for response in responses:
        into.append(response.delta)


async def adrain(responses: AsyncIterator[Any], into: list[str]) -> None:
    async for response in responses:
        into.append(response.delta)


def dripping_server() -> StallingServer:
    # Headers and one event, then a blank line every 0.1 s: complete lines keep coming,
    # so neither the read timeout nor the idle bound can end the stream; the deadline can.
    return StallingServer(sse_opening(FIRST), drip=b"\n", every=0.1)


def test_stream_chat_ends_at_the_stream_deadline_with_what_arrived() -> None:
    with dripping_server() as server:
        model = stalling_llm(server, stream_deadline=0.3)
        deltas: list[str] = []
        started = time.monotonic()
        with pytest.raises(APITimeoutError) as caught:
            drain(model.stream_chat(HI), deltas)
        elapsed = time.monotonic() - started
        model.close()
    assert 0.25 < elapsed < 2.0
    assert deltas == ["Hel"]
    assert caught.value.partial is not None
    assert caught.value.partial.content == "Hel"


def test_a_per_call_deadline_bounds_astream_chat() -> None:
    async def run(model: Mixroute) -> tuple[list[str], APITimeoutError]:
        deltas: list[str] = []
        try:
            with pytest.raises(APITimeoutError) as caught:
                # 0.5 s, as for achat: room for the first async call to import its stack.
                await adrain(await model.astream_chat(HI, deadline=0.5), deltas)
            return deltas, caught.value
        finally:
            await model.aclose()

    with dripping_server() as server:
        started = time.monotonic()
        deltas, error = asyncio.run(run(stalling_llm(server)))
        assert time.monotonic() - started < 2.5
    assert deltas == ["Hel"]
    assert error.partial is not None
    assert error.partial.content == "Hel"
