"""LlamaIndex's ``Mixroute``: ``chat``, ``achat``, ``stream_chat`` and ``astream_chat``."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any

from llama_index.core.base.llms.types import ChatMessage, ChatResponse

from llama_index_mixroute import Mixroute
from reliability.drivers.base import (
    MODEL,
    AsyncDriver,
    AsyncStreamDriver,
    CallConfig,
    StreamHandle,
    SyncDriver,
    SyncStreamDriver,
)
from reliability.drivers.observers import record_llama_index_events

MESSAGES = [ChatMessage(role="user", content="Say hello")]


def _llm(config: CallConfig) -> Mixroute:
    record_llama_index_events()
    llm = Mixroute(
        model=MODEL,
        api_key=config.api_key,
        api_base=config.base_url,
        max_retries=config.max_retries,
        timeout=config.timeout,
        retry_policy=config.retry_policy(),
        async_transport=config.async_transport,
        **config.limits.arguments(),
    )
    return llm


@contextmanager
def _sync(config: CallConfig) -> Iterator[Mixroute]:
    llm = _llm(config)
    try:
        yield llm
    finally:
        llm.close()


@asynccontextmanager
async def _async(config: CallConfig) -> AsyncIterator[Mixroute]:
    llm = _llm(config)
    try:
        yield llm
    finally:
        await llm.aclose()  # on the loop that opened the pool


class LlamaIndexChat(SyncDriver):
    name = "llama-index-chat"
    streams = False

    def client(self, config: CallConfig) -> Any:
        return _sync(config)

    def call(self, client: Mixroute, sink: list[str]) -> str | None:
        return client.chat(MESSAGES).message.content


class LlamaIndexAchat(AsyncDriver):
    name = "llama-index-achat"
    streams = False

    def client(self, config: CallConfig) -> Any:
        return _async(config)

    async def call(self, client: Mixroute, sink: list[str]) -> str | None:
        return (await client.achat(MESSAGES)).message.content


class LlamaIndexStreamChat(SyncStreamDriver):
    name = "llama-index-stream-chat"

    def client(self, config: CallConfig) -> Any:
        return _sync(config)

    @contextmanager
    def open_stream(self, client: Mixroute) -> Iterator[Iterator[str]]:
        responses = client.stream_chat(MESSAGES)
        try:
            yield (response.delta for response in responses if response.delta)
        finally:
            responses.close()  # type: ignore[attr-defined]


class _Handle(StreamHandle):
    def __init__(self, responses: AsyncIterator[ChatResponse]) -> None:
        self.responses = responses

    async def __anext__(self) -> str:
        while True:
            delta = (await self.responses.__anext__()).delta
            if delta:
                return delta

    async def aclose(self) -> None:
        await self.responses.aclose()  # type: ignore[attr-defined]


class LlamaIndexAstreamChat(AsyncStreamDriver):
    name = "llama-index-astream-chat"

    def client(self, config: CallConfig) -> Any:
        return _async(config)

    @asynccontextmanager
    async def open_stream(self, client: Mixroute) -> AsyncIterator[StreamHandle]:
        handle = await self.start_stream(client)
        try:
            yield handle
        finally:
            await handle.aclose()

    async def start_stream(self, client: Mixroute) -> StreamHandle:
        return _Handle(await client.astream_chat(MESSAGES))


DRIVERS = [LlamaIndexChat(), LlamaIndexAchat(), LlamaIndexStreamChat(), LlamaIndexAstreamChat()]
