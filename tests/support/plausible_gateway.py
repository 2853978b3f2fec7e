"""A stand-in for the gateway that gives any documented request a plausible answer.

For code written for the real gateway (README blocks, the examples) run against a
:class:`~support.local_server.LocalServer`: it answers in the documented wire format
(``../shared/mixroute-api.md``), plain or streamed as the request asks, and shapes the
answer after the request, so that code expecting a kind of answer gets one:

- ``response_format`` ``json_schema``: a JSON object valid for the schema; ``json_object``:
  one valid for the first JSON schema found in the messages (JSON mode writes it there);
- function tools and ``tool_choice`` not ``"none"``: a call of the named tool (else of a
  tool a user message names in quotes, as the core's "call the tool 'x'" does, else of the
  first one) with arguments made from its schema; after a tool result, a call of the next
  tool not called yet in the conversation, else a text answer of the tool's result; so an
  agent calls each of its tools once, then answers;
- a ReAct prompt (LlamaIndex's ``ReActAgent``: ``> Tool Name:`` in the system message):
  an ``Action`` calling its first tool, then, after an ``Observation``, an ``Answer``;
- a reasoning model (``deepseek-r1``, ``qwq-32b``, ...) or ``enable_thinking``:
  ``reasoning_content`` as well;
- ``search_parameters`` or ``enable_search``: top-level ``citations``; a ``web_search``
  server tool (Claude's ``web_search_20250305``): a ``url_citation`` annotation;
- ``max_tokens`` (or ``max_completion_tokens``) below the text's word count: the text cut
  after that many words (a word for a token), with ``finish_reason`` ``"length"``;
- anything else: :data:`ANSWER`, or :data:`STREAMED` when streamed (distinct, so a reader
  of the output can tell which one was printed).

>>> with LocalServer(PlausibleGateway()) as server:  # doctest: +SKIP
...     MixrouteClient(base_url=server.base_url, api_key="sk-test").create("glm-5", ...)
"""

from __future__ import annotations

import itertools
import json
import re
from typing import Any

from support.local_server import Received, Reply

ANSWER = "Hello from the stand-in gateway."
STREAMED = "Hello, streamed from the stand-in gateway."
REASONING = "The stand-in thinks before it answers."
CITATION = "https://news.example/stand-in"
REASONING_MODELS = ("deepseek-r1", "qwq", "o3", "o4", "grok-3-mini", "thinking")
USAGE = {"prompt_tokens": 25, "completion_tokens": 100, "total_tokens": 125}
_NUMBERS = itertools.count(1)  # ids differ per answer, as a real gateway's do

JSON = dict[str, Any]


class PlausibleGateway:
    """A responder for ``LocalServer``; ``streams`` keeps the text of each stream it sent."""

    def __init__(self) -> None:
        self.streams: list[str] = []

    def __call__(self, request: Received) -> Reply:
        if not request.path.endswith("/chat/completions"):
            return Reply(404, "404 page not found\n")
        try:
            body = request.json()
        except ValueError:
            return Reply(400, {"error": {"message": "the body is not JSON"}})
        message, finish, top = answer_for(body)
        model = str(body.get("model", "unknown"))
        top = {"id": f"chatcmpl-stand-in-{next(_NUMBERS)}", **top}
        if not body.get("stream"):
            choice = {"index": 0, "message": message, "finish_reason": finish}
            return Reply(200, completion(model, choices=[choice], usage=USAGE, **top))
        if message["content"] == ANSWER:
            message["content"] = STREAMED
        if message["content"]:
            self.streams.append(message["content"])
        include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
        events = stream_events(model, message, finish, top, include_usage=include_usage)
        return Reply(200, events, {"Content-Type": "text/event-stream"})


