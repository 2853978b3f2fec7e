"""Specification of AsyncMixrouteClient: the sync client's behaviour, on any event loop.

The same retries, settings and secrecy as :mod:`test_client`, awaited; and one client that
keeps working across ``asyncio.run`` calls, with one connection pool per loop.
"""

from __future__ import annotations

import asyncio
import gc
import json
import sys
from typing import Any

import httpx
import pytest
from support.local_server import LocalServer, Reply
from support.plausible_gateway import STREAMED, USAGE
from support.vendor_gateway import PROSE, REASONING, VendorGateway
from test_client import (
    DOCUMENTED_ANSWER,
    DOCUMENTED_BODY,
    KEY,
    MESSAGES,
    QUESTION,
    RETRIED,
    Script,
    broken_stream,
    ok,
    status,
)

from mixroute import (
    APIConnectionError,
    APIResponseValidationError,
    APIStatusError,
    APIStreamError,
    APITimeoutError,
    AsyncMixrouteClient,
    AuthenticationError,
    BadRequestError,
    ChatCompletion,
    ConfigurationError,
    InternalServerError,
    MixrouteError,
    NotFoundError,
    PermissionDeniedError,
    RetryPolicy,
    UnprocessableEntityError,
)

BASE = "https://gw.test/v1"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


class Sleeps(list[float]):
    """An ``asleep`` that records the waits instead of waiting."""

    async def __call__(self, seconds: float) -> None:
        self.append(seconds)


def apolicy(retries: int, sleeps: Sleeps) -> RetryPolicy:
    return RetryPolicy(max_retries=retries, jitter=lambda: 0.0, asleep=sleeps)


def make_client(
    script: Script, *, retries: int = 2, sleeps: Sleeps | None = None, **kwargs: Any
) -> AsyncMixrouteClient:
    return AsyncMixrouteClient(
        api_key=KEY,
        base_url=kwargs.pop("base_url", BASE),
        http_client=httpx.AsyncClient(transport=httpx.MockTransport(script)),
        retry_policy=apolicy(retries, sleeps if sleeps is not None else Sleeps()),
        **kwargs,
    )


async def create(client: AsyncMixrouteClient, **kwargs: Any) -> ChatCompletion:
    return await client.create("glm-5", MESSAGES, temperature=0.7, **kwargs)


# --- retries ---------------------------------------------------------------------------------


@pytest.mark.anyio
@pytest.mark.parametrize(("code", "cls"), RETRIED)
@pytest.mark.parametrize("retries", [0, 2])
async def test_retryable_status_is_retried_exactly_max_retries_times(
    code: int, cls: type[APIStatusError], retries: int
) -> None:
    script, sleeps = Script(status(code)), Sleeps()
    with pytest.raises(cls) as info:
        await create(make_client(script, retries=retries, sleeps=sleeps))
    assert type(info.value) is cls
    assert script.count == retries + 1
    expected = RetryPolicy(jitter=lambda: 0.0).delay
    assert sleeps == [expected(n) for n in range(1, retries + 1)]


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("code", "cls"),
    [
        (400, BadRequestError),
        (401, AuthenticationError),
        (403, PermissionDeniedError),
        (404, NotFoundError),
        (422, UnprocessableEntityError),
    ],
)
async def test_final_status_is_never_retried(code: int, cls: type[APIStatusError]) -> None:
    script, sleeps = Script(status(code), ok()), Sleeps()
    with pytest.raises(cls, match=f"failed {code}"):
        await create(make_client(script, retries=5, sleeps=sleeps))
    assert script.count == 1
    assert sleeps == []


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("exc", "cls"),
    [
        (httpx.ConnectError("refused"), APIConnectionError),
        (httpx.RemoteProtocolError("server disconnected"), APIConnectionError),
        (httpx.ReadTimeout("slow"), APITimeoutError),
        (httpx.ConnectTimeout("slow"), APITimeoutError),
    ],
)
async def test_transport_failures_are_typed_and_retried(
    exc: httpx.HTTPError, cls: type[APIConnectionError]
) -> None:
    script, sleeps = Script(exc), Sleeps()
    with pytest.raises(MixrouteError) as info:
        await create(make_client(script, retries=2, sleeps=sleeps))
    assert type(info.value) is cls
    assert not isinstance(info.value, httpx.HTTPError)
    assert info.value.__cause__ is exc
    assert script.count == 3
    assert sleeps == [0.5, 1.0]


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("headers", "expected"),
    [({"retry-after": "4"}, 4.0), ({"retry-after-ms": "30"}, 0.03), ({"retry-after": "90"}, 0.5)],
)
async def test_retry_after_is_honoured_end_to_end(headers: dict[str, str], expected: float) -> None:
    script, sleeps = Script(status(429, headers), ok()), Sleeps()
    completion = await create(make_client(script, sleeps=sleeps))
    assert completion.message.content
    assert sleeps == [expected]


