"""Every example of the vendor's API page, sent through ``Mixroute`` the LlamaIndex way.

Each test asserts the exact body on the wire (the documented one, field for field) and
the LlamaIndex objects made from an answer written in the documented wire format.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from conformance_cases import SYSTEM, WEATHER
from llama_index.core.base.llms.types import (
    ChatMessage,
    CitationBlock,
    DocumentBlock,
    TextBlock,
    ThinkingBlock,
    ToolCallBlock,
)
from llama_index.core.prompts import PromptTemplate
from pydantic import BaseModel
from scripted_gateway import (
    KEY,
    USAGE,
    ScriptedGateway,
    completion,
    sse,
    tool_call,
    tool_calls_answer,
)

from mixroute import (
    APIConnectionError,
    AuthenticationError,
    NotFoundError,
    RateLimitError,
    SearchOptions,
    SearchParameters,
)

# The documented payloads live once, in the table both adapters share.
WEATHER_TOOL = WEATHER
USAGE_KWARGS = {"prompt_tokens": 25, "completion_tokens": 100, "total_tokens": 125}


def user(text: str) -> ChatMessage:
    return ChatMessage(role="user", content=text)


def only_user(model: str, text: str, **fields: Any) -> dict[str, Any]:
    return {"model": model, "messages": [{"role": "user", "content": text}], **fields}


class Answer(BaseModel):
    summary: str


def test_plain_chat_glm5() -> None:
    gateway = ScriptedGateway(completion("Artificial intelligence is ...", model="glm-5"))
    llm = gateway.llm("glm-5", temperature=0.7)
    response = llm.chat(
        [
            ChatMessage(role="system", content="You are a helpful assistant"),
            user("Briefly introduce artificial intelligence"),
        ]
    )
    assert gateway.bodies == [
        {
            "model": "glm-5",
            "messages": [
                SYSTEM,
                {"role": "user", "content": "Briefly introduce artificial intelligence"},
            ],
            "temperature": 0.7,
        }
    ]
    request = gateway.requests[0]
    assert str(request.url) == "https://console.mixroute.io/v1/chat/completions"
    assert request.headers["authorization"] == f"Bearer {KEY}"
    assert request.headers["content-type"] == "application/json"
    assert response.message.role == "assistant"
    assert response.message.content == "Artificial intelligence is ..."
    assert response.message.blocks == [TextBlock(text="Artificial intelligence is ...")]
    assert response.additional_kwargs == USAGE_KWARGS
    assert response.raw.id == "chatcmpl-xxx"
    assert response.raw.finish_reason == "stop"


def test_streaming_doubao_as_documented() -> None:
    gateway = ScriptedGateway(
        sse({"role": "assistant", "content": "Hello"}, {"content": "!"}, usage=False)
    )
    llm = gateway.llm("doubao-seed-1-8-251228", stream_usage=False)
    responses = list(
        llm.stream_chat(
            [
                ChatMessage(role="system", content="You are a helpful assistant"),
                user("Please briefly introduce artificial intelligence"),
            ]
        )
    )
    assert gateway.bodies == [
        {
            "model": "doubao-seed-1-8-251228",
            "stream": True,
            "messages": [
                SYSTEM,
                {"role": "user", "content": "Please briefly introduce artificial intelligence"},
            ],
        }
    ]
    assert [r.delta for r in responses] == ["Hello", "!", ""]
    assert [r.message.content for r in responses] == ["Hello", "Hello!", "Hello!"]
    assert responses[-1].raw.finish_reason == "stop"


def test_streaming_asks_for_usage_by_default() -> None:
    gateway = ScriptedGateway(sse({"role": "assistant", "content": "Hello"}))
    responses = list(gateway.llm("doubao-seed-1-8-251228").stream_chat([user("Hi")]))
    assert gateway.bodies[0]["stream_options"] == {"include_usage": True}
    assert responses[-1].additional_kwargs == USAGE_KWARGS


def test_function_calling_gpt4o() -> None:
    gateway = ScriptedGateway(
        tool_calls_answer(tool_call("call_1", "get_weather", {"city": "Shanghai"}))
    )
    llm = gateway.llm("gpt-4o")
    response = llm.chat(
        [user("What is the weather in Shanghai?")], tools=[WEATHER_TOOL], tool_choice="auto"
    )
    assert gateway.bodies == [
        {
            **only_user("gpt-4o", "What is the weather in Shanghai?"),
            "tools": [WEATHER_TOOL],
            "tool_choice": "auto",
        }
    ]
    assert response.message.blocks == [
        ToolCallBlock(
            tool_call_id="call_1", tool_name="get_weather", tool_kwargs={"city": "Shanghai"}
        )
    ]
    assert response.message.additional_kwargs["tool_calls"] == [
        tool_call("call_1", "get_weather", '{"city": "Shanghai"}')
    ]
    [selection] = llm.get_tool_calls_from_response(response)
    assert (selection.tool_id, selection.tool_name, selection.tool_kwargs) == (
        "call_1",
        "get_weather",
        {"city": "Shanghai"},
    )


def test_json_schema_structured_predict_gpt4o() -> None:
    gateway = ScriptedGateway(completion('{"summary": "AI is a field of computer science."}'))
    result = gateway.llm("gpt-4o").structured_predict(
        Answer, PromptTemplate("Return a JSON with a summary field")
    )
    assert gateway.bodies == [
        {
            "model": "gpt-4o",
            "response_format": {
                "type": "json_schema",
                "json_schema": {
                    "name": "Answer",
                    "schema": {
                        "type": "object",
                        "properties": {"summary": {"type": "string"}},
                        "required": ["summary"],
                    },
                },
            },
            "messages": [{"role": "user", "content": "Return a JSON with a summary field"}],
        }
    ]
    assert result == Answer(summary="AI is a field of computer science.")


def test_deepseek_r1_reasoning() -> None:
    text = "Analyze this math problem: if x^2 + 2x - 3 = 0, find x"
    gateway = ScriptedGateway(
        completion(
            {"content": "x = 1 or x = -3", "reasoning_content": "Factor: (x+3)(x-1) = 0."},
            model="deepseek-r1",
        )
    )
    response = gateway.llm("deepseek-r1", temperature=0.6).chat([user(text)])
    assert gateway.bodies == [only_user("deepseek-r1", text, temperature=0.6)]
    assert response.message.blocks == [
        ThinkingBlock(content="Factor: (x+3)(x-1) = 0."),
        TextBlock(text="x = 1 or x = -3"),
    ]
    assert response.message.content == "x = 1 or x = -3"


def test_qwq_enable_thinking() -> None:
    # QwQ answers only streamed requests: chat() streams and assembles the answer.
    text = "Analyze the development trends of artificial intelligence"
    gateway = ScriptedGateway(
        sse({"reasoning_content": "Consider ..."}, {"content": "Trends: ..."}, model="qwq-32b")
    )
    response = gateway.llm("qwq-32b", enable_thinking=True).chat([user(text)])
    streamed = {"stream": True, "stream_options": {"include_usage": True}}
    assert gateway.bodies == [only_user("qwq-32b", text, enable_thinking=True, **streamed)]
    assert response.message.blocks == [
        ThinkingBlock(content="Consider ..."),
        TextBlock(text="Trends: ..."),
    ]


def test_gemini_thinking_model_plain_request() -> None:
    text = "Explain the basic principles of quantum computing"
    model = "gemini-2.0-flash-thinking-exp"
    gateway = ScriptedGateway(completion("Qubits ...", model=model))
    response = gateway.llm(model).chat([user(text)])
    assert gateway.bodies == [only_user(model, text)]
    assert response.message.content == "Qubits ..."


def test_qwen_search() -> None:
    gateway = ScriptedGateway(
        completion(
            "Hello!",
            model="qwen-max",
            search_info={
                "search_results": [{"index": 1, "title": "Qwen", "url": "https://q.example/1"}]
            },
        )
    )
    llm = gateway.llm(
        "qwen-max",
        enable_search=True,
        search_options=SearchOptions(search_strategy="standard", forced_search=False),
    )
    response = llm.chat([user("Hello")])
    assert gateway.bodies == [
        only_user(
            "qwen-max",
            "Hello",
            enable_search=True,
            search_options={"search_strategy": "standard", "forced_search": False},
        )
    ]
    assert response.message.content == "Hello!"
    [citation] = [b for b in response.message.blocks if isinstance(b, CitationBlock)]
    assert (citation.source, citation.title) == ("https://q.example/1", "Qwen")
    assert response.additional_kwargs["citations"] == [
        {"url": "https://q.example/1", "title": "Qwen", "source": "search_info"}
    ]


def test_claude_web_search_server_tool() -> None:
    model = "claude-sonnet-4-5-20250929"
    web_search = {"type": "web_search_20250305", "name": "web_search", "max_uses": 5}
    gateway = ScriptedGateway(completion("Today ...", model=model))
    response = gateway.llm(model, server_tools=[web_search]).chat(
        [user("What are today major news?")]
    )
    assert gateway.bodies == [
        {**only_user(model, "What are today major news?"), "tools": [web_search]}
    ]
    assert response.message.content == "Today ..."


def test_grok_search_with_citations() -> None:
    gateway = ScriptedGateway(
        completion("Tech news ...", model="grok-3", citations=["https://x.example/1"])
    )
    llm = gateway.llm(
        "grok-3", search_parameters=SearchParameters(mode="auto", return_citations=True)
    )
    response = llm.chat([user("What are the latest tech news?")])
    assert gateway.bodies == [
        only_user(
            "grok-3",
            "What are the latest tech news?",
            search_parameters={"mode": "auto", "return_citations": True},
        )
    ]
    assert [b.source for b in response.message.blocks if isinstance(b, CitationBlock)] == [
        "https://x.example/1"
    ]
    assert response.message.content == "Tech news ..."


def test_file_input() -> None:
    gateway = ScriptedGateway(completion("The document ..."))
    message = ChatMessage(
        role="user",
        blocks=[
            TextBlock(text="Please analyze the content of this document"),
            DocumentBlock(url="https://example.com/document.pdf"),
        ],
    )
    response = gateway.llm("gpt-4o").chat([message])
    assert gateway.bodies == [
        {
            "model": "gpt-4o",
            "messages": [
                {
                    "role": "user",
                    "content": [
                        {"type": "text", "text": "Please analyze the content of this document"},
                        {"type": "file", "file": {"url": "https://example.com/document.pdf"}},
                    ],
                }
            ],
        }
    ]
    assert response.message.content == "The document ..."


def test_reasoning_effort_grok3_mini() -> None:
    text = "Analyze this logic problem: If all A are B, and all B are C, then..."
    gateway = ScriptedGateway(
        completion(
            {"content": "All A are C.", "reasoning_content": "Transitivity."}, model="grok-3-mini"
        )
    )
    response = gateway.llm("grok-3-mini", reasoning_effort="high").chat([user(text)])
    assert gateway.bodies == [only_user("grok-3-mini", text, reasoning_effort="high")]
    assert response.message.blocks == [
        ThinkingBlock(content="Transitivity."),
        TextBlock(text="All A are C."),
    ]


def test_documented_response_usage_is_reported() -> None:
    gateway = ScriptedGateway(completion("Response content..."))
    response = gateway.llm().complete("Hi")
    assert response.text == "Response content..."
    assert response.additional_kwargs == USAGE_KWARGS
    assert response.raw.usage.total_tokens == USAGE["total_tokens"]


@pytest.mark.parametrize(
    ("status", "error", "payload"),
    [
        (
            401,
            AuthenticationError,
            {"error": {"message": "Invalid API key", "type": "invalid_request_error"}},
        ),
        (404, NotFoundError, {"error": {"message": "The model `gpt-9` does not exist"}}),
        (429, RateLimitError, {"error": {"message": "Rate limit exceeded", "type": "rate_limit"}}),
    ],
)
@pytest.mark.parametrize("call", ["chat", "stream_chat", "complete"])
def test_documented_error_kinds(
    status: int, error: type[Exception], payload: dict[str, Any], call: str
) -> None:
    gateway = ScriptedGateway((status, payload))
    llm = gateway.llm("gpt-9")
    calls = {
        "chat": lambda: llm.chat([user("Hi")]),
        "stream_chat": lambda: list(llm.stream_chat([user("Hi")])),
        "complete": lambda: llm.complete("Hi"),
    }
    with pytest.raises(error) as info:
        calls[call]()
    assert payload["error"]["message"] in str(info.value)


@pytest.mark.anyio
async def test_documented_error_kinds_async() -> None:
    gateway = ScriptedGateway(
        (401, {"error": {"message": "Invalid API key"}}),
        (404, {"error": {"message": "The model `gpt-9` does not exist"}}),
        (429, {"error": {"message": "Rate limit exceeded"}}),
    )
    llm = gateway.llm("gpt-9")
    with pytest.raises(AuthenticationError):
        await llm.achat([user("Hi")])
    with pytest.raises(NotFoundError):
        await llm.acomplete("Hi")
    with pytest.raises(RateLimitError):
        async for _ in await llm.astream_chat([user("Hi")]):
            pass


def test_documented_connection_error() -> None:
    gateway = ScriptedGateway(httpx.ConnectError("connection refused"))
    with pytest.raises(APIConnectionError):
        gateway.llm().chat([user("Hi")])
