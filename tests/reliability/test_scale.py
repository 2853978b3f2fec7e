"""A thousand concurrent streams through one async client, on each transport.

:data:`STREAMS` streams are opened at once on one ``AsyncMixrouteClient`` (its pool holds
1,000 connections) against the fault server in a child process, which resets about
:data:`RESET_RATE` of the requests it reads with a TCP RST before the first byte of the
answer, so those are retried. At least 99% must deliver the whole answer and the rest end
in typed errors; once the client is closed, the process holds no more file descriptors
than before it was made (give or take :data:`FD_SLACK`) and the server counts no open
connection. Every wait is bounded (:data:`OVERALL_LIMIT`).

The elapsed time is printed (``pytest -s``) and recorded as the test suite's property
``scale_<transport>_elapsed_s`` (``pytest --junitxml``), for the benchmarks' report; it is
not asserted.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import os
import resource
import time
from collections.abc import AsyncIterator, Callable

import pytest

from mixroute import AsyncMixrouteClient, MixrouteError
from reliability.drivers.base import API_KEY, MESSAGES, MODEL, CallConfig
from reliability.fault_server import FaultServerProcess
from reliability.scenarios import TEXT

STREAMS = 1000
RESET_RATE = 0.10
MIN_SUCCESS = 0.99
OVERALL_LIMIT = 60.0
FD_SLACK = 8  # descriptors the loop or a library may open once and keep (none seen so far)
WANTED_FDS = 4 * STREAMS  # ample for the client's sockets (the server's are in its process)


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


@pytest.fixture(autouse=True)
def enough_file_descriptors() -> None:
    """Raise the soft limit on open files to the hard one if it is below what this needs."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < WANTED_FDS:
        new = hard if hard == resource.RLIM_INFINITY else min(hard, max(WANTED_FDS, soft))
        resource.setrlimit(resource.RLIMIT_NOFILE, (new, hard))
        if new != resource.RLIM_INFINITY and new < WANTED_FDS:
            pytest.skip(f"the hard limit on open files ({hard}) is below {WANTED_FDS}")


@contextlib.asynccontextmanager
async def sampling(measure: Callable[[], int], every: float) -> AsyncIterator[list[int]]:
    """Measure every ``every`` seconds while the block runs; the values, in a list."""
    samples: list[int] = []

    async def sample() -> None:
        while True:
            samples.append(measure())
            await asyncio.sleep(every)

    task = asyncio.create_task(sample())
    try:
        yield samples
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def one_stream(client: AsyncMixrouteClient) -> str | None:
    async with await client.stream(MODEL, MESSAGES) as stream:
        async for _ in stream:
            pass
    return stream.completion.message.content


async def all_at_once(client: AsyncMixrouteClient, count: int) -> list[str | BaseException | None]:
    """``count`` streams on ``client``, all started before any is awaited."""
    tasks = [asyncio.create_task(one_stream(client)) for _ in range(count)]
    return await asyncio.gather(*tasks, return_exceptions=True)


@pytest.mark.parametrize("transport", ["aiohttp", "httpx"])
def test_a_thousand_concurrent_streams_on_one_client(
    transport: str, record_testsuite_property: Callable[[str, object], None]
) -> None:
    with FaultServerProcess("support.responders:ResetSome", RESET_RATE) as server:
        config = CallConfig(server.base_url, max_retries=2, timeout=30.0)

        async def main() -> tuple[list[str | BaseException | None], int, int, float]:
            async with asyncio.timeout(OVERALL_LIMIT):
                before = open_fds()
                client = AsyncMixrouteClient(
                    API_KEY,
                    base_url=config.base_url,
                    timeout=config.timeout,
                    retry_policy=config.retry_policy(),
                    async_transport=transport,  # type: ignore[arg-type]
                )
                start = time.perf_counter()
                try:
                    async with sampling(open_fds, every=0.05) as samples:
                        results = await all_at_once(client, STREAMS)
                    elapsed = time.perf_counter() - start
                    peak = max(samples, default=before)
                finally:
                    await client.aclose()
                assert await server.await_open_connections(0, limit=10.0) == 0, (
                    "connections still open at the server after the client was closed"
                )
                gc.collect()
                await asyncio.sleep(0)
                leaked = open_fds() - before
                return results, leaked, peak - before, elapsed

        results, leaked, peak, elapsed = asyncio.run(main())
        stats = server.stats()

    answered = [result for result in results if result == TEXT]
    errors = [result for result in results if isinstance(result, BaseException)]
    others = [result for result in results if result != TEXT and result not in errors]
    assert not others, f"streams that ended without the answer or an error: {others[:3]}"
    untyped = [error for error in errors if not isinstance(error, MixrouteError)]
    assert not untyped, f"untyped errors: {untyped[:3]!r}"
    assert len(answered) >= MIN_SUCCESS * STREAMS, f"{len(errors)} failed: {errors[:3]!r}"
    assert stats["opened"] >= STREAMS, stats  # every stream had a connection of its own
    assert stats["failed"] > 0.05 * STREAMS, stats  # the server really reset some
    # Each reset was retried (one recorded wait), but in a call that failed in the end. (A
    # failed call's last try may not reach the server: under load its accept queue can
    # overflow and drop a new connection.)
    assert len(config.sleeps) >= stats["failed"] - (config.max_retries + 1) * len(errors)
    assert leaked <= FD_SLACK, f"{leaked} file descriptors more than before the client"
    print(
        f"\n{STREAMS} streams on async_transport={transport!r}: {elapsed:.2f} s, "
        f"{stats['requests']} requests, {stats['failed']} reset, {len(errors)} failed, "
        f"at most {peak} descriptors more, {stats['opened']} connections"
    )
    record_testsuite_property(f"scale_{transport}_elapsed_s", round(elapsed, 3))
    record_testsuite_property(f"scale_{transport}_requests", stats["requests"])
    record_testsuite_property(f"scale_{transport}_failed_calls", len(errors))
