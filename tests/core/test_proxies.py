"""Specification of mixroute.proxies: the environment's proxies, chosen exactly as httpx chooses.

The oracle is httpx itself: for each environment, ``httpx.Client(trust_env=True)`` is built
with that environment and asked (through its private ``_transport_for_url`` and ``_mounts``,
in this test only) which proxy a URL would go through; ``ProxyRules.proxy_for`` must give
the same proxy, with the same credentials, for every URL.
"""

from __future__ import annotations

import asyncio
import os
import socket
import ssl
from collections.abc import Iterator, Mapping

import httpx
import pytest
from httpx._utils import get_environment_proxies
from hypothesis import given, settings
from hypothesis import strategies as st

from mixroute.errors import ConfigurationError
from mixroute.proxies import ProxyRules, masked

# One context for every oracle client: building httpx's default one costs ~30 ms.
CONTEXT = ssl.create_default_context()

URLS = [
    "http://example.com/",
    "https://example.com/v1",
    "http://www.example.com/",
    "https://api.example.com:8443/v1",
    "http://wwwexample.com/",
    "http://example.com:8080/",
    "https://EXAMPLE.com/",
    "http://localhost:8000/v1",
    "https://localhost/",
    "http://127.0.0.1/",
    "https://127.0.0.1:8443/",
    "http://192.168.0.0/",
    "http://192.168.1.5/",
    "http://[::1]:8080/",
    "https://[fe80::1]/",
    "http://internal.corp/",
    "https://internal.corp/",
    "http://sub.internal.corp/",
    "https://console.mixroute.io/v1/chat/completions",
]

Choice = tuple[str, tuple[str, str] | None] | None  # (proxy URL, credentials), or direct


def clean_environment(monkeypatch: pytest.MonkeyPatch, environ: Mapping[str, str]) -> None:
    for name in list(os.environ):
        if name.lower().endswith("_proxy") or name == "REQUEST_METHOD":
            monkeypatch.delenv(name)
    for name, value in environ.items():
        monkeypatch.setenv(name, value)


def httpx_choice(client: httpx.Client, url: str) -> Choice:
    """The proxy httpx's client sends ``url`` through, read from its mounts."""
    transport = client._transport_for_url(httpx.URL(url))
    if transport is client._transport:
        return None
    pattern = next(p.pattern for p, t in client._mounts.items() if t is transport)
    proxy = httpx.Proxy(get_environment_proxies()[pattern])
    return str(proxy.url), proxy.auth


def our_choice(rules: ProxyRules, url: str) -> Choice:
    proxy = rules.proxy_for(httpx.URL(url))
    if proxy is None:
        return None
    auth = (proxy.username, proxy.password) if proxy.username or proxy.password else None
    return str(proxy.copy_with(username=None, password=None)), auth


def assert_same_as_httpx(monkeypatch: pytest.MonkeyPatch, environ: Mapping[str, str]) -> None:
    clean_environment(monkeypatch, environ)
    rules = ProxyRules.from_environment()  # os.environ, as httpx reads it
    with httpx.Client(verify=CONTEXT) as client:
        for url in URLS:
            assert our_choice(rules, url) == httpx_choice(client, url), (environ, url)


