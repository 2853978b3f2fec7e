"""The conformance table: one set of cases that both framework adapters must send alike.

Framework-free data. Each :class:`ConformanceCase` gives a model, its settings, a
conversation in a neutral form, the tools and per-call options, each set explicitly (so no
framework default, such as LlamaIndex's habit of sending ``parallel_tool_calls`` with
tools, can make the adapters differ), and the exact request body both must produce.

How a test drives a case through its adapter:

- ``settings``: keyword arguments of the chat model / LLM constructor, under the core's
  option names (``temperature``, ``max_tokens``, ``stop``, ``seed``, ``reasoning_effort``,
  ``enable_thinking``, ``enable_search``, ``search_options``, ``search_parameters``,
  ``strict``, ``extra_body``, ``server_tools``, ``stream_usage``).
- ``messages``: neutral dicts, converted to the framework's own message types —
  ``{"role": "system" | "user" | "assistant" | "tool", "content": str | [part, ...]}``;
  parts are ``{"type": "text", "text"}``, ``{"type": "image", "url"}``,
  ``{"type": "image", "data" (base64), "mime_type"}``, ``{"type": "file", "url"}``,
  ``{"type": "file", "data" (base64), "mime_type", "filename"}``,
  ``{"type": "audio", "data" (base64), "format"}``; an assistant turn may carry
  ``"tool_calls": [{"id", "name", "arguments": {...}}]`` and ``"reasoning": str``; a tool
  turn carries ``"tool_call_id"``.
- ``tools``: OpenAI tool dicts (function or server tools), bound as the framework binds
  tools; with ``tool_choice`` and ``parallel_tool_calls`` given whenever tools are.
- ``call_options``: keyword arguments of the call itself (``response_format``, ...).
- ``stream``: make the call streamed.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from typing import Any

__all__ = ["CASES", "ConformanceCase"]


@dataclass(frozen=True)
class ConformanceCase:
    """One request both adapters must build identically."""

    name: str
    model: str
    messages: list[dict[str, Any]]
    expected: dict[str, Any]
    settings: dict[str, Any] = field(default_factory=dict)
    tools: list[dict[str, Any]] = field(default_factory=list)
    tool_choice: str | dict[str, Any] | None = None
    parallel_tool_calls: bool | None = None
    call_options: dict[str, Any] = field(default_factory=dict)
    stream: bool = False


PNG_B64 = base64.b64encode(b"\x89PNG\r\n\x1a\n" + b"\x00" * 8).decode()
PDF_B64 = base64.b64encode(b"%PDF-1.4 conformance").decode()
WAV_B64 = base64.b64encode(b"RIFF\x00\x00\x00\x00WAVEfmt ").decode()

SYSTEM = {"role": "system", "content": "You are a helpful assistant"}
HELLO = {"role": "user", "content": "Hello"}
WEATHER = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Get weather information by city",
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string"}},
            "required": ["city"],
        },
    },
}
TIME = {
    "type": "function",
    "function": {
        "name": "get_time",
        "description": "Get the local time of a city",
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string"}},
            "required": ["city"],
        },
    },
}
WEB_SEARCH = {"type": "web_search_20250305", "name": "web_search", "max_uses": 5}
CALL = {"id": "call_1", "name": "get_weather", "arguments": {"city": "Paris"}}
WIRE_CALL = {
    "id": "call_1",
    "type": "function",
    "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'},
}
ANSWER_SCHEMA = {
    "type": "json_schema",
    "json_schema": {
        "name": "Answer",
        "schema": {
            "type": "object",
            "properties": {"summary": {"type": "string"}},
            "required": ["summary"],
        },
    },
}


def _tool_conversation(reasoning: str | None = None) -> list[dict[str, Any]]:
    assistant: dict[str, Any] = {"role": "assistant", "content": "", "tool_calls": [CALL]}
    if reasoning is not None:
        assistant["reasoning"] = reasoning
    return [
        {"role": "user", "content": "Weather in Paris?"},
        assistant,
        {"role": "tool", "content": "18 C, sunny", "tool_call_id": "call_1"},
    ]


def _wire_tool_conversation(reasoning: str | None = None) -> list[dict[str, Any]]:
    assistant: dict[str, Any] = {"role": "assistant", "content": None, "tool_calls": [WIRE_CALL]}
    if reasoning is not None:
        assistant["reasoning_content"] = reasoning
    return [
        {"role": "user", "content": "Weather in Paris?"},
        assistant,
        {"role": "tool", "content": "18 C, sunny", "tool_call_id": "call_1"},
    ]


CASES: list[ConformanceCase] = [
    ConformanceCase(
        name="plain with sampling settings",
        model="glm-5",
        settings={"temperature": 0.7, "max_tokens": 256, "top_p": 0.9, "seed": 7, "stop": ["END"]},
        messages=[SYSTEM, {"role": "user", "content": "Briefly introduce AI"}],
        expected={
            "model": "glm-5",
            "messages": [SYSTEM, {"role": "user", "content": "Briefly introduce AI"}],
            "temperature": 0.7,
            "top_p": 0.9,
            "max_tokens": 256,
            "seed": 7,
            "stop": ["END"],
        },
    ),
    ConformanceCase(
        name="multi-turn conversation",
        model="deepseek-v3",
        settings={"temperature": 0.0},
        messages=[
            SYSTEM,
            {"role": "user", "content": "Hi, I'm Ann."},
            {"role": "assistant", "content": "Hello Ann!"},
            {"role": "user", "content": "What is my name?"},
        ],
        expected={
            "model": "deepseek-v3",
            "messages": [
                SYSTEM,
                {"role": "user", "content": "Hi, I'm Ann."},
                {"role": "assistant", "content": "Hello Ann!"},
                {"role": "user", "content": "What is my name?"},
            ],
            "temperature": 0.0,
        },
    ),
    ConformanceCase(
        name="o-series: max_completion_tokens and no temperature",
        model="o3-mini",
        settings={"temperature": 0.5, "max_tokens": 100, "reasoning_effort": "low"},
        messages=[HELLO],
        expected={
            "model": "o3-mini",
            "messages": [HELLO],
            "max_completion_tokens": 100,
            "reasoning_effort": "low",
        },
    ),
    ConformanceCase(
        name="qwq enable_thinking",
        model="qwq-32b",
        settings={"enable_thinking": True},
        messages=[HELLO],
        expected={"model": "qwq-32b", "messages": [HELLO], "enable_thinking": True},
    ),
    ConformanceCase(
        name="qwen search with options",
        model="qwen-max",
        settings={
            "enable_search": True,
            "search_options": {"search_strategy": "standard", "forced_search": False},
        },
        messages=[HELLO],
        expected={
            "model": "qwen-max",
            "messages": [HELLO],
            "enable_search": True,
            "search_options": {"search_strategy": "standard", "forced_search": False},
        },
    ),
    ConformanceCase(
        name="grok live search with citations",
        model="grok-3",
        settings={"search_parameters": {"mode": "auto", "return_citations": True}},
        messages=[HELLO],
        expected={
            "model": "grok-3",
            "messages": [HELLO],
            "search_parameters": {"mode": "auto", "return_citations": True},
        },
    ),
    ConformanceCase(
        name="grok-3-mini reasoning_effort",
        model="grok-3-mini",
        settings={"reasoning_effort": "high"},
        messages=[HELLO],
        expected={"model": "grok-3-mini", "messages": [HELLO], "reasoning_effort": "high"},
    ),
    ConformanceCase(
        name="extra_body fields",
        model="doubao-seed-1-8-251228",
        settings={"extra_body": {"thinking": {"type": "disabled"}}},
        messages=[HELLO],
        expected={
            "model": "doubao-seed-1-8-251228",
            "messages": [HELLO],
            "thinking": {"type": "disabled"},
        },
    ),
    ConformanceCase(
        name="file, image and audio parts",
        model="gemini-3-flash-preview",
        messages=[
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": "Compare these"},
                    {"type": "file", "url": "https://example.com/document.pdf"},
                    {
                        "type": "file",
                        "data": PDF_B64,
                        "mime_type": "application/pdf",
                        "filename": "q3.pdf",
                    },
                    {"type": "image", "url": "https://example.com/cat.png"},
                    {"type": "image", "data": PNG_B64, "mime_type": "image/png"},
                    {"type": "audio", "data": WAV_B64, "format": "wav"},
                ],
            }
        ],
        expected={
            "model": "gemini-3-flash-preview",
            "messages": [
                {
                    "role": "user",
                    "content": [
                        {"type": "text", "text": "Compare these"},
                        {"type": "file", "file": {"url": "https://example.com/document.pdf"}},
                        {
                            "type": "file",
                            "file": {
                                "file_data": f"data:application/pdf;base64,{PDF_B64}",
                                "filename": "q3.pdf",
                            },
                        },
                        {"type": "image_url", "image_url": {"url": "https://example.com/cat.png"}},
                        {
                            "type": "image_url",
                            "image_url": {"url": f"data:image/png;base64,{PNG_B64}"},
                        },
                        {"type": "input_audio", "input_audio": {"data": WAV_B64, "format": "wav"}},
                    ],
                }
            ],
        },
    ),
    ConformanceCase(
        name="tools with tool_choice auto, no parallel calls",
        model="gpt-4o",
        messages=[{"role": "user", "content": "What is the weather in Shanghai?"}],
        tools=[WEATHER],
        tool_choice="auto",
        parallel_tool_calls=False,
        expected={
            "model": "gpt-4o",
            "messages": [{"role": "user", "content": "What is the weather in Shanghai?"}],
            "tools": [WEATHER],
            "tool_choice": "auto",
            "parallel_tool_calls": False,
        },
    ),
    ConformanceCase(
        name="tool_choice required with parallel calls",
        model="gpt-4o",
        messages=[{"role": "user", "content": "Weather and time in Paris?"}],
        tools=[WEATHER, TIME],
        tool_choice="required",
        parallel_tool_calls=True,
        expected={
            "model": "gpt-4o",
            "messages": [{"role": "user", "content": "Weather and time in Paris?"}],
            "tools": [WEATHER, TIME],
            "tool_choice": "required",
            "parallel_tool_calls": True,
        },
    ),
    ConformanceCase(
        name="tool_choice naming a tool",
        model="claude-sonnet-4-5-20250929",
        messages=[{"role": "user", "content": "Weather in Paris?"}],
        tools=[WEATHER, TIME],
        tool_choice="get_weather",
        parallel_tool_calls=False,
        expected={
            "model": "claude-sonnet-4-5-20250929",
            "messages": [{"role": "user", "content": "Weather in Paris?"}],
            "tools": [WEATHER, TIME],
            "tool_choice": {"type": "function", "function": {"name": "get_weather"}},
            "parallel_tool_calls": False,
        },
    ),
    ConformanceCase(
        name="strict tools",
        model="gpt-4o",
        settings={"strict": True},
        messages=[{"role": "user", "content": "Weather in Paris?"}],
        tools=[WEATHER],
        tool_choice="auto",
        parallel_tool_calls=False,
        expected={
            "model": "gpt-4o",
            "messages": [{"role": "user", "content": "Weather in Paris?"}],
            "tools": [
                {
                    "type": "function",
                    "function": {
                        **WEATHER["function"],
                        "parameters": {
                            **WEATHER["function"]["parameters"],
                            "additionalProperties": False,
                        },
                        "strict": True,
                    },
                }
            ],
            "tool_choice": "auto",
            "parallel_tool_calls": False,
        },
    ),
    ConformanceCase(
        name="claude web search as a server tool setting",
        model="claude-sonnet-4-5-20250929",
        settings={"server_tools": [WEB_SEARCH]},
        messages=[{"role": "user", "content": "What are today major news?"}],
        expected={
            "model": "claude-sonnet-4-5-20250929",
            "messages": [{"role": "user", "content": "What are today major news?"}],
            "tools": [WEB_SEARCH],
        },
    ),
    ConformanceCase(
        name="tool-call history and results",
        model="gpt-4o",
        messages=_tool_conversation(),
        expected={"model": "gpt-4o", "messages": _wire_tool_conversation()},
    ),
    ConformanceCase(
        name="reasoning goes back on a tool-call turn (kimi-k2.5)",
        model="kimi-k2.5",
        messages=_tool_conversation(reasoning="Use the weather tool."),
        expected={
            "model": "kimi-k2.5",
            "messages": _wire_tool_conversation(reasoning="Use the weather tool."),
        },
    ),
    ConformanceCase(
        name="reasoning stays home for claude",
        model="claude-sonnet-4-5-20250929",
        messages=_tool_conversation(reasoning="Use the weather tool."),
        expected={"model": "claude-sonnet-4-5-20250929", "messages": _wire_tool_conversation()},
    ),
    ConformanceCase(
        name="response_format json_schema per call",
        model="gpt-4o",
        messages=[{"role": "user", "content": "Return a JSON with a summary field"}],
        call_options={"response_format": ANSWER_SCHEMA},
        expected={
            "model": "gpt-4o",
            "messages": [{"role": "user", "content": "Return a JSON with a summary field"}],
            "response_format": ANSWER_SCHEMA,
        },
    ),
    ConformanceCase(
        name="streaming with usage",
        model="doubao-seed-1-8-251228",
        settings={"stream_usage": True, "temperature": 0.3},
        messages=[SYSTEM, {"role": "user", "content": "Please briefly introduce AI"}],
        stream=True,
        expected={
            "model": "doubao-seed-1-8-251228",
            "messages": [SYSTEM, {"role": "user", "content": "Please briefly introduce AI"}],
            "temperature": 0.3,
            "stream": True,
            "stream_options": {"include_usage": True},
        },
    ),
    ConformanceCase(
        name="streaming without usage, as documented",
        model="doubao-seed-1-8-251228",
        settings={"stream_usage": False},
        messages=[SYSTEM, {"role": "user", "content": "Please briefly introduce AI"}],
        stream=True,
        expected={
            "model": "doubao-seed-1-8-251228",
            "stream": True,
            "messages": [SYSTEM, {"role": "user", "content": "Please briefly introduce AI"}],
        },
    ),
]
