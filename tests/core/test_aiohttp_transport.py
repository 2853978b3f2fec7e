"""Specification of the async client's aiohttp transport (``mixroute.aiohttp_transport``).

Real servers only: asyncio servers on 127.0.0.1 in the test's own loop, a threaded server
where the test must block the loop, and proxy.py in a subprocess. What goes on the wire and
what comes back (raw, as it arrives), TLS, every failure and the httpx exception it becomes,
the four timeouts, the pool, keep-alive and a connection the server closed while idle,
Happy Eyeballs, socket options, proxies, cancellation and closing.
"""

from __future__ import annotations

import asyncio
import gc
import gzip
import hashlib
import os
import select
import signal
import socket
import ssl
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager, suppress
from pathlib import Path
from typing import Any

import aiohttp
import httpx
import pytest
import trustme
from support.hanging_up_server import HangingUpServer

from mixroute.aiohttp_transport import AiohttpTransport

pytestmark = [pytest.mark.asyncio, pytest.mark.filterwarnings("error::ResourceWarning")]

LIMITS = httpx.Limits(max_connections=10, max_keepalive_connections=5)
ANSWER = b'{"choices":[{"message":{"content":"hello"}}]}'
DEFAULT_CONTEXT = ssl.create_default_context()

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


# --- servers and clients ------------------------------------------------------------------


@asynccontextmanager
async def serving(handler: Handler, tls: ssl.SSLContext | None = None) -> AsyncIterator[int]:
    """A server on 127.0.0.1 in the test's loop; yields its port."""
    tasks: set[asyncio.Task[Any]] = set()

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        tasks.add(task)
        try:
            await handler(reader, writer)
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.CancelledError):
            pass  # the client went away, or the test is over
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


async def read_request(reader: asyncio.StreamReader) -> tuple[bytes, bytes]:
    """One HTTP/1.1 request: its head and its body (Content-Length or chunked)."""
    head = await reader.readuntil(b"\r\n\r\n")
    if b"\r\ntransfer-encoding: chunked" in head.lower():
        body = b""
        while size := int((await reader.readuntil(b"\r\n")).strip(), 16):
            body += (await reader.readexactly(size + 2))[:-2]
        await reader.readuntil(b"\r\n")
        return head, body
    length = 0
    for line in head.split(b"\r\n"):
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    return head, await reader.readexactly(length)


def reply(
    body: bytes = ANSWER, *, status: bytes = b"200 OK", headers: tuple[bytes, ...] = ()
) -> bytes:
    lines = [b"HTTP/1.1 " + status, *headers, b"Content-Length: %d" % len(body)]
    return b"\r\n".join(lines) + b"\r\n\r\n" + body


async def answer_each(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    while True:
        await read_request(reader)
        writer.write(reply())
        await writer.drain()


def transport(**options: Any) -> AiohttpTransport:
    options.setdefault("ssl_context", DEFAULT_CONTEXT)
    options.setdefault("limits", LIMITS)
    return AiohttpTransport(**options)


def client(timeout: float | httpx.Timeout = 5.0, **options: Any) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=transport(**options), timeout=timeout)


def elapsed_since(started: float) -> float:
    return asyncio.get_running_loop().time() - started


@contextmanager
def stalled_listener(host: str, port: int = 0) -> Iterator[int]:
    """A listener whose accept queue is full, so that connecting to it hangs.

    Linux queues ``backlog + 1`` completed connections for a listener nobody accepts from;
    once the queue is full it drops the SYNs of the next ones, and their connect waits for
    retransmissions (1 s, 3 s, ...) that meet the same fate. Works on any loopback address.
    """
    listener = socket.socket()
    fillers: list[socket.socket] = []
    try:
        listener.bind((host, port))
        listener.listen(0)
        for _ in range(8):
            filler = socket.socket()
            fillers.append(filler)
            filler.setblocking(False)
            filler.connect_ex(listener.getsockname())
            if not select.select([], [filler], [], 0.1)[1]:
                break  # this one hangs: the queue is full
        else:
            pytest.skip("this kernel completes connections beyond the listen backlog")
        yield listener.getsockname()[1]
    finally:
        for filler in fillers:
            filler.close()
        listener.close()


