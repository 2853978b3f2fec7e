"""Sending one request with retries, sync and async, and typing every failure.

The retry decisions are made by :class:`Attempts`, which does no I/O: the sync and async
loops only differ in how they send and sleep. httpx exceptions never escape: each becomes
an :class:`~mixroute.APIConnectionError` or :class:`~mixroute.APITimeoutError`.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

import httpx
from pydantic import SecretStr

from mixroute.bodies import aread_body, aread_error_body, read_body, read_error_body, with_content
from mixroute.deadlines import READ_UNTIL, DeadlineExceeded
from mixroute.errors import (
    APIConnectionError,
    APIError,
    APIStatusError,
    APITimeoutError,
    MixrouteError,
    status_error_from_response,
)
from mixroute.retry import RetryPolicy, is_retryable_status, retry_after_seconds
from mixroute.scrub import mask_httpx_error, redact_error  # redact_error: re-exported

__all__ = ["Attempts", "Exchange", "connection_error", "redact_error", "send", "send_async"]

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
    return isinstance(error, APIConnectionError)


def connection_error(exc: httpx.HTTPError, request: httpx.Request | None) -> APIConnectionError:
    """Type an httpx transport failure; the httpx exception is kept as ``__cause__``."""
    error: APIConnectionError
    if isinstance(exc, httpx.TimeoutException):
        error = APITimeoutError(f"Request timed out ({type(exc).__name__}).", request=request)
    else:
        detail = str(exc) or type(exc).__name__
        error = APIConnectionError(f"Connection error: {detail}", request=request)
    error.__cause__ = exc
    mask_httpx_error(exc)  # the cause travels with the error, and holds the request sent
    return error


def _status_error(response: httpx.Response, content: bytes, secret: SecretStr) -> APIError:
    error = status_error_from_response(with_content(response, content))
    # Some servers echo the key in a 401: scrub it from the message and the parsed body.
    redact_error(error, secret)
    return error


_SLACK = 0.01  # seconds: a read cut to the deadline may return a hair before it


@dataclass(slots=True)
class Exchange:
    """What one call sends and the bounds it runs under, fixed for all its tries.

    ``until`` is the :func:`time.monotonic` instant the whole call (tries, backoff and, for
    a plain call, reading the answer) must end by; ``deadline`` the same in seconds, for
    messages. ``stream`` says whether the answer is read as an event stream.
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

    def __post_init__(self) -> None:
        if self.deadline is not None and self.until is None:
            self.until = time.monotonic() + self.deadline
        if self.attempts is None:
            self.attempts = Attempts(self.policy)

    def wait_after(self, error: MixrouteError) -> float:
        """The backoff before the next try; raises when the error is final or time is up."""
        assert self.attempts is not None
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
            error = connection_error(exc, request)
        except DeadlineExceeded as exc:
            raise exchange.deadline_error(exc) from None
        exchange.policy.sleep(exchange.wait_after(error))


async def send_async(
    http: httpx.AsyncClient, exchange: Exchange
) -> tuple[httpx.Response, bytes | None]:
    """Send like :func:`send`, on the running event loop; the deadline cancels the call."""
    if exchange.until is None:
        return await _send_async(http, exchange)
    try:
        async with asyncio.timeout(exchange.until - time.monotonic()):
            return await _send_async(http, exchange)
    except TimeoutError as exc:
        raise exchange.deadline_error(exc.__context__) from None


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
            error = connection_error(exc, request)
        await exchange.policy.asleep(exchange.wait_after(error))
