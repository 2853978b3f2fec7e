"""Answers for a chat-completions stand-in: one fixed answer, plain or streamed in words."""

from __future__ import annotations

import json
from typing import Any

from support.local_server import Received, Reply

ANSWER = "Hello from the stand-in gateway"
USAGE = {"prompt_tokens": 9, "completion_tokens": 6, "total_tokens": 15}


def answer(request: Received) -> Reply:
    """A plain completion, or the same answer as an SSE stream, as the request asks."""
    body = request.json()
    model = str(body.get("model", "unknown"))
    if body.get("stream"):
        return Reply(200, _stream(model), {"Content-Type": "text/event-stream"})
    return Reply(200, _completion(model))


def _completion(model: str) -> dict[str, Any]:
    message = {"role": "assistant", "content": ANSWER}
    return {
        "id": "chatcmpl-packaging",
        "object": "chat.completion",
        "created": 1,
        "model": model,
        "choices": [{"index": 0, "message": message, "finish_reason": "stop"}],
        "usage": USAGE,
    }


def _stream(model: str) -> bytes:
    def event(choices: list[dict[str, Any]], **top: Any) -> str:
        body = {
            "id": "chatcmpl-packaging",
            "object": "chat.completion.chunk",
            "created": 1,
            "model": model,
            "choices": choices,
            **top,
        }
        return f"data: {json.dumps(body)}\n\n"

    def delta(content: str | None, finish: str | None = None) -> dict[str, Any]:
        piece = {"role": "assistant", "content": content} if content is not None else {}
        return {"index": 0, "delta": piece, "finish_reason": finish}

    first, *rest = ANSWER.split(" ")
    events = [event([delta(first)])]
    events += [event([delta(" " + word)]) for word in rest]
    events.append(event([delta(None, "stop")]))
    events.append(event([], usage=USAGE))
    events.append("data: [DONE]\n\n")
    return "".join(events).encode()
