"""A scripted Mixroute that answers each request from its content, in the documented wire format.

Used only to record cassettes (``MIXROUTE_CASSETTE_SOURCE=wire-format``) for tests whose
requests are fixed by a suite we do not write, such as langchain-tests'
``ChatModelIntegrationTests``: there is no list of answers to script in advance, so the
answer is derived from the request the way a capable model would answer it:

- tools bound and a call forced (``tool_choice`` ``required`` or a name), or the last
  message is the user's: a call of the named tool (else the one the user mentions, else
  the first), with arguments read from the user's text (numbers in order, a quoted name,
  a place after "in", else the text itself);
- a ``response_format`` ``json_schema``: a JSON object valid for that schema;
  ``json_object``: an object for the schema written in the system prompt, or for the keys
  the user names in quotes;
- anything else: a short text (cut at a ``stop`` sequence, as servers do).

A streamed request gets the same answer as SSE chunks (role, pieces, a finish chunk with
an empty delta, a usage chunk when ``stream_options.include_usage`` asks for it, then
``[DONE]``). Usage follows OpenAI's shape for gpt-4o, including
``prompt_tokens_details.cached_tokens``: a prompt whose first 1024 tokens repeat an
earlier request's is reported cached in 128-token steps, as OpenAI's prompt caching does.
The answer echoes the request's ``model``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from typing import Any

from support.local_server import LocalServer, Received, Reply

from mixroute.tokens import count_text_tokens

__all__ = ["WireFormatSimulator"]

CREATED = 1767225600
GREETING = "Hello! How can I help you today?"
EXAMPLE_STRINGS = {
    "setup": "Why did the cat sit on the computer?",
    "punchline": "To keep an eye on the mouse.",
}


class WireFormatSimulator:
    """A :class:`LocalServer` whose replies are computed by :meth:`answer`."""

    def __init__(self) -> None:
        self.count = 0
        self.prefixes: set[str] = set()
        self.server = LocalServer(self.respond)

    def __enter__(self) -> WireFormatSimulator:
        self.server.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.stop()

    @property
    def base_url(self) -> str:
        return self.server.base_url

    def respond(self, request: Received) -> Reply:
        body = request.json()
        self.count += 1
        message, finish = self.answer(body)
        usage = self.usage(body, message)
        reply_id = f"chatcmpl-sim{self.count:03d}"
        if body.get("stream"):
            include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
            chunks = stream_chunks(reply_id, body["model"], message, finish)
            if include_usage:
                chunks.append(_chunk(reply_id, body["model"], None, usage=usage))
            text = "".join(f"data: {json.dumps(c, ensure_ascii=False)}\n\n" for c in chunks)
            text += "data: [DONE]\n\n"
            return Reply(200, text.encode(), {"Content-Type": "text/event-stream"})
        completion = {
            "id": reply_id,
            "object": "chat.completion",
            "created": CREATED,
            "model": body["model"],
            "choices": [{"index": 0, "message": message, "finish_reason": finish}],
            "usage": usage,
        }
        return Reply(200, json.dumps(completion, ensure_ascii=False).encode(), {})

    # --- what to answer ----------------------------------------------------------------

    def answer(self, body: Mapping[str, Any]) -> tuple[dict[str, Any], str]:
        """The assistant message and finish reason for a request."""
        messages = body["messages"]
        user = last_text(messages, "user")
        tools = [t for t in body.get("tools") or () if t.get("type") == "function"]
        choice = body.get("tool_choice")
        forced = choice == "required" or isinstance(choice, dict)
        if tools and choice != "none" and (forced or messages[-1]["role"] == "user"):
            function = pick_tool(tools, choice, user)
            arguments = arguments_for(function.get("parameters") or {}, user)
            call = {
                "id": f"call_sim{self.count:03d}",
                "type": "function",
                "function": {
                    "name": function["name"],
                    "arguments": json.dumps(arguments, ensure_ascii=False),
                },
            }
            return {"role": "assistant", "content": None, "tool_calls": [call]}, "tool_calls"
        response_format = body.get("response_format") or {}
        if response_format.get("type") == "json_schema":
            schema = response_format["json_schema"]["schema"]
            return text_message(json.dumps(value_for(schema, schema, "answer"))), "stop"
        if response_format.get("type") == "json_object":
            return text_message(json.dumps(json_object_for(messages, user))), "stop"
        if messages[-1]["role"] == "tool":
            return text_message(f"The tool says: {content_text(messages[-1])}"), "stop"
        return text_message(cut_at_stop(GREETING, body.get("stop"))), "stop"

    def usage(self, body: Mapping[str, Any], message: Mapping[str, Any]) -> dict[str, Any]:
        prompt_text = json.dumps(body["messages"], ensure_ascii=False)
        prompt = count_text_tokens(prompt_text) + 3 * len(body["messages"])
        completion = count_text_tokens(json.dumps(message, ensure_ascii=False))
        cached = 0
        if prompt >= 1024:
            prefix = prompt_text[:4096]
            cached = (prompt // 128) * 128 if prefix in self.prefixes else 0
            self.prefixes.add(prefix)
        return {
            "prompt_tokens": prompt,
            "completion_tokens": completion,
            "total_tokens": prompt + completion,
            "prompt_tokens_details": {"cached_tokens": cached, "audio_tokens": 0},
            "completion_tokens_details": {"reasoning_tokens": 0, "audio_tokens": 0},
        }


def text_message(text: str) -> dict[str, Any]:
    return {"role": "assistant", "content": text}


def content_text(message: Mapping[str, Any]) -> str:
    content = message.get("content")
    if isinstance(content, str):
        return content
    return " ".join(p.get("text", "") for p in content or () if isinstance(p, dict))


def last_text(messages: list[dict[str, Any]], role: str) -> str:
    for message in reversed(messages):
        if message["role"] == role:
            return content_text(message)
    return ""


def cut_at_stop(text: str, stop: str | list[str] | None) -> str:
    for sequence in [stop] if isinstance(stop, str) else stop or ():
        text = text.split(sequence, 1)[0]
    return text


def pick_tool(tools: list[dict[str, Any]], choice: Any, user: str) -> dict[str, Any]:
    functions = [t["function"] for t in tools]
    if isinstance(choice, dict):
        wanted = choice["function"]["name"]
        return next(f for f in functions if f["name"] == wanted)
    mentioned = [f for f in functions if f["name"] in user]
    return max(mentioned, key=lambda f: len(f["name"])) if mentioned else functions[0]


def arguments_for(parameters: Mapping[str, Any], user: str) -> dict[str, Any]:
    """Arguments for a function's JSON schema, read from what the user asked."""
    numbers = iter(int(n) for n in re.findall(r"-?\d+", user))
    quoted = iter(re.findall(r"'([^']+)'", user))
    place = re.search(r"\bin ([A-Z][^?]*)\?", user)
    arguments: dict[str, Any] = {}
    for name, prop in (parameters.get("properties") or {}).items():
        kind = prop.get("type")
        if kind in ("integer", "number"):
            arguments[name] = next(numbers, 0)
        elif kind == "string":
            found = next(quoted, None)
            if found is None and place is not None:
                found = place.group(1)
            arguments[name] = found if found is not None else user
        elif kind == "boolean":
            arguments[name] = True
    return arguments


