"""Client settings: the API key, base URL, timeout and headers, resolved and checked once.

The key is held as a :class:`pydantic.SecretStr` from the moment it is read, so it never
shows in a repr, and :func:`mixroute.scrub.redact` scrubs it from any text that could leave
the client.
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal, TypedDict

import httpx
from pydantic import SecretStr

from mixroute.defaults import (
    ASYNC_TRANSPORTS,
    DEFAULT_DEADLINE,
    DEFAULT_MAX_BODY_BYTES,
    DEFAULT_MAX_ERROR_BODY_BYTES,
    DEFAULT_MAX_LINE_BYTES,
    AsyncTransportName,
)
from mixroute.errors import ConfigurationError, InvalidRequestError
from mixroute.scrub import redact, redact_data  # re-exported: their home before scrub.py
from mixroute.user_agent import user_agent

__all__ = [
    "ASYNC_TRANSPORTS",
    "DEFAULT_BASE_URL",
    "DEFAULT_DEADLINE",
    "DEFAULT_MAX_BODY_BYTES",
    "DEFAULT_MAX_ERROR_BODY_BYTES",
    "DEFAULT_MAX_LINE_BYTES",
    "DEFAULT_TIMEOUT",
    "ClientSettings",
    "AsyncTransportName",
    "SettingsArguments",
    "TimeoutLike",
    "check_deadline",
    "resolve_async_transport",
    "redact",
    "redact_data",
    "resolve_timeout",
]

DEFAULT_BASE_URL = "https://console.mixroute.io/v1"
DEFAULT_TIMEOUT = httpx.Timeout(600.0, connect=5.0)
API_KEY_ENV = "MIXROUTE_API_KEY"
BASE_URL_ENV = "MIXROUTE_BASE_URL"

TimeoutLike = float | int | tuple[float | None, float | None] | httpx.Timeout | None


def resolve_timeout(timeout: TimeoutLike) -> httpx.Timeout:
    """Turn seconds (a float), a ``(connect, read)`` pair or an ``httpx.Timeout`` into one.

    >>> resolve_timeout((5, 60))
    Timeout(connect=5, read=60, write=60, pool=60)
    """
    if timeout is None:
        return DEFAULT_TIMEOUT
    if isinstance(timeout, httpx.Timeout):
        return timeout
    if isinstance(timeout, bool):
        raise ConfigurationError("timeout must be a number of seconds, not a bool.")
    if isinstance(timeout, int | float):
        if timeout <= 0:
            raise ConfigurationError(f"timeout must be positive seconds, got {timeout}.")
        return httpx.Timeout(float(timeout))
    if isinstance(timeout, tuple) and len(timeout) == 2:
        connect, read = timeout
        return httpx.Timeout(read, connect=connect)
    raise ConfigurationError(
        "timeout must be seconds (a float), a (connect, read) pair, or an httpx.Timeout; "
        f"got {type(timeout).__name__}."
    )


class SettingsArguments(TypedDict, total=False):
    """The keyword settings of :meth:`ClientSettings.resolve`, passed through unchanged.

    :class:`~mixroute.ClientPair` takes them as ``**settings``; the public clients spell
    them out, for their signatures. What each means and its default:
    :class:`~mixroute.MixrouteClient` (``async_transport``:
    :class:`~mixroute.AsyncMixrouteClient`).
    """

    base_url: str | None
    timeout: TimeoutLike
    max_retries: int
    default_headers: Mapping[str, str] | None
    deadline: float | None
    stream_deadline: float | None
    max_line_bytes: int
    max_body_bytes: int
    max_error_body_bytes: int
    async_transport: AsyncTransportName
    integration: str | None


@dataclass(frozen=True, slots=True)
class ClientSettings:
    """Everything a client needs to address the gateway, with the key kept secret."""

    api_key: SecretStr
    base_url: str = DEFAULT_BASE_URL
    timeout: httpx.Timeout = field(default_factory=lambda: DEFAULT_TIMEOUT)
    max_retries: int = 2
    default_headers: Mapping[str, str] = field(default_factory=dict)
    deadline: float | None = DEFAULT_DEADLINE
    stream_deadline: float | None = None
    max_line_bytes: int = DEFAULT_MAX_LINE_BYTES
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    max_error_body_bytes: int = DEFAULT_MAX_ERROR_BODY_BYTES
    async_transport: AsyncTransportName = "auto"
    user_agent: str = field(default_factory=user_agent)

    @classmethod
    def resolve(
        cls,
        api_key: str | SecretStr | None = None,
        *,
        base_url: str | None = None,
        timeout: TimeoutLike = None,
        max_retries: int = 2,
        default_headers: Mapping[str, str] | None = None,
        deadline: float | None = DEFAULT_DEADLINE,
        stream_deadline: float | None = None,
        max_line_bytes: int = DEFAULT_MAX_LINE_BYTES,
        max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
        max_error_body_bytes: int = DEFAULT_MAX_ERROR_BODY_BYTES,
        async_transport: str = "auto",
        integration: str | None = None,
    ) -> ClientSettings:
        """Fill in from ``MIXROUTE_API_KEY`` / ``MIXROUTE_BASE_URL`` and check every value.

        ``integration`` (``name/version``, set by the adapters) ends the ``User-Agent``.
        """
        if api_key is None:
            api_key = os.environ.get(API_KEY_ENV)
        if isinstance(api_key, SecretStr):
            api_key = api_key.get_secret_value()
        if not api_key or not isinstance(api_key, str) or not api_key.strip():
            raise ConfigurationError(
                f"No Mixroute API key: pass api_key=... or set the {API_KEY_ENV} "
                "environment variable."
            )
        api_key = api_key.strip()
        # A header must be printable ASCII; a pasted curly quote or newline would otherwise
        # fail deep inside httpx with an error that is not ours (or split the header).
        if not (api_key.isascii() and api_key.isprintable()):
            raise ConfigurationError(
                "The Mixroute API key contains characters that cannot be sent in a header "
                f"(non-ASCII or control characters); check the value or {API_KEY_ENV}."
            )
        raw_url = base_url or os.environ.get(BASE_URL_ENV) or DEFAULT_BASE_URL
        url = raw_url.rstrip("/")
        if not _is_http_url(url):
            raise ConfigurationError(
                f"base_url must be an http:// or https:// URL with a host (got {raw_url!r}); "
                f"for example {DEFAULT_BASE_URL!r}."
            )
        if isinstance(max_retries, bool) or not isinstance(max_retries, int) or max_retries < 0:
            raise ConfigurationError(f"max_retries must be an int >= 0, got {max_retries!r}.")
        return cls(
            api_key=SecretStr(api_key),
            base_url=url,
            timeout=resolve_timeout(timeout),
            max_retries=max_retries,
            default_headers=dict(default_headers or {}),
            deadline=check_deadline(deadline, "deadline", ConfigurationError),
            stream_deadline=check_deadline(stream_deadline, "stream_deadline", ConfigurationError),
            max_line_bytes=_check_limit(max_line_bytes, "max_line_bytes"),
            max_body_bytes=_check_limit(max_body_bytes, "max_body_bytes"),
            max_error_body_bytes=_check_limit(max_error_body_bytes, "max_error_body_bytes"),
            async_transport=_check_transport(async_transport),
            user_agent=user_agent(integration),
        )

    @property
    def completions_url(self) -> str:
        """The chat-completions endpoint under the base URL."""
        return f"{self.base_url}/chat/completions"

    def headers(self) -> dict[str, str]:
        """Build the headers sent with every request (the key included; never log these).

        Names are lowercased so a default header cannot sit next to ours under another
        spelling (``accept`` and ``Accept`` would both be sent); a ``User-Agent`` among
        the default headers replaces ours.
        """
        return {
            "user-agent": self.user_agent,
            **{name.lower(): value for name, value in self.default_headers.items()},
            "authorization": f"Bearer {self.api_key.get_secret_value()}",
            "content-type": "application/json",
            "accept": "application/json",
        }


def check_deadline(
    value: object, name: str, error: type[ConfigurationError] | type[InvalidRequestError]
) -> float | None:
    """Check a deadline in seconds: a positive number, or ``None`` for none."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
        raise error(
            f"{name} must be a positive number of seconds, or None for no deadline; got {value!r}."
        )
    if value == float("inf"):
        return None
    return float(value)


