"""The core's ``ChatCompletion`` as LlamaIndex's ``ChatResponse`` and ``CompletionResponse``.

The message carries a ``ThinkingBlock`` for the reasoning, a ``TextBlock`` for the text,
``CitationBlock``s for the sources a search model cites and a ``ToolCallBlock`` per tool
call. As llama-index-llms-openai does, the calls are also listed in
``message.additional_kwargs["tool_calls"]`` (wire-format dicts, so memory can store them)
and the token counts sit in ``additional_kwargs``; ``raw`` is the core's completion. An
answer cut off at the token limit keeps the limit its request sent there too
(:data:`TOKEN_LIMIT`), which :func:`cut_off` names.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from llama_index.core.base.llms.types import (
    ChatMessage,
    ChatResponse,
    CitationBlock,
    CompletionResponse,
    LogProb,
    MessageRole,
    TextBlock,
    ThinkingBlock,
    ToolCallBlock,
)

from mixroute.citations import Citation
from mixroute.cut_off import TOKEN_LIMIT, CutOffPart, cut_off_error, kept_token_limit
from mixroute.errors import OutputTruncatedError
from mixroute.response import AssistantMessage, ChatCompletion, InvalidToolCall, Usage

__all__ = [
    "INVALID_TOOL_CALLS",
    "TOKEN_LIMIT",
    "assistant_message",
    "chat_message",
    "chat_response",
    "citation_block",
    "completion_response",
    "cut_off",
    "usage_kwargs",
]

INVALID_TOOL_CALLS = "invalid_tool_calls"
"""The ``message.additional_kwargs`` key listing calls whose arguments were not JSON."""


def chat_response(
    completion: ChatCompletion, delta: str | None = None, sent: Mapping[str, Any] | None = None
) -> ChatResponse:
    """The whole answer as a ``ChatResponse`` (``delta`` is set when it closes a stream).

    ``sent`` is the request body that got the answer: a cut-off answer keeps its token
    limit (:data:`TOKEN_LIMIT`).
    """
    extra = usage_kwargs(completion.usage)
    if completion.citations:
        extra["citations"] = [citation.to_dict() for citation in completion.citations]
    if (kept := kept_token_limit(completion.finish_reason, sent)) is not None:
        extra[TOKEN_LIMIT] = kept
    return ChatResponse(
        message=chat_message(completion),
        raw=completion,
        delta=delta,
        logprobs=_logprobs(completion.choices[0].logprobs),
        additional_kwargs=extra,
    )


def cut_off(response: ChatResponse, expected: CutOffPart) -> OutputTruncatedError | None:
    """The error for an answer cut off at the token limit, naming the limit it was sent.

    ``None`` for an answer that was not cut off, or not a whole answer of this LLM.
    """
    raw = response.raw
    if not isinstance(raw, ChatCompletion):
        return None
    sent = response.additional_kwargs.get(TOKEN_LIMIT)
    return cut_off_error(raw, sent=sent, expected=expected, raw=response)


def completion_response(completion: ChatCompletion, delta: str | None = None) -> CompletionResponse:
    """The answer's text as a ``CompletionResponse``, with usage and the reasoning if any."""
    message = completion.message
    extra = usage_kwargs(completion.usage)
    if message.reasoning:
        extra["reasoning_content"] = message.reasoning
    if completion.citations:
        extra["citations"] = [citation.to_dict() for citation in completion.citations]
    return CompletionResponse(
        text=message.content or "",
        raw=completion,
        delta=delta,
        logprobs=_logprobs(completion.choices[0].logprobs),
        additional_kwargs=extra,
    )


def chat_message(completion: ChatCompletion) -> ChatMessage:
    """The assistant's turn with its blocks, in the order thinking, text, citations, calls."""
    usage = completion.usage
    return assistant_message(
        completion.message,
        [citation_block(citation) for citation in completion.citations]
        if completion.citations
        else (),
        reasoning_tokens=usage.reasoning_tokens if usage is not None else None,
    )