ENVIRONMENTS: dict[str, dict[str, str]] = {
    "nothing": {},
    "http only": {"HTTP_PROXY": "http://proxy:3128"},
    "https only": {"HTTPS_PROXY": "http://proxy:3128"},
    "all only, no scheme": {"ALL_PROXY": "proxy:3128"},
    "each scheme its own": {
        "HTTP_PROXY": "http://plain:1",
        "HTTPS_PROXY": "http://secure:2",
        "ALL_PROXY": "http://fallback:3",
    },
    "lower case wins": {"HTTP_PROXY": "http://upper:1", "http_proxy": "http://lower:2"},
    "lower case wins for https": {"https_proxy": "http://lower:2", "HTTPS_PROXY": "http://up:1"},
    "mixed-case names": {"Http_Proxy": "http://mixed:1", "HTTPS_proxy": "http://suffix:2"},
    "empty lower case unsets": {"HTTP_PROXY": "http://upper:1", "http_proxy": ""},
    "empty upper case is ignored": {"HTTP_PROXY": "", "HTTPS_PROXY": "http://secure:2"},
    "CGI drops HTTP_PROXY": {
        "REQUEST_METHOD": "GET",
        "HTTP_PROXY": "http://injected:1",
        "HTTPS_PROXY": "http://secure:2",
    },
    "CGI keeps http_proxy": {"REQUEST_METHOD": "", "http_proxy": "http://lower:1"},
    "credentials": {"HTTPS_PROXY": "http://user:p%40ss@proxy:8080", "HTTP_PROXY": "u:pw@p:1"},
    "https proxy with a path": {"HTTPS_PROXY": "https://secure-proxy:443/prefix"},
    "NO_PROXY star": {"ALL_PROXY": "http://proxy:1", "NO_PROXY": "*"},
    "NO_PROXY star among others": {"HTTPS_PROXY": "http://proxy:1", "NO_PROXY": "example.com,*"},
    "NO_PROXY domain and subdomains": {"ALL_PROXY": "http://p:1", "NO_PROXY": "example.com"},
    "NO_PROXY subdomains only": {"ALL_PROXY": "http://p:1", "NO_PROXY": ".example.com"},
    "NO_PROXY upper-case domain": {"ALL_PROXY": "http://p:1", "NO_PROXY": "EXAMPLE.COM"},
    "NO_PROXY addresses": {"ALL_PROXY": "http://p:1", "NO_PROXY": "127.0.0.1,::1,localhost"},
    "NO_PROXY IPv6": {"ALL_PROXY": "http://p:1", "NO_PROXY": "fe80::1"},
    "NO_PROXY network": {"ALL_PROXY": "http://p:1", "NO_PROXY": "192.168.0.0/16"},
    "NO_PROXY port": {"ALL_PROXY": "http://p:1", "NO_PROXY": "example.com:8080"},
    "NO_PROXY localhost port": {"ALL_PROXY": "http://p:1", "NO_PROXY": "localhost:8000"},
    "NO_PROXY with a scheme": {"ALL_PROXY": "http://p:1", "NO_PROXY": "http://internal.corp"},
    "NO_PROXY a whole scheme": {"ALL_PROXY": "http://p:1", "NO_PROXY": "https://"},
    "NO_PROXY overrides a mount": {"HTTP_PROXY": "http://p:1", "NO_PROXY": "http://"},
    "NO_PROXY spaces and blanks": {
        "HTTPS_PROXY": "http://p:1",
        "NO_PROXY": " example.com , ,localhost ,",
    },
    "no_proxy lower case wins": {
        "ALL_PROXY": "http://p:1",
        "NO_PROXY": "example.com",
        "no_proxy": "internal.corp",
    },
    "specific beats general": {
        "HTTPS_PROXY": "http://secure:2",
        "ALL_PROXY": "http://fallback:3",
        "NO_PROXY": "https://api.example.com:8443,http://",
    },
    "NO_PROXY without proxies": {"NO_PROXY": "example.com"},
}


@pytest.mark.parametrize("environ", ENVIRONMENTS.values(), ids=ENVIRONMENTS.keys())
def test_the_proxy_chosen_is_the_one_httpx_chooses(
    monkeypatch: pytest.MonkeyPatch, environ: dict[str, str]
) -> None:
    assert_same_as_httpx(monkeypatch, environ)


