"""Client settings: the API key, base URL, timeout and headers, resolved and checked once.

The key is held as a :class:`pydantic.SecretStr` from the moment it is read, so it never
shows in a repr, and :func:`redact` scrubs it from any text that could leave the client.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field

import httpx
from pydantic import SecretStr

from mixroute.errors import ConfigurationError

__all__ = [
    "DEFAULT_BASE_URL",
    "DEFAULT_TIMEOUT",
    "ClientSettings",
    "TimeoutLike",
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


@dataclass(frozen=True, slots=True)
class ClientSettings:
    """Everything a client needs to address the gateway, with the key kept secret."""

    api_key: SecretStr
    base_url: str = DEFAULT_BASE_URL
    timeout: httpx.Timeout = field(default_factory=lambda: DEFAULT_TIMEOUT)
    max_retries: int = 2
    default_headers: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def resolve(
        cls,
        api_key: str | SecretStr | None = None,
        *,
        base_url: str | None = None,
        timeout: TimeoutLike = None,
        max_retries: int = 2,
        default_headers: Mapping[str, str] | None = None,
    ) -> ClientSettings:
        """Fill in from ``MIXROUTE_API_KEY`` / ``MIXROUTE_BASE_URL`` and check every value."""
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
        )

    @property
    def completions_url(self) -> str:
        """The chat-completions endpoint under the base URL."""
        return f"{self.base_url}/chat/completions"

    def headers(self) -> dict[str, str]:
        """Build the headers sent with every request (the key included; never log these).

        Names are lowercased so a default header cannot sit next to ours under another
        spelling (``accept`` and ``Accept`` would both be sent).
        """
        return {
            **{name.lower(): value for name, value in self.default_headers.items()},
            "authorization": f"Bearer {self.api_key.get_secret_value()}",
            "content-type": "application/json",
            "accept": "application/json",
        }


def _is_http_url(url: str) -> bool:
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError):
        return False
    return parsed.scheme in ("http", "https") and bool(parsed.host)


def redact(text: str, secret: SecretStr) -> str:
    """Replace every occurrence of the secret (and of its tail) in a text with stars."""
    value = secret.get_secret_value()
    if value and value in text:
        text = text.replace(value, "**********")
    tail = value[-8:]
    if len(value) >= 16 and tail in text:
        text = text.replace(tail, "****")
    return text


def redact_data(data: object, secret: SecretStr) -> object:
    """Redact the secret from every string inside parsed JSON (dicts, lists, strings)."""
    if isinstance(data, str):
        return redact(data, secret)
    if isinstance(data, dict):
        return {key: redact_data(value, secret) for key, value in data.items()}
    if isinstance(data, list):
        return [redact_data(value, secret) for value in data]
    return data
