"""The Mixroute clients, sync and async: pooled, retrying, typed, and safe with the key.

>>> client = MixrouteClient(api_key="sk-...")  # doctest: +SKIP
>>> client.create("glm-5", [UserMessage("Briefly introduce AI")]).message.content  # doctest: +SKIP
"""

from __future__ import annotations

import asyncio
import functools
import json
import ssl
from collections.abc import Mapping, Sequence
from types import TracebackType
from typing import Any, Unpack

import httpx
from pydantic import SecretStr

from mixroute.errors import (
    APIResponseValidationError,
    InvalidRequestError,
    MixrouteError,
    error_message,
)
from mixroute.profiles import ModelProfile, get_profile
from mixroute.request import ChatOptions, build_request_body
from mixroute.response import ChatCompletion, parse_completion
from mixroute.retry import RetryPolicy
from mixroute.settings import ClientSettings, TimeoutLike, redact, redact_data, resolve_timeout
from mixroute.streaming import AsyncChatStream, ChatStream, StreamDecoder
from mixroute.transport import Attempts, redact_error, send, send_async

__all__ = ["AsyncMixrouteClient", "MixrouteClient"]

_POOL_LIMITS = httpx.Limits(max_connections=200, max_keepalive_connections=50)


@functools.cache
def _default_ssl_context() -> ssl.SSLContext:
    # What httpx builds for verify=True, built once: loading the CA bundle costs ~30 ms, and
    # a pool is made per client, and per event loop for the async client.
    return httpx.create_ssl_context()


_HTTPX_DEFAULT_TIMEOUT = httpx.Timeout(5.0)


def _own_timeout(
    timeout: TimeoutLike, http: httpx.Client | httpx.AsyncClient | None
) -> TimeoutLike:
    # Like openai-python: a client passed in with a timeout of its own keeps it, unless
    # ``timeout=`` says otherwise; httpx's 5 s default is too short for a completion.
    if timeout is None and http is not None and http.timeout != _HTTPX_DEFAULT_TIMEOUT:
        return http.timeout
    return timeout


def _header_names_lowered(headers: Mapping[str, str]) -> dict[str, str]:
    lowered = {}
    for name, value in headers.items():
        if not (isinstance(name, str) and isinstance(value, str)):
            raise InvalidRequestError(f"extra_headers must map str to str, got {name!r}.")
        if not (name.isascii() and value.isascii()):
            raise InvalidRequestError(f"extra_headers[{name!r}] must be ASCII text.")
        lowered[name.lower()] = value
    return lowered


