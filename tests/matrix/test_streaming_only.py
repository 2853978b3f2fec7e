"""Both adapters' plain calls on a model that answers only when streamed (QwQ), end to end.

The gateway plays QwQ as DashScope does: a request without ``stream: true`` is a 400. So
``invoke``, ``chat`` and their async forms work only because the core streams the request
and assembles the answer; the adapters hand it over as they would a plain answer.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
from llama_index.core.base.llms.types import ChatMessage, ThinkingBlock
from matrix_runs import QUESTION, Weather, Wiring
from support.schema_values import value_for
from support.vendor_gateway import PROSE, REASONING, VendorGateway


@pytest.fixture
def wiring() -> Iterator[Wiring]:
    wired = Wiring(VendorGateway("qwq-32b"), {})
    yield wired
    wired.close()


def assert_streamed(wiring: Wiring, requests: int) -> None:
    gateway = wiring.gateway
    assert gateway.refusals == []
    assert len(gateway.bodies) == requests
    for body in gateway.bodies:
        assert body["stream"] is True
        assert body["stream_options"] == {"include_usage": True}


def test_chat_mixroute_invoke_and_ainvoke(wiring: Wiring) -> None:
    chat_model = wiring.chat_model()
    for message in (chat_model.invoke(QUESTION), asyncio.run(chat_model.ainvoke(QUESTION))):
        assert message.content == PROSE
        assert message.additional_kwargs["reasoning_content"] == REASONING
        assert message.usage_metadata is not None
        assert message.usage_metadata["total_tokens"] == 125
        assert message.response_metadata["finish_reason"] == "stop"
    assert_streamed(wiring, 2)


def test_chat_mixroute_with_structured_output(wiring: Wiring) -> None:
    result = wiring.chat_model().with_structured_output(Weather).invoke(QUESTION)
    assert result == Weather.model_validate(value_for(Weather.model_json_schema()))
    assert_streamed(wiring, 1)


def test_llama_index_chat_and_achat(wiring: Wiring) -> None:
    llm = wiring.llm()
    messages = [ChatMessage(role="user", content=QUESTION)]
    for response in (llm.chat(messages), asyncio.run(llm.achat(messages))):
        assert response.message.content == PROSE
        thinking = [b.content for b in response.message.blocks if isinstance(b, ThinkingBlock)]
        assert thinking == [REASONING]
        assert response.additional_kwargs["total_tokens"] == 125
    assert_streamed(wiring, 2)
