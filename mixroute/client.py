"""The Mixroute clients, sync and async: pooled, retrying, typed, and safe with the key.

>>> client = MixrouteClient(api_key="sk-...")  # doctest: +SKIP
>>> client.create("glm-5", [UserMessage("Briefly introduce AI")]).message.content  # doctest: +SKIP
"""

from __future__ import annotations

import functools
import json
import os
import ssl
from collections.abc import Mapping, Sequence
from types import TracebackType
from typing import Any, Unpack

import httpx
from pydantic import SecretStr

from mixroute import jsonsafe
from mixroute.errors import (
    APIResponseValidationError,
    InvalidRequestError,
    MixrouteError,
    error_message,
)
from mixroute.pools import LoopPools
from mixroute.profiles import ModelProfile, get_profile
from mixroute.proxies import ProxyRules, socks_installed
from mixroute.request import ChatOptions, build_request_body
from mixroute.response import ChatCompletion, parse_completion
from mixroute.retry import RetryPolicy
from mixroute.settings import (
    DEFAULT_DEADLINE,
    DEFAULT_MAX_BODY_BYTES,
    DEFAULT_MAX_ERROR_BODY_BYTES,
    DEFAULT_MAX_LINE_BYTES,
    AsyncTransportName,
    ClientSettings,
    TimeoutLike,
    check_deadline,
    redact,
    redact_data,
    resolve_async_transport,
    resolve_timeout,
)
from mixroute.stream_opener import StreamOpener
from mixroute.streaming import AsyncChatStream, ChatStream, StreamBounds, StreamDecoder
from mixroute.sync_transport import SyncTransport
from mixroute.transport import Exchange, redact_error, send, send_async
from mixroute.url_advice import requested

__all__ = ["AsyncMixrouteClient", "MixrouteClient"]

# As openai-python: room for 1,000 concurrent streams on one client.
POOL_LIMITS = httpx.Limits(max_connections=1000, max_keepalive_connections=100)


def _default_ssl_context() -> ssl.SSLContext:
    # What httpx builds for verify=True (SSL_CERT_FILE and SSL_CERT_DIR honoured), built
    # once per value of those: loading the CA bundle costs ~30 ms, and a pool is made per
    # client, and per event loop for the async client.
    return _ssl_context(os.environ.get("SSL_CERT_FILE"), os.environ.get("SSL_CERT_DIR"))


@functools.cache
def _ssl_context(cert_file: str | None, cert_dir: str | None) -> ssl.SSLContext:
    return httpx.create_ssl_context()


class _Default:
    """The type of :data:`DEFAULT`: "the client's own setting", as opposed to ``None``."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "DEFAULT"


DEFAULT = _Default()
"""Per call, ``deadline=DEFAULT`` (the default) means the client's own deadline."""

DeadlineLike = float | int | None | _Default


_HTTPX_DEFAULT_TIMEOUT = httpx.Timeout(5.0)


def _own_timeout(
    timeout: TimeoutLike, http: httpx.Client | httpx.AsyncClient | None
) -> TimeoutLike:
    # Like openai-python: a client passed in with a timeout of its own keeps it, unless
    # ``timeout=`` says otherwise; httpx's 5 s default is too short for a completion.
    if timeout is None and http is not None and http.timeout != _HTTPX_DEFAULT_TIMEOUT:
        return http.timeout
    return timeout


_HTTPX_USER_AGENT = f"python-httpx/{httpx.__version__}"


