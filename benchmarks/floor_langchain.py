"""The LangChain floor: the least a LangChain chat model can cost, with and without HTTP.

:class:`FakeChatModel` answers from memory what the local server answers over the wire
(the same text; the same 2,000 words streamed one per chunk, then a last chunk with the
finish reason and usage): LangChain's own cost, measured alone. :class:`HttpxChatModel`
gets the same answers from the server over raw httpx, parsing the JSON by hand: LangChain's
cost in place, next to the HTTP work it wraps (it comes out about twice the cost measured
alone, see README.md); :class:`AiohttpChatModel` makes its async call over raw aiohttp
instead, the floor ``ChatMixroute.ainvoke`` is held to. All build, from the same parsed
values and with the same helpers, what every LangChain chat model must build
(``AIMessage`` or ``AIMessageChunk`` and their generations), and go through the entry
points the adapters use (``invoke``, ``stream``, ``ainvoke``; the async calls are native,
not run in a thread). Whatever ``ChatMixroute`` costs beyond them is the core and its own
conversions.

Imported by its contenders' ``open`` only (it loads langchain-core; the HTTP clients are
handed in, so it imports neither httpx nor aiohttp).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult

from benchmarks.server import WORDS, completion_body, stream_events

DEFAULT_CHUNKS = 2000
_ANSWER = json.loads(completion_body())
_STREAM_END = [json.loads(event[6:]) for event in stream_events(1)[-3:-1]]  # finish, usage
_ROLES = {"human": "user", "ai": "assistant", "system": "system"}


def _usage(usage: dict[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = {
        "input_tokens": usage["prompt_tokens"],
        "output_tokens": usage["completion_tokens"],
        "total_tokens": usage["total_tokens"],
    }
    cached = usage.get("prompt_tokens_details", {}).get("cached_tokens")
    if cached is not None:
        found["input_token_details"] = {"cache_read": cached}
    reasoning = usage.get("completion_tokens_details", {}).get("reasoning_tokens")
    if reasoning is not None:
        found["output_token_details"] = {"reasoning": reasoning}
    return found


def _metadata(answer: dict[str, Any], finish_reason: str | None) -> dict[str, Any]:
    return {
        "model_name": answer["model"],
        "finish_reason": finish_reason,
        "id": answer["id"],
        "system_fingerprint": answer.get("system_fingerprint"),
    }


def chat_result(answer: dict[str, Any]) -> ChatResult:
    """A parsed ``chat.completion`` as LangChain's result."""
    choice = answer["choices"][0]
    message = AIMessage(
        content=choice["message"]["content"] or "",
        id=answer["id"],
        response_metadata=_metadata(answer, choice["finish_reason"]),
        usage_metadata=_usage(answer["usage"]),
    )
    info = {"finish_reason": choice["finish_reason"]}
    return ChatResult(generations=[ChatGeneration(message=message, generation_info=info)])


def text_chunk(content: str, chunk_id: str) -> ChatGenerationChunk:
    """One streamed piece of text."""
    return ChatGenerationChunk(message=AIMessageChunk(content=content, id=chunk_id))


def last_chunk(chunk: dict[str, Any], finish_reason: str | None) -> ChatGenerationChunk:
    """The closing chunk: finish reason and usage (from the usage-only chunk)."""
    message = AIMessageChunk(
        content="",
        id=chunk["id"],
        response_metadata=_metadata(chunk, finish_reason),
        usage_metadata=_usage(chunk["usage"]),
        chunk_position="last",
    )
    return ChatGenerationChunk(message=message, generation_info={"finish_reason": finish_reason})


class FakeChatModel(BaseChatModel):
    """A LangChain chat model answering from memory: the framework's cost alone, no HTTP."""

    @property
    def _llm_type(self) -> str:
        return "bench-fake-chat"

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: Any = None,
        **kwargs: Any,
    ) -> ChatResult:
        return chat_result(_ANSWER)

    async def _agenerate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: Any = None,
        **kwargs: Any,
    ) -> ChatResult:
        return chat_result(_ANSWER)

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: Any = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        n = kwargs.get("max_tokens") or DEFAULT_CHUNKS
        finish, usage = _STREAM_END
        for i in range(n):
            chunk = text_chunk(WORDS[i % len(WORDS)], finish["id"])
            if run_manager is not None:
                run_manager.on_llm_new_token(chunk.text, chunk=chunk)
            yield chunk
        yield last_chunk(
            {**usage, "usage": {**usage["usage"], "completion_tokens": n}},
            finish["choices"][0]["finish_reason"],
        )


class HttpxChatModel(FakeChatModel):
    """LangChain over raw httpx: the same objects as :class:`FakeChatModel`, from the wire.

    ``http`` and ``ahttp`` are the httpx clients (the async one set inside the event loop),
    ``url`` the chat-completions URL.
    """

    http: Any = None
    ahttp: Any = None
    url: str = ""
    model: str = ""

    def _body(self, messages: list[BaseMessage], kwargs: dict[str, Any]) -> dict[str, Any]:
        wire = [{"role": _ROLES[m.type], "content": m.content} for m in messages]
        body: dict[str, Any] = {"model": self.model, "messages": wire}
        if kwargs.get("max_tokens"):
            body["max_tokens"] = kwargs["max_tokens"]
        return body

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: Any = None,
        **kwargs: Any,
    ) -> ChatResult:
        return chat_result(self.http.post(self.url, json=self._body(messages, kwargs)).json())

    async def _agenerate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: Any = None,
        **kwargs: Any,
    ) -> ChatResult:
        response = await self.ahttp.post(self.url, json=self._body(messages, kwargs))
        return chat_result(response.json())

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: Any = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        body = self._body(messages, kwargs)
        body |= {"stream": True, "stream_options": {"include_usage": True}}
        finish_reason = None
        last = None
        with self.http.stream("POST", self.url, json=body) as response:
            for line in response.iter_lines():
                if not line.startswith("data: ") or line == "data: [DONE]":
                    continue
                chunk = json.loads(line[6:])
                choices = chunk["choices"]
                if choices:
                    content = choices[0]["delta"].get("content")
                    if content:
                        generation = text_chunk(content, chunk["id"])
                        if run_manager is not None:
                            run_manager.on_llm_new_token(generation.text, chunk=generation)
                        yield generation
                    finish_reason = choices[0].get("finish_reason") or finish_reason
                if chunk.get("usage"):
                    last = chunk
        if last is not None:
            yield last_chunk(last, finish_reason)


class AiohttpChatModel(HttpxChatModel):
    """LangChain over raw aiohttp: :class:`HttpxChatModel` with its async call on aiohttp.

    ``asession`` is the ``aiohttp.ClientSession`` (set inside the event loop).
    """

    asession: Any = None

    async def _agenerate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: Any = None,
        **kwargs: Any,
    ) -> ChatResult:
        async with self.asession.post(self.url, json=self._body(messages, kwargs)) as response:
            return chat_result(await response.json())
