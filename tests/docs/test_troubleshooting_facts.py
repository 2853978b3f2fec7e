"""The troubleshooting page's table of messages: each one produced, with its class.

The page says every message on it was produced by running code; its examples run in
``test_markdown_blocks.py``, and this file produces each row of the closing table the way
a user meets it (a stand-in server on 127.0.0.1 where a server is needed) and checks the
error's class and text. In a row, ``...`` stands for any text and ``<...>`` for the
server's words; a number the row states (600 s, 200 tokens) is used where it can be, and
replaced by the number the case sets where waiting that long is not reasonable.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from llama_index.core.prompts import PromptTemplate
from pydantic import BaseModel
from support.local_server import LocalServer, Reply
from support.plausible_gateway import USAGE, completion
from support.stalling_server import StallingServer

import mixroute
from langchain_mixroute import ChatMixroute
from llama_index_mixroute import Mixroute
from mixroute import MixrouteClient, UserMessage
from mixroute.settings import DEFAULT_BASE_URL

PAGE = (Path(__file__).resolve().parents[2] / "docs/guides/troubleshooting.md").read_text()
HELLO = [UserMessage("Hello")]
SEARCH = {"type": "function", "function": {"name": "search", "parameters": {"type": "object"}}}


def rows() -> dict[str, tuple[str, str]]:
    """The table: message -> (class cell, what-to-do cell)."""
    table = PAGE.split("## Common errors and their messages", 1)[1]
    found = re.findall(r"^\| `(.+?)` \| (.+?) \| (.+?) \|$", table, re.M)
    return {message: (classes, todo) for message, classes, todo in found}


@contextmanager
def answering(reply: Reply, **settings: Any) -> Iterator[MixrouteClient]:
    """A client (with these settings) on a server that gives this reply to every request."""
    with (
        LocalServer(lambda _: reply) as server,
        MixrouteClient("sk-test", base_url=server.base_url, max_retries=0, **settings) as client,
    ):
        yield client


def text_answer(content: str, finish: str = "stop") -> Reply:
    choice = {"index": 0, "message": {"role": "assistant", "content": content}}
    return Reply(
        200, completion("glm-5", choices=[{**choice, "finish_reason": finish}], usage=USAGE)
    )


def raised(call: Callable[[], Any]) -> mixroute.MixrouteError:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", mixroute.MixrouteWarning)
        with pytest.raises(mixroute.MixrouteError) as caught:
            call()
    return caught.value


def no_key() -> mixroute.MixrouteError:
    return raised(MixrouteClient)


def status(code: int, words: str) -> Callable[[], mixroute.MixrouteError]:
    def case() -> mixroute.MixrouteError:
        with answering(Reply(code, {"error": {"message": words}})) as client:
            return raised(lambda: client.create("glm-5", HELLO))

    return case


def wrong_base_url() -> mixroute.MixrouteError:
    with LocalServer(lambda _: Reply(404, "404 page not found\n")) as server:
        root = server.base_url.removesuffix("/v1")
        with MixrouteClient("sk-test", base_url=root, max_retries=0) as client:
            return raised(lambda: client.create("glm-5", HELLO))


def refused() -> mixroute.MixrouteError:
    with MixrouteClient("sk-test", base_url="http://127.0.0.1:9/v1", max_retries=0) as client:
        return raised(lambda: client.create("glm-5", HELLO))


def silent(**bounds: Any) -> Callable[[], mixroute.MixrouteError]:
    def case() -> mixroute.MixrouteError:
        with (
            StallingServer() as server,
            MixrouteClient("sk-test", base_url=server.base_url, max_retries=0, **bounds) as client,
        ):
            return raised(lambda: client.create("glm-5", HELLO))

    return case


def misspelt_option() -> mixroute.MixrouteError:
    with MixrouteClient("sk-test") as client:
        return raised(lambda: client.create("glm-5", HELLO, temprature=0.5))


def misspelt_setting() -> mixroute.MixrouteError:
    return raised(lambda: ChatMixroute(model="glm-5", api_key="sk-test", temprature=0.5))


def unknown_level() -> mixroute.MixrouteError:
    with MixrouteClient("sk-test") as client:
        per_call = raised(lambda: client.create("o3-mini", HELLO, reasoning_effort="extreme"))
    setting = raised(
        lambda: ChatMixroute(model="o3-mini", api_key="sk-test", reasoning_effort="extreme")
    )
    assert str(setting) == f"ChatMixroute settings: {per_call}"
    assert isinstance(setting, mixroute.ConfigurationError)
    return per_call


class City(BaseModel):
    name: str


def cut_off() -> mixroute.MixrouteError:
    """The same cut-off answer through both adapters: one message, which the row shows."""
    with LocalServer(lambda _: text_answer('{"name": "Par', "length")) as server:
        settings: dict[str, Any] = {"model": "glm-5", "max_tokens": 200}
        settings.update(api_key="sk-test", base_url=server.base_url)
        structured = ChatMixroute(**settings).with_structured_output(City)
        langchain = raised(lambda: structured.invoke("Name a city."))
        llm = Mixroute(**settings)
        llama_index = raised(lambda: llm.structured_predict(City, PromptTemplate("Name a city.")))
    assert type(langchain) is type(llama_index)
    assert str(langchain) == str(llama_index)
    return langchain


def no_tool_called() -> mixroute.MixrouteError:
    with answering(text_answer("I would rather talk.")) as client:
        return raised(lambda: client.create("glm-5", HELLO, tools=[SEARCH], tool_choice="required"))


def too_large() -> mixroute.MixrouteError:
    with answering(text_answer("x" * 4096), max_body_bytes=1024) as client:
        return raised(lambda: client.create("glm-5", HELLO))


def line_too_long() -> mixroute.MixrouteError:
    line = b"data: " + b"x" * 4096 + b"\n\n"
    stream = Reply(200, line, {"Content-Type": "text/event-stream"})
    with answering(stream, max_line_bytes=1024) as client:

        def read() -> None:
            with client.stream("glm-5", HELLO) as pieces:
                for _ in pieces:
                    pass

        return raised(read)


CASES: dict[str, tuple[Callable[[], mixroute.MixrouteError], dict[str, str]]] = {
    "ConfigurationError-key": (no_key, {}),
    "AuthenticationError": (status(401, "Invalid token"), {}),
    "NotFoundError-model": (status(404, "The model `glm-9` does not exist"), {}),
    "NotFoundError-url": (wrong_base_url, {}),
    "RateLimitError": (status(429, "Rate limit reached"), {}),
    "APIConnectionError": (refused, {}),
    "APITimeoutError-read": (silent(timeout=0.2), {}),
    "APITimeoutError-deadline": (silent(timeout=5, deadline=0.3), {"600": "0.3"}),
    "InvalidRequestError-option": (misspelt_option, {}),
    "ConfigurationError-setting": (misspelt_setting, {}),
    "reasoning_effort": (unknown_level, {}),
    "OutputTruncatedError": (cut_off, {}),
    "ToolCallNotMadeError": (no_tool_called, {}),
    "APIResponseValidationError": (too_large, {}),
    "APIStreamError": (line_too_long, {}),
}


def pattern(message: str, replacements: dict[str, str]) -> str:
    for said, used in replacements.items():
        message = message.replace(said, used)
    parts = re.split(r"(\.\.\.|<[^>]+>)", message)
    return "".join(
        ".+" if part == "..." or part.startswith("<") else re.escape(part) for part in parts
    )


def test_every_row_is_produced_here() -> None:
    assert len(rows()) == len(CASES)


@pytest.mark.parametrize(("row", "case"), list(zip(rows(), CASES, strict=True)), ids=list(CASES))
def test_each_message_of_the_table_is_what_the_code_raises(row: str, case: str) -> None:
    produce, replacements = CASES[case]
    error = produce()
    classes = re.findall(r"`(\w+)`", rows()[row][0])
    assert type(error).__name__ == classes[0], (row, repr(error))
    assert re.fullmatch(pattern(row, replacements), str(error), re.S), (row, str(error))


def test_the_openai_variables_are_never_read(monkeypatch: pytest.MonkeyPatch) -> None:
    text = " ".join(PAGE.split())
    assert "`OPENAI_BASE_URL` and `OPENAI_API_BASE` are not read" in text
    assert "(`OPENAI_API_KEY` is never read)" in text
    monkeypatch.setenv("OPENAI_API_KEY", "sk-openai-0000000000000000")
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")
    monkeypatch.setenv("OPENAI_API_BASE", "http://127.0.0.1:9/v1")
    for make in (MixrouteClient, lambda: ChatMixroute(model="glm-5"), lambda: Mixroute("glm-5")):
        with pytest.raises(mixroute.ConfigurationError, match="MIXROUTE_API_KEY"):
            make()
    monkeypatch.setenv("MIXROUTE_API_KEY", "sk-mixroute-000000000000000")
    sent: list[httpx.Request] = []

    def gateway(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(200, json=text_answer("Hi").body)

    client = httpx.Client(transport=httpx.MockTransport(gateway))
    MixrouteClient(http_client=client).create("glm-5", HELLO)
    ChatMixroute(model="glm-5", http_client=client).invoke("Hello")
    Mixroute("glm-5", http_client=client).complete("Hello")
    assert [str(request.url) for request in sent] == [f"{DEFAULT_BASE_URL}/chat/completions"] * 3
    assert {request.headers["authorization"] for request in sent} == {
        "Bearer sk-mixroute-000000000000000"
    }
