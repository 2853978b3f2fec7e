"""``Mixroute`` where LlamaIndex users put it, replayed from cassettes: agents, query
engines, chat engines, structured prediction.

The engines over plain text are recorded from SmolLM2-135M on the local model server
(``make test-local-server``) and assert only what a tiny model reliably gives (some text,
the retrieved documents in the prompt); replay must observe what recording did
(``.results.json``). The agents and structured prediction need tool calls, ReAct text or
JSON that a tiny model cannot be relied on for: their answers are written from the
documented wire format (``@pytest.mark.wire_answers``) and recorded with
``MIXROUTE_CASSETTE_SOURCE=wire-format .venv/bin/pytest --record-mode=once -m "vcr and not
local_server" tests/llama_index/test_llama_in_agents_and_engines.py``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from llama_index.core import Document, Settings, VectorStoreIndex
from llama_index.core.agent.workflow import AgentStream, FunctionAgent, ReActAgent
from llama_index.core.embeddings import MockEmbedding
from llama_index.core.node_parser import SentenceSplitter
from llama_index.core.prompts import PromptTemplate
from llama_index.core.tools import FunctionTool
from pydantic import BaseModel
from scripted_gateway import completion, sse, tool_call, tool_calls_answer
from support.cassettes import Endpoint, RecordedResults

from llama_index_mixroute import Mixroute

pytestmark = pytest.mark.vcr
SentBodies = Callable[[], list[dict[str, Any]]]

DOCUMENTS = [
    Document(text="Mixroute is an OpenAI-compatible gateway to many model vendors.", id_="d1"),
    Document(text="The Eiffel Tower is 330 metres tall.", id_="d2"),
    Document(text="Qwen models can search the web with enable_search.", id_="d3"),
]


def get_weather(city: str) -> str:
    """Get weather information by city."""
    return f"Sunny, 24 C in {city}"


WEATHER = FunctionTool.from_defaults(fn=get_weather)


def llm(endpoint: Endpoint, model: str = "gpt-4o", **settings: Any) -> Mixroute:
    return Mixroute(
        model, api_key=endpoint.api_key, base_url=endpoint.base_url, max_retries=0, **settings
    )


def tiny(endpoint: Endpoint) -> Mixroute:
    """The local server's model, asked for a short, repeatable answer."""
    return llm(endpoint, "smollm2", temperature=0, max_tokens=24, seed=1)


def make_index() -> VectorStoreIndex:
    # MockEmbedding scores every node the same, and ties are broken by node id: named ids
    # (not uuid4s) make the retrieved context, and so the request, the same on every run.
    splitter = SentenceSplitter(id_func=lambda i, doc: f"{doc.doc_id}-{i}")
    return VectorStoreIndex.from_documents(
        DOCUMENTS, embed_model=MockEmbedding(embed_dim=8), transformations=[splitter]
    )


def streamed_tool_call(call_id: str, name: str, arguments: str) -> str:
    return sse(
        {
            "role": "assistant",
            "tool_calls": [
                {
                    "index": 0,
                    "id": call_id,
                    "type": "function",
                    "function": {"name": name, "arguments": ""},
                }
            ],
        },
        {"tool_calls": [{"index": 0, "function": {"arguments": arguments}}]},
    )


# --- from the documented wire format -----------------------------------------------------


@pytest.mark.anyio
@pytest.mark.wire_answers(
    [
        streamed_tool_call("call_1", "get_weather", '{"city": "Shanghai"}'),
        sse({"role": "assistant", "content": "It is sunny, "}, {"content": "24 C in Shanghai."}),
    ]
)
async def test_function_agent_calls_a_tool_and_answers(
    mixroute_endpoint: Endpoint, sent_bodies: SentBodies
) -> None:
    agent = FunctionAgent(
        tools=[WEATHER], llm=llm(mixroute_endpoint), system_prompt="You help with weather."
    )
    handler = agent.run(user_msg="What is the weather in Shanghai?")
    deltas = [
        event.delta async for event in handler.stream_events() if isinstance(event, AgentStream)
    ]
    result = await handler
    assert str(result) == "It is sunny, 24 C in Shanghai."
    assert "".join(deltas) == "It is sunny, 24 C in Shanghai."
    assert [call.tool_name for call in result.tool_calls] == ["get_weather"]
    assert result.tool_calls[0].tool_output.content == "Sunny, 24 C in Shanghai"
    first, second = sent_bodies()
    assert first["tools"][0]["function"]["name"] == "get_weather"
    assert first["stream"] is True
    assert second["messages"][-2:] == [
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [tool_call("call_1", "get_weather", '{"city": "Shanghai"}')],
        },
        {"role": "tool", "content": "Sunny, 24 C in Shanghai", "tool_call_id": "call_1"},
    ]


@pytest.mark.anyio
@pytest.mark.wire_answers(
    [
        tool_calls_answer(tool_call("call_1", "get_weather", {"city": "Paris"})),
        completion("Sunny, 24 C in Paris."),
    ]
)
async def test_function_agent_without_streaming(mixroute_endpoint: Endpoint) -> None:
    agent = FunctionAgent(tools=[WEATHER], llm=llm(mixroute_endpoint), streaming=False)
    result = await agent.run(user_msg="Weather in Paris?")
    assert str(result) == "Sunny, 24 C in Paris."
    assert [call.tool_kwargs for call in result.tool_calls] == [{"city": "Paris"}]


