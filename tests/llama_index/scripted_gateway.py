"""A scripted Mixroute gateway for the LlamaIndex tests, and answers in the documented wire format.

:class:`ScriptedGateway` is an ``httpx.MockTransport`` handler: it keeps every request
(body and headers) and answers from a script, in the cassette kit's convention — a dict is
a JSON completion, a str is an SSE stream, a ``(status, body)`` pair an error, an
exception is raised as a transport failure. ``gateway.llm(model, ...)`` is a ``Mixroute``
wired to it with both httpx clients.
"""

from __future__ import annotations

import json
from typing import Any

import httpx

from llama_index_mixroute import Mixroute

KEY = "sk-test-llama-0123456789abcdef"


class ScriptedGateway:
    """Answers requests in order from ``answers``; ``bodies`` holds what was sent."""

    def __init__(self, *answers: Any) -> None:
        self.answers = list(answers)
        self.bodies: list[dict[str, Any]] = []
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        self.bodies.append(json.loads(request.content))
        if not self.answers:
            return httpx.Response(500, json={"error": {"message": "more requests than scripted"}})
        answer = self.answers.pop(0)
        if isinstance(answer, BaseException):
            raise answer
        if isinstance(answer, tuple):
            code, body = answer
            if isinstance(body, str):
                return httpx.Response(code, text=body)
            return httpx.Response(code, json=body)
        if isinstance(answer, str):
            return httpx.Response(200, text=answer, headers={"content-type": "text/event-stream"})
        return httpx.Response(200, json=answer)

    def add(self, *answers: Any) -> None:
        """Script more answers."""
        self.answers.extend(answers)

    def llm(self, model: str = "gpt-4o", **settings: Any) -> Mixroute:
        """A ``Mixroute`` that talks to this gateway (sync and async), with no retries."""
        settings.setdefault("max_retries", 0)
        return Mixroute(
            model,
            api_key=KEY,
            http_client=httpx.Client(transport=httpx.MockTransport(self)),
            async_http_client=httpx.AsyncClient(transport=httpx.MockTransport(self)),
            **settings,
        )


USAGE = {"prompt_tokens": 25, "completion_tokens": 100, "total_tokens": 125}


def completion(
    message: dict[str, Any] | str,
    model: str = "gpt-4o",
    finish_reason: str = "stop",
    usage: dict[str, Any] | None = USAGE,
    **top: Any,
) -> dict[str, Any]:
    """A ``chat.completion`` body as the documented example shapes it."""
    if isinstance(message, str):
        message = {"content": message}
    body: dict[str, Any] = {
        "id": "chatcmpl-xxx",
        "object": "chat.completion",
        "created": 1234567890,
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", **message},
                "finish_reason": finish_reason,
            }
        ],
        **top,
    }
    if usage is not None:
        body["usage"] = usage
    return body


def tool_call(call_id: str, name: str, arguments: dict[str, Any] | str) -> dict[str, Any]:
    """One entry of ``message.tool_calls``."""
    text = arguments if isinstance(arguments, str) else json.dumps(arguments)
    return {"id": call_id, "type": "function", "function": {"name": name, "arguments": text}}


def tool_calls_answer(*calls: dict[str, Any], model: str = "gpt-4o") -> dict[str, Any]:
    """A completion whose message only calls tools."""
    return completion(
        {"content": None, "tool_calls": list(calls)}, model=model, finish_reason="tool_calls"
    )


def sse(*deltas: dict[str, Any], model: str = "gpt-4o", usage: bool = True, **last: Any) -> str:
    """An SSE stream: one chunk per delta, a finish chunk, a usage chunk, then ``[DONE]``.

    ``last`` adds top-level fields (``citations``, say) to the finish chunk.
    """
    finish = "tool_calls" if any("tool_calls" in d for d in deltas) else "stop"
    chunks = [
        _chunk(model, {"index": 0, "delta": delta, "finish_reason": None}) for delta in deltas
    ]
    chunks.append({**_chunk(model, {"index": 0, "delta": {}, "finish_reason": finish}), **last})
    if usage:
        chunks.append({**_chunk(model, None), "choices": [], "usage": USAGE})
    return "".join(f"data: {json.dumps(chunk)}\n\n" for chunk in chunks) + "data: [DONE]\n\n"


def sse_events(*chunks: dict[str, Any] | str) -> str:
    """Raw SSE: dict chunks as ``data:`` JSON, strings written as they are."""
    return "".join(
        chunk if isinstance(chunk, str) else f"data: {json.dumps(chunk)}\n\n" for chunk in chunks
    )


def chunk(
    delta: dict[str, Any], model: str = "gpt-4o", finish_reason: str | None = None
) -> dict[str, Any]:
    """One ``chat.completion.chunk``."""
    return _chunk(model, {"index": 0, "delta": delta, "finish_reason": finish_reason})


def _chunk(model: str, choice: dict[str, Any] | None) -> dict[str, Any]:
    return {
        "id": "chatcmpl-xxx",
        "object": "chat.completion.chunk",
        "created": 1234567890,
        "model": model,
        "choices": [choice] if choice is not None else [],
    }
