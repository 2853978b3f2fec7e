"""The clients the benchmarks compare: raw httpx (the anchor), the core, and later adapters.

A contender opens its clients against the local server, then offers three calls that do
the same work as the others: ``small_call`` (one non-streamed completion, returns its
text), ``stream_call`` (one streamed completion, returns how many content deltas it saw)
and ``async_call`` (a non-streamed completion on the async client). Its ``import_statement``
is what the import-time and memory figures load. Packages are imported inside ``open``,
never at module level, so the runner and the memory probe load only what they measure.

To add a contender (the LangChain and LlamaIndex adapters, say): subclass
:class:`Contender`, name its ``requires`` modules (it is skipped with a note when one is
missing), and append it to :data:`CONTENDERS`.
"""

from __future__ import annotations

import importlib.util
import json
from typing import Any

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


class RawHttpx(Contender):
    """The floor: httpx and ``json`` only, the least any client must do."""

    key = "raw"
    label = "raw httpx"
    import_statement = "import httpx"
    requires = ("httpx",)
    install = "httpx"

    def open(self, base_url: str, chunks: int) -> None:
        import httpx

        self.url = f"{base_url}/chat/completions"
        self.headers = {"Authorization": f"Bearer {API_KEY}"}
        # The core's pool size, so the async figure compares clients, not pool settings
        # (httpx's default keeps 20 idle connections: at 50 in flight it would reconnect).
        self.limits = httpx.Limits(max_connections=200, max_keepalive_connections=50)
        self.client = httpx.Client(headers=self.headers, limits=self.limits, timeout=TIMEOUT)
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
        import httpx

        self.aclient = httpx.AsyncClient(headers=self.headers, limits=self.limits, timeout=TIMEOUT)

    async def async_call(self) -> str:
        response = await self.aclient.post(self.url, json=self.body)
        content: str = response.json()["choices"][0]["message"]["content"]
        return content

    async def aclose(self) -> None:
        await self.aclient.aclose()

    def close(self) -> None:
        self.client.close()


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


class LangChainOpenAI(Contender):
    """langchain-openai's ``ChatOpenAI``: the reference the LangChain adapter is held to.

    Written to its documented API; it runs only where ``langchain-openai`` is installed.
    """

    key = "langchain-openai"
    label = "ChatOpenAI"
    import_statement = "import langchain_openai"
    requires = ("langchain_openai",)
    install = "langchain-openai"

    def open(self, base_url: str, chunks: int) -> None:
        from langchain_openai import ChatOpenAI

        self.base_url, self.chunks = base_url, chunks
        self.llm: Any = ChatOpenAI(
            model=MODEL, base_url=base_url, api_key=API_KEY, max_retries=0, timeout=TIMEOUT
        )
        self.streaming_llm: Any = self.llm.bind(max_tokens=chunks)

    def small_call(self) -> str:
        return str(self.llm.invoke([("user", PROMPT)]).content)

    def stream_call(self) -> int:
        return sum(1 for chunk in self.streaming_llm.stream([("user", PROMPT)]) if chunk.content)

    async def aopen(self) -> None:
        pass

    async def async_call(self) -> str:
        return str((await self.llm.ainvoke([("user", PROMPT)])).content)


class LlamaIndexOpenAILike(Contender):
    """LlamaIndex's ``OpenAILike``: the reference the LlamaIndex adapter is held to.

    Written to its documented API; it runs only where ``llama-index-llms-openai-like`` is
    installed.
    """

    key = "llama-index-openai-like"
    label = "OpenAILike"
    import_statement = "import llama_index.llms.openai_like"
    requires = ("llama_index.llms.openai_like",)
    install = "llama-index-llms-openai-like"

    def open(self, base_url: str, chunks: int) -> None:
        from llama_index.core.llms import ChatMessage
        from llama_index.llms.openai_like import OpenAILike

        self.messages = [ChatMessage(role="user", content=PROMPT)]
        self.llm: Any = OpenAILike(
            model=MODEL,
            api_base=base_url,
            api_key=API_KEY,
            is_chat_model=True,
            max_retries=0,
            timeout=TIMEOUT,
            max_tokens=chunks,
        )

    def small_call(self) -> str:
        return str(self.llm.chat(self.messages).message.content)

    def stream_call(self) -> int:
        return sum(1 for part in self.llm.stream_chat(self.messages) if part.delta)

    async def aopen(self) -> None:
        pass

    async def async_call(self) -> str:
        return str((await self.llm.achat(self.messages)).message.content)


CONTENDERS: list[Contender] = [
    RawHttpx(),
    MixrouteCore(),
    LangChainOpenAI(),
    LlamaIndexOpenAILike(),
]
"""Every contender, the anchor first."""


def by_key(key: str) -> Contender:
    """The contender named ``key``."""
    for contender in CONTENDERS:
        if contender.key == key:
            return contender
    raise KeyError(f"no contender {key!r}; known: {', '.join(c.key for c in CONTENDERS)}")
