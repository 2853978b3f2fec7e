"""The clients the benchmarks compare: raw httpx (the anchor), raw aiohttp (the async
limit), the core on both async transports, the two adapters, their references
(ChatOpenAI, OpenAILike) and their frameworks' floors.

A contender opens its clients against the local server, then offers three calls that do
the same work as the others: ``small_call`` (one non-streamed completion, returns its
text), ``stream_call`` (one streamed completion, returns how many content deltas it saw)
and ``async_call`` (a non-streamed completion on the async client). An ``async_only``
contender (raw aiohttp, the core or an adapter on its other async transport, a framework
over raw aiohttp) has only the async call: its sync calls would be another contender's.
Its ``import_statement`` is what the import-time and memory figures load. Packages are
imported inside ``open``, never at module level, so the runner and the memory probe load
only what they measure.

Every LangChain contender gets the same prebuilt ``[HumanMessage(PROMPT)]`` and every
LlamaIndex one the same ``[ChatMessage(role="user", ...)]``; all stream ``max_tokens=chunks``
with usage asked for, and count the deltas that carry text (the runner checks the count).

To add a contender: subclass :class:`Contender` (or :class:`LangChainContender`,
:class:`LlamaIndexContender`), name its ``requires`` modules (it is skipped with a note
when one is missing), and append it to :data:`CONTENDERS`.
"""

from __future__ import annotations

import importlib
import importlib.util
import json
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    from mixroute.settings import AsyncTransportName

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
    async_only = False  # True: only the async measure (no small call, no stream)
    async_transport = ""  # what the async client's pool runs on, once known (for the report)

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
        """Make the sync client for ``base_url`` (``…/v1``); streams ask for ``chunks``.

        An ``async_only`` contender only keeps what its ``aopen`` needs.
        """
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


# The core's pool limits (``mixroute.client.POOL_LIMITS``, checked by the runner), given to
# every client this module makes, so the async figures compare clients, not pool settings.
# Not imported from the core: raw httpx's memory and import figures must not include it.
MAX_CONNECTIONS = 1000
MAX_KEEPALIVE = 100
KEEPALIVE_EXPIRY = 5.0  # httpx's default, which the core keeps


def httpx_client(asynchronous: bool = False) -> Any:
    """An httpx client as raw httpx uses it: the key, the core's pool limits, the timeout."""
    import httpx

    limits = httpx.Limits(
        max_connections=MAX_CONNECTIONS,
        max_keepalive_connections=MAX_KEEPALIVE,
        keepalive_expiry=KEEPALIVE_EXPIRY,
    )
    headers = {"Authorization": f"Bearer {API_KEY}"}
    client = httpx.AsyncClient if asynchronous else httpx.Client
    return client(headers=headers, limits=limits, timeout=TIMEOUT)


def aiohttp_session() -> Any:
    """An aiohttp session as raw aiohttp uses it: the key, the core's limits, the timeouts.

    Made inside the running loop. The connector takes the core's connection limit
    (``limit_per_host=0``: no other) and keep-alive expiry, as the core's aiohttp transport
    gives its own; the timeouts are httpx's per phase (connect, then each read), not one
    total per request.
    """
    import aiohttp

    connector = aiohttp.TCPConnector(
        limit=MAX_CONNECTIONS, limit_per_host=0, keepalive_timeout=KEEPALIVE_EXPIRY
    )
    return aiohttp.ClientSession(
        connector=connector,
        headers={"Authorization": f"Bearer {API_KEY}"},
        timeout=aiohttp.ClientTimeout(connect=TIMEOUT, sock_read=TIMEOUT),
    )


class RawHttpx(Contender):
    """The anchor: httpx and ``json`` only, the least an httpx-based client must do."""

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


