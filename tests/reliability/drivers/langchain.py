"""LangChain's ``ChatMixroute``: ``invoke``, ``ainvoke``, ``stream`` and ``astream``."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any

from langchain_core.messages import AIMessageChunk, BaseMessage, HumanMessage

from langchain_mixroute import ChatMixroute
from reliability.drivers.base import (
    MODEL,
    AsyncDriver,
    AsyncStreamDriver,
    CallConfig,
    StreamHandle,
    SyncDriver,
    SyncStreamDriver,
)
from reliability.drivers.observers import RecordingCallbacks

MESSAGES: list[BaseMessage] = [HumanMessage("Say hello")]


def _model(config: CallConfig) -> ChatMixroute:
    model = ChatMixroute(
        model=MODEL,
        api_key=config.api_key,
        base_url=config.base_url,
        max_retries=config.max_retries,
        timeout=config.timeout,
        retry_policy=config.retry_policy(),
        async_transport=config.async_transport,
        **config.limits.arguments(),
        callbacks=[RecordingCallbacks()],
    )
    return model


@contextmanager
def _sync(config: CallConfig) -> Iterator[ChatMixroute]:
    model = _model(config)  # on the pool it makes itself, as users run it
    try:
        yield model
    finally:
        model.close()


@asynccontextmanager
async def _async(config: CallConfig) -> AsyncIterator[ChatMixroute]:
    model = _model(config)
    try:
        yield model
    finally:
        await model.aclose()  # on the loop that opened the pool


def _text(chunk: AIMessageChunk) -> str:
    return chunk.content if isinstance(chunk.content, str) else chunk.text


class LangChainInvoke(SyncDriver):
    name = "langchain-invoke"
    streams = False

    def client(self, config: CallConfig) -> Any:
        return _sync(config)

    def call(self, client: ChatMixroute, sink: list[str]) -> str | None:
        return client.invoke(MESSAGES).text


class LangChainAinvoke(AsyncDriver):
    name = "langchain-ainvoke"
    streams = False

    def client(self, config: CallConfig) -> Any:
        return _async(config)

    async def call(self, client: ChatMixroute, sink: list[str]) -> str | None:
        return (await client.ainvoke(MESSAGES)).text


class LangChainStream(SyncStreamDriver):
    name = "langchain-stream"

    def client(self, config: CallConfig) -> Any:
        return _sync(config)

    @contextmanager
    def open_stream(self, client: ChatMixroute) -> Iterator[Iterator[str]]:
        chunks = client.stream(MESSAGES)
        try:
            yield (text for chunk in chunks if (text := _text(chunk)))
        finally:
            chunks.close()  # type: ignore[attr-defined]


class _Handle(StreamHandle):
    def __init__(self, chunks: AsyncIterator[AIMessageChunk]) -> None:
        self.chunks = chunks

    async def __anext__(self) -> str:
        while True:
            text = _text(await self.chunks.__anext__())
            if text:
                return text

    async def aclose(self) -> None:
        await self.chunks.aclose()  # type: ignore[attr-defined]


class LangChainAstream(AsyncStreamDriver):
    name = "langchain-astream"

    def client(self, config: CallConfig) -> Any:
        return _async(config)

    @asynccontextmanager
    async def open_stream(self, client: ChatMixroute) -> AsyncIterator[StreamHandle]:
        handle = await self.start_stream(client)
        try:
            yield handle
        finally:
            await handle.aclose()

    async def start_stream(self, client: ChatMixroute) -> StreamHandle:
        return _Handle(client.astream(MESSAGES))


DRIVERS = [LangChainInvoke(), LangChainAinvoke(), LangChainStream(), LangChainAstream()]
