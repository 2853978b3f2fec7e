"""Which proxy each request goes through, read once from the environment by httpx's rules.

The core's clients run connection pools of their own, and httpx reads no proxy variables
for a client given a transport, so the package reads them itself, the way httpx 0.28 does
for ``httpx.Client(trust_env=True)``:

* the variables are ``HTTP_PROXY``, ``HTTPS_PROXY``, ``ALL_PROXY`` and ``NO_PROXY`` in any
  case; a name whose ``_proxy`` suffix is lower-case wins over one whose suffix is not, an
  empty one unsets the scheme, and when ``REQUEST_METHOD`` is set (a CGI script, where a
  client's ``Proxy:`` header arrives as ``HTTP_PROXY``) only a lower-case ``http_proxy``
  counts (the rules of :func:`urllib.request.getproxies_environment`);
* a proxy without a scheme is an ``http://`` proxy;
* ``NO_PROXY`` is a comma-separated list: ``*`` turns every proxy off; ``example.com``
  exempts that host and its subdomains, ``.example.com`` only the subdomains; IPv4, IPv6
  addresses and ``localhost`` are matched exactly; an entry with a scheme
  (``http://internal``) is a URL pattern of its own; an entry may end in ``:port``;
* the most specific pattern wins: one with a port first, then the longest host, then the
  longest scheme (``https://`` before ``all://``).

Unlike httpx on macOS and Windows, the system's proxy settings are not read. When a
request cannot connect to its proxy, :meth:`ProxyRules.unreachable` names the proxy for the
error's message.

>>> rules = ProxyRules.from_environment({"HTTPS_PROXY": "proxy:3128", "NO_PROXY": "localhost"})
>>> rules.proxy_for(httpx.URL("https://api.example.com/v1"))
URL('http://proxy:3128')
>>> rules.proxy_for(httpx.URL("https://localhost:8000/v1")) is None
True
"""

from __future__ import annotations

import errno
import importlib.util
import ipaddress
import os
import re
import socket
import ssl
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import httpx

from mixroute.causes import causes
from mixroute.errors import ConfigurationError

__all__ = ["ProxyRoute", "ProxyRules", "socks_installed"]

_USABLE_SCHEMES = frozenset({"http", "https"})
_SOCKS_SCHEMES = frozenset({"socks5", "socks5h"})
_PROXY_SCHEMES = ("http", "https", "all")
_REMEMBERED_ORIGINS = 256  # a client talks to a few origins: the table is matched once each


def socks_installed() -> bool:
    """Whether httpcore can speak SOCKS here (its ``socksio`` dependency is importable)."""
    return importlib.util.find_spec("socksio") is not None


@dataclass(frozen=True)
class ProxyRoute:
    """One row of the table: requests whose URL matches ``pattern`` go through ``proxy``.

    ``proxy`` is ``None`` for a ``NO_PROXY`` entry (go direct); ``variable`` names the
    environment variable the row came from, for messages.
    """

    pattern: str
    proxy: httpx.URL | None
    variable: str
    scheme: str  # "" matches every scheme
    port: int | None
    host_length: int
    host_matches: Callable[[str], object] | None  # None matches every host

    @classmethod
    def parse(cls, pattern: str, proxy: httpx.URL | None, variable: str) -> ProxyRoute:
        """Read a pattern such as ``all://*example.com:8080`` as httpx's ``URLPattern`` does."""
        try:
            url = httpx.URL(pattern)
        except httpx.InvalidURL:
            raise ConfigurationError(
                f"{variable} has an entry httpx cannot read ({pattern!r}); "
                "fix or remove it (entries are host names, IP addresses or URLs)."
            ) from None
        host = "" if url.host == "*" else url.host
        matches: Callable[[str], object] | None = None
        if host.startswith("*."):  # the subdomains only
            matches = re.compile(rf"^.+\.{re.escape(host[2:])}$").match
        elif host.startswith("*"):  # the domain and its subdomains
            matches = re.compile(rf"^(.+\.)?{re.escape(host[1:])}$").match
        elif host:
            matches = re.compile(rf"^{re.escape(host)}$").match
        return cls(
            pattern=pattern,
            proxy=proxy,
            variable=variable,
            scheme="" if url.scheme == "all" else url.scheme,
            port=url.port,
            host_length=len(host),
            host_matches=matches,
        )

    @property
    def priority(self) -> tuple[int, int, int]:
        """The sort key that puts the most specific pattern first."""
        return (0 if self.port is not None else 1, -self.host_length, -len(self.scheme))


