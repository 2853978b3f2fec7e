"""The Mixroute clients, sync and async: pooled, retrying, typed, and safe with the key.

:class:`MixrouteClient` and :class:`AsyncMixrouteClient` send ``POST /chat/completions``,
plain (:meth:`~MixrouteClient.create`) or streamed (:meth:`~MixrouteClient.stream`);
both framework adapters run on them.

>>> client = MixrouteClient(api_key="sk-...")  # doctest: +SKIP
>>> client.create("glm-5", [UserMessage("Briefly introduce AI")]).message.content  # doctest: +SKIP
"""

from __future__ import annotations

import functools
import json
import os
import ssl
from collections.abc import Callable, Mapping, Sequence
from types import TracebackType
from typing import Any, Unpack

import httpx
from pydantic import SecretStr

from mixroute import jsonsafe
from mixroute.answer_policy import AnswerPolicy, plan_request
from mixroute.errors import (
    APIResponseValidationError,
    ConfigurationError,
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
    SettingsArguments,
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
from mixroute.transport import (
    Answered,
    Exchange,
    Outgoing,
    redact_error,
    send,
    send_async,
    send_plain_async,
)
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
    try:
        return httpx.create_ssl_context()
    except (OSError, ssl.SSLError) as exc:  # a missing or unreadable CA file or folder
        where = f"SSL_CERT_FILE={cert_file!r}" if cert_file else f"SSL_CERT_DIR={cert_dir!r}"
        raise ConfigurationError(
            f"cannot load the CA certificates named by {where}: {exc}. Point it at a "
            "readable PEM bundle, or unset it to use the bundled certifi CAs."
        ) from None


class _Default:
    """The type of :data:`DEFAULT`: "the client's own setting", as opposed to ``None``."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "DEFAULT"


DEFAULT = _Default()
"""Per call, ``deadline=DEFAULT`` (the default) means the client's own deadline."""

DeadlineLike = float | int | None | _Default


_HTTPX_DEFAULT_TIMEOUT = httpx.Timeout(5.0)

# What json.dumps(body, ensure_ascii=False, allow_nan=False) makes, without a new encoder
# per call. allow_nan=False: NaN and Infinity are not JSON, and a gateway would reject them.
_JSON = json.JSONEncoder(ensure_ascii=False, allow_nan=False)


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

    _pool_proxies: ProxyRules | None = None  # the own pool's proxies, named when one is down

    def __init__(
        self,
        api_key: str | SecretStr | None,
        http_client: httpx.Client | httpx.AsyncClient | None,
        retry_policy: RetryPolicy | None,
        **settings: Unpack[SettingsArguments],
    ) -> None:
        settings["timeout"] = _own_timeout(settings.get("timeout"), http_client)
        self.settings = ClientSettings.resolve(api_key, **settings)
        self.retry_policy = retry_policy or RetryPolicy(max_retries=self.settings.max_retries)
        self._headers = self.settings.headers()
        if http_client is not None:
            self._headers = _headers_for_their_client(self._headers, self.settings, http_client)
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
            proxies=self._pool_proxies,
        )

    def _as_stream(
        self,
        body: Mapping[str, Any],
        extra_headers: Mapping[str, str] | None,
        timeout: TimeoutLike,
        deadline: DeadlineLike,
        profile: ModelProfile,
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """``send_stream``'s body and arguments for a plain call to a streaming-only model.

        The body asks for a stream and its usage, as :meth:`stream` does (``stream_options``
        given are kept); the deadline stays the plain call's, not ``stream_deadline``.
        """
        streamed = {**body, "stream": True}
        streamed.setdefault("stream_options", {"include_usage": True})
        if isinstance(deadline, _Default):
            deadline = self.settings.deadline
        args: dict[str, Any] = {"extra_headers": extra_headers, "timeout": timeout}
        return streamed, {**args, "deadline": deadline, "profile": profile}

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
        shown = ", ".join(self._repr_fields())
        return f"{type(self).__name__}({shown}, api_key=SecretStr('**********'))"

    def _repr_fields(self) -> list[str]:
        return [
            f"base_url={self.settings.base_url!r}",
            f"max_retries={self.retry_policy.max_retries}",
        ]

    def build_request(
        self,
        model: str,
        messages: Sequence[Any],
        *,
        stream: bool = False,
        profile: ModelProfile | None = None,
        **options: Unpack[ChatOptions],
    ) -> dict[str, Any]:
        """Build the request body that :meth:`create` or :meth:`stream` would send.

        Nothing is sent. The body alone carries no answer policy: to send it with one,
        plan it with :func:`~mixroute.answer_policy.plan_request` and pass both to
        :meth:`send` (or call :meth:`create`).

        Args:
            model: the model id, passed through as it is.
            messages: typed messages (:class:`~mixroute.UserMessage`, ...) or wire dicts.
            stream: build a streamed request (``stream: true``, usage asked for).
            profile: the model's capabilities; looked up from ``model`` when omitted.
            **options: the request options of :class:`~mixroute.ChatOptions`.

        Returns:
            The JSON body, a dict.

        Raises:
            InvalidRequestError: a bad model id, message or option (the message names it).

        """
        return build_request_body(model, messages, stream=stream, profile=profile, **options)

    def _request_factory(
        self,
        http: httpx.Client | httpx.AsyncClient,
        body: Mapping[str, Any],
        extra_headers: Mapping[str, str] | None,
        timeout: TimeoutLike,
    ) -> Any:
        # Built per try with build_request, not Request(): a client passed in keeps its
        # own headers and hooks.
        return Outgoing(http, self._url, *self._request_parts(http, body, extra_headers, timeout))

    def _request_parts(
        self,
        http: httpx.Client | httpx.AsyncClient,
        body: Mapping[str, Any],
        extra_headers: Mapping[str, str] | None,
        timeout: TimeoutLike,
    ) -> tuple[bytes, Mapping[str, str] | None, httpx.Timeout]:
        """The JSON content, the per-call headers and the timeout of one call's request."""
        try:
            content = _JSON.encode(body).encode()
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
        return content, headers, per_call

    def _owns(self, http: httpx.Client | httpx.AsyncClient) -> bool:
        raise NotImplementedError

    def _parse(self, response: Answered, content: bytes, profile: ModelProfile) -> ChatCompletion:
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

_SETTINGS_RAISES = """
    Raises:
        ConfigurationError: no API key (neither ``api_key`` nor ``MIXROUTE_API_KEY``), a
            ``base_url`` that is not an http(s) URL, or a setting out of range (a timeout
            or deadline that is not positive seconds, ``max_retries`` below 0, ...); the
            message names the setting and what to give.
"""

_SETTINGS_ATTRIBUTES = """\
        settings: the resolved settings (base URL, timeout, limits; the key as a
            ``SecretStr``).
        retry_policy: the backoff in use, with its ``max_retries``.
"""


class MixrouteClient(_BaseClient):
    """A synchronous client for ``POST /chat/completions``.

    Its own pool honours ``HTTP_PROXY``, ``HTTPS_PROXY``, ``ALL_PROXY`` and ``NO_PROXY``
    (read when the client is made, by httpx's rules) and ``SSL_CERT_FILE``; each socket
    read is cut to the call's deadline, so a server that drips bytes cannot hold a call
    past it. Use it as a context manager, or call :meth:`close`, to close its pool.

    ```python
    from mixroute import MixrouteClient, SystemMessage, UserMessage

    with MixrouteClient() as client:  # the key and base URL from the environment
        answer = client.create(
            "glm-5",
            [SystemMessage("Answer briefly."), UserMessage("What is an API gateway?")],
            temperature=0.7,
        )
        print(answer.message.content, answer.finish_reason, answer.usage)

        with client.stream("glm-5", [{"role": "user", "content": "Count to three."}]) as stream:
            for delta in stream:
                print(delta.content or "", end="", flush=True)
        print()
        print(stream.completion.usage)  # the assembled answer, shaped as create()'s
    ```
    """

    __doc__ = (
        (__doc__ or "")
        + _SETTINGS_DOC
        + _SETTINGS_RAISES
        + """
    Attributes:
        http_client: the ``httpx.Client`` requests go through (yours, if you passed one).
"""
        + _SETTINGS_ATTRIBUTES
    )

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
        super().__init__(
            api_key,
            http_client,
            retry_policy,
            base_url=base_url,
            timeout=timeout,
            max_retries=max_retries,
            default_headers=default_headers,
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
            self._pool_proxies = proxies
            transport = SyncTransport(
                ssl_context=_default_ssl_context(), limits=POOL_LIMITS, proxies=proxies
            )
            http_client = httpx.Client(
                timeout=self.settings.timeout, headers=self._headers, transport=transport
            )
        self.http_client = http_client
        # Parsed once: httpx would parse the URL string again for every request.
        self._parsed_url = httpx.URL(self._url)

    def _owns(self, http: httpx.Client | httpx.AsyncClient) -> bool:
        return self._owns_http

    def _request_factory(
        self,
        http: httpx.Client | httpx.AsyncClient,
        body: Mapping[str, Any],
        extra_headers: Mapping[str, str] | None,
        timeout: TimeoutLike,
    ) -> Callable[[], httpx.Request]:
        # Built per try with build_request, not Request(): a client passed in keeps its
        # own headers and hooks.
        content, headers, per_call = self._request_parts(http, body, extra_headers, timeout)
        return functools.partial(
            http.build_request,
            "POST",
            self._parsed_url,
            content=content,
            headers=headers,
            timeout=per_call,
        )

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

        The request is checked and built by :func:`~mixroute.answer_policy.plan_request`
        (against the model's profile) before anything is sent, then sent with retries;
        its answer policy is applied (a weakened ``tool_choice`` asked once more, an
        emulated ``response_format`` returned as content). A model that answers only when
        streamed (its profile's ``streaming_only``, QwQ) is asked for a stream, which is
        read to its end and returned assembled, as a plain answer; the plain call's
        ``deadline`` holds.

        Args:
            model: the model id, passed through as it is (``"glm-5"``, ``"gpt-4o"``).
            messages: typed messages (:class:`~mixroute.UserMessage`, ...) or
                OpenAI-style dicts.
            extra_headers: headers for this call only, laid over the client's.
            timeout: seconds, a ``(connect, read)`` pair or an ``httpx.Timeout`` for this
                call; ``None``: the client's.
            deadline: seconds the whole call may take, retries and backoff included;
                ``None`` for none; by default the client's ``deadline``.
            profile: the model's capabilities; by default :func:`~mixroute.get_profile`
                of ``model``.
            **options: the request options of :class:`~mixroute.ChatOptions`
                (``temperature``, ``tools``, ``response_format``, ...).

        Returns:
            The parsed answer: ``.message`` (content, reasoning, tool calls),
            ``.finish_reason``, ``.usage``, ``.citations``.

        Raises:
            InvalidRequestError: a bad model id, message or option, before sending.
            APIStatusError: the server answered 4xx or 5xx after the retries
                (:class:`~mixroute.AuthenticationError`, :class:`~mixroute.RateLimitError`,
                ...).
            APIConnectionError: the server could not be reached or the connection broke;
                :class:`~mixroute.APITimeoutError` when the timeout or deadline ran out.
            APIResponseValidationError: a 2xx answer that is not a chat completion.
            APIStreamError: a streaming-only model's stream sent an error object; what
                had arrived is its ``partial``.
            ToolCallNotMadeError: a weakened forcing ``tool_choice`` got no tool call,
                twice.

        """
        profile = profile or get_profile(model)
        planned = plan_request(model, messages, profile=profile, **options)
        return self.send(
            planned.body,
            extra_headers=extra_headers,
            timeout=timeout,
            deadline=deadline,
            profile=profile,
            policy=planned.policy,
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

        Use it as a context manager (``with client.stream(...) as stream:``), which closes
        it, or call ``stream.close()``. Each item is a :class:`~mixroute.ChunkDelta`
        (``content``, ``reasoning``, ``tool_calls`` fragments, ``finish_reason``,
        ``usage``); ``stream.completion`` is the assembled answer once iteration ends.

        Args:
            model: the model id, passed through as it is.
            messages: typed messages or OpenAI-style dicts.
            include_usage: ask for token usage in the last chunk
                (``stream_options.include_usage``), unless ``stream_options`` is given.
            extra_headers: headers for this call only.
            timeout: as for :meth:`create`; its read timeout bounds the wait for each
                complete line.
            deadline: seconds the whole stream may take; ``None`` for none; by default
                the client's ``stream_deadline``.
            profile: the model's capabilities; looked up from ``model`` when omitted.
            **options: the request options of :class:`~mixroute.ChatOptions`.

        Returns:
            The open stream, a :class:`~mixroute.ChatStream`.

        Raises:
            InvalidRequestError: a bad model id, message or option, before sending.
            APIStatusError: the server refused the stream (4xx or 5xx, after retries).
            APIConnectionError: no connection, or it broke; while iterating too, with what
                had arrived in ``partial`` (:class:`~mixroute.APITimeoutError` when a line
                took longer than the read timeout or the deadline passed).
            APIStreamError: while iterating, an error object sent inside the stream.
            ToolCallNotMadeError: while iterating, a weakened forcing ``tool_choice`` got
                no tool call, twice.

        """
        profile = profile or get_profile(model)
        planned = plan_request(
            model, messages, stream=True, include_usage=include_usage, profile=profile, **options
        )
        return self.send_stream(
            planned.body,
            extra_headers=extra_headers,
            timeout=timeout,
            deadline=deadline,
            profile=profile,
            policy=planned.policy,
        )

    def send(
        self,
        body: Mapping[str, Any],
        *,
        extra_headers: Mapping[str, str] | None = None,
        timeout: TimeoutLike = None,
        deadline: DeadlineLike = DEFAULT,
        profile: ModelProfile | None = None,
        policy: AnswerPolicy | None = None,
    ) -> ChatCompletion:
        """Send a body built by :meth:`build_request` and parse the answer.

        The body is sent as it is (it must be JSON); nothing in it is checked again, except
        that a ``streaming_only`` model's body is sent with ``stream: true`` and the stream
        assembled (see :meth:`create`).

        ```python
        from mixroute import MixrouteClient
        from mixroute.answer_policy import plan_request

        with MixrouteClient() as client:
            planned = plan_request("gpt-4o", [{"role": "user", "content": "Hi"}], seed=7)
            answer = client.send(planned.body, policy=planned.policy, timeout=30)
            print(answer.message.content)
        ```

        Args:
            body: the request body, from :meth:`build_request` or
                :func:`~mixroute.answer_policy.plan_request` (``.body``).
            extra_headers: headers for this call only.
            timeout: as for :meth:`create`.
            deadline: as for :meth:`create`.
            profile: the model's capabilities, used to parse the answer (inline
                ``<think>`` tags); looked up from ``body["model"]`` when omitted.
            policy: the answer policy from
                :func:`~mixroute.answer_policy.plan_request`, applied to the answer (a
                second request when a weakened ``tool_choice`` got no tool call).

        Returns:
            The parsed answer, a :class:`~mixroute.ChatCompletion`.

        Raises:
            InvalidRequestError: the body is not JSON (NaN, a set, an object) or
                ``extra_headers`` is not ASCII text.
            APIStatusError: the server answered 4xx or 5xx after the retries.
            APIConnectionError: no connection, a broken one, or a timeout.
            APIResponseValidationError: a 2xx answer that is not a chat completion.
            ToolCallNotMadeError: the ``policy`` asked once more and still got no call.

        """
        if policy is not None and policy.active:
            args: dict[str, Any] = {
                "extra_headers": extra_headers,
                "timeout": timeout,
                "deadline": deadline,
            }
            first = self.send(body, profile=profile, **args)
            return policy.settle(
                body, first, lambda again: self.send(again, profile=profile, **args)
            )
        profile = profile or get_profile(str(body.get("model", "")))
        if profile.streaming_only:
            streamed, args = self._as_stream(body, extra_headers, timeout, deadline, profile)
            with self.send_stream(streamed, **args) as stream:
                for _ in stream:
                    pass
            return stream.completion
        build = self._request_factory(self.http_client, body, extra_headers, timeout)
        exchange = self._exchange(build, stream=False, deadline=deadline)
        response, content = send(self.http_client, exchange)
        assert content is not None
        return self._parse(response, content, profile)

    def send_stream(
        self,
        body: Mapping[str, Any],
        *,
        extra_headers: Mapping[str, str] | None = None,
        timeout: TimeoutLike = None,
        deadline: DeadlineLike = DEFAULT,
        profile: ModelProfile | None = None,
        policy: AnswerPolicy | None = None,
    ) -> ChatStream:
        """Open a stream for a body built with ``stream=True``, with its answer ``policy``.

        Args:
            body: the request body, built with ``stream=True``.
            extra_headers: headers for this call only.
            timeout: as for :meth:`stream`.
            deadline: as for :meth:`stream`.
            profile: the model's capabilities; looked up from ``body["model"]`` when
                omitted.
            policy: the answer policy from :func:`~mixroute.answer_policy.plan_request`,
                applied as the answer streams (see :mod:`mixroute.policy_stream`).

        Returns:
            The open stream, a :class:`~mixroute.ChatStream`: iterate it, then close it.

        Raises:
            InvalidRequestError: the body is not JSON or a header is not ASCII text.
            APIStatusError: the server refused the stream (after the retries).
            APIConnectionError: no connection, a broken one, or a timeout (while
                iterating too, with ``partial``).
            APIStreamError: while iterating, an error object sent inside the stream.

        """
        if policy is not None and policy.active:
            from mixroute.policy_stream import PolicyChatStream

            args: dict[str, Any] = {
                "extra_headers": extra_headers,
                "timeout": timeout,
                "deadline": deadline,
            }
            first = self.send_stream(body, profile=profile, **args)
            return PolicyChatStream(
                first, policy, body, lambda again: self.send_stream(again, profile=profile, **args)
            )
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
        """Close the connection pool (not a client you passed in); safe to call twice."""
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

    ```python
    import asyncio

    from mixroute import AsyncMixrouteClient, UserMessage


    async def main() -> None:
        async with AsyncMixrouteClient() as client:  # key and base URL from the environment
            answer = await client.create("glm-5", [UserMessage("What is an API gateway?")])
            print(answer.message.content, answer.usage)

            async with client.stream("glm-5", [UserMessage("Count to three.")]) as stream:
                async for delta in stream:
                    print(delta.content or "", end="", flush=True)
            print()
            print(stream.completion.usage)


    asyncio.run(main())
    ```
    """

    __doc__ = (
        (__doc__ or "")
        + _SETTINGS_DOC
        + """        async_transport: ``"auto"`` (aiohttp when installed, else httpx),
            ``"aiohttp"`` or ``"httpx"``: what the client's own pool runs on.
"""
        + _SETTINGS_RAISES
        + """
    Attributes:
        transport: what the client's own pool runs on, ``"aiohttp"`` or ``"httpx"``.
"""
        + _SETTINGS_ATTRIBUTES
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
        super().__init__(
            api_key,
            http_client,
            retry_policy,
            base_url=base_url,
            timeout=timeout,
            max_retries=max_retries,
            default_headers=default_headers,
            deadline=deadline,
            stream_deadline=stream_deadline,
            max_line_bytes=max_line_bytes,
            max_body_bytes=max_body_bytes,
            max_error_body_bytes=max_error_body_bytes,
            async_transport=async_transport,
            integration=integration,
        )
        self._user_http = http_client
        self.transport = resolve_async_transport(self.settings.async_transport)
        """What the client's own pool runs on: ``"aiohttp"`` or ``"httpx"``."""
        if http_client is None:
            self._pool_proxies = ProxyRules.from_environment()
            self._pool_proxies.check(
                socks=self.transport == "httpx" and socks_installed(),
                transport=f"async_transport={self.transport!r}",
            )
        self._pools = LoopPools(self._open_pool)

    def _repr_fields(self) -> list[str]:
        transport = f"async_transport={self.settings.async_transport!r} ({self.transport})"
        return [*super()._repr_fields(), transport]

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
            # imports aiohttp: ~140 ms
            from mixroute.aiohttp_transport import AiohttpPool, AiohttpTransport

            proxies = self._pool_proxies
            transport = AiohttpTransport(
                ssl_context=context,
                limits=POOL_LIMITS,
                proxy_for=proxies.proxy_for if proxies else None,
            )
            # Plain calls skip httpx's request and response objects (see AiohttpPool).
            return AiohttpPool(
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
        """Send a chat completion and return the parsed answer (see :meth:`MixrouteClient.create`).

        A deadline cancels the call when it passes. A ``streaming_only`` model is asked
        for a stream, returned assembled.

        Args:
            model: the model id, passed through as it is.
            messages: typed messages or OpenAI-style dicts.
            extra_headers: headers for this call only.
            timeout: seconds, a ``(connect, read)`` pair or an ``httpx.Timeout``;
                ``None``: the client's.
            deadline: seconds the whole call may take, retries included; ``None`` for
                none; by default the client's.
            profile: the model's capabilities; looked up from ``model`` when omitted.
            **options: the request options of :class:`~mixroute.ChatOptions`.

        Returns:
            The parsed answer, a :class:`~mixroute.ChatCompletion`.

        Raises:
            InvalidRequestError: a bad model id, message or option, before sending.
            APIStatusError: the server answered 4xx or 5xx after the retries.
            APIConnectionError: no connection, a broken one, or a timeout
                (:class:`~mixroute.APITimeoutError`, the deadline's too).
            APIResponseValidationError: a 2xx answer that is not a chat completion.
            APIStreamError: a streaming-only model's stream sent an error object; what
                had arrived is its ``partial``.
            ToolCallNotMadeError: a weakened forcing ``tool_choice`` got no tool call,
                twice.

        """
        profile = profile or get_profile(model)
        planned = plan_request(model, messages, profile=profile, **options)
        return await self.send(
            planned.body,
            extra_headers=extra_headers,
            timeout=timeout,
            deadline=deadline,
            profile=profile,
            policy=planned.policy,
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

        Args:
            model: the model id, passed through as it is.
            messages: typed messages or OpenAI-style dicts.
            include_usage: ask for token usage in the last chunk, unless
                ``stream_options`` is given.
            extra_headers: headers for this call only.
            timeout: as for :meth:`create`; its read timeout bounds the wait for each
                complete line.
            deadline: seconds the whole stream may take; ``None`` for none; by default
                the client's ``stream_deadline``.
            profile: the model's capabilities; looked up from ``model`` when omitted.
            **options: the request options of :class:`~mixroute.ChatOptions`.

        Returns:
            A :class:`~mixroute.stream_opener.StreamOpener`; opened, an
            :class:`~mixroute.AsyncChatStream` of :class:`~mixroute.ChunkDelta` items.

        Raises:
            InvalidRequestError: a bad model id, message or option, raised here.
            APIStatusError: on opening, the server refused the stream.
            APIConnectionError: on opening or while iterating (with ``partial``), no
                connection, a broken one, or a timeout.
            APIStreamError: while iterating, an error object sent inside the stream.

        """
        profile = profile or get_profile(model)
        planned = plan_request(
            model, messages, stream=True, include_usage=include_usage, profile=profile, **options
        )
        return self.send_stream(
            planned.body,
            extra_headers=extra_headers,
            timeout=timeout,
            deadline=deadline,
            profile=profile,
            policy=planned.policy,
        )

    async def send(
        self,
        body: Mapping[str, Any],
        *,
        extra_headers: Mapping[str, str] | None = None,
        timeout: TimeoutLike = None,
        deadline: DeadlineLike = DEFAULT,
        profile: ModelProfile | None = None,
        policy: AnswerPolicy | None = None,
    ) -> ChatCompletion:
        """Send a body built by :meth:`build_request` and parse the answer (and ``policy``).

        Args:
            body: the request body, from :meth:`build_request` or
                :func:`~mixroute.answer_policy.plan_request` (``.body``).
            extra_headers: headers for this call only.
            timeout: as for :meth:`create`.
            deadline: as for :meth:`create`.
            profile: the model's capabilities; looked up from ``body["model"]`` when
                omitted.
            policy: the answer policy from :func:`~mixroute.answer_policy.plan_request`.

        Returns:
            The parsed answer, a :class:`~mixroute.ChatCompletion`.

        Raises:
            InvalidRequestError: the body is not JSON or a header is not ASCII text.
            APIStatusError: the server answered 4xx or 5xx after the retries.
            APIConnectionError: no connection, a broken one, or a timeout.
            APIResponseValidationError: a 2xx answer that is not a chat completion.
            ToolCallNotMadeError: the ``policy`` asked once more and still got no call.

        """
        if policy is not None and policy.active:
            args: dict[str, Any] = {
                "extra_headers": extra_headers,
                "timeout": timeout,
                "deadline": deadline,
            }
            first = await self.send(body, profile=profile, **args)

            async def resend(again: dict[str, Any]) -> ChatCompletion:
                return await self.send(again, profile=profile, **args)

            return await policy.asettle(body, first, resend)
        profile = profile or get_profile(str(body.get("model", "")))
        if profile.streaming_only:
            streamed, args = self._as_stream(body, extra_headers, timeout, deadline, profile)
            async with self.send_stream(streamed, **args) as stream:
                async for _ in stream:
                    pass
            return stream.completion
        http = self.http_client
        build = self._request_factory(http, body, extra_headers, timeout)
        exchange = self._exchange(build, stream=False, deadline=deadline)
        response, content = await send_plain_async(http, exchange)
        return self._parse(response, content, profile)

    def send_stream(
        self,
        body: Mapping[str, Any],
        *,
        extra_headers: Mapping[str, str] | None = None,
        timeout: TimeoutLike = None,
        deadline: DeadlineLike = DEFAULT,
        profile: ModelProfile | None = None,
        policy: AnswerPolicy | None = None,
    ) -> StreamOpener:
        """A stream for a body built with ``stream=True``: ``await`` it or ``async with`` it.

        Nothing is sent until it is opened.

        Args:
            body: the request body, built with ``stream=True``.
            extra_headers: headers for this call only.
            timeout: as for :meth:`stream`.
            deadline: as for :meth:`stream`.
            profile: the model's capabilities; looked up from ``body["model"]`` when
                omitted.
            policy: the answer policy, applied to the answer as it streams (see
                :mod:`mixroute.policy_stream`).

        Returns:
            A :class:`~mixroute.stream_opener.StreamOpener` for an
            :class:`~mixroute.AsyncChatStream`.

        Raises:
            InvalidRequestError: on opening, the body is not JSON or a header not ASCII.
            APIStatusError: on opening, the server refused the stream.
            APIConnectionError: on opening or while iterating, no connection, a broken
                one, or a timeout.
            APIStreamError: while iterating, an error object sent inside the stream.

        """
        if policy is not None and policy.active:
            from mixroute.policy_stream import open_async_policy_stream

            def open_body(again: Mapping[str, Any]) -> Any:
                return self._open_stream(again, extra_headers, timeout, deadline, profile)

            return StreamOpener(
                functools.partial(open_async_policy_stream, policy, body, open_body)
            )
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