PROXY_VALUES = st.sampled_from(
    ["http://a:1", "b:2", "https://u:pw@c:3", "", "http://d:4/path", "HTTP://E:5"]
)
NO_PROXY_ENTRIES = st.sampled_from(
    [
        "example.com",
        ".example.com",
        "EXAMPLE.com",
        "localhost",
        "localhost:8000",
        "127.0.0.1",
        "::1",
        "fe80::1",
        "192.168.0.0/16",
        "example.com:8080",
        "http://internal.corp",
        "https://",
        "internal.corp",
        "api.example.com:8443",
        "",
        " ",
        "*",
    ]
)
NAMES = {
    "http": ["HTTP_PROXY", "http_proxy", "Http_Proxy"],
    "https": ["HTTPS_PROXY", "https_proxy"],
    "all": ["ALL_PROXY", "all_proxy"],
    "no": ["NO_PROXY", "no_proxy"],
}


@st.composite
def environments(draw: st.DrawFn) -> dict[str, str]:
    environ: dict[str, str] = {}
    for scheme in ("http", "https", "all"):
        for name in draw(st.lists(st.sampled_from(NAMES[scheme]), unique=True, max_size=2)):
            environ[name] = draw(PROXY_VALUES)
    for name in draw(st.lists(st.sampled_from(NAMES["no"]), unique=True, max_size=2)):
        entries = draw(st.lists(NO_PROXY_ENTRIES, max_size=4))
        environ[name] = ",".join(entries)
    if draw(st.booleans()):
        environ["REQUEST_METHOD"] = "POST"
    return environ


@settings(max_examples=100, deadline=None)
@given(environ=environments())
def test_any_environment_chooses_as_httpx_does(environ: dict[str, str]) -> None:
    with pytest.MonkeyPatch.context() as monkeypatch:
        assert_same_as_httpx(monkeypatch, environ)


# --- reading ---------------------------------------------------------------------------------


def test_a_mapping_can_stand_for_the_environment() -> None:
    rules = ProxyRules.from_environment({"https_proxy": "proxy:3128", "NO_PROXY": "localhost"})
    assert rules.proxy_for(httpx.URL("https://api.example.com/")) == httpx.URL("http://proxy:3128")
    assert rules.proxy_for(httpx.URL("http://api.example.com/")) is None
    assert rules.proxy_for(httpx.URL("https://localhost:8443/")) is None


def test_no_proxies_make_empty_false_rules() -> None:
    for environ in ({}, {"NO_PROXY": "example.com"}, {"ALL_PROXY": "http://p:1", "NO_PROXY": "*"}):
        rules = ProxyRules.from_environment(environ)
        assert not rules
        assert rules.proxies == frozenset()
        assert rules.proxy_for(httpx.URL("https://example.com/")) is None


def test_proxies_lists_every_proxy_with_its_credentials() -> None:
    rules = ProxyRules.from_environment(
        {"HTTP_PROXY": "http://a:1", "HTTPS_PROXY": "http://u:pw@b:2", "ALL_PROXY": "http://a:1"}
    )
    assert rules
    assert rules.proxies == {httpx.URL("http://a:1"), httpx.URL("http://u:pw@b:2")}


def test_the_answer_is_the_same_on_every_call_for_any_number_of_origins() -> None:
    rules = ProxyRules.from_environment({"HTTPS_PROXY": "http://p:1", "NO_PROXY": ".internal"})
    urls = [httpx.URL(f"https://host{n}{'.internal' * (n % 2)}/") for n in range(600)]
    first = [rules.proxy_for(url) for url in urls]  # more origins than it remembers
    assert [rules.proxy_for(url) for url in reversed(urls)] == first[::-1]
    assert first[:2] == [httpx.URL("http://p:1"), None]


def test_an_unreadable_proxy_is_refused_without_echoing_it(monkeypatch: pytest.MonkeyPatch) -> None:
    environ = {"HTTPS_PROXY": "http://user:hunter2@proxy:notaport"}
    clean_environment(monkeypatch, environ)
    with pytest.raises(httpx.InvalidURL):
        httpx.Client()  # httpx refuses it too
    with pytest.raises(ConfigurationError, match="HTTPS_PROXY is not a valid proxy URL") as info:
        ProxyRules.from_environment(environ)
    assert "hunter2" not in str(info.value)


