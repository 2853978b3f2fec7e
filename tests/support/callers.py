"""Every way a user calls the gateway, each on a chosen async transport, as one small type.

A :class:`Caller` opens a client as a user would (the core's ``MixrouteClient`` or
``AsyncMixrouteClient``, LangChain's ``ChatMixroute``, LlamaIndex's ``Mixroute``), on the
pool the client makes for itself, makes a few plain calls and closes it. An async caller
runs on its own ``asyncio.run``; ``between`` runs between two calls *on the event loop*,
so a ``time.sleep`` there blocks the loop as synchronous work in a handler would.

The reliability suite's drivers (``reliability.drivers``) cover streams and every fault;
these add the choice of transport (``async_transport=``), client settings of the test's
choosing and the hook between calls, which the system tests of proxies and connections
need.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from reliability.drivers.base import MODEL, CallConfig, Outcome

__all__ = ["ASYNC_TRANSPORTS", "CALLERS", "CallConfig", "Caller", "Outcome", "caller_id"]

ASYNC_TRANSPORTS = ("aiohttp", "httpx")
PROMPT = "Say hello"

_NAMES = {
    ("core", False): "core-sync",
    ("core", True): "core-async",
    ("langchain", False): "langchain-invoke",
    ("langchain", True): "langchain-ainvoke",
    ("llama-index", False): "llama-index-chat",
    ("llama-index", True): "llama-index-achat",
}


@dataclass(frozen=True)
class Caller:
    """One way of calling: which client (``kind``), sync or async, on which async transport.

    ``kind`` is ``core``, ``langchain`` or ``llama-index``; ``transport`` is ``None`` for
    the sync callers, else the ``async_transport`` the client is made with.
    """

    kind: str
    transport: str | None = None

    @property
    def is_async(self) -> bool:
        return self.transport is not None

    @property
    def name(self) -> str:
        verb = _NAMES[self.kind, self.is_async]
        return f"{verb}-{self.transport}" if self.transport else verb

    def __str__(self) -> str:
        return self.name

    def open(self, config: CallConfig, **settings: Any) -> Any:
        """Make the client (no connection yet); ``settings`` override the config's."""
        options: dict[str, Any] = {
            "max_retries": config.max_retries,
            "timeout": config.timeout,
            "retry_policy": config.retry_policy(),
            **settings,
        }
        if self.transport is not None:
            options["async_transport"] = self.transport
        if self.kind == "core":
            from mixroute import AsyncMixrouteClient, MixrouteClient

            kind = AsyncMixrouteClient if self.is_async else MixrouteClient
            return kind(config.api_key, base_url=config.base_url, **options)
        if self.kind == "langchain":
            from langchain_mixroute import ChatMixroute

            return ChatMixroute(
                model=MODEL, api_key=config.api_key, base_url=config.base_url, **options
            )
        from llama_index_mixroute import Mixroute

        return Mixroute(MODEL, api_key=config.api_key, api_base=config.base_url, **options)

    def call(self, client: Any, content: str = PROMPT) -> str | None:
        """One plain call with a sync caller's client; the answer's text."""
        if self.kind == "core":
            return client.create(MODEL, [{"role": "user", "content": content}]).message.content
        if self.kind == "langchain":
            return client.invoke(content).text
        from llama_index.core.base.llms.types import ChatMessage

        return client.chat([ChatMessage(role="user", content=content)]).message.content

    async def acall(self, client: Any, content: str = PROMPT) -> str | None:
        """One plain call with an async caller's client; the answer's text."""
        if self.kind == "core":
            messages = [{"role": "user", "content": content}]
            return (await client.create(MODEL, messages)).message.content
        if self.kind == "langchain":
            return (await client.ainvoke(content)).text
        from llama_index.core.base.llms.types import ChatMessage

        answer = await client.achat([ChatMessage(role="user", content=content)])
        return answer.message.content

    def run(
        self,
        config: CallConfig,
        calls: int = 1,
        between: Callable[[], object] = lambda: None,
        content: str = PROMPT,
        **settings: Any,
    ) -> list[Outcome]:
        """Open a client, make ``calls`` calls with ``between()`` between them, close it.

        A failure of a call is its outcome's ``error``; one of making the client is raised.
        """
        if self.is_async:
            return asyncio.run(self.arun(config, calls, between, content, **settings))
        client = self.open(config, **settings)
        try:
            outcomes = []
            for index in range(calls):
                if index:
                    between()
                outcome, start = Outcome([]), time.perf_counter()
                try:
                    outcome.text = self.call(client, content)
                except Exception as exc:
                    outcome.error = exc
                outcome.elapsed = time.perf_counter() - start
                outcomes.append(outcome)
            return outcomes
        finally:
            client.close()

    async def arun(
        self,
        config: CallConfig,
        calls: int = 1,
        between: Callable[[], object] = lambda: None,
        content: str = PROMPT,
        **settings: Any,
    ) -> list[Outcome]:
        """:meth:`run` on the running loop (``between`` runs on it, blocking it)."""
        client = self.open(config, **settings)
        try:
            outcomes = []
            for index in range(calls):
                if index:
                    between()
                outcome, start = Outcome([]), time.perf_counter()
                try:
                    outcome.text = await self.acall(client, content)
                except Exception as exc:
                    outcome.error = exc
                outcome.elapsed = time.perf_counter() - start
                outcomes.append(outcome)
            return outcomes
        finally:
            await client.aclose()


def caller_id(caller: Caller) -> str:
    return caller.name


CALLERS = [
    Caller(kind, transport)
    for kind in ("core", "langchain", "llama-index")
    for transport in (None, *ASYNC_TRANSPORTS)
]
"""The sync call and the async call on each transport, for the core and both adapters."""
