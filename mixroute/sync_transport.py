"""The sync client's own httpx transport: httpcore's pools, every socket wait cut to the deadline.

A sync call has no event loop to cancel it, so a whole-call deadline holds only if every
blocking step ends by itself in time. :class:`DeadlineBackend` gives httpcore network
streams whose connect, TLS handshake, read and write each wait at most until the instant
in :data:`mixroute.deadlines.READ_UNTIL` (when one is set): a server that drips a byte
just under the read timeout cannot hold a call past its deadline.

Over a plain or TLS socket the stream does httpcore's socket I/O itself, with fewer system
calls a request: a request's head is sent in one segment with its body, the socket's
timeout is set only when it changes, and on a plain socket a write is tried without
waiting first (it nearly always fits the socket's buffer).

:class:`SyncTransport` is what ``httpx.HTTPTransport`` is (an httpcore pool behind httpx's
request and exception types) over that backend, plus one pool per proxy from the
environment (:class:`mixroute.proxies.ProxyRules`), since httpx reads no proxy variables
for a client that was given a transport.
"""

from __future__ import annotations

import os
import select
import socket
import ssl
import sys
from collections.abc import Iterable
from time import monotonic
from typing import Any, TypeAlias

import httpcore
import httpx

from mixroute.deadlines import READ_UNTIL, DeadlineExceeded, bounded
from mixroute.proxies import ProxyRules, socks_installed

try:  # httpcore's own socket stream: its sockets are the ones _SocketStream may drive
    from httpcore._backends.sync import SyncStream as _SyncStream
    from httpcore._utils import is_socket_readable
except ImportError:  # pragma: no cover - a future httpcore: every stream is wrapped as is
    _SyncStream = None  # type: ignore[assignment,misc]

__all__ = ["DeadlineBackend", "PoolTransport", "SocketOption", "SyncTransport"]

SocketOption: TypeAlias = (
    tuple[int, int, int] | tuple[int, int, bytes | bytearray] | tuple[int, int, None, int]
)
"""A ``setsockopt`` argument tuple, as httpcore takes them."""

_WRITE_CHUNK = 64 * 1024  # a big body is written in pieces, each bounded by the time left
_COALESCE = 64 * 1024  # a write up to this size waits for the next one, and goes with it
_POLL = sys.platform != "win32" and hasattr(select, "poll")  # as httpcore decides
_DIRECT_WRITES = os.name == "posix"  # os.write() on a socket's descriptor


def _cut(timeout: float | None, timeout_error: type[httpcore.TimeoutException]) -> float | None:
    """``timeout`` cut to the time left, or ``timeout_error`` when none is left."""
    try:
        return bounded(timeout)
    except DeadlineExceeded as exc:
        raise timeout_error(str(exc)) from exc


