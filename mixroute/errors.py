"""The typed errors of the Mixroute client, one hierarchy for every failure.

```
MixrouteError                      base of everything this package raises
├── InvalidRequestError (ValueError)   bad input, caught before anything is sent
├── ConfigurationError (ValueError)    a missing API key or an unusable setting
├── OutputTruncatedError               the answer hit the token limit before it was usable
├── ToolCallNotMadeError               a forcing tool_choice the model cannot take went unheeded
└── APIError                           something went wrong talking to the server
    ├── APIStatusError                 the server answered with a 4xx or 5xx status
    │   ├── BadRequestError            400
    │   ├── AuthenticationError        401
    │   ├── PermissionDeniedError      403
    │   ├── NotFoundError              404
    │   ├── ConflictError              409
    │   ├── UnprocessableEntityError   422
    │   ├── RateLimitError             429  (``retry_after`` in seconds)
    │   └── InternalServerError        5xx
    ├── APIConnectionError             no usable answer: refused, reset, cut mid-stream
    │   └── APITimeoutError            the configured timeout ran out
    ├── APIStreamError                 an error object sent inside an HTTP-200 stream
    └── APIResponseValidationError     a 2xx answer that is not a chat completion
```

:class:`MixrouteWarning` (a ``UserWarning``) is what the package warns with: a request
sent in a weaker form than asked, such as a forcing ``tool_choice`` a model cannot take.

The attribute names follow openai-python (``status_code``, ``body``, ``request_id``,
``response``, ``code``, ``type``, ``param``) so code written against it reads the same.
An error raised after part of a stream was delivered carries what had arrived in
``partial`` (a :class:`mixroute.AssistantMessage`), so nothing received is lost.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

from mixroute import jsonsafe
from mixroute.retry import retry_after_seconds
from mixroute.url_advice import is_route_miss, requested

if TYPE_CHECKING:  # annotations only: importing the errors does not import httpx
    import httpx

    from mixroute.response import AssistantMessage

__all__ = [
    "APIConnectionError",
    "APIError",
    "APIResponseValidationError",
    "APIStatusError",
    "APIStreamError",
    "APITimeoutError",
    "AuthenticationError",
    "BadRequestError",
    "ConfigurationError",
    "ConflictError",
    "CutOffPart",
    "InternalServerError",
    "InvalidRequestError",
    "MixrouteError",
    "MixrouteWarning",
    "NotFoundError",
    "OutputTruncatedError",
    "PermissionDeniedError",
    "RateLimitError",
    "ToolCallNotMadeError",
    "UnprocessableEntityError",
    "cut_off_text",
]


class MixrouteError(Exception):
    """Base class of every error raised by this package.

    Catch it to handle every failure of a call in one place; its subclasses say which.

    Attributes:
        partial: what a stream had delivered before it failed (a
            :class:`mixroute.AssistantMessage`), if it had started; else ``None``.

    """

    partial: AssistantMessage | None = None
    """What a stream had delivered before it failed, if it had started."""


class InvalidRequestError(MixrouteError, ValueError):
    """An input that cannot be sent; the message says what to change.

    Raised before anything is sent: a bad message or content part, an option out of
    range or of the wrong type, a misspelt option (with the closest known name), or one
    the model's profile refuses. The adapters raise it for a bad per-call option.
    """


class ConfigurationError(MixrouteError, ValueError):
    """A client setting that is missing or unusable (for example no API key).

    Raised when a client, a ``ChatMixroute`` or a ``Mixroute`` is made (or a setting of
    one is changed): a setting given at construction is wrong, where the same mistake in
    one call's options is an :class:`InvalidRequestError`.
    """


class OutputTruncatedError(MixrouteError):
    """The answer stopped at the token limit (``finish_reason`` ``length``) unfinished.

    Raised where a cut-off answer cannot be used, such as structured output, instead of
    the confusing failure of parsing half a JSON object.

    Args:
        message: the message; by default one naming the limit and what to do
            (:func:`cut_off_text`).
        max_tokens: the limit the answer hit, when known.
        raw: the answer as the caller's framework returned it.

    Attributes:
        max_tokens: the limit the answer hit, when known.
        raw: the answer as the caller's framework returned it, so nothing received is
            lost.

    """

    def __init__(
        self, message: str | None = None, *, max_tokens: int | None = None, raw: object = None
    ) -> None:
        super().__init__(message or cut_off_text("answer", value=max_tokens))
        self.max_tokens = max_tokens
        self.raw = raw


CutOffPart = Literal["answer", "structured output", "tool call"]
"""What an answer cut off at the token limit was to give."""

_CUT_OFF_WORDING: dict[str, tuple[str, str, str]] = {
    # what was cut off, what was left unfinished, what else to do
    "answer": ("The answer was", "it was", " or ask for a shorter answer"),
    "structured output": (
        "The structured output was",
        "the JSON was",
        " (on the model or in the call) or shorten the schema or the prompt",
    ),
    "tool call": (
        "The tool call's arguments were",
        "the JSON was",
        " (on the model or in the call) or shorten the schema or the prompt",
    ),
}


def cut_off_text(part: CutOffPart, field: str | None = None, value: int | None = None) -> str:
    """The message of an answer cut off at the token limit: its one wording.

    ``field`` and ``value`` name the limit the request sent (``max_completion_tokens``,
    ``50``); ``field`` without ``value`` says none was sent, so the model's own applied;
    ``value`` alone names the number only. The adapters' message comes from
    :func:`mixroute.cut_off.cut_off_error`, which reads the limit from the body sent.

    >>> print(cut_off_text("answer", value=5))
    The answer was cut off at the token limit of 5 tokens before it was complete \