def _check_limit(value: object, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ConfigurationError(
            f"{name} must be a positive int (a size in bytes), got {value!r}; "
            "raise it rather than turning the limit off."
        )
    return value


def resolve_async_transport(name: AsyncTransportName) -> Literal["aiohttp", "httpx"]:
    """What the async client's own pool runs on: aiohttp or httpx.

    Raises :class:`ConfigurationError` for ``"aiohttp"`` when it is not installed.
    """
    try:
        has_aiohttp = importlib.util.find_spec("aiohttp") is not None
    except (ImportError, ValueError):  # a broken or blocked install counts as none
        has_aiohttp = False
    if name == "aiohttp" and not has_aiohttp:
        raise ConfigurationError(
            "async_transport='aiohttp' needs aiohttp: pip install 'mixroute[aiohttp]' "
            "(or use async_transport='httpx')."
        )
    if name == "auto":
        return "aiohttp" if has_aiohttp else "httpx"
    return name


def _check_transport(value: object) -> AsyncTransportName:
    for name in ASYNC_TRANSPORTS:
        if value == name:
            if name == "aiohttp":
                resolve_async_transport(name)  # installed? say so now, not at first use
            return name
    raise ConfigurationError(
        f"async_transport must be one of {', '.join(map(repr, ASYNC_TRANSPORTS))}; got {value!r}."
    )


def _is_http_url(url: str) -> bool:
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError):
        return False
    return parsed.scheme in ("http", "https") and bool(parsed.host)
