"""The LlamaIndex floor: the least a LlamaIndex LLM can cost, with and without HTTP.

:class:`FakeLLM` answers from memory what the local server answers over the wire (the same
text; the same 2,000 words streamed one per response, each response holding the text so
far in a ``TextBlock`` and the new word as ``delta``, then a closing response with usage):
LlamaIndex's own cost, measured alone. :class:`HttpxLLM` gets the same answers from the
server over raw httpx, parsing the JSON by hand: LlamaIndex's cost in place, next to the
HTTP work it wraps; :class:`AiohttpLLM` makes its async call over raw aiohttp instead, the
floor ``Mixroute.achat`` is held to. All build their responses with the same helper and go
through the entry points the adapters use (``chat``, ``stream_chat``, ``achat``), wrapped
in LlamaIndex's instrumentation decorator as every LLM's are. Whatever ``Mixroute`` costs
beyond them is the core and its own conversions.

Imported by its contenders' ``open`` only (it loads llama-index-core; the HTTP clients are
handed in, so it imports neither httpx nor aiohttp).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from llama_index.core.base.llms.types import (
    ChatMessage,
    ChatResponse,
    ChatResponseAsyncGen,
    ChatResponseGen,
    CompletionResponse,
    CompletionResponseAsyncGen,
    CompletionResponseGen,
    LLMMetadata,
    MessageRole,
    TextBlock,
)
from llama_index.core.llms.callbacks import llm_chat_callback
from llama_index.core.llms.llm import LLM

from benchmarks.server import MODEL, WORDS, completion_body, stream_events

DEFAULT_CHUNKS = 2000
_ANSWER = json.loads(completion_body())
_USAGE = json.loads(stream_events(1)[-2][6:])["usage"]


def response(text: str, delta: str | None, usage: dict[str, Any] | None) -> ChatResponse:
    """A response holding the text so far, the new piece as ``delta``, usage if known."""
    return ChatResponse(
        message=ChatMessage(role=MessageRole.ASSISTANT, blocks=[TextBlock(text=text)]),
        delta=delta,
        additional_kwargs=usage or {},
    )


def _answer(answer: dict[str, Any]) -> ChatResponse:
    return response(answer["choices"][0]["message"]["content"] or "", None, answer["usage"])


class FakeLLM(LLM):
    """A LlamaIndex LLM answering from memory: the framework's cost alone, no HTTP."""

    @property
    def metadata(self) -> LLMMetadata:
        return LLMMetadata(is_chat_model=True, model_name=MODEL)

    @classmethod
    def class_name(cls) -> str:
        return "bench_fake_llm"

    @llm_chat_callback()
    def chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
        return _answer(_ANSWER)

    @llm_chat_callback()
    async def achat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
        return _answer(_ANSWER)

    @llm_chat_callback()
    def stream_chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponseGen:
        n = kwargs.get("max_tokens") or DEFAULT_CHUNKS

        def gen() -> ChatResponseGen:
            text = ""
            for i in range(n):
                word = WORDS[i % len(WORDS)]
                text += word
                yield response(text, word, None)
            yield response(text, "", {**_USAGE, "completion_tokens": n})

        return gen()

    def complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponse:
        raise NotImplementedError

    def stream_complete(
        self, prompt: str, formatted: bool = False, **kwargs: Any
    ) -> CompletionResponseGen:
        raise NotImplementedError

    async def acomplete(
        self, prompt: str, formatted: bool = False, **kwargs: Any
    ) -> CompletionResponse:
        raise NotImplementedError

    async def astream_chat(
        self, messages: Sequence[ChatMessage], **kwargs: Any
    ) -> ChatResponseAsyncGen:
        raise NotImplementedError

    async def astream_complete(
        self, prompt: str, formatted: bool = False, **kwargs: Any
    ) -> CompletionResponseAsyncGen:
        raise NotImplementedError


class HttpxLLM(FakeLLM):
    """LlamaIndex over raw httpx: the same responses as :class:`FakeLLM`, from the wire.

    ``http`` and ``ahttp`` are the httpx clients (the async one set inside the event loop),
    ``url`` the chat-completions URL.
    """

    http: Any = None
    ahttp: Any = None
    url: str = ""
    model: str = ""

    def _body(self, messages: Sequence[ChatMessage], kwargs: dict[str, Any]) -> dict[str, Any]:
        wire = [{"role": m.role.value, "content": m.content} for m in messages]
        body: dict[str, Any] = {"model": self.model, "messages": wire}
        if kwargs.get("max_tokens"):
            body["max_tokens"] = kwargs["max_tokens"]
        return body

    @llm_chat_callback()
    def chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
        return _answer(self.http.post(self.url, json=self._body(messages, kwargs)).json())

    @llm_chat_callback()
    async def achat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
        answer = await self.ahttp.post(self.url, json=self._body(messages, kwargs))
        return _answer(answer.json())

    @llm_chat_callback()
    def stream_chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponseGen:
        body = self._body(messages, kwargs)
        body |= {"stream": True, "stream_options": {"include_usage": True}}

        def gen() -> ChatResponseGen:
            text = ""
            usage = None
            with self.http.stream("POST", self.url, json=body) as answer:
                for line in answer.iter_lines():
                    if not line.startswith("data: ") or line == "data: [DONE]":
                        continue
                    chunk = json.loads(line[6:])
                    choices = chunk["choices"]
                    if choices:
                        content = choices[0]["delta"].get("content")
                        if content:
                            text += content
                            yield response(text, content, None)
                    usage = chunk.get("usage") or usage
            yield response(text, "", usage)

        return gen()


class AiohttpLLM(HttpxLLM):
    """LlamaIndex over raw aiohttp: :class:`HttpxLLM` with its async call on aiohttp.

    ``asession`` is the ``aiohttp.ClientSession`` (set inside the event loop).
    """

    asession: Any = None

    @llm_chat_callback()
    async def achat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
        async with self.asession.post(self.url, json=self._body(messages, kwargs)) as answer:
            return _answer(await answer.json())
