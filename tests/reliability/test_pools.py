"""The async client's pools over their life: one per event loop, each closed on its loop.

``AsyncMixrouteClient`` opens a pool per event loop (``mixroute/pools.py``). These tests
use one client the ways an application does and watch the fault server's count of open
connections, on each transport:

* from four threads, each running its own ``asyncio.run`` and never closing the client:
  each ``asyncio.run`` closes its loop's pool when it ends (``shutdown_asyncgens``), so no
  connection stays open and nothing warns of an unclosed resource;
* on a loop running in a background thread, closed by ``aclose()`` awaited on another
  loop: that pool is closed on its own loop, which keeps running;
* across two ``asyncio.run`` calls: both work, and each run's pool is closed at its end;
* the known limit: a loop closed without ``shutdown_asyncgens``.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import os
import subprocess
import sys
import threading
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from mixroute import AsyncMixrouteClient
from reliability.drivers.base import API_KEY, MESSAGES, MODEL
from reliability.fault_server import FaultServer
from reliability.scenarios import TEXT

THREADS = 4
ROUNDS = 2  # asyncio.run calls per thread
IN_FLIGHT = 3  # concurrent calls per round, so each pool holds several connections
LIMIT = 10.0  # the longest any thread, loop or call here may take

pytestmark = pytest.mark.parametrize("transport", ["aiohttp", "httpx"])


def make_client(server: FaultServer, transport: str) -> AsyncMixrouteClient:
    return AsyncMixrouteClient(
        API_KEY,
        base_url=server.base_url,
        timeout=5.0,
        max_retries=0,
        async_transport=transport,  # type: ignore[arg-type]
    )


async def calls(client: AsyncMixrouteClient, count: int = IN_FLIGHT) -> list[str | None]:
    """``count`` calls at once on ``client``; their answers."""
    async with asyncio.timeout(LIMIT):
        answers = await asyncio.gather(*(client.create(MODEL, MESSAGES) for _ in range(count)))
    return [answer.message.content for answer in answers]


@contextmanager
def no_resource_warnings(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """Fail if the block (or the garbage it leaves) warns of an unclosed resource.

    ``ResourceWarning`` is recorded while the block runs and when its garbage is
    collected; asyncio's and aiohttp's "Unclosed ..." reports go to the ``asyncio``
    logger through the loop's exception handler, so that is watched too.
    """
    gc.collect()  # what earlier tests left is not this block's
    caplog.set_level(logging.ERROR, logger="asyncio")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ResourceWarning)
        yield
        gc.collect()
    unclosed = [str(w.message) for w in caught if issubclass(w.category, ResourceWarning)]
    assert not unclosed, unclosed
    reports = [r.getMessage() for r in caplog.records if r.name == "asyncio"]
    assert not reports, reports


# -- (a) threads, each with its own asyncio.run, the client never closed ------------------------


def test_a_client_shared_by_threads_each_running_asyncio_run_leaves_nothing_open(
    transport: str, fault_server: FaultServer, caplog: pytest.LogCaptureFixture
) -> None:
    answers: list[str | None] = []
    failures: list[BaseException] = []

    def work(client: AsyncMixrouteClient) -> None:
        try:
            for _ in range(ROUNDS):
                answers.extend(asyncio.run(calls(client)))
        except BaseException as exc:
            failures.append(exc)

    with no_resource_warnings(caplog):
        client = make_client(fault_server, transport)
        threads = [threading.Thread(target=work, args=(client,)) for _ in range(THREADS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(LIMIT)
        assert not any(thread.is_alive() for thread in threads), "a thread hangs"
        assert not failures, failures
        assert answers == [TEXT] * (THREADS * ROUNDS * IN_FLIGHT)
        # Every asyncio.run closed its own pool as it ended; the client is still alive.
        assert fault_server.wait_open_connections(0) == 0
        assert fault_server.connections_opened >= THREADS * ROUNDS
        del client


# -- (b) a loop in another thread, closed from this one ----------------------------------------


@contextmanager
def loop_in_a_thread() -> Iterator[asyncio.AbstractEventLoop]:
    """An event loop running forever in a thread of its own; stopped and closed at the end."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    try:
        yield loop
    finally:
        asyncio.run_coroutine_threadsafe(loop.shutdown_asyncgens(), loop).result(LIMIT)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(LIMIT)
        loop.close()


