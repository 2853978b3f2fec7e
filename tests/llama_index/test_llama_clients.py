"""What Mixroute's core clients put on the wire, what comes back from a wrong address, and
what a pickle of the LLM keeps.

Requests say who sends them (``User-Agent: mixroute/<v> python/<x.y> llama-index-core/<v>``,
unless the caller set one), and a ``base_url`` of the wrong shape ends in an error that
names the URL requested and the ``base_url`` to try, on ``chat``, ``achat``,
``stream_chat`` and ``complete`` alike. An unpickled LLM keeps its retry policy and reads
its key from the environment (``tests/test_copies_and_pickles.py`` has the rest, for both
adapters).
"""

from __future__ import annotations

import asyncio
import pickle
import sys
from collections.abc import Iterator
from typing import Any

import httpx
import llama_index.core
import pytest
from llama_index.core.base.llms.types import ChatMessage
from scripted_gateway import KEY
from support.gateway_paths import ApiAtV1, web_page
from support.local_server import LocalServer

import mixroute
from llama_index.llms.mixroute import Mixroute
from mixroute import APIResponseValidationError, NotFoundError, RetryPolicy

PYTHON = f"{sys.version_info.major}.{sys.version_info.minor}"
AGENT = (
    f"mixroute/{mixroute.__version__} python/{PYTHON} "
    f"llama-index-core/{llama_index.core.__version__}"
)
HI = [ChatMessage(role="user", content="Hi")]


@pytest.fixture
def gateway() -> Iterator[LocalServer]:
    with LocalServer(ApiAtV1()) as server:
        yield server


def agents(server: LocalServer) -> list[str | None]:
    return [request.headers.get("user-agent") for request in server.received]


_MADE: list[Mixroute] = []


def llm(base_url: str, **settings: Any) -> Mixroute:
    model = Mixroute("gpt-4o", api_key=KEY, base_url=base_url, **settings)
    _MADE.append(model)
    return model


@pytest.fixture(autouse=True)
def _close_the_models() -> Iterator[None]:
    # Each test's pools are closed when it ends, not by the garbage collector later on,
    # where a socket's ResourceWarning would land in whichever test runs then.
    yield
    while _MADE:
        _MADE.pop().close()


# --- User-Agent ----------------------------------------------------------------------------


@pytest.mark.parametrize("transport", ["aiohttp", "httpx"])
def test_requests_name_mixroute_python_and_llama_index_core(
    gateway: LocalServer, transport: Any
) -> None:
    model = llm(gateway.base_url, async_transport=transport)
    assert model.chat(HI).message.content == "Hello!"
    assert model.complete("Hi").text == "Hello!"
    deltas = [r.delta for r in model.stream_chat(HI)]
    assert deltas[0] == "Hello!"
    assert asyncio.run(model.achat(HI)).message.content == "Hello!"
    assert agents(gateway) == [AGENT] * 4


def test_a_user_agent_in_default_headers_wins(gateway: LocalServer) -> None:
    model = llm(gateway.base_url, default_headers={"User-Agent": "my-app/2.0"})
    model.chat(HI)
    asyncio.run(model.achat(HI))
    assert agents(gateway) == ["my-app/2.0"] * 2


def test_a_user_agent_on_your_own_http_clients_wins(gateway: LocalServer) -> None:
    async def main() -> None:
        async with httpx.AsyncClient(headers={"User-Agent": "their-client/1"}) as http:
            await llm(gateway.base_url, async_http_client=http).achat(HI)

    with httpx.Client(headers={"User-Agent": "their-client/1"}) as http:
        llm(gateway.base_url, http_client=http).chat(HI)
    asyncio.run(main())
    assert agents(gateway) == ["their-client/1"] * 2


# --- a base_url of the wrong shape ---------------------------------------------------------


def test_a_base_url_without_v1_says_to_add_it(gateway: LocalServer) -> None:
    root = gateway.base_url.removesuffix("/v1")
    model = llm(root, max_retries=0)
    advice = f"requested POST {root}/chat/completions; base_url should end in /v1: try '{root}/v1'"
    calls = [
        lambda: model.chat(HI),
        lambda: model.complete("Hi"),
        lambda: list(model.stream_chat(HI)),
        lambda: asyncio.run(model.achat(HI)),
    ]
    for call in calls:
        with pytest.raises(NotFoundError, match="404 page not found") as info:
            call()
        assert advice in str(info.value)


def test_a_base_url_with_the_endpoint_on_it_says_to_drop_it(gateway: LocalServer) -> None:
    model = llm(f"{gateway.base_url}/chat/completions", max_retries=0)
    with pytest.raises(NotFoundError) as info:
        model.chat(HI)
    assert f"base_url should not include /chat/completions: try '{gateway.base_url}'" in str(
        info.value
    )


def test_an_unknown_model_at_the_right_address_is_the_apis_404(gateway: LocalServer) -> None:
    with pytest.raises(NotFoundError) as info:
        Mixroute("glm-9", api_key=KEY, base_url=gateway.base_url, max_retries=0).chat(HI)
    assert str(info.value) == "Error code: 404 - model 'glm-9' not found"


def test_a_web_page_instead_of_the_api_says_the_same() -> None:
    with LocalServer(web_page) as server:
        root = server.base_url.removesuffix("/v1")
        with pytest.raises(APIResponseValidationError) as info:
            llm(root, max_retries=0).chat(HI)
    assert f"base_url should end in /v1: try '{root}/v1'" in str(info.value)


# --- copies and pickles (the rest, for both adapters: tests/test_copies_and_pickles.py) ---


def test_an_unpickled_llm_keeps_the_retry_policy_and_reads_the_key_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    data = pickle.dumps(llm("http://127.0.0.1:9/v1", retry_policy=RetryPolicy(max_retries=7)))
    assert KEY.encode() not in data
    monkeypatch.setenv("MIXROUTE_API_KEY", "sk-from-the-environment")
    clients = pickle.loads(data)._runtime.clients
    assert clients.sync_client.retry_policy.max_retries == 7
    assert clients.settings.api_key.get_secret_value() == "sk-from-the-environment"
