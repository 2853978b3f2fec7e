"""The answers the tour's cassettes were recorded from, written in the documented wire format.

``python examples/tour.py --record-wire-format`` serves each step's answers, in order, from
a scripted server on 127.0.0.1 while the tour runs against it, and records the exchanges
into ``cassettes/tour/<step>-<framework>.yaml``: the requests are what the adapters really
sent, the answers are these. A dict is a JSON completion, a string an event stream.
See ``../shared/mixroute-api.md`` for the format (non-streamed and streamed responses).
"""

from __future__ import annotations

import itertools
import json
from typing import Any

CREATED = 1767225600
_IDS = itertools.count(1)  # each answer its own id, as a real server gives (agents key on it)


def completion(model: str, message: dict[str, Any], **top: Any) -> dict[str, Any]:
    """A whole ``chat.completion``; ``finish_reason`` follows from the message."""
    finish = "tool_calls" if message.get("tool_calls") else "stop"
    return {
        "id": f"chatcmpl-tour-{next(_IDS)}",
        "object": "chat.completion",
        "created": CREATED,
        "model": model,
        "choices": [
            {"index": 0, "message": {"role": "assistant", **message}, "finish_reason": finish}
        ],
        "usage": {"prompt_tokens": 25, "completion_tokens": 40, "total_tokens": 65},
        **top,
    }


def stream(model: str, deltas: list[dict[str, Any]], finish: str = "stop") -> str:
    """An event stream: the deltas, a closing chunk, a usage-only chunk, then [DONE]."""
    head: dict[str, Any] = {"id": f"chatcmpl-tour-{next(_IDS)}", "created": CREATED}
    head["object"] = "chat.completion.chunk"

    def chunk(choices: list[dict[str, Any]], **extra: Any) -> str:
        return f"data: {json.dumps({**head, 'model': model, 'choices': choices, **extra})}\n\n"

    first = [{"role": "assistant", **deltas[0]}, *deltas[1:]]
    events = [chunk([{"index": 0, "delta": d, "finish_reason": None}]) for d in first]
    events.append(chunk([{"index": 0, "delta": {}, "finish_reason": finish}]))
    usage = {"prompt_tokens": 9, "completion_tokens": 12, "total_tokens": 21}
    events.append(chunk([], usage=usage))
    return "".join(events) + "data: [DONE]\n\n"


def words(text: str) -> list[dict[str, Any]]:
    """Text deltas of one or two words, as models stream them."""
    parts = text.split(" ")
    pieces = [" ".join(parts[i : i + 2]) for i in range(0, len(parts), 2)]
    return [{"content": p if i == 0 else " " + p} for i, p in enumerate(pieces)]


def weather_call(arguments: str = '{"city": "Shanghai"}') -> dict[str, Any]:
    return {
        "id": "call_weather_1",
        "type": "function",
        "function": {"name": "get_weather", "arguments": arguments},
    }


GREETING = "Hello! I am a model served by Mixroute, happy to help."
WEATHER_ANSWER = "It is sunny and 25 °C in Shanghai today."
REASONED = {
    "reasoning_content": "x^2 + 2x - 3 factors as (x + 3)(x - 1), so either x + 3 = 0 or "
    "x - 1 = 0.",
    "content": "x = 1 or x = -3",
}
SUMMARY = {"content": json.dumps({"summary": "AI builds machines that learn from data."})}
NEWS = completion(
    "grok-3",
    {"content": "This week an open model topped a reasoning benchmark, and a new AI chip shipped."},
    citations=["https://news.example/open-model-benchmark", "https://news.example/ai-chip"],
)
SERVED = {
    "content": "Mixroute serves GPT, Claude, DeepSeek, Gemini, GLM, Kimi, Doubao, Qwen and "
    "Grok models behind one endpoint."
}

ANSWERS: dict[str, list[Any]] = {
    "stream-langchain": [stream("doubao-seed-1-8-251228", words(GREETING))],
    "stream-llama_index": [stream("doubao-seed-1-8-251228", words(GREETING))],
    "reasoning-langchain": [completion("deepseek-r1", REASONED)],
    "reasoning-llama_index": [completion("deepseek-r1", REASONED)],
    # create_agent: the model asks for the tool, then answers with its result.
    "agent-langchain": [
        completion("gpt-4o", {"content": None, "tool_calls": [weather_call()]}),
        completion("gpt-4o", {"content": WEATHER_ANSWER}),
    ],
    # FunctionAgent streams: the call arrives in fragments (id and name in the first).
    "agent-llama_index": [
        stream(
            "gpt-4o",
            [
                {"content": None, "tool_calls": [{"index": 0, **weather_call("")}]},
                {"tool_calls": [{"index": 0, "function": {"arguments": '{"city": '}}]},
                {"tool_calls": [{"index": 0, "function": {"arguments": '"Shanghai"}'}}]},
            ],
            finish="tool_calls",
        ),
        stream("gpt-4o", words(WEATHER_ANSWER)),
    ],
    "structured-langchain": [completion("gpt-4o", SUMMARY)],
    "structured-llama_index": [completion("gpt-4o", SUMMARY)],
    "search-langchain": [NEWS],
    "search-llama_index": [NEWS],
    "documents-langchain": [completion("glm-5", SERVED)],
    "documents-llama_index": [completion("glm-5", SERVED)],
}