def test_aclose_on_one_loop_closes_the_pool_of_a_loop_running_in_another_thread(
    transport: str, fault_server: FaultServer, caplog: pytest.LogCaptureFixture
) -> None:
    with no_resource_warnings(caplog), loop_in_a_thread() as other:
        client = make_client(fault_server, transport)
        answers = asyncio.run_coroutine_threadsafe(calls(client), other).result(LIMIT)
        assert answers == [TEXT] * IN_FLIGHT
        assert fault_server.open_connections == IN_FLIGHT  # kept alive in that loop's pool

        asyncio.run(client.aclose())  # from this thread's own loop

        assert fault_server.wait_open_connections(0) == 0
        assert other.is_running()  # closed on its loop, which goes on
        # The client still works there, on a new pool, closed at the end on that loop.
        again = asyncio.run_coroutine_threadsafe(calls(client, 1), other).result(LIMIT)
        assert again == [TEXT]
        asyncio.run_coroutine_threadsafe(client.aclose(), other).result(LIMIT)
        assert fault_server.wait_open_connections(0) == 0


# -- (c) asyncio.run twice ---------------------------------------------------------------------


def test_asyncio_run_twice_on_one_client_closes_each_runs_pool_at_its_end(
    transport: str, fault_server: FaultServer, caplog: pytest.LogCaptureFixture
) -> None:
    with no_resource_warnings(caplog):
        client = make_client(fault_server, transport)
        for run in range(2):
            assert asyncio.run(calls(client)) == [TEXT] * IN_FLIGHT
            assert fault_server.wait_open_connections(0) == 0, f"after run {run + 1}"
        assert fault_server.connections_opened == 2 * IN_FLIGHT
        del client


# -- (d) the known limit: a loop closed without shutdown_asyncgens -----------------------------

LOOPS = 5


_CLOSED_LOOPS = """
import asyncio, gc, sys, warnings
from mixroute import AsyncMixrouteClient
from reliability.fault_server import Answer, FaultServer

API_KEY, MESSAGES, MODEL = {constants}
warnings.simplefilter("ignore", ResourceWarning)
with FaultServer() as server:
    server.script(then=Answer())
    client = AsyncMixrouteClient(
        API_KEY, base_url=server.base_url, max_retries=0, async_transport=sys.argv[1]
    )
    for _ in range({loops}):
        loop = asyncio.new_event_loop()
        loop.run_until_complete(client.create(MODEL, MESSAGES))
        loop.close()
    del loop
    gc.collect()
    print(server.wait_open_connections(1, limit=2.0))
    del client
    gc.collect()
    print(server.wait_open_connections(0, limit=2.0))
"""


def test_known_limit_a_loop_closed_without_shutdown_asyncgens_leaves_its_pool_open(
    transport: str,
) -> None:
    """What happens, asserted so that a change shows (in a child process: it leaks).

    ``loop.close()`` alone does not run ``shutdown_asyncgens``, so the guard that would
    close the pool never runs, and nothing can close a pool without its loop. The client
    drops such a pool when it next opens one, so they do not pile up on the client; a
    dropped pool's sockets close when it is collected, with a ``ResourceWarning`` (keep no
    reference to those warnings: a recorded warning keeps its socket alive). ``asyncio.run``,
    ``asyncio.Runner`` and ``IsolatedAsyncioTestCase`` call ``shutdown_asyncgens``;
    hand-made loops must too, or close the client with ``aclose()`` before closing the loop.
    """
    # The drivers' constants written in: importing reliability.drivers costs the child
    # seconds (it imports both frameworks' drivers).
    script = _CLOSED_LOOPS.format(loops=LOOPS, constants=repr((API_KEY, MESSAGES, MODEL)))
    tests = str(Path(__file__).parent.parent)
    env = {**os.environ, "PYTHONPATH": tests}
    done = subprocess.run(
        [sys.executable, "-c", script, transport],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    after_loops, after_client = (int(line) for line in done.stdout.split())
    assert (after_loops, after_client) == (1, 0)  # only the last loop's pool was held


def test_a_hand_made_loop_that_runs_shutdown_asyncgens_closes_its_pool(
    transport: str, fault_server: FaultServer, caplog: pytest.LogCaptureFixture
) -> None:
    """The remedy for the limit above: what ``asyncio.run`` does before closing its loop."""
    with no_resource_warnings(caplog):
        client = make_client(fault_server, transport)
        for _ in range(LOOPS):
            loop = asyncio.new_event_loop()
            assert loop.run_until_complete(calls(client, 1)) == [TEXT]
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()
            assert fault_server.wait_open_connections(0) == 0
        del client, loop
