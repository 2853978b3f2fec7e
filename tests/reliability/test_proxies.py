"""Proxies from the environment, through a real forward proxy, for every way of calling.

The proxy is proxy.py from PyPI (``support/forward_proxy.py``), in a child process on
127.0.0.1; its access log says which requests it carried. The targets are the fault
server (``http://``) and the same server behind a TLS front whose certificate comes from
a trustme CA (``https://``), trusted through ``SSL_CERT_FILE``. Each case runs through
the sync client, the async client on aiohttp and on httpx, ``ChatMixroute`` (``invoke``,
``ainvoke`` on each transport) and ``Mixroute`` (``chat``, ``achat`` on each transport).

What a user may rely on:

* ``HTTP_PROXY`` carries ``http://`` calls, ``HTTPS_PROXY`` tunnels ``https://`` calls
  through ``CONNECT``, ``ALL_PROXY`` both, in either case of the name; a proxy for the
  other scheme is not used.
* ``NO_PROXY`` naming the host, or ``*``, sends the call direct (shown with the proxy
  variable pointing at a port where nothing listens: a call that used it would fail).
* A proxy that is down, or refuses the client, is an error, never a silent bypass. One
  that refuses the connection, whose host does not resolve or that does not accept the
  connection in time is named in the error's message (variable and proxy, its
  credentials masked), with what to check; the error's class and its retries are those
  of any failed connect.
* Through a tunnel (``https://``) a timeout may be the proxy's or the server's handshake:
  the message names the proxy "(or the server behind it)". A TLS error (an untrusted
  certificate, a hang-up the TLS layer saw) is the server's, and does not name the proxy.
* A ``.netrc`` with a ``default`` entry changes nothing: no credentials from it reach the
  server or the proxy.
* A SOCKS proxy with a transport that cannot speak it is a ``ConfigurationError`` when
  the client is made, naming the variable, the transport and what to do.
"""

from __future__ import annotations

import socket
import ssl
import traceback
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import trustme
from support.callers import CALLERS, CallConfig, Caller, caller_id
from support.forward_proxy import ForwardProxy
from support.stalling_server import StallingServer
from support.tls_relay import TLSRelay

from mixroute import APIConnectionError, APIStatusError, APITimeoutError, ConfigurationError
from mixroute.proxies import socks_installed
from reliability.drivers.base import API_KEY
from reliability.fault_server import FaultServer, closed_port_url
from reliability.scenarios import TEXT
from reliability.test_connections import port_of, unanswered_address

PROXY_VARIABLES = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY")
TIMEOUT = 5.0
PROXY_USER, PROXY_PASSWORD = "x", "y"  # the auth proxy's credentials, and the .netrc's
DOWN_USER, DOWN_PASSWORD = "proxy-user-7f3a", "proxy-password-c91e"  # a down proxy's

EVERY_CALLER = pytest.mark.parametrize("caller", CALLERS, ids=caller_id)


# -- servers -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture(scope="module")
def ca_file(ca: trustme.CA, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("ca") / "ca.pem"
    ca.cert_pem.write_to_path(str(path))
    return path


@pytest.fixture(scope="module")
def forward_proxy() -> Iterator[ForwardProxy]:
    with ForwardProxy() as proxy:
        yield proxy


@pytest.fixture(scope="module")
def auth_proxy() -> Iterator[ForwardProxy]:
    """A proxy that answers 407 to any request without ``x:y`` as its credentials."""
    with ForwardProxy("--basic-auth", f"{PROXY_USER}:{PROXY_PASSWORD}") as proxy:
        yield proxy


@pytest.fixture
def https_server(fault_server: FaultServer, ca: trustme.CA) -> Iterator[TLSRelay]:
    """The fault server behind TLS: ``https://127.0.0.1:PORT/v1``."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(context)
    port = int(fault_server.base_url.rsplit(":", 1)[1].split("/")[0])
    with TLSRelay(port, context) as relay:
        yield relay


@pytest.fixture(autouse=True)
def environment(monkeypatch: pytest.MonkeyPatch, ca_file: Path, tmp_path: Path) -> None:
    """No proxy variable but the test's own; the CA trusted; no .netrc unless the test writes one."""
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)
    monkeypatch.delenv("REQUEST_METHOD", raising=False)
    monkeypatch.setenv("SSL_CERT_FILE", str(ca_file))
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("NETRC", str(tmp_path / ".netrc"))