class _DeadlineStream(httpcore.NetworkStream):
    """A network stream whose every wait ends by the deadline, if one is set."""

    # The READ_UNTIL checks are inline: these run several times per request, deadline or not.
    __slots__ = ("_stream",)

    def __init__(self, stream: httpcore.NetworkStream) -> None:
        self._stream = stream

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        if READ_UNTIL.get() is not None:
            timeout = _cut(timeout, httpcore.ReadTimeout)
        return self._stream.read(max_bytes, timeout)

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        if READ_UNTIL.get() is None:
            self._stream.write(buffer, timeout)
            return
        # The wrapped write waits up to its timeout for each send(): a big buffer goes in
        # pieces, so that each piece's wait is cut to the time left anew.
        for start in range(0, len(buffer), _WRITE_CHUNK):
            piece = buffer[start : start + _WRITE_CHUNK]
            self._stream.write(piece, _cut(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._stream.close()

    def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.NetworkStream:
        if READ_UNTIL.get() is not None:
            try:
                timeout = _cut(timeout, httpcore.ConnectTimeout)
            except httpcore.ConnectTimeout:
                self._stream.close()  # as a failed handshake would
                raise
        return _DeadlineStream(self._stream.start_tls(ssl_context, server_hostname, timeout))

    def get_extra_info(self, info: str) -> Any:
        return self._stream.get_extra_info(info)


class _SocketStream(httpcore.NetworkStream):
    """httpcore's socket stream over a plain or TLS socket, bounded by the deadline, and lean.

    It does what ``httpcore``'s ``SyncStream`` does (the same timeouts and the same
    exceptions for the same failures), with fewer system calls:

    - a write of up to 64 KiB is held until the next write and sent with it: httpcore
      writes a request's head, its body and an empty end of message, so a small request
      leaves in one ``send``. Every request ends with a write (the end of message), and a
      read or TLS upgrade sends whatever is still held, so nothing stays behind;
    - the socket's timeout is set only when it changes (each setting is a system call);
    - on a plain socket a write is first tried without waiting (the descriptor of a socket
      with a timeout is non-blocking), then waited for as usual.

    TLS upgrades and the extra info are httpcore's own (``inner``); a TLS stream over a TLS
    socket (an https:// proxy's tunnel) is httpcore's, wrapped in :class:`_DeadlineStream`.
    """

    __slots__ = ("_direct", "_inner", "_pending", "_poller", "_sock")

    def __init__(self, sock: socket.socket, inner: httpcore.NetworkStream) -> None:
        self._sock = sock
        self._inner = inner
        self._pending = b""
        self._direct = _DIRECT_WRITES and not isinstance(sock, ssl.SSLSocket)
        self._poller: Any = None
        if _POLL:
            self._poller = select.poll()
            self._poller.register(sock.fileno(), select.POLLIN)

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        if self._pending:  # never with httpcore's HTTP/1.1, which always ends a request
            self._flush(timeout)
        until = READ_UNTIL.get()
        if until is not None:
            left = until - monotonic()
            if timeout is None or left < timeout:
                timeout = left if left > 0 else _cut(timeout, httpcore.ReadTimeout)
        sock = self._sock
        try:
            if sock.gettimeout() != timeout:
                sock.settimeout(timeout)
            return sock.recv(max_bytes)
        except TimeoutError as exc:
            raise httpcore.ReadTimeout(exc) from exc
        except OSError as exc:
            raise httpcore.ReadError(exc) from exc

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        pending = self._pending
        if pending:
            self._pending = b""
            if len(pending) + len(buffer) <= _COALESCE:
                buffer = pending + buffer
            else:
                self._send(pending, timeout)
        elif len(buffer) <= _COALESCE:
            self._pending = buffer  # b"" included: nothing is held then
            return
        if buffer:
            self._send(buffer, timeout)

    def _flush(self, timeout: float | None) -> None:
        pending, self._pending = self._pending, b""
        self._send(pending, timeout)

    def _send(self, data: bytes, timeout: float | None) -> None:
        sock = self._sock
        until = READ_UNTIL.get()
        view = memoryview(data)
        sent = 0
        try:
            if until is not None and until <= monotonic():
                _cut(timeout, httpcore.WriteTimeout)  # no time left: sends nothing
            if self._direct and sock.gettimeout() is not None:
                fd = sock.fileno()
                if fd >= 0:
                    try:
                        sent = os.write(fd, view)
                    except BlockingIOError:
                        sent = 0
            while sent < len(data):
                if until is None:
                    piece = view[sent:]
                    wait = timeout
                else:
                    # Each piece waits at most the time left, measured anew.
                    piece = view[sent : sent + _WRITE_CHUNK]
                    left = until - monotonic()
                    wait = timeout
                    if timeout is None or left < timeout:
                        wait = left if left > 0 else _cut(timeout, httpcore.WriteTimeout)
                if sock.gettimeout() != wait:
                    sock.settimeout(wait)
                sent += sock.send(piece)
        except TimeoutError as exc:
            raise httpcore.WriteTimeout(exc) from exc
        except OSError as exc:
            raise httpcore.WriteError(exc) from exc
        finally:
            view.release()

    def close(self) -> None:
        self._pending = b""
        self._inner.close()

    def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.NetworkStream:
        if self._pending:
            self._flush(timeout)
        if READ_UNTIL.get() is not None:
            try:
                timeout = _cut(timeout, httpcore.ConnectTimeout)
            except httpcore.ConnectTimeout:
                self.close()  # as a failed handshake would
                raise
        return _wrap(self._inner.start_tls(ssl_context, server_hostname, timeout))

    def get_extra_info(self, info: str) -> Any:
        if info == "is_readable":
            # httpcore's test (readable while idle: the server closed it), on one poll
            # object made for the socket rather than one per question.
            poller = self._poller
            if poller is None or self._sock.fileno() < 0:
                return is_socket_readable(self._sock)
            return bool(poller.poll(0))
        return self._inner.get_extra_info(info)


def _wrap(stream: httpcore.NetworkStream) -> httpcore.NetworkStream:
    """``stream`` bounded by the deadline: driven by us over its socket where we can."""
    if _SyncStream is not None and type(stream) is _SyncStream:
        sock = stream.get_extra_info("socket")
        if type(sock) is socket.socket or type(sock) is ssl.SSLSocket:
            return _SocketStream(sock, stream)
    return _DeadlineStream(stream)


class DeadlineBackend(httpcore.NetworkBackend):
    """httpcore's sync socket backend with every timeout cut to the time left.

    Outside a deadline (``READ_UNTIL`` unset) it behaves exactly as
    ``httpcore.SyncBackend``.
    """

    def __init__(self) -> None:
        self._backend = httpcore.SyncBackend()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[SocketOption] | None = None,
    ) -> httpcore.NetworkStream:
        """Open a TCP connection, giving up when the connect timeout or the deadline comes."""
        timeout = _cut(timeout, httpcore.ConnectTimeout)
        stream = self._backend.connect_tcp(host, port, timeout, local_address, socket_options)
        return _wrap(stream)

    def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[SocketOption] | None = None,
    ) -> httpcore.NetworkStream:
        """Open a Unix socket connection, bounded like :meth:`connect_tcp`."""
        timeout = _cut(timeout, httpcore.ConnectTimeout)
        return _wrap(self._backend.connect_unix_socket(path, timeout, socket_options))

    def sleep(self, seconds: float) -> None:
        """Sleep (httpcore's pause between connection retries)."""
        self._backend.sleep(seconds)


