"""A scripted gateway for the answer-policy tests: vendor rules, then answers in order.

:class:`PolicyGateway` is an ``httpx.MockTransport`` handler (for sync and async clients).
The vendor rules it checks first, each a 400 with an OpenAI-style error body:

- GLM takes no ``tool_choice`` but ``"auto"``; Kimi ``"auto"`` and ``"none"``;
  ``deepseek-r1`` refuses the field;
- ``response_format`` ``json_schema`` is a 400 on a model whose profile has no native
  structured output, except Claude, whose OpenAI-compatible layer drops it silently.

Then each request gets the next :class:`Reply` of the script (the last one repeats), as a
``chat.completion`` or as SSE chunks: text cut into pieces, each call opened with its id
and name and its arguments sent in pieces, then the finish reason, usage, ``[DONE]``.
Every body is kept in ``bodies``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx

from mixroute.profiles import get_profile

__all__ = ["PolicyGateway", "Reply", "text", "tool_call"]

PIECE = 4
"""Characters per streamed piece of text or arguments."""


@dataclass(frozen=True)
class Reply:
    """One answer: text, tool calls ``(name, arguments JSON)``, and how it ended."""

    content: str | None = None
    calls: tuple[tuple[str, str], ...] = ()
    finish_reason: str | None = None

    @property
    def finish(self) -> str:
        """The finish reason sent: the given one, else from whether tools are called."""
        return self.finish_reason or ("tool_calls" if self.calls else "stop")


def text(content: str) -> Reply:
    """An answer in text only."""
    return Reply(content=content)


def tool_call(name: str, arguments: dict[str, Any], *, preamble: str | None = None) -> Reply:
    """An answer that calls ``name`` (after ``preamble`` text, if given)."""
    return Reply(content=preamble, calls=((name, json.dumps(arguments)),))


@dataclass
class PolicyGateway:
    """Plays ``model``'s vendor and answers with ``replies`` in order."""

    model: str
    replies: Sequence[Reply]
    bodies: list[dict[str, Any]] = field(default_factory=list)
    refusals: list[str] = field(default_factory=list)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        self.bodies.append(body)
        problem = self.problem(body)
        if problem is not None:
            self.refusals.append(problem)
            error = {"error": {"message": problem, "type": "invalid_request_error"}}
            return httpx.Response(400, json=error)
        reply = self.replies[min(len(self.bodies) - 1 - len(self.refusals), len(self.replies) - 1)]
        if body.get("stream"):
            return httpx.Response(
                200, text=_sse(reply, self.model), headers={"content-type": "text/event-stream"}
            )
        return httpx.Response(200, json=_completion(reply, self.model))

    def transport(self) -> httpx.MockTransport:
        """A transport for an ``httpx.Client`` or an ``httpx.AsyncClient``."""
        return httpx.MockTransport(self)

    def problem(self, body: dict[str, Any]) -> str | None:
        """Why the vendor refuses ``body``, or ``None``."""
        name = self.model.lower()
        choice = body.get("tool_choice")
        if "tool_choice" in body:
            if "deepseek-r1" in name:
                return f"{self.model} does not support the tool_choice parameter."
            only = {"auto"} if "glm" in name else {"auto", "none"} if "kimi" in name else None
            if only is not None and choice not in only:
                return f"{self.model} does not support tool_choice={choice!r}."
        kind = (body.get("response_format") or {}).get("type")
        native = get_profile(self.model).structured_output
        if kind == "json_schema" and "claude" not in name and not native:
            return "This response_format type is unavailable now (json_schema)."
        return None


def _completion(reply: Reply, model: str) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": reply.content}
    if reply.calls:
        message["tool_calls"] = [
            {"id": f"call_{i}", "type": "function", "function": {"name": n, "arguments": a}}
            for i, (n, a) in enumerate(reply.calls)
        ]
    return {
        "id": "chatcmpl-policy",
        "object": "chat.completion",
        "model": model,
        "choices": [{"index": 0, "message": message, "finish_reason": reply.finish}],
        "usage": {"prompt_tokens": 10, "completion_tokens": 20, "total_tokens": 30},
    }


def _pieces(value: str | None) -> list[str]:
    value = value or ""
    return [value[i : i + PIECE] for i in range(0, len(value), PIECE)]


def _sse(reply: Reply, model: str) -> str:
    deltas: list[dict[str, Any]] = [{"role": "assistant", "content": ""}]
    deltas += [{"content": piece} for piece in _pieces(reply.content)]
    for index, (name, arguments) in enumerate(reply.calls):
        opening = {"index": index, "id": f"call_{index}", "type": "function"}
        deltas.append({"tool_calls": [{**opening, "function": {"name": name, "arguments": ""}}]})
        deltas += [
            {"tool_calls": [{"index": index, "function": {"arguments": piece}}]}
            for piece in _pieces(arguments)
        ]
    chunks = [
        {"id": "chatcmpl-policy", "model": model, "choices": [{"index": 0, "delta": delta}]}
        for delta in deltas
    ]
    chunks.append(
        {
            "id": "chatcmpl-policy",
            "model": model,
            "choices": [{"index": 0, "delta": {}, "finish_reason": reply.finish}],
        }
    )
    lines = [f"data: {json.dumps(chunk)}\n\n" for chunk in chunks]
    return "".join(lines) + "data: [DONE]\n\n"
