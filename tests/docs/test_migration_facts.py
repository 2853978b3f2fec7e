"""The migration page's two tables, row by row: what is taken, what is refused, the defaults.

A row whose answer starts with "refused" must make the model refuse each argument it
names (``ConfigurationError``). A row whose answer starts with "the same" must mean it:
each argument it names does to the request what it does in ``ChatOpenAI`` / ``OpenAILike``
(the value reaches the body or the headers sent to a stand-in server, retries and timeouts
count and bound alike, your httpx client carries the request), or is the framework's own
field, unchanged. Each such proof runs on the adapter, and on the class it replaces when
that is installed (the ``bench`` extra). ``tests/test_migration_arguments.py`` checks the
refusals that name the argument to write instead.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from langchain_core.language_models import BaseChatModel
from langchain_core.rate_limiters import InMemoryRateLimiter
from llama_index.core.callbacks import CallbackManager
from llama_index.core.llms import ChatMessage
from llama_index.core.llms.llm import LLM
from llama_index.core.output_parsers import SelectionOutputParser
from llama_index.core.prompts import PromptTemplate
from llama_index.core.tools import FunctionTool
from support.local_server import LocalServer, Received, Reply
from support.stalling_server import StallingServer

from langchain_mixroute import ChatMixroute
from llama_index_mixroute import Mixroute
from mixroute import ConfigurationError
from mixroute.settings import DEFAULT_TIMEOUT

PAGE = (Path(__file__).resolve().parents[2] / "docs/migration.md").read_text()
KEY = "sk-mixroute-migrating-0123456789"
CHAT = "## LangChain: `ChatOpenAI` → `ChatMixroute`"
LLAMA = "## LlamaIndex: `OpenAILike` → `Mixroute`"


def _counted(text: str) -> list[int]:
    return [0] * 42


# A value a user would pass for each framework field a table says is the framework's own.
OWN_VALUES: dict[str, Any] = {
    "name": "writer",
    "cache": False,
    "callbacks": [],
    "tags": ["docs"],
    "metadata": {"team": "search"},
    "rate_limiter": InMemoryRateLimiter(),
    "disable_streaming": True,
    "output_version": "v1",
    "profile": {"max_input_tokens": 8192},
    "verbose": True,
    "custom_get_token_ids": _counted,
    "system_prompt": "Be brief.",
    "messages_to_prompt": lambda messages: "prompt",
    "completion_to_prompt": lambda completion: "prompt",
    "output_parser": SelectionOutputParser(),
    "pydantic_program_mode": "llm",
    "query_wrapper_prompt": PromptTemplate("Q: {query_str}"),
    "callback_manager": CallbackManager([]),
}


def arguments(heading: str, answer: str) -> list[str]:
    """The arguments named in the rows under a heading whose second cell starts with ``answer``."""
    section = PAGE.split(heading, 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\| (.+?) \| (.+) \|$", section, re.M)[1:]
    return [
        name
        for left, right in rows
        if right.startswith(answer)
        for name in re.findall(r"`(\w+)`", left)
    ]


def build(cls: type[Any], argument: str, value: Any) -> Any:
    extra = {} if argument in {"model", "model_name"} else {"model": "o3-mini"}
    return cls(api_key=KEY, **extra, **{argument: value})


ADAPTERS = [(ChatMixroute, CHAT), (Mixroute, LLAMA)]


@pytest.mark.parametrize(("cls", "heading"), ADAPTERS, ids=["ChatMixroute", "Mixroute"])
def test_every_argument_a_row_says_is_refused_is_refused(cls: type[Any], heading: str) -> None:
    refused = arguments(heading, "refused")
    assert len(refused) >= 7
    for argument in refused:
        # the error names the argument (quoted as unknown, or in what to remove)
        with pytest.raises(ConfigurationError, match=rf"(?<!\w){argument}(?!\w)"):
            build(cls, argument, "x")


# --- "the same": each argument does what it does in the class it replaces ----------------


@dataclass(frozen=True)
class Side:
    """One of the four classes: how to make it against a server, and how to ask it once."""

    name: str
    heading: str
    make: Callable[[str, dict[str, Any]], Any]
    ask: Callable[[Any], object]
    ask_async: Callable[[Any], Awaitable[object]]


def _with_model(arguments: dict[str, Any]) -> dict[str, Any]:
    return (
        arguments
        if {"model", "model_name"} & arguments.keys()
        else {"model": "gpt-4o", **arguments}
    )


def _chat_mixroute(base_url: str, arguments: dict[str, Any]) -> Any:
    return ChatMixroute(api_key=KEY, base_url=base_url, **_with_model(arguments))


def _chat_openai(base_url: str, arguments: dict[str, Any]) -> Any:
    chat_openai = pytest.importorskip("langchain_openai").ChatOpenAI
    return chat_openai(api_key=KEY, base_url=base_url, **_with_model(arguments))


def _mixroute(base_url: str, arguments: dict[str, Any]) -> Any:
    rest = dict(arguments)
    return Mixroute(rest.pop("model", "gpt-4o"), api_key=KEY, api_base=base_url, **rest)


def _openai_like(base_url: str, arguments: dict[str, Any]) -> Any:
    openai_like = pytest.importorskip("llama_index.llms.openai_like").OpenAILike
    rest = dict(arguments)
    model = rest.pop("model", "gpt-4o")
    # OpenAILike's own defaults for these two say a model can do neither.
    rest.update(is_chat_model=True, is_function_calling_model=True)
    return openai_like(model, api_key=KEY, api_base=base_url, **rest)


def _hello() -> list[ChatMessage]:
    return [ChatMessage(role="user", content="Hi")]


CHAT_SIDES = [
    Side(name, CHAT, make, lambda llm: llm.invoke("Hi"), lambda llm: llm.ainvoke("Hi"))
    for name, make in (("ChatMixroute", _chat_mixroute), ("ChatOpenAI", _chat_openai))
]
LLAMA_SIDES = [
    Side(name, LLAMA, make, lambda llm: llm.chat(_hello()), lambda llm: llm.achat(_hello()))
    for name, make in (("Mixroute", _mixroute), ("OpenAILike", _openai_like))
]
SIDES = CHAT_SIDES + LLAMA_SIDES


@dataclass(frozen=True)
class Sent:
    """A row's argument on the wire: made with ``arguments``, ``seen`` finds ``expected``."""

    argument: str
    arguments: dict[str, Any]
    seen: Callable[[Received], Any]
    expected: Any
    ask: Callable[[Any], object] | None = field(default=None, compare=False)


