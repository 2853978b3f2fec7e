"""The async client's pool on aiohttp: an httpx transport over one ``aiohttp.ClientSession``.

httpx still builds every request and reads every response; aiohttp only moves the bytes.
Imported by the client on its first async request, never by ``import mixroute``: importing
aiohttp costs about 140 ms. The session and its connector are made on the first request,
inside the running loop, and closed by :meth:`AiohttpTransport.aclose`.

What the request asks for, and how aiohttp is told:

* Bytes go out as httpx wrote them: no cookie jar, no redirects, no proxy or ``.netrc``
  from the environment (``trust_env=False``; the caller's ``proxy_for`` decides), none of
  aiohttp's default headers. Bodies come back raw, still compressed, with their
  ``Content-Encoding``: the core decodes them itself, under its size limits.
* Timeouts, from ``request.extensions["timeout"]``:

  - ``pool``: waiting for one of ``max_connections`` slots, held here by a semaphore
    (:class:`httpx.PoolTimeout`). aiohttp's own pool wait shares its ``connect`` timeout
    with the connection attempt and raises the same error for both, so the connector keeps
    the same limit only as a backstop and never makes a request queue in practice.
  - ``connect``: aiohttp's ``connect`` (name resolution, every address tried, TLS, a
    proxy's CONNECT) and ``sock_connect`` (each attempt) (:class:`httpx.ConnectTimeout`).
  - ``read``: aiohttp's ``sock_read``, the longest silence while waiting for the response
    head or body; it starts once the request is written (:class:`httpx.ReadTimeout`).
  - ``write``: aiohttp has none, and its ``sock_read`` does not run while the body is
    written, so an upload to a server that stopped reading would wait forever. A body
    larger than :data:`_UNWATCHED_BODY` (and any streamed body) is handed to aiohttp in
    pieces, and each piece must be taken by the socket within ``write`` seconds
    (:class:`httpx.WriteTimeout`). A smaller body cannot stall: it fits in the transport's
    buffer at once, so the ``read`` timeout bounds that case.

* A keep-alive connection the server closed while it sat idle: aiohttp drops it only once
  the loop has handed the server's FIN to the connection. If the caller blocked the loop
  after the FIN arrived, the poll that sees it may not have happened yet, so every request
  first lets the loop run two iterations, three for a TLS connection
  (:func:`_let_the_loop_poll`).

aiohttp has no ``max_keepalive_connections`` (idle connections are kept, each until
``keepalive_expiry``, and are not counted in the limit, which counts connections in use),
and no write timeout of its own (above). It sends a GET, HEAD, PUT, DELETE, OPTIONS or
TRACE a second time when the connection failed before the answer came (the server hung
up, or a socket error); a POST or PATCH is sent once.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import ssl
from collections.abc import AsyncIterable, AsyncIterator, Callable, Iterable
from typing import Any, NamedTuple

import aiohttp
import httpx
from yarl import URL

from mixroute.bodies import _too_large as too_large
from mixroute.bodies import _undecodable as undecodable
from mixroute.bodies import aread_body
from mixroute.decoding import BodyTooLarge, ContentDecoder, DecodingFailed
from mixroute.transport import DirectPool, Outgoing

__all__ = ["AiohttpPool", "AiohttpTransport"]

_HTTPX_LOG = logging.getLogger("httpx")  # where httpx logs each request at INFO

# aiohttp fills in these when a request lacks them; the request httpx built is sent as is
# (passed per request: with none missing, aiohttp takes a faster path).
_SKIP_AUTO_HEADERS = ("Accept", "Accept-Encoding", "User-Agent", "Content-Type")
_UNWATCHED_BODY = 64 * 1024  # under the high-water marks of aiohttp's writer and asyncio's
_PIECE = 256 * 1024  # what one write of a watched body hands to aiohttp
_HEAD_LINE_LIMIT = 64 * 1024  # a response's status line and each header (aiohttp: 8 KiB)
_HAPPY_EYEBALLS_DELAY = 0.25  # RFC 8305's connection attempt delay
_TIMEOUT_CACHE_SIZE = 64

# aiohttp's failures -> httpx's, the first match wins: subclasses before their bases.
_ERRORS: tuple[tuple[type[BaseException], type[httpx.TransportError]], ...] = (
    (aiohttp.ClientProxyConnectionError, httpx.ProxyError),
    (aiohttp.ClientHttpProxyError, httpx.ProxyError),  # the proxy refused the CONNECT
    (aiohttp.ClientConnectorError, httpx.ConnectError),  # refused, DNS, TLS, certificate
    (aiohttp.ConnectionTimeoutError, httpx.ConnectTimeout),
    (aiohttp.ServerTimeoutError, httpx.ReadTimeout),  # sock_read
    (aiohttp.ServerDisconnectedError, httpx.RemoteProtocolError),
    (aiohttp.ClientPayloadError, httpx.RemoteProtocolError),  # body cut short, bad chunks
    (aiohttp.ClientResponseError, httpx.RemoteProtocolError),  # no valid status line/headers
    (aiohttp.ClientConnectionResetError, httpx.WriteError),  # raised only by aiohttp's writer
    (aiohttp.NonHttpUrlClientError, httpx.UnsupportedProtocol),
    (aiohttp.InvalidURL, httpx.LocalProtocolError),
)
_FAILURES = (aiohttp.ClientError, OSError)  # what a request or a body read may raise


class AiohttpTransport(httpx.AsyncBaseTransport):
    """An httpx async transport whose connections and HTTP/1.1 are aiohttp's.

    >>> transport = AiohttpTransport(  # doctest: +SKIP
    ...     ssl_context=ssl.create_default_context(), limits=httpx.Limits()
    ... )
    >>> async with httpx.AsyncClient(transport=transport) as client:  # doctest: +SKIP
    ...     reply = await client.get("https://example.com/")

    Args:
        ssl_context: verifies the servers of ``https://`` URLs.
        limits: ``max_connections`` (connections in use at once; ``None``: no limit) and
            ``keepalive_expiry``; ``max_keepalive_connections`` has no aiohttp equivalent.
        proxy_for: the proxy for a request's URL, or ``None`` to connect directly; HTTP
            proxies only, with credentials in the URL's userinfo.
        socket_options: ``setsockopt`` arguments applied to every new socket.
        local_address: the local IP address to connect from.
    """

    def __init__(
        self,
        *,
        ssl_context: ssl.SSLContext,
        limits: httpx.Limits,
        proxy_for: Callable[[httpx.URL], httpx.URL | None] | None = None,
        socket_options: Iterable[tuple[int, int, int]] | None = None,
        local_address: str | None = None,
    ) -> None:
        self._ssl_context = ssl_context
        self._limits = limits
        self._proxy_for = proxy_for
        self._socket_options = tuple(socket_options or ())
        self._local_address = local_address
        self._session: aiohttp.ClientSession | None = None
        self._slots: asyncio.Semaphore | None = None
        self._closed = False
        self._timeouts: dict[tuple[float | None, ...], _Timeouts] = {}
        self._proxies: dict[httpx.URL, URL] = {}

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Send ``request`` and return its response as soon as the head has arrived."""
        session = self._session or self._open()
        timeouts = self._timeouts_for(request.extensions.get("timeout"))
        slots = self._slots
        if slots is not None:
            await _take_slot(slots, timeouts.pool, lambda: request)
        try:
            await _let_the_loop_poll(tls=request.url.scheme == "https")
            response = await self._send(session, request, timeouts)
        except BaseException:
            if slots is not None:
                slots.release()
            raise
        return _httpx_response(response, request, slots)

    async def aclose(self) -> None:
        """Close every connection; the transport takes no requests afterwards."""
        self._closed = True
        session, self._session = self._session, None
        if session is not None:
            await session.close()

    async def _send(
        self, session: aiohttp.ClientSession, request: httpx.Request, timeouts: _Timeouts
    ) -> aiohttp.ClientResponse:
        headers = [(k.decode("latin-1"), v.decode("utf-8")) for k, v in request.headers.raw]
        upload: _Upload | None = None
        data: bytes | AsyncIterable[bytes | memoryview] | None
        stream = request.stream
        if isinstance(stream, httpx.ByteStream):  # the whole body is in memory
            data = request.content or None
            if data is not None and len(data) > _UNWATCHED_BODY and timeouts.write:
                upload = _Upload(timeouts.write)
                data = upload.pieces(data)
        elif isinstance(stream, httpx.AsyncByteStream):
            # aiohttp frames a body of unknown length itself, and refuses the header if set.
            headers = [h for h in headers if h[0].lower() != "transfer-encoding"]
            upload = _Upload(timeouts.write)
            data = upload.watch(stream)
        else:
            raise TypeError("an async transport needs an async request body")
        proxy = self._proxy_for(request.url) if self._proxy_for is not None else None
        url = URL(str(request.url), encoded=True)
        target = _Target(
            url, self._proxy_url(proxy) if proxy is not None else None, url.scheme == "https"
        )
        return await self._start(
            session,
            request.method,
            target,
            (headers, _SKIP_AUTO_HEADERS),
            data,
            upload,
            timeouts,
            lambda: request,
        )

    async def _start(
        self,
        session: aiohttp.ClientSession,
        method: str,
        target: _Target,
        head: tuple[list[tuple[str, str]], tuple[str, ...] | None],
        data: bytes | AsyncIterable[bytes | memoryview] | None,
        upload: _Upload | None,
        timeouts: _Timeouts,
        request: Callable[[], httpx.Request],
    ) -> aiohttp.ClientResponse:
        """Send the request and wait for the response head; failures as httpx's errors.

        ``head``: the headers, and those of aiohttp's own it must not add if they are
        missing (``None`` when none is missing: aiohttp's faster path).
        """
        headers, skip = head
        send = session.request(
            method,
            target.url,
            headers=headers,
            skip_auto_headers=skip,
            data=data,
            allow_redirects=False,
            proxy=target.proxy,
            timeout=timeouts.aiohttp,
        )
        try:
            if upload is None:
                return await send
            async with upload:
                return await send
        except _FAILURES as exc:
            if upload is not None and upload.expired():
                message = "timed out writing the request body"
                raise httpx.WriteTimeout(message, request=request()) from exc
            writing = upload is not None and upload.writing
            raise _httpx_error(exc, request(), writing=writing) from exc

    def _open(self) -> aiohttp.ClientSession:
        if self._closed:
            raise RuntimeError("the transport is closed")
        limits = self._limits
        connector = aiohttp.TCPConnector(
            limit=limits.max_connections or 0,
            limit_per_host=0,
            keepalive_timeout=limits.keepalive_expiry,
            ssl=self._ssl_context,
            local_addr=(self._local_address, 0) if self._local_address else None,
            happy_eyeballs_delay=_HAPPY_EYEBALLS_DELAY,
            socket_factory=self._new_socket if self._socket_options else None,
        )
        self._session = aiohttp.ClientSession(
            connector=connector,
            cookie_jar=aiohttp.DummyCookieJar(),
            auto_decompress=False,
            trust_env=False,
            timeout=aiohttp.ClientTimeout(),  # every request brings its own
            max_line_size=_HEAD_LINE_LIMIT,
            max_field_size=_HEAD_LINE_LIMIT,
        )
        if limits.max_connections is not None:
            self._slots = asyncio.Semaphore(limits.max_connections)
        return self._session

    def _new_socket(self, addr_info: Any) -> socket.socket:
        family, kind, proto = addr_info[0], addr_info[1], addr_info[2]
        sock = socket.socket(family=family, type=kind, proto=proto)
        try:
            for option in self._socket_options:
                sock.setsockopt(*option)
        except OSError:
            sock.close()
            raise
        return sock

    def _timeouts_for(self, timeout: dict[str, float | None] | None) -> _Timeouts:
        timeout = timeout or {}
        key = (
            timeout.get("connect"),
            timeout.get("read"),
            timeout.get("write"),
            timeout.get("pool"),
        )
        cached = self._timeouts.get(key)
        if cached is None:
            if len(self._timeouts) >= _TIMEOUT_CACHE_SIZE:
                self._timeouts.clear()
            connect, read, write, pool = key
            cached = _Timeouts(
                aiohttp.ClientTimeout(connect=connect, sock_connect=connect, sock_read=read),
                write,
                pool,
            )
            self._timeouts[key] = cached
        return cached

    def _proxy_url(self, proxy: httpx.URL) -> URL:
        # aiohttp turns the userinfo into Proxy-Authorization, for CONNECT and plain HTTP.
        url = self._proxies.get(proxy)
        if url is None:
            url = self._proxies[proxy] = URL(str(proxy), encoded=True)
        return url