def _headers_for_their_client(
    headers: dict[str, str], settings: ClientSettings, http: httpx.Client | httpx.AsyncClient
) -> dict[str, str]:
    # A client passed in that names its own User-Agent keeps it, unless default_headers
    # names one too: those are the headers given to this client.
    theirs = http.headers.get("user-agent")
    if theirs is None or theirs == _HTTPX_USER_AGENT:
        return headers
    if any(name.lower() == "user-agent" for name in settings.default_headers):
        return headers
    return {name: value for name, value in headers.items() if name != "user-agent"}


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
        **limits: Any,
    ) -> None:
        self.settings = ClientSettings.resolve(
            api_key,
            base_url=base_url,
            timeout=timeout,
            max_retries=max_retries,
            default_headers=default_headers,
            **limits,
        )
        self.retry_policy = retry_policy or RetryPolicy(max_retries=self.settings.max_retries)
        self._headers = self.settings.headers()
        self._url = self.settings.completions_url

    def _exchange(self, build: Any, *, stream: bool, deadline: DeadlineLike) -> Exchange:
        settings = self.settings
        if isinstance(deadline, _Default):
            seconds = settings.stream_deadline if stream else settings.deadline
        else:
            seconds = check_deadline(deadline, "deadline", InvalidRequestError)
        return Exchange(
            build,
            self.retry_policy,
            settings.api_key,
            stream,
            settings.max_body_bytes,
            settings.max_error_body_bytes,
            deadline=seconds,
        )

    def _stream_parts(
        self, exchange: Exchange, timeout: TimeoutLike, profile: ModelProfile
    ) -> tuple[StreamDecoder, StreamBounds]:
        settings = self.settings
        read = (resolve_timeout(timeout) if timeout is not None else settings.timeout).read
        bounds = StreamBounds(idle=read, until=exchange.until, deadline=exchange.deadline)
        decoder = StreamDecoder(
            inline_think_tags=profile.inline_think_tags, max_line_bytes=settings.max_line_bytes
        )
        return decoder, bounds

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
        headers: Mapping[str, str] | None = None if self._owns(http) else self._headers
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

    def _owns(self, http: httpx.Client | httpx.AsyncClient) -> bool:
        raise NotImplementedError

    def _parse(
        self, response: httpx.Response, content: bytes, profile: ModelProfile
    ) -> ChatCompletion:
        what: str | None = None
        try:
            body = jsonsafe.loads(content)
        except ValueError as exc:
            what = str(exc) if isinstance(exc, jsonsafe.JSONTooDeep) else "not JSON"
        if what is not None:
            # Raised outside the handler: the decoder's error, which holds the whole body
            # (an echoed key too), must not ride along as __context__.
            text = redact(content.decode("utf-8", errors="replace"), self.settings.api_key)
            # A web page where the API should be: name the URL, and the base_url to try.
            web_page = text.lstrip().startswith("<")
            where = requested(response.request, doubt_base_url=web_page)
            raise APIResponseValidationError(
                f"The server answered {response.status_code} with a body that is {what}: "
                f"{text[:200]!r} ({where})",
                request=response.request,
                body=text,
            )
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


_SETTINGS_DOC = """
    Args:
        api_key: the ``sk-…`` key; defaults to ``MIXROUTE_API_KEY``.
        base_url: the API root including ``/v1``; defaults to ``MIXROUTE_BASE_URL``, else
            ``https://console.mixroute.io/v1``.
        timeout: seconds, a ``(connect, read)`` pair, or an ``httpx.Timeout``: each
            connect, read and write; a stream waits at most the read timeout for each
            complete line.
        max_retries: retries of connection failures, timeouts, 408/409/429 and 5xx.
        default_headers: headers sent with every request.
        http_client: your own httpx client (a proxy, say); its headers and, unless
            ``timeout`` is given, its timeout are kept; you close it.
        retry_policy: the backoff and sleep to use (tests inject instant ones); when given,
            its own ``max_retries`` is the one used.
        deadline: seconds a whole plain call may take, tries and backoff included
            (default 600); ``None`` for none. Per call, ``deadline=`` overrides it.
        stream_deadline: seconds a whole stream may take (default ``None``: a stream may
            run as long as lines keep coming).
        max_line_bytes: the longest SSE line or event a stream may send (32 MiB).
        max_body_bytes: the largest plain answer, after decompression (64 MiB).
        max_error_body_bytes: how much of an error body is read (64 KiB); the rest is
            dropped, the error keeps its class.
        integration: ``name/version`` of the framework sending through this client, added
            to the ``User-Agent`` (``mixroute/<version> python/<x.y>``); the adapters set
            it. A ``User-Agent`` in ``default_headers`` or on ``http_client`` wins.
"""