def body_field(name: str) -> Callable[[Received], Any]:
    return lambda received: received.json().get(name)


def get_weather(city: str) -> str:
    """The weather in a city."""
    return f"Sunny in {city}."


def with_a_tool(llm: Any) -> object:
    return llm.chat_with_tools([FunctionTool.from_defaults(fn=get_weather)], user_msg="Hi")


SAMPLING = {
    "temperature": 0.5,
    "top_p": 0.9,
    "n": 1,
    "seed": 7,
    "presence_penalty": 0.5,
    "frequency_penalty": 0.5,
    "logit_bias": {"50256": -100},
    "logprobs": True,
    "top_logprobs": 2,
    "service_tier": "auto",
}
REASONING = Sent(
    "reasoning_effort",
    {"model": "o3-mini", "reasoning_effort": "high"},
    body_field("reasoning_effort"),
    "high",
)
HEADERS = Sent(
    "default_headers",
    {"default_headers": {"X-Team": "search"}},
    lambda received: received.headers.get("x-team"),
    "search",
)
SENT = {
    CHAT: [
        Sent("model", {"model": "glm-5"}, body_field("model"), "glm-5"),
        Sent("model_name", {"model_name": "glm-5"}, body_field("model"), "glm-5"),
        *(Sent(name, {name: value}, body_field(name), value) for name, value in SAMPLING.items()),
        REASONING,
        Sent("streaming", {"streaming": True}, body_field("stream"), True),
        Sent(
            "stream_usage",
            {"streaming": True, "stream_usage": True},
            body_field("stream_options"),
            {"include_usage": True},
        ),
        Sent(
            "stream_usage",
            {"streaming": True, "stream_usage": False},
            body_field("stream_options"),
            None,
        ),
        HEADERS,
        Sent(
            "model_kwargs", {"model_kwargs": {"verbosity": "low"}}, body_field("verbosity"), "low"
        ),
        Sent("extra_body", {"extra_body": {"store": False}}, body_field("store"), False),
    ],
    LLAMA: [
        Sent("model", {"model": "glm-5"}, body_field("model"), "glm-5"),  # positional
        Sent("temperature", {"temperature": 0.5}, body_field("temperature"), 0.5),
        Sent("max_tokens", {"max_tokens": 256}, body_field("max_tokens"), 256),
        HEADERS,
        Sent(
            "additional_kwargs",
            {"additional_kwargs": {"user": "u-1", "verbosity": "low"}},
            lambda received: (received.json().get("user"), received.json().get("verbosity")),
            ("u-1", "low"),
        ),
        Sent(
            "strict",
            {"strict": True},
            lambda received: received.json()["tools"][0]["function"].get("strict"),
            True,
            ask=with_a_tool,
        ),
        REASONING,
    ],
}
# The rows proven by the tests below other than on the wire.
NOT_ON_THE_WIRE = {
    CHAT: {"max_retries", "http_client", "http_async_client"},
    LLAMA: {"max_retries", "timeout", "http_client", "async_http_client"},
}
OWN_FIELDS = {
    CHAT: "the same (LangChain's own fields)",
    LLAMA: "the same (LlamaIndex's own fields)",
}


