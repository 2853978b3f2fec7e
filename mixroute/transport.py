"""Sending one request with retries, sync and async, and typing every failure.

The retry decisions are made by :class:`Attempts`, which does no I/O: the sync and async
loops only differ in how they send and sleep. httpx exceptions never escape: each becomes
an :class:`~mixroute.APIConnectionError` or :class:`~mixroute.APITimeoutError`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import httpx
from pydantic import SecretStr

from mixroute.errors import (
    APIConnectionError,
    APIError,
    APIStatusError,
    APITimeoutError,
    MixrouteError,
    status_error_from_response,
)
from mixroute.retry import RetryPolicy, is_retryable_status, retry_after_seconds
from mixroute.settings import redact, redact_data

__all__ = ["Attempts", "connection_error", "redact_error", "send", "send_async"]

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
    return error


def redact_error(error: MixrouteError, secret: SecretStr) -> None:
    """Scrub the key from an error's message and parsed body (some servers echo it back)."""
    if not isinstance(error, APIError):
        return
    clean = redact(error.message, secret)
    if clean != error.message:
        error.message = clean
        error.args = (clean,)
    error.body = redact_data(error.body, secret)
    if isinstance(error, APIStatusError):
        error.response = _redacted_response(error.response, secret)


def _redacted_response(response: httpx.Response, secret: SecretStr) -> httpx.Response:
    """The response itself, rebuilt without the key where it echoed it.

    Frameworks read an error's ``response`` for their callbacks (LangChain puts its JSON
    and headers into the ``on_llm_error`` payload), so scrubbing the message is not enough.
    """
    text = response.content.decode("utf-8", errors="replace")
    clean = redact(text, secret)
    headers = [(name, redact(value, secret)) for name, value in response.headers.items()]
    if clean == text and headers == list(response.headers.items()):
        return response
    skip = ("content-length", "content-encoding", "transfer-encoding")
    return httpx.Response(
        response.status_code,
        headers=[(name, value) for name, value in headers if name.lower() not in skip],
        content=clean.encode("utf-8"),
        request=response.request,
    )


def _status_error(response: httpx.Response, secret: SecretStr) -> APIError:
    error = status_error_from_response(response)
    # Some servers echo the key in a 401: scrub it from the message and the parsed body.
    redact_error(error, secret)
    return error


def send(
    http: httpx.Client,
    build: Callable[[], httpx.Request],
    policy: RetryPolicy,
    secret: SecretStr,
    *,
    stream: bool,
    attempts: Attempts | None = None,
) -> httpx.Response:
    """Send until a success, retrying as the policy says; the response is open if ``stream``."""
    attempts = attempts or Attempts(policy)
    while True:
        request = build()
        try:
            response = http.send(request, stream=stream)
            if response.status_code < 400:
                return response
            try:
                response.read()
            finally:
                response.close()
            error: MixrouteError = _status_error(response, secret)
        except httpx.HTTPError as exc:
            error = connection_error(exc, request)
        policy.sleep(attempts.delay_after(error))


async def send_async(
    http: httpx.AsyncClient,
    build: Callable[[], httpx.Request],
    policy: RetryPolicy,
    secret: SecretStr,
    *,
    stream: bool,
    attempts: Attempts | None = None,
) -> httpx.Response:
    """Send like :func:`send`, on the running event loop."""
    attempts = attempts or Attempts(policy)
    while True:
        request = build()
        try:
            response = await http.send(request, stream=stream)
            if response.status_code < 400:
                return response
            try:
                await response.aread()
            finally:
                await response.aclose()
            error: MixrouteError = _status_error(response, secret)
        except httpx.HTTPError as exc:
            error = connection_error(exc, request)
        await policy.asleep(attempts.delay_after(error))
