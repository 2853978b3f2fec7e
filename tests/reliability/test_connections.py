"""Connections that go wrong below HTTP: a dead first address, a dead idle connection, and a
server that stops reading.

* **A dead first address.** A host name resolves first to an address whose connect never
  completes (a listener on 127.0.0.2 whose accept queue is full, so Linux drops the SYNs),
  then to the live fault server on 127.0.0.1, same port. The async client, on aiohttp and
  on httpx (anyio), starts the second attempt 0.25 s after the first (Happy Eyeballs, RFC
  8305) and succeeds well within its 5 s connect timeout. The sync client (httpcore's
  sync backend, ``socket.create_connection``) tries one address after the other: it
  succeeds only once the connect timeout of the first has run out (a known limit).
* **An idle keep-alive connection the server closed.** The server answers with
  keep-alive and then closes the connection; the caller does synchronous work that blocks
  the loop (``time.sleep``), so the close is pending, unread, when the next call starts.
  That call must not go out on the dead connection: it succeeds with no retry (the retry
  policy records no wait) and the server sees each request on a fresh connection.
* **A server that never reads the body.** A 16 MiB message to a server that accepts and
  never reads: ``APITimeoutError`` once the write timeout has run out, on every client.

Everything stays on 127.0.0.x: the made-up host name is resolved by ``socket.getaddrinfo``
patched for that name alone (aiohttp's default resolver and anyio both resolve through
``loop.getaddrinfo``, which calls it in a worker thread; httpcore's sync backend calls it
through ``socket.create_connection``).
"""

from __future__ import annotations

import asyncio
import importlib
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from support.callers import CALLERS, CallConfig, Caller, caller_id

from mixroute import APITimeoutError
from reliability.fault_actions import Action, Answer, Connection
from reliability.fault_server import FaultServer
from reliability.scenarios import TEXT

DEAD_HOST = "dead-first.mixroute.test"
DEAD_ADDRESS = "127.0.0.2"
CONNECT_TIMEOUT = 5.0
SYNC_CONNECT_TIMEOUT = 1.0  # the sync client waits it out in full: kept short
HAPPY_EYEBALLS_BOUND = 2.5  # the async clients must connect well within CONNECT_TIMEOUT
BLOCKING_WORK = 0.2  # seconds the caller blocks between two calls
UPLOAD = 16 * 1024 * 1024  # characters of message content, far above the socket buffers
WRITE_TIMEOUT = 1.0

# The suite blocks the network but for loopback; 127.0.0.2 is loopback too.
LOOPBACK = pytest.mark.block_network(allowed_hosts=[r"127\.0\.0\.[12]$", r"localhost$", r"::1$"])


def port_of(server: FaultServer) -> int:
    return int(server.base_url.rsplit(":", 1)[1].split("/")[0])


# -- a dead first address ------------------------------------------------------------------


@contextmanager
def unanswered_address(address: str, port: int) -> Iterator[None]:
    """A listener on ``address:port`` whose accept queue is full: new connects never finish.

    With a backlog of 0 the queue holds one connection; the rest are SYNs that the kernel
    drops (``tcp_abort_on_overflow`` is off by default), so a connect waits until its
    timeout. Checked before use with a connect that must time out.
    """
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    fillers: list[socket.socket] = []
    try:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((address, port))
        listener.listen(0)
        for _ in range(3):
            filler = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            filler.setblocking(False)
            filler.connect_ex((address, port))
            fillers.append(filler)
        time.sleep(0.05)  # the handshakes that can complete, complete
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            probe.settimeout(0.3)
            try:
                probe.connect((address, port))
            except TimeoutError:
                pass
            else:
                pytest.skip(f"connects to a full accept queue complete on this system ({address})")
        yield
    finally:
        for filler in fillers:
            filler.close()
        listener.close()


