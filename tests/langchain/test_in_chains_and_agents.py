"""ChatMixroute where users put it: an LCEL chain, a tool-calling agent, structured output
in a chain, and an agent with a structured response.

Answers are scripted in the documented wire format for now (to be replayed from cassettes).
"""

from __future__ import annotations

import asyncio
from typing import Any

from langchain.agents import create_agent
from langchain_core.messages import AIMessage, ToolMessage
from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import ChatPromptTemplate
from langchain_core.tools import tool
from pydantic import BaseModel
from scripted_mixroute import Script, chunk, completion, model_for

PROMPT = ChatPromptTemplate.from_messages(
    [("system", "You are a helpful assistant"), ("human", "Briefly introduce {topic}")]
)


@tool
def get_weather(city: str) -> str:
    """Get weather information by city"""
    return f"It is 22 C and sunny in {city}."


def weather_call(city: str = "Shanghai") -> dict[str, Any]:
    call = {
        "id": "call_1",
        "type": "function",
        "function": {"name": "get_weather", "arguments": f'{{"city": "{city}"}}'},
    }
    return completion(
        {"content": None, "tool_calls": [call]}, finish_reason="tool_calls", id="chatcmpl-1"
    )


def test_lcel_chain_prompt_model_parser() -> None:
    script = Script(completion({"content": "AI is ..."}, model="glm-5"))
    chain = PROMPT | model_for(script, "glm-5", temperature=0.7) | StrOutputParser()
    assert chain.invoke({"topic": "artificial intelligence"}) == "AI is ..."
    assert script.body == {
        "model": "glm-5",
        "messages": [
            {"role": "system", "content": "You are a helpful assistant"},
            {"role": "user", "content": "Briefly introduce artificial intelligence"},
        ],
        "temperature": 0.7,
    }


def test_lcel_chain_streams_text() -> None:
    script = Script(
        [chunk({"content": "AI"}), chunk({"content": " is ..."}), chunk(finish_reason="stop")]
    )
    chain = PROMPT | model_for(script, "glm-5") | StrOutputParser()
    assert list(chain.stream({"topic": "AI"})) == ["AI", " is ...", ""]


def test_tool_calling_agent_calls_the_tool_and_answers() -> None:
    # Each answer has its own id, as real ones do: LangGraph merges messages by id.
    script = Script(
        weather_call(), completion({"content": "It is sunny in Shanghai, 22 C."}, id="chatcmpl-2")
    )
    agent = create_agent(model_for(script), tools=[get_weather], system_prompt="Be brief.")
    state = agent.invoke({"messages": [("user", "What is the weather in Shanghai?")]})
    messages = state["messages"]
    assert isinstance(messages[-1], AIMessage)
    assert messages[-1].content == "It is sunny in Shanghai, 22 C."
    tool_results = [m for m in messages if isinstance(m, ToolMessage)]
    assert [m.content for m in tool_results] == ["It is 22 C and sunny in Shanghai."]
    first, second = script.bodies
    assert first["tools"][0]["function"]["name"] == "get_weather"
    assert first["messages"][0] == {"role": "system", "content": "Be brief."}
    assert second["messages"][2:] == [
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "id": "call_1",
                    "type": "function",
                    "function": {"name": "get_weather", "arguments": '{"city": "Shanghai"}'},
                }
            ],
        },
        {"role": "tool", "content": "It is 22 C and sunny in Shanghai.", "tool_call_id": "call_1"},
    ]


def test_tool_calling_agent_async() -> None:
    script = Script(
        weather_call("Paris"), completion({"content": "Sunny in Paris."}, id="chatcmpl-2")
    )
    agent = create_agent(model_for(script), tools=[get_weather])
    state = asyncio.run(agent.ainvoke({"messages": [("user", "Weather in Paris?")]}))
    assert state["messages"][-1].content == "Sunny in Paris."


class Summary(BaseModel):
    """A one-line summary."""

    summary: str


def test_structured_output_in_a_chain() -> None:
    script = Script(completion({"content": '{"summary": "AI makes machines smart."}'}))
    chain = PROMPT | model_for(script).with_structured_output(Summary)
    assert chain.invoke({"topic": "AI"}) == Summary(summary="AI makes machines smart.")
    assert script.body["response_format"]["json_schema"]["name"] == "Summary"


def test_agent_with_a_structured_response_uses_the_provider_strategy() -> None:
    # gpt-4o's profile says structured_output, so the agent asks for json_schema natively.
    script = Script(completion({"content": '{"summary": "Sunny."}'}))
    agent = create_agent(model_for(script), tools=[get_weather], response_format=Summary)
    state = agent.invoke({"messages": [("user", "Summarise the weather")]})
    assert state["structured_response"] == Summary(summary="Sunny.")
    assert script.body["response_format"]["type"] == "json_schema"
