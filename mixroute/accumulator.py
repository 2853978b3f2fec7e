"""Assembling streamed ``chat.completion.chunk`` objects into deltas and a final answer.

Every adapter feeds decoded chunks to one :class:`StreamAccumulator`. For each chunk it
hands back typed :class:`ChunkDelta` values (what to show now) and keeps the running
state from which :meth:`StreamAccumulator.completion` builds the same
:class:`~mixroute.ChatCompletion` a non-streamed call returns.

Vendor habits it absorbs: ``reasoning`` for ``reasoning_content``; ``role`` repeated in
every chunk; tool-call fragments without an ``index``, or a whole call per chunk all at
index 0 (each new ``id`` starts a new call); a last usage-only chunk with no choices;
citations in ``annotations`` or at the top level; an ``error`` object inside a chunk.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from mixroute.citations import Citation, citations_from_annotations, citations_from_body
from mixroute.errors import APIResponseValidationError, APIStreamError, error_message
from mixroute.response import (
    AssistantMessage,
    ChatCompletion,
    Choice,
    InvalidToolCall,
    ToolCall,
    Usage,
    parse_tool_calls,
    parse_usage,
)
from mixroute.think_tags import ThinkTagSplitter

__all__ = ["ARGUMENTS_ARRIVING", "ChunkDelta", "StreamAccumulator", "ToolCallDelta"]

ARGUMENTS_ARRIVING = "The arguments are still arriving."
"""The ``error`` of a call read while its arguments stream in (see ``message``)."""


@dataclass(slots=True)
class ToolCallDelta:
    """A fragment of a tool call; ``index`` is stable per call, ``id`` and ``name`` come once."""

    index: int
    id: str | None = None
    name: str | None = None
    arguments: str = ""


@dataclass(slots=True)
class ChunkDelta:
    """What one chunk adds to one answer (``index`` is the choice)."""

    index: int = 0
    content: str | None = None
    reasoning: str | None = None
    tool_calls: list[ToolCallDelta] | None = None
    refusal: str | None = None
    finish_reason: str | None = None
    usage: Usage | None = None
    citations: list[Citation] | None = None
    id: str | None = None
    model: str | None = None


@dataclass(slots=True)
class _ToolCallState:
    id: str | None
    name: str | None
    arguments: list[str] = field(default_factory=list)
    # The call as message() last read it; any new fragment clears it.
    parsed: ToolCall | InvalidToolCall | None = None


@dataclass(slots=True)
class _ChoiceState:
    content: list[str] = field(default_factory=list)
    reasoning: list[str] = field(default_factory=list)
    refusal: list[str] = field(default_factory=list)
    calls: list[_ToolCallState] = field(default_factory=list)
    positions: dict[int, int] = field(default_factory=dict)  # vendor index -> our position
    finish_reason: str | None = None
    logprobs: list[Any] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)
    splitter: ThinkTagSplitter | None = None


# Delta keys read by the common path; any other key (annotations, reasoning_details,
# channel, ...) sends the delta through the slower ``_keep_extra``.
_PLAIN_DELTA = frozenset(
    {"role", "content", "reasoning_content", "reasoning", "tool_calls", "refusal"}
)
_KNOWN_DELTA = _PLAIN_DELTA | {"annotations"}
# The usual chunk: one choice whose delta is a piece of text, nothing else to read.
_TEXT_ONLY_CHUNK = frozenset(
    {"id", "object", "created", "model", "system_fingerprint", "choices", "usage", "provider"}
)
_TEXT_ONLY_DELTA = frozenset({"role", "content"})


class StreamAccumulator:
    """Feed it chunk dicts in order; it returns deltas and builds the final completion.

    Fields of the wrong type (a number where text goes, ``null`` anywhere) are skipped as
    the non-streamed parser skips them; a chunk whose shape cannot be read at all raises
    :class:`~mixroute.APIResponseValidationError`.

    Args:
        inline_think_tags: split ``<think>…</think>`` at the start of content into reasoning.

    """

    __slots__ = (
        "_choices",
        "_citations",
        "_ended",
        "fingerprint",
        "id",
        "inline_think_tags",
        "model",
        "usage",
    )

    def __init__(self, *, inline_think_tags: bool = False) -> None:
        self.inline_think_tags = inline_think_tags
        self._choices: dict[int, _ChoiceState] = {}
        self._citations: list[Citation] = []
        self._ended = False  # finish() was called: every call's arguments are whole
        self.id: str | None = None
        self.model: str | None = None
        self.fingerprint: str | None = None
        self.usage: Usage | None = None

    def feed(self, chunk: Mapping[str, Any]) -> list[ChunkDelta]:
        """Take one decoded chunk; return the deltas it carries (one per choice touched)."""
        text_only = self._text_only(chunk)
        if text_only is not None:
            return text_only
        if chunk.get("error"):
            raise APIStreamError(
                error_message(chunk) or "The server reported an error mid-stream.", body=chunk
            )
        if self.id is None:
            chunk_id = chunk.get("id")
            if isinstance(chunk_id, str):
                self.id = chunk_id
        model = chunk.get("model")
        if model and isinstance(model, str):
            self.model = model
        fingerprint = chunk.get("system_fingerprint")
        if fingerprint and isinstance(fingerprint, str):
            self.fingerprint = fingerprint
        deltas: list[ChunkDelta] = []
        choices = chunk.get("choices")
        if choices:
            if not isinstance(choices, list):
                raise APIResponseValidationError(
                    "A stream chunk's 'choices' is not a list.", body=chunk
                )
            for raw in choices:
                deltas.append(self._feed_choice(raw))
        usage = chunk.get("usage")
        if not usage:  # Groq has sent it only inside its own x_groq object
            groq = chunk.get("x_groq")
            usage = groq.get("usage") if groq and isinstance(groq, Mapping) else None
        if usage:
            parsed = parse_usage(usage)
            if parsed is not None:
                self.usage = parsed
                if deltas:
                    deltas[-1].usage = parsed
                else:
                    deltas.append(ChunkDelta(usage=parsed))
        if "citations" in chunk or "search_info" in chunk:
            self._add_citations(citations_from_body(chunk), deltas)
        if deltas:
            deltas[0].id = self.id
            deltas[0].model = self.model
        return deltas

    def _text_only(self, chunk: Mapping[str, Any]) -> list[ChunkDelta] | None:
        """The fast path for a chunk that only adds text to an answer; else ``None``.

        It reads exactly what the general path would, for the shape most chunks have.
        """
        choices = chunk.get("choices")
        if type(choices) is not list or len(choices) != 1 or chunk.get("usage"):
            return None
        raw = choices[0]
        if type(raw) is not dict or raw.get("finish_reason") is not None or raw.get("logprobs"):
            return None
        delta = raw.get("delta")
        index = raw.get("index", 0)
        if type(delta) is not dict or type(index) is not int:
            return None
        content = delta.get("content")
        if type(content) is not str or not (delta.keys() <= _TEXT_ONLY_DELTA):
            return None
        state = self._choices.get(index)
        if state is None or state.splitter is not None or not (chunk.keys() <= _TEXT_ONLY_CHUNK):
            return None
        if self.id is None:
            chunk_id = chunk.get("id")
            if type(chunk_id) is str:
                self.id = chunk_id
        model = chunk.get("model")
        if model and type(model) is str:
            self.model = model
        fingerprint = chunk.get("system_fingerprint")
        if fingerprint and type(fingerprint) is str:
            self.fingerprint = fingerprint
        if content:
            state.content.append(content)
        return [ChunkDelta(index, content or None, id=self.id, model=self.model)]

    def _feed_choice(self, raw: object) -> ChunkDelta:
        # ``type(x) is dict`` first: JSON objects are dicts, and the ABC check costs more.
        if type(raw) is not dict and not isinstance(raw, Mapping):
            raise APIResponseValidationError("A stream chunk's choice is not an object.", body=raw)
        index = raw.get("index")
        if not isinstance(index, int):
            index = 0
        state = self._choices.get(index)
        if state is None:
            state = self._choices[index] = _ChoiceState()
            if self.inline_think_tags:
                state.splitter = ThinkTagSplitter()
        out = ChunkDelta(index=index)
        finish_reason = raw.get("finish_reason")
        if finish_reason and isinstance(finish_reason, str):
            state.finish_reason = out.finish_reason = finish_reason
        if raw.get("logprobs"):
            state.logprobs.append(raw["logprobs"])
        delta = raw.get("delta")
        if not delta or (type(delta) is not dict and not isinstance(delta, Mapping)):
            return out
        content = delta.get("content")
        if content and not isinstance(content, str):
            content = _text_of_parts(content)
        reasoning = delta.get("reasoning_content") or delta.get("reasoning")
        if reasoning and not isinstance(reasoning, str):
            reasoning = _text(delta.get("reasoning_content")) or _text(delta.get("reasoning"))
        if content:
            if state.splitter is not None and not reasoning:
                thought, content = state.splitter.feed(content)
                reasoning = thought or None
            if content:
                state.content.append(content)
                out.content = content
        if reasoning:
            state.reasoning.append(reasoning)
            out.reasoning = reasoning
        calls = delta.get("tool_calls")
        if calls and isinstance(calls, list):
            fragments = [
                self._feed_call(state, f)
                for f in calls
                if type(f) is dict or isinstance(f, Mapping)
            ]
            out.tool_calls = fragments or None
        refusal = delta.get("refusal")
        if refusal and isinstance(refusal, str):
            state.refusal.append(refusal)
            out.refusal = refusal
        for key in delta:
            if key not in _PLAIN_DELTA:
                self._keep_extra(state, delta, out)
                break
        return out

    def _keep_extra(self, state: _ChoiceState, delta: Mapping[str, Any], out: ChunkDelta) -> None:
        annotations = delta.get("annotations")
        if annotations and isinstance(annotations, list):
            self._add_citations(citations_from_annotations(annotations), [out])
            state.extra.setdefault("annotations", []).extend(annotations)
        extra = state.extra
        for key, value in delta.items():
            if key in _KNOWN_DELTA or value is None:
                continue
            # Lists (reasoning_details, ...) arrive in pieces: keep every piece, in order.
            kept = extra.get(key)
            if isinstance(value, list) and isinstance(kept, list):
                kept.extend(value)
            elif isinstance(value, list):
                extra[key] = list(value)
            else:
                extra[key] = value

    def _add_citations(self, found: list[Citation], deltas: list[ChunkDelta]) -> None:
        new = [c for c in found if c not in self._citations]
        if not new:
            return
        self._citations.extend(new)
        if not deltas:
            deltas.append(ChunkDelta())
        deltas[-1].citations = new

    @staticmethod
    def _feed_call(state: _ChoiceState, fragment: Mapping[str, Any]) -> ToolCallDelta:
        calls = state.calls
        function = fragment.get("function")
        if type(function) is not dict and not isinstance(function, Mapping):
            function = {}
        call_id = fragment.get("id")
        if not call_id or not isinstance(call_id, str):
            call_id = None
        vendor_index = fragment.get("index")
        if isinstance(vendor_index, int):
            position = state.positions.get(vendor_index)
            if position is None or (call_id and calls[position].id not in (None, call_id)):
                position = state.positions[vendor_index] = len(calls)  # new call, new id
        else:
            position = _position_without_index(calls, call_id)
        if position == len(calls):
            calls.append(_ToolCallState(None, None))
        call = calls[position]
        out = ToolCallDelta(index=position)
        if call_id and call.id is None:
            call.id = out.id = call_id
        name = function.get("name")
        if name and call.name is None and isinstance(name, str):
            call.name = out.name = name
        arguments = function.get("arguments")
        if arguments and type(arguments) is not str:
            # A few vendors send an object, not text; anything else is not arguments.
            is_object = isinstance(arguments, Mapping)
            arguments = json.dumps(arguments, ensure_ascii=False) if is_object else None
        if arguments:
            call.arguments.append(arguments)
            out.arguments = arguments
        call.parsed = None
        return out

    def finish(self) -> list[ChunkDelta]:
        """At the end of the stream: release text held back by the think-tag splitter."""
        self._ended = True
        deltas: list[ChunkDelta] = []
        for index, state in self._choices.items():
            if state.splitter is None:
                continue
            reasoning, content = state.splitter.flush()
            if reasoning or content:
                if reasoning:
                    state.reasoning.append(reasoning)
                if content:
                    state.content.append(content)
                deltas.append(
                    ChunkDelta(index=index, content=content or None, reasoning=reasoning or None)
                )
        return deltas

    def message(self, index: int = 0) -> AssistantMessage:
        """Return the answer so far for one choice (complete once the stream has ended).

        Cheap enough to call after every chunk: the text is joined only from the pieces
        that came since the last call, and only the tool calls that changed are parsed
        again. A call still arriving is an invalid call holding its arguments so far; while
        the answer goes on, arguments that cannot be a whole object yet (they do not end
        in ``}``) are not parsed at all, which would scan them on every read.
        """
        state = self._choices.get(index)
        if state is None:
            return AssistantMessage()
        calls: list[ToolCall] = []
        invalid: list[InvalidToolCall] = []
        over = self._ended or state.finish_reason is not None
        for call in state.calls:
            parsed = call.parsed
            if parsed is None:
                parsed = _read_call(call, over)
            if type(parsed) is ToolCall:
                calls.append(parsed)
            else:
                invalid.append(parsed)  # type: ignore[arg-type]  # the other kind
        reasoning, refusal = state.reasoning, state.refusal  # usually none: no call
        return AssistantMessage(
            content=_joined(state.content),
            reasoning=_joined(reasoning) if reasoning else None,
            tool_calls=calls,
            invalid_tool_calls=invalid,
            refusal=_joined(refusal) if refusal else None,
            extra=dict(state.extra) if state.extra else {},
        )

    def completion(self) -> ChatCompletion:
        """Return the whole answer, shaped as the non-streamed call returns it."""
        indexes = sorted(self._choices) or [0]
        choices = [
            Choice(
                index=i,
                message=self.message(i),
                finish_reason=self._choices[i].finish_reason if i in self._choices else None,
                logprobs=_merge_logprobs(self._choices[i].logprobs) if i in self._choices else None,
            )
            for i in indexes
        ]
        return ChatCompletion(
            id=self.id,
            model=self.model,
            choices=choices,
            usage=self.usage,
            system_fingerprint=self.fingerprint,
            citations=list(self._citations),
        )


def _joined(pieces: list[str]) -> str | None:
    """The pieces as one string, which then stays their only piece.

    So a stream read after every chunk joins the text so far once per read, and holds one
    copy of it: the string just handed out.
    """
    if not pieces:
        return None
    if len(pieces) > 1:
        pieces[:] = ("".join(pieces),)
    return pieces[0]


def _read_call(call: _ToolCallState, over: bool) -> ToolCall | InvalidToolCall:
    """The call as parsed (kept until its next fragment), or still arriving (not kept)."""
    text = _joined(call.arguments)
    if text and not over and not _may_be_whole(text):
        return InvalidToolCall(call.id, call.name, text, ARGUMENTS_ARRIVING)
    wire = {"id": call.id, "function": {"name": call.name, "arguments": text}}
    calls, invalid = parse_tool_calls([wire])
    parsed = call.parsed = calls[0] if calls else invalid[0]
    return parsed


def _may_be_whole(text: str) -> bool:
    """Whether ``text`` may be a whole JSON object, asked without reading all of it."""
    last = text[-1]
    if last.isspace():
        last = text.rstrip()[-1:]
    return last == "}"


def _position_without_index(calls: list[_ToolCallState], call_id: str | None) -> int:
    """Where a fragment with no ``index`` belongs: its id's call, a new one, or the last."""
    if call_id:
        for position, call in enumerate(calls):
            if call.id == call_id:
                return position
        return len(calls)
    return max(len(calls) - 1, 0)


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _text_of_parts(content: object) -> str | None:
    """The text of content sent as a list of parts, as the non-streamed parser reads it."""
    if isinstance(content, list):
        return "".join(
            p["text"] for p in content if isinstance(p, Mapping) and isinstance(p.get("text"), str)
        )
    return None


def _merge_logprobs(parts: list[Any]) -> Any:
    if not parts:
        return None
    content: list[Any] = []
    for part in parts:
        if isinstance(part, Mapping) and isinstance(part.get("content"), list):
            content.extend(part["content"])
    return {"content": content}