_Pool: TypeAlias = httpcore.ConnectionPool | httpcore.HTTPProxy | httpcore.SOCKSProxy


class SyncTransport(httpx.BaseTransport):
    """HTTP/1.1 over httpcore's pools and :class:`DeadlineBackend`, with the environment's proxies.

    Requests for which ``proxies`` names a proxy go through that proxy's own pool (made
    here, one per proxy URL; credentials in the URL become ``Proxy-Authorization``), the
    rest through the direct pool.

    >>> import httpx, ssl
    >>> rules = ProxyRules.from_environment({"HTTPS_PROXY": "http://proxy.internal:3128"})
    >>> transport = SyncTransport(
    ...     ssl_context=ssl.create_default_context(), limits=httpx.Limits(), proxies=rules
    ... )
    >>> client = httpx.Client(transport=transport)  # https:// requests go through the proxy

    Raises:
        ConfigurationError: a proxy this transport cannot use (a SOCKS proxy without
            ``socksio``, an unknown scheme); see :meth:`ProxyRules.check`.

    """

    def __init__(
        self,
        *,
        ssl_context: ssl.SSLContext,
        limits: httpx.Limits,
        proxies: ProxyRules | None = None,
        socket_options: Iterable[SocketOption] | None = None,
        local_address: str | None = None,
    ) -> None:
        if proxies:
            proxies.check(socks=socks_installed(), transport="the sync client's transport")
        pool = _pool_options(ssl_context, limits)
        options = None if socket_options is None else tuple(socket_options)  # read by each pool
        sockets: dict[str, Any] = {"local_address": local_address, "socket_options": options}
        direct = httpcore.ConnectionPool(**pool, **sockets)
        self._direct = PoolTransport(direct, ssl_context)
        self._proxies = proxies or None
        self._via: dict[httpx.URL, PoolTransport] = {
            url: PoolTransport(_proxy_pool(url, pool, sockets), ssl_context)
            for url in (proxies.proxies if proxies else ())
        }

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        """Send ``request`` through its pool; httpcore's failures become httpx's."""
        route = self._direct
        if self._proxies is not None:
            proxy = self._proxies.proxy_for(request.url)
            if proxy is not None:
                route = self._via[proxy]
        until = READ_UNTIL.get()
        if until is not None:
            request.extensions = _bounded_timeouts(request.extensions, until)
        return route.handle_request(request)

    def close(self) -> None:
        """Close every pool and its connections."""
        self._direct.close()
        for route in self._via.values():
            route.close()


