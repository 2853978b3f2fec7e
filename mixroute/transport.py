"""Sending one request with retries, sync and async, and typing every failure.

The retry decisions are made by :class:`Attempts`, which does no I/O: the sync and async
loops only differ in how they send and sleep. httpx exceptions never escape: each becomes
an :class:`~mixroute.APIConnectionError` or :class:`~mixroute.APITimeoutError`.
"""

from __future__ import annotations

import logging
import ssl
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Protocol

import httpx
from pydantic import SecretStr

from mixroute.bodies import aread_body, aread_error_body, read_body, read_error_body, with_content
from mixroute.causes import causes
from mixroute.deadlines import READ_UNTIL, CancelAt, DeadlineExceeded
from mixroute.errors import (
    APIConnectionError,
    APIError,
    APIStatusError,
    APITimeoutError,
    MixrouteError,
    status_error_from_response,
)
from mixroute.proxies import ProxyRules
from mixroute.retry import RetryPolicy, is_retryable_status, retry_after_seconds
from mixroute.scrub import mask_httpx_error, redact_error  # redact_error: re-exported

__all__ = [
    "Answered",
    "Attempts",
    "DirectPool",
    "Exchange",
    "Outgoing",
    "PlainAnswer",
    "connection_error",
    "redact_error",
    "send",
    "send_async",
    "send_plain_async",
]

logger = logging.getLogger("mixroute")


class Attempts:
    """Counts the tries of one request and decides, after a failure, whether to go on."""

    __slots__ = ("_policy", "number")

    def __init__(self, policy: RetryPolicy) -> None:
        self._policy = policy
        self.number = 0

    def delay_after(self, error: MixrouteError) -> float:
        """Seconds to wait before the next try; re-raises ``error`` when it is final."""
        self.number += 1
        if self.number > self._policy.max_retries or not is_retryable(error):
            raise error
        retry_after = None
        if isinstance(error, APIStatusError):
            retry_after = retry_after_seconds(error.response.headers)
        delay = self._policy.delay(self.number, retry_after)
        logger.info(
            "retrying in %.3fs (retry %d of %d) after %s",
            delay,
            self.number,
            self._policy.max_retries,
            type(error).__name__,
        )
        return delay


def is_retryable(error: MixrouteError) -> bool:
    """Tell whether a failure is worth another try: connection, timeout, 408/409/429/5xx."""
    if isinstance(error, APIStatusError):
        return is_retryable_status(error.status_code)
    return isinstance(error, APIConnectionError) and not _certificate_refused(error)


def _connect_error(exc: ssl.SSLError) -> httpx.ConnectError:
    # An older httpcore (1.0.1) lets a TLS handshake failure out unmapped on its anyio backend.
    error = httpx.ConnectError(str(exc))
    error.__cause__ = exc
    return error


def _certificate_refused(error: BaseException) -> bool:
    # A server certificate that fails verification fails the same way on every try.
    return any(isinstance(cause, ssl.SSLCertVerificationError) for cause in causes(error))


def connection_error(
    exc: httpx.HTTPError, request: httpx.Request | None, proxies: ProxyRules | None = None
) -> APIConnectionError:
    """Type an httpx transport failure; the httpx exception is kept as ``__cause__``.

    ``proxies``: the pool's proxies, when it follows the environment's; a request that
    could not connect to its proxy gets a message naming it (without its credentials)
    and what to check.
    """
    error: APIConnectionError
    down = proxies.unreachable(request.url, exc) if proxies and request is not None else None
    if isinstance(exc, httpx.TimeoutException):
        detail = f": {down}" if down else "."
        error = APITimeoutError(
            f"Request timed out ({type(exc).__name__}){detail}", request=request
        )
    else:
        detail = down or _first_message(exc)
        error = APIConnectionError(f"Connection error: {detail}", request=request)
    error.__cause__ = exc
    mask_httpx_error(exc)  # the cause travels with the error, and holds the request sent
    return error


def _first_message(exc: BaseException) -> str:
    """What the failure says: its message, else its nearest cause's, else its class's name.

    httpx and httpcore leave theirs empty for a peer that hung up; the TLS or socket
    error under it says what happened.
    """
    return next((text for link in causes(exc) if (text := str(link))), type(exc).__name__)


def _status_error(response: httpx.Response, content: bytes, secret: SecretStr) -> APIError:
    error = status_error_from_response(with_content(response, content))
    # Some servers echo the key in a 401: scrub it from the message and the parsed body.
    redact_error(error, secret)
    return error