@pytest.mark.anyio
@pytest.mark.wire_answers(
    [
        sse(
            {"role": "assistant", "content": "Thought: I need the weather.\nAction: get_weather\n"},
            {"content": 'Action Input: {"city": "Paris"}'},
            model="deepseek-v3",
        ),
        sse(
            {"content": "Thought: I can answer without using any more tools.\n"},
            {"content": "Answer: Sunny in Paris."},
            model="deepseek-v3",
        ),
    ]
)
async def test_react_agent_calls_a_tool_through_text(
    mixroute_endpoint: Endpoint, sent_bodies: SentBodies
) -> None:
    agent = ReActAgent(tools=[WEATHER], llm=llm(mixroute_endpoint, "deepseek-v3"))
    result = await agent.run(user_msg="Weather in Paris?")
    assert str(result) == "Sunny in Paris."
    assert [call.tool_kwargs for call in result.tool_calls] == [{"city": "Paris"}]
    first, second = sent_bodies()
    assert "tools" not in first  # ReAct describes the tools in the prompt
    assert "get_weather" in first["messages"][0]["content"]
    assert "Sunny, 24 C in Paris" in second["messages"][-1]["content"]


class Fact(BaseModel):
    subject: str
    height_m: int


@pytest.mark.wire_answers([completion('{"subject": "Eiffel Tower", "height_m": 330}')])
def test_structured_predict_into_a_pydantic_model(
    mixroute_endpoint: Endpoint, sent_bodies: SentBodies
) -> None:
    fact = llm(mixroute_endpoint).structured_predict(
        Fact, PromptTemplate("Extract: {text}"), text=DOCUMENTS[1].text
    )
    assert fact == Fact(subject="Eiffel Tower", height_m=330)
    [body] = sent_bodies()
    assert body["response_format"]["type"] == "json_schema"  # gpt-4o: native json_schema
    assert body["messages"][-1]["content"] == f"Extract: {DOCUMENTS[1].text}"


@pytest.mark.anyio
@pytest.mark.wire_answers([completion('{"subject": "Eiffel Tower", "height_m": 330}')])
async def test_structured_predict_async(mixroute_endpoint: Endpoint) -> None:
    fact = await llm(mixroute_endpoint).astructured_predict(
        Fact, PromptTemplate("Extract: {text}"), text=DOCUMENTS[1].text
    )
    assert fact.height_m == 330


# --- from the local model server ---------------------------------------------------------


def prompt_of(sent_bodies: SentBodies) -> str:
    content = sent_bodies()[0]["messages"][-1]["content"]
    assert isinstance(content, str)
    return content


@pytest.mark.local_server
def test_query_engine_over_in_memory_documents(
    mixroute_endpoint: Endpoint, recorded_results: RecordedResults, sent_bodies: SentBodies
) -> None:
    engine = make_index().as_query_engine(llm=tiny(mixroute_endpoint), similarity_top_k=2)
    response = engine.query("How tall is the Eiffel Tower?")
    assert str(response).strip()
    assert len(response.source_nodes) == 2
    prompt = prompt_of(sent_bodies)
    assert "How tall is the Eiffel Tower?" in prompt
    assert sum(doc.text in prompt for doc in DOCUMENTS) == 2
    recorded_results.check({"answer": str(response)})


@pytest.mark.local_server
def test_streaming_query_engine(
    mixroute_endpoint: Endpoint, recorded_results: RecordedResults, sent_bodies: SentBodies
) -> None:
    index = make_index()
    engine = index.as_query_engine(llm=tiny(mixroute_endpoint), streaming=True)
    response = engine.query("How tall is the Eiffel Tower?")
    pieces = list(response.response_gen)
    assert len([piece for piece in pieces if piece]) > 1
    assert sent_bodies()[0]["stream"] is True
    recorded_results.check({"pieces": pieces})


@pytest.mark.anyio
@pytest.mark.local_server
async def test_async_query_engine(
    mixroute_endpoint: Endpoint, recorded_results: RecordedResults
) -> None:
    engine = make_index().as_query_engine(llm=tiny(mixroute_endpoint))
    response = await engine.aquery("What is Mixroute?")
    assert str(response).strip()
    recorded_results.check({"answer": str(response)})


@pytest.mark.local_server
def test_chat_engine_keeps_the_conversation(
    mixroute_endpoint: Endpoint, recorded_results: RecordedResults, sent_bodies: SentBodies
) -> None:
    engine = make_index().as_chat_engine(chat_mode="context", llm=tiny(mixroute_endpoint))
    first = str(engine.chat("What is Mixroute?"))
    second = str(engine.chat("Which vendors?"))
    assert first.strip()
    assert second.strip()
    history = sent_bodies()[1]["messages"]
    assert [message["role"] for message in history] == ["system", "user", "assistant", "user"]
    assert history[2]["content"] == first
    recorded_results.check({"answers": [first, second]})


@pytest.mark.local_server
def test_streaming_chat_engine(
    mixroute_endpoint: Endpoint, recorded_results: RecordedResults
) -> None:
    engine = make_index().as_chat_engine(chat_mode="simple", llm=tiny(mixroute_endpoint))
    response = engine.stream_chat("What is Mixroute?")
    pieces = list(response.response_gen)
    assert len([piece for piece in pieces if piece]) > 1
    recorded_results.check({"pieces": pieces})


@pytest.mark.local_server
def test_settings_llm(
    mixroute_endpoint: Endpoint, recorded_results: RecordedResults, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(Settings, "_llm", tiny(mixroute_endpoint))
    assert isinstance(Settings.llm, Mixroute)
    response = make_index().as_query_engine().query("How tall is the Eiffel Tower?")
    assert str(response).strip()
    recorded_results.check({"answer": str(response)})