@pytest.mark.parametrize("heading", [CHAT, LLAMA], ids=["ChatMixroute", "Mixroute"])
def test_every_argument_a_row_says_is_the_same_is_proven_here(heading: str) -> None:
    same = set(arguments(heading, "the same"))
    assert len(same) >= 15
    on_the_wire = {sent.argument for sent in SENT[heading]}
    own = set(arguments(heading, OWN_FIELDS[heading]))
    assert same == on_the_wire | NOT_ON_THE_WIRE[heading] | own


@pytest.mark.filterwarnings("ignore:Parameters {'verbosity'} should be specified explicitly")
@pytest.mark.parametrize(
    ("side", "sent"),
    [
        pytest.param(side, sent, id=f"{side.name}-{sent.argument}-{number}")
        for side in SIDES
        for number, sent in enumerate(SENT[side.heading])
    ],
)
def test_a_setting_said_to_be_the_same_is_sent_the_same(
    plausible_server: LocalServer, side: Side, sent: Sent
) -> None:
    llm = side.make(plausible_server.base_url, sent.arguments)
    (sent.ask or side.ask)(llm)
    (received,) = plausible_server.received
    assert sent.seen(received) == sent.expected


def test_temperature_is_sent_only_when_set(plausible_server: LocalServer) -> None:
    assert (
        "| `temperature` (default 0.1, always sent) | the same, but sent only when you set it |"
        in PAGE
    )
    _mixroute(plausible_server.base_url, {}).chat(_hello())
    assert "temperature" not in plausible_server.received[0].json()


BAD_SAMPLING = {
    "temperature": 9,
    "top_p": 7,
    "n": 0,
    "seed": 1.5,
    "presence_penalty": 3,
    "frequency_penalty": -3,
    "logit_bias": "x",
    "logprobs": "x",
    "top_logprobs": 21,
    "service_tier": 5,
}


@pytest.mark.parametrize(
    ("argument", "value"),
    [pytest.param(name, value, id=name) for name, value in BAD_SAMPLING.items()],
)
def test_the_sampling_settings_are_checked_before_sending(
    plausible_server: LocalServer, argument: str, value: object
) -> None:
    assert "| the same names, checked before sending |" in PAGE
    assert set(BAD_SAMPLING) == set(SAMPLING)
    with pytest.raises(ValueError, match=argument):
        _chat_mixroute(plausible_server.base_url, {argument: value}).invoke("Hi")
    assert plausible_server.received == []


@pytest.mark.parametrize("make", [_chat_mixroute, _mixroute], ids=["ChatMixroute", "Mixroute"])
def test_reasoning_effort_is_checked_against_the_profiles_levels(make: Any) -> None:
    assert (
        "| `reasoning_effort` | the same, checked against the levels the model's profile lists |"
        in PAGE
    )
    with pytest.raises(ConfigurationError, match="use one of low, medium, high"):
        make("http://127.0.0.1:9/v1", {"model": "o3-mini", "reasoning_effort": "extreme"})


