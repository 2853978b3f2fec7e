"""The tools guide says ``ReActAgent`` works on a model without tool calling: shown here.

``ReActAgent`` writes its actions as text, so it needs no ``tools`` field; this runs one on
``o1-mini``, whose profile says it takes no tools, against the stand-in gateway (which
answers a ReAct prompt with an action, then, after the observation, an answer).
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from llama_index.core.agent.workflow import ReActAgent
from llama_index.core.tools import FunctionTool
from support.local_server import LocalServer

from llama_index_mixroute import Mixroute
from mixroute import get_profile

GUIDE = " ".join(
    (Path(__file__).resolve().parents[2] / "docs/guides/tools-and-agents.md").read_text().split()
)


def get_weather(city: str) -> str:
    """The weather in a city."""
    return f"Sunny in {city}."


def test_react_agent_runs_on_a_model_without_tool_calling(plausible_server: LocalServer) -> None:
    assert (
        "`ReActAgent` writes its actions as text, so it works on a model without tool calling too"
        in GUIDE
    )
    assert not get_profile("o1-mini").tool_calling
    llm = Mixroute("o1-mini", api_key="sk-test", base_url=plausible_server.base_url)
    assert not llm.metadata.is_function_calling_model

    async def ask() -> Any:
        agent = ReActAgent(tools=[FunctionTool.from_defaults(fn=get_weather)], llm=llm)
        return await agent.run(user_msg="Weather in Paris?")

    result = asyncio.run(ask())
    bodies = [request.json() for request in plausible_server.received]
    assert [call.tool_name for call in result.tool_calls] == ["get_weather"]
    assert str(result).startswith("The tool said: Sunny in")
    assert len(bodies) == 2
    assert all("tools" not in body for body in bodies)
