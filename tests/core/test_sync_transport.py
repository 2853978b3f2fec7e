"""Specification of the sync client's own transport (``mixroute.sync_transport``).

Real sockets throughout: scripted servers on 127.0.0.1 in threads, a trustme CA for TLS and
proxy.py (in a subprocess) as the forward proxy. In order: a request and its answer, keep-
alive, TLS, every failure as the httpx exception httpx's own transport raises, the whole-
call deadline (a server that drips bytes under the read timeout cannot hold a call past
it, in the headers, the body or a stream; nor can a connect, a handshake, a full pool or a
peer that stops reading), and proxies from the environment (plain HTTP, CONNECT, NO_PROXY,
an https:// proxy, credentials).
"""

from __future__ import annotations

import asyncio
import contextlib
import select
import signal
import socket
import ssl
import struct
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

import httpcore
import httpx
import pytest
import trustme

from mixroute.deadlines import read_until
from mixroute.errors import ConfigurationError
from mixroute.proxies import ProxyRules, socks_installed
from mixroute.sync_transport import SyncTransport

HANG_LIMIT = 10.0  # the longest any server wait lasts, whatever the client does
DEADLINE = 0.5
SLACK_BOUND = 1.0  # a call with a 0.5 s deadline must end before this (generous, not a benchmark)
LIMITS = httpx.Limits(max_connections=10, max_keepalive_connections=5)
PLAIN = ssl.create_default_context()


# --- a scripted server -----------------------------------------------------------------------


@dataclass
class Received:
    line: str
    headers: dict[str, str]
    body: bytes


class Peer:
    """One accepted connection, as a handler sees it."""

    def __init__(
        self, sock: socket.socket, received: list[Received], stopped: threading.Event
    ) -> None:
        self.sock = sock
        self._buffer = b""
        self._received = received
        self._stopped = stopped

    def read_request(self) -> Received | None:
        """The next request (Content-Length framed), or None when the client hung up."""
        while b"\r\n\r\n" not in self._buffer:
            if not self._fill():
                return None
        head, _, self._buffer = self._buffer.partition(b"\r\n\r\n")
        line, *fields = head.decode("latin-1").split("\r\n")
        headers = {}
        for field in fields:
            name, _, value = field.partition(":")
            headers[name.strip().lower()] = value.strip()
        length = int(headers.get("content-length", "0"))
        while len(self._buffer) < length:
            if not self._fill():
                return None
        body, self._buffer = self._buffer[:length], self._buffer[length:]
        request = Received(line, headers, body)
        self._received.append(request)
        return request

    def _fill(self) -> bool:
        data = self.sock.recv(65536)
        self._buffer += data
        return bool(data)

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def pause(self, seconds: float) -> bool:
        """Wait ``seconds``; False at once if the client hangs up meanwhile."""
        readable, _, _ = select.select([self.sock], [], [], seconds)
        if not readable:
            return True
        with contextlib.suppress(ssl.SSLWantReadError):
            return self._fill()
        return True

    def drip(self, data: bytes, interval: float) -> None:
        """Send ``data`` a byte at a time, ``interval`` apart, until the client hangs up."""
        for index in range(len(data)):
            self.send(data[index : index + 1])
            if not self.pause(interval):
                return

    def wait_for_hangup(self) -> None:
        deadline = time.monotonic() + HANG_LIMIT
        while time.monotonic() < deadline and self.pause(deadline - time.monotonic()):
            pass

    def stall(self) -> None:
        """Neither read nor write until the server stops."""
        self._stopped.wait(HANG_LIMIT)

    def reset(self) -> None:
        """Abort the connection with a TCP RST."""
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.sock.close()


Handler = Callable[[Peer], None]