@pytest.fixture
def dead_first(fault_server: FaultServer, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A base URL whose host resolves to a dead address first, then to the fault server."""
    port = port_of(fault_server)
    real_getaddrinfo = socket.getaddrinfo
    resolved: list[str] = []

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        name = host.decode() if isinstance(host, bytes) else host
        if name != DEAD_HOST:
            return real_getaddrinfo(host, *args, **kwargs)
        resolved.append(threading.current_thread().name)
        return [
            (socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (DEAD_ADDRESS, port)),
            (socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", ("127.0.0.1", port)),
        ]

    with unanswered_address(DEAD_ADDRESS, port):
        monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
        yield f"http://{DEAD_HOST}:{port}/v1"
        assert resolved, f"{DEAD_HOST} was never resolved through socket.getaddrinfo"


@LOOPBACK
@pytest.mark.parametrize("caller", [c for c in CALLERS if c.kind == "core" and c.is_async], ids=str)
def test_a_dead_first_address_is_passed_over_by_happy_eyeballs(
    caller: Caller, dead_first: str, fault_server: FaultServer
) -> None:
    importlib.import_module("mixroute.aiohttp_transport")  # not timed: imported on first use
    config = CallConfig(dead_first, max_retries=0)
    [outcome] = caller.run(config, timeout=(CONNECT_TIMEOUT, CONNECT_TIMEOUT))
    assert outcome.error is None, repr(outcome.error)
    assert outcome.text == TEXT
    assert outcome.elapsed < HAPPY_EYEBALLS_BOUND, f"took {outcome.elapsed:.2f} s"
    assert fault_server.request_count == 1


@LOOPBACK
def test_known_limit_the_sync_client_waits_out_the_connect_timeout_of_a_dead_first_address(
    dead_first: str, fault_server: FaultServer
) -> None:
    """httpcore's sync backend connects to each address in turn, each with the full timeout.

    So the call succeeds, on the second address, only after ``connect`` seconds: keep the
    connect timeout short where a name may resolve to an address that does not answer.
    """
    config = CallConfig(dead_first, max_retries=0)
    [outcome] = Caller("core").run(config, timeout=(SYNC_CONNECT_TIMEOUT, CONNECT_TIMEOUT))
    assert outcome.error is None, repr(outcome.error)
    assert outcome.text == TEXT
    assert SYNC_CONNECT_TIMEOUT <= outcome.elapsed < SYNC_CONNECT_TIMEOUT + 1.5, outcome.elapsed
    assert fault_server.request_count == 1


# -- an idle keep-alive connection the server closed ---------------------------------------


@dataclass
class AnswerThenCloseWhenIdle(Action):
    """Answer with keep-alive, then close the connection ``after`` seconds of idleness.

    The close comes while the caller is busy (:data:`BLOCKING_WORK`), so the FIN waits,
    unread, in the client's socket when its next call starts.
    """

    after: float = 0.02

    async def play(self, conn: Connection) -> bool:
        await Answer().play(conn)
        await asyncio.sleep(self.after)
        return False


@pytest.mark.parametrize("caller", CALLERS, ids=caller_id)
def test_an_idle_connection_the_server_closed_is_never_used(
    caller: Caller, fault_server: FaultServer
) -> None:
    fault_server.script(then=AnswerThenCloseWhenIdle())
    config = CallConfig(fault_server.base_url, timeout=5.0)
    outcomes = caller.run(config, calls=3, between=lambda: time.sleep(BLOCKING_WORK))
    for outcome in outcomes:
        assert outcome.error is None, repr(outcome.error)
        assert outcome.text == TEXT
    assert config.sleeps == [], "a call was retried: it went out on the closed connection"
    assert fault_server.request_count == 3
    assert [r.connection for r in fault_server.received] == [1, 2, 3]
    assert fault_server.connections_opened == 3  # none opened and dropped unused


# -- a server that never reads the body ----------------------------------------------------


@contextmanager
def never_reading_server() -> Iterator[str]:
    """A base URL on 127.0.0.1 whose server accepts connections and never reads from them.

    Its receive buffer is small, so a large body stalls after a few megabytes at most
    (what the client's send buffer takes).
    """
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    listener.settimeout(0.05)
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            accepted.append(conn)

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}/v1"
    finally:
        stop.set()
        thread.join(5)
        for conn in accepted:
            conn.close()
        listener.close()


@pytest.mark.parametrize("caller", [c for c in CALLERS if c.kind == "core"], ids=caller_id)
def test_a_server_that_never_reads_the_body_is_a_write_timeout(caller: Caller) -> None:
    with never_reading_server() as base_url:
        config = CallConfig(base_url, max_retries=0)
        timeout = httpx.Timeout(5.0, write=WRITE_TIMEOUT)
        [outcome] = caller.run(config, content="x" * UPLOAD, timeout=timeout)
    assert isinstance(outcome.error, APITimeoutError), repr(outcome.error)
    assert "WriteTimeout" in str(outcome.error), str(outcome.error)
    assert outcome.elapsed < WRITE_TIMEOUT + 3.0, f"took {outcome.elapsed:.2f} s"