@pytest.mark.anyio
async def test_success_after_retries_returns_the_parsed_completion() -> None:
    script, sleeps = Script(httpx.ReadTimeout("slow"), status(500), ok()), Sleeps()
    completion = await create(make_client(script, sleeps=sleeps))
    assert completion.model == "glm-5"
    assert completion.message.content == DOCUMENTED_ANSWER["choices"][0]["message"]["content"]
    assert script.count == 3
    assert len(sleeps) == 2


# --- what is sent ----------------------------------------------------------------------------


@pytest.mark.anyio
async def test_body_and_url_are_the_documented_ones() -> None:
    script = Script(ok())
    client = make_client(script)
    await create(client)
    assert script.body() == client.build_request("glm-5", MESSAGES, temperature=0.7)
    assert script.body() == DOCUMENTED_BODY
    assert str(script.requests[0].url) == "https://gw.test/v1/chat/completions"
    assert script.requests[0].headers["authorization"] == f"Bearer {KEY}"


@pytest.mark.anyio
async def test_timeouts_reach_the_request_and_per_call_overrides() -> None:
    script = Script(ok())
    client = make_client(script, timeout=(2.0, 20.0))
    await create(client)
    await create(client, timeout=3.0)
    assert script.requests[0].extensions["timeout"] == httpx.Timeout(20.0, connect=2.0).as_dict()
    assert script.requests[1].extensions["timeout"] == httpx.Timeout(3.0).as_dict()


@pytest.mark.anyio
async def test_headers_and_injected_client() -> None:
    script = Script(ok())
    http = httpx.AsyncClient(transport=httpx.MockTransport(script), headers={"X-Proxy": "p"})
    client = AsyncMixrouteClient(
        api_key=KEY, base_url=BASE, http_client=http, default_headers={"X-Team": "t"}
    )
    assert client.http_client is http
    await create(client, extra_headers={"X-Call": "c"})
    headers = script.requests[0].headers
    assert (headers["x-proxy"], headers["x-team"], headers["x-call"]) == ("p", "t", "c")
    await client.aclose()
    async with client:
        pass
    assert not http.is_closed
    await http.aclose()


@pytest.mark.anyio
async def test_owned_pool_is_closed_by_aclose_and_async_with() -> None:
    client = AsyncMixrouteClient(api_key=KEY, base_url=BASE)
    http = client.http_client
    assert client.http_client is http  # one pool per loop
    await client.aclose()
    assert http.is_closed
    async with AsyncMixrouteClient(api_key=KEY, base_url=BASE) as managed:
        pool = managed.http_client
    assert pool.is_closed


@pytest.mark.anyio
async def test_answers_that_are_not_completions() -> None:
    with pytest.raises(APIResponseValidationError, match="not JSON"):
        await create(make_client(Script(httpx.Response(200, text="<html>oops</html>"))))
    body = {"error": {"message": "model overloaded, try later"}}
    with pytest.raises(APIResponseValidationError, match="model overloaded, try later"):
        await create(make_client(Script(ok(body))))


@pytest.mark.anyio
async def test_key_never_in_repr_or_errors() -> None:
    echo = httpx.Response(401, json={"error": {"message": f"Bad key {KEY}", "key": KEY}})
    client = make_client(Script(echo))
    assert KEY not in repr(client)
    with pytest.raises(AuthenticationError) as info:
        await create(client)
    for text in (str(info.value), repr(info.value), json.dumps(info.value.body)):
        assert KEY not in text
        assert KEY[-8:] not in text


def test_missing_key_is_a_configuration_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MIXROUTE_API_KEY", raising=False)
    with pytest.raises(ConfigurationError, match="MIXROUTE_API_KEY"):
        AsyncMixrouteClient()


# --- across event loops, on a real socket ----------------------------------------------------


