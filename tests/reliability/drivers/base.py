"""What a driver is: one way of calling the gateway (a client, sync or async, streamed or not).

A scenario says what the server does and what the caller must see; a driver says how the
call is made. Every driver turns a call into the same :class:`Outcome`, so one assertion
checks a scenario against the core, LangChain's ``ChatMixroute`` and LlamaIndex's
``Mixroute`` alike. A new driver is a small class with two methods: ``client`` (open what
the framework calls, from a :class:`CallConfig`) and ``call`` (make one call, appending each
piece of content to ``sink`` as it is delivered, and return the final text).
"""

from __future__ import annotations

import asyncio
import time
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Iterator
from contextlib import AbstractAsyncContextManager, AbstractContextManager
from dataclasses import dataclass, field
from typing import Any, ClassVar

from mixroute import RetryPolicy
from mixroute.settings import AsyncTransportName

MODEL = "gpt-4o"
MESSAGES = [{"role": "user", "content": "Say hello"}]
API_KEY = "sk-reliability-0123456789abcdefSECRET"

ROOMY_TIMEOUT = 5.0
"""The read timeout of a call whose fault is not a timeout (the default of every config).

A loaded machine can stall the test process, and the fault server in it, for longer than a
sub-second timeout while a try waits; the timeout then fires before the server's next
bytes, and a body cut off meanwhile ends as an APITimeoutError, a retried answer one
request too many. Far above such stalls, this timeout leaves the outcome to the fault.
Scenarios and tests about timeouts set their own.
"""


ASYNC_TRANSPORTS: tuple[AsyncTransportName, ...] = ("aiohttp", "httpx")
"""What the async client's own pool can run on; the catalogue runs each async driver on both."""


@dataclass(frozen=True)
class Limits:
    """The bounds a scenario sets on the client; ``None`` leaves the client's default.

    ``deadline`` bounds a whole plain call (tries and backoff included), ``stream_deadline``
    a whole stream; ``max_line_bytes`` one SSE line or event, ``max_body_bytes`` a plain
    answer after decompression, ``max_error_body_bytes`` what is read of an error body.
    """

    deadline: float | None = None
    stream_deadline: float | None = None
    max_line_bytes: int | None = None
    max_body_bytes: int | None = None
    max_error_body_bytes: int | None = None

    def arguments(self) -> dict[str, float | int]:
        """The constructor arguments (of the core clients and both adapters) to pass."""
        return {name: value for name, value in vars(self).items() if value is not None}

    def deadline_for(self, streams: bool) -> float | None:
        """The deadline that bounds one call of this kind, if the scenario sets one."""
        return self.stream_deadline if streams else self.deadline


@dataclass
class CallConfig:
    """The client settings a scenario asks for; ``sleeps`` records the retry waits.

    ``async_transport`` is what an async driver's client runs its own pool on (``auto``,
    ``aiohttp`` or ``httpx``); sync drivers ignore it (the sync client has one transport).
    """

    base_url: str
    max_retries: int = 2
    timeout: float = ROOMY_TIMEOUT
    api_key: str = API_KEY
    async_transport: AsyncTransportName = "auto"
    limits: Limits = field(default_factory=Limits)
    consumer_pause: float = 0.0  # seconds the caller spends on each streamed piece
    sleeps: list[float] = field(default_factory=list)

    def retry_policy(self) -> RetryPolicy:
        """The policy with no jitter and an instant sleep that records each wait."""

        async def asleep(seconds: float) -> None:
            self.sleeps.append(seconds)

        return RetryPolicy(
            max_retries=self.max_retries,
            jitter=lambda: 0.0,
            sleep=self.sleeps.append,
            asleep=asleep,
        )


class Sink(list[str]):
    """The pieces a call delivered, in order, and how long its consumer spends on each.

    ``pause`` is how long the consumer takes over each piece before it asks for the next:
    awaiting (an async consumer forwarding each piece to a websocket, say) or blocking (a
    sync one). A plain list is a consumer that takes no time.
    """

    def __init__(self, pause: float = 0.0) -> None:
        super().__init__()
        self.pause = pause


async def consume(sink: list[str], piece: str) -> None:
    """Hand ``piece`` to the consumer: append it, then await while the consumer works."""
    sink.append(piece)
    pause = getattr(sink, "pause", 0.0)
    if pause:
        await asyncio.sleep(pause)


def consume_sync(sink: list[str], piece: str) -> None:
    """Hand ``piece`` to a sync consumer: append it, then block while the consumer works."""
    sink.append(piece)
    pause = getattr(sink, "pause", 0.0)
    if pause:
        time.sleep(pause)


