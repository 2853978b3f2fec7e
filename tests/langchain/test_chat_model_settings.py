"""ChatMixroute's settings (chat_models.py, options.py): what each sends, per-call overrides,
and bad settings failing at construction with a message that says what to change."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from langchain_core.load import dumps
from pydantic import SecretStr, ValidationError
from scripted_mixroute import API_KEY, Script, completion, model_for

from langchain_mixroute import ChatMixroute
from mixroute import (
    ConfigurationError,
    RetryPolicy,
    SearchOptions,
    SearchParameters,
)


def sent(
    model: str = "gpt-4o", call: dict[str, Any] | None = None, **settings: Any
) -> dict[str, Any]:
    script = Script(completion({"content": "ok"}, model=model))
    model_for(script, model, **settings).invoke("Hi", **(call or {}))
    return script.body


def test_every_setting_is_sent() -> None:
    body = sent(
        "qwen-plus",
        temperature=0.3,
        max_tokens=50,
        top_p=0.9,
        stop=["END"],
        seed=7,
        n=1,
        enable_thinking=False,
        enable_search=True,
        search_options=SearchOptions(search_strategy="pro", forced_search=True),
        model_kwargs={"presence_penalty": 0.5, "vendor_flag": "on"},
        extra_body={"top_k": 20},
    )
    assert body == {
        "model": "qwen-plus",
        "messages": [{"role": "user", "content": "Hi"}],
        "temperature": 0.3,
        "top_p": 0.9,
        "presence_penalty": 0.5,
        "max_tokens": 50,
        "n": 1,
        "seed": 7,
        "stop": ["END"],
        "enable_thinking": False,
        "enable_search": True,
        "search_options": {"search_strategy": "pro", "forced_search": True},
        "vendor_flag": "on",
        "top_k": 20,
    }


def test_grok_live_search_and_reasoning_effort() -> None:
    body = sent(
        "grok-3-mini",
        reasoning_effort="low",
        search_parameters=SearchParameters(mode="on", return_citations=True, max_search_results=3),
    )
    assert body["reasoning_effort"] == "low"
    assert body["search_parameters"] == {
        "mode": "on",
        "return_citations": True,
        "max_search_results": 3,
    }


def test_openai_reasoning_models_follow_their_rules() -> None:
    body = sent("o3-mini", temperature=0.5, max_tokens=100, reasoning_effort="medium")
    assert body["max_completion_tokens"] == 100
    assert "max_tokens" not in body
    assert "temperature" not in body


def test_request_options_given_as_arguments_go_to_model_kwargs() -> None:
    llm = ChatMixroute(model="gpt-4o", api_key=API_KEY, frequency_penalty=0.2, user="u-1")
    assert llm.model_kwargs == {"frequency_penalty": 0.2, "user": "u-1"}


def test_per_call_overrides() -> None:
    script = Script(completion({"content": "ok"}))
    llm = model_for(script, temperature=0.7, max_tokens=10, stop=["A"], extra_body={"x": 1})
    llm.invoke(
        "Hi",
        model="gpt-4o-mini",
        temperature=0.1,
        stop=["B"],
        extra_body={"y": 2},
        extra_headers={"X-Trace": "t-1"},
        timeout=7,
    )
    llm.bind(max_tokens=None, seed=3).invoke("Hi")
    first, second = script.bodies
    assert first == {
        "model": "gpt-4o-mini",
        "messages": [{"role": "user", "content": "Hi"}],
        "temperature": 0.1,
        "max_tokens": 10,
        "stop": ["B"],
        "x": 1,
        "y": 2,
    }
    assert script.headers[0]["x-trace"] == "t-1"
    assert second == {
        "model": "gpt-4o",
        "messages": [{"role": "user", "content": "Hi"}],
        "temperature": 0.7,
        "seed": 3,
        "stop": ["A"],
        "x": 1,
    }


def test_a_per_call_model_uses_that_models_profile() -> None:
    body = sent("gpt-4o", call={"model": "o3-mini", "max_tokens": 5})
    assert body["model"] == "o3-mini"
    assert body["max_completion_tokens"] == 5


def test_headers_timeout_and_base_url() -> None:
    seen: list[httpx.Request] = []

    def reply(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=completion({"content": "ok"}))

    llm = ChatMixroute(
        model="gpt-4o",
        api_key=API_KEY,
        base_url="https://proxy.example/v1/",
        default_headers={"X-Team": "search"},
        timeout=(3, 30),
        http_client=httpx.Client(transport=httpx.MockTransport(reply)),
    )
    llm.invoke("Hi")
    [request] = seen
    assert str(request.url) == "https://proxy.example/v1/chat/completions"
    assert request.headers["x-team"] == "search"
    assert request.extensions["timeout"] == {"connect": 3, "read": 30, "write": 30, "pool": 30}


def test_the_environment_supplies_key_and_base_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MIXROUTE_API_KEY", "sk-env-1111111111111111")
    monkeypatch.setenv("MIXROUTE_BASE_URL", "https://env.example/v1")
    seen: list[httpx.Request] = []

    def reply(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=completion({"content": "ok"}))

    llm = ChatMixroute(
        model="glm-5", http_client=httpx.Client(transport=httpx.MockTransport(reply))
    )
    llm.invoke("Hi")
    assert str(seen[0].url) == "https://env.example/v1/chat/completions"
    assert seen[0].headers["authorization"] == "Bearer sk-env-1111111111111111"


def test_retries_follow_max_retries() -> None:
    attempts: list[int] = []

    def flaky(request: httpx.Request) -> httpx.Response:
        attempts.append(1)
        if len(attempts) == 1:
            return httpx.Response(
                503, json={"error": {"message": "busy"}}, headers={"retry-after": "0"}
            )
        return httpx.Response(200, json=completion({"content": "ok"}))

    assert model_for(Script(flaky), max_retries=1).invoke("Hi").content == "ok"
    assert len(attempts) == 2


def test_batch_and_abatch() -> None:
    script = Script(
        completion({"content": "one"}),
        completion({"content": "two"}),
        completion({"content": "three"}),
    )
    llm = model_for(script)
    answers = llm.batch(["a", "b"], config={"max_concurrency": 1})
    assert [a.content for a in answers] == ["one", "two"]
    more = asyncio.run(llm.abatch(["c", "d"]))
    assert [a.content for a in more] == ["three", "three"]


# --- bad settings fail at construction ---------------------------------------------------


@pytest.mark.parametrize(
    ("settings", "error", "message"),
    [
        ({"reasoning_effort": 3}, ValidationError, "reasoning_effort"),
        (
            {"model": "grok-3-mini", "reasoning_effort": "medium"},
            ConfigurationError,
            "use one of low, high",
        ),
        (
            {"model": "gpt-4o", "reasoning_effort": "high"},
            ConfigurationError,
            "does not take reasoning_effort",
        ),
        ({"max_tokens": -1}, ConfigurationError, "max_tokens must be a positive int, got -1"),
        ({"max_tokens": 0}, ConfigurationError, "max_tokens must be a positive int"),
        ({"temperature": 3}, ConfigurationError, r"temperature must be a number from 0.0 to 2.0"),
        ({"top_p": 1.5}, ConfigurationError, "top_p must be a number from 0.0 to 1.0"),
        ({"n": 0}, ConfigurationError, "n must be a positive int"),
        ({"max_retries": -1}, ConfigurationError, "max_retries must be an int >= 0"),
        ({"timeout": -5}, ConfigurationError, "timeout must be positive seconds"),
        (
            {"base_url": "ftp://files.example"},
            ConfigurationError,
            "base_url must be an http:// or https:// URL",
        ),
        (
            {"search_options": {"search_strategy": "deep"}},
            ConfigurationError,
            "search_strategy='deep' is not known",
        ),
        (
            {"search_parameters": {"mode": "always"}},
            ConfigurationError,
            "use 'auto', 'on' or 'off'",
        ),
        (
            {"model_kwargs": {"temperature": 1}},
            ConfigurationError,
            r"pass temperature=\.\.\. as its own argument",
        ),
        (
            {"temprature": 0.5},
            ConfigurationError,
            "unknown argument 'temprature'; did you mean 'temperature'",
        ),
        (
            {"profile_overrides": {"tool_callin": False}},
            ConfigurationError,
            "unknown model profile field",
        ),
        ({"model": "  "}, ConfigurationError, "model must be a non-empty string"),
    ],
)
def test_bad_settings_fail_at_construction(
    settings: dict[str, Any], error: type[Exception], message: str
) -> None:
    arguments = {"model": "gpt-4o", "api_key": API_KEY, **settings}
    with pytest.raises(error, match=message) as caught:
        ChatMixroute(**arguments)
    assert API_KEY not in str(caught.value)


def test_a_missing_key_names_the_variable() -> None:
    with pytest.raises(ConfigurationError, match="MIXROUTE_API_KEY"):
        ChatMixroute(model="gpt-4o")


# --- identity ----------------------------------------------------------------------------


def test_langsmith_parameters() -> None:
    llm = ChatMixroute(model="glm-5", api_key=API_KEY, temperature=0.7, max_tokens=99, stop="END")
    assert llm._get_ls_params() == {
        "ls_provider": "mixroute",
        "ls_model_name": "glm-5",
        "ls_model_type": "chat",
        "ls_temperature": 0.7,
        "ls_max_tokens": 99,
        "ls_stop": ["END"],
    }
    override = llm._get_ls_params(stop=["X"], model="kimi-k2.5", temperature=0.1)
    assert (override["ls_model_name"], override["ls_temperature"], override["ls_stop"]) == (
        "kimi-k2.5",
        0.1,
        ["X"],
    )
    assert llm._llm_type == "mixroute-chat"


def test_profile_comes_from_the_core_and_takes_overrides() -> None:
    r1 = ChatMixroute(model="deepseek-r1", api_key=API_KEY)
    assert r1.profile is not None
    assert r1.profile["reasoning_output"] is True
    assert r1.profile["tool_choice"] is False
    assert r1.profile["max_input_tokens"] == 131_072
    new = ChatMixroute(
        model="brand-new-model", api_key=API_KEY, profile_overrides={"structured_output": True}
    )
    assert new.profile is not None
    assert new.profile["structured_output"] is True


def test_a_client_of_your_own_keeps_its_timeout() -> None:
    seen: list[httpx.Request] = []

    def reply(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=completion({"content": "ok"}))

    own = httpx.Client(transport=httpx.MockTransport(reply), timeout=12.0)
    ChatMixroute(model="gpt-4o", api_key=API_KEY, http_client=own).invoke("Hi")
    assert seen[0].extensions["timeout"]["read"] == 12.0


def test_settings_changed_after_construction_are_used() -> None:
    script = Script(completion({"content": "ok"}))
    llm = model_for(script, temperature=0.7)
    llm.temperature = 0.1
    llm.api_key = SecretStr("sk-rotated-3333333333333333")
    llm.invoke("Hi")
    copy = llm.model_copy(update={"max_tokens": 9})
    copy.invoke("Hi")
    assert [b.get("temperature") for b in script.bodies] == [0.1, 0.1]
    assert [b.get("max_tokens") for b in script.bodies] == [None, 9]
    assert script.headers[0]["authorization"] == "Bearer sk-rotated-3333333333333333"


def test_a_retry_policy_of_your_own_and_closing_the_pools() -> None:
    waits: list[float] = []
    policy = RetryPolicy(max_retries=2, initial_delay=0.25, jitter=lambda: 0.0, sleep=waits.append)
    attempts: list[int] = []

    def flaky(request: httpx.Request) -> httpx.Response:
        attempts.append(1)
        if len(attempts) < 3:
            return httpx.Response(500, json={"error": {"message": "oops"}})
        return httpx.Response(200, json=completion({"content": "ok"}))

    llm = ChatMixroute(
        model="gpt-4o",
        api_key=API_KEY,
        retry_policy=policy,
        http_client=httpx.Client(transport=httpx.MockTransport(flaky)),
    )
    assert llm.invoke("Hi").content == "ok"
    assert waits == [0.25, 0.5]
    assert "retry_policy" not in dumps(llm)
    llm.close()
    asyncio.run(llm.aclose())