def test_an_unreadable_no_proxy_entry_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    environ = {"HTTP_PROXY": "http://p:1", "no_proxy": "example.com,[::1]"}
    clean_environment(monkeypatch, environ)
    with pytest.raises(httpx.InvalidURL):
        httpx.Client()
    with pytest.raises(ConfigurationError, match=r"no_proxy has an entry httpx cannot read"):
        ProxyRules.from_environment(environ)


def test_the_representation_masks_credentials() -> None:
    rules = ProxyRules.from_environment(
        {"HTTPS_PROXY": "http://user:hunter2@proxy:8080", "NO_PROXY": "localhost"}
    )
    text = repr(rules)
    assert "hunter2" not in text
    assert "user" not in text
    assert "https:// -> http://***@proxy:8080" in text
    assert "all://localhost -> direct" in text


def test_masked_hides_the_user_and_password() -> None:
    assert masked(httpx.URL("socks5://me:secret@proxy:1080")) == "socks5://***@proxy:1080"
    assert masked(httpx.URL("http://proxy:3128")) == "http://proxy:3128"


# --- check() ---------------------------------------------------------------------------------


def test_http_and_https_proxies_pass_every_transport() -> None:
    rules = ProxyRules.from_environment({"HTTP_PROXY": "http://a:1", "HTTPS_PROXY": "https://b:2"})
    rules.check(socks=False, transport="async_transport='aiohttp'")
    rules.check(socks=True, transport="the sync client's transport")


def test_a_socks_proxy_passes_only_where_socks_is_spoken() -> None:
    rules = ProxyRules.from_environment({"ALL_PROXY": "socks5h://user:hunter2@proxy:1080"})
    rules.check(socks=True, transport="the sync client's transport")
    with pytest.raises(ConfigurationError) as info:
        rules.check(socks=False, transport="async_transport='aiohttp'")
    message = str(info.value)
    assert message.startswith("ALL_PROXY names a SOCKS proxy (socks5h://***@proxy:1080)")
    assert "async_transport='aiohttp' cannot use" in message
    assert "pip install 'httpx[socks]'" in message
    assert "async_transport='httpx'" in message
    assert "http:// proxy" in message
    assert "hunter2" not in message
    assert "user" not in message


def test_the_message_names_the_variable_as_it_was_spelt() -> None:
    rules = ProxyRules.from_environment({"https_proxy": "socks5://proxy:1080"})
    with pytest.raises(ConfigurationError, match=r"^https_proxy names a SOCKS proxy"):
        rules.check(socks=False, transport="the sync client's transport")


@pytest.mark.parametrize("socks", [True, False])
def test_socks4_is_never_usable(socks: bool) -> None:
    rules = ProxyRules.from_environment({"ALL_PROXY": "socks4://u:hunter2@proxy:1080"})
    with pytest.raises(ConfigurationError) as info:
        rules.check(socks=socks, transport="the sync client's transport")
    message = str(info.value)
    assert "ALL_PROXY names a proxy with the scheme 'socks4'" in message
    assert "use socks5://" in message
    assert "hunter2" not in message


def test_an_unknown_scheme_is_never_usable(monkeypatch: pytest.MonkeyPatch) -> None:
    environ = {"HTTPS_PROXY": "ftp://proxy:21", "NO_PROXY": "localhost"}
    clean_environment(monkeypatch, environ)
    with pytest.raises(ValueError, match="Unknown scheme"):
        httpx.Client()  # httpx refuses it when the client is made
    rules = ProxyRules.from_environment(environ)
    with pytest.raises(
        ConfigurationError, match=r"HTTPS_PROXY names a proxy with the scheme 'ftp'"
    ):
        rules.check(socks=True, transport="the sync client's transport")


