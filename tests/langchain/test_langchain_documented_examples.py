"""Every example of the vendor's API page, written the LangChain way through ChatMixroute.

Each test asserts the request body on the wire is exactly the documented one, and the
LangChain objects that come back from an answer written in the documented format.
Non-streamed examples run through ``invoke`` and ``ainvoke``.
"""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from conformance_cases import SYSTEM, WEATHER
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage
from langchain_core.tools import tool
from pydantic import BaseModel
from scripted_mixroute import API_KEY, Script, chunk, completion, model_for

from langchain_mixroute import ChatMixroute
from mixroute import (
    APIConnectionError,
    AuthenticationError,
    NotFoundError,
    RateLimitError,
    SearchOptions,
)

# The documented payloads live once, in the table both adapters share.
WEATHER_TOOL = WEATHER
DOC_USAGE = {"input_tokens": 25, "output_tokens": 100, "total_tokens": 125}
MODES = ["invoke", "ainvoke"]


async def _ainvoke(runnable: Any, value: Any) -> Any:
    return await runnable.ainvoke(value)


def call(runnable: Any, value: Any, mode: str) -> Any:
    if mode == "invoke":
        return runnable.invoke(value)
    return asyncio.run(_ainvoke(runnable, value))


def metadata(model: str, finish_reason: str = "stop") -> dict[str, Any]:
    return {
        "model_provider": "mixroute",
        "model_name": model,
        "finish_reason": finish_reason,
        "id": "chatcmpl-xxx",
    }


@pytest.mark.parametrize("mode", MODES)
def test_plain_glm5(mode: str) -> None:
    text = "Artificial intelligence is a new technical science ..."
    script = Script(completion({"content": text}, model="glm-5"))
    llm = model_for(script, "glm-5", temperature=0.7)
    answer = call(
        llm,
        [
            SystemMessage("You are a helpful assistant"),
            HumanMessage("Briefly introduce artificial intelligence"),
        ],
        mode,
    )
    assert script.body == {
        "model": "glm-5",
        "messages": [
            SYSTEM,
            {"role": "user", "content": "Briefly introduce artificial intelligence"},
        ],
        "temperature": 0.7,
    }
    assert script.headers[0]["authorization"] == f"Bearer {API_KEY}"
    assert script.headers[0]["content-type"] == "application/json"
    assert answer == AIMessage(
        content=text,
        id="chatcmpl-xxx",
        response_metadata=metadata("glm-5"),
        usage_metadata=DOC_USAGE,
    )


def test_streaming_doubao() -> None:
    base = {"model": "gpt-4o"}  # the documented chunks name gpt-4o
    script = Script(
        [
            chunk({"role": "assistant", "content": "Hello"}, **base),
            chunk({"content": "!"}, **base),
            chunk({}, finish_reason="stop", **base),
        ]
    )
    llm = model_for(script, "doubao-seed-1-8-251228", stream_usage=False)
    chunks = list(
        llm.stream(
            [
                SystemMessage("You are a helpful assistant"),
                HumanMessage("Please briefly introduce artificial intelligence"),
            ]
        )
    )
    assert script.body == {
        "model": "doubao-seed-1-8-251228",
        "stream": True,
        "messages": [
            SYSTEM,
            {"role": "user", "content": "Please briefly introduce artificial intelligence"},
        ],
    }
    assert [c.content for c in chunks] == ["Hello", "!", ""]
    whole = chunks[0] + chunks[1] + chunks[2]
    assert whole.content == "Hello!"
    assert whole.response_metadata == metadata("gpt-4o")
    assert whole.usage_metadata is None  # the documented stream carries no usage
    assert chunks[-1].chunk_position == "last"


def test_streaming_asks_for_usage_by_default() -> None:
    script = Script([chunk({"content": "Hi"}), chunk(finish_reason="stop")])
    list(model_for(script, "doubao-seed-1-8-251228").stream("Hi"))
    assert script.body["stream_options"] == {"include_usage": True}


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("form", ["openai dict", "langchain tool"])
def test_function_calling(mode: str, form: str) -> None:
    @tool
    def get_weather(city: str) -> str:
        """Get weather information by city"""
        return "sunny"

    reply = completion(
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
    )
    script = Script(reply)
    chosen = WEATHER_TOOL if form == "openai dict" else get_weather
    llm = model_for(script).bind_tools([chosen], tool_choice="auto")
    answer = call(llm, "What is the weather in Shanghai?", mode)
    assert script.body == {
        "model": "gpt-4o",
        "messages": [{"role": "user", "content": "What is the weather in Shanghai?"}],
        "tools": [WEATHER_TOOL],
        "tool_choice": "auto",
    }
    assert answer.content == ""
    assert answer.tool_calls == [
        {"name": "get_weather", "args": {"city": "Shanghai"}, "id": "call_1", "type": "tool_call"}
    ]
    assert answer.response_metadata["finish_reason"] == "tool_calls"


