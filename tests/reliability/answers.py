"""Well-formed answers in the documented wire format: completion bodies and SSE streams."""

from __future__ import annotations

import json
from typing import Any

MODEL = "gpt-4o"


def completion_body(text: str, *, model: str = MODEL) -> dict[str, Any]:
    """A documented non-streamed completion answering ``text``."""
    return {
        "id": "chatcmpl-fault",
        "object": "chat.completion",
        "created": 1700000000,
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": text},
                "finish_reason": "stop",
            }
        ],
        "usage": {"prompt_tokens": 5, "completion_tokens": 7, "total_tokens": 12},
    }


def sse_event(data: Any, event: str | None = None) -> bytes:
    """One SSE event; ``data`` is sent as JSON unless it is already a string."""
    text = data if isinstance(data, str) else json.dumps(data, ensure_ascii=False)
    prefix = f"event: {event}\n" if event else ""
    return f"{prefix}data: {text}\n\n".encode()


def chunk(delta: dict[str, Any], finish_reason: str | None = None) -> dict[str, Any]:
    """A documented ``chat.completion.chunk`` with one choice."""
    return {
        "id": "chatcmpl-fault",
        "object": "chat.completion.chunk",
        "created": 1700000000,
        "model": MODEL,
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish_reason}],
    }


def split_text(text: str, pieces: int) -> list[str]:
    """``text`` in ``pieces`` nearly equal parts (fewer if it is short), none empty."""
    pieces = max(1, min(pieces, len(text)))
    size = -(-len(text) // pieces)
    return [text[i : i + size] for i in range(0, len(text), size)]


def sse_events(text: str, pieces: int = 4, *, finish: bool = True) -> list[bytes]:
    """The events of a documented stream answering ``text``, without ``[DONE]``."""
    events = [sse_event(chunk({"role": "assistant", "content": ""}))]
    events += [sse_event(chunk({"content": piece})) for piece in split_text(text, pieces)]
    if finish:
        events.append(sse_event(chunk({}, "stop")))
        usage = {"prompt_tokens": 5, "completion_tokens": 7, "total_tokens": 12}
        events.append(sse_event({**chunk({}), "choices": [], "usage": usage}))
    return events


def event_offset(payload: bytes, index: int) -> int:
    """Where the ``index``-th SSE event starts in a payload (0 is the first)."""
    at = 0
    for _ in range(index):
        at = payload.index(b"\n\n", at) + 2
    return at


def sse_answer(text: str, pieces: int = 4, *, finish: bool = True, done: bool = True) -> bytes:
    """A whole documented stream answering ``text``."""
    tail = [b"data: [DONE]\n\n"] if done else []
    return b"".join(sse_events(text, pieces, finish=finish) + tail)
