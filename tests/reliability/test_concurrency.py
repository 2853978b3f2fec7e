"""Many calls at once against a server that fails some of them at random.

:data:`REQUESTS` calls, at most :data:`IN_FLIGHT` at a time, on one client, while the
server fails about :data:`FAILURE_RATE` of the requests it reads (5xx, 429, resets, silent
closes, error objects and events, streams cut after content). Every call must end in the
answer or a typed error, no connection may stay open once the client is closed, and memory
must stay flat: rounds of calls after the first may not grow what the client keeps, in
live objects or in bytes (``tracemalloc``).

Bytes are judged round by round, not first against last: a few containers never shrink
(the event loop's set of live async generators, the selector's map of file descriptors),
so a round that happens to reach a new peak of concurrency grows them once, by a resize
of tens of kilobytes. A leak grows every round; a new peak does not recur each time.

The server runs in a child process here, so ``tracemalloc`` sees the client alone and the
two do not take turns on one GIL.
"""

from __future__ import annotations

import asyncio
import gc
import itertools
import tracemalloc
from typing import Any

import pytest

from mixroute import MixrouteError
from reliability.drivers import ASYNC_DRIVERS, CallConfig
from reliability.drivers.base import AsyncDriver, Outcome
from reliability.fault_server import FaultServerProcess
from reliability.scenarios import TEXT

REQUESTS = 500
IN_FLIGHT = 100
FAILURE_RATE = 0.10
MEMORY_ROUNDS = 5  # traced rounds of fresh clients, after the first round
MEMORY_ROUND_CALLS = 100
MEMORY_GROWTH_LIMIT = 16 * 1024  # bytes in the flattest round: a leak of 200 bytes a call fails
OBJECT_GROWTH_LIMIT = 100  # live objects over four rounds: a leak of one per call fails


def random_failures_server() -> FaultServerProcess:
    return FaultServerProcess("reliability.fault_server:RandomFaults", FAILURE_RATE)


async def run_round(driver: AsyncDriver, client: Any, calls: int = REQUESTS) -> list[Outcome]:
    """``calls`` calls, IN_FLIGHT at a time at most (and at some point exactly that many)."""
    gate = asyncio.Semaphore(IN_FLIGHT)
    in_flight = most = 0

    async def one() -> Outcome:
        nonlocal in_flight, most
        async with gate:
            in_flight += 1
            most = max(most, in_flight)
            try:
                return await driver.timed(client)
            finally:
                in_flight -= 1

    outcomes = await asyncio.gather(*(one() for _ in range(calls)))
    assert most == IN_FLIGHT
    return outcomes


def count_failures(outcomes: list[Outcome]) -> int:
    """Check every call ended in the answer or a typed error; return how many failed."""
    failed = 0
    for outcome in outcomes:
        if outcome.error is None:
            assert outcome.text == TEXT
        else:
            assert isinstance(outcome.error, MixrouteError), repr(outcome.error)
            failed += 1
    return failed


@pytest.mark.anyio
@pytest.mark.parametrize("driver", ASYNC_DRIVERS, ids=str)
async def test_concurrent_calls_against_random_failures(driver: AsyncDriver) -> None:
    with random_failures_server() as server:
        config = CallConfig(server.base_url, max_retries=1, timeout=5.0)

        # REQUESTS calls on one client: each ends in the answer or a typed error.
        async with driver.client(config) as client:
            failed = count_failures(await run_round(driver, client))
        assert await server.await_open_connections(0) == 0, "a connection outlived its client"
        stats = server.stats()
        assert stats["failed"] > 0
        assert stats["requests"] > REQUESTS  # some calls were retried
        assert failed <= stats["failed"]  # a call fails only where the server failed it

        # Then rounds on fresh clients (that first round warmed every cache): once a
        # client is closed nothing of its round may remain, in bytes or in live objects.
        async def one_round() -> None:
            async with driver.client(config) as client:
                count_failures(await run_round(driver, client, MEMORY_ROUND_CALLS))
            await server.await_open_connections(0)
            gc.collect()

        sizes, objects = [], []
        tracemalloc.start()
        try:
            for _ in range(MEMORY_ROUNDS):
                await one_round()
                sizes.append(tracemalloc.get_traced_memory()[0])
                objects.append(len(gc.get_objects()))
        finally:
            tracemalloc.stop()
    growth = [after - before for before, after in itertools.pairwise(sizes)]
    assert min(growth) < MEMORY_GROWTH_LIMIT, f"bytes after each round: {sizes}"
    assert objects[-1] - objects[0] < OBJECT_GROWTH_LIMIT, f"objects after each: {objects}"
