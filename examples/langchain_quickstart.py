"""ChatMixroute in LangChain, one step per feature: ``python examples/langchain_quickstart.py``.

It needs ``pip install 'mixroute[langchain]'`` (``create_agent`` comes from ``langchain``,
which that extra installs). Without ``MIXROUTE_API_KEY`` every request goes to a scripted
stand-in for the gateway (an ``httpx.MockTransport`` answering in the documented wire
format), so it runs offline; with a key the same steps talk to the live gateway, and with
``MIXROUTE_BASE_URL`` on this machine to that local server (``examples/run_mode.py``). Its
first line says which.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
from langchain.agents import create_agent
from langchain_core.messages import HumanMessage
from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import ChatPromptTemplate
from langchain_core.tools import tool
from pydantic import BaseModel
from run_mode import run_mode

from langchain_mixroute import ChatMixroute
from mixroute import OutputTruncatedError, SearchParameters

WHERE = run_mode()


@tool
def get_weather(city: str) -> str:
    """Get weather information by city"""
    return f"22 C and sunny in {city}"


class Summary(BaseModel):
    """A one-line summary."""

    summary: str


def stand_in(request: httpx.Request) -> httpx.Response:
    """A tiny offline gateway: answers each request in the documented format."""
    body = json.loads(request.content)
    last = body["messages"][-1]
    message: dict[str, Any] = {"role": "assistant", "content": "Artificial intelligence is ..."}
    extra: dict[str, Any] = {}
    finish = "stop"
    if body.get("tools") and last["role"] == "user":
        arguments = json.dumps({"city": "Shanghai"})
        call = {"name": "get_weather", "arguments": arguments}
        message["content"] = None
        message["tool_calls"] = [{"id": "call_1", "type": "function", "function": call}]
        finish = "tool_calls"
    elif last["role"] == "tool":
        message["content"] = f"The weather: {last['content']}."
    elif "response_format" in body:
        message["content"] = json.dumps({"summary": "AI makes machines learn."})
        if body.get("max_tokens", 100) < 5:
            message["content"], finish = message["content"][:8], "length"
    elif body["model"] == "deepseek-r1":
        message["content"] = "x = 1 or x = -3"
        message["reasoning_content"] = "Factor: (x+3)(x-1) = 0."
    elif "search_parameters" in body:
        extra["citations"] = ["https://news.example/ai"]
    usage = {"prompt_tokens": 25, "completion_tokens": 100, "total_tokens": 125}
    head = {"id": f"chatcmpl-{len(body['messages'])}", "model": body["model"]}
    choice = {"index": 0, "message": message, "finish_reason": finish}
    if not body.get("stream"):
        return httpx.Response(200, json={**head, "choices": [choice], "usage": usage, **extra})
    words = (message["content"] or "").split(" ")
    deltas = [{"content": word if i == 0 else " " + word} for i, word in enumerate(words)]
    chunks = [{**head, "choices": [{"index": 0, "delta": d}]} for d in deltas]
    chunks.append({**head, "choices": [{"index": 0, "delta": {}, "finish_reason": finish}]})
    chunks.append({**head, "choices": [], "usage": usage})
    sse = "".join(f"data: {json.dumps(c)}\n\n" for c in chunks) + "data: [DONE]\n\n"
    return httpx.Response(200, text=sse, headers={"content-type": "text/event-stream"})


def chat(model: str, **settings: Any) -> ChatMixroute:
    if WHERE.kind != "offline":
        return ChatMixroute(model=model, base_url=WHERE.base_url, api_key=WHERE.api_key, **settings)
    transport = httpx.MockTransport(stand_in)
    return ChatMixroute(
        model=model,
        api_key="sk-offline-example",
        http_client=httpx.Client(transport=transport),
        http_async_client=httpx.AsyncClient(transport=transport),
        **settings,
    )


def main() -> None:
    print("1. invoke, in an LCEL chain (glm-5)")
    prompt = ChatPromptTemplate.from_messages(
        [("system", "You are a helpful assistant"), ("human", "Briefly introduce {topic}")]
    )
    print(
        "  ", (prompt | chat("glm-5", temperature=0.7) | StrOutputParser()).invoke({"topic": "AI"})
    )

    print("2. streaming, usage on the last chunk (doubao-seed-1-8-251228)")
    total = None
    for piece in chat("doubao-seed-1-8-251228").stream("Please briefly introduce AI"):
        print(piece.content, end="", flush=True)
        total = piece if total is None else total + piece
    print("\n   usage:", total.usage_metadata if total else None)

    print("3. reasoning as a standard block (deepseek-r1)")
    answer = chat("deepseek-r1", temperature=0.6).invoke("If x^2 + 2x - 3 = 0, find x")
    print("  ", [block["type"] for block in answer.content_blocks], answer.content)

    print("4. a tool-calling agent (gpt-4o)")
    agent = create_agent(chat("gpt-4o"), tools=[get_weather])
    state = agent.invoke({"messages": [("user", "What is the weather in Shanghai?")]})
    print("  ", state["messages"][-1].content)

    print("5. structured output; the method comes from the model's profile")
    print("  ", chat("gpt-4o").with_structured_output(Summary).invoke("Summarise AI in a line"))

    print("6. live search with citations (grok-3)")
    grok = chat("grok-3", search_parameters=SearchParameters(mode="auto", return_citations=True))
    print("  ", grok.invoke("What are the latest tech news?").response_metadata.get("citations"))

    print("7. a file by URL, as a standard content block (gpt-4o)")
    document = HumanMessage(
        content=[
            {"type": "text", "text": "Please analyze the content of this document"},
            {"type": "file", "url": "https://example.com/document.pdf"},
        ]
    )
    print("  ", chat("gpt-4o").invoke([document]).content)

    print("8. a cut-off structured answer is a clear error, not a parse failure")
    try:
        chat("gpt-4o", max_tokens=1).with_structured_output(Summary).invoke("Summarise AI")
        print("   (the answer fitted in one token)")
    except OutputTruncatedError as error:
        print("  ", error)


if __name__ == "__main__":
    print(WHERE.describe("a scripted stand-in for the gateway answers"))
    main()