def target(scheme: str, fault_server: FaultServer, request: pytest.FixtureRequest) -> str:
    """The base URL of the fault server, direct (``http``) or behind TLS (``https``)."""
    if scheme == "http":
        return fault_server.base_url
    relay: TLSRelay = request.getfixturevalue("https_server")
    return relay.base_url


def host_port(base_url: str) -> str:
    return base_url.split("://", 1)[1].split("/", 1)[0]


def config(base_url: str) -> CallConfig:
    return CallConfig(base_url, timeout=TIMEOUT)


def answered(outcomes: list[Any]) -> None:
    for outcome in outcomes:
        assert outcome.error is None, repr(outcome.error)
        assert outcome.text == TEXT


def assert_through(
    proxy: ForwardProxy, base_url: str, server: FaultServer, since: int, calls: int = 1
) -> None:
    """The proxy carried the calls to ``base_url``: a CONNECT for https, a forward for http."""
    assert server.request_count == calls
    where = host_port(base_url)
    if base_url.startswith("https://"):
        tunnels = proxy.wait_for("CONNECT", where, since=since)
        assert tunnels, f"no CONNECT {where} in the proxy's log: {proxy.requests(since)}"
    else:
        forwarded = proxy.wait_for("POST", where, since=since)
        assert forwarded, f"no POST to {where} in the proxy's log: {proxy.requests(since)}"
        assert forwarded[0].path == "/v1/chat/completions"
        # proxy.py adds its Via to the first request of each connection it opens to the
        # server, and passes the later ones on that connection through as they are.
        proxied = {
            received.connection
            for received in server.received
            if received.headers.get("via", "").startswith("1.1 proxy.py")
        }
        assert proxied
        assert all(received.connection in proxied for received in server.received)


# -- the proxy variables ---------------------------------------------------------------------

ROUTED = [
    pytest.param("HTTP_PROXY", "http", id="HTTP_PROXY-http"),
    pytest.param("http_proxy", "http", id="http_proxy-http"),
    pytest.param("HTTPS_PROXY", "https", id="HTTPS_PROXY-https"),
    pytest.param("https_proxy", "https", id="https_proxy-https"),
    pytest.param("ALL_PROXY", "http", id="ALL_PROXY-http"),
    pytest.param("ALL_PROXY", "https", id="ALL_PROXY-https"),
    pytest.param("all_proxy", "https", id="all_proxy-https"),
]


@EVERY_CALLER
@pytest.mark.parametrize(("variable", "scheme"), ROUTED)
def test_a_proxy_variable_routes_the_call_through_the_proxy(
    caller: Caller,
    variable: str,
    scheme: str,
    forward_proxy: ForwardProxy,
    fault_server: FaultServer,
    monkeypatch: pytest.MonkeyPatch,
    request: pytest.FixtureRequest,
) -> None:
    base_url = target(scheme, fault_server, request)
    monkeypatch.setenv(variable, forward_proxy.url)
    since = forward_proxy.mark()
    answered(caller.run(config(base_url), calls=2))
    assert_through(forward_proxy, base_url, fault_server, since, calls=2)


@EVERY_CALLER
@pytest.mark.parametrize(
    ("variable", "scheme"),
    [
        pytest.param("HTTPS_PROXY", "http", id="HTTPS_PROXY-http"),
        pytest.param("HTTP_PROXY", "https", id="HTTP_PROXY-https"),
    ],
)
def test_a_proxy_for_the_other_scheme_is_not_used(
    caller: Caller,
    variable: str,
    scheme: str,
    fault_server: FaultServer,
    monkeypatch: pytest.MonkeyPatch,
    request: pytest.FixtureRequest,
) -> None:
    base_url = target(scheme, fault_server, request)
    monkeypatch.setenv(variable, closed_port_url().removesuffix("/v1"))  # fails if used
    answered(caller.run(config(base_url)))
    assert "via" not in fault_server.received[0].headers


@EVERY_CALLER
@pytest.mark.parametrize("scheme", ["http", "https"])
@pytest.mark.parametrize(
    ("variable", "value"),
    [
        pytest.param("NO_PROXY", "127.0.0.1", id="NO_PROXY-host"),
        pytest.param("no_proxy", "example.com, 127.0.0.1", id="no_proxy-list"),
        pytest.param("NO_PROXY", "*", id="NO_PROXY-star"),
    ],
)
def test_no_proxy_sends_the_call_direct(
    caller: Caller,
    variable: str,
    value: str,
    scheme: str,
    fault_server: FaultServer,
    monkeypatch: pytest.MonkeyPatch,
    request: pytest.FixtureRequest,
) -> None:
    base_url = target(scheme, fault_server, request)
    monkeypatch.setenv("ALL_PROXY", closed_port_url().removesuffix("/v1"))  # fails if used
    monkeypatch.setenv(variable, value)
    answered(caller.run(config(base_url)))
    assert "via" not in fault_server.received[0].headers