@dataclass(frozen=True, slots=True)
class Outgoing:
    """One call's request as the client prepared it, the same for all its tries.

    Calling it builds the ``httpx.Request`` (on ``http``, so a client passed in keeps its
    own headers and hooks); a :class:`DirectPool` may send it without building one.
    ``headers`` are the per-call headers (``None``: only the pool's own).
    """

    http: httpx.Client | httpx.AsyncClient
    url: str
    content: bytes
    headers: Mapping[str, str] | None
    timeout: httpx.Timeout

    def __call__(self) -> httpx.Request:
        """A new ``httpx.Request`` for one try."""
        return self.http.build_request(
            "POST", self.url, content=self.content, headers=self.headers, timeout=self.timeout
        )


class DirectPool(httpx.AsyncClient):
    """An async client's own pool that can send a plain call without httpx's objects.

    Subclasses (:class:`mixroute.aiohttp_transport.AiohttpPool`) say which calls they can
    send themselves and send them; everything else goes through httpx as usual.
    """

    def can_send_plain(self, outgoing: Outgoing) -> bool:
        """Whether :meth:`send_plain` can send ``outgoing``."""
        return False

    async def send_plain(
        self, outgoing: Outgoing, limit: int
    ) -> tuple[int, bytes] | httpx.Response:
        """The status and body of an answer below 400, else the open error response."""
        raise NotImplementedError


class Answered(Protocol):
    """What a plain answer's parsing needs of its response: the status and the request."""

    @property
    def status_code(self) -> int:
        """The answer's HTTP status."""
        ...

    @property
    def request(self) -> httpx.Request:
        """The request that was sent."""
        ...


class PlainAnswer:
    """A plain answer read straight from a :class:`DirectPool`.

    It holds the status, and builds the request only if an error asks for it.
    """

    __slots__ = ("_build", "_request", "status_code")

    def __init__(self, status_code: int, build: Callable[[], httpx.Request]) -> None:
        self.status_code = status_code
        self._build = build
        self._request: httpx.Request | None = None

    @property
    def request(self) -> httpx.Request:
        """The request, built on first use."""
        if self._request is None:
            self._request = self._build()
        return self._request


_SLACK = 0.01  # seconds: a read cut to the deadline may return a hair before it


@dataclass(slots=True)
class Exchange:
    """What one call sends and the bounds it runs under, fixed for all its tries.

    ``until`` is the :func:`time.monotonic` instant the whole call (tries, backoff and, for
    a plain call, reading the answer) must end by; ``deadline`` the same in seconds, for
    messages. ``stream`` says whether the answer is read as an event stream. ``proxies``
    are the environment's proxies when the pool follows them, for the messages of
    :func:`connection_error`.
    """

    build: Callable[[], httpx.Request]
    policy: RetryPolicy
    secret: SecretStr
    stream: bool
    max_body_bytes: int
    max_error_body_bytes: int
    deadline: float | None = None
    until: float | None = None
    attempts: Attempts | None = None
    proxies: ProxyRules | None = None

    def __post_init__(self) -> None:
        if self.deadline is not None and self.until is None:
            self.until = time.monotonic() + self.deadline

    def wait_after(self, error: MixrouteError) -> float:
        """The backoff before the next try; raises when the error is final or time is up."""
        if self.attempts is None:  # made on the first failure: most calls have none
            self.attempts = Attempts(self.policy)
        until = self.until
        if until is not None and time.monotonic() >= until - _SLACK:
            raise self.deadline_error(error)  # the failure is the deadline's doing
        delay = self.attempts.delay_after(error)
        if until is not None and time.monotonic() + delay >= until:
            raise self.deadline_error(error)
        return delay

    def deadline_error(self, cause: BaseException | None = None) -> APITimeoutError:
        """The error of a call whose deadline has passed (``cause``: the last failure)."""
        last = f" (last failure: {cause})" if isinstance(cause, MixrouteError) else ""
        error = APITimeoutError(f"The call's deadline of {self.deadline:g} s passed{last}.")
        error.__cause__ = cause
        return error


def send(http: httpx.Client, exchange: Exchange) -> tuple[httpx.Response, bytes | None]:
    """Send until a success, retrying as the policy says.

    Returns the response and, for a plain call, its decoded body (the response is then
    closed); a stream's response is returned open, with ``None``.
    """
    token = READ_UNTIL.set(exchange.until)  # the sync transport cuts each wait to it
    try:
        return _send(http, exchange)
    finally:
        READ_UNTIL.reset(token)


