"""The core's stream deltas out, LangChain's ``AIMessageChunk`` values in.

A delta becomes a chunk only when it carries something to show (text, reasoning, a
tool-call fragment, a refusal, citations). What is known only at the end (finish reason,
model, usage, fingerprint) goes on one last chunk, ``chunk_position="last"``, built from
the same helpers as a plain call's message, so the chunks add up to that message.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator, Mapping
from typing import TYPE_CHECKING, Any

from langchain_core.callbacks import AsyncCallbackManagerForLLMRun, CallbackManagerForLLMRun
from langchain_core.messages import AIMessageChunk
from langchain_core.messages.tool import tool_call_chunk
from langchain_core.outputs import ChatGenerationChunk

from langchain_mixroute.results import PROVIDER, finish_metadata, usage_metadata
from mixroute import ChatCompletion, ChunkDelta

if TYPE_CHECKING:
    from mixroute import AsyncChatStream, ChatStream

__all__ = ["ChunkBuilder", "astream_chunks", "stream_chunks"]


def stream_chunks(
    stream: ChatStream,
    run_manager: CallbackManagerForLLMRun | None,
    sent: Mapping[str, Any] | None = None,
) -> Iterator[ChatGenerationChunk]:
    """The chunks of a core stream, then the closing one; the stream is closed at the end.

    LangChain reports tokens to callbacks itself, except on its event-streaming path,
    which hands a ``run_manager`` in: then each chunk is reported here. ``sent`` is the
    request body, read by the closing chunk of a cut-off answer (see
    :func:`~langchain_mixroute.results.finish_metadata`).
    """
    builder = ChunkBuilder(sent)
    with stream:
        for delta in stream:
            chunk = builder.chunk(delta)
            if chunk is not None:
                if run_manager is not None:
                    run_manager.on_llm_new_token(chunk.text, chunk=chunk)
                yield chunk
        last = builder.last(stream.completion)
    if run_manager is not None:
        run_manager.on_llm_new_token("", chunk=last)
    yield last


async def astream_chunks(
    stream: AsyncChatStream,
    run_manager: AsyncCallbackManagerForLLMRun | None,
    sent: Mapping[str, Any] | None = None,
) -> AsyncIterator[ChatGenerationChunk]:
    """:func:`stream_chunks` for an async core stream."""
    builder = ChunkBuilder(sent)
    async with stream:
        async for delta in stream:
            chunk = builder.chunk(delta)
            if chunk is not None:
                if run_manager is not None:
                    await run_manager.on_llm_new_token(chunk.text, chunk=chunk)
                yield chunk
        last = builder.last(stream.completion)
    if run_manager is not None:
        await run_manager.on_llm_new_token("", chunk=last)
    yield last


class ChunkBuilder:
    """Build chunks for one streamed answer (the first choice; others are not streamed).

    >>> builder = ChunkBuilder()
    >>> builder.chunk(ChunkDelta(content="Hi", id="chatcmpl-1")).message.content
    'Hi'
    """

    __slots__ = ("message_id", "sent")

    def __init__(self, sent: Mapping[str, Any] | None = None) -> None:
        self.message_id: str | None = None
        self.sent = sent  # the request body, read by last() for a cut-off answer

    def chunk(self, delta: ChunkDelta) -> ChatGenerationChunk | None:
        """The chunk for one delta, or ``None`` when it has nothing to show now."""
        if delta.id is not None:
            self.message_id = delta.id
        if delta.index:
            return None
        content = delta.content or ""
        reasoning, calls, refusal = delta.reasoning, delta.tool_calls, delta.refusal
        if reasoning is None and calls is None and refusal is None and delta.citations is None:
            if not content:
                return None
            # The common case, kept lean: a piece of text.
            message = AIMessageChunk(
                content=content, response_metadata={"model_provider": PROVIDER}, id=self.message_id
            )
            return ChatGenerationChunk(message=message)
        additional: dict[str, Any] = {}
        if reasoning:
            additional["reasoning_content"] = reasoning
        if refusal:
            additional["refusal"] = refusal
        metadata: dict[str, Any] = {"model_provider": PROVIDER}
        if delta.citations:
            metadata["citations"] = [c.to_dict() for c in delta.citations]
        fragments = [
            tool_call_chunk(name=c.name, args=c.arguments, id=c.id, index=c.index)
            for c in calls or ()
        ]
        message = AIMessageChunk(
            content=content,
            additional_kwargs=additional,
            response_metadata=metadata,
            tool_call_chunks=fragments,
            id=self.message_id,
        )
        return ChatGenerationChunk(message=message)

    def last(self, completion: ChatCompletion) -> ChatGenerationChunk:
        """The closing chunk: finish reason, model, ids and usage of the whole answer."""
        choice = completion.choices[0]
        usage = usage_metadata(completion.usage) if completion.usage is not None else None
        message = AIMessageChunk(
            content="",
            response_metadata=finish_metadata(completion, choice, self.sent),
            usage_metadata=usage,
            id=completion.id or self.message_id,
            chunk_position="last",
        )
        info = {"finish_reason": choice.finish_reason} if choice.finish_reason else None
        return ChatGenerationChunk(message=message, generation_info=info)