class Answer(BaseModel):
    summary: str


@pytest.mark.parametrize("mode", MODES)
def test_json_schema(mode: str) -> None:
    script = Script(completion({"content": '{"summary": "AI is a field of computer science."}'}))
    structured = model_for(script).with_structured_output(Answer)  # gpt-4o: json_schema
    result = call(structured, "Return a JSON with a summary field", mode)
    assert script.body == {
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
    assert result == Answer(summary="AI is a field of computer science.")


@pytest.mark.parametrize("mode", MODES)
def test_deepseek_r1_reasoning(mode: str) -> None:
    script = Script(
        completion(
            {"content": "x = 1 or x = -3", "reasoning_content": "Factor: (x+3)(x-1) = 0."},
            model="deepseek-r1",
        )
    )
    llm = model_for(script, "deepseek-r1", temperature=0.6)
    answer = call(llm, "Analyze this math problem: if x^2 + 2x - 3 = 0, find x", mode)
    assert script.body == {
        "model": "deepseek-r1",
        "messages": [
            {"role": "user", "content": "Analyze this math problem: if x^2 + 2x - 3 = 0, find x"}
        ],
        "temperature": 0.6,
    }
    assert answer.content == "x = 1 or x = -3"
    assert answer.additional_kwargs == {"reasoning_content": "Factor: (x+3)(x-1) = 0."}
    assert answer.content_blocks == [
        {"type": "reasoning", "reasoning": "Factor: (x+3)(x-1) = 0."},
        {"type": "text", "text": "x = 1 or x = -3"},
    ]


@pytest.mark.parametrize("mode", MODES)
def test_qwq_enable_thinking(mode: str) -> None:
    # QwQ answers only streamed requests: invoke streams and assembles the answer.
    model = {"model": "qwq-32b"}
    script = Script(
        [
            chunk({"role": "assistant", "reasoning_content": "Consider ..."}, **model),
            chunk({"content": "Trends: ..."}, **model),
            chunk({}, finish_reason="stop", **model),
        ]
    )
    llm = model_for(script, "qwq-32b", enable_thinking=True)
    answer = call(llm, "Analyze the development trends of artificial intelligence", mode)
    assert script.body == {
        "model": "qwq-32b",
        "messages": [
            {"role": "user", "content": "Analyze the development trends of artificial intelligence"}
        ],
        "enable_thinking": True,
        "stream": True,
        "stream_options": {"include_usage": True},
    }
    assert answer.additional_kwargs["reasoning_content"] == "Consider ..."
    assert answer.content_blocks[0] == {"type": "reasoning", "reasoning": "Consider ..."}


@pytest.mark.parametrize("mode", MODES)
def test_gemini_thinking(mode: str) -> None:
    model = "gemini-2.0-flash-thinking-exp"
    script = Script(completion({"content": "Qubits ..."}, model=model))
    answer = call(
        model_for(script, model), "Explain the basic principles of quantum computing", mode
    )
    assert script.body == {
        "model": model,
        "messages": [
            {"role": "user", "content": "Explain the basic principles of quantum computing"}
        ],
    }
    assert answer.content == "Qubits ..."
    assert answer.response_metadata == metadata(model)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    "options",
    [
        {"search_strategy": "standard", "forced_search": False},
        SearchOptions(search_strategy="standard", forced_search=False),
    ],
    ids=["dict", "SearchOptions"],
)
def test_qwen_search(mode: str, options: Any) -> None:
    source = {"index": 1, "title": "T", "url": "https://q.example"}
    script = Script(
        completion(
            {"content": "Hello!"}, model="qwen-max", search_info={"search_results": [source]}
        )
    )
    llm = model_for(script, "qwen-max", enable_search=True, search_options=options)
    answer = call(llm, "Hello", mode)
    assert script.body == {
        "model": "qwen-max",
        "messages": [{"role": "user", "content": "Hello"}],
        "enable_search": True,
        "search_options": {"search_strategy": "standard", "forced_search": False},
    }
    assert answer.response_metadata["citations"] == [
        {"url": "https://q.example", "title": "T", "source": "search_info"}
    ]
    assert answer.content_blocks == [
        {
            "type": "text",
            "text": "Hello!",
            "annotations": [
                {
                    "type": "citation",
                    "url": "https://q.example",
                    "title": "T",
                    "extras": {"source": "search_info"},
                }
            ],
        }
    ]