def _send(http: httpx.Client, exchange: Exchange) -> tuple[httpx.Response, bytes | None]:
    secret = exchange.secret
    while True:
        request = exchange.build()
        try:
            response = http.send(request, stream=True)
            if response.status_code < 400:
                if exchange.stream:
                    return response, None
                return response, read_body(response, exchange.max_body_bytes)
            content = read_error_body(response, exchange.max_error_body_bytes)
            error: MixrouteError = _status_error(response, content, secret)
        except httpx.HTTPError as exc:
            error = connection_error(exc, request, exchange.proxies)
        except ssl.SSLError as exc:
            error = connection_error(_connect_error(exc), request)
        except DeadlineExceeded as exc:
            raise exchange.deadline_error(exc) from None
        exchange.policy.sleep(exchange.wait_after(error))


async def send_async(
    http: httpx.AsyncClient, exchange: Exchange
) -> tuple[httpx.Response, bytes | None]:
    """Send like :func:`send`, on the running event loop; the deadline cancels the call."""
    if exchange.until is None:
        return await _send_async(http, exchange)
    deadline = CancelAt(exchange.until - time.monotonic())
    try:
        answer = await _send_async(http, exchange)
    except BaseException as exc:
        if deadline.close(exc):
            raise exchange.deadline_error(exc) from None
        raise
    deadline.close(None)
    return answer


async def _send_async(
    http: httpx.AsyncClient, exchange: Exchange
) -> tuple[httpx.Response, bytes | None]:
    secret = exchange.secret
    while True:
        request = exchange.build()
        try:
            response = await http.send(request, stream=True)
            if response.status_code < 400:
                if exchange.stream:
                    return response, None
                return response, await aread_body(response, exchange.max_body_bytes)
            content = await aread_error_body(response, exchange.max_error_body_bytes)
            error: MixrouteError = _status_error(response, content, secret)
        except httpx.HTTPError as exc:
            error = connection_error(exc, request, exchange.proxies)
        except ssl.SSLError as exc:
            error = connection_error(_connect_error(exc), request)
        await exchange.policy.asleep(exchange.wait_after(error))


async def send_plain_async(http: httpx.AsyncClient, exchange: Exchange) -> tuple[Answered, bytes]:
    """Send a plain (not streamed) call like :func:`send_async`; return its decoded body.

    A :class:`DirectPool` sends what it can without httpx's objects.
    """
    if not isinstance(http, DirectPool) or not isinstance(exchange.build, Outgoing):
        response, content = await send_async(http, exchange)
        assert content is not None
        return response, content
    if exchange.until is None:
        return await _send_direct(http, exchange, exchange.build)
    deadline = CancelAt(exchange.until - time.monotonic())
    try:
        answer = await _send_direct(http, exchange, exchange.build)
    except BaseException as exc:
        if deadline.close(exc):
            raise exchange.deadline_error(exc) from None
        raise
    deadline.close(None)
    return answer


async def _send_direct(
    pool: DirectPool, exchange: Exchange, outgoing: Outgoing
) -> tuple[Answered, bytes]:
    secret = exchange.secret
    while True:
        request: httpx.Request | None = None
        try:
            if pool.can_send_plain(outgoing):
                answer = await pool.send_plain(outgoing, exchange.max_body_bytes)
                if isinstance(answer, tuple):
                    return PlainAnswer(answer[0], outgoing), answer[1]
                response = answer
            else:
                request = outgoing()
                response = await pool.send(request, stream=True)
                if response.status_code < 400:
                    return response, await aread_body(response, exchange.max_body_bytes)
            content = await aread_error_body(response, exchange.max_error_body_bytes)
            error: MixrouteError = _status_error(response, content, secret)
        except httpx.HTTPError as exc:
            error = connection_error(exc, request or _request_of(exc, outgoing), exchange.proxies)
        await exchange.policy.asleep(exchange.wait_after(error))


def _request_of(exc: httpx.HTTPError, build: Callable[[], httpx.Request]) -> httpx.Request:
    """The request an httpx error names (the pool sets it), else one built for the error."""
    try:
        return exc.request
    except RuntimeError:  # httpx raises this for an error made without a request
        return build()