class RawAiohttp(Contender):
    """The async limit: one ``aiohttp.ClientSession`` and ``json``, the same body posted.

    Async only: its sync calls would be raw httpx's. It is what the core's async client
    runs on by default, with none of the core's work (httpx building the request and
    reading the response, the core's parsing): the least an aiohttp-based client must do.
    """

    key = "raw-aiohttp"
    label = "raw aiohttp"
    import_statement = "import aiohttp"
    requires = ("aiohttp",)
    install = "aiohttp"
    async_only = True
    footprint = False

    def open(self, base_url: str, chunks: int) -> None:
        self.url = f"{base_url}/chat/completions"
        self.body = {"model": MODEL, "messages": [{"role": "user", "content": PROMPT}]}

    async def aopen(self) -> None:
        self.session = aiohttp_session()

    async def async_call(self) -> str:
        async with self.session.post(self.url, json=self.body) as response:
            answer = await response.json()
        content: str = answer["choices"][0]["message"]["content"]
        return content

    async def aclose(self) -> None:
        await self.session.close()


class MixrouteCore(Contender):
    """The core: ``MixrouteClient`` and ``AsyncMixrouteClient``, typed messages in and out.

    The async client as users get it: ``async_transport="auto"``, aiohttp when installed
    (the ``bench`` extra installs it; the runner reports what ``auto`` chose).
    """

    key = "core"
    label = "mixroute core"
    import_statement = "import mixroute"
    requires = ("mixroute",)
    install = "-e ."
    asked_transport: AsyncTransportName = "auto"

    def open(self, base_url: str, chunks: int) -> None:
        import mixroute

        self.base_url = base_url
        self.chunks = chunks
        self.client = mixroute.MixrouteClient(
            api_key=API_KEY, base_url=base_url, max_retries=0, timeout=TIMEOUT
        )
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
            api_key=API_KEY,
            base_url=self.base_url,
            max_retries=0,
            timeout=TIMEOUT,
            async_transport=self.asked_transport,
        )
        self.async_transport = self.aclient.transport

    async def async_call(self) -> str:
        completion = await self.aclient.create(MODEL, self.messages)
        return completion.message.content or ""

    async def aclose(self) -> None:
        await self.aclient.aclose()

    def close(self) -> None:
        self.client.close()


class MixrouteCoreHttpx(MixrouteCore):
    """The core's async client on httpx's own transport (``async_transport="httpx"``).

    Async only: the setting changes nothing else, so its sync figures would be the core's.
    """

    key = "core-httpx"
    label = "mixroute core, httpx transport"
    async_only = True
    footprint = False
    asked_transport: AsyncTransportName = "httpx"


def _lacks_option(module: str, name: str, option: str) -> str | None:
    """Why the pydantic model ``module.name`` has no field ``option``, or ``None``."""
    fields = getattr(importlib.import_module(module), name).model_fields
    return None if option in fields else f"{name} has no {option} option yet"


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
    """This project's ``ChatMixroute``: the LangChain adapter over the core.

    Its async client as users get it (``async_transport`` left at ``"auto"``).
    """

    key = "langchain"
    label = "ChatMixroute"
    import_statement = "import langchain_mixroute"
    requires = ("langchain_mixroute", "langchain_core")
    install = "-e '.[langchain]'"
    options: ClassVar[dict[str, Any]] = {}

    def make(self, base_url: str) -> Any:
        from langchain_mixroute import ChatMixroute

        return ChatMixroute(
            model=MODEL,
            api_key=API_KEY,
            base_url=base_url,
            max_retries=0,
            timeout=TIMEOUT,
            **self.options,
        )

    async def aclose(self) -> None:
        await self.llm.aclose()

    def close(self) -> None:
        self.llm.close()


class LangChainMixrouteHttpx(LangChainMixroute):
    """``ChatMixroute`` with its async pool on httpx's own transport; async only."""

    key = "langchain-httpx-transport"
    label = "ChatMixroute, httpx transport"
    async_only = True
    footprint = False
    options: ClassVar[dict[str, Any]] = {"async_transport": "httpx"}

    def missing(self) -> str | None:
        found = super().missing()
        return found or _lacks_option("langchain_mixroute", "ChatMixroute", "async_transport")


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


