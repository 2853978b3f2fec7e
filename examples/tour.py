"""A tour of Mixroute in LangChain and LlamaIndex, side by side: ``make tour``.

Without ``MIXROUTE_API_KEY`` it replays the tour's cassettes (``cassettes/tour/``) and
every request it sends must match the recorded one (method, path and JSON body), so the
replay also proves that both adapters still send what they sent. With a key it runs the
same steps against the live gateway, and with ``MIXROUTE_BASE_URL`` on this machine against
that local server (``examples/run_mode.py``); its first line says which. It exits non-zero
if any step fails.

It needs ``pip install 'mixroute[all,testing]'`` (``testing`` for the cassettes).

The cassettes were recorded from answers written in the documented wire format
(``examples/tour_answers.py``), served by a scripted server on 127.0.0.1 while the tour
ran against it. To record them again::

    python examples/tour.py --record-wire-format
"""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import vcr
from langchain.agents import create_agent
from langchain_core.documents import Document as LCDocument
from langchain_core.embeddings import DeterministicFakeEmbedding
from langchain_core.messages import AIMessageChunk, HumanMessage
from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import ChatPromptTemplate
from langchain_core.runnables import RunnablePassthrough
from langchain_core.tools import tool
from langchain_core.vectorstores import InMemoryVectorStore
from llama_index.core import VectorStoreIndex
from llama_index.core.agent.workflow import FunctionAgent, ToolCallResult
from llama_index.core.base.llms.types import ChatMessage, CitationBlock, TextBlock, ThinkingBlock
from llama_index.core.embeddings import MockEmbedding
from llama_index.core.prompts import PromptTemplate
from llama_index.core.schema import TextNode
from llama_index.core.tools import FunctionTool
from pydantic import BaseModel
from run_mode import RunMode, run_mode

from langchain_mixroute import ChatMixroute
from llama_index_mixroute import Mixroute
from mixroute import SearchParameters
from mixroute.testing import json_body_matcher, mixroute_vcr_config

ROOT = Path(__file__).resolve().parents[1]
CASSETTES = ROOT / "cassettes" / "tour"
REPLAY_URL = "https://console.mixroute.io/v1"
REPLAY_KEY = "sk-replay-0000000000000000"

DOCUMENTS = [
    "Mixroute is an OpenAI-compatible gateway: one endpoint for many model vendors.",
    "Mixroute serves GPT, Claude, DeepSeek, Gemini, GLM, Kimi, Doubao, Qwen and Grok models.",
    "A Mixroute key starts with sk- and is sent as a Bearer token.",
]


@dataclass(frozen=True)
class Endpoint:
    """Where the models of one step send their requests (``None``: the environment's)."""

    base_url: str | None = None
    api_key: str | None = None

    def chat(self, model: str, **settings: Any) -> ChatMixroute:
        """A LangChain chat model."""
        return ChatMixroute(model=model, base_url=self.base_url, api_key=self.api_key, **settings)

    def llm(self, model: str, **settings: Any) -> Mixroute:
        """A LlamaIndex LLM."""
        return Mixroute(model, api_base=self.base_url, api_key=self.api_key, **settings)


class Summary(BaseModel):
    """A one-line summary."""

    summary: str


def get_weather(city: str) -> str:
    """Get the weather for a city."""
    return f"Sunny, 25 °C in {city}"


# --- the steps: (title, LangChain, LlamaIndex) --------------------------------------------


def stream_langchain(at: Endpoint) -> None:
    total: AIMessageChunk | None = None
    print("    ", end="")
    for piece in at.chat("doubao-seed-1-8-251228").stream("Say hello in one sentence."):
        print(piece.content, end="", flush=True)
        total = piece if total is None else total + piece
    usage = total.usage_metadata if total is not None else None
    print(f"\n    ({usage['total_tokens']} tokens)" if usage else "")


def stream_llama_index(at: Endpoint) -> None:
    print("    ", end="")
    last = None
    question = [ChatMessage(role="user", content="Say hello in one sentence.")]
    for last in at.llm("doubao-seed-1-8-251228").stream_chat(question):
        print(last.delta, end="", flush=True)
    tokens = last.additional_kwargs.get("total_tokens") if last is not None else None
    print(f"\n    ({tokens} tokens)" if tokens else "")