class Server:
    """A TCP server on 127.0.0.1 that runs ``handler`` for each connection, in its own thread."""

    def __init__(self, handler: Handler, tls: ssl.SSLContext | None = None) -> None:
        self.handler = handler
        self.tls = tls
        self.received: list[Received] = []
        self.peers: list[tuple[str, int]] = []
        self._sockets: list[socket.socket] = []
        self._threads: list[threading.Thread] = []
        self._stopped = threading.Event()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.05)
        self.port: int = self._listener.getsockname()[1]

    @property
    def connections(self) -> int:
        return len(self.peers)

    def url(self, path: str = "/v1/x", host: str = "127.0.0.1") -> str:
        return f"{'https' if self.tls else 'http'}://{host}:{self.port}{path}"

    def __enter__(self) -> Server:
        self._start(self._accept)
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._stopped.set()
        self._threads[0].join(HANG_LIMIT)  # the accept loop: no connection comes after it
        for sock in self._sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        for thread in self._threads:
            thread.join(HANG_LIMIT)
        self._listener.close()

    def _start(self, target: Callable[..., None], *args: object) -> None:
        thread = threading.Thread(target=target, args=args, daemon=True)
        self._threads.append(thread)
        thread.start()

    def _accept(self) -> None:
        while not self._stopped.is_set():
            try:
                sock, peer = self._listener.accept()
            except TimeoutError:
                continue
            self.peers.append(peer)
            self._sockets.append(sock)
            self._start(self._serve, sock)

    def _serve(self, sock: socket.socket) -> None:
        sock.settimeout(HANG_LIMIT)
        try:
            if self.tls is not None:
                sock = self.tls.wrap_socket(sock, server_side=True)
            self.handler(Peer(sock, self.received, self._stopped))
        except OSError:
            pass  # the client went away, or the test stopped the server
        finally:
            sock.close()


def response(body: bytes = b"hello") -> bytes:
    length = str(len(body)).encode()
    return b"HTTP/1.1 200 OK\r\nContent-Length: " + length + b"\r\n\r\n" + body


def answer_each(body: bytes = b"hello") -> Handler:
    def handle(peer: Peer) -> None:
        while (request := peer.read_request()) is not None:
            peer.send(response(request.body or body))

    return handle


def after_request(action: Callable[[Peer], None]) -> Handler:
    def handle(peer: Peer) -> None:
        if peer.read_request() is not None:
            action(peer)

    return handle


def client(transport: SyncTransport | None = None, *, read: float = 5.0) -> httpx.Client:
    transport = transport or SyncTransport(ssl_context=PLAIN, limits=LIMITS)
    return httpx.Client(transport=transport, timeout=httpx.Timeout(5.0, read=read))


# --- a request and its answer ----------------------------------------------------------------


def test_a_request_gets_its_answer() -> None:
    with Server(answer_each()) as server, client() as http:
        answer = http.post(server.url("/v1/chat"), content=b'{"q": 1}', headers={"x-a": "b"})
    assert (answer.status_code, answer.content) == (200, b'{"q": 1}')
    assert answer.headers["content-length"] == "8"
    assert answer.extensions["http_version"] == b"HTTP/1.1"
    [request] = server.received
    assert request.line == "POST /v1/chat HTTP/1.1"
    assert request.headers["x-a"] == "b"
    assert request.headers["host"] == f"127.0.0.1:{server.port}"


def test_a_connection_is_kept_alive_between_requests() -> None:
    with Server(answer_each()) as server, client() as http:
        answers = [http.get(server.url()).content for _ in range(5)]
    assert answers == [b"hello"] * 5
    assert server.connections == 1


def test_a_big_body_is_sent_whole() -> None:
    body = bytes(range(256)) * 2048  # 512 KiB: written in pieces under a deadline
    with Server(answer_each()) as server, client() as http:
        assert http.post(server.url(), content=body).content == body
        with read_until(time.monotonic() + HANG_LIMIT):
            assert http.post(server.url(), content=body).content == body


def test_closing_a_response_early_closes_its_connection() -> None:
    def long_answer(peer: Peer) -> None:
        while peer.read_request() is not None:
            peer.send(response(b"x" * 1_000_000))

    with Server(long_answer) as server, client() as http:
        with http.stream("GET", server.url()) as answer:
            next(answer.iter_raw(1024))
        assert http.get(server.url()).status_code == 200
    assert server.connections == 2  # the half-read one was not put back in the pool