def answer_for(body: JSON) -> tuple[JSON, str, JSON]:
    """The assistant message, finish reason and top-level fields that answer ``body``."""
    messages = body.get("messages") or [{}]
    message: JSON = {"role": "assistant", "content": ANSWER}
    top: JSON = {}
    tool = _tool_to_call(body, messages)
    fmt = body.get("response_format") or {}
    if tool is not None:
        arguments = json.dumps(instance_of(tool.get("parameters") or {}))
        call = {"name": tool["name"], "arguments": arguments}
        message["content"] = None
        number = len(_called(messages)) + 1
        message["tool_calls"] = [
            {"id": f"call_stand_in_{number}", "type": "function", "function": call}
        ]
        return message, "tool_calls", top
    react = _react_step(messages)
    if react is not None:
        message["content"] = react
    elif fmt.get("type") == "json_schema":
        message["content"] = json.dumps(instance_of(fmt["json_schema"].get("schema") or {}))
    elif fmt.get("type") == "json_object":
        message["content"] = json.dumps(instance_of(_schema_in(messages) or {}))
    elif messages[-1].get("role") == "tool":
        message["content"] = f"The tool said: {messages[-1].get('content')}"
    if body.get("enable_thinking") or any(n in str(body.get("model")) for n in REASONING_MODELS):
        message["reasoning_content"] = REASONING
    if body.get("search_parameters") or body.get("enable_search"):
        top["citations"] = [CITATION]
    if any(str(t.get("type", "")).startswith("web_search") for t in body.get("tools") or ()):
        cited = {"url": CITATION, "title": "Stand-in news", "start_index": 0, "end_index": 5}
        message["annotations"] = [{"type": "url_citation", "url_citation": cited}]
    words = str(message["content"]).split(" ")
    limit = body.get("max_completion_tokens") or body.get("max_tokens")
    if isinstance(limit, int) and 0 < limit < len(words):
        message["content"] = " ".join(words[:limit])
        return message, "length", top
    return message, "stop", top


def _react_step(messages: list[JSON]) -> str | None:
    """A ReAct agent's next step, when the system message is a ReAct prompt."""
    system = str(messages[0].get("content") or "") if messages[0].get("role") == "system" else ""
    name = re.search(r"^> Tool Name: (\S+)$", system, re.M)
    if name is None:
        return None
    last = str(messages[-1].get("content") or "")
    if last.startswith("Observation:"):
        said = last.removeprefix("Observation:").strip()
        return f"Thought: I can answer without using any more tools.\nAnswer: The tool said: {said}"
    args = re.search(r"^Tool Args: (\{.*\})$", system, re.M)
    schema = json.loads(args[1]) if args else {}
    action = f"Action: {name[1]}\nAction Input: {json.dumps(instance_of(schema))}"
    return f"Thought: I need to use a tool to help me answer the question.\n{action}"


def _tool_to_call(body: JSON, messages: list[JSON]) -> JSON | None:
    """The function to call, or ``None`` when a text answer fits better."""
    functions: list[JSON] = [
        t["function"] for t in body.get("tools") or () if t.get("type") == "function"
    ]
    choice = body.get("tool_choice", "auto")
    last = messages[-1]
    if not functions or choice == "none":
        return None
    if last.get("role") == "tool":  # the next tool not called yet, else an answer
        called = _called(messages)
        return next((f for f in functions if f.get("name") not in called), None)
    if isinstance(choice, dict):
        named = choice.get("function", {}).get("name")
        return next((f for f in functions if f.get("name") == named), functions[0])
    asked = str(last.get("content") or "") if last.get("role") == "user" else ""
    return next((f for f in functions if f"'{f.get('name')}'" in asked), functions[0])


def _called(messages: list[JSON]) -> set[str]:
    """The names of the functions the assistant turns of ``messages`` called."""
    return {
        str((call.get("function") or {}).get("name"))
        for message in messages
        if message.get("role") == "assistant"
        for call in message.get("tool_calls") or ()
    }


