"""The async client's plain calls on its own aiohttp pool, sent without httpx's objects.

``AiohttpPool.post`` sends a plain call straight through aiohttp; these tests hold it to
what the httpx path over the same transport does: the same request head on the wire, the
cookie jar, httpx's log line, an idle connection the server closed left unused, and the
deadline's cancellation told apart from the caller's.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress

import pytest
from support.hanging_up_server import HangingUpServer
from test_client import DOCUMENTED_ANSWER, KEY, MESSAGES

from mixroute import APITimeoutError, AsyncMixrouteClient
from mixroute.deadlines import CancelAt

pytest.importorskip("aiohttp")
pytestmark = [pytest.mark.asyncio, pytest.mark.filterwarnings("error::ResourceWarning")]

ANSWER = json.dumps(DOCUMENTED_ANSWER).encode()


def answered(extra_head: bytes = b"") -> bytes:
    """A whole 200 response carrying ANSWER, with ``extra_head`` among its headers."""
    return (
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
        + extra_head
        + b"Content-Length: %d\r\n\r\n" % len(ANSWER)
        + ANSWER
    )


class HeadServer:
    """An asyncio server that keeps every request head it reads, raw, and answers ANSWER."""

    def __init__(self, extra_head: bytes = b"") -> None:
        self.heads: list[bytes] = []
        self.extra_head = extra_head
        self.server: asyncio.Server | None = None
        self.writers: list[asyncio.StreamWriter] = []

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.writers.append(writer)
        with suppress(ConnectionError, asyncio.IncompleteReadError):
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                self.heads.append(head)
                length = int(head.lower().split(b"content-length: ")[1].split(b"\r\n")[0])
                await reader.readexactly(length)
                writer.write(answered(self.extra_head))
        writer.close()

    @asynccontextmanager
    async def running(self) -> AsyncIterator[str]:
        self.server = await asyncio.start_server(self.handle, "127.0.0.1", 0)
        port = self.server.sockets[0].getsockname()[1]
        try:
            yield f"http://127.0.0.1:{port}/v1"
        finally:
            self.server.close()
            await close_all(self.server, self.writers)

    @asynccontextmanager
    async def client(self) -> AsyncIterator[AsyncMixrouteClient]:
        """The server running, and an aiohttp client on it that never retries."""
        async with (
            self.running() as base_url,
            AsyncMixrouteClient(
                KEY, base_url=base_url, max_retries=0, async_transport="aiohttp"
            ) as client,
        ):
            yield client


async def close_all(server: asyncio.Server, writers: list[asyncio.StreamWriter]) -> None:
    """Close the server's connections too (``Server.close`` leaves them open)."""
    for writer in writers:
        writer.close()
        with suppress(ConnectionError):
            await writer.wait_closed()
    await server.wait_closed()


def header_lines(head: bytes) -> list[bytes]:
    return head.split(b"\r\n")[1:-2]  # no request line, no blank line


async def test_a_plain_call_writes_the_head_httpx_would_write() -> None:
    server = HeadServer()
    async with server.client() as client:
        await client.create("glm-5", MESSAGES)  # straight through aiohttp
        # Per-call headers make httpx build the request: the reference head.
        await client.create("glm-5", MESSAGES, extra_headers={"X-Probe": "1"})
    direct, through_httpx = (header_lines(head) for head in server.heads)
    assert server.heads[0].split(b"\r\n")[0] == server.heads[1].split(b"\r\n")[0]
    assert direct == [line for line in through_httpx if line != b"x-probe: 1"]
    assert any(line.lower().startswith(b"authorization: bearer ") for line in direct)


async def test_a_cookie_the_server_sets_is_sent_back_as_over_httpx() -> None:
    server = HeadServer(extra_head=b"Set-Cookie: session=abc; Path=/\r\n")
    async with server.client() as client:
        await client.create("glm-5", MESSAGES)
        await client.create("glm-5", MESSAGES)
    assert b"cookie:" not in server.heads[0].lower()
    assert b"cookie: session=abc" in server.heads[1].lower()


async def test_httpx_logs_each_plain_call_as_it_would(caplog: pytest.LogCaptureFixture) -> None:
    server = HeadServer()
    async with server.client() as client:
        with caplog.at_level(logging.INFO, logger="httpx"):
            await client.create("glm-5", MESSAGES)
    assert [r.getMessage() for r in caplog.records if r.name == "httpx"] == [
        f'HTTP Request: POST {client.settings.base_url}/chat/completions "HTTP/1.1 200 OK"'
    ]


async def test_a_plain_call_never_uses_a_connection_the_server_closed_while_idle() -> None:
    with HangingUpServer(answered()) as server:
        async with AsyncMixrouteClient(
            KEY,
            base_url=f"http://127.0.0.1:{server.port}/v1",
            max_retries=0,  # a dead connection used would be an error, not a retry
            async_transport="aiohttp",
        ) as client:
            await client.create("glm-5", MESSAGES)
            # Blocks the loop: the FIN arrives meanwhile and waits in the kernel, unseen.
            assert server.close_idle()
            await client.create("glm-5", MESSAGES)
    assert server.connections == 2
    assert server.after_fin == [b""]


async def test_the_deadline_ends_a_plain_call_that_gets_no_answer() -> None:
    writers: list[asyncio.StreamWriter] = []

    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writers.append(writer)
        with suppress(ConnectionError):
            await reader.read()  # until the client hangs up
        writer.close()

    listener = await asyncio.start_server(silent, "127.0.0.1", 0)
    port = listener.sockets[0].getsockname()[1]
    try:
        async with AsyncMixrouteClient(
            KEY, base_url=f"http://127.0.0.1:{port}/v1", max_retries=0, timeout=30
        ) as client:
            started = time.monotonic()
            with pytest.raises(APITimeoutError, match=r"deadline of 0\.3 s"):
                await client.create("glm-5", MESSAGES, deadline=0.3)
            assert time.monotonic() - started < 2
    finally:
        listener.close()
        await close_all(listener, writers)


async def test_cancel_at_turns_only_its_own_cancellation_into_a_timeout() -> None:
    async def guarded(delay: float, cancel_from_outside: bool) -> str:
        deadline = CancelAt(delay)
        try:
            await asyncio.sleep(0 if cancel_from_outside else 5)
            if cancel_from_outside:
                await asyncio.sleep(5)
        except BaseException as exc:
            return "timeout" if deadline.close(exc) else f"passed on {type(exc).__name__}"
        deadline.close(None)
        return "done"

    assert await guarded(0.05, cancel_from_outside=False) == "timeout"
    assert asyncio.current_task() is not None

    task = asyncio.create_task(guarded(60, cancel_from_outside=True))
    await asyncio.sleep(0.01)
    task.cancel()
    assert await task == "passed on CancelledError"

    quick = asyncio.create_task(guarded(60, cancel_from_outside=False))
    await asyncio.sleep(0)
    quick.cancel()
    assert await quick == "passed on CancelledError"
    assert quick.cancelling() == 1  # the caller's request is left standing
