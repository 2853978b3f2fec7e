"""Typed results of a chat completion, and the parser from the wire JSON into them.

The parser is forgiving where vendors differ (``reasoning`` for ``reasoning_content``,
arguments that are not valid JSON, missing fields) and keeps every field it does not know
in ``extra``, so nothing the server said is lost.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from mixroute import jsonsafe
from mixroute.citations import Citation, citations_from_annotations, citations_from_body
from mixroute.errors import APIResponseValidationError
from mixroute.messages import arguments_to_json
from mixroute.think_tags import split_think_tags

__all__ = [
    "AssistantMessage",
    "ChatCompletion",
    "Choice",
    "InvalidToolCall",
    "ToolCall",
    "Usage",
    "is_truncated",
    "parse_arguments",
    "parse_completion",
    "parse_usage",
]


@dataclass(slots=True)
class ToolCall:
    """A function call the model asked for, with its arguments parsed.

    ``raw_arguments`` keeps the exact text the model sent, so a turn is sent back as it was.
    """

    id: str
    name: str
    arguments: dict[str, Any]
    raw_arguments: str | None = None

    def to_wire(self) -> dict[str, Any]:
        """The ``tool_calls`` entry of an assistant message."""
        raw = self.raw_arguments
        if raw is None:
            raw = arguments_to_json(self.arguments, f"tool call {self.name!r}")
        return {
            "id": self.id,
            "type": "function",
            "function": {"name": self.name, "arguments": raw},
        }


@dataclass(slots=True)
class InvalidToolCall:
    """A tool call whose arguments could not be parsed; ``error`` says why."""

    id: str | None
    name: str | None
    arguments: str | None
    error: str


@dataclass(slots=True)
class Usage:
    """Token counts, with the cached-prompt and reasoning details vendors report.

    ``extra`` keeps everything else the server sent (``cost``, audio tokens, …).
    """

    prompt_tokens: int = 0
    completion_tokens: int = 0
    total_tokens: int = 0
    cached_tokens: int | None = None
    reasoning_tokens: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class AssistantMessage:
    """The model's turn: what it returns, and what is sent back in the history.

    ``reasoning`` is the thinking text (``reasoning_content`` on the wire). Whether it goes
    back with the history is the request builder's call, from the model profile.
    """

    content: str | None = None
    reasoning: str | None = None
    tool_calls: list[ToolCall] = field(default_factory=list)
    invalid_tool_calls: list[InvalidToolCall] = field(default_factory=list)
    refusal: str | None = None
    name: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def role(self) -> str:
        """Always ``assistant``."""
        return "assistant"

    def to_wire(self, *, send_reasoning: bool = False) -> dict[str, Any]:
        """The turn as an entry of a request's ``messages``.

        ``content`` is ``null`` only beside ``tool_calls``: a turn with neither sends an
        empty string, since vendors refuse an assistant message with no content at all.
        """
        content = self.content
        if content is None and not self.tool_calls:
            content = ""
        wire: dict[str, Any] = {"role": "assistant", "content": content}
        if self.name is not None:
            wire["name"] = self.name
        if self.tool_calls:
            wire["tool_calls"] = [call.to_wire() for call in self.tool_calls]
        if send_reasoning and self.reasoning:
            wire["reasoning_content"] = self.reasoning
        return wire


@dataclass(slots=True)
class Choice:
    """One of the ``n`` answers."""

    index: int
    message: AssistantMessage
    finish_reason: str | None = None
    logprobs: Any = None


@dataclass(slots=True)
class ChatCompletion:
    """A whole chat completion: the answers, usage, citations and identifiers."""

    id: str | None
    model: str | None
    choices: list[Choice]
    usage: Usage | None = None
    created: int | None = None
    system_fingerprint: str | None = None
    citations: list[Citation] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def message(self) -> AssistantMessage:
        """The first answer's message (the only one unless ``n`` > 1)."""
        return self.choices[0].message

    @property
    def finish_reason(self) -> str | None:
        """Why the first answer stopped: ``stop``, ``length``, ``tool_calls``, …."""
        return self.choices[0].finish_reason

    @property
    def truncated(self) -> bool:
        """Whether the first answer was cut off at the token limit (see :func:`is_truncated`)."""
        return is_truncated(self.choices[0].finish_reason)