class _Timeouts(NamedTuple):
    aiohttp: aiohttp.ClientTimeout
    write: float | None
    pool: float | None


class _Target(NamedTuple):
    url: URL
    proxy: URL | None  # the proxy to send through, or None to connect directly
    tls: bool  # whether the connection to the server is TLS (https, even through a proxy)


def _httpx_response(
    response: aiohttp.ClientResponse, request: httpx.Request, slots: asyncio.Semaphore | None
) -> httpx.Response:
    """``response`` as httpx's, its body streamed as it arrives."""
    version = b"HTTP/1.0" if response.version == aiohttp.HttpVersion10 else b"HTTP/1.1"
    raw_headers = response.raw_headers
    if raw_headers is None:  # a response vcrpy replays has headers, not raw ones
        raw_headers = tuple(response.headers.items())
    return httpx.Response(
        response.status,
        headers=raw_headers,
        stream=_ResponseBody(response, request, slots),
        extensions={
            "http_version": version,
            "reason_phrase": (response.reason or "").encode("latin-1", "replace"),
        },
        request=request,
    )


class _Prepared(NamedTuple):
    """A URL's request head as httpx would write it, with the body's length left open."""

    target: _Target
    headers: tuple[tuple[str, str], ...]
    length_at: int  # the index of Content-Length in ``headers``
    skip: tuple[str, ...] | None  # aiohttp's headers to keep out, None if all are here

    def head(self, length: int) -> tuple[list[tuple[str, str]], tuple[str, ...] | None]:
        headers = list(self.headers)
        headers[self.length_at] = ("Content-Length", str(length))
        return headers, self.skip