class PoolTransport(httpx.HTTPTransport):
    """httpx's own transport over a pool of ours.

    httpx offers no way to give its transport a network backend, so the pool it makes is
    replaced by one that has :class:`DeadlineBackend`. What is gained: the request and
    response handling and the exception mapping stay httpx's own, and tools that patch
    ``httpx.HTTPTransport`` to record or replay traffic (vcrpy, and so pytest-recording
    and :mod:`mixroute.testing`) see every request of the sync client. A test fails if a
    new httpx stops reading ``_pool``.
    """

    def __init__(self, pool: _Pool, ssl_context: ssl.SSLContext) -> None:
        # verify= a context: httpx builds no new one (loading the CA bundle costs ~30 ms).
        super().__init__(verify=ssl_context, retries=0)
        self._pool.close()
        self._pool = pool


def _bounded_timeouts(extensions: dict[str, Any], until: float) -> dict[str, Any]:
    # Waiting for a free connection in a full pool is bounded by the deadline too; the
    # socket waits are cut again as they happen.
    timeouts = extensions.get("timeout", {})
    values, left = timeouts.values(), until - monotonic()
    if left > 0 and "pool" in timeouts and None not in values and max(values) <= left:
        return extensions  # every wait ends before the deadline as it is (most calls)
    try:
        cut = {name: bounded(value) for name, value in timeouts.items()}
        if "pool" not in cut:
            cut["pool"] = bounded(None)
    except DeadlineExceeded as exc:
        raise httpx.PoolTimeout(str(exc)) from exc
    return {**extensions, "timeout": cut}


def _pool_options(ssl_context: ssl.SSLContext, limits: httpx.Limits) -> dict[str, Any]:
    """What every pool of the transport is made with: HTTP/1.1 over :class:`DeadlineBackend`."""
    return {
        "ssl_context": ssl_context,
        "max_connections": limits.max_connections,
        "max_keepalive_connections": limits.max_keepalive_connections,
        "keepalive_expiry": limits.keepalive_expiry,
        "http1": True,
        "http2": False,
        "retries": 0,
        "network_backend": DeadlineBackend(),
    }


def _proxy_pool(url: httpx.URL, pool: dict[str, Any], sockets: dict[str, Any]) -> _Pool:
    """The pool for the proxy at ``url``: ``pool``'s options, ``sockets``' for an HTTP proxy."""
    username, password = url.username, url.password
    auth = (username.encode(), password.encode()) if username or password else None
    proxy_url = httpcore.URL(
        scheme=url.raw_scheme, host=url.raw_host, port=url.port, target=url.raw_path
    )
    if url.scheme in ("socks5", "socks5h"):  # httpcore's SOCKS pool takes no socket options
        return httpcore.SOCKSProxy(proxy_url=proxy_url, proxy_auth=auth, **pool)
    # An https:// proxy is verified as the servers are (httpx would use httpcore's default
    # context, missing a CA the caller added for a corporate proxy).
    proxy_context = pool["ssl_context"] if url.scheme == "https" else None
    return httpcore.HTTPProxy(
        proxy_url=proxy_url,
        proxy_auth=auth,
        proxy_ssl_context=proxy_context,
        **pool,
        **sockets,
    )
