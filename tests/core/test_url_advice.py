"""Specification of mixroute.url_advice: an answer from the wrong address says so.

A ``base_url`` without ``/v1``, or with ``/chat/completions`` on it, reaches a server
that has no API at that path. The error names the URL requested and the ``base_url`` to
try, for plain calls and streams, sync and async on both backends; a correct address gets
the API's own error, unchanged.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from support.gateway_paths import ApiAtV1, web_page
from support.local_server import LocalServer, Received, Reply

from mixroute import (
    APIResponseValidationError,
    AsyncMixrouteClient,
    MixrouteClient,
    NotFoundError,
    UserMessage,
)
from mixroute.url_advice import base_url_fix, is_route_miss

KEY = "sk-test-advice-0123456789"
HI = [UserMessage("Hi")]

# --- the advice, from the URL requested --------------------------------------------------


@pytest.mark.parametrize(
    ("requested", "advice"),
    [
        (
            "https://console.mixroute.io/chat/completions",
            "base_url should end in /v1: try 'https://console.mixroute.io/v1'",
        ),
        (
            "https://console.mixroute.io/v1/chat/completions/chat/completions",
            "base_url should not include /chat/completions: try 'https://console.mixroute.io/v1'",
        ),
        (
            "https://console.mixroute.io/chat/completions/chat/completions",
            "base_url should not include /chat/completions: try 'https://console.mixroute.io/v1'",
        ),
        ("https://openrouter.ai/api/chat/completions", "try 'https://openrouter.ai/api/v1'"),
        ("https://gateway.example/v1/models/chat/completions", "try 'https://gateway.example/v1'"),
        # What is shown drops credentials and the query, and keeps the port.
        (
            "https://user:pw@gateway.example:8443/chat/completions?k=1",
            "'https://gateway.example:8443/v1'",
        ),
    ],
)
def test_a_base_url_of_the_wrong_shape_gets_the_one_to_try(requested: str, advice: str) -> None:
    found = base_url_fix(httpx.URL(requested))
    assert found is not None
    assert found.endswith(advice)


@pytest.mark.parametrize(
    "requested",
    [
        "https://console.mixroute.io/v1/chat/completions",
        "https://open.bigmodel.cn/api/paas/v4/chat/completions",  # another version
        "https://generativelanguage.googleapis.com/v1beta/openai/chat/completions",
        "https://dashscope.aliyuncs.com/compatible-mode/v1/chat/completions",
        "https://gateway.example/v1/embeddings",  # not a URL this client builds
    ],
)
def test_a_base_url_of_the_right_shape_gets_none(requested: str) -> None:
    assert base_url_fix(httpx.URL(requested)) is None


@pytest.mark.parametrize(
    ("status", "body", "message", "miss"),
    [
        (404, "404 page not found", "404 page not found", True),
        (404, "<html>Not Found</html>", "<html>Not Found</html>", True),
        (404, None, "Not Found", True),
        (404, {"detail": "Not Found"}, "Not Found", True),  # Starlette's unknown route
        (405, "Method Not Allowed", "Method Not Allowed", True),
        (404, {"error": {"message": "model not found"}}, "model not found", False),
        (404, [{"error": {"code": 404, "message": "no such model"}}], "no such model", False),
        (400, "bad request", "bad request", False),
    ],
)
def test_a_route_miss_is_a_server_without_the_api_not_the_api_speaking(
    status: int, body: Any, message: str, miss: bool
) -> None:
    assert is_route_miss(status, body, message) is miss


# --- through the clients, against a gateway serving /v1/chat/completions only ------------


@pytest.fixture(scope="module")
def gateway() -> Iterator[LocalServer]:
    with LocalServer(ApiAtV1()) as server:
        yield server


def root(server: LocalServer) -> str:
    return server.base_url.removesuffix("/v1")


def wrong_base_urls(server: LocalServer) -> list[tuple[str, str, str]]:
    """(base_url, the URL it sends to, the advice) for the two classic mistakes."""
    host = root(server)
    return [
        (host, f"{host}/chat/completions", f"base_url should end in /v1: try '{host}/v1'"),
        (
            f"{host}/v1/chat/completions",
            f"{host}/v1/chat/completions/chat/completions",
            f"base_url should not include /chat/completions: try '{host}/v1'",
        ),
    ]


def assert_advised(error: BaseException, sent_to: str, advice: str) -> None:
    message = str(error)
    assert message.startswith("Error code: 404 - 404 page not found")
    assert f"requested POST {sent_to}" in message
    assert advice in message


def test_sync_calls_and_streams_name_the_url_and_the_fix(gateway: LocalServer) -> None:
    for base_url, sent_to, advice in wrong_base_urls(gateway):
        client = MixrouteClient(KEY, base_url=base_url, max_retries=0)
        with pytest.raises(NotFoundError) as info:
            client.create("gpt-4o", HI)
        assert_advised(info.value, sent_to, advice)
        with pytest.raises(NotFoundError) as info:
            client.stream("gpt-4o", HI)
        assert_advised(info.value, sent_to, advice)
        client.close()


@pytest.mark.parametrize("transport", ["aiohttp", "httpx"])
def test_async_calls_and_streams_name_the_url_and_the_fix(
    gateway: LocalServer, transport: Any
) -> None:
    async def main() -> None:
        for base_url, sent_to, advice in wrong_base_urls(gateway):
            async with AsyncMixrouteClient(
                KEY, base_url=base_url, max_retries=0, async_transport=transport
            ) as client:
                with pytest.raises(NotFoundError) as info:
                    await client.create("gpt-4o", HI)
                assert_advised(info.value, sent_to, advice)
                with pytest.raises(NotFoundError) as info:
                    async with client.stream("gpt-4o", HI):
                        pass
                assert_advised(info.value, sent_to, advice)

    asyncio.run(main())


def test_a_correct_base_url_keeps_the_apis_own_404(gateway: LocalServer) -> None:
    client = MixrouteClient(KEY, base_url=gateway.base_url, max_retries=0)
    assert client.create("gpt-4o", HI).message.content == "Hello!"
    with pytest.raises(NotFoundError) as info:
        client.create("glm-9", HI)
    assert str(info.value) == "Error code: 404 - model 'glm-9' not found"
    assert info.value.code == "model_not_found"
    client.close()


def test_a_404_page_at_a_right_looking_path_names_the_url_and_asks_to_check_it() -> None:
    with LocalServer(lambda _: Reply(404, "404 page not found\n")) as server:
        client = MixrouteClient(KEY, base_url=server.base_url, max_retries=0)
        with pytest.raises(NotFoundError) as info:
            client.create("gpt-4o", HI)
    assert str(info.value) == (
        "Error code: 404 - 404 page not found "
        f"(requested POST {server.base_url}/chat/completions; check base_url)"
    )


# --- a web page answering 200 ------------------------------------------------------------


def test_a_web_page_instead_of_the_api_names_the_url_and_the_fix() -> None:
    with LocalServer(web_page) as server:
        host = root(server)
        client = MixrouteClient(KEY, base_url=host, max_retries=0)
        with pytest.raises(APIResponseValidationError) as info:
            client.create("gpt-4o", HI)
        message = str(info.value)
        assert "not JSON: '<!doctype html>" in message
        assert message.endswith(
            f"(requested POST {host}/chat/completions; base_url should end in /v1: try '{host}/v1')"
        )
        with pytest.raises(APIResponseValidationError) as info:
            list(client.stream("gpt-4o", HI))
        message = str(info.value)
        assert "not an event stream: '<!doctype html>" in message
        assert f"base_url should end in /v1: try '{host}/v1'" in message
        assert info.value.request is not None
        client.close()


@pytest.mark.parametrize("transport", ["aiohttp", "httpx"])
def test_a_web_page_on_the_async_client_says_the_same(transport: Any) -> None:
    async def main(server: LocalServer) -> None:
        host = root(server)
        advice = re.escape(f"base_url should end in /v1: try '{host}/v1'")
        async with AsyncMixrouteClient(
            KEY, base_url=host, max_retries=0, async_transport=transport
        ) as client:
            with pytest.raises(APIResponseValidationError, match=advice):
                await client.create("gpt-4o", HI)
            stream = await client.stream("gpt-4o", HI)
            with pytest.raises(APIResponseValidationError, match=advice):
                await anext(stream)
            await stream.aclose()

    with LocalServer(web_page) as server:
        asyncio.run(main(server))


def test_a_web_page_at_a_right_looking_path_asks_to_check_base_url() -> None:
    with LocalServer(web_page) as server:
        client = MixrouteClient(KEY, base_url=server.base_url, max_retries=0)
        with pytest.raises(APIResponseValidationError) as info:
            client.create("gpt-4o", HI)
        client.close()
    assert str(info.value).endswith(
        f"(requested POST {server.base_url}/chat/completions; check base_url)"
    )


def test_a_redirected_stream_names_the_url_and_the_fix() -> None:
    def moved(request: Received) -> Reply:
        return Reply(301, b"", {"Location": "https://elsewhere.example/"})

    with LocalServer(moved) as server:
        host = root(server)
        client = MixrouteClient(KEY, base_url=host, max_retries=0)
        with pytest.raises(APIResponseValidationError) as info:
            list(client.stream("gpt-4o", HI))
        client.close()
    assert str(info.value) == (
        "The server answered 301 Moved Permanently to 'https://elsewhere.example/' instead "
        f"of an event stream (requested POST {host}/chat/completions; "
        f"base_url should end in /v1: try '{host}/v1')."
    )