def json_object_for(messages: list[dict[str, Any]], user: str) -> dict[str, Any]:
    """JSON mode: the schema the system prompt spells out, else the keys the user names."""
    system = last_text(messages, "system")
    start = system.find("{")
    try:
        schema = json.loads(system[start:]) if start >= 0 else None
    except ValueError:
        schema = None
    if isinstance(schema, dict):
        return dict(value_for(schema, schema, "answer"))
    keys = re.findall(r"'(\w+)'", user) or ["answer"]
    return {key: EXAMPLE_STRINGS.get(key, f"An example {key}.") for key in keys}


def value_for(schema: Mapping[str, Any], root: Mapping[str, Any], name: str) -> Any:
    """A value valid for ``schema`` (``$ref``, ``anyOf``, objects, arrays, scalars)."""
    if "$ref" in schema:
        target: Any = root
        for part in schema["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        return value_for(target, root, name)
    for key in ("anyOf", "oneOf", "allOf"):
        if key in schema:
            options = [s for s in schema[key] if s.get("type") != "null"]
            return value_for(options[0], root, name)
    if "enum" in schema:
        return schema["enum"][0]
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next(k for k in kind if k != "null")
    if kind == "object" or "properties" in schema:
        properties = schema.get("properties") or {}
        return {key: value_for(prop, root, key) for key, prop in properties.items()}
    if kind == "array":
        return [value_for(schema.get("items") or {"type": "string"}, root, name)]
    if kind in ("integer", "number"):
        return 1
    if kind == "boolean":
        return True
    return EXAMPLE_STRINGS.get(name, f"An example {name}.")


# --- SSE ------------------------------------------------------------------------------


def stream_chunks(
    reply_id: str, model: str, message: Mapping[str, Any], finish: str
) -> list[dict[str, Any]]:
    """The chunks of a streamed answer, up to the finish chunk."""
    chunks = [_chunk(reply_id, model, {"role": "assistant", "content": ""})]
    for piece in pieces(message.get("content") or ""):
        chunks.append(_chunk(reply_id, model, {"content": piece}))
    for index, call in enumerate(message.get("tool_calls") or ()):
        function = call["function"]
        opening = {"index": index, "id": call["id"], "type": "function"}
        opening["function"] = {"name": function["name"], "arguments": ""}
        chunks.append(_chunk(reply_id, model, {"tool_calls": [opening]}))
        for piece in pieces(function["arguments"]):
            fragment = {"index": index, "function": {"arguments": piece}}
            chunks.append(_chunk(reply_id, model, {"tool_calls": [fragment]}))
    chunks.append(_chunk(reply_id, model, {}, finish_reason=finish))
    return chunks


def pieces(text: str) -> Iterator[str]:
    """Split text into token-like pieces (a word and the space before it)."""
    yield from (m.group(0) for m in re.finditer(r"\s*\S+", text))


def _chunk(
    reply_id: str,
    model: str,
    delta: dict[str, Any] | None,
    *,
    finish_reason: str | None = None,
    usage: dict[str, Any] | None = None,
) -> dict[str, Any]:
    chunk: dict[str, Any] = {
        "id": reply_id,
        "object": "chat.completion.chunk",
        "created": CREATED,
        "model": model,
        "choices": []
        if delta is None
        else [{"index": 0, "delta": delta, "finish_reason": finish_reason}],
    }
    if usage is not None:
        chunk["usage"] = usage
    return chunk