def assistant_message(
    message: AssistantMessage,
    citations: Sequence[CitationBlock],
    *,
    reasoning_tokens: int | None = None,
    finished: bool = True,
) -> ChatMessage:
    """The core's message as a ``ChatMessage``: thinking, text, citations, then tool calls.

    A stream's responses pass ``finished=False``: every call is shown with its arguments'
    JSON text so far (LlamaIndex reads it as partial JSON), and a call still arriving is
    not listed under :data:`INVALID_TOOL_CALLS`.
    """
    blocks: list[Any] = []
    if message.reasoning:
        blocks.append(ThinkingBlock(content=message.reasoning, num_tokens=reasoning_tokens))
    if message.content:
        blocks.append(TextBlock(text=message.content))
    if citations:
        blocks.extend(citations)
    extra: dict[str, Any] = {}
    if message.tool_calls or message.invalid_tool_calls:
        wire = []
        for call in message.tool_calls:
            # Streamed, the arguments are shown as the JSON text so far, even once whole.
            kwargs = call.arguments if finished else call.raw_arguments or ""
            blocks.append(
                ToolCallBlock(tool_call_id=call.id, tool_name=call.name, tool_kwargs=kwargs)
            )
            wire.append(call.to_wire())
        for bad in message.invalid_tool_calls:
            blocks.append(
                ToolCallBlock(
                    tool_call_id=bad.id, tool_name=bad.name or "", tool_kwargs=bad.arguments or ""
                )
            )
            wire.append(_invalid_wire(bad))
        extra["tool_calls"] = wire
        if finished and message.invalid_tool_calls:
            extra[INVALID_TOOL_CALLS] = [_invalid_dict(bad) for bad in message.invalid_tool_calls]
    if message.refusal:
        extra["refusal"] = message.refusal
    return ChatMessage(role=MessageRole.ASSISTANT, blocks=blocks, additional_kwargs=extra)


def citation_block(citation: Citation) -> CitationBlock:
    """A cited source: its URL as ``source``, the quoted text (if given) as the content."""
    location = {
        key: value
        for key, value in (("start_index", citation.start_index), ("end_index", citation.end_index))
        if value is not None
    }
    return CitationBlock(
        cited_content=TextBlock(text=citation.snippet or ""),
        source=citation.url,
        title=citation.title or "",
        additional_location_info=location,
    )


def usage_kwargs(usage: Usage | None) -> dict[str, Any]:
    """Token counts under llama-index-llms-openai's keys, plus cached and reasoning tokens."""
    if usage is None:
        return {}
    counts: dict[str, Any] = {
        "prompt_tokens": usage.prompt_tokens,
        "completion_tokens": usage.completion_tokens,
        "total_tokens": usage.total_tokens,
    }
    if usage.cached_tokens is not None:
        counts["cached_tokens"] = usage.cached_tokens
    if usage.reasoning_tokens is not None:
        counts["reasoning_tokens"] = usage.reasoning_tokens
    return counts


def _invalid_wire(bad: InvalidToolCall) -> dict[str, Any]:
    return {
        "id": bad.id,
        "type": "function",
        "function": {"name": bad.name, "arguments": bad.arguments or ""},
    }


def _invalid_dict(bad: InvalidToolCall) -> dict[str, Any]:
    return {"id": bad.id, "name": bad.name, "arguments": bad.arguments, "error": bad.error}


def _logprobs(raw: object) -> list[list[LogProb]] | None:
    """OpenAI-style ``logprobs.content`` as LlamaIndex's lists of top candidates per token."""
    if raw is None:  # the usual answer: no ABC check
        return None
    if not isinstance(raw, Mapping) or not isinstance(raw.get("content"), list):
        return None
    result = []
    for token in raw["content"]:
        top = token.get("top_logprobs") if isinstance(token, Mapping) else None
        if isinstance(top, list) and top:
            result.append(
                [
                    LogProb(
                        token=item.get("token", ""),
                        logprob=item.get("logprob", 0.0),
                        bytes=item.get("bytes") or [],
                    )
                    for item in top
                    if isinstance(item, Mapping)
                ]
            )
    return result or None