class _BaseClient:
    """Settings, request building and response parsing shared by both clients."""

    def __init__(
        self,
        api_key: str | SecretStr | None,
        base_url: str | None,
        timeout: TimeoutLike,
        max_retries: int,
        default_headers: Mapping[str, str] | None,
        retry_policy: RetryPolicy | None,
    ) -> None:
        self.settings = ClientSettings.resolve(
            api_key,
            base_url=base_url,
            timeout=timeout,
            max_retries=max_retries,
            default_headers=default_headers,
        )
        self.retry_policy = retry_policy or RetryPolicy(max_retries=self.settings.max_retries)
        self._headers = self.settings.headers()
        self._owned_http: httpx.Client | httpx.AsyncClient | None = None  # ours, not yours
        self._url = self.settings.completions_url

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(base_url={self.settings.base_url!r}, "
            f"max_retries={self.retry_policy.max_retries}, api_key=SecretStr('**********'))"
        )

    def build_request(
        self,
        model: str,
        messages: Sequence[Any],
        *,
        stream: bool = False,
        profile: ModelProfile | None = None,
        **options: Unpack[ChatOptions],
    ) -> dict[str, Any]:
        """Build the request body that :meth:`create` or :meth:`stream` would send."""
        return build_request_body(model, messages, stream=stream, profile=profile, **options)

    def _request_factory(
        self,
        http: httpx.Client | httpx.AsyncClient,
        body: Mapping[str, Any],
        extra_headers: Mapping[str, str] | None,
        timeout: TimeoutLike,
    ) -> Any:
        try:
            # allow_nan=False: NaN and Infinity are not JSON, and a gateway would reject them.
            content = json.dumps(body, ensure_ascii=False, allow_nan=False).encode()
        except (TypeError, ValueError) as exc:
            raise InvalidRequestError(
                f"The request body is not JSON ({exc}); extra_body and dict messages may hold "
                "only str, int, float (not NaN or infinity), bool, None, list and dict values."
            ) from None
        # A pool of our own carries the fixed headers already; merging them again into
        # every request is a measurable share of a small call. A client passed in gets
        # them per request, so its own headers stay as they are.
        owned = http is self._owned_http
        headers: Mapping[str, str] | None = None if owned else self._headers
        if extra_headers:
            extra = _header_names_lowered(extra_headers)
            headers = extra if headers is None else {**headers, **extra}
        per_call = resolve_timeout(timeout) if timeout is not None else self.settings.timeout

        def build() -> httpx.Request:
            # build_request, not Request(): a client passed in keeps its own headers and hooks.
            return http.build_request(
                "POST", self._url, content=content, headers=headers, timeout=per_call
            )

        return build

    def _parse(self, response: httpx.Response, profile: ModelProfile) -> ChatCompletion:
        try:
            body = json.loads(response.content)
        except ValueError:
            text = redact(response.text, self.settings.api_key)
            raise APIResponseValidationError(
                f"The server answered {response.status_code} with a body that is not JSON: "
                f"{text[:200]!r}",
                request=response.request,
                body=text,
            ) from None
        if isinstance(body, dict) and body.get("error") and "choices" not in body:
            # An error object with status 200: some gateways report failures this way.
            secret = self.settings.api_key
            message = error_message(body) or "The server answered with an error object."
            raise APIResponseValidationError(
                redact(message, secret), request=response.request, body=redact_data(body, secret)
            )
        try:
            return parse_completion(body, inline_think_tags=profile.inline_think_tags)
        except APIResponseValidationError as exc:
            exc.request = response.request
            redact_error(exc, self.settings.api_key)
            raise


