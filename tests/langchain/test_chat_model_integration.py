"""LangChain's standard integration suite for chat models, on ChatMixroute as ``gpt-4o``,
replayed from cassettes.

Every test of the class runs under VCR with this project's settings (``vcr_config`` in
``conftest.py``: credentials dropped and scrubbed, matching on method, path and the JSON
body, cassettes in ``cassettes/langchain/``, replay only unless ``--record-mode`` says
otherwise), not langchain-tests' defaults (the key header kept as a placeholder, record
once, bodies compared byte for byte, ``tests/cassettes``).

Where the cassettes come from (``cassettes/README.md``):

- the tests in ``local_server_tests`` ask for plain text, which SmolLM2-135M on the local
  model server really answers: ``make test-local-server`` re-records them;
- the others need what a tiny model cannot reliably give (a forced tool call with the
  right arguments, JSON for a schema, usage in a stream, an echo of an overriding model):
  they are recorded from the documented wire format against ``wire_format_simulator.py``,
  which answers each request from its content::

    MIXROUTE_CASSETTE_SOURCE=wire-format .venv/bin/pytest --record-mode=once \\
        -m "not local_server" tests/langchain/test_chat_model_integration.py
"""

from __future__ import annotations

import itertools
import os
import uuid
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import pytest
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, HumanMessage, SystemMessage
from langchain_core.utils import function_calling
from langchain_tests.integration_tests import ChatModelIntegrationTests
from standard_flags import MODEL, Gpt4oFlags
from support.cassettes import REPLAY_KEY, Endpoint, endpoint
from wire_format_simulator import WireFormatSimulator

from langchain_mixroute import ChatMixroute

DOWNLOADS = (
    "the test downloads its fixture from the internet at run time ({}), which a replayed "
    "suite must not do"
)
# A prompt over 1024 tokens: OpenAI caches prompts from that length, in 128-token steps.
LONG_CONTEXT = " ".join(
    f"Clause {n}: the gateway forwards every request unchanged to the model's vendor."
    for n in range(120)
)


@pytest.fixture
def standard_endpoint(record_mode: str) -> Iterator[Endpoint]:
    """Where the suite's model points: the simulator when recording from the wire format,
    else as for every cassette test (replay, or the server in ``MIXROUTE_BASE_URL``)."""
    if record_mode != "none" and os.environ.get("MIXROUTE_CASSETTE_SOURCE") == "wire-format":
        with WireFormatSimulator() as simulator:
            yield Endpoint(simulator.base_url, REPLAY_KEY)
        return
    yield from endpoint(record_mode, None)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


# The suite's async tests carry no mark of their own (LangChain's packages run
# pytest-asyncio in auto mode); anyio's mark runs them and leaves the sync ones alone.
@pytest.mark.vcr
@pytest.mark.anyio
class TestChatMixrouteIntegration(Gpt4oFlags, ChatModelIntegrationTests):
    local_server_tests = frozenset(
        {
            "test_invoke",
            "test_ainvoke",
            "test_stream",
            "test_astream",
            "test_stream_events_v3",
            "test_astream_events_v3",
            "test_batch",
            "test_abatch",
            "test_conversation",
            "test_double_messages_conversation",
            "test_stop_sequence",
            "test_message_with_name",
            "test_stream_time",
        }
    )

    endpoint: Endpoint

    @pytest.fixture(autouse=True)
    def _point_at(self, standard_endpoint: Endpoint) -> None:
        # chat_model_params is a property the suite reads directly (test_stop_sequence
        # builds its own model from it), so the endpoint is kept on the instance.
        self.endpoint = standard_endpoint

    @pytest.fixture(autouse=True)
    def _repeatable_example_ids(self, monkeypatch: pytest.MonkeyPatch) -> None:
        # tool_example_to_messages (test_structured_few_shot_examples) gives each example
        # call a random uuid4 id; counted ones keep the request the same on every run, so
        # that replay can match it.
        ids = (uuid.UUID(int=n) for n in itertools.count(1))
        monkeypatch.setattr(function_calling, "uuid", SimpleNamespace(uuid4=lambda: next(ids)))

    @property
    def chat_model_params(self) -> dict[str, Any]:
        return {
            "model": MODEL,
            "temperature": 0,
            "max_tokens": 64,
            "max_retries": 0,
            "base_url": self.endpoint.base_url,
            "api_key": self.endpoint.api_key,
        }

    @property
    def enable_vcr_tests(self) -> bool:
        return True

    @pytest.mark.xfail(reason=DOWNLOADS.format("a PDF from w3.org"), run=False)
    def test_pdf_inputs(self, model: BaseChatModel) -> None:
        super().test_pdf_inputs(model)

    @pytest.mark.xfail(reason=DOWNLOADS.format("a PNG from GitHub"), run=False)
    def test_image_inputs(self, model: BaseChatModel) -> None:
        super().test_image_inputs(model)

    def invoke_with_cache_read_input(self, *, stream: bool = False) -> AIMessage:
        """The same long prompt twice: the second is served from OpenAI's prompt cache."""
        llm = ChatMixroute(**self.chat_model_params)
        messages = [SystemMessage(LONG_CONTEXT), HumanMessage("Say which clause is first.")]
        answer: AIMessage | None = None
        for _ in range(2):
            if stream:
                full: AIMessageChunk | None = None
                for chunk in llm.stream(messages):
                    full = chunk if full is None else full + chunk
                answer = full
            else:
                answer = llm.invoke(messages)
        assert isinstance(answer, AIMessage)
        return answer