(finish_reason 'length'); raise max_tokens or ask for a shorter answer.
    """
    subject, unfinished, advice = _CUT_OFF_WORDING[part]
    if field is None:
        limit, change = ("" if value is None else f" of {value} tokens"), "raise max_tokens"
    elif value is None:
        limit, change = f" (the model's own: {field} was not set)", f"set {field}"
    else:
        limit, change = f" ({field}={value})", f"raise {field}"
    return (
        f"{subject} cut off at the token limit{limit} before {unfinished} complete "
        f"(finish_reason 'length'); {change}{advice}."
    )


class ToolCallNotMadeError(MixrouteError):
    """A forcing ``tool_choice`` was sent in a weaker form, and the model called no tool.

    The model's profile cannot take the form asked (``"required"`` or a named tool), so
    it was sent as the strongest form it takes (``tool_choice_fallback="degrade"``); the
    model answered without a tool call, and again when asked once more. The message
    says what to try.

    Args:
        model: the model id.
        tools: the names of the tools it was to call.
        raw: the last answer.

    Attributes:
        model: the model id.
        tools: the names of the tools it was to call (any of them).
        raw: the last answer (a :class:`mixroute.ChatCompletion`).

    """

    def __init__(self, model: str, tools: tuple[str, ...] = (), *, raw: object = None) -> None:
        which = " or ".join(repr(name) for name in tools) if tools else "a tool"
        super().__init__(
            f"Model {model!r} called no tool although {which} had to be called: its profile "
            "takes no forcing tool_choice, so the choice was sent as the strongest form it "
            "takes, and it answered in text twice. Use a model that takes tool_choice "
            "'required' (GPT, Claude, Gemini, Qwen, ...), reword the prompt, or pass "
            "tool_choice_fallback='refuse' to be told before anything is sent."
        )
        self.model = model
        self.tools = tools
        self.raw = raw

    def __reduce__(self) -> tuple[Any, ...]:
        # Rebuilt from its fields, not its message: it crosses process boundaries intact.
        return (type(self), (self.model, self.tools), {"raw": self.raw})


class MixrouteWarning(UserWarning):
    """A warning from this package: a request went out in a weaker form than asked.

    Such as a forcing ``tool_choice`` sent as ``"auto"`` to a model that takes no
    stronger one; each model and form warns once per process. Silence it with
    ``warnings.filterwarnings("ignore", category=MixrouteWarning)``, or make it an error
    with ``"error"``.
    """


class APIError(MixrouteError):
    """A failure in the exchange with the server.

    Attributes:
        message: the server's own message where it gave one.
        request: the request that failed, when one was built, its credential headers
            masked (``Bearer **********``): errors get logged and printed.
        body: the parsed error body (a dict for JSON, else the raw text), if any.
        code, type, param: the fields of an OpenAI-style ``error`` object, if present.

    """

    def __init__(
        self,
        message: str,
        *,
        request: httpx.Request | None = None,
        body: object | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.request = request
        self.body = body
        error = _error_object(body)
        self.code: str | None = _str_or_none(error.get("code"))
        self.type: str | None = _str_or_none(error.get("type"))
        self.param: str | None = _str_or_none(error.get("param"))

    @property
    def request(self) -> httpx.Request | None:
        """The request that failed, with its credential headers masked."""
        return self._request

    @request.setter
    def request(self, request: httpx.Request | None) -> None:
        # Masked on the way in, wherever an error is made: the request that was sent holds
        # the key in clear. Imported here, so importing the errors does not import httpx.
        if request is not None:
            from mixroute.scrub import redacted_request

            request = redacted_request(request)
        self._request = request


class APIStatusError(APIError):
    """The server answered with an error status (4xx or 5xx).

    Raised after the retries for a status that is retried (408, 409, 429, 5xx), at once
    for the others. The subclasses name the usual statuses.

    Attributes:
        status_code: the HTTP status.
        response: the ``httpx.Response`` (its body read).
        request_id: the ``x-request-id`` header, to quote to support, if sent.

    """

    def __init__(self, message: str, *, response: httpx.Response, body: object | None) -> None:
        super().__init__(message, request=response.request, body=body)
        self.response = response
        self.status_code = response.status_code
        self.request_id: str | None = response.headers.get("x-request-id")


class BadRequestError(APIStatusError):
    """400: the server rejected the request's content."""


