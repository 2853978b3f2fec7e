"""Specification of the async client's own network layer (``mixroute.aio``).

httpx's transport and pool over asyncio's transports instead of anyio's streams. The fault
catalogue (``tests/reliability``) drives it through every failure it knows, via the core's
async drivers; here: that the client's own pool uses it and a pool passed in does not,
TLS (verified, and refused when it should be), back-pressure both ways, timeouts, and a
keep-alive connection the server closed while it sat idle.
"""

from __future__ import annotations

import asyncio
import hashlib
import socket
import ssl
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

import anyio
import httpx
import pytest
import trustme

from mixroute import APIConnectionError, AsyncMixrouteClient, UserMessage
from mixroute.aio import AsyncioBackend, AsyncioTransport

pytestmark = pytest.mark.anyio

LIMITS = httpx.Limits(max_connections=10, max_keepalive_connections=5)
ANSWER = (
    b'{"id":"c1","object":"chat.completion","model":"m","choices":[{"index":0,'
    b'"message":{"role":"assistant","content":"hello"},"finish_reason":"stop"}]}'
)

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@asynccontextmanager
async def serving(handler: Handler, tls: ssl.SSLContext | None = None) -> AsyncIterator[int]:
    """A server on 127.0.0.1 for the test's own loop; yields its port."""
    tasks: set[asyncio.Task[None]] = set()

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        tasks.add(task)
        try:
            await handler(reader, writer)
        finally:
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0, ssl=tls)
    try:
        yield server.sockets[0].getsockname()[1]
    finally:
        server.close()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await server.wait_closed()


