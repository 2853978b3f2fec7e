"""A scripted Mixroute for the LangChain adapter's tests: answers in, request bodies kept.

A :class:`Script` is an ``httpx.MockTransport`` handler. Each request takes the next
reply (the last one repeats): a completion dict is sent as JSON, a list of chunk dicts as
an SSE stream ending in ``[DONE]``, an ``httpx.Response`` as it is. ``model_for`` wires a
``ChatMixroute`` to it through both ``http_client`` and ``http_async_client``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx

from langchain_mixroute import ChatMixroute

API_KEY = "sk-test-a1b2c3d4e5f6a7b8c9d0"
USAGE = {"prompt_tokens": 25, "completion_tokens": 100, "total_tokens": 125}

Reply = dict[str, Any] | list[dict[str, Any]] | httpx.Response | Callable[[httpx.Request], Any]


def completion(
    message: dict[str, Any],
    *,
    model: str = "gpt-4o",
    finish_reason: str = "stop",
    usage: dict[str, Any] | None = None,
    **top: Any,
) -> dict[str, Any]:
    """A ``chat.completion`` body in the documented shape."""
    return {
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
        "usage": USAGE if usage is None else usage,
        **top,
    }


def chunk(
    delta: dict[str, Any] | None = None,
    *,
    finish_reason: str | None = None,
    model: str = "gpt-4o",
    choices: bool = True,
    **top: Any,
) -> dict[str, Any]:
    """A ``chat.completion.chunk`` in the documented shape (``choices=False``: none)."""
    body: dict[str, Any] = {
        "id": "chatcmpl-xxx",
        "object": "chat.completion.chunk",
        "created": 1234567890,
        "model": model,
        "choices": [{"index": 0, "delta": delta or {}, "finish_reason": finish_reason}]
        if choices
        else [],
    }
    body.update(top)
    return body


def sse_text(chunks: list[dict[str, Any]], *, done: bool = True) -> str:
    """The SSE body for ``chunks``, ending with ``data: [DONE]`` unless ``done`` is false."""
    text = "".join(f"data: {json.dumps(c)}\n\n" for c in chunks)
    return text + ("data: [DONE]\n\n" if done else "")


class Script:
    """A mock server: replies in order, every request body and header kept."""

    def __init__(self, *replies: Reply) -> None:
        self.replies = list(replies)
        self.bodies: list[dict[str, Any]] = []
        self.headers: list[httpx.Headers] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.bodies.append(json.loads(request.content))
        self.headers.append(request.headers)
        reply = self.replies.pop(0) if len(self.replies) > 1 else self.replies[0]
        if callable(reply) and not isinstance(reply, httpx.Response):
            reply = reply(request)
        if isinstance(reply, httpx.Response):
            return reply
        if isinstance(reply, list):
            return httpx.Response(
                200, text=sse_text(reply), headers={"content-type": "text/event-stream"}
            )
        return httpx.Response(200, json=reply)

    @property
    def body(self) -> dict[str, Any]:
        """The only request's body."""
        assert len(self.bodies) == 1, self.bodies
        return self.bodies[0]


def model_for(script: Script, model: str = "gpt-4o", **settings: Any) -> ChatMixroute:
    """A ChatMixroute that talks to ``script``, sync and async, with no retries."""
    transport = httpx.MockTransport(script)
    settings.setdefault("max_retries", 0)
    return ChatMixroute(
        model=model,
        api_key=API_KEY,
        http_client=httpx.Client(transport=transport),
        http_async_client=httpx.AsyncClient(transport=transport),
        **settings,
    )
