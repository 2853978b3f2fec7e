"""Copies and pickles of both adapters' models, one specification for ``ChatMixroute`` and
``Mixroute``, against a real local server.

``model_copy`` (plain, with an update, deep), ``copy.copy``, ``copy.deepcopy`` and
``pickle`` work before and after the first sync and async calls. A copy opens pools of its
own (closing the original does not break it) and shares the httpx clients you passed; a
pickle holds neither the key nor your httpx clients (with a ``MixrouteWarning``), and the
unpickled model reads ``MIXROUTE_API_KEY`` at its first call, which says what to set when
it is missing.
"""

from __future__ import annotations

import asyncio
import copy
import pickle
import sys
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import langchain_core
import llama_index.core
import pytest
from llama_index.core.base.llms.types import ChatMessage
from support.gateway_paths import ApiAtV1
from support.local_server import LocalServer

import mixroute
from langchain_mixroute import ChatMixroute
from llama_index_mixroute import Mixroute
from mixroute import ConfigurationError, MixrouteWarning

KEY = "sk-given-to-the-model-0123456789"
ENV_KEY = "sk-from-the-workers-environment"
HI = [ChatMessage(role="user", content="Hi")]
THEIRS = {"User-Agent": "their-client/1"}
OURS = f"mixroute/{mixroute.__version__} python/{sys.version_info.major}.{sys.version_info.minor}"


@dataclass(frozen=True)
class Adapter:
    """How to make one adapter's model and call it, sync and async."""

    make: Callable[..., Any]
    call: Callable[[Any], str]
    acall: Callable[[Any], Awaitable[str]]
    http_arguments: tuple[str, str]  # the names of your httpx clients, sync and async
    agent: str


async def _ainvoke(llm: ChatMixroute) -> str:
    return str((await llm.ainvoke("Hi")).content)


async def _achat(llm: Mixroute) -> str:
    return str((await llm.achat(HI)).message.content)


ADAPTERS = {
    "ChatMixroute": Adapter(
        make=lambda base_url, **settings: ChatMixroute(
            model="gpt-4o", api_key=KEY, base_url=base_url, **settings
        ),
        call=lambda llm: str(llm.invoke("Hi").content),
        acall=_ainvoke,
        http_arguments=("http_client", "http_async_client"),
        agent=f"{OURS} langchain-core/{langchain_core.__version__}",
    ),
    "Mixroute": Adapter(
        make=lambda base_url, **settings: Mixroute(
            "gpt-4o", api_key=KEY, base_url=base_url, **settings
        ),
        call=lambda llm: str(llm.chat(HI).message.content),
        acall=_achat,
        http_arguments=("http_client", "async_http_client"),
        agent=f"{OURS} llama-index-core/{llama_index.core.__version__}",
    ),
}
COPIES: dict[str, Callable[[Any], Any]] = {
    "model_copy": lambda llm: llm.model_copy(),
    "model_copy-update": lambda llm: llm.model_copy(update={"temperature": 0.5}),
    "model_copy-deep": lambda llm: llm.model_copy(deep=True),
    "copy.copy": copy.copy,
    "copy.deepcopy": copy.deepcopy,
    "pickle": lambda llm: pickle.loads(pickle.dumps(llm)),
}


@pytest.fixture
def gateway() -> Iterator[LocalServer]:
    with LocalServer(ApiAtV1()) as server:
        yield server


@pytest.fixture(params=ADAPTERS)
def adapter(request: pytest.FixtureRequest) -> Adapter:
    return ADAPTERS[request.param]


def keys(server: LocalServer) -> list[str]:
    return [request.headers["authorization"].removeprefix("Bearer ") for request in server.received]


def agents(server: LocalServer) -> list[str | None]:
    return [request.headers.get("user-agent") for request in server.received]


@pytest.mark.parametrize("used", [False, True], ids=["unused", "after-calls"])
@pytest.mark.parametrize("how", COPIES)
def test_a_copy_answers_sync_and_async_before_and_after_calls(
    gateway: LocalServer,
    monkeypatch: pytest.MonkeyPatch,
    adapter: Adapter,
    how: str,
    used: bool,
) -> None:
    monkeypatch.setenv("MIXROUTE_API_KEY", ENV_KEY)
    llm = adapter.make(gateway.base_url)

    async def main() -> None:
        if used:
            adapter.call(llm)
            await adapter.acall(llm)
        duplicate = COPIES[how](llm)
        assert adapter.call(duplicate) == "Hello!"
        assert await adapter.acall(duplicate) == "Hello!"

    asyncio.run(main())
    assert KEY.encode() not in pickle.dumps(llm)
    expected = ENV_KEY if how == "pickle" else KEY  # the key never travels in a pickle
    assert keys(gateway) == [KEY] * (2 if used else 0) + [expected] * 2


@pytest.mark.parametrize("used", [False, True], ids=["unused", "after-calls"])
@pytest.mark.parametrize("how", COPIES)
def test_your_http_clients_are_shared_by_copies_and_left_out_of_pickles(
    gateway: LocalServer, monkeypatch: pytest.MonkeyPatch, adapter: Adapter, how: str, used: bool
) -> None:
    monkeypatch.setenv("MIXROUTE_API_KEY", ENV_KEY)
    sync_name, async_name = adapter.http_arguments

    async def main() -> None:
        async with httpx.AsyncClient(headers=THEIRS) as ahttp:
            with httpx.Client(headers=THEIRS) as http:
                llm = adapter.make(gateway.base_url, **{sync_name: http, async_name: ahttp})
                if used:
                    adapter.call(llm)
                    await adapter.acall(llm)
                if how == "pickle":
                    with pytest.warns(
                        MixrouteWarning, match="httpx sync and async clients you passed"
                    ):
                        duplicate = COPIES[how](llm)
                else:
                    duplicate = COPIES[how](llm)
                adapter.call(duplicate)
                await adapter.acall(duplicate)

    asyncio.run(main())
    copied = adapter.agent if how == "pickle" else "their-client/1"  # a pickle: its own pools
    assert agents(gateway) == ["their-client/1"] * (2 if used else 0) + [copied] * 2


def test_a_deep_copy_made_after_calls_runs_on_its_own_pools(
    gateway: LocalServer, adapter: Adapter
) -> None:
    llm = adapter.make(gateway.base_url)

    async def main() -> None:
        adapter.call(llm)
        await adapter.acall(llm)
        duplicate = copy.deepcopy(llm)
        llm.close()
        await llm.aclose()
        assert adapter.call(duplicate) == "Hello!"
        assert await adapter.acall(duplicate) == "Hello!"

    asyncio.run(main())
    ports = [request.client_port for request in gateway.received]
    assert set(ports[:2]).isdisjoint(ports[2:])


def test_unpickled_without_the_key_the_first_call_says_what_to_set(
    gateway: LocalServer, adapter: Adapter
) -> None:
    again = pickle.loads(pickle.dumps(adapter.make(gateway.base_url)))
    with pytest.raises(ConfigurationError, match="MIXROUTE_API_KEY is not set"):
        adapter.call(again)
    with pytest.raises(ConfigurationError, match="MIXROUTE_API_KEY is not set"):
        asyncio.run(adapter.acall(again))
    assert gateway.received == []
