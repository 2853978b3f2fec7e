"""The clients the benchmarks compare: raw httpx (the anchor), the core, the two adapters,
their references (ChatOpenAI, OpenAILike) and their frameworks' floors.

A contender opens its clients against the local server, then offers three calls that do
the same work as the others: ``small_call`` (one non-streamed completion, returns its
text), ``stream_call`` (one streamed completion, returns how many content deltas it saw)
and ``async_call`` (a non-streamed completion on the async client). Its ``import_statement``
is what the import-time and memory figures load. Packages are imported inside ``open``,
never at module level, so the runner and the memory probe load only what they measure.

Every LangChain contender gets the same prebuilt ``[HumanMessage(PROMPT)]`` and every
LlamaIndex one the same ``[ChatMessage(role="user", ...)]``; all stream ``max_tokens=chunks``
with usage asked for, and count the deltas that carry text (the runner checks the count).

To add a contender: subclass :class:`Contender` (or :class:`LangChainContender`,
:class:`LlamaIndexContender`), name its ``requires`` modules (it is skipped with a note
when one is missing), and append it to :data:`CONTENDERS`.
"""

from __future__ import annotations

import importlib.util
import json
from typing import Any, ClassVar

MODEL = "gpt-4o-mini"
PROMPT = "Say hello."
EXPECTED_CONTENT = "Hello! How can I help you today?"
API_KEY = "sk-bench-0000000000000000"
TIMEOUT = 30.0


class Contender:
    """One client under test; subclasses fill in the calls."""

    key = ""
    label = ""
    import_statement = "pass"
    requires: tuple[str, ...] = ()
    install = ""  # what to install when a required module is missing
    http = True  # False for the frameworks' floors, which answer from memory
    footprint = True  # False: no import-time or peak-RSS figure (another contender's)

    def missing(self) -> str | None:
        """Why this contender cannot run here, or ``None``."""
        for module in self.requires:
            try:
                found = importlib.util.find_spec(module) is not None
            except ModuleNotFoundError:  # a dotted name whose parent is missing
                found = False
            if not found:
                return f"no module {module} (pip install {self.install})"
        return None

    def open(self, base_url: str, chunks: int) -> None:
        """Make the sync client for ``base_url`` (``…/v1``); streams ask for ``chunks``."""
        raise NotImplementedError

    def small_call(self) -> str:
        raise NotImplementedError

    def stream_call(self) -> int:
        raise NotImplementedError

    async def aopen(self) -> None:
        """Make the async client, inside the event loop that will use it."""
        raise NotImplementedError

    async def async_call(self) -> str:
        raise NotImplementedError

    async def aclose(self) -> None:
        pass

    def close(self) -> None:
        pass


def httpx_client(asynchronous: bool = False, asyncio_transport: bool = False) -> Any:
    """An httpx client as raw httpx uses it: the key, the core's pool limits, the timeout.

    ``asyncio_transport``: the async client on the core's ``mixroute.aio`` transport.
    """
    import httpx

    # The core's pool size, so the async figure compares clients, not pool settings.
    limits = httpx.Limits(max_connections=200, max_keepalive_connections=50)
    headers = {"Authorization": f"Bearer {API_KEY}"}
    if not asynchronous:
        return httpx.Client(headers=headers, limits=limits, timeout=TIMEOUT)
    transport = None
    if asyncio_transport:
        from mixroute.aio import AsyncioTransport

        transport = AsyncioTransport(limits=limits, ssl_context=httpx.create_ssl_context())
    return httpx.AsyncClient(headers=headers, limits=limits, timeout=TIMEOUT, transport=transport)


class RawHttpx(Contender):
    """The floor: httpx and ``json`` only, the least any client must do."""

    key = "raw"
    label = "raw httpx"
    import_statement = "import httpx"
    requires: tuple[str, ...] = ("httpx",)
    install = "httpx"

    def open(self, base_url: str, chunks: int) -> None:
        self.url = f"{base_url}/chat/completions"
        self.client = httpx_client()
        self.body = {"model": MODEL, "messages": [{"role": "user", "content": PROMPT}]}
        self.stream_body = {
            **self.body,
            "stream": True,
            "stream_options": {"include_usage": True},
            "max_tokens": chunks,
        }

    def small_call(self) -> str:
        response = self.client.post(self.url, json=self.body)
        content: str = response.json()["choices"][0]["message"]["content"]
        return content

    def stream_call(self) -> int:
        seen = 0
        with self.client.stream("POST", self.url, json=self.stream_body) as response:
            for line in response.iter_lines():
                if line.startswith("data: ") and line != "data: [DONE]":
                    chunk = json.loads(line[6:])
                    # Reading the text, as the core's caller does; costs ~0.1 µs a chunk.
                    choices = chunk["choices"]
                    if choices and choices[0]["delta"].get("content"):
                        seen += 1
        return seen

    async def aopen(self) -> None:
        self.aclient = httpx_client(asynchronous=True)

    async def async_call(self) -> str:
        response = await self.aclient.post(self.url, json=self.body)
        content: str = response.json()["choices"][0]["message"]["content"]
        return content

    async def aclose(self) -> None:
        await self.aclient.aclose()

    def close(self) -> None:
        self.client.close()