def test_typed_options_in_additional_kwargs_are_checked() -> None:
    assert "typed options (`presence_penalty`, `user`, ...) are checked, other fields sent" in PAGE
    with pytest.raises(ConfigurationError, match="presence_penalty must be a number"):
        _mixroute("http://127.0.0.1:9/v1", {"additional_kwargs": {"presence_penalty": "x"}})


@pytest.mark.parametrize("side", SIDES, ids=lambda side: side.name)
def test_max_retries_counts_the_tries_after_the_first(side: Side) -> None:
    busy = Reply(503, {"error": {"message": "busy"}}, {"Retry-After": "0.01"})
    with LocalServer(lambda _: busy) as server:
        with pytest.raises(Exception, match="busy"):  # each library's own error for a 503
            side.ask(side.make(server.base_url, {"max_retries": 1}))
        assert len(server.received) == 2


def test_chat_mixroute_retries_follow_retry_after() -> None:
    assert "| `max_retries` | the same (default 2); retries follow `Retry-After` |" in PAGE
    # Longer than the first computed wait (at most 0.5 s): waited only if followed.
    busy = Reply(503, {"error": {"message": "busy"}}, {"Retry-After": "0.8"})
    with LocalServer(lambda _: busy) as server:
        started = time.monotonic()
        with pytest.raises(Exception, match="busy"):
            _chat_mixroute(server.base_url, {"max_retries": 1}).invoke("Hi")
        assert time.monotonic() - started >= 0.8


@pytest.mark.parametrize("side", LLAMA_SIDES, ids=lambda side: side.name)
def test_timeout_is_seconds_bounding_the_wait_for_an_answer(side: Side) -> None:
    with StallingServer() as server:
        llm = side.make(server.base_url, {"timeout": 0.3, "max_retries": 0})
        started = time.monotonic()
        with pytest.raises(Exception, match=r"(?i)timed out|timeout"):
            side.ask(llm)
        assert 0.3 <= time.monotonic() - started < 3.0


CLIENT_ARGUMENTS = {
    CHAT: {"http_client": False, "http_async_client": True},
    LLAMA: {"http_client": False, "async_http_client": True},
}


@pytest.mark.parametrize(
    ("side", "argument", "is_async"),
    [
        pytest.param(side, argument, is_async, id=f"{side.name}-{argument}")
        for side in SIDES
        for argument, is_async in CLIENT_ARGUMENTS[side.heading].items()
    ],
)
def test_your_httpx_client_carries_the_request_and_is_left_open(
    plausible_server: LocalServer, side: Side, argument: str, is_async: bool
) -> None:
    assert "the same (httpx clients; yours are used as they are, and you close them)" in PAGE
    carried: list[httpx.Request] = []

    async def note(request: httpx.Request) -> None:
        carried.append(request)

    async def ask_through_yours() -> None:
        async with httpx.AsyncClient(event_hooks={"request": [note]}) as client:
            await side.ask_async(side.make(plausible_server.base_url, {argument: client}))
            assert not client.is_closed

    if is_async:
        asyncio.run(ask_through_yours())
    else:
        with httpx.Client(event_hooks={"request": [carried.append]}) as client:
            side.ask(side.make(plausible_server.base_url, {argument: client}))
            assert not client.is_closed
    assert [request.url.path for request in carried] == ["/v1/chat/completions"]
    assert len(plausible_server.received) == 1


FRAMEWORKS = [
    pytest.param(CHAT, ChatMixroute, BaseChatModel, id="ChatMixroute"),
    pytest.param(LLAMA, Mixroute, LLM, id="Mixroute"),
]


def definition(cls: type[Any], name: str) -> tuple[Any, ...]:
    """What a pydantic field means to the framework: its type and its default."""
    info = cls.model_fields[name]
    factory = info.default_factory
    return info.annotation, info.default, factory and factory.__qualname__