@pytest.mark.parametrize("mode", MODES)
def test_claude_web_search_tool(mode: str) -> None:
    model = "claude-sonnet-4-5-20250929"
    server_tool = {"type": "web_search_20250305", "name": "web_search", "max_uses": 5}
    script = Script(completion({"content": "Today ..."}, model=model))
    llm = model_for(script, model).bind_tools([server_tool])
    answer = call(llm, "What are today major news?", mode)
    assert script.body == {
        "model": model,
        "messages": [{"role": "user", "content": "What are today major news?"}],
        "tools": [server_tool],
    }
    assert answer.content == "Today ..."


@pytest.mark.parametrize("mode", MODES)
def test_grok_search_with_citations(mode: str) -> None:
    script = Script(
        completion({"content": "Tech news ..."}, model="grok-3", citations=["https://x.example/1"])
    )
    llm = model_for(script, "grok-3", search_parameters={"mode": "auto", "return_citations": True})
    answer = call(llm, "What are the latest tech news?", mode)
    assert script.body == {
        "model": "grok-3",
        "messages": [{"role": "user", "content": "What are the latest tech news?"}],
        "search_parameters": {"mode": "auto", "return_citations": True},
    }
    assert answer.response_metadata["citations"] == [
        {"url": "https://x.example/1", "source": "citations"}
    ]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    "file_block",
    [
        {"type": "file", "file": {"url": "https://example.com/document.pdf"}},
        {"type": "file", "url": "https://example.com/document.pdf"},
    ],
    ids=["documented part", "standard block"],
)
def test_file_input(mode: str, file_block: dict[str, Any]) -> None:
    script = Script(completion({"content": "The document ..."}))
    message = HumanMessage(
        content=[
            {"type": "text", "text": "Please analyze the content of this document"},
            file_block,
        ]
    )
    answer = call(model_for(script), [message], mode)
    assert script.body == {
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
    assert answer.content == "The document ..."


@pytest.mark.parametrize("mode", MODES)
def test_reasoning_effort(mode: str) -> None:
    script = Script(
        completion(
            {"content": "All A are C.", "reasoning_content": "Transitivity."}, model="grok-3-mini"
        )
    )
    llm = model_for(script, "grok-3-mini", reasoning_effort="high")
    prompt = "Analyze this logic problem: If all A are B, and all B are C, then..."
    answer = call(llm, prompt, mode)
    assert script.body == {
        "model": "grok-3-mini",
        "messages": [{"role": "user", "content": prompt}],
        "reasoning_effort": "high",
    }
    assert answer.additional_kwargs == {"reasoning_content": "Transitivity."}


def _status(status: int, message: str) -> Any:
    def reply(request: httpx.Request) -> httpx.Response:
        return httpx.Response(status, json={"error": {"message": message, "type": "error"}})

    return reply


def _unreachable(request: httpx.Request) -> httpx.Response:
    raise httpx.ConnectError("Connection refused", request=request)


@pytest.mark.parametrize("mode", [*MODES, "stream"])
@pytest.mark.parametrize(
    ("reply", "error", "text"),
    [
        (_status(401, "Invalid API key"), AuthenticationError, "Invalid API key"),
        (_status(404, "The model does not exist"), NotFoundError, "does not exist"),
        (_status(429, "Rate limit exceeded"), RateLimitError, "Rate limit exceeded"),
        (_unreachable, APIConnectionError, "Connection refused"),
    ],
    ids=["AuthenticationError", "NotFoundError", "RateLimitError", "APIConnectionError"],
)
def test_each_error_kind(mode: str, reply: Any, error: type[Exception], text: str) -> None:
    llm = model_for(Script(reply))

    def run() -> Any:
        return list(llm.stream("Hello")) if mode == "stream" else call(llm, "Hello", mode)

    with pytest.raises(error, match=text):
        run()


def test_the_key_never_reaches_an_error_message() -> None:
    echo = httpx.Response(401, json={"error": {"message": f"Incorrect API key: {API_KEY}"}})
    with pytest.raises(AuthenticationError) as caught:
        model_for(Script(echo)).invoke("Hello")
    assert API_KEY not in str(caught.value)


def test_the_default_base_url_is_the_documented_endpoint() -> None:
    seen: list[str] = []

    def reply(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        return httpx.Response(200, json=completion({"content": "Hi"}))

    llm = ChatMixroute(
        model="glm-5",
        api_key=API_KEY,
        http_client=httpx.Client(transport=httpx.MockTransport(reply)),
    )
    llm.invoke("Hi")
    assert seen == ["https://console.mixroute.io/v1/chat/completions"]