def test_a_refused_proxy_that_no_request_uses_is_not_checked() -> None:
    rules = ProxyRules.from_environment({"HTTP_PROXY": "socks4://proxy:1", "NO_PROXY": "*"})
    rules.check(socks=False, transport="the sync client's transport")


# --- unreachable(): naming a proxy that could not be connected to ---------------------------

API = httpx.URL("https://api.example.com/v1/chat/completions")


def failed(error: httpx.HTTPError, *causes: BaseException) -> httpx.HTTPError:
    """``error`` with ``causes`` chained under it, the way httpx and httpcore raise it."""
    current: BaseException = error
    for cause in causes:
        current.__cause__ = cause
        current = cause
    return error


def refused() -> httpx.HTTPError:
    return failed(
        httpx.ConnectError("[Errno 111] Connection refused"), ConnectionRefusedError(111, "refused")
    )


def test_a_refused_connect_names_the_variable_and_the_proxy_with_credentials_masked() -> None:
    rules = ProxyRules.from_environment({"HTTPS_PROXY": "http://user:hunter2@proxy:3128"})
    message = rules.unreachable(API, refused())
    assert message == (
        "HTTPS_PROXY=http://***@proxy:3128 refused the connection; "
        "is the proxy running, or should NO_PROXY cover api.example.com?"
    )
    assert "user" not in message
    assert "hunter2" not in message


def test_the_proxy_is_shown_as_the_variable_gave_it_with_its_credentials_masked() -> None:
    for value, shown in [
        ("[::1]:8080", "all_proxy=http://[::1]:8080 "),
        ("https://u:p@secure-proxy", "all_proxy=https://***@secure-proxy "),
        ("http://user%40corp:p%3Ass@proxy:3128", "all_proxy=http://***@proxy:3128 "),
    ]:
        rules = ProxyRules.from_environment({"all_proxy": value})
        message = rules.unreachable(API, refused())
        assert message is not None
        assert message.startswith(shown), message


def test_what_went_wrong_is_read_from_the_causes() -> None:
    rules = ProxyRules.from_environment({"ALL_PROXY": "http://proxy:3128"})
    plain = httpx.URL("http://api.example.com/v1")  # forwarded: the proxy is the only peer
    unresolved = failed(
        httpx.ConnectError("[Errno -2] Name or service not known"),
        socket.gaierror(socket.EAI_NONAME, "Name or service not known"),
    )
    both_refused = failed(  # anyio, after trying two addresses
        httpx.ConnectError("All connection attempts failed"),
        OSError("All connection attempts failed"),
        ExceptionGroup(
            "attempts", [ConnectionRefusedError(111, "a"), ConnectionRefusedError(111, "b")]
        ),
    )
    unreachable = failed(
        httpx.ConnectError("[Errno 101] Network is unreachable"), OSError(101, "unreachable")
    )
    timed_out = failed(httpx.ConnectTimeout("timed out"), TimeoutError("timed out"))
    said = {
        name: rules.unreachable(plain, error) or ""
        for name, error in [
            ("unresolved", unresolved),
            ("both refused", both_refused),
            ("unreachable", unreachable),
            ("timed out", timed_out),
        ]
    }
    assert "names a host that could not be resolved; is ALL_PROXY spelt right" in said["unresolved"]
    assert "refused the connection" in said["both refused"]
    assert "could not be reached ([Errno 101] Network is unreachable)" in said["unreachable"]
    assert "did not accept the connection in time" in said["timed out"]


def test_nothing_is_said_when_the_proxy_is_not_to_blame() -> None:
    rules = ProxyRules.from_environment({"HTTPS_PROXY": "http://proxy:3128", "NO_PROXY": "local"})
    certificate = failed(
        httpx.ConnectError("certificate verify failed"),
        ssl.SSLCertVerificationError("certificate verify failed"),
    )
    refused_connect = httpx.ProxyError("407 Proxy Authentication Required")
    assert rules.unreachable(API, certificate) is None  # the server's, through the tunnel
    assert rules.unreachable(API, refused_connect) is None  # the proxy answered
    assert rules.unreachable(API, httpx.ReadError("reset")) is None  # connected
    assert rules.unreachable(httpx.URL("https://local/v1"), refused()) is None  # direct
    assert rules.unreachable(httpx.URL("http://api.example.com/"), refused()) is None  # direct
    assert ProxyRules().unreachable(API, refused()) is None


