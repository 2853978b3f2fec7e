"""ChatMixroute where users put it, replayed from cassettes: an LCEL chain, a tool-calling
agent, structured output in a chain, and an agent with a structured response.

The plain chains are recorded from SmolLM2-135M on the local model server (``make
test-local-server``) and assert only what a tiny model reliably gives; replay must observe
what recording did (``.results.json``). The others need a tool call or JSON that a tiny
model cannot be relied on for: their answers are written from the documented wire format
(``@pytest.mark.wire_answers``) and recorded with
``MIXROUTE_CASSETTE_SOURCE=wire-format .venv/bin/pytest --record-mode=once -m "vcr and not
local_server" tests/langchain/test_in_chains_and_agents.py``.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

import pytest
from langchain.agents import create_agent
from langchain_core.messages import AIMessage, AIMessageChunk, ToolMessage
from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import ChatPromptTemplate
from langchain_core.tools import tool
from pydantic import BaseModel
from scripted_mixroute import chunk, completion, sse_text
from support.cassettes import Endpoint, RecordedResults

from langchain_mixroute import ChatMixroute

pytestmark = pytest.mark.vcr
SentBodies = Callable[[], list[dict[str, Any]]]

PROMPT = ChatPromptTemplate.from_messages(
    [("system", "You are a helpful assistant"), ("human", "Briefly introduce {topic}")]
)


def chat_model(endpoint: Endpoint, model: str = "gpt-4o", **settings: Any) -> ChatMixroute:
    return ChatMixroute(
        model=model, base_url=endpoint.base_url, api_key=endpoint.api_key, max_retries=0, **settings
    )


@tool
def get_weather(city: str) -> str:
    """Get weather information by city"""
    return f"It is 22 C and sunny in {city}."


def weather_call(city: str, answer_id: str) -> dict[str, Any]:
    call = {
        "id": "call_1",
        "type": "function",
        "function": {"name": "get_weather", "arguments": json.dumps({"city": city})},
    }
    message = {"content": None, "tool_calls": [call]}
    return completion(message, finish_reason="tool_calls", id=answer_id)


# --- from the local model server ---------------------------------------------------------


@pytest.mark.local_server
def test_lcel_chain_prompt_model_parser(
    mixroute_endpoint: Endpoint, recorded_results: RecordedResults, sent_bodies: SentBodies
) -> None:
    llm = chat_model(mixroute_endpoint, "smollm2", temperature=0, max_tokens=24, seed=1)
    chain = PROMPT | llm | StrOutputParser()
    text = chain.invoke({"topic": "the sea"})
    assert isinstance(text, str)
    assert text.strip()
    [body] = sent_bodies()
    assert body["messages"] == [
        {"role": "system", "content": "You are a helpful assistant"},
        {"role": "user", "content": "Briefly introduce the sea"},
    ]
    recorded_results.check({"text": text})


@pytest.mark.local_server
def test_lcel_chain_streams_text(
    mixroute_endpoint: Endpoint, recorded_results: RecordedResults
) -> None:
    llm = chat_model(mixroute_endpoint, "smollm2", temperature=0, max_tokens=24, seed=1)
    chain = PROMPT | llm | StrOutputParser()
    pieces = list(chain.stream({"topic": "the moon"}))
    assert len([piece for piece in pieces if piece]) > 1
    assert all(isinstance(piece, str) for piece in pieces)
    recorded_results.check({"pieces": pieces})


# --- from the documented wire format -----------------------------------------------------


@pytest.mark.wire_answers(
    [
        weather_call("Shanghai", "chatcmpl-1"),
        # Each answer has its own id, as real ones do: LangGraph merges messages by id.
        completion({"content": "It is sunny in Shanghai, 22 C."}, id="chatcmpl-2"),
    ]
)
def test_tool_calling_agent_calls_the_tool_and_answers(
    mixroute_endpoint: Endpoint, sent_bodies: SentBodies
) -> None:
    agent = create_agent(
        chat_model(mixroute_endpoint), tools=[get_weather], system_prompt="Be brief."
    )
    state = agent.invoke({"messages": [("user", "What is the weather in Shanghai?")]})
    messages = state["messages"]
    assert isinstance(messages[-1], AIMessage)
    assert messages[-1].content == "It is sunny in Shanghai, 22 C."
    [called] = [m for m in messages if isinstance(m, AIMessage) and m.tool_calls]
    assert called.tool_calls == [
        {"name": "get_weather", "args": {"city": "Shanghai"}, "id": "call_1", "type": "tool_call"}
    ]
    tool_results = [m for m in messages if isinstance(m, ToolMessage)]
    assert [m.content for m in tool_results] == ["It is 22 C and sunny in Shanghai."]
    first, second = sent_bodies()
    assert first["tools"][0]["function"]["name"] == "get_weather"
    assert first["messages"][0] == {"role": "system", "content": "Be brief."}
    assert second["messages"][-1] == {
        "role": "tool",
        "content": "It is 22 C and sunny in Shanghai.",
        "tool_call_id": "call_1",
    }


@pytest.mark.wire_answers(
    [
        weather_call("Paris", "chatcmpl-1"),
        completion({"content": "Sunny in Paris."}, id="chatcmpl-2"),
    ]
)
def test_tool_calling_agent_async(mixroute_endpoint: Endpoint) -> None:
    agent = create_agent(chat_model(mixroute_endpoint), tools=[get_weather])
    state = asyncio.run(agent.ainvoke({"messages": [("user", "Weather in Paris?")]}))
    assert state["messages"][-1].content == "Sunny in Paris."
    assert state["messages"][-2].content == "It is 22 C and sunny in Paris."


CALL_CHUNKS = [
    chunk({"role": "assistant", "content": None}),
    chunk(
        {
            "tool_calls": [
                {
                    "index": 0,
                    "id": "call_1",
                    "type": "function",
                    "function": {"name": "get_weather", "arguments": ""},
                }
            ]
        }
    ),
    chunk({"tool_calls": [{"index": 0, "function": {"arguments": '{"city": "Rome"}'}}]}),
    chunk(finish_reason="tool_calls"),
]
ANSWER_CHUNKS = [
    chunk({"role": "assistant", "content": "Sunny"}, id="chatcmpl-2"),
    chunk({"content": " in Rome."}, id="chatcmpl-2"),
    chunk(finish_reason="stop", id="chatcmpl-2"),
]


@pytest.mark.wire_answers([sse_text(CALL_CHUNKS), sse_text(ANSWER_CHUNKS)])
def test_tool_calling_agent_streams_its_messages(mixroute_endpoint: Endpoint) -> None:
    agent = create_agent(chat_model(mixroute_endpoint, streaming=True), tools=[get_weather])
    tokens = [
        message.content
        for message, _ in agent.stream(
            {"messages": [("user", "Weather in Rome?")]}, stream_mode="messages"
        )
        if isinstance(message, AIMessageChunk) and message.content
    ]
    assert tokens == ["Sunny", " in Rome."]


class Summary(BaseModel):
    """A one-line summary."""

    summary: str


@pytest.mark.wire_answers([completion({"content": '{"summary": "AI makes machines smart."}'})])
def test_structured_output_in_a_chain(mixroute_endpoint: Endpoint, sent_bodies: SentBodies) -> None:
    chain = PROMPT | chat_model(mixroute_endpoint).with_structured_output(Summary)
    assert chain.invoke({"topic": "AI"}) == Summary(summary="AI makes machines smart.")
    [body] = sent_bodies()
    assert body["response_format"]["type"] == "json_schema"
    assert body["response_format"]["json_schema"]["name"] == "Summary"


@pytest.mark.wire_answers([completion({"content": '{"summary": "Sunny."}'})])
def test_agent_with_a_structured_response_uses_the_provider_strategy(
    mixroute_endpoint: Endpoint, sent_bodies: SentBodies
) -> None:
    # gpt-4o's profile says structured_output, so the agent asks for json_schema natively.
    agent = create_agent(
        chat_model(mixroute_endpoint), tools=[get_weather], response_format=Summary
    )
    state = agent.invoke({"messages": [("user", "Summarise the weather")]})
    assert state["structured_response"] == Summary(summary="Sunny.")
    [body] = sent_bodies()
    assert body["response_format"]["type"] == "json_schema"
