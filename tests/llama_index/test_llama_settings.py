"""Specification of ``Mixroute``'s settings: fields, aliases, environment, checks, metadata.

Every setting that is a request option reaches the body; the others reach the client.
Bad settings fail when the LLM is made, with a message that says what to change.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from llama_index.core.base.llms.types import ChatMessage
from llama_index.core.constants import DEFAULT_CONTEXT_WINDOW, DEFAULT_NUM_OUTPUTS
from pydantic import ValidationError
from scripted_gateway import KEY, ScriptedGateway, completion

from llama_index_mixroute import Mixroute
from mixroute import ConfigurationError, InvalidRequestError, SearchOptions

HI = [ChatMessage(role="user", content="Hi")]


def sent(llm_settings: dict[str, Any], model: str = "gpt-4o", **call: Any) -> dict[str, Any]:
    gateway = ScriptedGateway(completion("ok"))
    gateway.llm(model, **llm_settings).chat(HI, **call)
    body: dict[str, Any] = gateway.bodies[0]
    return body


def test_every_request_setting_reaches_the_body() -> None:
    body = sent(
        {
            "temperature": 0.3,
            "max_tokens": 64,
            "top_p": 0.9,
            "stop": ["END"],
            "seed": 42,
            "reasoning_effort": "high",
            "enable_thinking": True,
            "enable_search": True,
            "search_options": {"search_strategy": "pro", "forced_search": True},
            "search_parameters": {"mode": "on", "return_citations": False},
        },
        model="custom-model",
    )
    assert body == {
        "model": "custom-model",
        "messages": [{"role": "user", "content": "Hi"}],
        "temperature": 0.3,
        "top_p": 0.9,
        "max_tokens": 64,
        "seed": 42,
        "stop": ["END"],
        "reasoning_effort": "high",
        "enable_thinking": True,
        "enable_search": True,
        "search_options": {"search_strategy": "pro", "forced_search": True},
        "search_parameters": {"mode": "on", "return_citations": False},
    }


def test_unset_settings_send_nothing_not_even_a_default_temperature() -> None:
    assert sent({}) == {"model": "gpt-4o", "messages": [{"role": "user", "content": "Hi"}]}


def test_additional_kwargs_split_into_options_and_body_fields() -> None:
    body = sent({"additional_kwargs": {"presence_penalty": 0.5, "top_k": 20, "user": "u-1"}})
    assert body["presence_penalty"] == 0.5
    assert body["user"] == "u-1"
    assert body["top_k"] == 20


def test_extra_body_merges_last_and_per_call() -> None:
    body = sent({"extra_body": {"top_k": 5, "repetition_penalty": 1.1}}, extra_body={"top_k": 9})
    assert (body["top_k"], body["repetition_penalty"]) == (9, 1.1)


def test_per_call_options_override_settings_and_none_unsets() -> None:
    body = sent({"temperature": 0.3, "seed": 1}, temperature=1.0, seed=None, max_tokens=5)
    assert (body["temperature"], body["max_tokens"]) == (1.0, 5)
    assert "seed" not in body


def test_unknown_per_call_keyword_is_refused_before_sending() -> None:
    gateway = ScriptedGateway(completion("ok"))
    with pytest.raises(InvalidRequestError, match=r"unknown option 'top_k'.*extra_body"):
        gateway.llm().chat(HI, top_k=3)
    assert gateway.bodies == []


def test_search_options_accept_the_core_types() -> None:
    llm = ScriptedGateway().llm("qwen-max", search_options=SearchOptions(search_strategy="pro"))
    assert llm.search_options == {"search_strategy": "pro"}


def test_o_series_rules_come_from_the_profile() -> None:
    body = sent({"temperature": 0.5, "max_tokens": 100}, model="o3-mini")
    assert "temperature" not in body
    assert body["max_completion_tokens"] == 100


@pytest.mark.parametrize("alias", ["api_base", "base_url"])
def test_base_url_aliases(alias: str) -> None:
    gateway = ScriptedGateway(completion("ok"))
    llm = gateway.llm(**{alias: "https://proxy.example/v1/"})
    llm.chat(HI)
    assert llm.api_base == "https://proxy.example/v1"
    assert str(gateway.requests[0].url) == "https://proxy.example/v1/chat/completions"


def test_conflicting_aliases_are_refused() -> None:
    with pytest.raises(ConfigurationError, match="both api_base= and base_url="):
        Mixroute(
            "gpt-4o", api_key=KEY, api_base="https://a.example/v1", base_url="https://b.example/v1"
        )


def test_key_and_base_url_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MIXROUTE_API_KEY", "sk-env-0000000000000000")
    monkeypatch.setenv("MIXROUTE_BASE_URL", "https://env.example/v1")
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=completion("ok"))

    llm = Mixroute("gpt-4o", http_client=httpx.Client(transport=httpx.MockTransport(answer)))
    llm.chat(HI)
    assert llm.api_base == "https://env.example/v1"
    assert seen[0].headers["authorization"] == "Bearer sk-env-0000000000000000"
    assert str(seen[0].url) == "https://env.example/v1/chat/completions"


def test_a_missing_key_names_the_variable() -> None:
    with pytest.raises(ConfigurationError, match="MIXROUTE_API_KEY"):
        Mixroute("gpt-4o")


@pytest.mark.parametrize(
    ("settings", "error", "message"),
    [
        ({"temperature": 3.0}, ConfigurationError, "temperature must be a number from 0.0 to 2.0"),
        ({"top_p": 1.5}, ConfigurationError, "top_p"),
        ({"max_tokens": 0}, ConfigurationError, "max_tokens must be a positive int"),
        ({"reasoning_effort": "extreme"}, ConfigurationError, "use one of low, high"),
        ({"search_options": {"search_strategy": "deep"}}, ConfigurationError, "search_strategy"),
        ({"search_parameters": {"mode": "always"}}, ConfigurationError, "'auto', 'on' or 'off'"),
        ({"server_tools": [{"max_uses": 5}]}, ConfigurationError, "tools\\[0\\]"),
        ({"max_retries": -1}, ConfigurationError, "max_retries"),
        ({"timeout": 0}, ConfigurationError, "timeout must be positive"),
        ({"api_base": "ftp://example.com"}, ConfigurationError, "http:// or https://"),
        ({"profile_overrides": {"speed": 3}}, ConfigurationError, "unknown model profile field"),
    ],
)
def test_bad_settings_fail_at_construction(
    settings: dict[str, Any], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        Mixroute("grok-3-mini", api_key=KEY, **settings)


def test_an_unknown_setting_is_refused() -> None:
    with pytest.raises(ConfigurationError, match="unknown setting 'temprature'; did you mean"):
        Mixroute("gpt-4o", api_key=KEY, temprature=0.5)


def test_a_wrong_type_is_a_pydantic_error() -> None:
    with pytest.raises(ValidationError, match="temperature"):
        Mixroute("gpt-4o", api_key=KEY, temperature="hot")


def test_bad_settings_errors_are_value_errors() -> None:
    with pytest.raises(ValueError, match="Mixroute settings"):
        Mixroute("gpt-4o", api_key=KEY, temperature=-1)


def test_default_headers_and_per_call_headers_and_timeout() -> None:
    gateway = ScriptedGateway(completion("ok"))
    llm = gateway.llm(default_headers={"X-Team": "search"}, timeout=12.5)
    llm.chat(HI, extra_headers={"X-Trace": "t-1"}, timeout=3)
    request = gateway.requests[0]
    assert (request.headers["x-team"], request.headers["x-trace"]) == ("search", "t-1")
    assert request.extensions["timeout"]["read"] == 3


def test_the_settings_timeout_is_used() -> None:
    gateway = ScriptedGateway(completion("ok"))
    gateway.llm(timeout=12.5).chat(HI)
    assert gateway.requests[0].extensions["timeout"]["read"] == 12.5


def test_metadata_comes_from_the_model_profile() -> None:
    metadata = Mixroute("glm-5", api_key=KEY).metadata
    assert (metadata.context_window, metadata.num_output) == (200_000, 131_072)
    assert metadata.is_chat_model
    assert metadata.is_function_calling_model
    assert metadata.model_name == "glm-5"


def test_metadata_of_a_model_without_tools() -> None:
    metadata = Mixroute("gemini-2.0-flash-thinking-exp", api_key=KEY).metadata
    assert metadata.is_function_calling_model is False


def test_metadata_of_an_unknown_model_uses_llama_index_defaults() -> None:
    metadata = Mixroute("my-own-finetune", api_key=KEY).metadata
    assert (metadata.context_window, metadata.num_output) == (
        DEFAULT_CONTEXT_WINDOW,
        DEFAULT_NUM_OUTPUTS,
    )
    assert metadata.is_function_calling_model is True


def test_metadata_overrides() -> None:
    llm = Mixroute(
        "my-own-finetune",
        api_key=KEY,
        context_window=32_000,
        max_tokens=1_000,
        is_function_calling_model=False,
    )
    metadata = llm.metadata
    assert (metadata.context_window, metadata.num_output) == (32_000, 1_000)
    assert metadata.is_function_calling_model is False
    llm.max_tokens = 2_000
    assert llm.metadata.num_output == 2_000


def test_profile_overrides_change_what_is_sent_and_reported() -> None:
    llm = Mixroute(
        "my-own-finetune",
        api_key=KEY,
        profile_overrides={"max_input_tokens": 64_000, "supports_temperature": False},
        temperature=0.2,
    )
    assert llm.metadata.context_window == 64_000
    assert llm.profile.supports_temperature is False


def test_user_http_clients_are_used_and_left_open() -> None:
    gateway = ScriptedGateway(completion("ok"))
    http = httpx.Client(transport=httpx.MockTransport(gateway))
    llm = Mixroute("gpt-4o", api_key=KEY, http_client=http)
    llm.chat(HI)
    llm.close()
    assert not http.is_closed
    assert len(gateway.bodies) == 1


def test_class_name_and_serialization_round_trip(monkeypatch: pytest.MonkeyPatch) -> None:
    llm = Mixroute("glm-5", api_key=KEY, temperature=0.7, server_tools=[{"type": "x_search"}])
    data = llm.to_dict()
    assert data["class_name"] == "mixroute_llm"
    monkeypatch.setenv("MIXROUTE_API_KEY", KEY)
    again = Mixroute.from_dict(data)
    assert (again.model, again.temperature, again.server_tools) == (
        "glm-5",
        0.7,
        [{"type": "x_search"}],
    )