class LangChainAiohttpFloor(LangChainContender):
    """LangChain over raw aiohttp: the framework's async floor in place, on aiohttp.

    The model of "LangChain + raw httpx" with its async call posting through one
    ``aiohttp.ClientSession`` (see :func:`aiohttp_session`): what ``ChatMixroute.ainvoke``
    is held to. Async only.
    """

    key = "langchain-aiohttp"
    label = "LangChain + raw aiohttp"
    requires = ("langchain_core", "aiohttp")
    install = "langchain-core aiohttp"
    async_only = True
    footprint = False

    def make(self, base_url: str) -> Any:
        from benchmarks.floor_langchain import AiohttpChatModel

        return AiohttpChatModel(url=f"{base_url}/chat/completions", model=MODEL)

    async def aopen(self) -> None:
        self.llm.asession = aiohttp_session()

    async def aclose(self) -> None:
        await self.llm.asession.close()


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
    """This project's ``Mixroute``: the LlamaIndex adapter over the core.

    Its async client as users get it (``async_transport`` left at ``"auto"``).
    """

    key = "llama-index"
    label = "Mixroute (LlamaIndex)"
    import_statement = "import llama_index_mixroute"
    requires = ("llama_index_mixroute", "llama_index.core")
    install = "-e '.[llama-index]'"
    options: ClassVar[dict[str, Any]] = {}

    def make(self, base_url: str) -> Any:
        from llama_index_mixroute import Mixroute

        return Mixroute(
            model=MODEL,
            api_key=API_KEY,
            api_base=base_url,
            max_retries=0,
            timeout=TIMEOUT,
            **self.options,
        )

    async def aclose(self) -> None:
        await self.llm.aclose()

    def close(self) -> None:
        self.llm.close()


class LlamaIndexMixrouteHttpx(LlamaIndexMixroute):
    """``Mixroute`` with its async pool on httpx's own transport; async only."""

    key = "llama-index-httpx-transport"
    label = "Mixroute (LlamaIndex), httpx transport"
    async_only = True
    footprint = False
    options: ClassVar[dict[str, Any]] = {"async_transport": "httpx"}

    def missing(self) -> str | None:
        found = super().missing()
        return found or _lacks_option("llama_index_mixroute", "Mixroute", "async_transport")


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
        from llama_index.llms.openai_like import OpenAILike  # type: ignore[import-untyped]

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


class LlamaIndexAiohttpFloor(LlamaIndexContender):
    """LlamaIndex over raw aiohttp: the framework's async floor in place, on aiohttp.

    The LLM of "LlamaIndex + raw httpx" with its async call posting through one
    ``aiohttp.ClientSession`` (see :func:`aiohttp_session`): what ``Mixroute.achat`` is
    held to. Async only.
    """

    key = "llama-index-aiohttp"
    label = "LlamaIndex + raw aiohttp"
    requires = ("llama_index.core", "aiohttp")
    install = "llama-index-core aiohttp"
    async_only = True
    footprint = False

    def make(self, base_url: str) -> Any:
        from benchmarks.floor_llama_index import AiohttpLLM

        return AiohttpLLM(url=f"{base_url}/chat/completions", model=MODEL)

    async def aopen(self) -> None:
        self.llm.asession = aiohttp_session()

    async def aclose(self) -> None:
        await self.llm.asession.close()


CONTENDERS: list[Contender] = [
    RawHttpx(),
    RawAiohttp(),
    MixrouteCore(),
    MixrouteCoreHttpx(),
    LangChainMixroute(),
    LangChainMixrouteHttpx(),
    LangChainOpenAI(),
    LangChainHttpxFloor(),
    LangChainAiohttpFloor(),
    LangChainFloor(),
    LlamaIndexMixroute(),
    LlamaIndexMixrouteHttpx(),
    LlamaIndexOpenAILike(),
    LlamaIndexHttpxFloor(),
    LlamaIndexAiohttpFloor(),
    LlamaIndexFloor(),
]
"""Every contender, the anchor first."""


def by_key(key: str) -> Contender:
    """The contender named ``key``."""
    for contender in CONTENDERS:
        if contender.key == key:
            return contender
    raise KeyError(f"no contender {key!r}; known: {', '.join(c.key for c in CONTENDERS)}")
