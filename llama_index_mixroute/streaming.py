"""The core's streamed deltas as LlamaIndex's stream of ``ChatResponse`` / ``CompletionResponse``.

Each response holds the message so far and the new text as ``delta``, as LlamaIndex
expects: thinking (``ThinkingBlock``, with the new piece in
``additional_kwargs["thinking_delta"]``), text, cited sources and tool calls whose
arguments grow chunk by chunk. When the stream ends, one closing response with an empty
``delta`` carries the assembled answer, shaped as a non-streamed call returns it (parsed
tool arguments, usage, citations). A stream that fails midway has handed out what
arrived, then raises the core's typed error.

The message so far is the core stream's own (``stream.message``, which joins only what
arrived since it was last read): this module keeps no copy of the text or the tool calls,
so the string a response holds is the one copy of the text so far.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Awaitable, Callable, Generator, Mapping
from typing import TYPE_CHECKING, Any, Protocol

from llama_index.core.base.llms.types import ChatResponse, CitationBlock, CompletionResponse

from llama_index_mixroute.responses import (
    assistant_message,
    chat_response,
    citation_block,
    completion_response,
)

if TYPE_CHECKING:
    from mixroute.accumulator import ChunkDelta
    from mixroute.response import AssistantMessage, ChatCompletion
    from mixroute.streaming import AsyncChatStream, ChatStream

__all__ = [
    "StreamResponses",
    "StreamState",
    "achat_stream",
    "acompletion_stream",
    "chat_stream",
    "completion_stream",
]


class StreamState(Protocol):
    """What a core stream tells about the answer so far (``ChatStream`` and its wrappers)."""

    @property
    def message(self) -> AssistantMessage:
        """The first answer so far."""

    @property
    def completion(self) -> ChatCompletion:
        """The whole answer so far."""


class StreamResponses:
    """Builds the response for each delta of a stream from the stream's own state.

    It holds the stream and the cited sources converted to blocks (rebuilt from the
    stream's completion when a delta brings new ones), nothing else.
    """

    __slots__ = ("_cited", "_stream")

    def __init__(self, stream: StreamState) -> None:
        self._stream = stream
        self._cited: list[CitationBlock] = []

    def chat(self, delta: ChunkDelta) -> ChatResponse | None:
        """The response for one delta, or ``None`` when it adds nothing to show."""
        if delta.index:  # only the first answer is read, as llama-index-llms-openai does
            return None
        content, reasoning = delta.content, delta.reasoning
        if delta.citations:
            citations = self._stream.completion.citations
            self._cited = [citation_block(citation) for citation in citations]
        elif (
            content is None
            and reasoning is None
            and delta.tool_calls is None
            and delta.refusal is None
        ):
            return None  # the finish reason or usage: the closing response carries them
        message = assistant_message(self._stream.message, self._cited, finished=False)
        return ChatResponse(
            message=message,
            delta=content or "",
            raw=delta,
            additional_kwargs={"thinking_delta": reasoning} if reasoning else {},
        )

    def completion(self, delta: ChunkDelta) -> CompletionResponse | None:
        """The completion response for one delta, or ``None`` when it has no text."""
        content, reasoning = delta.content, delta.reasoning
        if delta.index or (content is None and reasoning is None):
            return None
        return CompletionResponse(
            text=self._stream.message.content or "",
            delta=content or "",
            raw=delta,
            additional_kwargs={"thinking_delta": reasoning} if reasoning else {},
        )


def chat_stream(
    open_stream: Callable[[], ChatStream], sent: Mapping[str, Any] | None = None
) -> Generator[ChatResponse, None, None]:
    """Open the stream when first iterated; yield responses, then the closing one.

    ``sent`` is the request body, read by the closing response of a cut-off answer (see
    :func:`~llama_index_mixroute.responses.chat_response`).
    """
    stream = open_stream()
    try:
        respond = StreamResponses(stream).chat
        for delta in stream:
            response = respond(delta)
            if response is not None:
                yield response
        yield chat_response(stream.completion, delta="", sent=sent)
    finally:
        stream.close()


async def achat_stream(
    open_stream: Callable[[], Awaitable[AsyncChatStream]], sent: Mapping[str, Any] | None = None
) -> AsyncGenerator[ChatResponse, None]:
    """The async :func:`chat_stream`."""
    stream = await open_stream()
    try:
        respond = StreamResponses(stream).chat
        async for delta in stream:
            response = respond(delta)
            if response is not None:
                yield response
        yield chat_response(stream.completion, delta="", sent=sent)
    finally:
        await stream.aclose()


def completion_stream(
    open_stream: Callable[[], ChatStream],
) -> Generator[CompletionResponse, None, None]:
    """Like :func:`chat_stream`, as completion responses holding the text so far."""
    stream = open_stream()
    try:
        respond = StreamResponses(stream).completion
        for delta in stream:
            response = respond(delta)
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
        respond = StreamResponses(stream).completion
        async for delta in stream:
            response = respond(delta)
            if response is not None:
                yield response
        yield completion_response(stream.completion, delta="")
    finally:
        await stream.aclose()
