"""One model's sync and async core clients: settings checked now, pools opened on first use.

Both adapters hold a :class:`ClientPair` and inherit :class:`HoldsClientPair`, which
reopens the clients when a client setting changes and gives copies pairs of their own.
Resolving the settings at construction makes a missing key or a bad URL fail there, with
:class:`~mixroute.ConfigurationError`; opening the clients lazily keeps construction
cheap and spares an async-only user the sync pool (and the reverse).

Copies and pickles, the rules the adapters' models inherit:

- ``copy.copy`` and ``copy.deepcopy`` give a pair with the same settings (the key too)
  and no pools yet: the copy opens its own, so closing one never breaks the other. An
  ``http_client`` / ``http_async_client`` you passed is shared by the copy, not copied.
- A pickle holds the settings without the key and without your httpx clients (an httpx
  client cannot be pickled; dropping them warns once per pair, with
  :class:`~mixroute.MixrouteWarning`). The unpickled pair opens pools of its own and reads
  ``MIXROUTE_API_KEY`` from the environment of the process that uses it, when it is first
  used: unpickling never fails for a missing key (frameworks unpickle in places where an
  error is hard to trace, and a worker's initializer may set the key afterwards); the
  first call raises a :class:`~mixroute.ConfigurationError` that says what to set.

>>> pair = ClientPair(api_key="sk-...", integration="my-framework/1.0")  # doctest: +SKIP
>>> pair.sync_client.create("glm-5", [UserMessage("Hi")])  # doctest: +SKIP
"""

from __future__ import annotations

import copy
import threading
import warnings
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, ClassVar, Self, Unpack

import pydantic

from mixroute.errors import ConfigurationError, MixrouteWarning

if TYPE_CHECKING:  # the HTTP stack loads when the first pair is made, not at import
    import httpx
    from pydantic import SecretStr

    from mixroute.client import AsyncMixrouteClient, MixrouteClient
    from mixroute.retry import RetryPolicy
    from mixroute.settings import ClientSettings, SettingsArguments

__all__ = ["PAIR_SETTINGS", "ClientPair", "HoldsClientPair", "check_http_client"]

_KEY_ENV = "MIXROUTE_API_KEY"

PAIR_SETTINGS = (
    "timeout",
    "max_retries",
    "default_headers",
    "deadline",
    "stream_deadline",
    "max_line_bytes",
    "max_body_bytes",
    "max_error_body_bytes",
    "async_transport",
)
"""The :class:`ClientPair` settings both adapters hold as fields of the same name."""