@dataclass(frozen=True, repr=False)
class ProxyRules:
    """The proxies from the environment, as a table read once and matched per request.

    An empty table (no proxy variables, or ``NO_PROXY=*``) is false, and
    :meth:`proxy_for` answers ``None`` for it at once.
    """

    routes: tuple[ProxyRoute, ...] = ()
    _choices: dict[tuple[str, str, int | None], httpx.URL | None] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None) -> ProxyRules:
        """Read the proxy variables from ``environ`` (by default :data:`os.environ`).

        Raises :class:`~mixroute.ConfigurationError` for a value httpx could not read
        either (``httpx.Client`` fails the same way); an unusable scheme is left to
        :meth:`check`.
        """
        found = _proxy_variables(os.environ if environ is None else environ)
        table: dict[str, tuple[httpx.URL | None, str]] = {}
        for scheme in _PROXY_SCHEMES:
            if scheme in found:
                variable, value = found[scheme]
                table[f"{scheme}://"] = (_proxy_url(variable, value), variable)
        if "no" in found:
            variable, value = found["no"]
            for entry in (part.strip() for part in value.split(",")):
                if entry == "*":
                    return cls()
                if entry:
                    table[_no_proxy_pattern(entry)] = (None, variable)
        if all(proxy is None for proxy, _ in table.values()):
            return cls()
        routes = [ProxyRoute.parse(pattern, *row) for pattern, row in table.items()]
        routes.sort(key=lambda route: route.priority)  # stable: ties keep httpx's order
        return cls(tuple(routes))

    def proxy_for(self, url: httpx.URL) -> httpx.URL | None:
        """The proxy a request to ``url`` goes through (with its credentials), or ``None``."""
        if not self.routes:
            return None
        origin = (url.scheme, url.host, url.port)
        try:
            return self._choices[origin]
        except KeyError:
            if len(self._choices) >= _REMEMBERED_ORIGINS:
                self._choices.clear()
            route = self._match(*origin)
            choice = self._choices[origin] = route.proxy if route is not None else None
            return choice

    def _match(self, scheme: str, host: str, port: int | None) -> ProxyRoute | None:
        for route in self.routes:
            if route.scheme and route.scheme != scheme:
                continue
            if route.host_matches is not None and not route.host_matches(host):
                continue
            if route.port is not None and route.port != port:
                continue
            return route
        return None

    def unreachable(self, url: httpx.URL, failure: BaseException) -> str | None:
        """Say which proxy a request to ``url`` could not connect to, and what to check.

        ``failure`` is the transport's error (httpx's, with its causes chained). The
        answer names the variable and the proxy, its credentials masked (:func:`masked`);
        it is ``None`` when ``url`` goes direct, or when ``failure`` is not a failure to
        connect: a TLS failure, or the proxy's answer to ``CONNECT``. A timeout or socket
        error on a tunnelled request (``https://``, or any through SOCKS) may have come
        from the server after the proxy accepted: the answer names the server as well.

        >>> rules = ProxyRules.from_environment({"HTTPS_PROXY": "http://u:pw@127.0.0.1:9"})
        >>> refused = httpx.ConnectError("[Errno 111] Connection refused")
        >>> refused.__cause__ = ConnectionRefusedError(111, "Connection refused")
        >>> url = httpx.URL("https://api.example.com/v1")
        >>> print(rules.unreachable(url, refused))  # doctest: +NORMALIZE_WHITESPACE
        HTTPS_PROXY=http://***@127.0.0.1:9 refused the connection; is the proxy running,
        or should NO_PROXY cover api.example.com?
        """
        if not self.routes:
            return None
        route = self._match(url.scheme, url.host, url.port)
        if route is None or route.proxy is None:
            return None
        proxy = route.proxy
        tunnelled = url.scheme == "https" or proxy.scheme in _SOCKS_SCHEMES
        what = _connect_failure(failure, tunnelled=tunnelled)
        if what is None:
            return None
        check = (
            f"is {route.variable} spelt right" if what == _UNRESOLVED else "is the proxy running"
        )
        return (
            f"{route.variable}={masked(proxy)} {what}; {check}, "
            f"or should NO_PROXY cover {url.host}?"
        )

    @property
    def proxies(self) -> frozenset[httpx.URL]:
        """Every proxy some request may go through."""
        return frozenset(route.proxy for route in self.routes if route.proxy is not None)

    def check(self, *, socks: bool, transport: str) -> None:
        """Refuse a proxy that ``transport`` (its name, for the message) cannot use.

        SOCKS 5 proxies pass only when ``socks`` is true; schemes other than ``http``,
        ``https``, ``socks5`` and ``socks5h`` never do. The message names the variable
        and says what to do; credentials in the proxy URL are masked.

        Raises:
            ConfigurationError: for the first proxy that cannot be used.

        """
        for route in self.routes:
            proxy = route.proxy
            if proxy is None or proxy.scheme in _USABLE_SCHEMES:
                continue
            shown = masked(proxy)
            if proxy.scheme in _SOCKS_SCHEMES:
                if socks:
                    continue
                raise ConfigurationError(
                    f"{route.variable} names a SOCKS proxy ({shown}), which {transport} "
                    "cannot use. To use it, pip install 'httpx[socks]' (the async client "
                    "also needs async_transport='httpx'); or set "
                    f"{route.variable} to an http:// proxy."
                )
            hint = " (SOCKS 4 is not supported: use socks5://)" if "socks" in proxy.scheme else ""
            raise ConfigurationError(
                f"{route.variable} names a proxy with the scheme {proxy.scheme!r} ({shown}), "
                f"which {transport} cannot use{hint}. Proxies may be http://, https://, "
                f"socks5:// or socks5h://; change or unset {route.variable}."
            )

    def __bool__(self) -> bool:
        return bool(self.routes)

    def __repr__(self) -> str:
        rows = ", ".join(
            f"{route.pattern} -> {masked(route.proxy) if route.proxy else 'direct'}"
            for route in self.routes
        )
        return f"ProxyRules({rows})"


