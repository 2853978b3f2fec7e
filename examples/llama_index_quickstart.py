"""Mixroute in LlamaIndex, one step per feature: ``python examples/llama_index_quickstart.py``.

It needs ``pip install 'mixroute[llama-index]'``. Without ``MIXROUTE_API_KEY`` every
request goes to a scripted stand-in for the gateway (an ``httpx.MockTransport`` answering
in the documented wire format), so it runs offline; with a key the same steps talk to the
live gateway, and with ``MIXROUTE_BASE_URL`` on this machine to that local server
(``examples/run_mode.py``). Its first line says which.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
from llama_index.core import Document, Settings, VectorStoreIndex
from llama_index.core.agent.workflow import FunctionAgent
from llama_index.core.base.llms.types import (
    ChatMessage,
    CitationBlock,
    DocumentBlock,
    TextBlock,
    ThinkingBlock,
)
from llama_index.core.embeddings import MockEmbedding
from llama_index.core.prompts import PromptTemplate
from llama_index.core.tools import FunctionTool
from pydantic import BaseModel
from run_mode import run_mode

from llama_index_mixroute import Mixroute
from mixroute import SearchOptions, SearchParameters

WHERE = run_mode()


def get_weather(city: str) -> str:
    """Get weather information by city."""
    return f"22 C and sunny in {city}"


class Summary(BaseModel):
    """A one-line summary."""

    summary: str


def stand_in(request: httpx.Request) -> httpx.Response:
    """A tiny offline gateway: answers each request in the documented format."""
    body = json.loads(request.content)
    last = body["messages"][-1]
    message: dict[str, Any] = {"role": "assistant", "content": "Artificial intelligence is ..."}
    top: dict[str, Any] = {}
    if body.get("tools") and last["role"] == "user" and body["model"] == "gpt-4o":
        call = {"name": "get_weather", "arguments": json.dumps({"city": "Shanghai"})}
        message["content"] = None
        message["tool_calls"] = [{"id": "call_1", "type": "function", "function": call}]
    elif last["role"] == "tool":
        message["content"] = f"The weather: {last['content']}."
    elif "response_format" in body:
        message["content"] = json.dumps({"summary": "AI makes machines learn."})
    elif body["model"] == "deepseek-r1":
        message.update(content="x = 1 or x = -3", reasoning_content="Factor: (x+3)(x-1) = 0.")
    elif body.get("search_parameters") or body.get("enable_search"):
        top["citations"] = ["https://news.example/ai"]
    if body.get("stream"):
        sse = _sse(message, top)
        return httpx.Response(200, text=sse, headers={"content-type": "text/event-stream"})
    finish = "tool_calls" if message.get("tool_calls") else "stop"
    answer = {
        "id": "chatcmpl-xxx",
        "object": "chat.completion",
        "model": body["model"],
        "choices": [{"index": 0, "message": message, "finish_reason": finish}],
        "usage": {"prompt_tokens": 25, "completion_tokens": 100, "total_tokens": 125},
        **top,
    }
    return httpx.Response(200, json=answer)


def _sse(message: dict[str, Any], top: dict[str, Any]) -> str:
    if message.get("tool_calls"):
        deltas = [{"tool_calls": [{"index": 0, **message["tool_calls"][0]}]}]
    else:
        words = (message["content"] or "").split(" ")
        deltas = [{"content": word + " "} for word in words[:-1]] + [{"content": words[-1]}]
    chunks = [{"choices": [{"index": 0, "delta": delta}]} for delta in deltas]
    chunks.append({"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}], **top})
    return "".join(f"data: {json.dumps(c)}\n\n" for c in chunks) + "data: [DONE]\n\n"


def llm(model: str, **settings: Any) -> Mixroute:
    """The LLM for where this run goes: a server (local or live), else the stand-in."""
    if WHERE.kind != "offline":
        return Mixroute(model, api_base=WHERE.base_url, api_key=WHERE.api_key, **settings)
    transport = httpx.MockTransport(stand_in)
    return Mixroute(
        model,
        api_key="sk-offline-0000000000000000",
        http_client=httpx.Client(transport=transport),
        async_http_client=httpx.AsyncClient(transport=transport),
        **settings,
    )


def main() -> None:
    print("1. Settings.llm, then a plain chat (glm-5)")
    Settings.llm = llm("glm-5", temperature=0.7)
    response = Settings.llm.chat(
        [
            ChatMessage(role="system", content="You are a helpful assistant"),
            ChatMessage(role="user", content="Briefly introduce artificial intelligence"),
        ]
    )
    print("  ", response.message.content, response.additional_kwargs)

    print("2. Streaming (doubao-seed-1-8-251228)")
    stream = llm("doubao-seed-1-8-251228").stream_complete("Say hello")
    print("   " + "".join(piece.delta or "" for piece in stream))

    print("3. Reasoning as a ThinkingBlock (deepseek-r1)")
    answer = llm("deepseek-r1", temperature=0.6).chat(
        [ChatMessage(role="user", content="If x^2 + 2x - 3 = 0, find x")]
    )
    for block in answer.message.blocks:
        if isinstance(block, ThinkingBlock):
            print("   thinking:", block.content)
        elif isinstance(block, TextBlock):
            print("   answer:", block.text)

    print("4. A FunctionAgent that calls a tool (gpt-4o)")
    agent = FunctionAgent(tools=[FunctionTool.from_defaults(fn=get_weather)], llm=llm("gpt-4o"))

    async def ask_agent() -> str:
        return str(await agent.run(user_msg="What is the weather in Shanghai?"))

    print("  ", asyncio.run(ask_agent()))

    print("5. Structured output into a pydantic model (native json_schema on gpt-4o)")
    prompt = PromptTemplate("Summarise: {text}")
    summary = llm("gpt-4o").structured_predict(Summary, prompt, text="AI")
    print("  ", summary)

    print("6. Search with citations (grok-3 live search, qwen-max web search)")
    grok = {"search_parameters": SearchParameters(mode="auto", return_citations=True)}
    qwen = {"enable_search": True, "search_options": SearchOptions(search_strategy="standard")}
    for model, settings in (("grok-3", grok), ("qwen-max", qwen)):
        cited = llm(model, **settings).chat([ChatMessage(role="user", content="Latest AI news?")])
        sources = [b.source for b in cited.message.blocks if isinstance(b, CitationBlock)]
        print(f"   {model}: {cited.message.content} {sources}")

    print("7. Claude's web search as a server tool, and a PDF by URL")
    web_search = {"type": "web_search_20250305", "name": "web_search", "max_uses": 5}
    claude = llm("claude-sonnet-4-5-20250929", server_tools=[web_search])
    document = ChatMessage(
        role="user",
        blocks=[
            TextBlock(text="Summarise this document"),
            DocumentBlock(url="https://example.com/document.pdf"),
        ],
    )
    print("  ", claude.chat([document]).message.content)

    print("8. A query engine over in-memory documents (MockEmbedding: no embedding API)")
    index = VectorStoreIndex.from_documents(
        [Document(text="Mixroute serves GPT, Claude, DeepSeek, Gemini and more.")],
        embed_model=MockEmbedding(embed_dim=8),
    )
    print("  ", index.as_query_engine(llm=llm("glm-5")).query("What does Mixroute serve?"))


if __name__ == "__main__":
    print(WHERE.describe("a scripted stand-in for the gateway answers"))
    main()
