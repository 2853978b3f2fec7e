"""Specification of the clients' transport settings: deadlines, read limits, the async transport.

What a hostile server does against them is the reliability catalogue's part
(``tests/reliability``); here: each setting's default, its checks, and the deadline's rule
that backoff never sleeps past it.
"""

from __future__ import annotations

import asyncio
import importlib.abc
import importlib.machinery
import sys
import time
from collections.abc import Sequence
from types import ModuleType

import pytest
from support.local_server import LocalServer, Reply
from support.stalling_server import StallingServer
from test_client import DOCUMENTED_ANSWER, KEY, MESSAGES

from mixroute import (
    APITimeoutError,
    AsyncMixrouteClient,
    ConfigurationError,
    InvalidRequestError,
    MixrouteClient,
    RetryPolicy,
)
from mixroute.client import POOL_LIMITS

MODEL = "gpt-4o"


def test_defaults_are_the_documented_ones() -> None:
    settings = MixrouteClient(KEY).settings
    assert settings.deadline == 600.0
    assert settings.stream_deadline is None
    assert settings.max_line_bytes == 32 * 1024 * 1024
    assert settings.max_body_bytes == 64 * 1024 * 1024
    assert settings.max_error_body_bytes == 64 * 1024
    assert settings.async_transport == "auto"
    assert POOL_LIMITS.max_connections == 1000


@pytest.mark.parametrize(
    ("setting", "value", "says"),
    [
        ("deadline", -1, "deadline must be a positive number of seconds, or None"),
        ("deadline", 0, "deadline must be a positive number"),
        ("deadline", "10", "deadline must be a positive number"),
        ("stream_deadline", -0.5, "stream_deadline must be a positive number"),
        ("max_line_bytes", 0, "max_line_bytes must be a positive int"),
        ("max_body_bytes", -5, "max_body_bytes must be a positive int"),
        ("max_error_body_bytes", 1.5, "max_error_body_bytes must be a positive int"),
    ],
)
@pytest.mark.parametrize("cls", [MixrouteClient, AsyncMixrouteClient])
def test_bad_settings_fail_at_construction_saying_what_to_change(
    cls: type[MixrouteClient] | type[AsyncMixrouteClient], setting: str, value: object, says: str
) -> None:
    with pytest.raises(ConfigurationError, match=says) as info:
        cls(KEY, **{setting: value})  # type: ignore[arg-type]
    assert isinstance(info.value, ValueError)


def test_an_unknown_async_transport_names_the_choices() -> None:
    with pytest.raises(ConfigurationError, match="'auto', 'aiohttp', 'httpx'; got 'curl'"):
        AsyncMixrouteClient(KEY, async_transport="curl")  # type: ignore[arg-type]


class _NoAiohttp(importlib.abc.MetaPathFinder):
    def find_spec(
        self, name: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if name == "aiohttp" or name.startswith("aiohttp."):
            raise ModuleNotFoundError(name)
        return None


@pytest.fixture
def without_aiohttp(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in [n for n in sys.modules if n == "aiohttp" or n.startswith("aiohttp.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setattr(sys, "meta_path", [_NoAiohttp(), *sys.meta_path])


@pytest.mark.usefixtures("without_aiohttp")
def test_without_aiohttp_auto_is_httpx_and_aiohttp_names_the_extra() -> None:
    client = AsyncMixrouteClient(KEY)
    assert client.transport == "httpx"
    assert "async_transport='auto' (httpx)" in repr(client)
    with pytest.raises(ConfigurationError, match=r"pip install 'mixroute\[aiohttp\]'"):
        AsyncMixrouteClient(KEY, async_transport="aiohttp")


def test_the_transport_shows_in_the_repr_and_never_the_key() -> None:
    client = AsyncMixrouteClient(KEY, async_transport="httpx")
    assert "async_transport='httpx' (httpx)" in repr(client)
    assert KEY not in repr(client)
    assert AsyncMixrouteClient(KEY).transport == "aiohttp"  # installed here: auto takes it


@pytest.mark.parametrize("deadline", [-1, 0, "soon", True])
def test_a_bad_deadline_per_call_fails_before_anything_is_sent(deadline: object) -> None:
    with LocalServer() as server:
        client = MixrouteClient(KEY, base_url=server.base_url)
        with pytest.raises(InvalidRequestError, match="deadline must be a positive number"):
            client.create(MODEL, MESSAGES, deadline=deadline)  # type: ignore[arg-type]
        client.close()
        assert server.received == []


def test_backoff_never_sleeps_past_the_deadline() -> None:
    slept: list[float] = []
    policy = RetryPolicy(max_retries=5, jitter=lambda: 0.0, sleep=slept.append)
    replies = Reply(503, {"error": {"message": "busy"}}, {"Retry-After": "5"})
    with LocalServer(lambda _: replies) as server:
        client = MixrouteClient(KEY, base_url=server.base_url, retry_policy=policy, deadline=2)
        with pytest.raises(APITimeoutError, match="deadline of 2 s passed") as info:
            client.create(MODEL, MESSAGES)
        client.close()
    assert slept == []  # a 5 s wait would end past the deadline: the call ends now instead
    assert len(server.received) == 1
    assert "busy" in str(info.value)  # the last failure is named


def test_a_per_call_deadline_overrides_the_clients_and_none_turns_it_off() -> None:
    with StallingServer(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n", drip=b" ") as server:
        client = MixrouteClient(KEY, base_url=server.base_url, timeout=5, max_retries=0)
        started = time.monotonic()
        with pytest.raises(APITimeoutError, match=r"deadline of 0\.3 s"):
            client.create(MODEL, MESSAGES, deadline=0.3)
        assert time.monotonic() - started < 3  # the drip alone would run 10 s
        client.close()
    with LocalServer(lambda _: Reply(200, DOCUMENTED_ANSWER)) as server:
        client = MixrouteClient(KEY, base_url=server.base_url, deadline=None)
        assert client.settings.deadline is None
        assert client.create(MODEL, MESSAGES, deadline=None).message.content
        client.close()


@pytest.mark.parametrize("transport", ["aiohttp", "httpx"])
def test_the_async_deadline_cancels_a_dripping_answer(transport: str) -> None:
    async def call(url: str) -> None:
        async with AsyncMixrouteClient(
            KEY, base_url=url, timeout=5, max_retries=0, async_transport=transport
        ) as client:
            await client.create(MODEL, MESSAGES, deadline=0.3)

    with StallingServer(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n", drip=b" ") as server:
        started = time.monotonic()
        with pytest.raises(APITimeoutError, match=r"deadline of 0\.3 s"):
            asyncio.run(call(server.base_url))
        assert time.monotonic() - started < 3  # the drip alone would run 10 s


def test_a_missing_ca_file_is_a_configuration_error(monkeypatch: pytest.MonkeyPatch) -> None:
    # httpx would raise a bare FileNotFoundError; the setting's name says what to fix.
    from mixroute import ConfigurationError, MixrouteClient

    monkeypatch.setenv("SSL_CERT_FILE", "/nonexistent/ca-bundle.pem")
    with pytest.raises(ConfigurationError, match=r"SSL_CERT_FILE='/nonexistent/ca-bundle\.pem'"):
        MixrouteClient(api_key="sk-test-0000000000000000")