class MixrouteClient(_BaseClient):
    """A synchronous client for ``POST /chat/completions``.

    Its own pool honours ``HTTP_PROXY``, ``HTTPS_PROXY``, ``ALL_PROXY`` and ``NO_PROXY``
    (read when the client is made, by httpx's rules) and ``SSL_CERT_FILE``; each socket
    read is cut to the call's deadline, so a server that drips bytes cannot hold a call
    past it.
    """

    __doc__ = (__doc__ or "") + _SETTINGS_DOC

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
        deadline: float | None = DEFAULT_DEADLINE,
        stream_deadline: float | None = None,
        max_line_bytes: int = DEFAULT_MAX_LINE_BYTES,
        max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
        max_error_body_bytes: int = DEFAULT_MAX_ERROR_BODY_BYTES,
        integration: str | None = None,
    ) -> None:
        timeout = _own_timeout(timeout, http_client)
        super().__init__(
            api_key,
            base_url,
            timeout,
            max_retries,
            default_headers,
            retry_policy,
            deadline=deadline,
            stream_deadline=stream_deadline,
            max_line_bytes=max_line_bytes,
            max_body_bytes=max_body_bytes,
            max_error_body_bytes=max_error_body_bytes,
            integration=integration,
        )
        self._owns_http = http_client is None
        if http_client is None:
            proxies = ProxyRules.from_environment()
            proxies.check(socks=socks_installed(), transport="the sync client")
            transport = SyncTransport(
                ssl_context=_default_ssl_context(), limits=POOL_LIMITS, proxies=proxies
            )
            http_client = httpx.Client(
                timeout=self.settings.timeout, headers=self._headers, transport=transport
            )
        else:
            self._headers = _headers_for_their_client(self._headers, self.settings, http_client)
        self.http_client = http_client

    def _owns(self, http: httpx.Client | httpx.AsyncClient) -> bool:
        return self._owns_http

    def create(
        self,
        model: str,
        messages: Sequence[Any],
        *,
        extra_headers: Mapping[str, str] | None = None,
        timeout: TimeoutLike = None,
        deadline: DeadlineLike = DEFAULT,
        profile: ModelProfile | None = None,
        **options: Unpack[ChatOptions],
    ) -> ChatCompletion:
        """Send a chat completion and return the parsed answer.

        ``deadline`` (seconds, or ``None``) overrides the client's for this call.
        """
        profile = profile or get_profile(model)
        body = build_request_body(model, messages, profile=profile, **options)
        return self.send(
            body, extra_headers=extra_headers, timeout=timeout, deadline=deadline, profile=profile
        )

    def stream(
        self,
        model: str,
        messages: Sequence[Any],
        *,
        include_usage: bool = True,
        extra_headers: Mapping[str, str] | None = None,
        timeout: TimeoutLike = None,
        deadline: DeadlineLike = DEFAULT,
        profile: ModelProfile | None = None,
        **options: Unpack[ChatOptions],
    ) -> ChatStream:
        """Open a streamed chat completion; iterate it for deltas, then close it.

        ``deadline`` (seconds, or ``None``) bounds the whole stream, overriding the
        client's ``stream_deadline``.
        """
        profile = profile or get_profile(model)
        body = build_request_body(
            model, messages, stream=True, include_usage=include_usage, profile=profile, **options
        )
        return self.send_stream(
            body, extra_headers=extra_headers, timeout=timeout, deadline=deadline, profile=profile
        )

    def send(
        self,
        body: Mapping[str, Any],
        *,
        extra_headers: Mapping[str, str] | None = None,
        timeout: TimeoutLike = None,
        deadline: DeadlineLike = DEFAULT,
        profile: ModelProfile | None = None,
    ) -> ChatCompletion:
        """Send a body built by :meth:`build_request` and parse the answer."""
        build = self._request_factory(self.http_client, body, extra_headers, timeout)
        exchange = self._exchange(build, stream=False, deadline=deadline)
        response, content = send(self.http_client, exchange)
        assert content is not None
        return self._parse(response, content, profile or get_profile(str(body.get("model", ""))))

    def send_stream(
        self,
        body: Mapping[str, Any],
        *,
        extra_headers: Mapping[str, str] | None = None,
        timeout: TimeoutLike = None,
        deadline: DeadlineLike = DEFAULT,
        profile: ModelProfile | None = None,
    ) -> ChatStream:
        """Open a stream for a body built with ``stream=True``."""
        http = self.http_client
        build = self._request_factory(http, body, extra_headers, timeout)
        exchange = self._exchange(build, stream=True, deadline=deadline)
        response, _ = send(http, exchange)

        def reopen(error: MixrouteError) -> httpx.Response:
            exchange.policy.sleep(exchange.wait_after(error))
            return send(http, exchange)[0]

        profile = profile or get_profile(str(body.get("model", "")))
        decoder, bounds = self._stream_parts(exchange, timeout, profile)
        return ChatStream(response, decoder, reopen, secret=exchange.secret, bounds=bounds)

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
    """The asynchronous client; the same arguments as :class:`MixrouteClient`, and one more.

    Its own pool is made per event loop, so it keeps working across ``asyncio.run`` calls,
    in Jupyter and under pytest (never "Event loop is closed"); each pool is closed on its
    own loop (see :mod:`mixroute.pools`). The pool runs on aiohttp when it is installed
    (``pip install 'mixroute[aiohttp]'``, part of the ``langchain`` and ``llama-index``
    extras), else on httpx's own transport; both honour the proxy variables and
    ``SSL_CERT_FILE``. A client you pass in as ``http_client`` is used as it is, on
    whatever loop you use it. A deadline cancels the call when it passes.
    """

    __doc__ = (
        (__doc__ or "")
        + _SETTINGS_DOC
        + """        async_transport: ``"auto"`` (aiohttp when installed, else httpx),
            ``"aiohttp"`` or ``"httpx"``: what the client's own pool runs on.
"""
    )

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
        deadline: float | None = DEFAULT_DEADLINE,
        stream_deadline: float | None = None,
        max_line_bytes: int = DEFAULT_MAX_LINE_BYTES,
        max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
        max_error_body_bytes: int = DEFAULT_MAX_ERROR_BODY_BYTES,
        async_transport: AsyncTransportName = "auto",
        integration: str | None = None,
    ) -> None:
        timeout = _own_timeout(timeout, http_client)
        super().__init__(
            api_key,
            base_url,
            timeout,
            max_retries,
            default_headers,
            retry_policy,
            deadline=deadline,
            stream_deadline=stream_deadline,
            max_line_bytes=max_line_bytes,
            max_body_bytes=max_body_bytes,
            max_error_body_bytes=max_error_body_bytes,
            async_transport=async_transport,
            integration=integration,
        )
        if http_client is not None:
            self._headers = _headers_for_their_client(self._headers, self.settings, http_client)
        self._user_http = http_client
        self.transport = resolve_async_transport(self.settings.async_transport)
        """What the client's own pool runs on: ``"aiohttp"`` or ``"httpx"``."""
        self._proxies = ProxyRules.from_environment()
        if http_client is None:
            self._proxies.check(
                socks=self.transport == "httpx" and socks_installed(),
                transport=f"async_transport={self.transport!r}",
            )
        self._pools = LoopPools(self._open_pool)

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(base_url={self.settings.base_url!r}, "
            f"max_retries={self.retry_policy.max_retries}, "
            f"async_transport={self.settings.async_transport!r} ({self.transport}), "
            "api_key=SecretStr('**********'))"
        )

    @property
    def http_client(self) -> httpx.AsyncClient:
        """The pool for the running event loop (yours, if you passed one in)."""
        if self._user_http is not None:
            return self._user_http
        return self._pools.get()

    def _owns(self, http: httpx.Client | httpx.AsyncClient) -> bool:
        return self._user_http is None

    def _open_pool(self) -> httpx.AsyncClient:
        context = _default_ssl_context()
        if self.transport == "aiohttp":
            from mixroute.aiohttp_transport import AiohttpTransport  # imports aiohttp: ~140 ms

            proxies = self._proxies
            transport = AiohttpTransport(
                ssl_context=context,
                limits=POOL_LIMITS,
                proxy_for=proxies.proxy_for if proxies else None,
            )
            return httpx.AsyncClient(
                timeout=self.settings.timeout, headers=self._headers, transport=transport
            )
        # httpx's own transport reads the proxy variables itself, by the rules ProxyRules
        # follows, when the pool is made.
        return httpx.AsyncClient(
            timeout=self.settings.timeout,
            headers=self._headers,
            limits=POOL_LIMITS,
            verify=context,
            trust_env=True,
        )

    async def create(
        self,
        model: str,
        messages: Sequence[Any],
        *,
        extra_headers: Mapping[str, str] | None = None,
        timeout: TimeoutLike = None,
        deadline: DeadlineLike = DEFAULT,
        profile: ModelProfile | None = None,
        **options: Unpack[ChatOptions],
    ) -> ChatCompletion:
        """Send a chat completion and return the parsed answer."""
        profile = profile or get_profile(model)
        body = build_request_body(model, messages, profile=profile, **options)
        return await self.send(
            body, extra_headers=extra_headers, timeout=timeout, deadline=deadline, profile=profile
        )

    def stream(
        self,
        model: str,
        messages: Sequence[Any],
        *,
        include_usage: bool = True,
        extra_headers: Mapping[str, str] | None = None,
        timeout: TimeoutLike = None,
        deadline: DeadlineLike = DEFAULT,
        profile: ModelProfile | None = None,
        **options: Unpack[ChatOptions],
    ) -> StreamOpener:
        """A streamed chat completion, opened by ``async with`` or by ``await``.

        ``async with client.stream(...) as stream:`` opens it and closes it after the
        block; ``stream = await client.stream(...)`` opens it, and you ``aclose`` it. The
        request is checked now and sent only then.
        """
        profile = profile or get_profile(model)
        body = build_request_body(
            model, messages, stream=True, include_usage=include_usage, profile=profile, **options
        )
        return self.send_stream(
            body, extra_headers=extra_headers, timeout=timeout, deadline=deadline, profile=profile
        )

    async def send(
        self,
        body: Mapping[str, Any],
        *,
        extra_headers: Mapping[str, str] | None = None,
        timeout: TimeoutLike = None,
        deadline: DeadlineLike = DEFAULT,
        profile: ModelProfile | None = None,
    ) -> ChatCompletion:
        """Send a body built by :meth:`build_request` and parse the answer."""
        http = self.http_client
        build = self._request_factory(http, body, extra_headers, timeout)
        exchange = self._exchange(build, stream=False, deadline=deadline)
        response, content = await send_async(http, exchange)
        assert content is not None
        return self._parse(response, content, profile or get_profile(str(body.get("model", ""))))

    def send_stream(
        self,
        body: Mapping[str, Any],
        *,
        extra_headers: Mapping[str, str] | None = None,
        timeout: TimeoutLike = None,
        deadline: DeadlineLike = DEFAULT,
        profile: ModelProfile | None = None,
    ) -> StreamOpener:
        """A stream for a body built with ``stream=True``: ``await`` it or ``async with`` it."""
        return StreamOpener(
            functools.partial(self._open_stream, body, extra_headers, timeout, deadline, profile)
        )

    async def _open_stream(
        self,
        body: Mapping[str, Any],
        extra_headers: Mapping[str, str] | None,
        timeout: TimeoutLike,
        deadline: DeadlineLike,
        profile: ModelProfile | None,
    ) -> AsyncChatStream:
        http = self.http_client
        build = self._request_factory(http, body, extra_headers, timeout)
        exchange = self._exchange(build, stream=True, deadline=deadline)
        response, _ = await send_async(http, exchange)

        async def reopen(error: MixrouteError) -> httpx.Response:
            await exchange.policy.asleep(exchange.wait_after(error))
            return (await send_async(http, exchange))[0]

        profile = profile or get_profile(str(body.get("model", "")))
        decoder, bounds = self._stream_parts(exchange, timeout, profile)
        return AsyncChatStream(response, decoder, reopen, secret=exchange.secret, bounds=bounds)

    async def aclose(self) -> None:
        """Close the pools this client opened (never a client you passed in).

        This loop's pool is closed here; a pool on a loop running in another thread is
        closed on that loop.
        """
        await self._pools.aclose()

    async def __aenter__(self) -> AsyncMixrouteClient:
        return self

    async def __aexit__(
        self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()