@pytest.fixture
def unraisable(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Errors raised where nobody could catch them (``__del__``, callbacks of a dead loop)."""
    seen: list[str] = []
    monkeypatch.setattr(
        sys, "unraisablehook", lambda u: seen.append(f"{u.exc_type.__name__}: {u.exc_value}")
    )
    return seen


def test_one_client_works_across_asyncio_run_calls(unraisable: list[str]) -> None:
    with LocalServer(lambda _: Reply(200, DOCUMENTED_ANSWER)) as server:
        client = AsyncMixrouteClient(api_key=KEY, base_url=server.base_url)

        async def burst(close: bool) -> tuple[httpx.AsyncClient, set[int]]:
            pools = set()

            async def one() -> None:
                completion = await create(client)
                assert completion.message.content
                pools.add(id(client.http_client))

            await asyncio.gather(*(one() for _ in range(4)))
            first = server.connections
            await asyncio.gather(*(one() for _ in range(4)))
            assert server.connections == first  # the second burst reused the pooled sockets
            assert len(pools) == 1  # every request of this loop used the same pool
            pool = client.http_client
            if close:
                await client.aclose()
            return pool, first

        pool_1, connections_1 = asyncio.run(burst(close=False))
        gc.collect()
        pool_2, connections_2 = asyncio.run(burst(close=True))
        gc.collect()
        assert pool_1 is not pool_2  # a new loop gets its own pool...
        assert connections_2 - connections_1  # ...with its own connections
        assert len(server.received) == 16
        assert pool_2.is_closed
    assert unraisable == []


def test_aclose_on_another_loop_does_not_touch_the_dead_loop(unraisable: list[str]) -> None:
    with LocalServer(lambda _: Reply(200, DOCUMENTED_ANSWER)) as server:
        client = AsyncMixrouteClient(api_key=KEY, base_url=server.base_url)
        asyncio.run(create(client))
        asyncio.run(client.aclose())  # the pool's loop is gone: no "Event loop is closed"

        async def use_again() -> str | None:
            async with client:
                return (await create(client)).message.content

        assert asyncio.run(use_again())
        gc.collect()
    assert unraisable == []


def test_a_new_loop_after_a_failure_still_works(unraisable: list[str]) -> None:
    replies = iter([Reply(503, {"error": {"message": "busy"}}), Reply(200, DOCUMENTED_ANSWER)])
    with LocalServer(lambda _: next(replies)) as server:
        client = AsyncMixrouteClient(
            api_key=KEY, base_url=server.base_url, retry_policy=apolicy(0, Sleeps())
        )
        with pytest.raises(InternalServerError):
            asyncio.run(create(client))
        assert asyncio.run(create(client)).message.content
        asyncio.run(client.aclose())
    assert unraisable == []


# --- a model that answers only when streamed (QwQ) --------------------------------------------


@pytest.mark.anyio
async def test_a_plain_call_to_a_streaming_only_model_is_streamed_and_assembled() -> None:
    gateway = VendorGateway("qwq-32b")  # refuses a request without stream: true
    http = httpx.AsyncClient(transport=gateway.transport())
    client = AsyncMixrouteClient(api_key=KEY, base_url=BASE, http_client=http, max_retries=0)
    answer = await client.create("qwq-32b", QUESTION)
    async with client.stream("qwq-32b", QUESTION) as stream:
        async for _ in stream:
            pass
    prebuilt = await client.send(client.build_request("qwq-32b", QUESTION))
    assert gateway.refusals == []
    assert [body["stream"] for body in gateway.bodies] == [True] * 3
    assert gateway.bodies[0] == gateway.bodies[1] == gateway.bodies[2]
    assert answer == stream.completion == prebuilt
    assert (answer.message.content, answer.message.reasoning) == (PROSE, REASONING)
    assert answer.usage is not None


@pytest.mark.anyio
async def test_an_error_mid_stream_is_the_stream_error_with_what_arrived() -> None:
    client = make_client(Script(broken_stream()))
    with pytest.raises(APIStreamError, match="upstream overloaded") as info:
        await client.create("qwq-32b", QUESTION)
    assert info.value.partial is not None
    assert info.value.partial.content == "Hello, w"


@pytest.mark.parametrize("transport", ["aiohttp", "httpx"])
def test_a_streaming_only_call_on_a_real_socket(
    transport: str, plausible_server: LocalServer
) -> None:
    async def ask() -> ChatCompletion:
        async with AsyncMixrouteClient(
            api_key=KEY, base_url=plausible_server.base_url, async_transport=transport
        ) as client:
            return await client.create("qwq-32b", QUESTION)

    answer = asyncio.run(ask())
    assert plausible_server.received[0].json()["stream"] is True
    assert answer.message.content == STREAMED  # the stand-in's streamed text
    assert answer.usage is not None
    assert answer.usage.total_tokens == USAGE["total_tokens"]