# -- a proxy that fails ----------------------------------------------------------------------


@EVERY_CALLER
@pytest.mark.parametrize(("variable", "scheme"), [("HTTP_PROXY", "http"), ("HTTPS_PROXY", "https")])
def test_a_proxy_that_is_down_is_a_connection_error_not_a_bypass(
    caller: Caller,
    variable: str,
    scheme: str,
    fault_server: FaultServer,
    monkeypatch: pytest.MonkeyPatch,
    request: pytest.FixtureRequest,
) -> None:
    base_url = target(scheme, fault_server, request)
    proxy = closed_port_url().removesuffix("/v1")
    monkeypatch.setenv(variable, with_credentials(proxy))
    message = (
        f"Connection error: {variable}={masked(proxy)} refused the connection; "
        "is the proxy running, or should NO_PROXY cover 127.0.0.1?"
    )
    assert_fails_naming_the_proxy(caller, config(base_url), fault_server, message)


def with_credentials(proxy: str) -> str:
    return proxy.replace("://", f"://{DOWN_USER}:{DOWN_PASSWORD}@")


def masked(proxy: str) -> str:
    """The proxy :func:`with_credentials` gave, as an error shows it."""
    return proxy.replace("://", "://***@")


def assert_fails_naming_the_proxy(
    caller: Caller,
    settings: CallConfig,
    server: FaultServer,
    message: str,
    kind: type[APIConnectionError] = APIConnectionError,
) -> None:
    """A call fails with ``kind`` and ``message``, retried as any failed connect, no bypass.

    Neither the message, the repr nor the traceback (causes included) holds the proxy's
    credentials.
    """
    [outcome] = caller.run(settings)
    error = outcome.error
    assert type(error) is kind, repr(error)
    assert str(error) == message
    for text in [repr(error), "".join(traceback.format_exception(error))]:
        assert DOWN_USER not in text
        assert DOWN_PASSWORD not in text
    assert len(settings.sleeps) == settings.max_retries
    assert server.connections_opened == 0


