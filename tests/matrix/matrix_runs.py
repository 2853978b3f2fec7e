"""How each cell of the structured-output matrix runs: one framework path, one model.

Every runner takes a model wired to a :class:`~support.vendor_gateway.VendorGateway` and
returns the structured result as the framework hands it over (a ``Weather``, or the
dict LlamaIndex's agents give), plus which user-tool calls really ran.
"""

from __future__ import annotations

import asyncio
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import httpx
from langchain.agents import create_agent
from langchain.agents.structured_output import ProviderStrategy, ToolStrategy
from langchain_core.messages import HumanMessage
from langchain_core.tools import tool
from llama_index.core.agent.workflow import FunctionAgent
from llama_index.core.base.llms.types import ChatMessage
from llama_index.core.prompts import PromptTemplate
from llama_index.core.tools import FunctionTool
from pydantic import BaseModel
from support.vendor_gateway import VendorGateway

from langchain_mixroute import ChatMixroute
from llama_index_mixroute import Mixroute

KEY = "sk-test-matrix-0123456789abcdef"
QUESTION = "What is the weather in Paris?"
FORECAST = "Sunny, 21.5 C, light wind from the west."


class Wind(BaseModel):
    """Wind at the surface."""

    speed_kmh: float
    direction: Literal["N", "E", "S", "W"]


class Weather(BaseModel):
    """The weather in a city."""

    city: str
    temperature_c: float
    conditions: Literal["sunny", "cloudy", "rainy"]
    humidity_pct: int
    windy: bool
    wind: Wind
    alerts: list[str]


@dataclass
class Run:
    """A cell's outcome: the structured result and the arguments the user tool ran with."""

    result: Any
    tool_runs: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


@dataclass
class Wiring:
    """The gateway and its two httpx clients, for one cell."""

    gateway: VendorGateway
    settings: Mapping[str, Any]
    clients: list[httpx.Client | httpx.AsyncClient] = field(default_factory=list)

    def _pair(self) -> tuple[httpx.Client, httpx.AsyncClient]:
        sync = httpx.Client(transport=self.gateway.transport())
        async_ = httpx.AsyncClient(transport=self.gateway.transport())
        self.clients += [sync, async_]
        return sync, async_

    def chat_model(self) -> ChatMixroute:
        """A ``ChatMixroute`` for the gateway's model, no retries."""
        sync, async_ = self._pair()
        return ChatMixroute(
            model=self.gateway.rules.model,
            api_key=KEY,
            http_client=sync,
            http_async_client=async_,
            max_retries=0,
            **self.settings,
        )

    def llm(self) -> Mixroute:
        """A LlamaIndex ``Mixroute`` for the gateway's model, no retries."""
        sync, async_ = self._pair()
        return Mixroute(
            self.gateway.rules.model,
            api_key=KEY,
            http_client=sync,
            async_http_client=async_,
            max_retries=0,
            **self.settings,
        )

    def close(self) -> None:
        """Close the sync clients (the async ones hold no sockets on a mock transport)."""
        for client in self.clients:
            if isinstance(client, httpx.Client):
                client.close()


Strategy = Literal["default", "tool", "provider"]


def langchain_agent(wiring: Wiring, strategy: Strategy, with_tools: bool) -> Run:
    """``create_agent`` with ``response_format`` given as ``Weather`` or a strategy."""
    runs: list[str] = []

    @tool
    def get_weather(city: str) -> str:
        """Get the current weather for a city."""
        runs.append(city)
        return FORECAST

    formats: dict[str, Any] = {
        "default": Weather,
        "tool": ToolStrategy(Weather),
        "provider": ProviderStrategy(Weather),
    }
    agent = create_agent(
        wiring.chat_model(),
        tools=[get_weather] if with_tools else [],
        response_format=formats[strategy],
    )
    state = agent.invoke({"messages": [HumanMessage(QUESTION)]})
    return Run(state.get("structured_response"), runs)


def with_structured_output(wiring: Wiring, method: str, streamed: bool) -> Run:
    """``with_structured_output(Weather, method=...)``, invoked or streamed (last value)."""
    runnable = wiring.chat_model().with_structured_output(Weather, method=method)
    if not streamed:
        return Run(runnable.invoke(QUESTION))
    last = None
    for value in runnable.stream(QUESTION):
        if value is not None:
            last = value
    return Run(last)


def llama_structured_predict(wiring: Wiring) -> Run:
    """``Mixroute.structured_predict(Weather, prompt)``."""
    prompt = PromptTemplate("What is the weather in {city}?")
    return Run(wiring.llm().structured_predict(Weather, prompt, city="Paris"))


def llama_structured_chat(wiring: Wiring) -> Run:
    """``as_structured_llm(Weather).chat(...)``: the object is the response's ``raw``."""
    response = (
        wiring.llm().as_structured_llm(Weather).chat([ChatMessage(role="user", content=QUESTION)])
    )
    return Run(response.raw)


def llama_structured_stream_chat(wiring: Wiring) -> Run:
    """``as_structured_llm(Weather).stream_chat(...)``: the last response's ``raw``."""
    structured = wiring.llm().as_structured_llm(Weather)
    last = None
    for response in structured.stream_chat([ChatMessage(role="user", content=QUESTION)]):
        last = response.raw
    return Run(last)


def llama_function_agent(wiring: Wiring) -> Run:
    """A ``FunctionAgent`` with ``get_weather`` and ``output_cls=Weather`` (it streams)."""
    runs: list[str] = []

    def get_weather(city: str) -> str:
        """Get the current weather for a city."""
        runs.append(city)
        return FORECAST

    agent = FunctionAgent(
        tools=[FunctionTool.from_defaults(fn=get_weather)], llm=wiring.llm(), output_cls=Weather
    )
    # LlamaIndex turns a failure to build the structured response into a warning: keep
    # the warnings so that a failing cell can say why.
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        output = asyncio.run(_run_agent(agent))
    said = [str(w.message) for w in caught if "structured output" in str(w.message)]
    return Run(output.structured_response, runs, said)


async def _run_agent(agent: FunctionAgent) -> Any:
    return await agent.run(QUESTION)


Runner = Callable[[Wiring], Run]
