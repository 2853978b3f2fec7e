"""The core clients one ``Mixroute`` owns: made once, shared by copies, never serialized.

The API key lives only here, inside the core's settings (a ``SecretStr``), never in a
pydantic field of the LLM: so it is in no ``repr``, ``to_dict()``, JSON, pickle or
instrumentation payload. The sync client (and its connection pool) is made on first
use, so an LLM used only asynchronously never opens one.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from llama_index.core import __version__ as llama_index_core_version

from mixroute.defaults import (
    DEFAULT_DEADLINE,
    DEFAULT_MAX_BODY_BYTES,
    DEFAULT_MAX_ERROR_BODY_BYTES,
    DEFAULT_MAX_LINE_BYTES,
    AsyncTransportName,
)
from mixroute.errors import ConfigurationError

if TYPE_CHECKING:  # the HTTP stack loads when the first LLM is made, not at import
    import httpx
    from pydantic import SecretStr

    from mixroute.client import AsyncMixrouteClient, MixrouteClient
    from mixroute.retry import RetryPolicy
    from mixroute.settings import TimeoutLike

__all__ = [
    "INTEGRATION",
    "CoreClients",
]

INTEGRATION = f"llama-index-core/{llama_index_core_version}"
"""What the requests' ``User-Agent`` ends with (after ``mixroute/<v> python/<x.y>``)."""


class CoreClients:
    """A sync and an async core client with the same settings.

    Copies of the LLM (``model_copy``, ``copy.deepcopy``) share it, pools included; a
    pickled LLM carries an empty one (the key is not pickled), so it is rebuilt from the
    settings and ``MIXROUTE_API_KEY`` when unpickled.
    """

    def __init__(
        self,
        api_key: str | SecretStr | None,
        *,
        base_url: str | None,
        timeout: TimeoutLike,
        max_retries: int,
        default_headers: Mapping[str, str] | None,
        http_client: httpx.Client | None = None,
        async_http_client: httpx.AsyncClient | None = None,
        retry_policy: RetryPolicy | None = None,
        deadline: float | None = DEFAULT_DEADLINE,
        stream_deadline: float | None = None,
        max_line_bytes: int = DEFAULT_MAX_LINE_BYTES,
        max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
        max_error_body_bytes: int = DEFAULT_MAX_ERROR_BODY_BYTES,
        async_transport: AsyncTransportName = "auto",
    ) -> None:
        # The async client resolves and checks every setting now (key, URL, retries,
        # timeout, deadlines, limits, transport), so bad settings fail at construction;
        # its pool is made on first use.
        from mixroute.client import AsyncMixrouteClient

        self._async: AsyncMixrouteClient | None = AsyncMixrouteClient(
            api_key,
            base_url=base_url,
            timeout=timeout,
            max_retries=max_retries,
            default_headers=default_headers,
            http_client=async_http_client,
            retry_policy=retry_policy,
            deadline=deadline,
            stream_deadline=stream_deadline,
            max_line_bytes=max_line_bytes,
            max_body_bytes=max_body_bytes,
            max_error_body_bytes=max_error_body_bytes,
            async_transport=async_transport,
            integration=INTEGRATION,
        )
        self._timeout = timeout
        self._http_client = http_client
        self._async_http_client = async_http_client
        self._retry_policy = retry_policy
        self._sync: MixrouteClient | None = None
        self._lock = threading.Lock()

    def reconnected(self, base_url: str | None, **settings: Any) -> CoreClients:
        """New clients with other settings, and this one's key, httpx clients and retry policy.

        ``settings`` are the other keyword arguments of :class:`CoreClients`; the pools
        of this one are left to the copies of the LLM that still share it.
        """
        key = self._async.settings.api_key if self._async is not None else None
        return CoreClients(
            key,
            base_url=base_url,
            http_client=self._http_client,
            async_http_client=self._async_http_client,
            retry_policy=self._retry_policy,
            **settings,
        )

    @property
    def base_url(self) -> str:
        """The resolved API root, including ``/v1``."""
        return self.async_client.settings.base_url

    @property
    def async_client(self) -> AsyncMixrouteClient:
        """The async client (its pool is made per event loop, on first use)."""
        if self._async is None:
            raise ConfigurationError(
                "This Mixroute was unpickled without its API key; make a new one with "
                "api_key=... or set MIXROUTE_API_KEY."
            )
        return self._async

    @property
    def sync_client(self) -> MixrouteClient:
        """The sync client, made on first use with the async client's settings."""
        client = self._sync
        if client is None:
            settings = self.async_client.settings
            with self._lock:
                if self._sync is None:
                    from mixroute.client import MixrouteClient

                    self._sync = MixrouteClient(
                        settings.api_key,
                        base_url=settings.base_url,
                        timeout=self._timeout,
                        max_retries=settings.max_retries,
                        default_headers=settings.default_headers,
                        http_client=self._http_client,
                        retry_policy=self._async.retry_policy if self._async else None,
                        deadline=settings.deadline,
                        stream_deadline=settings.stream_deadline,
                        max_line_bytes=settings.max_line_bytes,
                        max_body_bytes=settings.max_body_bytes,
                        max_error_body_bytes=settings.max_error_body_bytes,
                        integration=INTEGRATION,
                    )
                client = self._sync
        return client

    def close(self) -> None:
        """Close the sync pool (not an ``http_client`` you passed in)."""
        if self._sync is not None:
            self._sync.close()

    async def aclose(self) -> None:
        """Close this event loop's async pool (not an ``async_http_client`` you passed in)."""
        if self._async is not None:
            await self._async.aclose()

    def __deepcopy__(self, memo: dict[int, Any]) -> CoreClients:
        return self  # pools and the key are shared, never copied

    def __reduce__(self) -> tuple[Any, ...]:
        return (_unbound, ())

    def __repr__(self) -> str:
        return "CoreClients(api_key=SecretStr('**********'))"


def _unbound() -> CoreClients:
    clients = CoreClients.__new__(CoreClients)
    clients._async = None
    clients._sync = None
    clients._timeout = None
    clients._http_client = None
    clients._async_http_client = None
    clients._retry_policy = None
    clients._lock = threading.Lock()
    return clients
