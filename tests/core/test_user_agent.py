"""Specification of mixroute.user_agent: what the server sees as the ``User-Agent``.

``mixroute/<version> python/<x.y>`` from the sync client and the async one on both
backends; a ``User-Agent`` the caller sets (in ``default_headers``, on their own httpx
client, or per call) is sent instead.
"""

from __future__ import annotations

import asyncio
import importlib.metadata
import sys
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from support.gateway_paths import ApiAtV1
from support.local_server import LocalServer

import mixroute
from mixroute import AsyncMixrouteClient, MixrouteClient, UserMessage
from mixroute.user_agent import user_agent

KEY = "sk-test-agent-0123456789"
HI = [UserMessage("Hi")]
OURS = f"mixroute/{mixroute.__version__} python/{sys.version_info.major}.{sys.version_info.minor}"


@pytest.fixture
def gateway() -> Iterator[LocalServer]:
    with LocalServer(ApiAtV1()) as server:
        yield server


def agents(server: LocalServer) -> list[str | None]:
    return [request.headers.get("user-agent") for request in server.received]


def test_the_value_names_the_package_python_and_the_framework() -> None:
    assert user_agent() == OURS
    assert user_agent("langchain-core/1.8.3") == f"{OURS} langchain-core/1.8.3"


def test_the_version_is_the_installed_distributions() -> None:
    assert mixroute.__version__ == importlib.metadata.version("mixroute")


def test_the_sync_client_sends_it_on_calls_and_streams(gateway: LocalServer) -> None:
    with MixrouteClient(KEY, base_url=gateway.base_url) as client:
        client.create("gpt-4o", HI)
        with client.stream("gpt-4o", HI) as stream:
            list(stream)
    assert agents(gateway) == [OURS, OURS]


@pytest.mark.parametrize("transport", ["aiohttp", "httpx"])
def test_the_async_client_sends_it_on_both_backends(gateway: LocalServer, transport: Any) -> None:
    async def main() -> None:
        async with AsyncMixrouteClient(
            KEY, base_url=gateway.base_url, async_transport=transport
        ) as client:
            await client.create("gpt-4o", HI)
            async with client.stream("gpt-4o", HI) as stream:
                async for _ in stream:
                    pass

    asyncio.run(main())
    assert agents(gateway) == [OURS, OURS]


def test_it_is_built_with_the_client_not_per_request(
    gateway: LocalServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = MixrouteClient(KEY, base_url=gateway.base_url)

    def refuse(integration: str | None = None) -> str:
        raise AssertionError("user_agent() called on the request path")

    monkeypatch.setattr("mixroute.settings.user_agent", refuse)
    client.create("gpt-4o", HI)
    assert agents(gateway) == [OURS]
    client.close()


@pytest.mark.parametrize("spelling", ["User-Agent", "user-agent", "USER-AGENT"])
def test_a_user_agent_in_default_headers_wins(gateway: LocalServer, spelling: str) -> None:
    headers = {spelling: "my-app/2.0"}
    with MixrouteClient(KEY, base_url=gateway.base_url, default_headers=headers) as client:
        client.create("gpt-4o", HI)

    async def main(transport: Any) -> None:
        async with AsyncMixrouteClient(
            KEY, base_url=gateway.base_url, default_headers=headers, async_transport=transport
        ) as client:
            await client.create("gpt-4o", HI)

    asyncio.run(main("aiohttp"))
    asyncio.run(main("httpx"))
    assert agents(gateway) == ["my-app/2.0"] * 3


def test_a_user_agent_on_your_own_http_client_wins(gateway: LocalServer) -> None:
    theirs = httpx.Client(headers={"User-Agent": "their-client/1"})
    MixrouteClient(KEY, base_url=gateway.base_url, http_client=theirs).create("gpt-4o", HI)
    theirs.close()

    async def main() -> None:
        async with httpx.AsyncClient(headers={"User-Agent": "their-client/1"}) as http:
            client = AsyncMixrouteClient(KEY, base_url=gateway.base_url, http_client=http)
            await client.create("gpt-4o", HI)

    asyncio.run(main())
    assert agents(gateway) == ["their-client/1", "their-client/1"]


def test_your_own_http_client_without_one_of_its_own_sends_ours(gateway: LocalServer) -> None:
    with httpx.Client() as http:  # httpx's default, python-httpx/<v>, is not the caller's
        MixrouteClient(KEY, base_url=gateway.base_url, http_client=http).create("gpt-4o", HI)
    assert agents(gateway) == [OURS]


def test_default_headers_beat_your_http_clients_and_a_call_beats_both(
    gateway: LocalServer,
) -> None:
    with httpx.Client(headers={"User-Agent": "their-client/1"}) as http:
        client = MixrouteClient(
            KEY,
            base_url=gateway.base_url,
            http_client=http,
            default_headers={"User-Agent": "configured/3"},
        )
        client.create("gpt-4o", HI)
        client.create("gpt-4o", HI, extra_headers={"User-Agent": "this-call/4"})
    assert agents(gateway) == ["configured/3", "this-call/4"]