def is_truncated(finish_reason: object) -> bool:
    """Whether an answer that stopped for ``finish_reason`` was cut off at the token limit.

    For an answer held in another type (a framework's message, a stream's last chunk);
    a :class:`ChatCompletion` says it as :attr:`ChatCompletion.truncated`.

    >>> is_truncated("length"), is_truncated("stop"), is_truncated(None)
    (True, False, False)
    """
    return finish_reason == "length"


_KNOWN_TOP = frozenset(
    {"id", "model", "choices", "usage", "created", "system_fingerprint", "object", "citations"}
)
_KNOWN_MESSAGE = frozenset(
    {"role", "content", "reasoning_content", "reasoning", "tool_calls", "refusal", "name"}
)
_KNOWN_USAGE = frozenset({"prompt_tokens", "completion_tokens", "total_tokens"})

# The parsers below run once per answer: the checks are written inline, and a JSON object
# (a dict) passes ``isinstance(x, (dict, Mapping))`` without the slower Mapping check.


def parse_completion(body: object, *, inline_think_tags: bool = False) -> ChatCompletion:
    """Parse a ``chat.completion`` JSON body; raise if it is not one."""
    if not isinstance(body, (dict, Mapping)) or not isinstance(
        raw_choices := body.get("choices"), list
    ):
        raise APIResponseValidationError(
            "The server's answer is not a chat completion (no 'choices' list).", body=body
        )
    choices = [_parse_choice(raw, i, inline_think_tags) for i, raw in enumerate(raw_choices)]
    if not choices:
        raise APIResponseValidationError("The server's answer has no choices.", body=body)
    found = citations_from_body(body) if "citations" in body or "search_info" in body else []
    for choice in choices:
        annotations = choice.message.extra.get("annotations")
        if annotations is not None:
            found.extend(citations_from_annotations(annotations))
    # once each, in order, as a stream gives them
    citations = list(dict.fromkeys(found)) if found else found
    created = body.get("created")
    answer_id, model = body.get("id"), body.get("model")
    fingerprint = body.get("system_fingerprint")
    return ChatCompletion(
        id=answer_id if isinstance(answer_id, str) else None,
        model=model if isinstance(model, str) else None,
        choices=choices,
        usage=parse_usage(body.get("usage")),
        created=created if isinstance(created, int) else None,
        system_fingerprint=fingerprint if isinstance(fingerprint, str) else None,
        citations=citations,
        extra=_unknown(body, _KNOWN_TOP),
    )


def _parse_choice(raw: object, position: int, inline_think_tags: bool) -> Choice:
    if not isinstance(raw, (dict, Mapping)):
        raise APIResponseValidationError(f"choices[{position}] is not an object.", body=raw)
    message = raw.get("message")
    if not isinstance(message, (dict, Mapping)):
        message = {}
    content = message.get("content")
    if isinstance(content, list):  # some vendors answer with parts
        content = "".join(p.get("text", "") for p in content if isinstance(p, Mapping))
    # Empty text is "no text", as a stream that sent none would say.
    if not (isinstance(content, str) and content):
        content = None
    reasoning = message.get("reasoning_content")
    if not (isinstance(reasoning, str) and reasoning):
        reasoning = message.get("reasoning")
        if not (isinstance(reasoning, str) and reasoning):
            reasoning = None
    if inline_think_tags and content and reasoning is None:
        reasoning, content = split_think_tags(content)
        reasoning, content = reasoning or None, content or None
    raw_calls = message.get("tool_calls")
    calls, invalid = parse_tool_calls(raw_calls) if raw_calls is not None else ([], [])
    index, finish_reason = raw.get("index"), raw.get("finish_reason")
    refusal, name = message.get("refusal"), message.get("name")
    return Choice(
        index=index if isinstance(index, int) else position,
        message=AssistantMessage(
            content=content,
            reasoning=reasoning,
            tool_calls=calls,
            invalid_tool_calls=invalid,
            refusal=refusal if isinstance(refusal, str) else None,
            name=name if isinstance(name, str) else None,
            extra=_unknown(message, _KNOWN_MESSAGE),
        ),
        finish_reason=finish_reason if isinstance(finish_reason, str) else None,
        logprobs=raw.get("logprobs"),
    )


