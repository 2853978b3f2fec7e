"""What ChatMixroute's core clients put on the wire, what comes back from a wrong address,
and what copies and pickles of the model hold.

Requests say who sends them (``User-Agent: mixroute/<v> python/<x.y> langchain-core/<v>``,
unless the caller set one), and a ``base_url`` of the wrong shape ends in an error that
names the URL requested and the ``base_url`` to try, on ``invoke``, ``ainvoke`` and
``stream`` alike. A copy of the model holds the httpx clients you passed, a pickle neither
them nor the key (``tests/test_copies_and_pickles.py`` has the rest, for both adapters).
"""

from __future__ import annotations

import asyncio
import copy
import pickle
import sys
from collections.abc import Iterator
from typing import Any

import httpx
import langchain_core
import pytest
from scripted_mixroute import API_KEY
from support.gateway_paths import ApiAtV1, web_page
from support.local_server import LocalServer

import mixroute
from langchain_mixroute import ChatMixroute
from mixroute import (
    APIResponseValidationError,
    ConfigurationError,
    MixrouteWarning,
    NotFoundError,
)

PYTHON = f"{sys.version_info.major}.{sys.version_info.minor}"
AGENT = (
    f"mixroute/{mixroute.__version__} python/{PYTHON} langchain-core/{langchain_core.__version__}"
)


@pytest.fixture
def gateway() -> Iterator[LocalServer]:
    with LocalServer(ApiAtV1()) as server:
        yield server


def agents(server: LocalServer) -> list[str | None]:
    return [request.headers.get("user-agent") for request in server.received]


def model(base_url: str, **settings: Any) -> ChatMixroute:
    return ChatMixroute(model="gpt-4o", api_key=API_KEY, base_url=base_url, **settings)


# --- User-Agent ----------------------------------------------------------------------------


@pytest.mark.parametrize("transport", ["aiohttp", "httpx"])
def test_requests_name_mixroute_python_and_langchain_core(
    gateway: LocalServer, transport: Any
) -> None:
    llm = model(gateway.base_url, async_transport=transport)
    assert llm.invoke("Hi").content == "Hello!"
    assert "".join(str(chunk.content) for chunk in llm.stream("Hi")) == "Hello!"
    assert asyncio.run(llm.ainvoke("Hi")).content == "Hello!"
    assert agents(gateway) == [AGENT] * 3


def test_a_user_agent_in_default_headers_wins(gateway: LocalServer) -> None:
    llm = model(gateway.base_url, default_headers={"User-Agent": "my-app/2.0"})
    llm.invoke("Hi")
    asyncio.run(llm.ainvoke("Hi"))
    assert agents(gateway) == ["my-app/2.0"] * 2


def test_a_user_agent_on_your_own_http_clients_wins(gateway: LocalServer) -> None:
    async def main() -> None:
        async with httpx.AsyncClient(headers={"User-Agent": "their-client/1"}) as http:
            await model(gateway.base_url, http_async_client=http).ainvoke("Hi")

    with httpx.Client(headers={"User-Agent": "their-client/1"}) as http:
        model(gateway.base_url, http_client=http).invoke("Hi")
    asyncio.run(main())
    assert agents(gateway) == ["their-client/1"] * 2


# --- a base_url of the wrong shape ---------------------------------------------------------


def test_a_base_url_without_v1_says_to_add_it(gateway: LocalServer) -> None:
    root = gateway.base_url.removesuffix("/v1")
    llm = model(root, max_retries=0)
    advice = f"requested POST {root}/chat/completions; base_url should end in /v1: try '{root}/v1'"
    with pytest.raises(NotFoundError, match="404 page not found") as info:
        llm.invoke("Hi")
    assert advice in str(info.value)
    with pytest.raises(NotFoundError) as info:
        asyncio.run(llm.ainvoke("Hi"))
    assert advice in str(info.value)
    with pytest.raises(NotFoundError) as info:
        list(llm.stream("Hi"))
    assert advice in str(info.value)


def test_a_base_url_with_the_endpoint_on_it_says_to_drop_it(gateway: LocalServer) -> None:
    llm = model(f"{gateway.base_url}/chat/completions", max_retries=0)
    with pytest.raises(NotFoundError) as info:
        llm.invoke("Hi")
    assert f"base_url should not include /chat/completions: try '{gateway.base_url}'" in str(
        info.value
    )


def test_an_unknown_model_at_the_right_address_is_the_apis_404(gateway: LocalServer) -> None:
    with pytest.raises(NotFoundError) as info:
        model(gateway.base_url, max_retries=0).invoke("Hi", model="glm-9")
    assert str(info.value) == "Error code: 404 - model 'glm-9' not found"


def test_a_web_page_instead_of_the_api_says_the_same() -> None:
    with LocalServer(web_page) as server:
        root = server.base_url.removesuffix("/v1")
        with pytest.raises(APIResponseValidationError) as info:
            model(root, max_retries=0).invoke("Hi")
    assert f"base_url should end in /v1: try '{root}/v1'" in str(info.value)


# --- copies and pickles (the rest, for both adapters: tests/test_copies_and_pickles.py) ---


def test_copies_hold_your_http_clients_and_a_pickle_holds_neither_them_nor_the_key(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with httpx.Client() as http:
        ahttp = httpx.AsyncClient()
        llm = model("http://127.0.0.1:9/v1", http_client=http, http_async_client=ahttp)
        for duplicate in (copy.copy(llm), copy.deepcopy(llm), llm.model_copy(deep=True)):
            assert (duplicate.http_client, duplicate.http_async_client) == (http, ahttp)
            assert duplicate.api_key == llm.api_key
        with pytest.warns(MixrouteWarning):
            data = pickle.dumps(llm)
    assert API_KEY.encode() not in data
    monkeypatch.setenv("MIXROUTE_API_KEY", "sk-from-the-environment")
    again = pickle.loads(data)
    assert (again.api_key, again.http_client, again.http_async_client) == (None, None, None)
    assert again._sync_client().settings.api_key.get_secret_value() == "sk-from-the-environment"


@pytest.mark.parametrize("field", ["http_client", "http_async_client"])
def test_a_wrong_http_client_is_our_typed_error_naming_the_field(field: str) -> None:
    with pytest.raises(ConfigurationError, match=field) as caught:
        ChatMixroute(model="glm-5", api_key="sk-test", **{field: object()})
    assert type(caught.value) is ConfigurationError  # not pydantic's ValidationError