@dataclass
class Outcome:
    """How one call ended, whatever the driver."""

    chunks: list[str]
    text: str | None = None
    error: BaseException | None = None
    elapsed: float = 0.0

    @property
    def delivered(self) -> str:
        return "".join(self.chunks)


class Driver(ABC):
    """One way of calling; subclasses are :class:`SyncDriver` or :class:`AsyncDriver`."""

    name: ClassVar[str]
    streams: ClassVar[bool]
    is_async: ClassVar[bool]

    @abstractmethod
    def run(self, config: CallConfig, calls: int = 1, pause: float = 0.0) -> list[Outcome]:
        """Open a client, make ``calls`` calls ``pause`` seconds apart, close it."""

    def __repr__(self) -> str:
        return self.name


class SyncDriver(Driver):
    is_async = False

    @abstractmethod
    def client(self, config: CallConfig) -> AbstractContextManager[Any]:
        """Open the client (closed when the context exits)."""

    @abstractmethod
    def call(self, client: Any, sink: list[str]) -> str | None:
        """Make one call; append streamed content to ``sink``; return the final text."""

    def run(self, config: CallConfig, calls: int = 1, pause: float = 0.0) -> list[Outcome]:
        outcomes = []
        with self.client(config) as client:
            for index in range(calls):
                if index:
                    time.sleep(pause)
                outcomes.append(self._timed(client, config.consumer_pause))
        return outcomes

    def _timed(self, client: Any, pause: float = 0.0) -> Outcome:
        outcome = Outcome(Sink(pause))
        start = time.perf_counter()
        try:
            outcome.text = self.call(client, outcome.chunks)
        except Exception as exc:
            outcome.error = exc
        outcome.elapsed = time.perf_counter() - start
        return outcome


class SyncStreamDriver(SyncDriver):
    """A sync streaming driver: also hands out the raw stream, for early-exit tests."""

    streams = True

    @abstractmethod
    def open_stream(self, client: Any) -> AbstractContextManager[Iterator[str]]:
        """A stream of content pieces; leaving the context closes it, however it is left."""

    def call(self, client: Any, sink: list[str]) -> str | None:
        with self.open_stream(client) as pieces:
            for piece in pieces:
                consume_sync(sink, piece)
        return "".join(sink)


class AsyncDriver(Driver):
    is_async = True

    @abstractmethod
    def client(self, config: CallConfig) -> AbstractAsyncContextManager[Any]:
        """Open the client (closed when the context exits)."""

    @abstractmethod
    async def call(self, client: Any, sink: list[str]) -> str | None:
        """Make one call; append streamed content to ``sink``; return the final text."""

    def run(self, config: CallConfig, calls: int = 1, pause: float = 0.0) -> list[Outcome]:
        return asyncio.run(self.arun(config, calls, pause))

    async def arun(self, config: CallConfig, calls: int = 1, pause: float = 0.0) -> list[Outcome]:
        outcomes = []
        async with self.client(config) as client:
            for index in range(calls):
                if index:
                    await asyncio.sleep(pause)
                outcomes.append(await self.timed(client, config.consumer_pause))
        return outcomes

    async def timed(self, client: Any, pause: float = 0.0) -> Outcome:
        outcome = Outcome(Sink(pause))
        start = time.perf_counter()
        try:
            outcome.text = await self.call(client, outcome.chunks)
        except Exception as exc:
            outcome.error = exc
        outcome.elapsed = time.perf_counter() - start
        return outcome


class AsyncStreamDriver(AsyncDriver):
    """An async streaming driver: also hands out the raw stream, for cancellation tests."""

    streams = True

    @abstractmethod
    def open_stream(self, client: Any) -> AbstractAsyncContextManager[AsyncIterator[str]]:
        """A stream of content pieces; leaving the context closes it, however it is left."""

    @abstractmethod
    async def start_stream(self, client: Any) -> StreamHandle:
        """A stream the caller iterates and closes itself (``break`` then ``aclose``)."""

    async def call(self, client: Any, sink: list[str]) -> str | None:
        async with self.open_stream(client) as pieces:
            async for piece in pieces:
                await consume(sink, piece)
        return "".join(sink)


class StreamHandle(ABC):
    """An async iterator of content pieces with an ``aclose``."""

    def __aiter__(self) -> StreamHandle:
        return self

    @abstractmethod
    async def __anext__(self) -> str: ...

    @abstractmethod
    async def aclose(self) -> None: ...
