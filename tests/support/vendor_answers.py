"""One assistant answer of the vendor gateway, written as a completion or as an SSE stream.

The shapes are the documented ones (``../shared/mixroute-api.md``): a ``chat.completion``
body, or ``chat.completion.chunk`` events (``role`` first, ``reasoning_content`` and
``content`` deltas in pieces, each tool call opened with its id and name and its
arguments sent in fragments), a last chunk with an empty delta and the finish reason, a
usage chunk when asked for, then ``data: [DONE]``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Answer", "ToolCall", "completion_body", "error_body", "sse_body"]

USAGE = {"prompt_tokens": 25, "completion_tokens": 100, "total_tokens": 125}
PIECES = 3
"""Into how many deltas a text or a tool call's arguments is cut."""


@dataclass(frozen=True)
class ToolCall:
    """One call the model makes: its id, the tool's name and the arguments as JSON text."""

    id: str
    name: str
    arguments: str


@dataclass(frozen=True)
class Answer:
    """What the model says: text, thinking and tool calls, and why (``kind``, for tests)."""

    kind: str
    content: str | None = None
    reasoning: str | None = None
    tool_calls: tuple[ToolCall, ...] = field(default_factory=tuple)

    @property
    def finish_reason(self) -> str:
        """``tool_calls`` when the answer calls tools, else ``stop``."""
        return "tool_calls" if self.tool_calls else "stop"


def completion_body(answer: Answer, model: str) -> dict[str, Any]:
    """The ``chat.completion`` body for ``answer``."""
    message: dict[str, Any] = {"role": "assistant", "content": answer.content}
    if answer.reasoning is not None:
        message["reasoning_content"] = answer.reasoning
    if answer.tool_calls:
        message["tool_calls"] = [
            {
                "id": call.id,
                "type": "function",
                "function": {"name": call.name, "arguments": call.arguments},
            }
            for call in answer.tool_calls
        ]
    return {
        "id": "chatcmpl-vendor",
        "object": "chat.completion",
        "created": 1234567890,
        "model": model,
        "choices": [{"index": 0, "message": message, "finish_reason": answer.finish_reason}],
        "usage": USAGE,
    }


def sse_body(answer: Answer, model: str, *, include_usage: bool) -> str:
    """The SSE stream for ``answer``, ending in ``data: [DONE]``."""
    deltas: list[dict[str, Any]] = [{"role": "assistant", "content": ""}]
    deltas += [{"reasoning_content": piece} for piece in _pieces(answer.reasoning)]
    deltas += [{"content": piece} for piece in _pieces(answer.content)]
    for index, call in enumerate(answer.tool_calls):
        opening = {"id": call.id, "type": "function"}
        function = {"name": call.name, "arguments": ""}
        deltas.append({"tool_calls": [{"index": index, **opening, "function": function}]})
        deltas += [
            {"tool_calls": [{"index": index, "function": {"arguments": piece}}]}
            for piece in _pieces(call.arguments)
        ]
    chunks = [_chunk(model, [{"index": 0, "delta": d, "finish_reason": None}]) for d in deltas]
    last = {"index": 0, "delta": {}, "finish_reason": answer.finish_reason}
    chunks.append(_chunk(model, [last]))
    if include_usage:
        chunks.append({**_chunk(model, []), "usage": USAGE})
    events = "".join(f"data: {json.dumps(chunk)}\n\n" for chunk in chunks)
    return events + "data: [DONE]\n\n"


def error_body(message: str) -> dict[str, Any]:
    """An OpenAI-style 400 body."""
    return {"error": {"message": message, "type": "invalid_request_error", "code": "bad_request"}}


def _pieces(text: str | None) -> list[str]:
    if not text:
        return []
    size = max(1, -(-len(text) // PIECES))
    return [text[start : start + size] for start in range(0, len(text), size)]


def _chunk(model: str, choices: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "id": "chatcmpl-vendor",
        "object": "chat.completion.chunk",
        "created": 1234567890,
        "model": model,
        "choices": choices,
    }