async def read_request(reader: asyncio.StreamReader) -> bytes:
    """One HTTP/1.1 request's body (Content-Length framed)."""
    head = await reader.readuntil(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n"):
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    return await reader.readexactly(length)


def response(body: bytes, *, close: bool = False) -> bytes:
    connection = b"close" if close else b"keep-alive"
    return (
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: " + connection
        + b"\r\nContent-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body
    )  # fmt: skip


async def answer_each(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while True:
            await read_request(reader)
            writer.write(response(ANSWER))
            await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError):
        writer.close()


def client(ssl_context: ssl.SSLContext | None = None, timeout: float = 5.0) -> httpx.AsyncClient:
    context = ssl_context or ssl.create_default_context()
    transport = AsyncioTransport(limits=LIMITS, ssl_context=context)
    return httpx.AsyncClient(transport=transport, timeout=timeout)


# --- which pool uses it -------------------------------------------------------------------


@pytest.fixture
def anyio_sockets_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make anyio's TCP connect fail, so a request through it can be told apart."""

    async def refuse(*args: object, **kwargs: object) -> None:
        raise OSError("anyio.connect_tcp was used")

    monkeypatch.setattr(anyio, "connect_tcp", refuse)


@pytest.mark.usefixtures("anyio_sockets_refused")
async def test_the_clients_own_pool_connects_through_asyncio() -> None:
    async with (
        serving(answer_each) as port,
        AsyncMixrouteClient("sk-test", base_url=f"http://127.0.0.1:{port}/v1") as mx,
    ):
        answers = await asyncio.gather(*(mx.create("m", [UserMessage("hi")]) for _ in range(20)))
    assert [a.message.content for a in answers] == ["hello"] * 20


@pytest.mark.usefixtures("anyio_sockets_refused")
async def test_a_pool_passed_in_keeps_its_own_transport() -> None:
    async with serving(answer_each) as port, httpx.AsyncClient() as yours:
        url = f"http://127.0.0.1:{port}/v1"
        async with AsyncMixrouteClient(
            "sk-test", base_url=url, http_client=yours, max_retries=0
        ) as mx:
            with pytest.raises(APIConnectionError, match=r"anyio\.connect_tcp was used"):
                await mx.create("m", [UserMessage("hi")])


# --- TLS ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def authority() -> trustme.CA:
    return trustme.CA()


@pytest.fixture(scope="module")
def server_tls(authority: trustme.CA) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    authority.issue_cert("localhost").configure_cert(context)
    return context


@pytest.fixture(scope="module")
def trusting(authority: trustme.CA) -> ssl.SSLContext:
    context = ssl.create_default_context()
    authority.configure_trust(context)
    return context


async def test_https_round_trips_and_reuses_the_connection(
    server_tls: ssl.SSLContext, trusting: ssl.SSLContext
) -> None:
    peers: list[object] = []

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        peers.append(writer.get_extra_info("peername"))
        await answer_each(reader, writer)

    async with serving(handler, tls=server_tls) as port, client(trusting) as http:
        for _ in range(3):
            reply = await http.post(f"https://localhost:{port}/v1/chat/completions", json={})
            assert reply.json()["choices"][0]["message"]["content"] == "hello"
            assert reply.extensions["network_stream"].get_extra_info("ssl_object") is not None
    assert len(peers) == 1  # one handshake, one connection kept alive


async def test_https_with_an_untrusted_certificate_is_refused(server_tls: ssl.SSLContext) -> None:
    async with serving(answer_each, tls=server_tls) as port, client() as http:
        with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
            await http.get(f"https://localhost:{port}/")


async def test_https_to_the_wrong_host_name_is_refused(
    server_tls: ssl.SSLContext, trusting: ssl.SSLContext
) -> None:
    async with serving(answer_each, tls=server_tls) as port, client(trusting) as http:
        with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
            await http.get(f"https://127.0.0.1:{port}/")  # the certificate names localhost


# --- back-pressure ------------------------------------------------------------------------


async def test_a_large_download_read_slowly_arrives_whole_and_in_order() -> None:
    body = bytes(range(256)) * (16 * 1024)  # 4 MiB, far above what is buffered unread

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        writer.write(response(body, close=True))
        await writer.drain()
        writer.close()

    digest = hashlib.sha256()
    async with serving(handler) as port, client() as http:
        url = f"http://127.0.0.1:{port}/"
        async with http.stream("GET", url) as reply:
            async for piece in reply.aiter_raw():
                digest.update(piece)
                await asyncio.sleep(0)  # a slow reader: the server's writes must wait
    assert digest.hexdigest() == hashlib.sha256(body).hexdigest()


async def test_a_large_upload_to_a_slow_reader_arrives_whole() -> None:
    body = bytes(range(256)) * (32 * 1024)  # 8 MiB: more than the socket buffers take

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        assert b"content-length: 8388608" in head.lower()
        received = hashlib.sha256()
        left = len(body)
        while left:
            piece = await reader.read(min(left, 65536))
            received.update(piece)
            left -= len(piece)
            await asyncio.sleep(0.001)  # slower than the client writes
        writer.write(response(received.hexdigest().encode(), close=True))
        await writer.drain()
        writer.close()

    async with serving(handler) as port, client() as http:
        reply = await http.post(f"http://127.0.0.1:{port}/", content=body)
    assert reply.text == hashlib.sha256(body).hexdigest()


# --- timeouts, closed connections ---------------------------------------------------------


async def test_a_server_that_never_answers_is_a_read_timeout() -> None:
    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read()  # until the client gives up and closes

    async with serving(silent) as port, client(timeout=0.2) as http:
        started = asyncio.get_running_loop().time()
        with pytest.raises(httpx.ReadTimeout):
            await http.get(f"http://127.0.0.1:{port}/")
        assert asyncio.get_running_loop().time() - started < 2


async def test_a_refused_connection_is_a_connect_error() -> None:
    with socket.socket() as placeholder:
        placeholder.bind(("127.0.0.1", 0))
        port = placeholder.getsockname()[1]  # bound, not listening: connections are refused
        async with client() as http:
            with pytest.raises(httpx.ConnectError):
                await http.get(f"http://127.0.0.1:{port}/")


async def test_a_keep_alive_connection_closed_while_idle_is_not_reused() -> None:
    connections = 0

    async def once(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal connections
        connections += 1
        await read_request(reader)
        writer.write(response(ANSWER))  # says keep-alive, then closes anyway
        await writer.drain()
        writer.close()

    async with serving(once) as port, client() as http:
        url = f"http://127.0.0.1:{port}/"
        for _ in range(3):
            assert (await http.post(url, json={})).json()["choices"][0]["message"]["content"]
            await asyncio.sleep(0.05)  # the close reaches the client while the connection idles
    assert connections == 3


async def test_a_connection_cut_mid_body_is_a_read_error_not_a_short_body() -> None:
    async def cut(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        writer.write(response(ANSWER)[:-10])
        await writer.drain()
        writer.transport.abort()  # a reset, not a clean close

    async with serving(cut) as port, client() as http:
        with pytest.raises((httpx.ReadError, httpx.RemoteProtocolError)):
            await http.post(f"http://127.0.0.1:{port}/", json={})


async def test_connect_applies_the_local_address_and_socket_options() -> None:
    async with serving(answer_each) as port:
        stream = await AsyncioBackend().connect_tcp(
            "127.0.0.1",
            port,
            timeout=5,
            local_address="127.0.0.1",
            socket_options=[(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)],
        )
        try:
            assert stream.get_extra_info("client_addr")[0] == "127.0.0.1"
            sock = stream.get_extra_info("socket")
            assert sock.getsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE) == 1
            assert stream.get_extra_info("is_readable") is False  # idle, nothing arrived
        finally:
            await stream.aclose()


async def test_an_upload_the_server_never_reads_is_a_write_timeout() -> None:
    async def deaf(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await asyncio.sleep(30)  # reads nothing: the client's send buffer fills up

    async with serving(deaf) as port, client(timeout=0.3) as http:
        with pytest.raises(httpx.WriteTimeout):
            await http.post(f"http://127.0.0.1:{port}/", content=bytes(32 * 1024 * 1024))


async def test_an_idle_connection_the_server_closed_reads_as_readable() -> None:
    async def hang_up(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.close()

    async with serving(hang_up) as port:
        stream = await AsyncioBackend().connect_tcp("127.0.0.1", port, timeout=5)
        try:
            for _ in range(100):  # until the loop has handed the FIN to the connection
                if stream.get_extra_info("is_readable"):
                    break
                await asyncio.sleep(0.01)
            assert stream.get_extra_info("is_readable") is True
            assert await stream.read(1024, timeout=1) == b""
        finally:
            await stream.aclose()
