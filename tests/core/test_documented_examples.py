"""Every example of the vendor's API page, sent through the core client.

Each case builds the request from typed options and asserts the body on the wire is the
documented one, field for field; the answers are written from the documented format.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from conformance_cases import SYSTEM, WEATHER
from pydantic import BaseModel

from mixroute import (
    APIConnectionError,
    AuthenticationError,
    ChatCompletion,
    FilePart,
    MixrouteClient,
    NotFoundError,
    RateLimitError,
    RetryPolicy,
    SearchOptions,
    SearchParameters,
    SystemMessage,
    TextPart,
    UserMessage,
)

# The documented payloads live once, in the table both adapters share.
WEATHER_TOOL = WEATHER


class Answer(BaseModel):
    summary: str


def answer(message: dict[str, Any], model: str = "gpt-4o", **top: Any) -> dict[str, Any]:
    return {
        "id": "chatcmpl-xxx",
        "object": "chat.completion",
        "created": 1234567890,
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", **message},
                "finish_reason": top.pop("finish_reason", "stop"),
            }
        ],
        "usage": {"prompt_tokens": 25, "completion_tokens": 100, "total_tokens": 125},
        **top,
    }


class Recorder:
    """A transport that keeps each request body and answers from a script."""

    def __init__(self, reply: Callable[[httpx.Request], httpx.Response]) -> None:
        self.bodies: list[dict[str, Any]] = []
        self.headers: list[httpx.Headers] = []
        self._reply = reply

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.bodies.append(json.loads(request.content))
        self.headers.append(request.headers)
        return self._reply(request)


def client_for(recorder: Recorder, retries: int = 0) -> MixrouteClient:
    policy = RetryPolicy(max_retries=retries, initial_delay=0, sleep=lambda _: None)
    return MixrouteClient(
        api_key="sk-test-0000000000000000",
        http_client=httpx.Client(transport=httpx.MockTransport(recorder)),
        retry_policy=policy,
    )


CASES: list[tuple[str, dict[str, Any], dict[str, Any], dict[str, Any]]] = [
    (
        "plain glm-5",
        {
            "model": "glm-5",
            "messages": [
                SystemMessage("You are a helpful assistant"),
                UserMessage("Briefly introduce artificial intelligence"),
            ],
            "temperature": 0.7,
        },
        {
            "model": "glm-5",
            "messages": [
                SYSTEM,
                {"role": "user", "content": "Briefly introduce artificial intelligence"},
            ],
            "temperature": 0.7,
        },
        answer({"content": "Artificial intelligence is ..."}, model="glm-5"),
    ),
    (
        "function calling",
        {
            "model": "gpt-4o",
            "messages": [UserMessage("What is the weather in Shanghai?")],
            "tools": [WEATHER_TOOL],
            "tool_choice": "auto",
        },
        {
            "model": "gpt-4o",
            "messages": [{"role": "user", "content": "What is the weather in Shanghai?"}],
            "tools": [WEATHER_TOOL],
            "tool_choice": "auto",
        },
        answer(
            {
                "content": None,
                "tool_calls": [
                    {
                        "id": "call_1",
                        "type": "function",
                        "function": {"name": "get_weather", "arguments": '{"city": "Shanghai"}'},
                    }
                ],
            },
            finish_reason="tool_calls",
        ),
    ),
    (
        "json_schema",
        {
            "model": "gpt-4o",
            "messages": [UserMessage("Return a JSON with a summary field")],
            "response_format": Answer,
        },
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
        },
        answer({"content": '{"summary": "AI is a field of computer science."}'}),
    ),
    (
        "deepseek-r1 reasoning",
        {
            "model": "deepseek-r1",
            "messages": [UserMessage("Analyze this math problem: if x^2 + 2x - 3 = 0, find x")],
            "temperature": 0.6,
        },
        {
            "model": "deepseek-r1",
            "messages": [
                {
                    "role": "user",
                    "content": "Analyze this math problem: if x^2 + 2x - 3 = 0, find x",
                }
            ],
            "temperature": 0.6,
        },
        answer(
            {"content": "x = 1 or x = -3", "reasoning_content": "Factor: (x+3)(x-1) = 0."},
            model="deepseek-r1",
        ),
    ),
    (
        "qwq-32b enable_thinking",
        {
            "model": "qwq-32b",
            "messages": [UserMessage("Analyze the development trends of artificial intelligence")],
            "enable_thinking": True,
        },
        {
            "model": "qwq-32b",
            "messages": [
                {
                    "role": "user",
                    "content": "Analyze the development trends of artificial intelligence",
                }
            ],
            "enable_thinking": True,
            # QwQ answers only streamed requests: create() streams and assembles.
            "stream": True,
            "stream_options": {"include_usage": True},
        },
        answer({"content": "Trends: ...", "reasoning_content": "Consider ..."}, model="qwq-32b"),
    ),
    (
        "gemini thinking",
        {
            "model": "gemini-2.0-flash-thinking-exp",
            "messages": [UserMessage("Explain the basic principles of quantum computing")],
        },
        {
            "model": "gemini-2.0-flash-thinking-exp",
            "messages": [
                {"role": "user", "content": "Explain the basic principles of quantum computing"}
            ],
        },
        answer({"content": "Qubits ..."}, model="gemini-2.0-flash-thinking-exp"),
    ),
    (
        "qwen search",
        {
            "model": "qwen-max",
            "messages": [UserMessage("Hello")],
            "enable_search": True,
            "search_options": SearchOptions(search_strategy="standard", forced_search=False),
        },
        {
            "model": "qwen-max",
            "messages": [{"role": "user", "content": "Hello"}],
            "enable_search": True,
            "search_options": {"search_strategy": "standard", "forced_search": False},
        },
        answer(
            {"content": "Hello!"},
            model="qwen-max",
            search_info={
                "search_results": [{"index": 1, "title": "T", "url": "https://q.example"}]
            },
        ),
    ),
    (
        "claude web search tool",
        {
            "model": "claude-sonnet-4-5-20250929",
            "messages": [UserMessage("What are today major news?")],
            "tools": [{"type": "web_search_20250305", "name": "web_search", "max_uses": 5}],
        },
        {
            "model": "claude-sonnet-4-5-20250929",
            "messages": [{"role": "user", "content": "What are today major news?"}],
            "tools": [{"type": "web_search_20250305", "name": "web_search", "max_uses": 5}],
        },
        answer({"content": "Today ..."}, model="claude-sonnet-4-5-20250929"),
    ),
    (
        "grok search with citations",
        {
            "model": "grok-3",
            "messages": [UserMessage("What are the latest tech news?")],
            "search_parameters": SearchParameters(mode="auto", return_citations=True),
        },
        {
            "model": "grok-3",
            "messages": [{"role": "user", "content": "What are the latest tech news?"}],
            "search_parameters": {"mode": "auto", "return_citations": True},
        },
        answer({"content": "Tech news ..."}, model="grok-3", citations=["https://x.example/1"]),
    ),
    (
        "file input",
        {
            "model": "gpt-4o",
            "messages": [
                UserMessage(
                    [
                        TextPart("Please analyze the content of this document"),
                        FilePart(url="https://example.com/document.pdf"),
                    ]
                )
            ],
        },
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
        },
        answer({"content": "The document ..."}),
    ),
    (
        "reasoning_effort",
        {
            "model": "grok-3-mini",
            "messages": [
                UserMessage("Analyze this logic problem: If all A are B, and all B are C, then...")
            ],
            "reasoning_effort": "high",
        },
        {
            "model": "grok-3-mini",
            "messages": [
                {
                    "role": "user",
                    "content": "Analyze this logic problem: If all A are B, and all B are C, then...",
                }
            ],
            "reasoning_effort": "high",
        },
        answer(
            {"content": "All A are C.", "reasoning_content": "Transitivity."}, model="grok-3-mini"
        ),
    ),
]


@pytest.mark.parametrize(("name", "call", "documented", "reply"), CASES, ids=[c[0] for c in CASES])
def test_documented_request_and_answer(
    name: str, call: dict[str, Any], documented: dict[str, Any], reply: dict[str, Any]
) -> None:
    recorder = Recorder(lambda request: answered(request, reply))
    with client_for(recorder) as client:
        result = client.create(**call)
    assert recorder.bodies == [documented]
    assert recorder.headers[0]["authorization"] == "Bearer sk-test-0000000000000000"
    assert recorder.headers[0]["content-type"] == "application/json"
    check_answer(result, reply)


def answered(request: httpx.Request, reply: dict[str, Any]) -> httpx.Response:
    """``reply`` as it is, or as one chunk and a usage chunk when a stream was asked for."""
    if not json.loads(request.content).get("stream"):
        return httpx.Response(200, json=reply)
    first = reply["choices"][0]
    delta = {"index": 0, "delta": first["message"], "finish_reason": first["finish_reason"]}
    top = {key: value for key, value in reply.items() if key not in ("choices", "usage")}
    chunks = [
        {**top, "object": "chat.completion.chunk", "choices": [delta]},
        {**top, "object": "chat.completion.chunk", "choices": [], "usage": reply["usage"]},
    ]
    text = "".join(f"data: {json.dumps(chunk)}\n\n" for chunk in chunks) + "data: [DONE]\n\n"
    return httpx.Response(200, text=text, headers={"content-type": "text/event-stream"})


def check_answer(result: ChatCompletion, reply: dict[str, Any]) -> None:
    sent = reply["choices"][0]["message"]
    assert result.model == reply["model"]
    assert result.message.content == sent.get("content")
    assert result.message.reasoning == sent.get("reasoning_content")
    assert [c.name for c in result.message.tool_calls] == [
        c["function"]["name"] for c in sent.get("tool_calls", [])
    ]
    assert result.usage is not None
    assert result.usage.total_tokens == 125
    expected_urls = list(reply.get("citations", [])) + [
        r["url"] for r in reply.get("search_info", {}).get("search_results", [])
    ]
    assert [c.url for c in result.citations] == expected_urls


def test_documented_stream() -> None:
    chunks = [
        {"delta": {"role": "assistant", "content": "Hello"}, "finish_reason": None},
        {"delta": {"content": "!"}, "finish_reason": None},
        {"delta": {}, "finish_reason": "stop"},
    ]
    sse = (
        "".join(
            "data: "
            + json.dumps(
                {
                    "id": "chatcmpl-xxx",
                    "object": "chat.completion.chunk",
                    "created": 1234567890,
                    "model": "gpt-4o",
                    "choices": [{"index": 0, **chunk}],
                }
            )
            + "\n\n"
            for chunk in chunks
        )
        + "data: [DONE]\n\n"
    )
    recorder = Recorder(
        lambda _: httpx.Response(200, text=sse, headers={"content-type": "text/event-stream"})
    )
    with (
        client_for(recorder) as client,
        client.stream(
            "doubao-seed-1-8-251228",
            [
                SystemMessage("You are a helpful assistant"),
                UserMessage("Please briefly introduce artificial intelligence"),
            ],
        ) as stream,
    ):
        pieces = [delta.content for delta in stream if delta.content]
    assert pieces == ["Hello", "!"]
    assert stream.completion.message.content == "Hello!"
    assert stream.completion.finish_reason == "stop"
    assert recorder.bodies[0]["stream"] is True
    assert recorder.bodies[0]["model"] == "doubao-seed-1-8-251228"


@pytest.mark.parametrize(
    ("status", "error", "payload"),
    [
        (
            401,
            AuthenticationError,
            {"error": {"message": "Invalid API key", "type": "invalid_request_error"}},
        ),
        (
            404,
            NotFoundError,
            {"error": {"message": "The model `gpt-9` does not exist", "code": "model_not_found"}},
        ),
        (429, RateLimitError, {"error": {"message": "Rate limit exceeded", "type": "rate_limit"}}),
    ],
)
def test_documented_error_kinds(
    status: int, error: type[Exception], payload: dict[str, Any]
) -> None:
    recorder = Recorder(
        lambda _: httpx.Response(status, json=payload, headers={"retry-after": "0"})
    )
    with client_for(recorder, retries=1) as client, pytest.raises(error) as info:
        client.create("gpt-9", [UserMessage("Hi")])
    assert payload["error"]["message"] in str(info.value)
    assert len(recorder.bodies) == (2 if status == 429 else 1)


def test_documented_connection_error() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    recorder = Recorder(refuse)
    with client_for(recorder, retries=2) as client, pytest.raises(APIConnectionError):
        client.create("gpt-4o", [UserMessage("Hi")])
    assert len(recorder.bodies) == 3