HTTP_API = httpx.URL("http://api.example.com/v1")


def test_a_tunnel_s_timeout_or_socket_error_names_the_server_too() -> None:
    # Connecting through a tunnel includes the TLS handshake with the server (and, with
    # SOCKS, the proxy's connect to it): a timeout or a reset there may be the server's.
    rules = ProxyRules.from_environment(
        {"HTTPS_PROXY": "http://proxy:3128", "HTTP_PROXY": "socks5://proxy:1080"}
    )
    timed_out = failed(
        httpx.ConnectTimeout("The handshake operation timed out"), TimeoutError("timed out")
    )
    reset = failed(httpx.ConnectError("Cannot connect"), ConnectionResetError(104, "reset"))
    for url, proxy in ((API, "HTTPS_PROXY=http://proxy:3128"), (HTTP_API, "HTTP_PROXY=socks5")):
        said = rules.unreachable(url, timed_out) or ""
        assert said.startswith(proxy)
        assert "(or the server behind it) did not answer" in said
        said = rules.unreachable(url, reset) or ""
        assert "(or the server behind it) broke off the connection (Cannot connect)" in said
        assert "refused the connection" in (rules.unreachable(url, refused()) or "")
    # anyio's wait for handshake bytes, left as the context of the timeout, is no TLS error
    waited = failed(httpx.ConnectTimeout(""), ssl.SSLWantReadError())
    assert "(or the server behind it)" in (rules.unreachable(API, waited) or "")
    # a real TLS error means the tunnel was open: the server's, the proxy is not named
    eof = failed(httpx.ConnectError(""), ssl.SSLEOFError(8, "EOF occurred"))
    assert rules.unreachable(API, eof) is None
    # aiohttp's failure to reach its proxy: a ProxyError with the socket's error under it.
    unreachable = failed(
        httpx.ProxyError("Cannot connect to host proxy:3128"), ConnectionResetError(104, "reset")
    )
    assert (rules.unreachable(API, unreachable) or "").startswith(
        "HTTPS_PROXY=http://proxy:3128 could not be reached (Cannot connect to host proxy:3128)"
    )


@pytest.mark.parametrize("transport", ["sync", "async"])
def test_httpx_transports_failures_at_a_closed_port_are_read_as_refused(transport: str) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed when the block ends: nothing listens there
    proxy = f"http://127.0.0.1:{port}"
    rules = ProxyRules.from_environment({"HTTPS_PROXY": proxy})
    if transport == "sync":
        with (
            httpx.Client(proxy=proxy, verify=CONTEXT) as client,
            pytest.raises(httpx.ConnectError) as info,
        ):
            client.get(API)
    else:

        async def get() -> None:
            async with httpx.AsyncClient(proxy=proxy, verify=CONTEXT) as client:
                await client.get(API)

        with pytest.raises(httpx.ConnectError) as info:
            asyncio.run(get())
    assert rules.unreachable(API, info.value) == (
        f"HTTPS_PROXY={proxy} refused the connection; "
        "is the proxy running, or should NO_PROXY cover api.example.com?"
    )


@pytest.fixture(autouse=True)
def _no_proxy_leaks() -> Iterator[None]:
    # The oracle tests rewrite os.environ; make sure each one put it back.
    before = {k: v for k, v in os.environ.items() if k.lower().endswith("_proxy")}
    yield
    assert {k: v for k, v in os.environ.items() if k.lower().endswith("_proxy")} == before