class AiohttpPool(DirectPool):
    """The async client's own pool: an ``httpx.AsyncClient`` on :class:`AiohttpTransport`.

    :meth:`send_plain` sends a plain call's POST straight through the transport's session
    and reads the answer within its limit, with everything the httpx path does (the
    pool's slots and timeouts, the idle-FIN yields, the write timeout, the proxy, the same
    request head, the same errors, httpx's log line, the cookie jar) but none of httpx's
    request and response objects, which cost more than the rest of the core's call. A
    request httpx must build (per-call headers, or cookies in the jar) goes through httpx.
    The head is the one httpx writes for the URL with the pool's headers as they are at
    the URL's first call (the core never changes them).
    """

    def __init__(self, *, transport: AiohttpTransport, **kwargs: Any) -> None:
        super().__init__(transport=transport, **kwargs)
        self._aiohttp = transport
        self._prepared: dict[str, _Prepared] = {}
        self._last_timeouts: tuple[httpx.Timeout, _Timeouts] | None = None

    def can_send_plain(self, outgoing: Outgoing) -> bool:
        """Whether :meth:`send_plain` can send ``outgoing`` itself (else send it through httpx)."""
        if outgoing.headers is not None:
            return False
        jar = self.cookies.jar
        # A CookieJar keeps its cookies in ``_cookies``; its len() walks them under a lock.
        return not getattr(jar, "_cookies", jar)

    async def send_plain(
        self, outgoing: Outgoing, limit: int
    ) -> tuple[int, bytes] | httpx.Response:
        """Send ``outgoing`` straight through aiohttp.

        Returns the status and decoded body of an answer below 400 (read within ``limit``
        bytes, as :func:`mixroute.bodies.aread_body` reads it), else the response, open,
        for its error body to be read. Failures are raised as httpx's errors.
        """
        if self.is_closed:
            raise RuntimeError("Cannot send a request, as the client has been closed.")
        transport = self._aiohttp
        prepared = self._prepared.get(outgoing.url) or self._prepare(outgoing)
        session = transport._session or transport._open()
        timeouts = self._timeouts(outgoing.timeout)
        content = outgoing.content
        slots = transport._slots
        if slots is not None:
            await _take_slot(slots, timeouts.pool, outgoing)
        try:
            await _let_the_loop_poll(tls=prepared.target.tls)
            upload: _Upload | None = None
            data: bytes | AsyncIterable[memoryview] | None = content or None
            if len(content) > _UNWATCHED_BODY and timeouts.write:
                upload = _Upload(timeouts.write)
                data = upload.pieces(content)
            head = prepared.head(len(content))
            response = await transport._start(
                session, "POST", prepared.target, head, data, upload, timeouts, outgoing
            )
        except BaseException:
            if slots is not None:
                slots.release()
            raise
        status = response.status
        if _HTTPX_LOG.isEnabledFor(logging.INFO):
            reason = response.reason or ""
            version = "HTTP/1.0" if response.version == aiohttp.HttpVersion10 else "HTTP/1.1"
            message = 'HTTP Request: %s %s "%s %d %s"'
            _HTTPX_LOG.info(message, "POST", outgoing.url, version, status, reason)
        if status >= 400 or "Set-Cookie" in response.headers:
            answer = _httpx_response(response, outgoing(), slots)
            self.cookies.extract_cookies(answer)
            if status >= 400:
                return answer
            return status, await aread_body(answer, limit)
        return status, await _read_plain(response, slots, limit, outgoing)

    def _timeouts(self, timeout: httpx.Timeout) -> _Timeouts:
        # The client's timeout is one object, the same for every call that sets none.
        last = self._last_timeouts
        if last is not None and last[0] is timeout:
            return last[1]
        timeouts = self._aiohttp._timeouts_for(timeout.as_dict())
        self._last_timeouts = (timeout, timeouts)
        return timeouts

    def _prepare(self, outgoing: Outgoing) -> _Prepared:
        # The head httpx's build_request writes for this URL with the pool's headers (for a
        # body: an empty one puts Content-Length elsewhere; every call's body is JSON).
        request = self.build_request("POST", outgoing.url, content=b"{}", timeout=outgoing.timeout)
        headers = tuple((k.decode("latin-1"), v.decode("utf-8")) for k, v in request.headers.raw)
        length_at = next(i for i, (k, _) in enumerate(headers) if k.lower() == "content-length")
        proxy_for = self._aiohttp._proxy_for
        proxy = proxy_for(request.url) if proxy_for is not None else None
        url = URL(str(request.url), encoded=True)
        proxy_url = self._aiohttp._proxy_url(proxy) if proxy is not None else None
        target = _Target(url, proxy_url, url.scheme == "https")
        names = {name.lower() for name, _ in headers}
        complete = all(name.lower() in names for name in _SKIP_AUTO_HEADERS)
        skip = None if complete else _SKIP_AUTO_HEADERS
        if len(self._prepared) >= _TIMEOUT_CACHE_SIZE:
            self._prepared.clear()
        prepared = _Prepared(target, headers, length_at, skip)
        self._prepared[outgoing.url] = prepared
        return prepared