@pytest.fixture
def resolve(monkeypatch: pytest.MonkeyPatch) -> Callable[[str, list[str]], None]:
    """Make a made-up host name resolve to the given addresses (none: it does not exist)."""
    names: dict[str, list[str]] = {}
    real = socket.getaddrinfo

    def getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        if host not in names:
            return real(host, port, *args, **kwargs)
        if not names[host]:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        stream, tcp = socket.SOCK_STREAM, socket.IPPROTO_TCP
        return [(socket.AF_INET, stream, tcp, "", (ip, int(port))) for ip in names[host]]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return names.__setitem__


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


# --- the request and the response ---------------------------------------------------------


async def test_the_request_goes_out_as_httpx_built_it_and_the_answer_comes_back() -> None:
    received: list[tuple[bytes, bytes]] = []

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while True:
            received.append(await read_request(reader))
            cookies = (b"Set-Cookie: a=1", b"Set-Cookie: b=2")
            writer.write(reply(status=b"201 Made Up", headers=cookies))
            await writer.drain()

    async with serving(handler) as port:
        url = f"http://127.0.0.1:{port}/v1/chat?q=%2F"
        own = transport()
        async with httpx.AsyncClient(transport=own) as http:
            answer = await http.post(url, json={"a": 1}, headers={"X-Trace": "t1"})
            # Straight through the transport: aiohttp keeps no cookies of its own.
            bare = await own.handle_async_request(httpx.Request("GET", url))
            await bare.aread()
            await bare.aclose()

    head, body = received[0]
    lines = head.lower().split(b"\r\n")
    names = [line.partition(b":")[0] for line in lines[1:] if line]
    assert lines[0] == b"post /v1/chat?q=%2f http/1.1"
    assert names.count(b"host") == names.count(b"content-length") == 1
    assert b"user-agent: python-httpx/" in head.lower()
    assert b"x-trace: t1" in head.lower()
    assert b"aiohttp" not in head.lower()
    assert body == b'{"a":1}'
    assert b"cookie" not in received[1][0].lower()
    assert b"accept" not in received[1][0].lower()  # no header httpx did not put there
    assert (answer.status_code, answer.reason_phrase, answer.http_version) == (
        201,
        "Made Up",
        "HTTP/1.1",
    )
    assert answer.headers.get_list("set-cookie") == ["a=1", "b=2"]
    assert answer.json()["choices"][0]["message"]["content"] == "hello"


async def test_a_compressed_body_is_handed_over_raw_with_its_encoding() -> None:
    packed = gzip.compress(ANSWER * 50)

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        writer.write(reply(packed, headers=(b"Content-Encoding: gzip",)))
        await writer.drain()

    async with (
        serving(handler) as port,
        client() as http,
        http.stream("GET", f"http://127.0.0.1:{port}/") as answer,
    ):
        raw = b"".join([piece async for piece in answer.aiter_raw()])
    assert answer.headers["content-encoding"] == "gzip"
    assert raw == packed


