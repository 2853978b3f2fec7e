"""The conformance table: one set of cases that the core and both adapters must send alike.

Framework-free data. Each :class:`ConformanceCase` gives a model, its settings, a
conversation in a neutral form, the tools and per-call options, each set explicitly (so no
framework default, such as LlamaIndex's habit of sending ``parallel_tool_calls`` with
tools, can make the layers differ), and the exact request body all three must produce.
``tests/test_conformance.py`` runs every case through every layer; the drivers that turn a
case into each layer's types and calls are in ``tests/support/conformance_drivers.py``.

How a driver sends a case through its layer:

- ``settings``: keyword arguments of the chat model / LLM constructor (for the core, the
  caller's default options), under the core's option names (``temperature``, ``max_tokens``, ``stop``, ``seed``, ``reasoning_effort``,
  ``enable_thinking``, ``enable_search``, ``search_options``, ``search_parameters``,
  ``strict``, ``extra_body``, ``server_tools``, ``stream_usage``).
- ``messages``: neutral dicts, converted to the framework's own message types —
  ``{"role": "system" | "developer" | "user" | "assistant" | "tool", "content": str |
  [part, ...]}``;
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
    """One request the core and both adapters must build identically."""

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
# Plain text turns, the same in the neutral form and on the wire.
NAME_CONVERSATION = [
    SYSTEM,
    {"role": "user", "content": "Hi, I'm Ann."},
    {"role": "assistant", "content": "Hello Ann!"},
    {"role": "user", "content": "What is my name?"},
]
EMPTY_TURN_CONVERSATION = [
    HELLO,
    {"role": "assistant", "content": ""},
    {"role": "user", "content": "Hi?"},
]
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
TIME_CALL = {"id": "call_2", "name": "get_time", "arguments": {"city": "Paris"}}
WIRE_TIME_CALL = {
    "id": "call_2",
    "type": "function",
    "function": {"name": "get_time", "arguments": '{"city": "Paris"}'},
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


def _text(text: str) -> dict[str, str]:
    """A text part: the same in the neutral form and on the wire."""
    return {"type": "text", "text": text}


def _tool_conversation(reasoning: str | None = None, *, wire: bool = False) -> list[dict[str, Any]]:
    """The weather question, the call and its result: neutral, or as sent (``wire``)."""
    call, key = (WIRE_CALL, "reasoning_content") if wire else (CALL, "reasoning")
    assistant: dict[str, Any] = {
        "role": "assistant",
        "content": None if wire else "",
        "tool_calls": [call],
    }
    if reasoning is not None:
        assistant[key] = reasoning
    return [
        {"role": "user", "content": "Weather in Paris?"},
        assistant,
        {"role": "tool", "content": "18 C, sunny", "tool_call_id": "call_1"},
    ]


def _tool_case(
    name: str,
    model: str,
    question: str,
    tools: list[dict[str, Any]],
    tool_choice: str,
    *,
    parallel_tool_calls: bool,
    sent_choice: str | dict[str, Any] | None = None,
    sent_tools: list[dict[str, Any]] | None = None,
    settings: dict[str, Any] | None = None,
    stream: bool = False,
    sent: dict[str, Any] | None = None,
) -> ConformanceCase:
    """One question asked with ``tools`` bound.

    The body sends the question, the tools (``sent_tools`` if given), ``tool_choice`` as
    ``sent_choice`` (by default as given) and ``parallel_tool_calls``; ``sent`` adds fields
    to the body, a ``None`` in it removing one.
    """
    expected: dict[str, Any] = {
        "model": model,
        "messages": [{"role": "user", "content": question}],
        "tools": sent_tools or tools,
        "tool_choice": tool_choice if sent_choice is None else sent_choice,
        "parallel_tool_calls": parallel_tool_calls,
    }
    for key, value in (sent or {}).items():
        if value is None:
            del expected[key]
        else:
            expected[key] = value
    return ConformanceCase(
        name=name,
        model=model,
        messages=[{"role": "user", "content": question}],
        expected=expected,
        settings=settings or {},
        tools=tools,
        tool_choice=tool_choice,
        parallel_tool_calls=parallel_tool_calls,
        stream=stream,
    )


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
        messages=NAME_CONVERSATION,
        expected={"model": "deepseek-v3", "messages": NAME_CONVERSATION, "temperature": 0.0},
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
        stream=True,  # QwQ answers only streamed requests
        expected={
            "model": "qwq-32b",
            "messages": [HELLO],
            "enable_thinking": True,
            "stream": True,
            "stream_options": {"include_usage": True},
        },
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
    _tool_case(
        "tools with tool_choice auto, no parallel calls",
        "gpt-4o",
        "What is the weather in Shanghai?",
        [WEATHER],
        "auto",
        parallel_tool_calls=False,
    ),
    _tool_case(
        "tool_choice required with parallel calls",
        "gpt-4o",
        "Weather and time in Paris?",
        [WEATHER, TIME],
        "required",
        parallel_tool_calls=True,
    ),
    _tool_case(
        "tool_choice naming a tool",
        "claude-sonnet-4-5-20250929",
        "Weather in Paris?",
        [WEATHER, TIME],
        "get_weather",
        parallel_tool_calls=False,
        sent_choice={"type": "function", "function": {"name": "get_weather"}},
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
        expected={"model": "gpt-4o", "messages": _tool_conversation(wire=True)},
    ),
    ConformanceCase(
        name="reasoning goes back on a tool-call turn (kimi-k2.5)",
        model="kimi-k2.5",
        messages=_tool_conversation(reasoning="Use the weather tool."),
        expected={
            "model": "kimi-k2.5",
            "messages": _tool_conversation(reasoning="Use the weather tool.", wire=True),
        },
    ),
    ConformanceCase(
        name="reasoning stays home for claude",
        model="claude-sonnet-4-5-20250929",
        messages=_tool_conversation(reasoning="Use the weather tool."),
        expected={"model": "claude-sonnet-4-5-20250929", "messages": _tool_conversation(wire=True)},
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
        name="call options laid over the settings",
        model="gpt-4o",
        settings={"temperature": 0.5, "stop": ["A"], "extra_body": {"a": 1}},
        messages=[HELLO],
        call_options={"temperature": 0.1, "stop": ["B"], "extra_body": {"b": 2}},
        expected={
            "model": "gpt-4o",
            "messages": [HELLO],
            "temperature": 0.1,
            "stop": ["B"],
            "a": 1,
            "b": 2,
        },
    ),
    _tool_case(
        "server tools come after the call's tools",
        "claude-sonnet-4-5-20250929",
        "Weather in Paris, and the news?",
        [WEATHER],
        "auto",
        parallel_tool_calls=False,
        settings={"server_tools": [WEB_SEARCH]},
        sent_tools=[WEATHER, WEB_SEARCH],
    ),
    ConformanceCase(
        name="two tool calls with text beside them, and their results",
        model="gpt-4o",
        messages=[
            {"role": "user", "content": "Weather and time in Paris?"},
            {"role": "assistant", "content": "Let me check.", "tool_calls": [CALL, TIME_CALL]},
            {"role": "tool", "content": "18 C, sunny", "tool_call_id": "call_1"},
            {"role": "tool", "content": "noon", "tool_call_id": "call_2"},
        ],
        expected={
            "model": "gpt-4o",
            "messages": [
                {"role": "user", "content": "Weather and time in Paris?"},
                {
                    "role": "assistant",
                    "content": "Let me check.",
                    "tool_calls": [WIRE_CALL, WIRE_TIME_CALL],
                },
                {"role": "tool", "content": "18 C, sunny", "tool_call_id": "call_1"},
                {"role": "tool", "content": "noon", "tool_call_id": "call_2"},
            ],
        },
    ),
    ConformanceCase(
        name="several text parts: a list for the user, one string for system and tool",
        model="gpt-4o",
        messages=[
            {"role": "system", "content": [_text("Be brief."), _text("Answer in French.")]},
            {"role": "user", "content": [_text("Weather in Paris?"), _text("In Celsius.")]},
            {"role": "assistant", "content": "", "tool_calls": [CALL]},
            {"role": "tool", "content": [_text("18 C"), _text("sunny")], "tool_call_id": "call_1"},
        ],
        expected={
            "model": "gpt-4o",
            "messages": [
                {"role": "system", "content": "Be brief.\nAnswer in French."},
                {
                    "role": "user",
                    "content": [_text("Weather in Paris?"), _text("In Celsius.")],
                },
                {"role": "assistant", "content": None, "tool_calls": [WIRE_CALL]},
                {"role": "tool", "content": "18 C\nsunny", "tool_call_id": "call_1"},
            ],
        },
    ),
    ConformanceCase(
        name="an empty assistant turn is an empty string, not null",
        model="gpt-4o",
        messages=EMPTY_TURN_CONVERSATION,
        expected={"model": "gpt-4o", "messages": EMPTY_TURN_CONVERSATION},
    ),
    _tool_case(
        "tool_choice required on a model that takes only auto is sent as auto",
        "glm-5",
        "Weather in Paris?",
        [WEATHER],
        "required",
        parallel_tool_calls=False,
        sent_choice="auto",
    ),
    _tool_case(
        "a named tool_choice on a model that takes only auto is sent as auto",
        "glm-5",
        "Weather in Paris?",
        [WEATHER, TIME],
        "get_weather",
        parallel_tool_calls=False,
        sent_choice="auto",
    ),
    _tool_case(
        "streamed tool calls",
        "gpt-4o",
        "Weather and time in Paris?",
        [WEATHER, TIME],
        "required",
        parallel_tool_calls=True,
        stream=True,
        sent={"stream": True, "stream_options": {"include_usage": True}},
    ),
    ConformanceCase(
        name="developer instructions for a reasoning model",
        model="o3-mini",
        messages=[{"role": "developer", "content": "Answer in one line."}, HELLO],
        expected={
            "model": "o3-mini",
            "messages": [{"role": "developer", "content": "Answer in one line."}, HELLO],
        },
    ),
    _tool_case(
        "parallel_tool_calls is left out for a model that does not take it",
        "o3-mini",
        "Weather in Paris?",
        [WEATHER],
        "auto",
        parallel_tool_calls=False,
        settings={"max_tokens": 50},
        sent={"max_completion_tokens": 50, "parallel_tool_calls": None},
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
