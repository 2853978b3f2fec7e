"""Specification of mixroute.settings: key, base URL, timeout and headers, resolved once."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from pydantic import SecretStr

from mixroute.errors import ConfigurationError
from mixroute.settings import (
    DEFAULT_BASE_URL,
    DEFAULT_TIMEOUT,
    ClientSettings,
    redact,
    redact_data,
    resolve_timeout,
)
from mixroute.user_agent import user_agent

KEY = "sk-settings-0123456789abcdefXYZ"


# --- the API key -----------------------------------------------------------------------------


def test_key_argument_is_used() -> None:
    assert ClientSettings.resolve(KEY).api_key.get_secret_value() == KEY


def test_key_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MIXROUTE_API_KEY", KEY)
    assert ClientSettings.resolve().api_key.get_secret_value() == KEY


def test_key_argument_wins_over_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MIXROUTE_API_KEY", "sk-from-env")
    assert ClientSettings.resolve(KEY).api_key.get_secret_value() == KEY


def test_key_as_secret_str_and_surrounding_whitespace() -> None:
    assert ClientSettings.resolve(SecretStr(KEY)).api_key.get_secret_value() == KEY
    assert ClientSettings.resolve(f"  {KEY}\n").api_key.get_secret_value() == KEY


@pytest.mark.parametrize("key", [None, "", "   ", SecretStr("")])
def test_missing_key_names_the_environment_variable(key: str | SecretStr | None) -> None:
    with pytest.raises(ConfigurationError, match="MIXROUTE_API_KEY") as info:
        ClientSettings.resolve(key)
    assert isinstance(info.value, ValueError)


@pytest.mark.parametrize("key", ["sk-abc\u2019def", "sk-abc\ndef", "sk-abc\x00def"])
def test_key_that_cannot_be_a_header_is_refused_without_showing_it(key: str) -> None:
    with pytest.raises(ConfigurationError, match="MIXROUTE_API_KEY") as info:
        ClientSettings.resolve(key)
    assert "abc" not in str(info.value)


# --- the base URL ----------------------------------------------------------------------------


def test_default_base_url() -> None:
    settings = ClientSettings.resolve(KEY)
    assert settings.base_url == DEFAULT_BASE_URL == "https://console.mixroute.io/v1"
    assert settings.completions_url == "https://console.mixroute.io/v1/chat/completions"


def test_base_url_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MIXROUTE_BASE_URL", "https://proxy.example/v1")
    assert ClientSettings.resolve(KEY).base_url == "https://proxy.example/v1"


def test_base_url_argument_wins_over_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MIXROUTE_BASE_URL", "https://proxy.example/v1")
    settings = ClientSettings.resolve(KEY, base_url="http://127.0.0.1:8080/v1")
    assert settings.base_url == "http://127.0.0.1:8080/v1"


@pytest.mark.parametrize("url", ["https://gw.example/v1/", "https://gw.example/v1//"])
def test_trailing_slash_is_tolerated(url: str) -> None:
    settings = ClientSettings.resolve(KEY, base_url=url)
    assert settings.completions_url == "https://gw.example/v1/chat/completions"


@pytest.mark.parametrize(
    "url", ["console.mixroute.io/v1", "ftp://gw.example/v1", "https://", "http://[::1/v1"]
)
def test_unusable_base_url_is_a_configuration_error(url: str) -> None:
    with pytest.raises(ConfigurationError, match="base_url") as info:
        ClientSettings.resolve(KEY, base_url=url)
    assert url in str(info.value)


# --- retries ---------------------------------------------------------------------------------


@pytest.mark.parametrize("retries", [-1, True, 1.5, "2"])
def test_max_retries_must_be_a_non_negative_int(retries: object) -> None:
    with pytest.raises(ConfigurationError, match="max_retries"):
        ClientSettings.resolve(KEY, max_retries=retries)  # type: ignore[arg-type]


# --- timeouts --------------------------------------------------------------------------------


def test_timeout_default_is_long_with_a_short_connect() -> None:
    assert resolve_timeout(None) == DEFAULT_TIMEOUT == httpx.Timeout(600.0, connect=5.0)
    assert ClientSettings.resolve(KEY).timeout == DEFAULT_TIMEOUT


@pytest.mark.parametrize(
    ("timeout", "expected"),
    [
        (30, httpx.Timeout(30.0)),
        (2.5, httpx.Timeout(2.5)),
        ((3, 40), httpx.Timeout(40, connect=3)),
        ((3, None), httpx.Timeout(None, connect=3)),
        (httpx.Timeout(9, read=99), httpx.Timeout(9, read=99)),
    ],
)
def test_timeout_forms(timeout: object, expected: httpx.Timeout) -> None:
    assert resolve_timeout(timeout) == expected  # type: ignore[arg-type]
    assert ClientSettings.resolve(KEY, timeout=timeout).timeout == expected  # type: ignore[arg-type]


def test_pair_is_connect_then_read() -> None:
    timeout = resolve_timeout((1.0, 20.0))
    assert timeout.connect == 1.0
    assert timeout.read == 20.0


@pytest.mark.parametrize("timeout", [0, -1, True, "30", (1, 2, 3), [1, 2]])
def test_bad_timeout_is_a_configuration_error(timeout: object) -> None:
    with pytest.raises(ConfigurationError, match="timeout"):
        resolve_timeout(timeout)  # type: ignore[arg-type]


# --- headers ---------------------------------------------------------------------------------


def test_headers_carry_the_key_and_json_content_type() -> None:
    headers = ClientSettings.resolve(KEY).headers()
    assert headers["authorization"] == f"Bearer {KEY}"
    assert headers["content-type"] == "application/json"
    assert headers["accept"] == "application/json"


def test_default_headers_are_included_and_never_duplicate_ours() -> None:
    settings = ClientSettings.resolve(
        KEY, default_headers={"X-Team": "research", "Accept": "text/plain"}
    )
    headers = settings.headers()
    assert headers["x-team"] == "research"
    assert httpx.Headers(headers).get_list("accept") == ["application/json"]
    assert settings.default_headers == {"X-Team": "research", "Accept": "text/plain"}


def test_default_headers_cannot_replace_the_key() -> None:
    headers = ClientSettings.resolve(KEY, default_headers={"Authorization": "Bearer other"})
    assert httpx.Headers(headers.headers()).get_list("authorization") == [f"Bearer {KEY}"]


# --- secrets ---------------------------------------------------------------------------------


def test_key_never_shows_in_repr_or_str() -> None:
    settings = ClientSettings.resolve(KEY)
    assert KEY not in repr(settings)
    assert KEY not in str(settings)
    assert KEY[-8:] not in repr(settings)
    assert "**********" in repr(settings)


def test_redact_replaces_the_key_and_its_tail() -> None:
    secret = SecretStr(KEY)
    assert redact(f"Invalid key {KEY}.", secret) == "Invalid key **********."
    assert redact(f"key ending ...{KEY[-8:]}", secret) == "key ending ...****"
    assert redact("nothing secret", secret) == "nothing secret"


def test_redact_leaves_text_alone_for_a_short_key() -> None:
    assert redact("abc sk-1 def", SecretStr("sk-1")) == "abc ********** def"
    assert redact("the tail -1 stays", SecretStr("sk-1")) == "the tail -1 stays"


def test_redact_data_walks_parsed_json() -> None:
    secret = SecretStr(KEY)
    data = {"error": {"message": f"bad {KEY}", "list": [KEY, 1, None]}, "n": 2}
    assert redact_data(data, secret) == {
        "error": {"message": "bad **********", "list": ["**********", 1, None]},
        "n": 2,
    }
    assert data["error"]["message"] == f"bad {KEY}"  # type: ignore[index]  # not mutated


# --- the User-Agent --------------------------------------------------------------------------


def test_the_user_agent_is_ours_with_the_integration_and_default_headers_win() -> None:
    assert ClientSettings.resolve(KEY).headers()["user-agent"] == user_agent()
    adapter = ClientSettings.resolve(KEY, integration="some-framework/1.2")
    assert adapter.headers()["user-agent"] == f"{user_agent()} some-framework/1.2"
    mine = ClientSettings.resolve(KEY, default_headers={"User-Agent": "mine/1"})
    assert mine.headers()["user-agent"] == "mine/1"
    assert "User-Agent" not in mine.headers()


# --- the caller's environment ----------------------------------------------------------------


def test_no_test_sees_the_callers_mixroute_variables() -> None:
    # tests/conftest.py removes them for every test; a test that needs one sets it.
    assert [name for name in os.environ if name.startswith("MIXROUTE_")] == []


def test_the_suite_passes_with_mixroute_variables_exported() -> None:
    # A developer's shell with MIXROUTE_BASE_URL exported once broke `make test`.
    root = Path(__file__).resolve().parents[2]
    tests = [
        "tests/core/test_streaming.py::test_documented_stream_example",
        "tests/core/test_settings.py::test_no_test_sees_the_callers_mixroute_variables",
        "tests/core/test_settings.py::test_default_base_url",
    ]
    env = {
        **os.environ,
        "MIXROUTE_BASE_URL": "http://127.0.0.1:9/v1",
        "MIXROUTE_API_KEY": "sk-wrong-0000000000000000",
        "MIXROUTE_ANYTHING": "else",
    }
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:randomly", "-p", "no:xdist", *tests],
        capture_output=True,
        text=True,
        cwd=root,
        env=env,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout[-3000:]
    assert "3 passed" in done.stdout