def test_socket_options_and_local_address_are_applied() -> None:
    options = [(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)]
    transport = SyncTransport(
        ssl_context=PLAIN, limits=LIMITS, socket_options=options, local_address="127.0.0.1"
    )
    with Server(answer_each()) as server, client(transport) as http:
        answer = http.get(server.url())
        sock = answer.extensions["network_stream"].get_extra_info("socket")
        assert sock.getsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE) == 1
        assert sock.getsockname()[0] == "127.0.0.1"


# --- TLS -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture(scope="module")
def server_tls(ca: trustme.CA) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1", "localhost").configure_cert(context)
    return context


@pytest.fixture(scope="module")
def client_tls(ca: trustme.CA) -> ssl.SSLContext:
    context = ssl.create_default_context()
    ca.configure_trust(context)
    return context


def test_https_to_a_server_the_context_trusts(
    server_tls: ssl.SSLContext, client_tls: ssl.SSLContext
) -> None:
    transport = SyncTransport(ssl_context=client_tls, limits=LIMITS)
    with Server(answer_each(), tls=server_tls) as server, client(transport) as http:
        assert [http.get(server.url()).content for _ in range(3)] == [b"hello"] * 3
    assert server.connections == 1


def test_https_to_an_untrusted_server_is_a_connect_error(server_tls: ssl.SSLContext) -> None:
    with (
        Server(answer_each(), tls=server_tls) as server,
        client() as http,
        pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"),
    ):
        http.get(server.url())


# --- failures, as httpx's own transport types them -------------------------------------------


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_a_refused_connection_is_a_connect_error() -> None:
    with client() as http, pytest.raises(httpx.ConnectError) as info:
        http.get(f"http://127.0.0.1:{closed_port()}/")
    assert isinstance(info.value.__cause__, httpcore.ConnectError)
    assert info.value.request.url.port is not None  # httpx attaches the request


def test_a_silent_server_is_a_read_timeout() -> None:
    with (
        Server(after_request(Peer.wait_for_hangup)) as server,
        client(read=0.2) as http,
        pytest.raises(httpx.ReadTimeout) as info,
    ):
        http.get(server.url())
    assert isinstance(info.value.__cause__, httpcore.ReadTimeout)


def test_a_reset_is_a_read_or_protocol_error() -> None:
    with (
        Server(after_request(Peer.reset)) as server,
        client() as http,
        pytest.raises((httpx.ReadError, httpx.RemoteProtocolError)),
    ):
        http.get(server.url())


def test_garbage_is_a_remote_protocol_error() -> None:
    def garbage(peer: Peer) -> None:
        peer.send(b"this is not HTTP\r\n\r\n")

    with (
        Server(after_request(garbage)) as server,
        client() as http,
        pytest.raises(httpx.RemoteProtocolError) as info,
    ):
        http.get(server.url())
    assert isinstance(info.value.__cause__, httpcore.RemoteProtocolError)