class ClientPair:
    """A sync and an async core client with the same settings, each made on first use.

    The arguments are those of :class:`~mixroute.MixrouteClient` (``async_transport``
    reaches only the async client, ``http_async_client`` is the async client's
    ``http_client``): the keyword ``**settings`` are typed, for checkers and editors, by
    :class:`~mixroute.settings.SettingsArguments`; a keyword that is none of them raises
    :class:`~mixroute.ConfigurationError` naming the closest. Thread-safe: threads racing to
    the first call share one client.
    """

    __slots__ = (
        "_async",
        "_http_async_client",
        "_http_client",
        "_lock",
        "_options",
        "_retry_policy",
        "_settings",
        "_sync",
        "_warned",
    )

    def __init__(
        self,
        api_key: str | SecretStr | None = None,
        *,
        retry_policy: RetryPolicy | None = None,
        http_client: httpx.Client | None = None,
        http_async_client: httpx.AsyncClient | None = None,
        **settings: Unpack[SettingsArguments],
    ) -> None:
        from mixroute.settings import ClientSettings

        _check_setting_names(settings)
        check_http_client("http_client", http_client, asynchronous=False)
        check_http_client("http_async_client", http_async_client, asynchronous=True)
        resolved = ClientSettings.resolve(api_key, **settings)
        _check_proxies(resolved, sync=http_client is None, async_=http_async_client is None)
        # Everything a client is made from but the key and your httpx clients, as given
        # (checked just now), but for the base URL, as resolved: one from the environment
        # stays the one resolved here, in a worker too; and the default headers, copied.
        # The timeout as given: an httpx client of yours keeps its own unless it is set.
        options: dict[str, Any] = {
            **settings,
            "base_url": resolved.base_url,
            "default_headers": dict(resolved.default_headers),
        }
        self._setup(options, resolved, retry_policy, http_client, http_async_client)

    def _setup(
        self,
        options: dict[str, Any],
        settings: ClientSettings | None,
        retry_policy: RetryPolicy | None,
        http_client: httpx.Client | None,
        http_async_client: httpx.AsyncClient | None,
    ) -> None:
        self._options = options
        self._settings = settings
        self._retry_policy = retry_policy
        self._http_client = http_client
        self._http_async_client = http_async_client
        self._sync: MixrouteClient | None = None
        self._async: AsyncMixrouteClient | None = None
        self._lock = threading.Lock()
        self._warned = False

    # --- the clients -------------------------------------------------------------------

    @property
    def settings(self) -> ClientSettings:
        """The resolved settings, key included (an unpickled pair reads it from the env)."""
        settings = self._settings
        if settings is None:
            with self._lock:
                if self._settings is None:
                    self._settings = _resolve_after_unpickling(self._options)
                settings = self._settings
        return settings

    @property
    def base_url(self) -> str:
        """The resolved API root, including ``/v1``."""
        url: str = self._options["base_url"]
        return url

    @property
    def sync_client(self) -> MixrouteClient:
        """The sync client, made on first use."""
        client = self._sync
        if client is None:
            key = self.settings.api_key
            with self._lock:
                if self._sync is None:
                    from mixroute.client import MixrouteClient

                    options = {**self._options}
                    options.pop("async_transport", None)
                    self._sync = MixrouteClient(
                        key,
                        http_client=self._http_client,
                        retry_policy=self._retry_policy,
                        **options,
                    )
                client = self._sync
        return client

    @property
    def async_client(self) -> AsyncMixrouteClient:
        """The async client, made on first use (it opens a pool per event loop)."""
        client = self._async
        if client is None:
            key = self.settings.api_key
            with self._lock:
                if self._async is None:
                    from mixroute.client import AsyncMixrouteClient

                    self._async = AsyncMixrouteClient(
                        key,
                        http_client=self._http_async_client,
                        retry_policy=self._retry_policy,
                        **self._options,
                    )
                client = self._async
        return client

    def close(self) -> None:
        """Close the sync pool if it was opened (never your ``http_client``).

        A later call opens a new one.
        """
        with self._lock:
            client, self._sync = self._sync, None
        if client is not None:
            client.close()

    async def aclose(self) -> None:
        """Close the async pools opened (never your ``http_async_client``).

        Later calls open new ones.
        """
        with self._lock:
            client, self._async = self._async, None
        if client is not None:
            await client.aclose()

    # --- new pairs -----------------------------------------------------------------------

    def replace(self, **changes: Any) -> ClientPair:
        """A new pair with some settings changed, checked now; the rest (the key too) kept.

        ``changes`` are keyword arguments of :class:`ClientPair` (not ``api_key``).
        """
        if "api_key" in changes:
            raise TypeError("replace() keeps the key; make a new ClientPair for another one.")
        arguments: dict[str, Any] = {
            **self._options,
            "retry_policy": self._retry_policy,
            "http_client": self._http_client,
            "http_async_client": self._http_async_client,
            **changes,
        }
        settings = self._settings
        return ClientPair(settings.api_key if settings is not None else None, **arguments)

    def copy(self) -> ClientPair:
        """The same settings and key, your httpx clients shared, and no pools opened yet."""
        pair = ClientPair.__new__(ClientPair)
        pair._setup(
            self._options,  # never changed in place: shared safely
            self._settings,
            self._retry_policy,
            self._http_client,
            self._http_async_client,
        )
        return pair

    def share_in(self, memo: dict[int, Any]) -> None:
        """Have a ``copy.deepcopy`` using ``memo`` share your httpx clients and retry policy.

        For a model that also holds them in fields of its own: call it from the model's
        ``__deepcopy__`` before copying the fields.
        """
        for value in (self._http_client, self._http_async_client, self._retry_policy):
            if value is not None:
                memo[id(value)] = value

    def __copy__(self) -> ClientPair:
        return self.copy()

    def __deepcopy__(self, memo: dict[int, Any]) -> ClientPair:
        return self.copy()

    def __reduce__(self) -> tuple[Any, ...]:
        # Never the key, never an httpx client (it cannot be pickled): the unpickled
        # pair reads MIXROUTE_API_KEY and opens its own pools.
        dropped = [
            kind
            for kind, value in (("sync", self._http_client), ("async", self._http_async_client))
            if value is not None
        ]
        if dropped and not self._warned:
            self._warned = True
            clients = " and ".join(dropped) + (" clients" if len(dropped) == 2 else " client")
            warnings.warn(
                f"Pickling a Mixroute model leaves out the httpx {clients} you passed (an "
                "httpx client cannot be pickled); the unpickled model opens pools of its own, "
                "without your client's proxy, certificates or hooks.",
                MixrouteWarning,
                stacklevel=2,
            )
        return (_unpickled, (self._options, self._retry_policy))

    def __repr__(self) -> str:
        return (
            f"ClientPair(base_url={self.base_url!r}, sync_open={self._sync is not None}, "
            f"async_open={self._async is not None}, api_key=SecretStr('**********'))"
        )


