"""The three ways to ask Mixroute — the core, ChatMixroute, LlamaIndex's Mixroute — read alike.

Each layer sends one question (plain or streamed, with tools or without) and reports what
it made of the answer as an :class:`Answer`, so a quirk test states its expectation once
and holds all three to it. An error the layer raised is kept in ``Answer.error`` together
with what had been delivered before it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import reduce
from operator import add
from typing import Any, NamedTuple

from langchain_core.messages import AIMessage, AIMessageChunk
from llama_index.core.base.llms.types import (
    ChatMessage,
    ChatResponse,
    CitationBlock,
    ThinkingBlock,
)
from support.cassettes import Endpoint

from langchain_mixroute import ChatMixroute
from llama_index_mixroute import Mixroute
from mixroute import ChatCompletion, MixrouteClient, MixrouteError, UserMessage

QUESTION = "What is new today?"


class Usage(NamedTuple):
    """Token counts: prompt, completion, cache reads, reasoning."""

    prompt: int
    completion: int
    cached: int | None = None
    reasoning: int | None = None


@dataclass
class Answer:
    """What a layer made of one answer; ``pieces`` are the streamed text deltas in order."""

    content: str = ""
    reasoning: str = ""
    refusal: str = ""
    tool_calls: list[tuple[str | None, str, dict[str, Any]]] = field(default_factory=list)
    usage: Usage | None = None
    citations: list[str] = field(default_factory=list)
    pieces: list[str] = field(default_factory=list)
    thinking: list[str] = field(default_factory=list)
    error: MixrouteError | None = None
    usage_extra: dict[str, Any] = field(default_factory=dict)  # vendor extras (core only)


Ask = Callable[..., Answer]


def ask_core(
    endpoint: Endpoint, model: str, *, stream: bool, tools: list[Any] | None = None
) -> Answer:
    """Ask through :class:`mixroute.MixrouteClient` (``create`` or ``stream``)."""
    answer = Answer()
    options: dict[str, Any] = {"tools": tools} if tools else {}
    with MixrouteClient(
        api_key=endpoint.api_key, base_url=endpoint.base_url, max_retries=0
    ) as client:
        try:
            if not stream:
                _read_completion(answer, client.create(model, [UserMessage(QUESTION)], **options))
                return answer
            with client.stream(model, [UserMessage(QUESTION)], **options) as chunks:
                for delta in chunks:
                    answer.pieces.extend([delta.content] if delta.content else [])
                    answer.thinking.extend([delta.reasoning] if delta.reasoning else [])
            _read_completion(answer, chunks.completion)
        except MixrouteError as error:
            answer.error = error
    return answer


def _read_completion(answer: Answer, completion: ChatCompletion) -> None:
    message, usage = completion.message, completion.usage
    answer.content = message.content or ""
    answer.reasoning = message.reasoning or ""
    answer.refusal = message.refusal or ""
    answer.tool_calls = [(c.id, c.name, c.arguments) for c in message.tool_calls]
    if usage is not None:
        answer.usage = Usage(
            usage.prompt_tokens,
            usage.completion_tokens,
            usage.cached_tokens,
            usage.reasoning_tokens,
        )
        answer.usage_extra = usage.extra
    answer.citations = [c.url for c in completion.citations]


def ask_langchain(
    endpoint: Endpoint, model: str, *, stream: bool, tools: list[Any] | None = None
) -> Answer:
    """Ask through :class:`ChatMixroute` (``invoke`` or ``stream``, tools bound)."""
    answer = Answer()
    llm = ChatMixroute(
        model=model, api_key=endpoint.api_key, base_url=endpoint.base_url, max_retries=0
    )
    runnable: Any = llm.bind_tools(tools) if tools else llm
    chunks: list[AIMessageChunk] = []
    try:
        if not stream:
            _read_message(answer, runnable.invoke(QUESTION))
            return answer
        for chunk in runnable.stream(QUESTION):
            chunks.append(chunk)
            answer.pieces.extend([chunk.content] if chunk.content else [])
            reasoning = chunk.additional_kwargs.get("reasoning_content")
            answer.thinking.extend([reasoning] if reasoning else [])
        _read_message(answer, reduce(add, chunks))
    except MixrouteError as error:
        answer.error = error
    finally:
        llm.close()
    return answer


def _read_message(answer: Answer, message: AIMessage) -> None:
    assert isinstance(message.content, str)
    answer.content = message.content
    answer.reasoning = message.additional_kwargs.get("reasoning_content", "")
    answer.refusal = message.additional_kwargs.get("refusal", "")
    answer.tool_calls = [(c["id"], c["name"], c["args"]) for c in message.tool_calls]
    usage = message.usage_metadata
    if usage is not None:
        answer.usage = Usage(
            usage["input_tokens"],
            usage["output_tokens"],
            usage.get("input_token_details", {}).get("cache_read"),
            usage.get("output_token_details", {}).get("reasoning"),
        )
    answer.citations = [c["url"] for c in message.response_metadata.get("citations", [])]


def ask_llama_index(
    endpoint: Endpoint, model: str, *, stream: bool, tools: list[Any] | None = None
) -> Answer:
    """Ask through LlamaIndex's :class:`Mixroute` (``chat`` or ``stream_chat``)."""
    answer = Answer()
    llm = Mixroute(model, api_key=endpoint.api_key, api_base=endpoint.base_url, max_retries=0)
    messages = [ChatMessage(role="user", content=QUESTION)]
    options: dict[str, Any] = {"tools": tools} if tools else {}
    try:
        if not stream:
            _read_response(answer, llm.chat(messages, **options), llm)
            return answer
        last = None
        for response in llm.stream_chat(messages, **options):
            last = response
            answer.pieces.extend([response.delta] if response.delta else [])
            thinking = response.additional_kwargs.get("thinking_delta")
            answer.thinking.extend([thinking] if thinking else [])
        assert last is not None
        _read_response(answer, last, llm)
    except MixrouteError as error:
        answer.error = error
    finally:
        llm.close()
    return answer


def _read_response(answer: Answer, response: ChatResponse, llm: Mixroute) -> None:
    message, extra = response.message, response.additional_kwargs
    answer.content = message.content or ""
    answer.reasoning = "".join(
        b.content or "" for b in message.blocks if isinstance(b, ThinkingBlock)
    )
    answer.refusal = message.additional_kwargs.get("refusal", "")
    selections = llm.get_tool_calls_from_response(response, error_on_no_tool_call=False)
    answer.tool_calls = [(s.tool_id, s.tool_name, s.tool_kwargs) for s in selections]
    if "prompt_tokens" in extra:
        answer.usage = Usage(
            extra["prompt_tokens"],
            extra["completion_tokens"],
            extra.get("cached_tokens"),
            extra.get("reasoning_tokens"),
        )
    answer.citations = [b.source for b in message.blocks if isinstance(b, CitationBlock)]


LAYERS: dict[str, Ask] = {
    "core": ask_core,
    "langchain": ask_langchain,
    "llama_index": ask_llama_index,
}