class MixrouteClient(_BaseClient):
    """A synchronous client for ``POST /chat/completions``.

    Args:
        api_key: the ``sk-…`` key; defaults to ``MIXROUTE_API_KEY``.
        base_url: the API root including ``/v1``; defaults to ``MIXROUTE_BASE_URL``, else
            ``https://console.mixroute.io/v1``.
        timeout: seconds, a ``(connect, read)`` pair, or an ``httpx.Timeout``.
        max_retries: retries of connection failures, timeouts, 408/409/429 and 5xx.
        default_headers: headers sent with every request.
        http_client: your own ``httpx.Client`` (a proxy, say); its headers and, unless
            ``timeout`` is given, its timeout are kept; you close it.
        retry_policy: the backoff and sleep to use (tests inject instant ones); when given,
            its own ``max_retries`` is the one used.

    """

    def __init__(
        self,
        api_key: str | SecretStr | None = None,
        *,
        base_url: str | None = None,
        timeout: TimeoutLike = None,
        max_retries: int = 2,
        default_headers: Mapping[str, str] | None = None,
        http_client: httpx.Client | None = None,
        retry_policy: RetryPolicy | None = None,
    ) -> None:
        timeout = _own_timeout(timeout, http_client)
        super().__init__(api_key, base_url, timeout, max_retries, default_headers, retry_policy)
        self._owns_http = http_client is None
        self.http_client = http_client or httpx.Client(
            timeout=self.settings.timeout,
            limits=_POOL_LIMITS,
            verify=_default_ssl_context(),
            headers=self._headers,
        )
        self._owned_http = self.http_client if self._owns_http else None

    def create(
        self,
        model: str,
        messages: Sequence[Any],
        *,
        extra_headers: Mapping[str, str] | None = None,
        timeout: TimeoutLike = None,
        profile: ModelProfile | None = None,
        **options: Unpack[ChatOptions],
    ) -> ChatCompletion:
        """Send a chat completion and return the parsed answer."""
        profile = profile or get_profile(model)
        body = build_request_body(model, messages, profile=profile, **options)
        return self.send(body, extra_headers=extra_headers, timeout=timeout, profile=profile)

    def stream(
        self,
        model: str,
        messages: Sequence[Any],
        *,
        include_usage: bool = True,
        extra_headers: Mapping[str, str] | None = None,
        timeout: TimeoutLike = None,
        profile: ModelProfile | None = None,
        **options: Unpack[ChatOptions],
    ) -> ChatStream:
        """Open a streamed chat completion; iterate it for deltas, then close it."""
        profile = profile or get_profile(model)
        body = build_request_body(
            model, messages, stream=True, include_usage=include_usage, profile=profile, **options
        )
        return self.send_stream(body, extra_headers=extra_headers, timeout=timeout, profile=profile)

    def send(
        self,
        body: Mapping[str, Any],
        *,
        extra_headers: Mapping[str, str] | None = None,
        timeout: TimeoutLike = None,
        profile: ModelProfile | None = None,
    ) -> ChatCompletion:
        """Send a body built by :meth:`build_request` and parse the answer."""
        build = self._request_factory(self.http_client, body, extra_headers, timeout)
        secret = self.settings.api_key
        response = send(self.http_client, build, self.retry_policy, secret, stream=False)
        return self._parse(response, profile or get_profile(str(body.get("model", ""))))

    def send_stream(
        self,
        body: Mapping[str, Any],
        *,
        extra_headers: Mapping[str, str] | None = None,
        timeout: TimeoutLike = None,
        profile: ModelProfile | None = None,
    ) -> ChatStream:
        """Open a stream for a body built with ``stream=True``."""
        build = self._request_factory(self.http_client, body, extra_headers, timeout)
        secret, policy = self.settings.api_key, self.retry_policy
        attempts = Attempts(policy)
        response = send(self.http_client, build, policy, secret, stream=True, attempts=attempts)

        def reopen(error: MixrouteError) -> httpx.Response:
            policy.sleep(attempts.delay_after(error))
            return send(self.http_client, build, policy, secret, stream=True, attempts=attempts)

        profile = profile or get_profile(str(body.get("model", "")))
        decoder = StreamDecoder(inline_think_tags=profile.inline_think_tags)
        return ChatStream(response, decoder, reopen, secret=secret)

    def close(self) -> None:
        """Close the connection pool (not a client you passed in)."""
        if self._owns_http:
            self.http_client.close()

    def __enter__(self) -> MixrouteClient:
        return self

    def __exit__(
        self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


class AsyncMixrouteClient(_BaseClient):
    """The asynchronous client; the same arguments as :class:`MixrouteClient`.

    Its own pool is made per event loop, so it keeps working across ``asyncio.run`` calls,
    in Jupyter and under pytest (never "Event loop is closed"). A client you pass in as
    ``http_client`` is used as it is, on whatever loop you use it.
    """

    def __init__(
        self,
        api_key: str | SecretStr | None = None,
        *,
        base_url: str | None = None,
        timeout: TimeoutLike = None,
        max_retries: int = 2,
        default_headers: Mapping[str, str] | None = None,
        http_client: httpx.AsyncClient | None = None,
        retry_policy: RetryPolicy | None = None,
    ) -> None:
        timeout = _own_timeout(timeout, http_client)
        super().__init__(api_key, base_url, timeout, max_retries, default_headers, retry_policy)
        self._user_http = http_client
        self._http: httpx.AsyncClient | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    @property
    def http_client(self) -> httpx.AsyncClient:
        """The pool for the running event loop (yours, if you passed one in)."""
        if self._user_http is not None:
            return self._user_http
        loop = asyncio.get_running_loop()
        if self._http is None or self._loop is not loop:
            # A pool's connections belong to the loop that opened them: a new loop gets a
            # new pool, and the old one is dropped with its loop.
            from mixroute.aio import AsyncioTransport  # imports httpcore: on first use only

            self._http = httpx.AsyncClient(
                timeout=self.settings.timeout,
                limits=_POOL_LIMITS,
                verify=_default_ssl_context(),  # for a proxy from the environment
                headers=self._headers,
                transport=AsyncioTransport(limits=_POOL_LIMITS, ssl_context=_default_ssl_context()),
            )
            self._owned_http = self._http
            self._loop = loop
        return self._http

    async def create(
        self,
        model: str,
        messages: Sequence[Any],
        *,
        extra_headers: Mapping[str, str] | None = None,
        timeout: TimeoutLike = None,
        profile: ModelProfile | None = None,
        **options: Unpack[ChatOptions],
    ) -> ChatCompletion:
        """Send a chat completion and return the parsed answer."""
        profile = profile or get_profile(model)
        body = build_request_body(model, messages, profile=profile, **options)
        return await self.send(body, extra_headers=extra_headers, timeout=timeout, profile=profile)

    async def stream(
        self,
        model: str,
        messages: Sequence[Any],
        *,
        include_usage: bool = True,
        extra_headers: Mapping[str, str] | None = None,
        timeout: TimeoutLike = None,
        profile: ModelProfile | None = None,
        **options: Unpack[ChatOptions],
    ) -> AsyncChatStream:
        """Open a streamed chat completion; ``async for`` it, then ``aclose`` it."""
        profile = profile or get_profile(model)
        body = build_request_body(
            model, messages, stream=True, include_usage=include_usage, profile=profile, **options
        )
        return await self.send_stream(
            body, extra_headers=extra_headers, timeout=timeout, profile=profile
        )

    async def send(
        self,
        body: Mapping[str, Any],
        *,
        extra_headers: Mapping[str, str] | None = None,
        timeout: TimeoutLike = None,
        profile: ModelProfile | None = None,
    ) -> ChatCompletion:
        """Send a body built by :meth:`build_request` and parse the answer."""
        http = self.http_client
        build = self._request_factory(http, body, extra_headers, timeout)
        secret = self.settings.api_key
        response = await send_async(http, build, self.retry_policy, secret, stream=False)
        return self._parse(response, profile or get_profile(str(body.get("model", ""))))

    async def send_stream(
        self,
        body: Mapping[str, Any],
        *,
        extra_headers: Mapping[str, str] | None = None,
        timeout: TimeoutLike = None,
        profile: ModelProfile | None = None,
    ) -> AsyncChatStream:
        """Open a stream for a body built with ``stream=True``."""
        http = self.http_client
        build = self._request_factory(http, body, extra_headers, timeout)
        secret, policy = self.settings.api_key, self.retry_policy
        attempts = Attempts(policy)
        response = await send_async(http, build, policy, secret, stream=True, attempts=attempts)

        async def reopen(error: MixrouteError) -> httpx.Response:
            await policy.asleep(attempts.delay_after(error))
            return await send_async(http, build, policy, secret, stream=True, attempts=attempts)

        profile = profile or get_profile(str(body.get("model", "")))
        decoder = StreamDecoder(inline_think_tags=profile.inline_think_tags)
        return AsyncChatStream(response, decoder, reopen, secret=secret)

    async def aclose(self) -> None:
        """Close this loop's connection pool (not a client you passed in)."""
        http, loop = self._http, self._loop
        self._http = self._loop = None
        # A pool opened on another loop (one an earlier asyncio.run closed) cannot be closed
        # from this one, its sockets belong to that loop: it is dropped, never awaited here.
        if http is not None and loop is asyncio.get_running_loop():
            await http.aclose()

    async def __aenter__(self) -> AsyncMixrouteClient:
        return self

    async def __aexit__(
        self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()
