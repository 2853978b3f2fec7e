"""Arguments brought from ChatOpenAI and OpenAILike: accepted, or refused saying what to write.

``ChatMixroute`` takes ``model_name`` for ``model``; ``openai_api_key``,
``openai_api_base``, ``openai_organization`` and ``openai_proxy`` are refused naming the
Mixroute argument (a Mixroute key is not an OpenAI key). ``Mixroute`` takes
``is_chat_model=True`` and ``is_function_calling_model`` and refuses
``is_chat_model=False``. Both adapters take ``api_base`` and ``base_url`` as one setting.
No refusal ever shows the key.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from langchain_core.load import dumpd, load
from llama_index.core.base.llms.types import ChatMessage

from langchain_mixroute import ChatMixroute
from llama_index_mixroute import Mixroute
from mixroute import ConfigurationError

KEY = "sk-mixroute-migrating-0123456789"
OPENAI_KEY = "sk-proj-openai-abcdefabcdef0123"
ANSWER = {
    "id": "c",
    "object": "chat.completion",
    "model": "glm-5",
    "choices": [
        {"index": 0, "message": {"role": "assistant", "content": "ok"}, "finish_reason": "stop"}
    ],
}


class Recorder:
    """A MockTransport handler that answers ``ANSWER`` and keeps each request."""

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return httpx.Response(200, json=ANSWER)

    def client(self) -> httpx.Client:
        return httpx.Client(transport=httpx.MockTransport(self))


# --- ChatMixroute ------------------------------------------------------------------------


def test_model_name_is_an_alias_of_model() -> None:
    recorder = Recorder()
    llm = ChatMixroute(model_name="glm-5", api_key=KEY, http_client=recorder.client())
    assert llm.model == "glm-5"
    llm.invoke("Hi")
    assert json.loads(recorder.requests[0].content)["model"] == "glm-5"


@pytest.mark.filterwarnings("ignore::langchain_core._api.beta_decorator.LangChainBetaWarning")
def test_model_name_survives_serialization_as_model() -> None:
    llm = ChatMixroute(model_name="glm-5", api_key=KEY)
    assert dumpd(llm)["kwargs"]["model"] == "glm-5"
    again = load(
        dumpd(llm),
        valid_namespaces=["langchain_mixroute"],
        allowed_objects=[ChatMixroute],
        secrets_map={"MIXROUTE_API_KEY": KEY},
    )
    assert again.model == "glm-5"


def test_model_and_model_name_together_must_agree() -> None:
    assert ChatMixroute(model="glm-5", model_name="glm-5", api_key=KEY).model == "glm-5"
    with pytest.raises(ConfigurationError, match="both model= and model_name="):
        ChatMixroute(model="glm-5", model_name="gpt-4o", api_key=KEY)


@pytest.mark.parametrize(
    ("argument", "value", "names"),
    [
        ("openai_api_key", OPENAI_KEY, ["api_key=", "MIXROUTE_API_KEY", "not an OpenAI key"]),
        ("openai_api_base", "https://api.openai.com/v1", ["base_url=", "MIXROUTE_BASE_URL"]),
        ("openai_organization", "org-secretive", ["remove openai_organization", "api_key"]),
        ("organization", "org-secretive", ["remove organization", "api_key"]),
        ("openai_proxy", "http://user:pw@proxy:3128", ["HTTPS_PROXY", "http_client="]),
    ],
)
def test_chat_openai_arguments_are_refused_naming_the_mixroute_one(
    argument: str, value: str, names: list[str]
) -> None:
    with pytest.raises(ConfigurationError) as caught:
        ChatMixroute(model="gpt-4o", api_key=KEY, **{argument: value})
    message = str(caught.value)
    for name in names:
        assert name in message
    for secret in (KEY, value):
        assert secret not in message
        assert secret not in repr(caught.value)


@pytest.mark.parametrize(
    ("argument", "value"),
    [
        ("use_responses_api", True),
        ("use_previous_response_id", True),
        ("include", ["reasoning.encrypted_content"]),
        ("truncation", "auto"),
        ("context_management", [{"type": "compaction"}]),
        ("prompt_cache_options", {"retention": "24h"}),
    ],
)
def test_responses_api_arguments_are_refused_saying_mixroute_serves_chat_completions(
    argument: str, value: object
) -> None:
    with pytest.raises(ConfigurationError) as caught:
        ChatMixroute(model="gpt-4o", api_key=KEY, **{argument: value})
    assert str(caught.value) == (
        f"Mixroute serves chat completions, not the Responses API: remove {argument}."
    )


def test_tiktoken_model_name_is_refused_naming_the_estimate_used_instead() -> None:
    with pytest.raises(ConfigurationError, match="remove tiktoken_model_name") as caught:
        ChatMixroute(model="gpt-4o", api_key=KEY, tiktoken_model_name="gpt-4o")
    assert "get_num_tokens" in str(caught.value)
    assert "did you mean" not in str(caught.value)


@pytest.mark.parametrize(
    ("argument", "guess"), [("temprature", "temperature"), ("max_retry", "max_retries")]
)
def test_a_misspelt_argument_names_the_real_one(argument: str, guess: str) -> None:
    with pytest.raises(ConfigurationError, match=f"did you mean '{guess}'"):
        ChatMixroute(model="gpt-4o", api_key=KEY, **{argument: 1})


def test_an_unrelated_unknown_argument_gets_no_far_fetched_guess() -> None:
    """A name that is no typo of a real one is refused without a guess, with the advice."""
    with pytest.raises(ConfigurationError) as caught:
        ChatMixroute(model="gpt-4o", api_key=KEY, service_level="high")
    assert "did you mean" not in str(caught.value)
    assert "model_kwargs={...}" in str(caught.value)


@pytest.mark.parametrize("alias", ["api_base", "base_url"])
def test_chat_mixroute_takes_api_base_and_base_url(alias: str) -> None:
    recorder = Recorder()
    settings: dict[str, Any] = {alias: "https://proxy.example/v1"}
    llm = ChatMixroute(model="glm-5", api_key=KEY, http_client=recorder.client(), **settings)
    assert llm.base_url == "https://proxy.example/v1"
    llm.invoke("Hi")
    assert str(recorder.requests[0].url) == "https://proxy.example/v1/chat/completions"


def test_chat_mixroute_refuses_two_different_base_urls() -> None:
    same = ChatMixroute(
        model="glm-5",
        api_key=KEY,
        base_url="https://a.example/v1",
        api_base="https://a.example/v1/",
    )
    assert same.base_url == "https://a.example/v1"
    with pytest.raises(ConfigurationError, match="both base_url= and api_base=") as caught:
        ChatMixroute(
            model="glm-5",
            api_key=KEY,
            base_url="https://a.example/v1",
            api_base="https://b.example/v1",
        )
    assert KEY not in str(caught.value)


# --- Mixroute (LlamaIndex) ---------------------------------------------------------------


def test_is_chat_model_true_is_accepted() -> None:
    recorder = Recorder()
    llm = Mixroute("glm-5", api_key=KEY, is_chat_model=True, http_client=recorder.client())
    assert llm.metadata.is_chat_model
    assert llm.chat([ChatMessage(role="user", content="Hi")]).message.content == "ok"


def test_is_chat_model_false_is_refused_saying_mixroute_serves_chat() -> None:
    with pytest.raises(ConfigurationError, match="serves chat completions only") as caught:
        Mixroute("glm-5", api_key=KEY, is_chat_model=False)
    assert KEY not in str(caught.value)


@pytest.mark.parametrize("value", [True, False])
def test_is_function_calling_model_overrides_the_profile(value: bool) -> None:
    llm = Mixroute("glm-5", api_key=KEY, is_function_calling_model=value)
    assert llm.metadata.is_function_calling_model is value


@pytest.mark.parametrize("alias", ["api_base", "base_url"])
def test_mixroute_takes_api_base_and_base_url(alias: str) -> None:
    recorder = Recorder()
    settings: dict[str, Any] = {alias: "https://proxy.example/v1"}
    llm = Mixroute("glm-5", api_key=KEY, http_client=recorder.client(), **settings)
    llm.chat([ChatMessage(role="user", content="Hi")])
    assert llm.api_base == "https://proxy.example/v1"
    assert str(recorder.requests[0].url) == "https://proxy.example/v1/chat/completions"


def test_mixroute_refuses_two_different_base_urls() -> None:
    with pytest.raises(ConfigurationError, match="both api_base= and base_url=") as caught:
        Mixroute(
            "glm-5", api_key=KEY, api_base="https://a.example/v1", base_url="https://b.example/v1"
        )
    assert KEY not in str(caught.value)
