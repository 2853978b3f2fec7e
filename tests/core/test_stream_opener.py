"""Specification of mixroute.stream_opener: ``client.stream(...)`` of the async client.

Both spellings work, as httpx users write them: ``async with client.stream(...) as s``
opens the stream on entry and closes it on exit; ``s = await client.stream(...)`` opens
it for the caller to close. One neither awaited nor entered sends nothing and leaves no
"coroutine was never awaited" warning.
"""

from __future__ import annotations

import asyncio
import gc
import warnings
from collections.abc import Iterator
from typing import Any

import pytest
from support.gateway_paths import ApiAtV1
from support.local_server import LocalServer

from mixroute import (
    AsyncChatStream,
    AsyncMixrouteClient,
    InvalidRequestError,
    StreamOpener,
    UserMessage,
)

KEY = "sk-test-opener-0123456789"
HI = [UserMessage("Hi")]


@pytest.fixture(scope="module")
def gateway() -> Iterator[LocalServer]:
    with LocalServer(ApiAtV1()) as server:
        yield server


def client_for(server: LocalServer, transport: Any = "httpx") -> AsyncMixrouteClient:
    return AsyncMixrouteClient(
        KEY, base_url=server.base_url, max_retries=0, async_transport=transport
    )


@pytest.mark.parametrize("transport", ["aiohttp", "httpx"])
def test_async_with_opens_on_entry_and_closes_on_exit(gateway: LocalServer, transport: Any) -> None:
    async def main() -> AsyncChatStream:
        async with client_for(gateway, transport) as client:
            async with client.stream("gpt-4o", HI) as stream:
                assert isinstance(stream, AsyncChatStream)
                deltas = [delta.content async for delta in stream]
            assert deltas[0] == "Hello!"
            assert stream.completion.message.content == "Hello!"
            return stream

    stream = asyncio.run(main())
    assert stream.response.is_closed


def test_async_with_closes_the_stream_when_the_block_is_left_early(gateway: LocalServer) -> None:
    async def main() -> AsyncChatStream:
        async with client_for(gateway) as client, client.stream("gpt-4o", HI) as stream:
            async for _ in stream:
                break
        return stream

    assert asyncio.run(main()).response.is_closed


def test_await_opens_the_stream_as_before(gateway: LocalServer) -> None:
    async def main() -> str | None:
        async with client_for(gateway) as client:
            stream = await client.stream("gpt-4o", HI)
            try:
                async for _ in stream:
                    pass
            finally:
                await stream.aclose()
            return stream.completion.message.content

    assert asyncio.run(main()) == "Hello!"


def test_send_stream_takes_both_spellings_too(gateway: LocalServer) -> None:
    async def main() -> tuple[str | None, str | None]:
        async with client_for(gateway) as client:
            body = client.build_request("gpt-4o", HI, stream=True)
            async with client.send_stream(body) as first:
                async for _ in first:
                    pass
            second = await client.send_stream(body)
            async for _ in second:
                pass
            await second.aclose()
            return first.completion.message.content, second.completion.message.content

    assert asyncio.run(main()) == ("Hello!", "Hello!")


@pytest.mark.filterwarnings("error")
def test_an_opener_neither_awaited_nor_entered_sends_nothing_and_warns_nothing() -> None:
    async def main(server: LocalServer) -> None:
        async with client_for(server) as client:
            opener = client.stream("gpt-4o", HI)
            assert isinstance(opener, StreamOpener)
            del opener
            gc.collect()

    with LocalServer(ApiAtV1()) as server, warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        asyncio.run(main(server))
        gc.collect()
    assert server.received == []
    assert [str(w.message) for w in caught] == []


def test_an_opener_opens_one_stream_once(gateway: LocalServer) -> None:
    async def main() -> None:
        async with client_for(gateway) as client:
            opener = client.stream("gpt-4o", HI)
            stream = await opener
            await stream.aclose()
            with pytest.raises(RuntimeError, match=r"call client\.stream\(\.\.\.\) again"):
                await opener
            with pytest.raises(RuntimeError, match="opened already"):
                async with opener:
                    pass

    asyncio.run(main())


def test_a_bad_request_fails_at_the_call_before_anything_is_sent() -> None:
    async def main(server: LocalServer) -> None:
        async with client_for(server) as client:
            with pytest.raises(InvalidRequestError):
                client.stream("gpt-4o", [{"role": "wizard", "content": "x"}])

    with LocalServer(ApiAtV1()) as server:
        asyncio.run(main(server))
    assert server.received == []