def _schema_in(messages: list[JSON]) -> JSON | None:
    """The first JSON object in the messages' text that looks like a JSON schema."""
    decoder = json.JSONDecoder()
    for message in messages:
        content = message.get("content")
        parts = [content] if isinstance(content, str) else content or []
        for part in parts:
            text = part if isinstance(part, str) else part.get("text") or ""
            if "{{" in text:  # LlamaIndex's output parsers write the braces doubled
                text = text.replace("{{", "{").replace("}}", "}")
            start = text.find("{")
            while start != -1:
                try:
                    found, _ = decoder.raw_decode(text, start)
                except ValueError:
                    found = None
                if isinstance(found, dict) and ("properties" in found or "type" in found):
                    return found
                start = text.find("{", start + 1)
    return None


def instance_of(schema: JSON, definitions: JSON | None = None) -> Any:
    """A value valid for a JSON schema (the parts structured output uses)."""
    definitions = definitions if definitions is not None else schema.get("$defs", {})
    if "$ref" in schema:
        return instance_of(definitions[schema["$ref"].rsplit("/", 1)[-1]], definitions)
    if "const" in schema:
        return schema["const"]
    if schema.get("enum"):
        return schema["enum"][0]
    if "default" in schema:
        return schema["default"]
    for key in ("anyOf", "oneOf", "allOf"):
        options = [s for s in schema.get(key, ()) if s.get("type") != "null"]
        if options:
            return instance_of(options[0], definitions)
    kind = schema.get("type", "object" if "properties" in schema else "string")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    properties = schema.get("properties", {})
    simple: dict[str, Any] = {"string": "example", "integer": 1, "number": 1.5}
    if kind == "object":
        return {name: instance_of(sub, definitions) for name, sub in properties.items()}
    if kind == "array":
        return [instance_of(schema.get("items") or {}, definitions)]
    if kind == "boolean":
        return True
    return simple.get(kind)


def completion(model: str, **fields: Any) -> JSON:
    """A ``chat.completion`` body with the documented envelope."""
    head = {"id": "chatcmpl-stand-in", "object": "chat.completion", "created": 1}
    return {**head, "model": model, **fields}  # an ``id`` in fields wins


def stream_events(
    model: str, message: JSON, finish: str, top: JSON, *, include_usage: bool
) -> bytes:
    """The same answer as SSE: words, tool-call fragments, the finish, usage, ``[DONE]``."""
    fields = dict(top)
    head = {"id": fields.pop("id", "chatcmpl-stand-in"), "object": "chat.completion.chunk"}
    head["created"] = 1

    def chunk(choices: list[JSON], **fields: Any) -> str:
        return f"data: {json.dumps({**head, 'model': model, 'choices': choices, **fields})}\n\n"

    deltas: list[JSON] = []
    if message.get("reasoning_content"):
        deltas.append({"reasoning_content": message["reasoning_content"]})
    words = (message.get("content") or "").split(" ")
    deltas += [{"content": w if i == 0 else " " + w} for i, w in enumerate(words) if w]
    for index, call in enumerate(message.get("tool_calls") or ()):
        arguments = call["function"]["arguments"]
        head_call = {"index": index, "id": call["id"], "type": "function"}
        named = {"name": call["function"]["name"], "arguments": ""}
        deltas.append({"tool_calls": [{**head_call, "function": named}]})
        deltas.append({"tool_calls": [{"index": index, "function": {"arguments": arguments}}]})
    deltas = deltas or [{}]
    deltas[0]["role"] = "assistant"
    events = [chunk([{"index": 0, "delta": d, "finish_reason": None}]) for d in deltas]
    last = {"annotations": message["annotations"]} if message.get("annotations") else {}
    events.append(chunk([{"index": 0, "delta": last, "finish_reason": finish}], **fields))
    if include_usage:
        events.append(chunk([], usage=USAGE))
    events.append("data: [DONE]\n\n")
    return "".join(events).encode()
