"""The core clients behind one ChatMixroute: settings checked now, pools opened on first use.

Resolving the settings at construction makes a missing key or a bad URL fail there, with
the core's :class:`~mixroute.ConfigurationError`; opening the pools lazily keeps
construction cheap and spares an async-only user the sync pool (and the reverse).
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from langchain_core import __version__ as langchain_core_version
from pydantic import SecretStr

from mixroute import RetryPolicy
from mixroute.defaults import AsyncTransportName

if TYPE_CHECKING:  # the HTTP stack loads when the first model is made, not at import
    import httpx

    from mixroute import AsyncMixrouteClient, MixrouteClient
    from mixroute.settings import ClientSettings, TimeoutLike

__all__ = [
    "INTEGRATION",
    "CoreClients",
]

INTEGRATION = f"langchain-core/{langchain_core_version}"
"""What the requests' ``User-Agent`` ends with (after ``mixroute/<v> python/<x.y>``)."""

_LOCK = threading.Lock()  # one pool per model, even when batch() threads race to open it


class CoreClients:
    """The sync and async core clients for one set of connection settings."""

    __slots__ = ("_aclient", "_client", "_options", "settings")

    def __init__(
        self,
        api_key: SecretStr | None,
        *,
        base_url: str | None,
        timeout: TimeoutLike,
        max_retries: int,
        default_headers: Mapping[str, str] | None,
        retry_policy: RetryPolicy | None,
        http_client: httpx.Client | None,
        http_async_client: httpx.AsyncClient | None,
        deadline: float | None,
        stream_deadline: float | None,
        max_line_bytes: int,
        max_body_bytes: int,
        max_error_body_bytes: int,
        async_transport: AsyncTransportName,
    ) -> None:
        from mixroute.settings import ClientSettings

        self.settings = settings = ClientSettings.resolve(
            api_key,
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
            integration=INTEGRATION,
        )
        # The resolved values (the key and URL from the environment too); the raw
        # timeout, so that an httpx client of your own keeps its timeout unless
        # ``timeout`` is set.
        self._options: dict[str, Any] = {
            "api_key": settings.api_key,
            "base_url": settings.base_url,
            "timeout": timeout,
            "max_retries": max_retries,
            "default_headers": default_headers,
            "retry_policy": retry_policy,
            "http_client": http_client,
            "http_async_client": http_async_client,
            "deadline": settings.deadline,
            "stream_deadline": settings.stream_deadline,
            "max_line_bytes": settings.max_line_bytes,
            "max_body_bytes": settings.max_body_bytes,
            "max_error_body_bytes": settings.max_error_body_bytes,
            "async_transport": settings.async_transport,
            "integration": INTEGRATION,
        }
        _check_proxies(settings, sync=http_client is None, async_=http_async_client is None)
        self._client: MixrouteClient | None = None
        self._aclient: AsyncMixrouteClient | None = None

    def sync(self) -> MixrouteClient:
        """The sync client, opened on first use."""
        client = self._client
        if client is None:
            with _LOCK:
                if self._client is None:
                    options = {**self._options}
                    del options["http_async_client"], options["async_transport"]
                    from mixroute import MixrouteClient

                    self._client = MixrouteClient(**options)
                client = self._client
        return client

    def async_(self) -> AsyncMixrouteClient:
        """The async client, made on first use (it opens a pool per event loop)."""
        client = self._aclient
        if client is None:
            with _LOCK:
                if self._aclient is None:
                    options = {**self._options}
                    options["http_client"] = options.pop("http_async_client")
                    from mixroute import AsyncMixrouteClient

                    self._aclient = AsyncMixrouteClient(**options)
                client = self._aclient
        return client

    def close(self) -> None:
        """Close the sync pool if it was opened (never an ``http_client`` of yours)."""
        client, self._client = self._client, None
        if client is not None:
            client.close()

    async def aclose(self) -> None:
        """Close the async pool of the running loop (never an ``http_async_client`` of yours)."""
        client, self._aclient = self._aclient, None
        if client is not None:
            await client.aclose()


def _check_proxies(settings: ClientSettings, *, sync: bool, async_: bool) -> None:
    """Refuse now, as the core clients do when made, a proxy their pools cannot use."""
    from mixroute.proxies import ProxyRules, socks_installed
    from mixroute.settings import resolve_async_transport

    proxies = ProxyRules.from_environment()
    if not proxies:
        return
    if async_:
        transport = resolve_async_transport(settings.async_transport)
        socks = transport == "httpx" and socks_installed()
        proxies.check(socks=socks, transport=f"async_transport={transport!r}")
    if sync:
        proxies.check(socks=socks_installed(), transport="the sync client")