def reasoning_langchain(at: Endpoint) -> None:
    answer = at.chat("deepseek-r1").invoke("If x^2 + 2x - 3 = 0, what is x?")
    for block in answer.content_blocks:  # standard blocks: reasoning first, then the text
        if block["type"] == "reasoning":
            print("    thinking:", block.get("reasoning"))
        elif block["type"] == "text":
            print("    answer:  ", block["text"])


def reasoning_llama_index(at: Endpoint) -> None:
    question = [ChatMessage(role="user", content="If x^2 + 2x - 3 = 0, what is x?")]
    for block in at.llm("deepseek-r1").chat(question).message.blocks:
        if isinstance(block, ThinkingBlock):
            print("    thinking:", block.content)
        elif isinstance(block, TextBlock):
            print("    answer:  ", block.text)


def agent_langchain(at: Endpoint) -> None:
    agent = create_agent(at.chat("gpt-4o"), tools=[tool(get_weather)])
    state = agent.invoke({"messages": [HumanMessage("What is the weather in Shanghai?")]})
    for message in state["messages"]:
        for call in getattr(message, "tool_calls", None) or ():
            print(f"    calls {call['name']}({call['args']})")
    print("   ", state["messages"][-1].content)


def agent_llama_index(at: Endpoint) -> None:
    agent = FunctionAgent(tools=[FunctionTool.from_defaults(fn=get_weather)], llm=at.llm("gpt-4o"))

    async def run() -> str:
        handler = agent.run(user_msg="What is the weather in Shanghai?")
        async for event in handler.stream_events():
            if isinstance(event, ToolCallResult):
                print(f"    calls {event.tool_name}({event.tool_kwargs})")
        return str(await handler)

    print("   ", asyncio.run(run()))


def structured_langchain(at: Endpoint) -> None:
    summary = at.chat("gpt-4o").with_structured_output(Summary).invoke("Summarise AI in a line.")
    print("   ", repr(summary))


def structured_llama_index(at: Endpoint) -> None:
    prompt = PromptTemplate("Summarise {topic} in a line.")
    print("   ", repr(at.llm("gpt-4o").structured_predict(Summary, prompt, topic="AI")))


SEARCH = SearchParameters(mode="auto", return_citations=True)


def search_langchain(at: Endpoint) -> None:
    answer = at.chat("grok-3", search_parameters=SEARCH).invoke("What is new in AI this week?")
    print("   ", answer.content)
    for citation in answer.response_metadata.get("citations", []):
        print("    source:", citation["url"])


def search_llama_index(at: Endpoint) -> None:
    question = [ChatMessage(role="user", content="What is new in AI this week?")]
    answer = at.llm("grok-3", search_parameters=SEARCH).chat(question)
    print("   ", answer.message.content)
    for block in answer.message.blocks:
        if isinstance(block, CitationBlock):
            print("    source:", block.source)


def documents_langchain(at: Endpoint) -> None:
    store = InMemoryVectorStore.from_documents(
        [LCDocument(page_content=text) for text in DOCUMENTS],
        DeterministicFakeEmbedding(size=16),  # no embedding API needed
    )
    prompt = ChatPromptTemplate.from_template(
        "Answer from the context only.\n\nContext:\n{context}\n\nQuestion: {question}"
    )

    def join(documents: list[LCDocument]) -> str:
        return "\n".join(sorted(d.page_content for d in documents))  # a stable prompt

    chain = (
        {"context": store.as_retriever(k=3) | join, "question": RunnablePassthrough()}
        | prompt
        | at.chat("glm-5")
        | StrOutputParser()
    )
    print("   ", chain.invoke("Which models does Mixroute serve?"))


def documents_llama_index(at: Endpoint) -> None:
    # One node per document, with fixed ids: MockEmbedding scores them all alike, and
    # the ids then keep the order of the context (and so the request) the same each run.
    index = VectorStoreIndex(
        [TextNode(text=text, id_=f"doc-{n}") for n, text in enumerate(DOCUMENTS)],
        embed_model=MockEmbedding(embed_dim=8),  # no embedding API needed
    )
    engine = index.as_query_engine(llm=at.llm("glm-5"), similarity_top_k=3)
    print("   ", engine.query("Which models does Mixroute serve?"))