class AuthenticationError(APIStatusError):
    """401: the API key is missing, invalid or revoked."""


class PermissionDeniedError(APIStatusError):
    """403: the key may not use this model or feature."""


class NotFoundError(APIStatusError):
    """404: the model does not exist or is not served, or the URL is wrong."""


class ConflictError(APIStatusError):
    """409: the request conflicted with another; retried automatically."""


class UnprocessableEntityError(APIStatusError):
    """422: the request was well-formed but could not be processed."""


class RateLimitError(APIStatusError):
    """429: too many requests or tokens; ``retry_after`` says how long to wait, if known.

    Attributes:
        retry_after: seconds to wait, from ``Retry-After`` (or ``retry-after-ms``), or
            ``None``.

    """

    def __init__(self, message: str, *, response: httpx.Response, body: object | None) -> None:
        super().__init__(message, response=response, body=body)
        self.retry_after: float | None = retry_after_seconds(response.headers)


class InternalServerError(APIStatusError):
    """5xx: the gateway or the vendor behind it failed."""


class APIConnectionError(APIError):
    """The server could not be reached, or the connection broke before a full answer.

    Retried (``max_retries``) when nothing of the answer had been delivered; a stream cut
    part-way raises it with what had arrived in ``partial``.
    """

    def __init__(
        self, message: str = "Connection error.", *, request: httpx.Request | None = None
    ) -> None:
        super().__init__(message, request=request)


class APITimeoutError(APIConnectionError):
    """The configured timeout ran out, or the call's ``deadline`` passed."""

    def __init__(
        self, message: str = "Request timed out.", *, request: httpx.Request | None = None
    ) -> None:
        super().__init__(message, request=request)