def masked(url: httpx.URL) -> str:
    """``url`` as text with any user name and password replaced by ``***``."""
    if not url.userinfo:
        return str(url)
    bare = str(url.copy_with(username=None, password=None))
    scheme, _, rest = bare.partition("://")
    return f"{scheme}://***@{rest}"


_REFUSED = "refused the connection"
_UNRESOLVED = "names a host that could not be resolved"
_TIMED_OUT = "did not accept the connection in time"
_TLS_WAITS = (ssl.SSLWantReadError, ssl.SSLWantWriteError)
_EITHER_TIMED_OUT = "(or the server behind it) did not answer in time"


def _connect_failure(failure: BaseException, *, tunnelled: bool) -> str | None:
    """How connecting to the proxy failed, read from the error's causes; ``None``: unclear.

    Only the proxy's host is resolved and connected to, so a refused connect or an
    unresolved name is the proxy's. On a tunnelled request the TLS handshake with the
    server, and for SOCKS the proxy's own connect, happen inside the same connect step:
    a timeout or another socket error there may be the proxy's or the server's, and the
    answer says so. A plain ``http://`` request through an HTTP proxy has no tunnel, and
    its failed connect is always the proxy's. A TLS error is never the proxy's here.
    """
    if not isinstance(failure, httpx.ConnectError | httpx.ConnectTimeout | httpx.ProxyError):
        return None
    chain = list(causes(failure))
    # A TLS error means the connection was made: the server's certificate or handshake,
    # or a TLS proxy's. (SSLWantReadError is no failure: anyio's wait for more bytes,
    # left as the context of a handshake that then timed out.)
    if any(
        isinstance(cause, ssl.SSLError) and not isinstance(cause, _TLS_WAITS) for cause in chain
    ):
        return None
    errors = [cause for cause in chain if isinstance(cause, OSError)]
    if any(isinstance(error, socket.gaierror) for error in errors):
        return _UNRESOLVED
    if any(
        isinstance(error, ConnectionRefusedError) or error.errno == errno.ECONNREFUSED
        for error in errors
    ):
        return _REFUSED
    # aiohttp tells a failed connect to its proxy apart: it arrives as a ProxyError with
    # the socket's error under it (a refused CONNECT is a ProxyError with none).
    either = tunnelled and not (isinstance(failure, httpx.ProxyError) and errors)
    if isinstance(failure, httpx.ConnectTimeout):
        return _EITHER_TIMED_OUT if either else _TIMED_OUT
    if errors:  # unreachable network, reset during the handshake...
        if either:
            return f"(or the server behind it) broke off the connection ({failure})"
        return f"could not be reached ({failure})"
    return None  # no socket error: the proxy answered (a refused CONNECT), or no proxy at all


def _proxy_variables(environ: Mapping[str, str]) -> dict[str, tuple[str, str]]:
    # urllib's two passes, keeping the variable's name: any case first, then the names
    # with a lower-case "_proxy" suffix on top (an empty one unsets the scheme).
    found: dict[str, tuple[str, str]] = {}
    for name, value in environ.items():
        lowered = name.lower()
        if value and lowered.endswith("_proxy"):
            found[lowered[:-6]] = (name, value)
    if "REQUEST_METHOD" in environ:
        found.pop("http", None)
    for name, value in environ.items():
        if name.endswith("_proxy"):
            if value:
                found[name.lower()[:-6]] = (name, value)
            else:
                found.pop(name.lower()[:-6], None)
    return found


def _proxy_url(variable: str, value: str) -> httpx.URL:
    try:
        return httpx.URL(value if "://" in value else f"http://{value}")
    except httpx.InvalidURL:
        # The value is not echoed: it may hold a password that failed to parse.
        raise ConfigurationError(
            f"{variable} is not a valid proxy URL; expected scheme://[user:password@]host:port."
        ) from None


def _no_proxy_pattern(entry: str) -> str:
    if "://" in entry:
        return entry
    address = entry.split("/")[0]  # "10.0.0.0/8" is read as its first address, as httpx does
    if _is_ip(ipaddress.IPv4Address, address):
        return f"all://{entry}"
    if _is_ip(ipaddress.IPv6Address, address):
        return f"all://[{entry}]"
    if entry.lower() == "localhost":
        return f"all://{entry}"
    return f"all://*{entry}"


def _is_ip(kind: type[ipaddress.IPv4Address | ipaddress.IPv6Address], text: str) -> bool:
    try:
        kind(text)
    except ValueError:
        return False
    return True