async def _read_plain(
    response: aiohttp.ClientResponse,
    slots: asyncio.Semaphore | None,
    limit: int,
    request: Callable[[], httpx.Request],
) -> bytes:
    """The whole body of an answer, decoded within ``limit``.

    The connection goes back to the pool if the body was read to its end, else it is
    closed; the slot is freed either way.
    """
    encodings = response.headers.getall("Content-Encoding", ())
    decoder = ContentDecoder(", ".join(encodings) if encodings else None, limit)
    content = response.content
    parts: list[bytes] = []
    try:
        while chunk := await content.readany():
            parts.append(decoder.decode(chunk))
        parts.append(decoder.flush())
    except _FAILURES as exc:
        raise _httpx_error(exc, request()) from exc
    except BodyTooLarge:
        raise too_large(httpx.Response(response.status, request=request()), limit) from None
    except DecodingFailed as exc:
        error = undecodable(httpx.Response(response.status, request=request()), exc)
        raise error from None
    finally:
        _release(response, slots)
    return parts[0] if len(parts) == 1 else b"".join(parts)


def _release(response: aiohttp.ClientResponse, slots: asyncio.Semaphore | None) -> None:
    """Give back the connection (kept if the body was read to its end) and the slot."""
    if response.content.at_eof():
        response.release()
    else:
        response.close()
    if slots is not None:
        slots.release()


