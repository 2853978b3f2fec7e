"""``Mixroute`` where LlamaIndex users put it: agents, query engines, chat engines.

Answers are scripted in the documented wire format (the cassette kit will replay them);
each test checks what LlamaIndex sent through the adapter as well as what it got back.
"""

from __future__ import annotations

from typing import Any

import pytest
from llama_index.core import Document, VectorStoreIndex
from llama_index.core.agent.workflow import AgentStream, FunctionAgent, ReActAgent
from llama_index.core.embeddings import MockEmbedding
from llama_index.core.tools import FunctionTool
from pydantic import BaseModel
from scripted_gateway import ScriptedGateway, completion, sse, tool_call, tool_calls_answer

from llama_index_mixroute import Mixroute


def get_weather(city: str) -> str:
    """Get weather information by city."""
    return f"Sunny, 24 C in {city}"


WEATHER = FunctionTool.from_defaults(fn=get_weather)
DOCUMENTS = [
    Document(text="Mixroute is an OpenAI-compatible gateway to many model vendors."),
    Document(text="The Eiffel Tower is 330 metres tall."),
    Document(text="Qwen models can search the web with enable_search."),
]


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


@pytest.mark.anyio
async def test_function_agent_calls_a_tool_and_answers() -> None:
    gateway = ScriptedGateway(
        streamed_tool_call("call_1", "get_weather", '{"city": "Shanghai"}'),
        sse({"role": "assistant", "content": "It is sunny, "}, {"content": "24 C in Shanghai."}),
    )
    agent = FunctionAgent(
        tools=[WEATHER], llm=gateway.llm(), system_prompt="You help with weather."
    )
    handler = agent.run(user_msg="What is the weather in Shanghai?")
    deltas = [
        event.delta async for event in handler.stream_events() if isinstance(event, AgentStream)
    ]
    result = await handler
    assert str(result) == "It is sunny, 24 C in Shanghai."
    assert "".join(deltas) == "It is sunny, 24 C in Shanghai."
    first, second = gateway.bodies
    assert first["tools"][0]["function"]["name"] == "get_weather"
    assert first["tool_choice"] == "auto"
    assert second["messages"][-2:] == [
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [tool_call("call_1", "get_weather", '{"city": "Shanghai"}')],
        },
        {"role": "tool", "content": "Sunny, 24 C in Shanghai", "tool_call_id": "call_1"},
    ]


@pytest.mark.anyio
async def test_function_agent_without_streaming() -> None:
    gateway = ScriptedGateway(
        tool_calls_answer(tool_call("call_1", "get_weather", {"city": "Paris"})),
        completion("Sunny, 24 C in Paris."),
    )
    agent = FunctionAgent(tools=[WEATHER], llm=gateway.llm(), streaming=False)
    result = await agent.run(user_msg="Weather in Paris?")
    assert str(result) == "Sunny, 24 C in Paris."
    assert [call.tool_name for call in result.tool_calls] == ["get_weather"]
    assert gateway.bodies[1]["messages"][-1]["tool_call_id"] == "call_1"


@pytest.mark.anyio
async def test_react_agent_calls_a_tool_through_text() -> None:
    gateway = ScriptedGateway(
        sse(
            {"role": "assistant", "content": "Thought: I need the weather.\nAction: get_weather\n"},
            {"content": 'Action Input: {"city": "Paris"}'},
        ),
        sse(
            {
                "content": "Thought: I can answer without using any more tools.\nAnswer: Sunny in Paris."
            }
        ),
    )
    agent = ReActAgent(tools=[WEATHER], llm=gateway.llm("deepseek-v3"))
    result = await agent.run(user_msg="Weather in Paris?")
    assert str(result) == "Sunny in Paris."
    assert "tools" not in gateway.bodies[0]  # ReAct describes the tools in the prompt
    observation = gateway.bodies[1]["messages"][-1]["content"]
    assert "Sunny, 24 C in Paris" in observation


def make_index() -> VectorStoreIndex:
    return VectorStoreIndex.from_documents(DOCUMENTS, embed_model=MockEmbedding(embed_dim=8))


def test_query_engine_over_in_memory_documents() -> None:
    gateway = ScriptedGateway(completion("It is 330 metres tall."))
    engine = make_index().as_query_engine(llm=gateway.llm(), similarity_top_k=2)
    response = engine.query("How tall is the Eiffel Tower?")
    assert str(response) == "It is 330 metres tall."
    assert len(response.source_nodes) == 2
    [body] = gateway.bodies
    prompt = body["messages"][-1]["content"]
    assert "How tall is the Eiffel Tower?" in prompt
    assert sum(doc.text in prompt for doc in DOCUMENTS) == 2


def test_streaming_query_engine() -> None:
    gateway = ScriptedGateway(sse({"content": "It is "}, {"content": "330 metres tall."}))
    engine = make_index().as_query_engine(llm=gateway.llm(), streaming=True)
    response = engine.query("How tall is the Eiffel Tower?")
    assert list(response.response_gen) == ["It is ", "330 metres tall.", ""]
    assert gateway.bodies[0]["stream"] is True


@pytest.mark.anyio
async def test_async_query_engine() -> None:
    gateway = ScriptedGateway(completion("A gateway."))
    engine = make_index().as_query_engine(llm=gateway.llm())
    assert str(await engine.aquery("What is Mixroute?")) == "A gateway."


def test_chat_engine_keeps_the_conversation() -> None:
    gateway = ScriptedGateway(completion("Mixroute is a gateway."), completion("Many vendors."))
    engine = make_index().as_chat_engine(chat_mode="context", llm=gateway.llm())
    assert str(engine.chat("What is Mixroute?")) == "Mixroute is a gateway."
    assert str(engine.chat("Which vendors?")) == "Many vendors."
    roles = [message["role"] for message in gateway.bodies[1]["messages"]]
    assert roles == ["system", "user", "assistant", "user"]


def test_streaming_chat_engine() -> None:
    gateway = ScriptedGateway(sse({"content": "A "}, {"content": "gateway."}))
    engine = make_index().as_chat_engine(chat_mode="simple", llm=gateway.llm())
    response = engine.stream_chat("What is Mixroute?")
    assert "".join(response.response_gen) == "A gateway."


class Fact(BaseModel):
    subject: str
    height_m: int


def test_structured_predict_into_a_pydantic_model() -> None:
    from llama_index.core.prompts import PromptTemplate

    gateway = ScriptedGateway(completion('{"subject": "Eiffel Tower", "height_m": 330}'))
    fact = gateway.llm("gpt-4o").structured_predict(
        Fact, PromptTemplate("Extract: {text}"), text=DOCUMENTS[1].text
    )
    assert fact == Fact(subject="Eiffel Tower", height_m=330)


def test_settings_llm() -> None:
    from llama_index.core import Settings

    gateway = ScriptedGateway(completion("It is 330 metres tall."))
    previous = Settings._llm
    try:
        Settings.llm = gateway.llm()
        assert isinstance(Settings.llm, Mixroute)
        engine = make_index().as_query_engine()
        assert str(engine.query("How tall?")) == "It is 330 metres tall."
    finally:
        Settings._llm = previous


def answer_text(response: Any) -> str:
    return str(response)