class HoldsClientPair(pydantic.BaseModel):
    """A pydantic model whose :class:`ClientPair` is made from some of its fields.

    Both adapters' models inherit it (before their framework's base class), so a change of
    settings and a copy follow one rule:

    - setting a field after construction calls :meth:`_settings_changed`; for a field in
      ``_client_fields`` that opens new clients at once, and a value they refuse raises
      :class:`~mixroute.ConfigurationError` with the field left as it was;
    - a copy (``copy.copy``, ``copy.deepcopy``, ``model_copy``) gets a copy of the pair:
      pools of its own, your httpx clients shared, never copied; ``model_copy(update=...)``
      applies the changed settings to the copy as setting them would.

    A subclass says which fields are client settings and how it holds its pair.
    """

    _client_fields: ClassVar[frozenset[str]] = frozenset()
    """The fields the pair is made from: a change opens new clients."""

    def _client_pair(self) -> ClientPair | None:
        """The pair in use; ``None`` while the model is still being made."""
        raise NotImplementedError

    def _use_client_pair(self, pair: ClientPair) -> None:
        """Keep ``pair`` as the one in use."""
        raise NotImplementedError

    def _new_client_pair(self, current: ClientPair) -> ClientPair:
        """A pair made from the fields as they are now, replacing ``current``.

        Raises ``ConfigurationError`` for a value the clients refuse.
        """
        raise NotImplementedError

    def _pair_settings(self) -> dict[str, Any]:
        """The fields named in :data:`PAIR_SETTINGS`, as :class:`ClientPair` arguments."""
        return {name: getattr(self, name) for name in PAIR_SETTINGS}

    def _settings_changed(self, names: Iterable[str]) -> None:
        """Derive anew what comes from the fields ``names``; here, the clients."""
        current = self._client_pair()
        if current is not None and not self._client_fields.isdisjoint(names):
            self._use_client_pair(self._new_client_pair(current))

    def _set_quietly(self, name: str, value: Any) -> None:
        """Set a field without deriving anything from it (the pair says it already)."""
        super().__setattr__(name, value)

    def __setattr__(self, name: str, value: Any) -> None:
        if name not in type(self).model_fields:  # private and framework state
            super().__setattr__(name, value)
            return
        before = getattr(self, name)
        super().__setattr__(name, value)
        try:
            self._settings_changed((name,))
        except ConfigurationError:
            super().__setattr__(name, before)  # refused: keep what the clients were made with
            raise

    def model_copy(self, *, update: Mapping[str, Any] | None = None, deep: bool = False) -> Self:
        """Copy the model, with pools of its own; settings in ``update`` take effect."""
        source = self
        if deep:  # through __deepcopy__, which shares your httpx clients
            source = copy.deepcopy(self)
            if not update:
                return source
        duplicate = super(HoldsClientPair, source).model_copy(update=update)
        if update:
            duplicate._settings_changed(update.keys())
        return duplicate

    def __copy__(self) -> Self:
        duplicate = super().__copy__()
        pair = self._client_pair()
        if pair is not None:
            duplicate._use_client_pair(pair.copy())
        return duplicate

    def __deepcopy__(self, memo: dict[int, Any] | None = None) -> Self:
        memo = {} if memo is None else memo
        pair = self._client_pair()
        if pair is not None:
            pair.share_in(memo)
        return super().__deepcopy__(memo)


def _unpickled(options: dict[str, Any], retry_policy: RetryPolicy | None) -> ClientPair:
    pair = ClientPair.__new__(ClientPair)
    pair._setup(options, None, retry_policy, None, None)  # the key is read on first use
    return pair


def _resolve_after_unpickling(options: Mapping[str, Any]) -> ClientSettings:
    import os

    from mixroute.settings import ClientSettings

    if not (os.environ.get(_KEY_ENV) or "").strip():
        raise ConfigurationError(
            "This Mixroute model was unpickled (the API key is never pickled) and "
            f"{_KEY_ENV} is not set in this process: set it in the worker's environment "
            "(a process pool's initializer, say) or make the model here with api_key=...."
        )
    return ClientSettings.resolve(None, **options)


def _check_setting_names(settings: Mapping[str, object]) -> None:
    """Refuse a keyword that is no setting, naming the closest one (a ConfigurationError)."""
    from mixroute.settings import SettingsArguments

    known = SettingsArguments.__optional_keys__
    for name in settings:
        if name not in known:
            from mixroute.options import unknown_name_error

            arguments = {*known, "api_key", "retry_policy", "http_client", "http_async_client"}
            listed = ", ".join(sorted(arguments))
            raise unknown_name_error(
                name,
                arguments,
                who="ClientPair",
                error=ConfigurationError,
                kind="setting",
                advice=f"choose from {listed}.",
            )


def check_http_client(name: str, value: object, *, asynchronous: bool) -> None:
    """Refuse a ``value`` for the setting ``name`` that is neither ``None`` nor an httpx client.

    ``asynchronous`` asks for an ``httpx.AsyncClient``, else an ``httpx.Client``; the
    adapters check their ``http_client`` and ``http_async_client`` fields with it.

    Raises:
        ConfigurationError: naming the setting, the client wanted and the type given.

    """
    if value is None:
        return
    import httpx

    wanted = httpx.AsyncClient if asynchronous else httpx.Client
    if not isinstance(value, wanted):
        raise ConfigurationError(
            f"{name} must be an httpx.{wanted.__name__}, got {type(value).__name__}."
        )


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
