"""The core's parsed completion out, LangChain's ``ChatResult`` and ``AIMessage`` in.

The metadata and usage helpers here are shared with :mod:`langchain_mixroute.chunks`, so
a streamed answer adds up to exactly the message a plain call returns.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from langchain_core.messages import AIMessage
from langchain_core.messages.ai import InputTokenDetails, OutputTokenDetails, UsageMetadata
from langchain_core.messages.tool import invalid_tool_call, tool_call
from langchain_core.outputs import ChatGeneration, ChatResult

from mixroute import ChatCompletion, Choice, Usage
from mixroute.cut_off import TOKEN_LIMIT, kept_token_limit

__all__ = ["PROVIDER", "TOKEN_LIMIT", "chat_result", "finish_metadata", "usage_metadata"]

PROVIDER = "mixroute"
"""The ``model_provider`` in ``response_metadata``; it selects our content-block translator."""


def chat_result(completion: ChatCompletion, sent: Mapping[str, Any] | None = None) -> ChatResult:
    """Turn a completion into a ``ChatResult``, one generation per choice.

    ``sent`` is the request body that got the answer: a cut-off answer keeps its token
    limit (:data:`TOKEN_LIMIT`).
    """
    usage = usage_metadata(completion.usage) if completion.usage is not None else None
    citations = [c.to_dict() for c in completion.citations] if completion.citations else None
    generations = []
    for choice in completion.choices:
        message = _ai_message(completion, choice, usage, sent)
        if citations:
            message.response_metadata["citations"] = citations
        info: dict[str, Any] = {}
        if choice.finish_reason is not None:
            info["finish_reason"] = choice.finish_reason
        if choice.logprobs is not None:
            info["logprobs"] = choice.logprobs
        generations.append(ChatGeneration(message=message, generation_info=info or None))
    return ChatResult(generations=generations)


def _ai_message(
    completion: ChatCompletion,
    choice: Choice,
    usage: UsageMetadata | None,
    sent: Mapping[str, Any] | None,
) -> AIMessage:
    answer = choice.message
    # Only what is there is passed: every field given costs pydantic a validation.
    fields: dict[str, Any] = {"response_metadata": finish_metadata(completion, choice, sent)}
    additional: dict[str, Any] = {}
    if answer.reasoning:
        additional["reasoning_content"] = answer.reasoning
    if answer.refusal:
        additional["refusal"] = answer.refusal
    if additional:
        fields["additional_kwargs"] = additional
    if answer.tool_calls:
        fields["tool_calls"] = [
            tool_call(name=c.name, args=c.arguments, id=c.id) for c in answer.tool_calls
        ]
    if answer.invalid_tool_calls:
        fields["invalid_tool_calls"] = [
            invalid_tool_call(name=c.name, args=c.arguments, id=c.id, error=c.error)
            for c in answer.invalid_tool_calls
        ]
    if usage is not None:
        fields["usage_metadata"] = usage
    if answer.name is not None:
        fields["name"] = answer.name
    return AIMessage(content=answer.content or "", id=completion.id, **fields)


def finish_metadata(
    completion: ChatCompletion, choice: Choice, sent: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """The ``response_metadata`` known once an answer is complete (no ``None`` values).

    ``sent`` is the request body that got the answer, read only for a cut-off answer.
    """
    metadata: dict[str, Any] = {"model_provider": PROVIDER}
    if completion.model is not None:
        metadata["model_name"] = completion.model
    if choice.finish_reason is not None:
        metadata["finish_reason"] = choice.finish_reason
    if completion.id is not None:
        metadata["id"] = completion.id
    if completion.system_fingerprint is not None:
        metadata["system_fingerprint"] = completion.system_fingerprint
    if choice.message.refusal:
        metadata["refusal"] = choice.message.refusal
    if (kept := kept_token_limit(choice.finish_reason, sent)) is not None:
        metadata[TOKEN_LIMIT] = kept
    return metadata


def usage_metadata(usage: Usage) -> UsageMetadata:
    """LangChain's usage record, with cache reads, reasoning and audio where reported."""
    result = UsageMetadata(
        input_tokens=usage.prompt_tokens,
        output_tokens=usage.completion_tokens,
        total_tokens=usage.total_tokens,
    )
    input_details = InputTokenDetails()
    if usage.cached_tokens is not None:
        input_details["cache_read"] = usage.cached_tokens
    audio_in = _detail(usage.extra, "prompt_tokens_details", "audio_tokens")
    if audio_in is not None:
        input_details["audio"] = audio_in
    if input_details:
        result["input_token_details"] = input_details
    output_details = OutputTokenDetails()
    if usage.reasoning_tokens is not None:
        output_details["reasoning"] = usage.reasoning_tokens
    audio_out = _detail(usage.extra, "completion_tokens_details", "audio_tokens")
    if audio_out is not None:
        output_details["audio"] = audio_out
    if output_details:
        result["output_token_details"] = output_details
    return result


def _detail(extra: dict[str, Any], group: str, key: str) -> int | None:
    details = extra.get(group)
    value = details.get(key) if isinstance(details, dict) else None
    return value if isinstance(value, int) and not isinstance(value, bool) else None