@pytest.mark.parametrize(("heading", "cls", "base"), FRAMEWORKS)
def test_the_frameworks_own_fields_are_its_fields_unchanged(
    heading: str, cls: type[Any], base: type[Any]
) -> None:
    own = arguments(heading, OWN_FIELDS[heading])
    assert len(own) >= 7
    make = _chat_mixroute if cls is ChatMixroute else _mixroute
    for name in own:
        assert definition(cls, name) == definition(base, name), name
        value = OWN_VALUES[name]
        kept = getattr(make("http://127.0.0.1:9/v1", {name: value}), name)
        # LangChain adds its versions to the metadata given, in every chat model.
        assert kept == value or value.items() <= kept.items(), name


@pytest.mark.parametrize(
    "side",
    [
        pytest.param(CHAT_SIDES[0], id="ChatMixroute"),
        pytest.param(CHAT_SIDES[1], id="ChatOpenAI"),
    ],
)
def test_custom_get_token_ids_counts_the_tokens(side: Side) -> None:
    llm = side.make("http://127.0.0.1:9/v1", {"custom_get_token_ids": _counted})
    assert llm.get_num_tokens("Hello there") == 42


@pytest.mark.parametrize(
    ("heading", "module", "name"),
    [
        pytest.param(CHAT, "langchain_openai", "ChatOpenAI", id="ChatOpenAI"),
        pytest.param(LLAMA, "llama_index.llms.openai_like", "OpenAILike", id="OpenAILike"),
    ],
)
def test_the_replaced_class_has_the_frameworks_own_fields_unchanged_too(
    heading: str, module: str, name: str
) -> None:
    original = getattr(pytest.importorskip(module), name)
    base = BaseChatModel if heading == CHAT else LLM
    for field_name in arguments(heading, OWN_FIELDS[heading]):
        assert definition(original, field_name) == definition(base, field_name), field_name


def test_the_defaults_the_tables_state_are_the_adapters() -> None:
    assert "| `max_retries` | the same (default 2); retries follow `Retry-After` |" in PAGE
    assert "| `stream_usage` | the same, on by default" in PAGE
    assert "| `max_retries` (default 3) | the same (default 2) |" in PAGE
    assert (
        "| `temperature` (default 0.1, always sent) | the same, but sent only when you set it |"
        in PAGE
    )
    assert "(seconds; default 600 s to read, 5 s to connect)" in PAGE
    chat = ChatMixroute(model="glm-5", api_key=KEY)
    llm = Mixroute(model="glm-5", api_key=KEY)
    assert (chat.max_retries, chat.stream_usage) == (2, True)
    assert (llm.max_retries, llm.temperature) == (2, None)
    assert (DEFAULT_TIMEOUT.read, DEFAULT_TIMEOUT.connect) == (600.0, 5.0)
    assert llm.timeout is None  # unset: the core's default applies


def test_the_defaults_said_of_openailike_and_chatopenai_are_theirs() -> None:
    # The libraries being replaced are installed with the `bench` extra only.
    openai_like = pytest.importorskip("llama_index.llms.openai_like").OpenAILike
    openai = pytest.importorskip("llama_index.llms.openai").OpenAI
    chat_openai = pytest.importorskip("langchain_openai").ChatOpenAI
    fields = openai_like.model_fields
    stated = {
        "is_function_calling_model": "`is_function_calling_model` (default `False`)",
        "context_window": "`context_window` (default 3900)",
        "temperature": "`temperature` (default 0.1, always sent)",
        "max_retries": "`max_retries` (default 3)",
        "timeout": "`timeout` (default 60 s)",
    }
    values = {"is_function_calling_model": False, "context_window": 3900, "temperature": 0.1}
    values.update(max_retries=3, timeout=60.0)
    for name, said in stated.items():
        assert said in PAGE
        assert fields[name].default == values[name], name
    less = re.search(r"the same arguments as `OpenAILike` less five\s*\((.*?)\)", PAGE, re.S)
    assert less is not None
    named = re.findall(r"`(\w+)`", less[1])
    assert len(named) == 5
    assert set(openai_like.model_fields) - set(openai.model_fields) == set(named)
    assert "(ChatOpenAI leaves it off when you set a base URL)" in PAGE
    assert not chat_openai(api_key="sk-test", base_url="http://127.0.0.1:9/v1").stream_usage
