"""The async client's own pool, on asyncio directly rather than through anyio.

httpx's async transport reaches the network through httpcore, and httpcore through anyio:
every read and write opens an anyio cancel scope for its timeout and goes through
anyio's socket stream. Measured on the benchmark server, that layer is about a third of
what a small async call costs the client. :class:`AsyncioTransport` is httpx's own
transport (the same connection pool, HTTP/1.1 state machine and exception mapping) with
one difference: its pool's network backend is :class:`AsyncioBackend`, a buffered
:class:`asyncio.Protocol` per connection, with timeouts from :func:`asyncio.timeout`.

Used only for the pool the async client makes for itself: an ``http_client`` passed in
keeps its own transport, and requests that go through a proxy from the environment keep
httpx's (``trust_env``).
"""

from __future__ import annotations

import asyncio
import socket
import ssl
from collections import deque
from collections.abc import Iterable
from typing import Any

import httpcore
import httpx

__all__ = ["AsyncioBackend", "AsyncioStream", "AsyncioTransport"]

_SocketOption = (
    tuple[int, int, int] | tuple[int, int, bytes | bytearray] | tuple[int, int, None, int]
)

# httpcore's names for what it asks of a connection -> asyncio's names for the same.
_EXTRA_INFO = {
    "ssl_object": "ssl_object",
    "client_addr": "sockname",
    "server_addr": "peername",
    "socket": "socket",
}
_PAUSE_AT = 256 * 1024  # buffered bytes at which the socket stops being read
_RESUME_AT = 64 * 1024  # and the level under which it is read again


class AsyncioTransport(httpx.AsyncHTTPTransport):
    """httpx's async HTTP/1.1 transport, its connections made by :class:`AsyncioBackend`."""

    def __init__(self, *, limits: httpx.Limits, ssl_context: ssl.SSLContext) -> None:
        super().__init__(verify=ssl_context, limits=limits)
        # httpx builds its pool in __init__ with no way to choose the network backend;
        # the pool is the one attribute its methods use, so it is built again here.
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=ssl_context,
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=AsyncioBackend(),
        )


class _Connection(asyncio.Protocol):
    """What arrived on one connection, and the futures of whoever waits for it."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.chunks: deque[bytes] = deque()
        self.buffered = 0
        self.reading_paused = False
        self.closed = False  # the peer closed its side, or the connection was lost
        self.error: BaseException | None = None
        self.readable: asyncio.Future[None] | None = None
        self.writable: asyncio.Future[None] | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.chunks.append(data)
        self.buffered += len(data)
        if self.buffered >= _PAUSE_AT and not self.reading_paused and self.transport:
            self.transport.pause_reading()
            self.reading_paused = True
        _wake(self.readable)

    def eof_received(self) -> bool:
        self.closed = True
        _wake(self.readable)
        return False  # close the transport: httpcore never writes after the peer's EOF

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self.error = exc
        _wake(self.readable)
        _wake(self.writable)

    def pause_writing(self) -> None:
        self.writable = asyncio.get_running_loop().create_future()

    def resume_writing(self) -> None:
        _wake(self.writable)
        self.writable = None

    def take(self, max_bytes: int) -> bytes:
        """Up to ``max_bytes`` of what is buffered, first in first out."""
        data = self.chunks.popleft()
        if len(data) > max_bytes:
            self.chunks.appendleft(data[max_bytes:])
            data = data[:max_bytes]
        self.buffered -= len(data)
        if self.reading_paused and self.buffered <= _RESUME_AT and self.transport:
            self.transport.resume_reading()
            self.reading_paused = False
        return data


def _wake(future: asyncio.Future[None] | None) -> None:
    if future is not None and not future.done():
        future.set_result(None)


class AsyncioStream(httpcore.AsyncNetworkStream):
    """One connection as httpcore reads and writes it."""

    def __init__(self, connection: _Connection) -> None:
        self._connection = connection

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        """What arrived, waiting for it; ``b""`` once the peer has closed."""
        connection = self._connection
        if not connection.chunks and not connection.closed:
            connection.readable = asyncio.get_running_loop().create_future()
            try:
                async with asyncio.timeout(timeout):
                    await connection.readable
            except TimeoutError:
                raise httpcore.ReadTimeout("timed out reading from the server") from None
            finally:
                connection.readable = None
        if connection.chunks:
            return connection.take(max_bytes)
        if connection.error is not None:
            raise httpcore.ReadError(str(connection.error) or type(connection.error).__name__)
        return b""  # the peer closed the connection: httpcore decides what that means

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        """Send ``buffer``, waiting while the kernel's send buffer is full."""
        connection = self._connection
        transport = connection.transport
        if not buffer:
            return
        if transport is None or transport.is_closing():
            raise httpcore.WriteError("the connection is closed")
        transport.write(buffer)
        if connection.writable is not None:  # the kernel's buffer is full: wait for room
            try:
                async with asyncio.timeout(timeout):
                    await connection.writable
            except TimeoutError:
                raise httpcore.WriteTimeout("timed out writing to the server") from None
            if connection.error is not None:
                raise httpcore.WriteError(str(connection.error))

    async def aclose(self) -> None:
        """Close the connection (what is buffered for sending is sent first)."""
        if self._connection.transport is not None:
            self._connection.transport.close()

    async def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.AsyncNetworkStream:
        """Upgrade the connection to TLS in place."""
        connection = self._connection
        assert connection.transport is not None
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(timeout):
                secured = await loop.start_tls(
                    connection.transport, connection, ssl_context, server_hostname=server_hostname
                )
        except TimeoutError:
            connection.transport.close()
            raise httpcore.ConnectTimeout("timed out in the TLS handshake") from None
        except (OSError, ssl.SSLError) as exc:
            connection.transport.close()
            raise httpcore.ConnectError(str(exc)) from exc
        assert isinstance(secured, asyncio.Transport)
        connection.transport = secured
        return self

    def get_extra_info(self, info: str) -> Any:
        """What httpcore asks of a connection: TLS object, addresses, socket, readability."""
        transport = self._connection.transport
        if transport is None:
            return None
        if info == "is_readable":
            # httpcore asks this of every idle connection before each request: did the
            # peer close it (or send what nobody asked for)? The loop hands a connection's
            # FIN and bytes to its protocol as soon as it polls, so the protocol's state
            # answers without a system call per idle connection per request.
            connection = self._connection
            return connection.closed or bool(connection.chunks)
        name = _EXTRA_INFO.get(info)
        return transport.get_extra_info(name) if name else None


class AsyncioBackend(httpcore.AsyncNetworkBackend):
    """httpcore's network backend on asyncio's own transports."""

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[_SocketOption] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        """Open a TCP connection."""
        loop = asyncio.get_running_loop()
        local = (local_address, 0) if local_address else None
        try:
            async with asyncio.timeout(timeout):
                transport, connection = await loop.create_connection(
                    _Connection, host, port, local_addr=local
                )
        except TimeoutError:
            raise httpcore.ConnectTimeout(f"timed out connecting to {host}:{port}") from None
        except OSError as exc:
            raise httpcore.ConnectError(str(exc) or type(exc).__name__) from exc
        _apply(transport, socket_options)
        return AsyncioStream(connection)

    async def sleep(self, seconds: float) -> None:
        """Sleep on the running loop."""
        await asyncio.sleep(seconds)


def _apply(transport: asyncio.BaseTransport, options: Iterable[_SocketOption] | None) -> None:
    sock: socket.socket | None = transport.get_extra_info("socket")
    for option in options or ():
        if sock is not None:
            sock.setsockopt(*option)