def parse_tool_calls(raw: object) -> tuple[list[ToolCall], list[InvalidToolCall]]:
    """Split the wire ``tool_calls`` into parsed calls and calls with bad arguments."""
    calls: list[ToolCall] = []
    invalid: list[InvalidToolCall] = []
    if not isinstance(raw, list):
        return calls, invalid
    for item in raw:
        function = item.get("function") if isinstance(item, Mapping) else None
        if not isinstance(function, Mapping):
            continue
        call_id = _str(item.get("id")) if isinstance(item, Mapping) else None
        name = _str(function.get("name"))
        arguments = function.get("arguments")
        if isinstance(arguments, Mapping):  # a few vendors send an object, not text
            arguments = json.dumps(arguments, ensure_ascii=False)
        text = arguments if isinstance(arguments, str) else ""
        parsed, error = parse_arguments(text)
        if error is None and name and parsed is not None:
            calls.append(
                ToolCall(id=call_id or "", name=name, arguments=parsed, raw_arguments=text)
            )
        else:
            invalid.append(
                InvalidToolCall(call_id, name, text, error or "The tool call has no name.")
            )
    return calls, invalid


def parse_arguments(text: str) -> tuple[dict[str, Any] | None, str | None]:
    """Parse tool-call arguments: ``(dict, None)``, or ``(None, what is wrong)``.

    Empty text means no arguments, as several vendors send for argument-less tools. Raw
    control characters inside strings are accepted (a literal newline in generated code
    is common from real models), as LangChain's own parser accepts them; text that is not
    JSON is still an error, with the reason.

    >>> parse_arguments('{"code": "print(1)\\nprint(2)"}')
    ({'code': 'print(1)\\nprint(2)'}, None)
    """
    if not text.strip():
        return {}, None
    try:
        value = jsonsafe.loads(text, strict=False)
    except ValueError as exc:  # jsonsafe.JSONTooDeep included: the call is invalid
        return None, f"Arguments are not valid JSON: {exc}"
    if not isinstance(value, dict):
        return None, f"Arguments must be a JSON object, got {type(value).__name__}."
    return value, None


def parse_usage(raw: object) -> Usage | None:
    """Read a ``usage`` object, including cached and reasoning token details."""
    if not isinstance(raw, (dict, Mapping)):
        return None
    prompt = raw.get("prompt_tokens")
    if not isinstance(prompt, int) or isinstance(prompt, bool):
        prompt = 0
    completion = raw.get("completion_tokens")
    if not isinstance(completion, int) or isinstance(completion, bool):
        completion = 0
    total = raw.get("total_tokens")
    if not isinstance(total, int) or isinstance(total, bool):
        total = 0
    details = raw.get("prompt_tokens_details")
    cached = details.get("cached_tokens") if isinstance(details, Mapping) else None
    if cached is None:  # DeepSeek reports cache hits at the top level
        cached = raw.get("prompt_cache_hit_tokens")
    details = raw.get("completion_tokens_details")
    reasoning = details.get("reasoning_tokens") if isinstance(details, Mapping) else None
    return Usage(
        prompt_tokens=prompt,
        completion_tokens=completion,
        total_tokens=total or prompt + completion,
        cached_tokens=cached if isinstance(cached, int) else None,
        reasoning_tokens=reasoning if isinstance(reasoning, int) else None,
        extra={k: v for k, v in raw.items() if k not in _KNOWN_USAGE},
    )


def _unknown(fields: Mapping[str, Any], known: frozenset[str]) -> dict[str, Any]:
    """The fields not in ``known``, kept as they came (most answers have none)."""
    if fields.keys() <= known:
        return {}
    return {k: v for k, v in fields.items() if k not in known}


def _str(value: object) -> str | None:
    return value if isinstance(value, str) else None