class APIStreamError(APIError):
    """The server sent an error object inside a stream that had begun with status 200."""


class APIResponseValidationError(APIError):
    """A successful status whose body is not a usable chat completion."""


_STATUS_ERRORS: dict[int, type[APIStatusError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    422: UnprocessableEntityError,
    429: RateLimitError,
}


def status_error_from_response(response: httpx.Response) -> APIStatusError:
    """Build the typed error for an error response whose body has been read.

    A 404 or 405 that is no API's error (a bare ``404 page not found``, a web page) names
    the URL requested and, when the path looks wrong, the ``base_url`` to try.

    Args:
        response: the error response, its body read.

    Returns:
        The :class:`APIStatusError` subclass for the status (:class:`InternalServerError`
        for any 5xx, :class:`APIStatusError` for a status without one), its message
        ``Error code: <status> - <the server's message>``.

    """
    body = parse_error_body(response.content)
    message = error_message(body) or response.reason_phrase or "Error"
    text = f"Error code: {response.status_code} - {message}"
    if is_route_miss(response.status_code, body, message):
        text = f"{text} ({requested(response.request)})"
    cls = _STATUS_ERRORS.get(response.status_code)
    if cls is None:
        cls = InternalServerError if response.status_code >= 500 else APIStatusError
    return cls(text, response=response, body=body)


def parse_error_body(content: bytes) -> object | None:
    """Decode an error body: JSON when it is JSON, else its text (an HTML proxy page, say).

    JSON nested too deep to read safely is kept as text too.

    Args:
        content: the body's bytes.

    Returns:
        The parsed JSON, the text, or ``None`` for an empty body.

    """
    if not content:
        return None
    text = content.decode("utf-8", errors="replace")
    try:
        body: object = jsonsafe.loads(text)
    except ValueError:  # jsonsafe.JSONTooDeep included
        return text
    return body


def error_message(body: object | None) -> str | None:
    """Find the human message inside an error body, in any of the shapes vendors use.

    Args:
        body: the parsed body (:func:`parse_error_body`'s result).

    Returns:
        The message (with an upstream vendor's detail where a gateway nests it), else the
        error's ``type`` or ``code``, else the body as text; ``None`` for no body.

    >>> error_message({"error": {"message": "Invalid model", "type": "invalid_request_error"}})
    'Invalid model'
    """
    if body is None:
        return None
    if isinstance(body, str):
        return _shorten(body.strip()) or None
    error = _error_object(body)
    for key in ("message", "msg", "detail", "error"):
        value = error.get(key)
        if isinstance(value, str) and value:
            return _with_upstream_detail(value, error.get("metadata"))
    if isinstance(body, dict):
        for key in ("message", "detail"):
            value = body.get(key)
            if isinstance(value, str) and value:
                return value
        error_value = body.get("error")
        if isinstance(error_value, str) and error_value:
            return error_value
    # An error object with an empty message (llama-cpp-python's 500s) still names its kind.
    for key in ("type", "code"):
        value = error.get(key)
        if isinstance(value, str) and value:
            return value
    return _shorten(str(body))


def _with_upstream_detail(message: str, metadata: object) -> str:
    # OpenRouter-style gateways say "Provider returned error" and put the vendor's own
    # message in metadata.raw: without it the error would not say what went wrong.
    if isinstance(metadata, dict):
        raw = metadata.get("raw")
        if isinstance(raw, str) and raw.strip() and raw not in message:
            return f"{message} ({_shorten(raw.strip())})"
    return message


def _error_object(body: object | None) -> dict[str, Any]:
    if isinstance(body, dict):
        inner = body.get("error")
        if isinstance(inner, dict):
            return inner
        return body
    return {}


def _str_or_none(value: object) -> str | None:
    if value is None:
        return None
    return value if isinstance(value, str) else str(value)


def _shorten(text: str, limit: int = 500) -> str:
    return text if len(text) <= limit else text[:limit] + "…"
