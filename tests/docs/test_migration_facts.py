"""The migration page's two tables, row by row: what is taken, what is refused, the defaults.

A row whose answer starts with "refused" must make the model refuse each argument it
names (``ConfigurationError``); a row whose answer starts with "the same" must have each
argument taken, with a value a user would pass. ``tests/test_migration_arguments.py``
checks the refusals that name the argument to write instead; this file checks that the
tables hold no row the code disagrees with, and the defaults they compare.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import httpx
import pytest

from langchain_mixroute import ChatMixroute
from llama_index_mixroute import Mixroute
from mixroute import ConfigurationError
from mixroute.settings import DEFAULT_TIMEOUT

PAGE = (Path(__file__).resolve().parents[2] / "docs/migration.md").read_text()
KEY = "sk-mixroute-migrating-0123456789"
# A value a user would pass for each argument a table says is taken as it is.
TAKEN: dict[str, Any] = {
    "model": "glm-5",
    "model_name": "glm-5",
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
    "reasoning_effort": "high",
    "max_retries": 3,
    "streaming": True,
    "stream_usage": False,
    "default_headers": {"X-Team": "search"},
    "model_kwargs": {"verbosity": "low"},
    "extra_body": {"store": False},
    "http_client": httpx.Client(),
    "http_async_client": httpx.AsyncClient(),
    "async_http_client": httpx.AsyncClient(),
    "name": "writer",
    "cache": False,
    "callbacks": [],
    "tags": ["docs"],
    "metadata": {"team": "search"},
    "rate_limiter": None,
    "disable_streaming": False,
    "output_version": "v1",
    "profile": {"max_input_tokens": 8192},
    "verbose": False,
    "custom_get_token_ids": None,
    "max_tokens": 256,
    "additional_kwargs": {"user": "u-1"},
    "strict": True,
    "system_prompt": "Be brief.",
    "messages_to_prompt": None,
    "completion_to_prompt": None,
    "output_parser": None,
    "pydantic_program_mode": "default",
    "query_wrapper_prompt": None,
    "callback_manager": None,
    "timeout": 30.0,
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


ADAPTERS = [
    (ChatMixroute, "## LangChain: `ChatOpenAI` → `ChatMixroute`"),
    (Mixroute, "## LlamaIndex: `OpenAILike` → `Mixroute`"),
]


@pytest.mark.parametrize(("cls", "heading"), ADAPTERS, ids=["ChatMixroute", "Mixroute"])
def test_every_argument_a_row_says_is_refused_is_refused(cls: type[Any], heading: str) -> None:
    refused = arguments(heading, "refused")
    assert len(refused) >= 7
    for argument in refused:
        # the error names the argument (quoted as unknown, or in what to remove)
        with pytest.raises(ConfigurationError, match=rf"(?<!\w){argument}(?!\w)"):
            build(cls, argument, "x")


@pytest.mark.parametrize(("cls", "heading"), ADAPTERS, ids=["ChatMixroute", "Mixroute"])
def test_every_argument_a_row_says_is_the_same_is_taken(cls: type[Any], heading: str) -> None:
    same = arguments(heading, "the same")
    assert len(same) >= 15
    for argument in same:
        build(cls, argument, TAKEN[argument])


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
