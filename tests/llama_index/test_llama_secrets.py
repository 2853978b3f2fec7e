"""The API key never leaves the client: not in a repr, a dump, a pickle, an event or an error."""

from __future__ import annotations

import copy
import json
import pickle
from typing import Any

import pytest
from llama_index.core.base.llms.types import ChatMessage
from llama_index.core.callbacks import CallbackManager, LlamaDebugHandler
from llama_index.core.instrumentation import get_dispatcher
from llama_index.core.instrumentation.event_handlers import BaseEventHandler
from llama_index.core.instrumentation.events import BaseEvent
from scripted_gateway import KEY, ScriptedGateway, completion, sse

from llama_index_mixroute import Mixroute
from mixroute import AuthenticationError


class Collector(BaseEventHandler):
    """Keeps every instrumentation event."""

    events: list[BaseEvent]

    @classmethod
    def class_name(cls) -> str:
        return "Collector"

    def handle(self, event: BaseEvent, **kwargs: Any) -> None:
        self.events.append(event)


@pytest.fixture
def collector() -> Any:
    handler = Collector(events=[])
    root = get_dispatcher()
    root.add_event_handler(handler)
    yield handler
    root.event_handlers.remove(handler)


def test_key_is_in_no_repr_or_dump() -> None:
    llm = Mixroute("gpt-4o", api_key=KEY)
    for text in (
        repr(llm),
        str(llm),
        llm.to_json(),
        llm.model_dump_json(),
        json.dumps(llm.to_dict()),
    ):
        assert KEY not in text
        assert KEY[-8:] not in text
    assert "api_key" not in llm.to_dict()


def test_key_is_not_pickled_and_a_copy_keeps_it(monkeypatch: pytest.MonkeyPatch) -> None:
    llm = Mixroute("gpt-4o", api_key=KEY)
    assert KEY.encode() not in pickle.dumps(llm)
    duplicate = copy.deepcopy(llm)._runtime.clients
    assert duplicate is not llm._runtime.clients  # pools of its own
    assert duplicate.settings.api_key.get_secret_value() == KEY
    monkeypatch.setenv("MIXROUTE_API_KEY", "sk-env-0000000000000000")
    again = pickle.loads(pickle.dumps(llm))
    assert again.model == "gpt-4o"
    assert (
        again._runtime.clients.async_client.settings.api_key.get_secret_value()
        == "sk-env-0000000000000000"
    )


def test_key_is_in_no_instrumentation_event_or_callback_payload(collector: Any) -> None:
    debug = LlamaDebugHandler()
    gateway = ScriptedGateway(completion("ok"), sse({"content": "o"}, {"content": "k"}))
    llm = gateway.llm()
    llm.callback_manager = CallbackManager([debug])
    llm.chat([ChatMessage(role="user", content="Hi")])
    list(llm.stream_chat([ChatMessage(role="user", content="Hi")]))
    kinds = [type(event).__name__ for event in collector.events]
    assert kinds.count("LLMChatStartEvent") == 2
    assert kinds.count("LLMChatEndEvent") == 2
    assert kinds.count("LLMChatInProgressEvent") == 3  # "o", "k", the closing response
    start = next(e for e in collector.events if type(e).__name__ == "LLMChatStartEvent")
    assert start.model_dict["model_name"] == "gpt-4o"
    assert start.model_dict["class_name"] == "mixroute_llm"
    for event in collector.events:
        assert KEY not in event.model_dump_json()
    for pair in debug.get_llm_inputs_outputs():
        for event in pair:
            assert KEY not in repr(event.payload)


def test_key_is_scrubbed_from_errors_that_echo_it() -> None:
    gateway = ScriptedGateway((401, {"error": {"message": f"Incorrect API key provided: {KEY}"}}))
    with pytest.raises(AuthenticationError) as info:
        gateway.llm().chat([ChatMessage(role="user", content="Hi")])
    assert KEY not in str(info.value)
    assert KEY not in repr(info.value.body)