async def test_the_body_is_streamed_as_it_arrives() -> None:
    first_seen = asyncio.Event()

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        writer.write(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nfirst\r\n")
        await writer.drain()
        await first_seen.wait()  # the rest only once the client has the first piece
        writer.write(b"6\r\nsecond\r\n0\r\n\r\n")
        await writer.drain()

    pieces: list[bytes] = []
    async with (
        serving(handler) as port,
        client() as http,
        asyncio.timeout(5),
        http.stream("GET", f"http://127.0.0.1:{port}/") as answer,
    ):
        async for piece in answer.aiter_raw():
            pieces.append(piece)
            first_seen.set()
    assert pieces == [b"first", b"second"]


async def test_a_streamed_request_body_goes_out_chunked() -> None:
    received: list[tuple[bytes, bytes]] = []

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        received.append(await read_request(reader))
        writer.write(reply())
        await writer.drain()

    async def produce() -> AsyncIterator[bytes]:
        yield b"ab"
        await asyncio.sleep(0)
        yield b"cd"

    async with serving(handler) as port, client() as http:
        await http.post(f"http://127.0.0.1:{port}/", content=produce())
    head, body = received[0]
    assert head.lower().count(b"transfer-encoding: chunked") == 1
    assert b"content-length" not in head.lower()
    assert body == b"abcd"


# --- TLS ----------------------------------------------------------------------------------


async def test_https_round_trips_on_one_kept_alive_connection(
    server_tls: ssl.SSLContext, trusting: ssl.SSLContext
) -> None:
    connections = 0

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal connections
        connections += 1
        await answer_each(reader, writer)

    async with serving(handler, tls=server_tls) as port, client(ssl_context=trusting) as http:
        for _ in range(3):
            answer = await http.post(f"https://localhost:{port}/v1", json={})
            assert answer.json()["choices"][0]["message"]["content"] == "hello"
    assert connections == 1


async def test_https_with_an_untrusted_certificate_is_a_connect_error(
    server_tls: ssl.SSLContext,
) -> None:
    async with serving(answer_each, tls=server_tls) as port, client() as http:
        with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED") as caught:
            await http.get(f"https://localhost:{port}/")
    assert isinstance(caught.value.__cause__, aiohttp.ClientConnectorCertificateError)


async def test_https_to_the_wrong_host_name_is_a_connect_error(
    server_tls: ssl.SSLContext, trusting: ssl.SSLContext
) -> None:
    async with serving(answer_each, tls=server_tls) as port, client(ssl_context=trusting) as http:
        with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
            await http.get(f"https://127.0.0.1:{port}/")  # the certificate names localhost


# --- connecting ---------------------------------------------------------------------------


async def test_a_refused_connection_is_a_connect_error() -> None:
    with socket.socket() as placeholder:
        placeholder.bind(("127.0.0.1", 0))  # bound, not listening: connections are refused
        async with client() as http:
            with pytest.raises(httpx.ConnectError) as caught:
                await http.get(f"http://127.0.0.1:{placeholder.getsockname()[1]}/")
    assert isinstance(caught.value.__cause__, aiohttp.ClientConnectorError)


async def test_a_host_name_that_does_not_resolve_is_a_connect_error(
    resolve: Callable[[str, list[str]], None],
) -> None:
    resolve("nowhere.mixroute.test", [])
    async with client() as http:
        with pytest.raises(httpx.ConnectError, match="Name or service not known"):
            await http.get("http://nowhere.mixroute.test/")


async def test_a_connection_that_never_completes_is_a_connect_timeout() -> None:
    with stalled_listener("127.0.0.1") as port:
        async with client(httpx.Timeout(5, connect=0.3)) as http:
            started = asyncio.get_running_loop().time()
            with pytest.raises(httpx.ConnectTimeout):
                await http.get(f"http://127.0.0.1:{port}/")
            assert 0.25 < elapsed_since(started) < 2


# 127.0.0.2 is loopback too on Linux; the suite's network guard allows only 127.0.0.1.
@pytest.mark.block_network(allowed_hosts=[r"127\.0\.0\.[12]$"])
async def test_happy_eyeballs_moves_on_from_an_address_that_does_not_answer(
    resolve: Callable[[str, list[str]], None],
) -> None:
    async with serving(answer_each) as port:
        with stalled_listener("127.0.0.2", port):
            resolve("api.mixroute.test", ["127.0.0.2", "127.0.0.1"])  # the dead one first
            async with client(httpx.Timeout(5)) as http:
                started = asyncio.get_running_loop().time()
                answer = await http.post(f"http://api.mixroute.test:{port}/v1", json={})
                assert elapsed_since(started) < 2  # 0.25 s, far below the connect timeout
    assert answer.status_code == 200


async def test_socket_options_and_the_local_address_apply_to_each_connection() -> None:
    peers: list[str] = []

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        peers.append(writer.get_extra_info("peername")[0])
        await answer_each(reader, writer)

    keepalive = [(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)]
    bogus = [(socket.SOL_SOCKET, -1, 1)]  # the kernel refuses it: proof it is applied
    async with serving(handler) as port:
        url = f"http://127.0.0.1:{port}/"
        async with client(local_address="127.0.0.2", socket_options=keepalive) as http:
            assert (await http.post(url, json={})).status_code == 200
        async with client(socket_options=bogus) as http:
            with pytest.raises(httpx.ConnectError, match="Protocol not available"):
                await http.post(url, json={})
    assert peers == ["127.0.0.2"]


# --- failures after connecting ------------------------------------------------------------


async def test_a_server_that_never_answers_is_a_read_timeout() -> None:
    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read()

    async with serving(silent) as port, client(0.2) as http:
        started = asyncio.get_running_loop().time()
        with pytest.raises(httpx.ReadTimeout) as caught:
            await http.post(f"http://127.0.0.1:{port}/", json={})
        assert elapsed_since(started) < 2
    assert isinstance(caught.value.__cause__, aiohttp.SocketTimeoutError)


async def test_a_body_that_stops_arriving_is_a_read_timeout() -> None:
    async def stalls(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\npartial")
        await writer.drain()
        await reader.read()

    async with serving(stalls) as port, client(0.2) as http:
        started = asyncio.get_running_loop().time()
        with pytest.raises(httpx.ReadTimeout):
            await http.post(f"http://127.0.0.1:{port}/", json={})
        assert elapsed_since(started) < 2


async def test_a_server_that_hangs_up_without_answering_is_a_protocol_error() -> None:
    connections = 0

    async def hang_up(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal connections
        connections += 1
        await read_request(reader)

    async with serving(hang_up) as port, client() as http:
        with pytest.raises(httpx.RemoteProtocolError) as caught:
            await http.post(f"http://127.0.0.1:{port}/", json={})
    assert not isinstance(caught.value, httpx.TimeoutException)
    assert isinstance(caught.value.__cause__, aiohttp.ServerDisconnectedError)
    assert connections == 1  # a POST is never sent twice


async def test_a_connection_reset_mid_body_is_a_read_error() -> None:
    async def cut(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        writer.write(reply(ANSWER * 100)[:-100])
        await writer.drain()
        writer.transport.abort()  # a reset, not a clean close

    async with serving(cut) as port, client() as http:
        with pytest.raises((httpx.ReadError, httpx.RemoteProtocolError)):
            await http.post(f"http://127.0.0.1:{port}/", json={})


@pytest.mark.parametrize(
    "answer",
    [
        pytest.param(b"garbage\r\n\r\n", id="garbage-status-line"),
        pytest.param(
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nnot a chunk\r\n",
            id="bad-chunked-body",
        ),
    ],
)
async def test_an_answer_that_is_not_http_is_a_protocol_error(answer: bytes) -> None:
    async def nonsense(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        writer.write(answer)
        await writer.drain()
        await reader.read()

    async with serving(nonsense) as port, client() as http:
        with pytest.raises(httpx.RemoteProtocolError) as caught:
            await http.post(f"http://127.0.0.1:{port}/", json={})
    assert isinstance(caught.value.__cause__, aiohttp.ClientError)


# --- uploads ------------------------------------------------------------------------------


async def test_an_upload_the_server_never_reads_is_a_write_timeout() -> None:
    async def deaf(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await asyncio.sleep(30)  # reads nothing: the client's buffers fill up

    async with serving(deaf) as port, client(0.3) as http:
        started = asyncio.get_running_loop().time()
        with pytest.raises(httpx.WriteTimeout):
            await http.post(f"http://127.0.0.1:{port}/", content=bytes(32 * 1024 * 1024))
        assert elapsed_since(started) < 3  # aiohttp alone would wait forever


async def test_an_upload_read_slowly_but_steadily_is_not_a_write_timeout() -> None:
    body = bytes(range(256)) * (16 * 1024)  # 4 MiB, read over about 0.6 s

    async def slow(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        assert b"content-length: 4194304" in head.lower()
        digest, left = hashlib.sha256(), len(body)
        while left:
            piece = await reader.read(min(left, 65536))
            digest.update(piece)
            left -= len(piece)
            await asyncio.sleep(0.01)
        writer.write(reply(digest.hexdigest().encode()))
        await writer.drain()

    async with serving(slow) as port, client(httpx.Timeout(5, write=0.3)) as http:
        answer = await http.post(f"http://127.0.0.1:{port}/", content=body)
    assert answer.text == hashlib.sha256(body).hexdigest()


async def test_a_slow_producer_of_a_streamed_body_is_not_a_write_timeout() -> None:
    async def echo(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        _, body = await read_request(reader)
        writer.write(reply(body))
        await writer.drain()

    async def produce() -> AsyncIterator[bytes]:
        yield b"think"
        await asyncio.sleep(0.3)  # longer than the write timeout, but nothing is waiting
        yield b"ing"

    async with serving(echo) as port, client(httpx.Timeout(5, write=0.1)) as http:
        answer = await http.post(f"http://127.0.0.1:{port}/", content=produce())
    assert answer.text == "thinking"


# --- the pool -----------------------------------------------------------------------------


async def test_a_kept_alive_connection_is_reused() -> None:
    connections = 0

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal connections
        connections += 1
        await answer_each(reader, writer)

    async with serving(handler) as port, client() as http:
        for _ in range(3):
            assert (await http.post(f"http://127.0.0.1:{port}/", json={})).status_code == 200
    assert connections == 1


async def test_waiting_too_long_for_a_free_connection_is_a_pool_timeout() -> None:
    one = httpx.Limits(max_connections=1)
    async with serving(answer_each) as port, client(httpx.Timeout(5, pool=0.2), limits=one) as http:
        url = f"http://127.0.0.1:{port}/"
        async with http.stream("POST", url, json={}):  # holds the only connection
            started = asyncio.get_running_loop().time()
            with pytest.raises(httpx.PoolTimeout):
                await http.post(url, json={})
            assert 0.15 < elapsed_since(started) < 2
        assert (await http.post(url, json={})).status_code == 200  # given back


@pytest.mark.parametrize("stage", ["before-the-head", "mid-body"])
async def test_a_cancelled_request_frees_its_connection_and_its_slot(stage: str) -> None:
    connections = 0
    request_read, head_arrived, hung_up = asyncio.Event(), asyncio.Event(), asyncio.Event()

    async def first_stalls(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal connections
        connections += 1
        if connections > 1:
            return await answer_each(reader, writer)
        await read_request(reader)
        request_read.set()
        if stage == "mid-body":
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\npartial")
            await writer.drain()
        await reader.read()  # until the client closes the connection
        hung_up.set()

    one = httpx.Limits(max_connections=1)
    async with (
        serving(first_stalls) as port,
        client(httpx.Timeout(5, pool=0.5), limits=one) as http,
    ):
        url = f"http://127.0.0.1:{port}/"

        async def read_it_all() -> None:
            async with http.stream("POST", url, json={}) as answer:
                head_arrived.set()
                async for _ in answer.aiter_raw():
                    pass

        reading = asyncio.create_task(read_it_all())
        async with asyncio.timeout(5):
            await (head_arrived if stage == "mid-body" else request_read).wait()
        reading.cancel()
        with pytest.raises(asyncio.CancelledError):
            await reading
        async with asyncio.timeout(2):
            await hung_up.wait()  # the connection was closed, not left open or pooled
        assert (await http.post(url, json={})).status_code == 200  # and the slot is free
    assert connections == 2


@pytest.mark.parametrize("tls", [False, True], ids=["tcp", "tls"])
async def test_a_connection_the_server_closed_while_idle_is_not_used(
    tls: bool, server_tls: ssl.SSLContext, trusting: ssl.SSLContext
) -> None:
    scheme, context = ("https", trusting) if tls else ("http", DEFAULT_CONTEXT)
    keep_alive = reply(b"ok", headers=(b"Connection: keep-alive",))
    with HangingUpServer(keep_alive, server_tls if tls else None) as server:
        url = f"{scheme}://localhost:{server.port}/"
        async with client(ssl_context=context) as http:
            assert (await http.post(url, content=b"one")).text == "ok"
            # Blocks the loop: the FIN arrives meanwhile and waits in the kernel, unseen.
            assert server.close_idle()
            assert (await http.post(url, content=b"two")).text == "ok"
    assert server.connections == 2
    assert server.after_fin == [b""]  # the second request never went out on the first


# --- proxies ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def forward_proxy(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    """proxy.py on 127.0.0.1, asking for ``user:secret``; yields its port."""
    home = tmp_path_factory.mktemp("proxy")
    port_file = home / "port"
    command = [sys.executable, "-m", "proxy", "--hostname", "127.0.0.1", "--port", "0"]
    command += ["--port-file", str(port_file), "--data-dir", str(home), "--log-level", "e"]
    command += ["--num-acceptors", "1", "--threaded", "--basic-auth", "user:secret"]
    process = subprocess.Popen(
        command,
        env={**os.environ, "HOME": str(home)},  # its data and cache folders stay in tmp
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # its own process group: it forks an acceptor
    )
    try:
        yield _wait_for_port(port_file, process)
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(5)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(5)


def _wait_for_port(port_file: Path, process: subprocess.Popen[bytes]) -> int:
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and process.poll() is None:
        with suppress(FileNotFoundError, ValueError):
            return int(port_file.read_text().split()[0])
        time.sleep(0.02)
    pytest.fail("proxy.py did not start")


def via(proxy: int | None, credentials: str = "user:secret@") -> Callable[[httpx.URL], Any]:
    url = httpx.URL(f"http://{credentials}127.0.0.1:{proxy}") if proxy is not None else None
    return lambda _: url


async def test_plain_http_goes_through_the_proxy_it_is_given(forward_proxy: int) -> None:
    heads: list[bytes] = []

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while True:
            heads.append((await read_request(reader))[0].lower())
            writer.write(reply())
            await writer.drain()

    async with serving(handler) as port:
        url = f"http://127.0.0.1:{port}/v1"
        async with client(proxy_for=via(forward_proxy)) as http:
            assert (await http.post(url, json={})).status_code == 200
        async with client(proxy_for=via(forward_proxy, credentials="")) as http:
            assert (await http.post(url, json={})).status_code == 407  # the proxy's answer
        async with client(proxy_for=via(None)) as http:
            assert (await http.post(url, json={})).status_code == 200
    assert [b"via: 1.1 proxy.py" in head for head in heads] == [True, False]


async def test_https_tunnels_through_the_proxy_it_is_given(
    forward_proxy: int, server_tls: ssl.SSLContext, trusting: ssl.SSLContext
) -> None:
    asked: list[httpx.URL] = []

    def proxy_for(url: httpx.URL) -> httpx.URL:
        asked.append(url)
        return httpx.URL(f"http://user:secret@127.0.0.1:{forward_proxy}")

    async with serving(answer_each, tls=server_tls) as port:
        url = f"https://localhost:{port}/v1"
        async with client(ssl_context=trusting, proxy_for=proxy_for) as http:
            assert (await http.post(url, json={})).status_code == 200
        refused = via(forward_proxy, credentials="")
        async with client(ssl_context=trusting, proxy_for=refused) as http:
            with pytest.raises(httpx.ProxyError, match="407") as caught:
                await http.post(url, json={})
        async with client(ssl_context=trusting, proxy_for=via(None)) as http:
            assert (await http.post(url, json={})).status_code == 200
    assert asked == [httpx.URL(url)]
    assert isinstance(caught.value.__cause__, aiohttp.ClientHttpProxyError)


# --- closing ------------------------------------------------------------------------------


async def test_closing_closes_every_connection() -> None:
    open_now = 0
    all_closed = asyncio.Event()

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal open_now
        open_now += 1
        try:
            await answer_each(reader, writer)
        finally:
            open_now -= 1
            if not open_now:
                all_closed.set()

    async with serving(handler) as port:
        url = f"http://127.0.0.1:{port}/"
        own = transport()
        async with httpx.AsyncClient(transport=own) as http:
            await asyncio.gather(*(http.post(url, json={}) for _ in range(3)))
            assert open_now >= 1  # idle in the pool
        async with asyncio.timeout(2):
            await all_closed.wait()
        await own.aclose()  # a second time is fine
        with pytest.raises(RuntimeError, match="closed"):
            await own.handle_async_request(httpx.Request("GET", url))
    gc.collect()  # an unclosed socket would warn now, and warnings are errors here


async def test_a_transport_never_used_closes() -> None:
    await transport().aclose()