Step = Callable[[Endpoint], None]
STEPS: list[tuple[str, str, Step, Step]] = [
    ("stream", "A streamed answer, printed as it arrives", stream_langchain, stream_llama_index),
    (
        "reasoning",
        "A reasoning model's thinking, apart from its answer (deepseek-r1)",
        reasoning_langchain,
        reasoning_llama_index,
    ),
    (
        "agent",
        "A tool-calling agent (create_agent / FunctionAgent, gpt-4o)",
        agent_langchain,
        agent_llama_index,
    ),
    (
        "structured",
        "Structured output into a pydantic model (gpt-4o)",
        structured_langchain,
        structured_llama_index,
    ),
    ("search", "Web search with citations (grok-3)", search_langchain, search_llama_index),
    (
        "documents",
        "Questions over a few documents (retrieval chain / query engine, glm-5)",
        documents_langchain,
        documents_llama_index,
    ),
]
FRAMEWORKS = ("langchain", "llama_index")


# --- live, replayed, or recorded -----------------------------------------------------------


def cassettes() -> vcr.VCR:
    """A VCR that knows the plugin's JSON-body matcher (mixroute.testing)."""
    recorder = vcr.VCR()
    recorder.register_matcher("json_body", json_body_matcher)
    return recorder


@contextmanager
def replaying(recorder: vcr.VCR, name: str) -> Iterator[Endpoint]:
    """Answer from ``cassettes/tour/<name>.yaml``; every recorded answer must be used."""
    path = str(CASSETTES / f"{name}.yaml")
    with recorder.use_cassette(path, **mixroute_vcr_config(record_mode="none")) as cassette:
        yield Endpoint(REPLAY_URL, REPLAY_KEY)
    if not cassette.all_played:
        raise AssertionError(f"{name}: the tour sent fewer requests than were recorded")


@contextmanager
def recording(recorder: vcr.VCR, name: str) -> Iterator[Endpoint]:
    """Record ``cassettes/tour/<name>.yaml`` from the step's answers in tour_answers.py."""
    # Recording is for maintainers, from a checkout: it reuses the test suite's scripted
    # server (tests/support), which answers each request with the next written answer.
    sys.path[:0] = [str(ROOT / "tests"), str(Path(__file__).parent)]
    from support.cassettes import scripted_server
    from tour_answers import ANSWERS

    os.environ["MIXROUTE_CASSETTE_SOURCE"] = "wire-format"
    path = CASSETTES / f"{name}.yaml"
    path.unlink(missing_ok=True)
    answers = ANSWERS[name]
    with (
        scripted_server(answers) as server,
        recorder.use_cassette(str(path), **mixroute_vcr_config(record_mode="all")),
    ):
        yield Endpoint(server.base_url, REPLAY_KEY)
    if len(server.received) != len(answers):
        raise AssertionError(f"{name}: {len(server.received)} requests, {len(answers)} answers")


def run(mode: str, live: Endpoint) -> None:
    recorder = cassettes()
    for number, (key, title, *steps) in enumerate(STEPS, start=1):
        print(f"\n{number}. {title}")
        for framework, step in zip(FRAMEWORKS, steps, strict=True):
            print(f"  {'LangChain' if framework == 'langchain' else 'LlamaIndex'}:")
            name = f"{key}-{framework}"
            if mode == "live":
                step(live)
                continue
            with (replaying if mode == "replay" else recording)(recorder, name) as endpoint:
                step(endpoint)


def main(argv: list[str]) -> int:
    where: RunMode = run_mode()
    if "--record-wire-format" in argv:
        mode = "record"
        print("Recording the tour's cassettes from the answers in examples/tour_answers.py.")
    elif where.kind != "offline":
        mode = "live"  # every request goes out: to a local server or the live one
        print(where.describe(""))
    else:
        mode = "replay"
        print(
            "Replaying recorded answers from cassettes/tour/ (no network; "
            "set MIXROUTE_API_KEY to run live)."
        )
    try:
        run(mode, Endpoint(where.base_url, where.api_key))
    except Exception as error:  # the tour reports any failure and exits non-zero
        print(f"\nTour failed: {type(error).__name__}: {error}", file=sys.stderr)
        return 1
    print("\nTour complete.")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