class _ResponseBody(httpx.AsyncByteStream):
    """One response's body, raw, as it arrives; closing it frees the connection and slot."""

    __slots__ = ("_done", "_request", "_response", "_slots")

    def __init__(
        self,
        response: aiohttp.ClientResponse,
        request: httpx.Request,
        slots: asyncio.Semaphore | None,
    ) -> None:
        self._response = response
        self._request = request
        self._slots = slots
        self._done = False

    async def __aiter__(self) -> AsyncIterator[bytes]:
        """The body's bytes, each piece as soon as it arrived."""
        content = self._response.content
        try:
            while chunk := await content.readany():
                yield chunk
        except _FAILURES as exc:
            # aiohttp raises a broken body's error before handing out the bytes it had
            # already received: they are the caller's, so they go first.
            leftover = _buffered(content)
            if leftover:
                yield leftover
            raise _httpx_error(exc, self._request) from exc
        except asyncio.CancelledError:
            self._finish()  # the connection is mid-body: it cannot be reused
            raise

    async def aclose(self) -> None:
        """Return the connection to the pool if the body was read to its end, else close it."""
        self._finish()

    def _finish(self) -> None:
        if self._done:
            return
        self._done = True
        _release(self._response, self._slots)


def _buffered(content: aiohttp.StreamReader) -> bytes:
    """What a failed reader still holds (aiohttp keeps it in ``_buffer``; none if that changes).

    ``test_aiohttp_transport.py`` fails if a new aiohttp stops keeping it there.
    """
    buffer = getattr(content, "_buffer", None)
    if not buffer or not all(isinstance(piece, bytes | bytearray) for piece in buffer):
        return b""
    data = b"".join(buffer)
    buffer.clear()
    return data