class RawHttpxAsyncio(RawHttpx):
    """Raw httpx again, its async client on the core's asyncio transport (``mixroute.aio``).

    The same calls as :class:`RawHttpx`; only the async client's transport differs. It
    shows what the transport alone gives, apart from the core's own work.
    """

    key = "raw-asyncio"
    label = "raw httpx, asyncio transport"
    footprint = False  # raw httpx's import and memory, plus one module of the core
    requires = ("httpx", "mixroute")
    install = "-e ."

    async def aopen(self) -> None:
        self.aclient = httpx_client(asynchronous=True, asyncio_transport=True)


class MixrouteCore(Contender):
    """The core: ``MixrouteClient`` and ``AsyncMixrouteClient``, typed messages in and out."""

    key = "core"
    label = "mixroute core"
    import_statement = "import mixroute"
    requires = ("mixroute",)
    install = "-e ."

    def open(self, base_url: str, chunks: int) -> None:
        import mixroute

        self.base_url = base_url
        self.chunks = chunks
        self.client = mixroute.MixrouteClient(api_key=API_KEY, base_url=base_url, max_retries=0)
        self.messages = [mixroute.UserMessage(PROMPT)]

    def small_call(self) -> str:
        content = self.client.create(MODEL, self.messages).message.content
        return content or ""

    def stream_call(self) -> int:
        seen = 0
        with self.client.stream(MODEL, self.messages, max_tokens=self.chunks) as stream:
            for delta in stream:
                if delta.content:
                    seen += 1
            completion = stream.completion
        if completion.usage is None or completion.finish_reason != "stop":
            raise AssertionError(f"incomplete stream: {completion.finish_reason=}")
        return seen

    async def aopen(self) -> None:
        import mixroute

        self.aclient = mixroute.AsyncMixrouteClient(
            api_key=API_KEY, base_url=self.base_url, max_retries=0
        )

    async def async_call(self) -> str:
        completion = await self.aclient.create(MODEL, self.messages)
        return completion.message.content or ""

    async def aclose(self) -> None:
        await self.aclient.aclose()

    def close(self) -> None:
        self.client.close()


class LangChainContender(Contender):
    """A LangChain chat model: ``invoke``, ``stream`` (bound to ``max_tokens``), ``ainvoke``.

    Every LangChain contender gets the same prebuilt ``[HumanMessage(PROMPT)]``, streams
    with ``max_tokens=chunks`` bound, counts the chunks whose ``content`` is not empty
    (reading the text), and checks that the usage arrived on a chunk.
    """

    http = True

    def make(self, base_url: str) -> Any:
        """The chat model, talking to ``base_url``."""
        raise NotImplementedError

    def open(self, base_url: str, chunks: int) -> None:
        from langchain_core.messages import HumanMessage

        self.base_url = base_url
        self.messages = [HumanMessage(PROMPT)]
        self.llm: Any = self.make(base_url)
        self.streaming_llm: Any = self.llm.bind(max_tokens=chunks)

    def small_call(self) -> str:
        return str(self.llm.invoke(self.messages).content)

    def stream_call(self) -> int:
        seen = 0
        usage = None
        for chunk in self.streaming_llm.stream(self.messages):
            if chunk.content:
                seen += 1
            if chunk.usage_metadata:
                usage = chunk.usage_metadata
        if usage is None:
            raise AssertionError(f"{self.label}: no usage in the stream")
        return seen

    async def aopen(self) -> None:
        pass

    async def async_call(self) -> str:
        return str((await self.llm.ainvoke(self.messages)).content)