@EVERY_CALLER
@pytest.mark.parametrize("scheme", ["http", "https"])
def test_a_proxy_that_does_not_accept_the_connection_is_named_in_the_timeout(
    caller: Caller,
    scheme: str,
    fault_server: FaultServer,
    request: pytest.FixtureRequest,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    proxy = closed_port_url().removesuffix("/v1")
    port = int(proxy.rsplit(":", 1)[1])
    monkeypatch.setenv("ALL_PROXY", with_credentials(proxy))
    if scheme == "http":
        base_url, what = fault_server.base_url, "did not accept the connection in time"
    else:  # a tunnel: the timeout may be the proxy's or, past it, the server's handshake
        relay: TLSRelay = request.getfixturevalue("https_server")
        base_url, what = relay.base_url, "(or the server behind it) did not answer in time"
    settings = CallConfig(base_url, max_retries=1, timeout=0.2)
    message = (
        f"Request timed out (ConnectTimeout): ALL_PROXY={masked(proxy)} {what}; "
        "is the proxy running, or should NO_PROXY cover 127.0.0.1?"
    )
    with unanswered_address("127.0.0.1", port):
        assert_fails_naming_the_proxy(caller, settings, fault_server, message, APITimeoutError)


@pytest.fixture
def unresolvable_proxy(monkeypatch: pytest.MonkeyPatch) -> str:
    """``https_proxy`` naming a host the resolver does not know (as it answers, offline)."""
    resolve = socket.getaddrinfo

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        if host in ("proxy.invalid", b"proxy.invalid"):
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return resolve(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    monkeypatch.setenv("https_proxy", with_credentials("http://proxy.invalid:3128"))
    return "http://proxy.invalid:3128"


@EVERY_CALLER
def test_a_proxy_whose_host_does_not_resolve_is_named_in_the_error(
    caller: Caller, unresolvable_proxy: str, https_server: TLSRelay, fault_server: FaultServer
) -> None:
    message = (
        f"Connection error: https_proxy={masked(unresolvable_proxy)} names a host that could not be "
        "resolved; is https_proxy spelt right, or should NO_PROXY cover 127.0.0.1?"
    )
    assert_fails_naming_the_proxy(caller, config(https_server.base_url), fault_server, message)


# -- a server that fails through the proxy's tunnel -------------------------------------------

CORE_CALLERS = pytest.mark.parametrize(
    "caller", [caller for caller in CALLERS if caller.kind == "core"], ids=caller_id
)


@pytest.fixture
def untrusted_server(fault_server: FaultServer) -> Iterator[TLSRelay]:
    """The fault server behind TLS, its certificate from a CA the client does not trust."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    trustme.CA().issue_cert("127.0.0.1").configure_cert(context)
    with TLSRelay(port_of(fault_server), context) as relay:
        yield relay


def tunnelled(
    caller: Caller, proxy: ForwardProxy, base_url: str, settings: CallConfig
) -> BaseException:
    """The error of one call to ``base_url`` through ``proxy``, which did open the tunnel."""
    since = proxy.mark()
    [outcome] = caller.run(settings)
    assert outcome.error is not None
    where = host_port(base_url)
    assert proxy.wait_for("CONNECT", where, since=since), f"no CONNECT {where}"
    return outcome.error


@CORE_CALLERS
def test_a_certificate_refused_through_the_tunnel_is_the_certificate_error(
    caller: Caller,
    forward_proxy: ForwardProxy,
    untrusted_server: TLSRelay,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HTTPS_PROXY", forward_proxy.url)
    settings = config(untrusted_server.base_url)
    error = tunnelled(caller, forward_proxy, untrusted_server.base_url, settings)
    assert type(error) is APIConnectionError, repr(error)
    assert "CERTIFICATE_VERIFY_FAILED" in str(error)
    assert "HTTPS_PROXY" not in str(error)
    assert settings.sleeps == []  # a refused certificate is refused again: not retried


@CORE_CALLERS
@pytest.mark.parametrize(
    ("limit", "kind"),
    [
        pytest.param(10.0, APITimeoutError, id="silent"),  # never answers the handshake
        pytest.param(0.0, APIConnectionError, id="hangs-up"),  # closes at once
    ],
)
def test_a_server_that_fails_the_handshake_through_the_tunnel_is_named_with_the_proxy(
    caller: Caller,
    limit: float,
    kind: type[APIConnectionError],
    forward_proxy: ForwardProxy,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The client cannot tell this from a proxy that never opened the tunnel: the error
    # names both, the proxy first (the usual culprit), never as the only one.
    monkeypatch.setenv("HTTPS_PROXY", forward_proxy.url)
    with StallingServer(limit=limit) as server:
        base_url = server.base_url.replace("http://", "https://")
        settings = CallConfig(base_url, max_retries=0, timeout=0.5)
        error = tunnelled(caller, forward_proxy, base_url, settings)
        assert server.connections == 1  # the proxy accepted, and connected to the server
    assert type(error) is kind, repr(error)
    text = str(error)
    if kind is APITimeoutError:
        assert text == (
            f"Request timed out (ConnectTimeout): HTTPS_PROXY={forward_proxy.url} (or the "
            "server behind it) did not answer in time; is the proxy running, or should "
            "NO_PROXY cover 127.0.0.1?"
        )
    elif "SSL" in text:  # the TLS layer saw the hang-up: the tunnel was open
        assert "HTTPS_PROXY" not in text
        assert "UNEXPECTED_EOF" in text  # what the TLS layer said, not a bare class name
    else:  # aiohttp's socket error, without the TLS one under it
        assert f"HTTPS_PROXY={forward_proxy.url} (or the server behind it) broke off" in text


@EVERY_CALLER
@pytest.mark.parametrize(("variable", "scheme"), [("HTTP_PROXY", "http"), ("HTTPS_PROXY", "https")])
def test_a_proxy_that_refuses_the_client_is_an_error_not_a_bypass(
    caller: Caller,
    variable: str,
    scheme: str,
    auth_proxy: ForwardProxy,
    fault_server: FaultServer,
    monkeypatch: pytest.MonkeyPatch,
    request: pytest.FixtureRequest,
) -> None:
    base_url = target(scheme, fault_server, request)
    monkeypatch.setenv(variable, auth_proxy.url)
    [outcome] = caller.run(config(base_url))
    assert_refused_by_proxy(outcome.error, scheme)
    assert fault_server.connections_opened == 0


def assert_refused_by_proxy(error: BaseException | None, scheme: str) -> None:
    if scheme == "https":  # the CONNECT was answered 407: no tunnel, a connection error
        assert isinstance(error, APIConnectionError), repr(error)
        assert "407" in str(error)
    else:  # a forwarding proxy's 407 is the answer to the request itself
        assert isinstance(error, APIStatusError), repr(error)
        assert error.status_code == 407


@EVERY_CALLER
def test_proxy_credentials_in_the_url_are_sent_to_the_proxy(
    caller: Caller,
    auth_proxy: ForwardProxy,
    fault_server: FaultServer,
    https_server: TLSRelay,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    url = auth_proxy.url.replace("://", f"://{PROXY_USER}:{PROXY_PASSWORD}@")
    monkeypatch.setenv("HTTPS_PROXY", url)
    since = auth_proxy.mark()
    answered(caller.run(config(https_server.base_url)))
    assert_through(auth_proxy, https_server.base_url, fault_server, since)


# -- .netrc ----------------------------------------------------------------------------------


@pytest.fixture
def netrc_default(tmp_path: Path) -> Path:
    """``~/.netrc`` (and ``$NETRC``) with a ``default`` entry, which matches every host."""
    path = tmp_path / ".netrc"
    path.write_text(f"default login {PROXY_USER} password {PROXY_PASSWORD}\n")
    path.chmod(0o600)
    return path


@EVERY_CALLER
@pytest.mark.usefixtures("netrc_default")
@pytest.mark.parametrize("scheme", ["http", "https"])
def test_a_netrc_default_entry_sends_no_credentials_to_the_server(
    caller: Caller,
    scheme: str,
    fault_server: FaultServer,
    request: pytest.FixtureRequest,
) -> None:
    answered(caller.run(config(target(scheme, fault_server, request))))
    [received] = fault_server.received
    assert received.headers["authorization"] == f"Bearer {API_KEY}"
    assert "proxy-authorization" not in received.headers


@EVERY_CALLER
@pytest.mark.usefixtures("netrc_default")
@pytest.mark.parametrize(("variable", "scheme"), [("HTTP_PROXY", "http"), ("HTTPS_PROXY", "https")])
def test_a_netrc_default_entry_sends_no_credentials_to_the_proxy(
    caller: Caller,
    variable: str,
    scheme: str,
    auth_proxy: ForwardProxy,
    fault_server: FaultServer,
    monkeypatch: pytest.MonkeyPatch,
    request: pytest.FixtureRequest,
) -> None:
    # The .netrc holds the auth proxy's very credentials: used, they would be accepted.
    base_url = target(scheme, fault_server, request)
    monkeypatch.setenv(variable, auth_proxy.url)
    [outcome] = caller.run(config(base_url))
    assert_refused_by_proxy(outcome.error, scheme)
    assert fault_server.connections_opened == 0


# -- SOCKS -----------------------------------------------------------------------------------


@pytest.fixture
def socks_proxy(caller: Caller, monkeypatch: pytest.MonkeyPatch) -> str:
    """``ALL_PROXY=socks5://…`` for a caller whose transport cannot speak SOCKS here."""
    if socks_installed() and caller.transport != "aiohttp":
        pytest.skip("with socksio installed, httpx's transports speak SOCKS 5")
    monkeypatch.setenv("ALL_PROXY", "socks5://127.0.0.1:1")
    return "socks5://127.0.0.1:1"


def assert_says_what_to_do(error: ConfigurationError, caller: Caller) -> None:
    message = str(error)
    assert "ALL_PROXY names a SOCKS proxy (socks5://127.0.0.1:1)" in message
    if caller.transport == "aiohttp":
        assert "async_transport='aiohttp' cannot use" in message
    assert "pip install 'httpx[socks]'" in message
    assert "async_transport='httpx'" in message
    assert "or set ALL_PROXY to an http:// proxy" in message


@EVERY_CALLER
def test_a_socks_proxy_the_transport_cannot_use_fails_when_the_client_is_made(
    caller: Caller, socks_proxy: str, fault_server: FaultServer
) -> None:
    with pytest.raises(ConfigurationError) as caught:
        caller.open(config(fault_server.base_url))
    assert_says_what_to_do(caught.value, caller)


@EVERY_CALLER
def test_a_socks_proxy_the_transport_cannot_use_fails_before_any_connection(
    caller: Caller, socks_proxy: str, fault_server: FaultServer
) -> None:
    try:
        [outcome] = caller.run(config(fault_server.base_url))
    except ConfigurationError as exc:  # when the client is made
        error: BaseException | None = exc
    else:  # or at the first call
        error = outcome.error
    assert isinstance(error, ConfigurationError), repr(error)
    assert_says_what_to_do(error, caller)
    assert fault_server.connections_opened == 0
