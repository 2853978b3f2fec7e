"""Leaving a stream midway gives its connection back, however it is left.

An async stream is left by cancelling the task that reads it (with or without an
``async with``), by a timeout around the reader, by ``break`` then ``aclose``, or by
leaving its ``async with`` block; a sync stream by ``break`` or an exception inside its
``with`` block. The server sends two pieces and then stays silent until the client hangs
up, so each exit happens mid-answer. After :data:`CANCELLED_STREAMS` of them the server
counts no more open connections than before, and the client still answers.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from reliability.drivers import ASYNC_STREAM_DRIVERS, SYNC_STREAM_DRIVERS, CallConfig
from reliability.drivers.base import AsyncStreamDriver, SyncStreamDriver
from reliability.fault_server import Answer, FaultServer, Stream
from reliability.scenarios import STREAM, TEXT, THIRD_EVENT

CANCELLED_STREAMS = 1000
SYNC_EARLY_EXITS = 200
CHECK_EVERY = 100

STALLS_AFTER_TWO_PIECES = Stream(STREAM, stall_at=THIRD_EVENT)

Exit = Callable[[AsyncStreamDriver, Any], Awaitable[None]]


async def break_then_aclose(driver: AsyncStreamDriver, client: Any) -> None:
    handle = await driver.start_stream(client)
    async for _ in handle:
        break
    await handle.aclose()


async def leave_async_with(driver: AsyncStreamDriver, client: Any) -> None:
    async with driver.open_stream(client) as pieces:
        async for _ in pieces:
            break


async def cancel_reader(driver: AsyncStreamDriver, client: Any, *, closes: bool) -> None:
    first = asyncio.Event()

    async def read() -> None:
        if closes:
            async with driver.open_stream(client) as pieces:
                async for _ in pieces:
                    first.set()
        else:  # never closed by the reader: the cancellation alone must clean up
            async for _ in await driver.start_stream(client):
                first.set()

    task = asyncio.create_task(read())
    await first.wait()
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    assert task.cancelled()


async def cancel_unclosed_reader(driver: AsyncStreamDriver, client: Any) -> None:
    await cancel_reader(driver, client, closes=False)


async def cancel_closing_reader(driver: AsyncStreamDriver, client: Any) -> None:
    await cancel_reader(driver, client, closes=True)


async def time_out_reader(driver: AsyncStreamDriver, client: Any) -> None:
    async def read() -> None:
        async with asyncio.timeout(None) as deadline, driver.open_stream(client) as pieces:
            async for _ in pieces:
                deadline.reschedule(asyncio.get_running_loop().time())  # expire now

    with pytest.raises(TimeoutError):
        await read()


EXITS: list[Exit] = [
    break_then_aclose,
    leave_async_with,
    cancel_unclosed_reader,
    cancel_closing_reader,
    time_out_reader,
]


@pytest.mark.anyio
@pytest.mark.parametrize("driver", ASYNC_STREAM_DRIVERS, ids=str)
async def test_cancelled_streams_give_every_connection_back(
    driver: AsyncStreamDriver, fault_server: FaultServer
) -> None:
    fault_server.script(Answer(), then=STALLS_AFTER_TWO_PIECES)
    config = CallConfig(fault_server.base_url, max_retries=0, timeout=5.0)
    async with driver.client(config) as client:
        # One whole answer first: its connection, idle in the pool, is the starting size.
        assert await driver.call(client, []) == TEXT
        start = fault_server.open_connections
        for i in range(CANCELLED_STREAMS):
            await EXITS[i % len(EXITS)](driver, client)
            if i % CHECK_EVERY == CHECK_EVERY - 1:
                assert await fault_server.await_open_connections(start) <= start, i
        assert fault_server.request_count == CANCELLED_STREAMS + 1
        assert await fault_server.await_open_connections(start) <= start
        assert fault_server.connections_opened <= CANCELLED_STREAMS + 1
        fault_server.script(Answer(), then=STALLS_AFTER_TWO_PIECES)
        assert await driver.call(client, []) == TEXT
    assert await fault_server.await_open_connections(0) == 0


class ReaderGaveUp(Exception):
    pass


@pytest.mark.parametrize("driver", SYNC_STREAM_DRIVERS, ids=str)
def test_sync_streams_left_early_give_their_connection_back(
    driver: SyncStreamDriver, fault_server: FaultServer
) -> None:
    fault_server.script(Answer(), then=STALLS_AFTER_TWO_PIECES)
    config = CallConfig(fault_server.base_url, max_retries=0, timeout=5.0)
    with driver.client(config) as client:
        assert driver.call(client, []) == TEXT
        start = fault_server.open_connections
        for i in range(SYNC_EARLY_EXITS):
            with contextlib.suppress(ReaderGaveUp), driver.open_stream(client) as pieces:
                for _ in pieces:
                    if i % 2:
                        raise ReaderGaveUp
                    break
        assert fault_server.wait_open_connections(start) <= start
        fault_server.script(Answer(), then=STALLS_AFTER_TWO_PIECES)
        assert driver.call(client, []) == TEXT
    assert fault_server.wait_open_connections(0) == 0
