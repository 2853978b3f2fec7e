"""The async client's ``stream()``: a stream to await, or to open with ``async with``.

>>> async with client.stream("glm-5", messages) as stream:  # doctest: +SKIP
...     async for delta in stream:
...         print(delta.content or "", end="")
>>> stream = await client.stream("glm-5", messages)  # doctest: +SKIP

Nothing is sent until the opener is awaited or entered. Its coroutine is made only then,
so an opener dropped unused sends nothing and leaves no "never awaited" warning.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Generator
from types import TracebackType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mixroute.streaming import AsyncChatStream

__all__ = ["StreamOpener"]


class StreamOpener:
    """One async stream, not yet opened: ``await`` it, or use it in ``async with``.

    Awaited, it returns the open :class:`~mixroute.AsyncChatStream` (close it with
    ``aclose``); entered, it opens the stream and closes it when the block ends. Either
    way it opens one stream, once.
    """

    __slots__ = ("_open", "_stream", "_used")

    def __init__(self, open_stream: Callable[[], Coroutine[Any, Any, AsyncChatStream]]) -> None:
        self._open = open_stream
        self._stream: AsyncChatStream | None = None
        self._used = False

    def _start(self) -> Coroutine[Any, Any, AsyncChatStream]:
        if self._used:
            raise RuntimeError(
                "This stream was opened already; call client.stream(...) again for another."
            )
        self._used = True
        return self._open()

    def __await__(self) -> Generator[Any, None, AsyncChatStream]:
        return self._start().__await__()

    async def __aenter__(self) -> AsyncChatStream:
        self._stream = await self._start()
        return self._stream

    async def __aexit__(
        self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        stream, self._stream = self._stream, None
        if stream is not None:
            await stream.aclose()