class LangChainMixroute(LangChainContender):
    """This project's ``ChatMixroute``: the LangChain adapter over the core."""

    key = "langchain"
    label = "ChatMixroute"
    import_statement = "import langchain_mixroute"
    requires = ("langchain_mixroute", "langchain_core")
    install = "-e '.[langchain]'"

    def make(self, base_url: str) -> Any:
        from langchain_mixroute import ChatMixroute

        return ChatMixroute(
            model=MODEL, api_key=API_KEY, base_url=base_url, max_retries=0, timeout=TIMEOUT
        )

    async def aclose(self) -> None:
        await self.llm.aclose()

    def close(self) -> None:
        self.llm.close()


class LangChainOpenAI(LangChainContender):
    """langchain-openai's ``ChatOpenAI``: the reference the LangChain adapter is held to.

    ``stream_usage=True``, as ``ChatMixroute`` streams by default (against a base URL of
    its own ChatOpenAI would not ask for usage; the server sends it anyway).
    """

    key = "langchain-openai"
    label = "ChatOpenAI"
    import_statement = "import langchain_openai"
    requires = ("langchain_openai",)
    install = "langchain-openai"

    def make(self, base_url: str) -> Any:
        from langchain_openai import ChatOpenAI

        return ChatOpenAI(
            model=MODEL,
            base_url=base_url,
            api_key=API_KEY,
            max_retries=0,
            timeout=TIMEOUT,
            stream_usage=True,
        )

    async def aclose(self) -> None:
        await self.llm.root_async_client.close()

    def close(self) -> None:
        self.llm.root_client.close()


class LangChainFloor(LangChainContender):
    """LangChain itself: a chat model answering from memory (no HTTP), the framework's floor.

    Its import time is that of ``langchain_core.language_models.chat_models``, which every
    LangChain chat model imports.
    """

    key = "langchain-floor"
    label = "LangChain floor (no HTTP)"
    import_statement = "import langchain_core.language_models.chat_models"
    requires = ("langchain_core",)
    install = "langchain-core"
    http = False

    def make(self, base_url: str) -> Any:
        from benchmarks.floor_langchain import FakeChatModel

        return FakeChatModel()


class LangChainHttpxFloor(LangChainContender):
    """LangChain over raw httpx: the framework's floor in place, next to the HTTP it wraps.

    A chat model that posts with httpx and parses the JSON by hand, building the same
    messages as the floor: its overhead over raw httpx is what LangChain itself costs per
    call when it runs between HTTP calls (about twice its cost measured alone). Its import
    and memory are the floor's plus httpx's, so it has no figures of its own for those.
    """

    key = "langchain-httpx"
    label = "LangChain + raw httpx"
    requires = ("langchain_core", "httpx")
    install = "langchain-core httpx"
    footprint = False

    def make(self, base_url: str) -> Any:
        from benchmarks.floor_langchain import HttpxChatModel

        url = f"{base_url}/chat/completions"
        return HttpxChatModel(http=httpx_client(), url=url, model=MODEL)

    async def aopen(self) -> None:
        self.llm.ahttp = httpx_client(asynchronous=True)

    async def aclose(self) -> None:
        await self.llm.ahttp.aclose()

    def close(self) -> None:
        self.llm.http.close()


class LlamaIndexContender(Contender):
    """A LlamaIndex LLM: ``chat``, ``stream_chat`` (``max_tokens`` per call), ``achat``.

    Every LlamaIndex contender gets the same prebuilt ``[ChatMessage(role="user", ...)]``,
    streams with ``max_tokens=chunks`` and usage asked for, counts the responses whose
    ``delta`` is not empty (reading the text), and checks the text of the last response.
    """

    http = True
    stream_kwargs: ClassVar[dict[str, Any]] = {}

    def make(self, base_url: str) -> Any:
        """The LLM, talking to ``base_url``."""
        raise NotImplementedError

    def open(self, base_url: str, chunks: int) -> None:
        from llama_index.core.llms import ChatMessage

        self.messages = [ChatMessage(role="user", content=PROMPT)]
        self.llm: Any = self.make(base_url)
        self.stream_options = {"max_tokens": chunks, **self.stream_kwargs}

    def small_call(self) -> str:
        return str(self.llm.chat(self.messages).message.content)

    def stream_call(self) -> int:
        seen = 0
        length = 0
        last = None
        for last in self.llm.stream_chat(self.messages, **self.stream_options):
            if last.delta:
                seen += 1
                length += len(last.delta)
        if last is None or len(last.message.content or "") != length:
            raise AssertionError(f"{self.label}: the last response does not hold the text")
        return seen

    async def aopen(self) -> None:
        pass

    async def async_call(self) -> str:
        return str((await self.llm.achat(self.messages)).message.content)


