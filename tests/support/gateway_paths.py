"""Local servers that serve the chat API at one path only, as a real gateway does.

:class:`ApiAtV1` answers ``POST /v1/chat/completions`` (a completion, or an event stream
when the request asks for one) and every other path as Go's ``net/http`` does: ``404 page
not found`` in plain text. :func:`web_page` answers every path with an HTML page and
status 200, as a web site does at an address that is not the API's.

>>> with LocalServer(ApiAtV1()) as server:  # doctest: +SKIP
...     MixrouteClient(base_url=server.base_url.removesuffix("/v1"))  # a 404 with advice
"""

from __future__ import annotations

import json
from typing import Any

from support.local_server import Received, Reply

API_PATH = "/v1/chat/completions"
NOT_FOUND = "404 page not found\n"  # Go's net/http, which the Mixroute gateway runs on
PAGE = "<!doctype html>\n<html><head><title>Mixroute</title></head><body>Console</body></html>\n"


def completion(content: str = "Hello!", model: str = "gpt-4o") -> dict[str, Any]:
    """A documented ``chat.completion`` body."""
    return {
        "id": "chatcmpl-xxx",
        "object": "chat.completion",
        "created": 1234567890,
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": content},
                "finish_reason": "stop",
            }
        ],
        "usage": {"prompt_tokens": 5, "completion_tokens": 2, "total_tokens": 7},
    }


def event_stream(content: str = "Hello!", model: str = "gpt-4o") -> bytes:
    """A documented event stream: one delta, the finish, ``[DONE]``."""
    chunks = [
        {"choices": [{"index": 0, "delta": {"role": "assistant", "content": content}}]},
        {"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]},
    ]
    events = [
        "data: "
        + json.dumps({"id": "chatcmpl-xxx", "object": "chat.completion.chunk", "model": model, **c})
        for c in chunks
    ]
    return ("\n\n".join([*events, "data: [DONE]"]) + "\n\n").encode()


class ApiAtV1:
    """The responder of a gateway serving ``/v1/chat/completions`` and nothing else.

    ``models``: the models it knows; another one gets the API's own JSON 404.
    """

    def __init__(self, models: tuple[str, ...] = ("gpt-4o", "glm-5")) -> None:
        self.models = models

    def __call__(self, request: Received) -> Reply:
        if request.path != API_PATH:
            return Reply(404, NOT_FOUND)
        body = request.json()
        model = body.get("model")
        if model not in self.models:
            error = {
                "message": f"model {model!r} not found",
                "type": "invalid_request_error",
                "code": "model_not_found",
            }
            return Reply(404, {"error": error})
        if body.get("stream"):
            return Reply(200, event_stream(model=model), {"Content-Type": "text/event-stream"})
        return Reply(200, completion(model=model))


def web_page(request: Received) -> Reply:
    """The responder of a web site: a page, status 200, at every path."""
    return Reply(200, PAGE.encode(), {"Content-Type": "text/html; charset=utf-8"})
