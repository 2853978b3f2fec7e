"""The core's streamed deltas as LlamaIndex's stream of ``ChatResponse`` / ``CompletionResponse``.

Each response holds the message so far and the new text as ``delta``, as LlamaIndex
expects: thinking (``ThinkingBlock``, with the new piece in
``additional_kwargs["thinking_delta"]``), text, cited sources and tool calls whose
arguments grow chunk by chunk. When the stream ends, one closing response with an empty
``delta`` carries the assembled answer, shaped as a non-streamed call returns it (parsed
tool arguments, usage, citations). A stream that fails midway has handed out what
arrived, then raises the core's typed error.

The per-chunk path only appends strings and builds the few blocks that changed.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Awaitable, Callable, Generator
from typing import TYPE_CHECKING, Any

from llama_index.core.base.llms.types import (
    ChatMessage,
    ChatResponse,
    CitationBlock,
    CompletionResponse,
    MessageRole,
    TextBlock,
    ThinkingBlock,
    ToolCallBlock,
)

from llama_index_mixroute.responses import chat_response, citation_block, completion_response
from mixroute.accumulator import ChunkDelta

if TYPE_CHECKING:
    from mixroute.streaming import AsyncChatStream, ChatStream

__all__ = [
    "StreamAssembler",
    "achat_stream",
    "acompletion_stream",
    "chat_stream",
    "completion_stream",
]

_ASSISTANT = MessageRole.ASSISTANT


class StreamAssembler:
    """Turns the first answer's deltas into responses that each hold the message so far."""

    __slots__ = ("_calls", "_citations", "_refusal", "_text", "_thinking")

    def __init__(self) -> None:
        self._text = ""
        self._thinking = ""
        self._refusal = ""
        self._calls: list[list[Any]] = []  # [id, name, arguments so far], by position
        self._citations: list[CitationBlock] = []

    def chat(self, delta: ChunkDelta) -> ChatResponse | None:
        """The response for one delta, or ``None`` when it adds nothing to show."""
        if delta.index:  # only the first answer is read, as llama-index-llms-openai does
            return None
        content, reasoning, fragments = delta.content, delta.reasoning, delta.tool_calls
        if (
            content is None
            and reasoning is None
            and fragments is None
            and delta.citations is None
            and delta.refusal is None
        ):
            return None  # the finish reason or usage: the closing response carries them
        blocks: list[Any] = []
        if reasoning:
            self._thinking += reasoning
        if self._thinking:
            blocks.append(ThinkingBlock(content=self._thinking))
        if content:
            self._text += content
        if self._text:
            blocks.append(TextBlock(text=self._text))
        if delta.citations:
            self._citations.extend(citation_block(citation) for citation in delta.citations)
        blocks.extend(self._citations)
        extra: dict[str, Any] = {}
        if fragments:
            self._add_fragments(fragments)
        if self._calls:
            extra["tool_calls"] = self._tool_calls(blocks)
        if delta.refusal:
            self._refusal += delta.refusal
        if self._refusal:
            extra["refusal"] = self._refusal
        return ChatResponse(
            message=ChatMessage(role=_ASSISTANT, blocks=blocks, additional_kwargs=extra),
            delta=content or "",
            raw=delta,
            additional_kwargs={"thinking_delta": reasoning} if reasoning else {},
        )

    def completion(self, delta: ChunkDelta) -> CompletionResponse | None:
        """The completion response for one delta, or ``None`` when it has no text."""
        content, reasoning = delta.content, delta.reasoning
        if delta.index or (content is None and reasoning is None):
            return None
        if content:
            self._text += content
        return CompletionResponse(
            text=self._text,
            delta=content or "",
            raw=delta,
            additional_kwargs={"thinking_delta": reasoning} if reasoning else {},
        )

    def _add_fragments(self, fragments: list[Any]) -> None:
        calls = self._calls
        for fragment in fragments:
            while len(calls) <= fragment.index:
                calls.append([None, None, ""])
            call = calls[fragment.index]
            if fragment.id:
                call[0] = fragment.id
            if fragment.name:
                call[1] = fragment.name
            call[2] += fragment.arguments

    def _tool_calls(self, blocks: list[Any]) -> list[dict[str, Any]]:
        wire = []
        for call_id, name, arguments in self._calls:
            # Arguments are the JSON text so far; get_tool_calls_from_response reads it
            # as partial JSON, so agents and streamed structured output see progress.
            blocks.append(
                ToolCallBlock(tool_call_id=call_id, tool_name=name or "", tool_kwargs=arguments)
            )
            wire.append(
                {
                    "id": call_id,
                    "type": "function",
                    "function": {"name": name or "", "arguments": arguments},
                }
            )
        return wire


def chat_stream(open_stream: Callable[[], ChatStream]) -> Generator[ChatResponse, None, None]:
    """Open the stream when first iterated; yield responses, then the closing one."""
    stream = open_stream()
    try:
        assembler = StreamAssembler()
        for delta in stream:
            response = assembler.chat(delta)
            if response is not None:
                yield response
        yield chat_response(stream.completion, delta="")
    finally:
        stream.close()


async def achat_stream(
    open_stream: Callable[[], Awaitable[AsyncChatStream]],
) -> AsyncGenerator[ChatResponse, None]:
    """The async :func:`chat_stream`."""
    stream = await open_stream()
    try:
        assembler = StreamAssembler()
        async for delta in stream:
            response = assembler.chat(delta)
            if response is not None:
                yield response
        yield chat_response(stream.completion, delta="")
    finally:
        await stream.aclose()


def completion_stream(
    open_stream: Callable[[], ChatStream],
) -> Generator[CompletionResponse, None, None]:
    """Like :func:`chat_stream`, as completion responses holding the text so far."""
    stream = open_stream()
    try:
        assembler = StreamAssembler()
        for delta in stream:
            response = assembler.completion(delta)
            if response is not None:
                yield response
        yield completion_response(stream.completion, delta="")
    finally:
        stream.close()


async def acompletion_stream(
    open_stream: Callable[[], Awaitable[AsyncChatStream]],
) -> AsyncGenerator[CompletionResponse, None]:
    """The async :func:`completion_stream`."""
    stream = await open_stream()
    try:
        assembler = StreamAssembler()
        async for delta in stream:
            response = assembler.completion(delta)
            if response is not None:
                yield response
        yield completion_response(stream.completion, delta="")
    finally:
        await stream.aclose()