class LlamaIndexMixroute(LlamaIndexContender):
    """This project's ``Mixroute``: the LlamaIndex adapter over the core."""

    key = "llama-index"
    label = "Mixroute (LlamaIndex)"
    import_statement = "import llama_index_mixroute"
    requires = ("llama_index_mixroute", "llama_index.core")
    install = "-e '.[llama-index]'"

    def make(self, base_url: str) -> Any:
        from llama_index_mixroute import Mixroute

        return Mixroute(
            model=MODEL, api_key=API_KEY, api_base=base_url, max_retries=0, timeout=TIMEOUT
        )

    async def aclose(self) -> None:
        await self.llm.aclose()

    def close(self) -> None:
        self.llm.close()


class LlamaIndexOpenAILike(LlamaIndexContender):
    """LlamaIndex's ``OpenAILike``: the reference the LlamaIndex adapter is held to.

    Streams ask for usage, as ``Mixroute`` does by default (``stream_options`` per call:
    llama-index-llms-openai drops it from non-streamed calls).
    """

    key = "llama-index-openai-like"
    label = "OpenAILike"
    import_statement = "import llama_index.llms.openai_like"
    requires = ("llama_index.llms.openai_like",)
    install = "llama-index-llms-openai-like"
    stream_kwargs: ClassVar[dict[str, Any]] = {"stream_options": {"include_usage": True}}

    def make(self, base_url: str) -> Any:
        from llama_index.llms.openai_like import OpenAILike

        return OpenAILike(
            model=MODEL,
            api_base=base_url,
            api_key=API_KEY,
            is_chat_model=True,
            max_retries=0,
            timeout=TIMEOUT,
        )

    async def aclose(self) -> None:
        client = getattr(self.llm, "_aclient", None)
        if client is not None:
            await client.close()

    def close(self) -> None:
        client = getattr(self.llm, "_client", None)
        if client is not None:
            client.close()


class LlamaIndexFloor(LlamaIndexContender):
    """LlamaIndex itself: an LLM answering from memory (no HTTP), the framework's floor.

    Its import time is that of ``llama_index.core.llms``, which every LlamaIndex LLM
    imports.
    """

    key = "llama-index-floor"
    label = "LlamaIndex floor (no HTTP)"
    import_statement = "import llama_index.core.llms"
    requires = ("llama_index.core",)
    install = "llama-index-core"
    http = False

    def make(self, base_url: str) -> Any:
        from benchmarks.floor_llama_index import FakeLLM

        return FakeLLM()


class LlamaIndexHttpxFloor(LlamaIndexContender):
    """LlamaIndex over raw httpx: the framework's floor in place, next to the HTTP it wraps.

    An LLM that posts with httpx and parses the JSON by hand, building the same responses
    as the floor: its overhead over raw httpx is what LlamaIndex itself costs per call when
    it runs between HTTP calls. No import or memory figures of its own (the floor's plus
    httpx's).
    """

    key = "llama-index-httpx"
    label = "LlamaIndex + raw httpx"
    requires = ("llama_index.core", "httpx")
    install = "llama-index-core httpx"
    footprint = False

    def make(self, base_url: str) -> Any:
        from benchmarks.floor_llama_index import HttpxLLM

        url = f"{base_url}/chat/completions"
        return HttpxLLM(http=httpx_client(), url=url, model=MODEL)

    async def aopen(self) -> None:
        self.llm.ahttp = httpx_client(asynchronous=True)

    async def aclose(self) -> None:
        await self.llm.ahttp.aclose()

    def close(self) -> None:
        self.llm.http.close()


CONTENDERS: list[Contender] = [
    RawHttpx(),
    RawHttpxAsyncio(),
    MixrouteCore(),
    LangChainMixroute(),
    LangChainOpenAI(),
    LangChainHttpxFloor(),
    LangChainFloor(),
    LlamaIndexMixroute(),
    LlamaIndexOpenAILike(),
    LlamaIndexHttpxFloor(),
    LlamaIndexFloor(),
]
"""Every contender, the anchor first."""


def by_key(key: str) -> Contender:
    """The contender named ``key``."""
    for contender in CONTENDERS:
        if contender.key == key:
            return contender
    raise KeyError(f"no contender {key!r}; known: {', '.join(c.key for c in CONTENDERS)}")
