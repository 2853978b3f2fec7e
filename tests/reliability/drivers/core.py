"""The core's four ways of calling: ``create`` and ``stream``, sync and async."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any

from mixroute import AsyncChatStream, AsyncMixrouteClient, MixrouteClient
from reliability.drivers.base import (
    MESSAGES,
    MODEL,
    AsyncDriver,
    AsyncStreamDriver,
    CallConfig,
    StreamHandle,
    SyncDriver,
    SyncStreamDriver,
    consume,
    consume_sync,
)


@contextmanager
def _sync_client(config: CallConfig) -> Iterator[MixrouteClient]:
    with MixrouteClient(
        config.api_key,
        base_url=config.base_url,
        timeout=config.timeout,
        retry_policy=config.retry_policy(),
        **config.limits.arguments(),
    ) as client:
        yield client


@asynccontextmanager
async def _async_client(config: CallConfig) -> AsyncIterator[AsyncMixrouteClient]:
    async with AsyncMixrouteClient(
        config.api_key,
        base_url=config.base_url,
        timeout=config.timeout,
        retry_policy=config.retry_policy(),
        async_transport=config.async_transport,
        **config.limits.arguments(),
    ) as client:
        yield client


class CoreSync(SyncDriver):
    name = "core-sync"
    streams = False

    def client(self, config: CallConfig) -> Any:
        return _sync_client(config)

    def call(self, client: MixrouteClient, sink: list[str]) -> str | None:
        return client.create(MODEL, MESSAGES).message.content


class CoreSyncStream(SyncStreamDriver):
    name = "core-sync-stream"

    def client(self, config: CallConfig) -> Any:
        return _sync_client(config)

    def call(self, client: MixrouteClient, sink: list[str]) -> str | None:
        with client.stream(MODEL, MESSAGES) as stream:
            for delta in stream:
                if delta.content:
                    consume_sync(sink, delta.content)
        return stream.completion.message.content

    @contextmanager
    def open_stream(self, client: MixrouteClient) -> Iterator[Iterator[str]]:
        with client.stream(MODEL, MESSAGES) as stream:
            yield (delta.content for delta in stream if delta.content)


class CoreAsync(AsyncDriver):
    name = "core-async"
    streams = False

    def client(self, config: CallConfig) -> Any:
        return _async_client(config)

    async def call(self, client: AsyncMixrouteClient, sink: list[str]) -> str | None:
        return (await client.create(MODEL, MESSAGES)).message.content


class _CoreStreamHandle(StreamHandle):
    def __init__(self, stream: AsyncChatStream) -> None:
        self.stream = stream

    async def __anext__(self) -> str:
        while True:
            delta = await self.stream.__anext__()
            if delta.content:
                return delta.content

    async def aclose(self) -> None:
        await self.stream.aclose()


class CoreAsyncStream(AsyncStreamDriver):
    name = "core-async-stream"

    def client(self, config: CallConfig) -> Any:
        return _async_client(config)

    async def call(self, client: AsyncMixrouteClient, sink: list[str]) -> str | None:
        async with await client.stream(MODEL, MESSAGES) as stream:
            async for delta in stream:
                if delta.content:
                    await consume(sink, delta.content)
        return stream.completion.message.content

    @asynccontextmanager
    async def open_stream(self, client: AsyncMixrouteClient) -> AsyncIterator[StreamHandle]:
        handle = await self.start_stream(client)
        try:
            yield handle
        finally:
            await handle.aclose()

    async def start_stream(self, client: AsyncMixrouteClient) -> StreamHandle:
        return _CoreStreamHandle(await client.stream(MODEL, MESSAGES))


DRIVERS = [CoreSync(), CoreAsync(), CoreSyncStream(), CoreAsyncStream()]