def test_a_body_cut_short_fails_while_it_is_read() -> None:
    def cut(peer: Peer) -> None:
        peer.send(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly part")

    with (
        Server(after_request(cut)) as server,
        client() as http,
        http.stream("GET", server.url()) as answer,
    ):
        assert answer.status_code == 200
        with pytest.raises(httpx.RemoteProtocolError) as info:
            answer.read()
    assert isinstance(info.value.__cause__, httpcore.RemoteProtocolError)


# --- the whole-call deadline -----------------------------------------------------------------

HEAD = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\n"


def drip_head(peer: Peer) -> None:
    peer.drip(HEAD + b"hello", interval=0.2)


def drip_body(peer: Peer) -> None:
    peer.send(HEAD)
    peer.drip(b"hello", interval=0.2)


def ends_in_time(call: Callable[[], object], error: type[Exception]) -> None:
    """``call``, with a deadline DEADLINE from now, fails with ``error`` before SLACK_BOUND."""
    start = time.monotonic()
    with read_until(start + DEADLINE), pytest.raises(error):
        call()
    assert time.monotonic() - start < SLACK_BOUND


def test_a_head_dripped_under_the_read_timeout_ends_at_the_deadline() -> None:
    with Server(after_request(drip_head)) as server, client(read=0.3) as http:
        ends_in_time(lambda: http.get(server.url()), httpx.ReadTimeout)


def test_a_body_dripped_under_the_read_timeout_ends_at_the_deadline() -> None:
    with Server(after_request(drip_body)) as server, client(read=0.3) as http:
        ends_in_time(lambda: http.get(server.url()), httpx.ReadTimeout)


def test_a_stream_dripped_under_the_read_timeout_ends_at_the_deadline() -> None:
    def read_all(answer: httpx.Response, until: float) -> None:
        chunks = answer.iter_raw()
        while True:  # as the client does: the deadline is set around each read
            with read_until(until):
                next(chunks)

    with Server(after_request(drip_body)) as server, client(read=0.3) as http:
        start = time.monotonic()
        with http.stream("GET", server.url()) as answer, pytest.raises(httpx.ReadTimeout):
            read_all(answer, start + DEADLINE)
        assert time.monotonic() - start < SLACK_BOUND


def test_without_a_deadline_the_drip_completes() -> None:
    # A read timeout well above the drip's interval, so a busy machine cannot fail it.
    with Server(after_request(drip_body)) as server, client(read=2.0) as http:
        start = time.monotonic()
        assert http.get(server.url()).content == b"hello"
    assert time.monotonic() - start > 0.8  # it did drip, past where a deadline would end it


@pytest.fixture
def unanswered_port() -> Iterator[int]:
    """A port whose listener's backlog is full: the kernel leaves further SYNs unanswered."""
    with socket.create_server(("127.0.0.1", 0), backlog=0) as listener:
        port = listener.getsockname()[1]
        fillers = [socket.socket() for _ in range(4)]
        try:
            for sock in fillers:
                sock.setblocking(False)
                sock.connect_ex(("127.0.0.1", port))
            yield port
        finally:
            for sock in fillers:
                sock.close()


def test_a_connect_that_hangs_ends_at_the_deadline(unanswered_port: int) -> None:
    with client() as http:
        ends_in_time(lambda: http.get(f"http://127.0.0.1:{unanswered_port}/"), httpx.ConnectTimeout)


def test_a_tls_handshake_that_hangs_ends_at_the_deadline(client_tls: ssl.SSLContext) -> None:
    transport = SyncTransport(ssl_context=client_tls, limits=LIMITS)
    with Server(Peer.wait_for_hangup) as server, client(transport) as http:
        url = server.url().replace("http://", "https://")
        ends_in_time(lambda: http.get(url), httpx.ConnectTimeout)


def test_waiting_for_a_full_pool_ends_at_the_deadline() -> None:
    transport = SyncTransport(ssl_context=PLAIN, limits=httpx.Limits(max_connections=1))
    with (
        Server(after_request(drip_body)) as server,
        client(transport) as http,
        http.stream("GET", server.url()),  # holds the only connection
    ):
        ends_in_time(lambda: http.get(server.url()), httpx.PoolTimeout)


def test_a_peer_that_stops_reading_ends_the_write_at_the_deadline() -> None:
    body = b"x" * (64 * 1024 * 1024)  # more than the socket buffers on both sides hold
    with Server(Peer.stall) as server, client() as http:
        ends_in_time(lambda: http.post(server.url(), content=body), httpx.WriteTimeout)


def test_a_deadline_already_past_sends_nothing() -> None:
    with Server(answer_each()) as server, client() as http:
        with pytest.raises(httpx.TimeoutException), read_until(time.monotonic() - 1):
            http.get(server.url())
        time.sleep(0.05)
        assert server.connections == 0
        assert http.get(server.url()).content == b"hello"  # outside the block, no deadline


# --- proxies from the environment ------------------------------------------------------------

PROXY_USER, PROXY_PASSWORD = "mixroute", "s3cret-Pa55"


class ProxyPy:
    """proxy.py in a subprocess, on 127.0.0.1 and a port the system picks."""

    def __init__(self, *args: str) -> None:
        self._dir = tempfile.TemporaryDirectory()
        self._port_file = Path(self._dir.name, "port")
        self._log = Path(self._dir.name, "log")
        self.process = subprocess.Popen(
            [
                sys.executable, "-m", "proxy",
                "--hostname", "127.0.0.1", "--port", "0", "--port-file", str(self._port_file),
                "--num-workers", "1", "--num-acceptors", "1", "--log-level", "WARNING",
                *args,
            ],
            stdout=self._log.open("wb"),
            stderr=subprocess.STDOUT,
        )  # fmt: skip

    def port(self, limit: float = 30.0) -> int:
        deadline = time.monotonic() + limit
        while time.monotonic() < deadline and self.process.poll() is None:
            text = self._port_file.read_text() if self._port_file.exists() else ""
            if text.strip():
                return int(text.split()[0])
            time.sleep(0.02)
        self.stop()
        pytest.fail(f"proxy.py did not start: {self._log.read_text()[-2000:]}")

    def interrupt(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)

    def stop(self) -> None:
        self.interrupt()
        try:
            self.process.wait(HANG_LIMIT)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(HANG_LIMIT)
        self._dir.cleanup()


@dataclass
class Proxies:
    plain: int  # http://, open to all
    guarded: int  # https:// (its certificate from the test CA), asks for credentials


@pytest.fixture(scope="module")
def proxies(ca: trustme.CA, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Proxies]:
    files = tmp_path_factory.mktemp("proxy-tls")
    certificate = ca.issue_cert("127.0.0.1")
    certificate.private_key_pem.write_to_path(str(files / "key.pem"))
    certificate.cert_chain_pems[0].write_to_path(str(files / "cert.pem"))
    guarded = ["--basic-auth", f"{PROXY_USER}:{PROXY_PASSWORD}"]
    guarded += ["--cert-file", str(files / "cert.pem"), "--key-file", str(files / "key.pem")]
    started = [ProxyPy(), ProxyPy(*guarded)]  # both at once: each takes ~1 s to start and stop
    try:
        yield Proxies(*(proxy.port() for proxy in started))
    finally:
        for proxy in started:
            proxy.interrupt()
        for proxy in started:
            proxy.stop()


def via(environ: dict[str, str], ssl_context: ssl.SSLContext = PLAIN) -> httpx.Client:
    rules = ProxyRules.from_environment(environ)
    return client(SyncTransport(ssl_context=ssl_context, limits=LIMITS, proxies=rules))


def get(http: httpx.Client, url: str) -> tuple[bytes, int]:
    """The answer's body, and the port our socket was connected to (the proxy's or the target's).

    The port is read while the answer is open: proxy.py closes a connection after its answer.
    """
    with http.stream("GET", url) as answer:
        stream = answer.extensions["network_stream"]
        port = int(stream.get_extra_info("server_addr")[1])
        return answer.read(), port


def test_plain_http_goes_through_the_proxy(proxies: Proxies) -> None:
    with Server(answer_each()) as server, via({"HTTP_PROXY": f"127.0.0.1:{proxies.plain}"}) as http:
        assert get(http, server.url()) == (b"hello", proxies.plain)
    assert server.received[0].headers["via"].startswith("1.1 proxy.py")


def test_https_goes_through_a_connect_tunnel(
    proxies: Proxies, server_tls: ssl.SSLContext, client_tls: ssl.SSLContext
) -> None:
    environ = {"https_proxy": f"http://127.0.0.1:{proxies.plain}"}
    with Server(answer_each(), tls=server_tls) as server, via(environ, client_tls) as http:
        answers = [get(http, server.url()) for _ in range(3)]
    assert answers == [(b"hello", proxies.plain)] * 3
    assert "via" not in server.received[0].headers  # a tunnel: the proxy saw only bytes
    assert server.connections == 1  # the tunnel is kept alive


def test_no_proxy_sends_a_host_direct(proxies: Proxies) -> None:
    environ = {"ALL_PROXY": f"http://127.0.0.1:{proxies.plain}", "NO_PROXY": "localhost"}
    with Server(answer_each()) as server, via(environ) as http:
        assert get(http, server.url(host="localhost")) == (b"hello", server.port)
        assert get(http, server.url(host="127.0.0.1")) == (b"hello", proxies.plain)


def test_an_https_proxy_with_credentials_is_reached_over_tls(
    proxies: Proxies, server_tls: ssl.SSLContext, client_tls: ssl.SSLContext
) -> None:
    proxy = f"https://{PROXY_USER}:{PROXY_PASSWORD}@127.0.0.1:{proxies.guarded}"
    with (
        Server(answer_each()) as plain,
        Server(answer_each(), tls=server_tls) as secure,
        via({"ALL_PROXY": proxy}, client_tls) as http,  # the proxy is verified with the CA
    ):
        assert get(http, plain.url()) == (b"hello", proxies.guarded)
        assert get(http, secure.url()) == (b"hello", proxies.guarded)  # TLS inside TLS
    assert "proxy-authorization" not in plain.received[0].headers  # the proxy took it off


def test_a_proxy_that_wants_credentials_refuses_a_request_without(
    proxies: Proxies, server_tls: ssl.SSLContext, client_tls: ssl.SSLContext
) -> None:
    proxy = f"https://127.0.0.1:{proxies.guarded}"
    with (
        Server(answer_each()) as plain,
        Server(answer_each(), tls=server_tls) as secure,
        via({"ALL_PROXY": proxy}, client_tls) as http,
    ):
        assert http.get(plain.url()).status_code == 407
        with pytest.raises(httpx.ProxyError, match="407"):
            http.get(secure.url())
    assert plain.connections == secure.connections == 0


@pytest.mark.skipif(socks_installed(), reason="socksio is installed: SOCKS proxies are usable")
def test_a_socks_proxy_without_socksio_is_refused_when_the_transport_is_made() -> None:
    rules = ProxyRules.from_environment({"ALL_PROXY": "socks5://user:hunter2@127.0.0.1:1080"})
    with pytest.raises(ConfigurationError, match="ALL_PROXY names a SOCKS proxy") as info:
        SyncTransport(ssl_context=PLAIN, limits=LIMITS, proxies=rules)
    assert "which the sync client's transport cannot use" in str(info.value)
    assert "hunter2" not in str(info.value)


def test_an_unknown_proxy_scheme_is_refused_when_the_transport_is_made() -> None:
    rules = ProxyRules.from_environment({"HTTPS_PROXY": "ftp://127.0.0.1:21"})
    with pytest.raises(ConfigurationError, match="HTTPS_PROXY names a proxy with the scheme 'ftp'"):
        SyncTransport(ssl_context=PLAIN, limits=LIMITS, proxies=rules)


def _call_once(base_url: str, transport: str) -> None:
    from mixroute import AsyncMixrouteClient, MixrouteClient

    key, messages = "sk-test-0000000000000000", [{"role": "user", "content": "hi"}]
    if transport == "sync":
        with MixrouteClient(api_key=key, base_url=base_url, max_retries=3) as sync:
            sync.create("gpt-4o", messages)
        return

    async def call() -> None:
        async with AsyncMixrouteClient(
            api_key=key, base_url=base_url, max_retries=3, async_transport=transport
        ) as client:
            await client.create("gpt-4o", messages)

    asyncio.run(call())


@pytest.mark.parametrize("transport", ["sync", "httpx", "aiohttp"])
def test_an_untrusted_certificate_is_not_retried(
    server_tls: ssl.SSLContext, transport: str
) -> None:
    # Verification fails the same way on every try: one connection, then the error.
    from mixroute import APIConnectionError

    with Server(answer_each(), tls=server_tls) as server:
        with pytest.raises(APIConnectionError, match="CERTIFICATE_VERIFY_FAILED"):
            _call_once(server.url("/v1"), transport)
        assert server.connections == 1