class _Upload:
    """A request body handed to aiohttp in pieces, each of which must go out in time.

    Entered around the wait for the response head, like :func:`asyncio.timeout`: the
    deadline runs only while aiohttp writes a piece, so neither a slow producer of a
    streamed body nor a slow but steady reader at the other end is a write timeout.
    """

    __slots__ = ("_deadline", "_entered", "_write", "writing")

    def __init__(self, write: float | None) -> None:
        self._write = write
        self._deadline = asyncio.timeout(None)
        self._entered = False
        self.writing = True  # until aiohttp has taken the last piece

    async def __aenter__(self) -> None:
        await self._deadline.__aenter__()
        self._entered = True

    async def __aexit__(self, *exc_info: Any) -> None:
        # The head can arrive before the body is sent; aiohttp's writer goes on alone.
        self._entered = False
        await self._deadline.__aexit__(*exc_info)

    def expired(self) -> bool:
        """Whether a piece took longer than the write timeout."""
        return self._deadline.expired()

    async def pieces(self, body: bytes) -> AsyncIterator[memoryview]:
        """``body`` in pieces of :data:`_PIECE` bytes."""
        view = memoryview(body)
        for start in range(0, len(view), _PIECE):
            self._arm()
            yield view[start : start + _PIECE]
            self._disarm()
        self.writing = False

    async def watch(self, stream: AsyncIterable[bytes]) -> AsyncIterator[bytes]:
        """``stream``'s pieces, the deadline off while the stream produces the next."""
        async for piece in stream:
            self._arm()
            yield piece
            self._disarm()
        self.writing = False

    def _arm(self) -> None:
        if self._entered and self._write is not None and not self._deadline.expired():
            self._deadline.reschedule(asyncio.get_running_loop().time() + self._write)

    def _disarm(self) -> None:
        if self._entered and not self._deadline.expired():
            self._deadline.reschedule(None)


async def _take_slot(
    slots: asyncio.Semaphore, timeout: float | None, request: Callable[[], httpx.Request]
) -> None:
    """One of the pool's slots, waiting at most ``timeout`` seconds for it."""
    if not slots.locked():
        await slots.acquire()  # returns at once
        return
    try:
        async with asyncio.timeout(timeout):
            await slots.acquire()
    except TimeoutError:
        message = "timed out waiting for a connection"
        raise httpx.PoolTimeout(message, request=request()) from None


async def _let_the_loop_poll(*, tls: bool) -> None:
    """Let the loop see and handle a FIN that arrived while it was blocked.

    aiohttp takes an idle connection from its pool unless the loop has already marked it
    closed. An asyncio iteration polls, queues what it found behind the callbacks already
    ready, then runs them; so the first yield resumes ahead of the FIN's callback, the
    second behind it (a plain TCP connection is closed now: the read callback saw the end
    of the stream and closed the transport), and for a TLS connection a third behind
    ``connection_lost``, which is where asyncio's TLS layer marks a connection closed when
    the FIN came without a TLS close_notify. (uvloop handles I/O during its poll: one would
    do.) About 3 us of CPU per iteration.
    """
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    if tls:
        await asyncio.sleep(0)


def _httpx_error(
    exc: BaseException, request: httpx.Request, *, writing: bool = False
) -> httpx.TransportError:
    """The httpx exception for a failure of aiohttp or its socket (the caller chains it)."""
    message = str(exc) or type(exc).__name__
    for failure, error in _ERRORS:
        if isinstance(exc, failure):
            return error(message, request=request)
    if writing:  # a reset or a broken pipe, seen while the body was going out
        return httpx.WriteError(message, request=request)
    return httpx.ReadError(message, request=request)
