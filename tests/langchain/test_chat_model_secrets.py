"""The API key never shows: not in repr, dumps, model_dump, callbacks or tracing."""

from __future__ import annotations

import json
from typing import Any

import pytest
from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.load import dumpd, dumps, load
from scripted_mixroute import API_KEY, Script, chunk, completion, model_for

from langchain_mixroute import ChatMixroute


def test_repr_and_str_hide_the_key() -> None:
    llm = ChatMixroute(model="gpt-4o", api_key=API_KEY)
    assert API_KEY not in repr(llm)
    assert API_KEY not in str(llm)
    assert "SecretStr('**********')" in repr(llm)


def test_model_dump_hides_the_key() -> None:
    llm = ChatMixroute(model="gpt-4o", api_key=API_KEY)
    assert API_KEY not in str(llm.model_dump())
    assert API_KEY not in llm.model_dump_json()
    assert API_KEY not in str(llm.asdict())


def test_dumps_writes_a_secret_reference() -> None:
    llm = ChatMixroute(model="glm-5", api_key=API_KEY, temperature=0.7)
    text = dumps(llm)
    assert API_KEY not in text
    serialized = json.loads(text)
    assert serialized["id"] == ["langchain_mixroute", "chat_models", "ChatMixroute"]
    assert serialized["kwargs"]["api_key"] == {
        "lc": 1,
        "type": "secret",
        "id": ["MIXROUTE_API_KEY"],
    }
    assert serialized["kwargs"]["temperature"] == 0.7


@pytest.mark.filterwarnings("ignore::langchain_core._api.beta_decorator.LangChainBetaWarning")
def test_a_serialized_model_loads_back_with_the_key_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    llm = ChatMixroute(
        model="glm-5", api_key=API_KEY, temperature=0.7, max_tokens=100, stop=["END"]
    )
    monkeypatch.setenv("MIXROUTE_API_KEY", "sk-loaded-22222222222222")
    loaded = load(
        dumpd(llm),
        valid_namespaces=["langchain_mixroute"],
        allowed_objects=[ChatMixroute],
        secrets_from_env=True,
    )
    assert isinstance(loaded, ChatMixroute)
    assert loaded.asdict() == llm.asdict()
    assert loaded.api_key is not None
    assert loaded.api_key.get_secret_value() == "sk-loaded-22222222222222"


class Everything(BaseCallbackHandler):
    """Keeps every argument of every callback it receives."""

    def __init__(self) -> None:
        self.seen: list[Any] = []

    def on_chat_model_start(self, serialized: dict[str, Any], messages: Any, **kwargs: Any) -> None:
        self.seen.append((serialized, messages, kwargs))

    def on_llm_new_token(self, token: str, **kwargs: Any) -> None:
        self.seen.append((token, kwargs))

    def on_llm_end(self, response: Any, **kwargs: Any) -> None:
        self.seen.append((response, kwargs))

    def on_llm_error(self, error: BaseException, **kwargs: Any) -> None:
        self.seen.append((error, kwargs))


def test_callbacks_and_tracing_never_see_the_key() -> None:
    handler = Everything()
    script = Script(
        completion({"content": "ok"}), [chunk({"content": "ok"}), chunk(finish_reason="stop")]
    )
    llm = model_for(script, temperature=0.2)
    llm.invoke("Hi", config={"callbacks": [handler], "metadata": {"run": "1"}})
    assert len(list(llm.stream("Hi", config={"callbacks": [handler]}))) >= 1
    assert handler.seen
    assert API_KEY not in repr(handler.seen)
    start = handler.seen[0]
    assert start[2]["invocation_params"]["model"] == "gpt-4o"
    assert start[2]["metadata"]["ls_provider"] == "mixroute"
