"""The examples in the API reference's docstrings run, as written, against a stand-in gateway.

The reference pages render the docstrings of ``ChatMixroute``, ``Mixroute`` and the core
clients; every fenced ``python`` block in them (and in their public methods' docstrings)
is a program a reader may paste, so each one runs here as written:

- against :class:`~support.plausible_gateway.PlausibleGateway` on a real
  :class:`~support.local_server.LocalServer`, which shapes its answer after the request
  (a tool call when tools are sent, JSON for a schema, SSE for a stream, reasoning for a
  reasoning model, citations for a search), with ``MIXROUTE_API_KEY`` and
  ``MIXROUTE_BASE_URL`` set and the proxy variables pointing where nothing listens;
- in this process, in a fresh namespace: a fresh interpreter per block (as the markdown
  runner, :mod:`support.markdown_blocks`, does for the site's pages) would spend about
  two seconds importing the frameworks for each of some forty blocks;
- and it must exit cleanly, send at least one request, print something, and hold no
  statement that does nothing in a script (the markdown runner's rule, reused).

The markdown runner reads files; a docstring is not one, so the fences are found here by
a small extractor of the same rules (```` ``` ```` fences, indented ones in admonitions).
"""

from __future__ import annotations

import ast
import inspect
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from support.local_server import LocalServer
from support.markdown_blocks import NOWHERE, calls_print, idle_statements
from support.plausible_gateway import PlausibleGateway

from langchain_mixroute import ChatMixroute
from llama_index_mixroute import Mixroute
from mixroute import AsyncMixrouteClient, MixrouteClient, ModelProfile
from mixroute.tool_choice import forget_warnings

DOCUMENTED = (ChatMixroute, Mixroute, MixrouteClient, AsyncMixrouteClient)
"""The classes whose docstrings (their own and their public methods') are searched."""
OFFLINE = (ModelProfile,)
"""Documented classes whose examples send nothing (they read the profile table)."""

_FENCE = re.compile(r"^(?P<indent> *)(?P<fence>`{3,})\s*(?P<info>\S*)")


@dataclass(frozen=True)
class Example:
    """One fenced Python block of a docstring."""

    owner: str  # ``ChatMixroute`` or ``MixrouteClient.create``
    number: int  # its place among the owner's blocks, from 1
    source: str

    @property
    def name(self) -> str:
        return f"{self.owner}#{self.number}"


def python_fences(text: str) -> list[str]:
    """The bodies of the ```` ```python ```` blocks of ``text``, dedented by their fence."""
    lines = text.splitlines()
    found: list[str] = []
    number = 0
    while number < len(lines):
        opening = _FENCE.match(lines[number])
        number += 1
        if opening is None:
            continue
        indent, fence = len(opening["indent"]), opening["fence"]
        closing = re.compile(rf"^ *`{{{len(fence)},}}\s*$")
        body: list[str] = []
        while number < len(lines) and not closing.match(lines[number]):
            line = lines[number]
            body.append(line[indent:] if line.startswith(" " * indent) else line.lstrip(" "))
            number += 1
        number += 1  # the closing fence
        if opening["info"].lower() in ("python", "py"):
            found.append("\n".join(body) + "\n")
    return found


def docstrings_of(cls: type) -> Iterator[tuple[str, str]]:
    """``(owner, docstring)`` for the class and each public method it defines itself."""
    yield cls.__name__, inspect.getdoc(cls) or ""
    for name, member in vars(cls).items():
        if name.startswith("_") or not callable(member):
            continue
        yield f"{cls.__name__}.{name}", inspect.getdoc(member) or ""


def examples_of(*classes: type) -> list[Example]:
    return [
        Example(owner, number, source)
        for cls in classes
        for owner, doc in docstrings_of(cls)
        for number, source in enumerate(python_fences(doc), start=1)
    ]


EXAMPLES = examples_of(*DOCUMENTED)
OFFLINE_EXAMPLES = examples_of(*OFFLINE)


@pytest.fixture(scope="module")
def gateway() -> Iterator[LocalServer]:
    with LocalServer(PlausibleGateway()) as server:
        yield server


@pytest.fixture
def environment(gateway: LocalServer, monkeypatch: pytest.MonkeyPatch) -> LocalServer:
    """What a reader's shell has: the key and base URL set, and no way off this machine."""
    for name in list(os.environ):
        if name.upper().startswith("MIXROUTE_") or name.upper().endswith("_PROXY"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("MIXROUTE_API_KEY", "sk-docstring-examples-000000")
    monkeypatch.setenv("MIXROUTE_BASE_URL", gateway.base_url)
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"):
        monkeypatch.setenv(name, NOWHERE)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost,::1")
    forget_warnings()  # a process warns once per model and form; each example is a process
    return gateway


def run(example: Example) -> None:
    """Run an example as ``python example.py`` would, in a namespace of its own."""
    assert not idle_statements(example.source), "a statement that does nothing in a script"
    exec(compile(example.source, f"<{example.name}>", "exec"), {"__name__": "__main__"})


@pytest.mark.parametrize("example", EXAMPLES, ids=[e.name for e in EXAMPLES])
def test_the_example_runs_as_written(
    example: Example, environment: LocalServer, capsys: pytest.CaptureFixture[str]
) -> None:
    sent_before = len(environment.received)
    run(example)
    assert len(environment.received) > sent_before, "the example sent no request"
    if calls_print(example.source):
        assert capsys.readouterr().out.strip(), "the example calls print() but printed nothing"


@pytest.mark.parametrize("example", OFFLINE_EXAMPLES, ids=[e.name for e in OFFLINE_EXAMPLES])
def test_the_offline_example_runs_as_written(
    example: Example, environment: LocalServer, capsys: pytest.CaptureFixture[str]
) -> None:
    run(example)
    assert capsys.readouterr().out.strip(), "the example printed nothing"


def test_every_documented_class_has_examples() -> None:
    owners = {example.owner for example in EXAMPLES + OFFLINE_EXAMPLES}
    assert {cls.__name__ for cls in DOCUMENTED + OFFLINE} <= owners


def methods_called(examples: list[Example], owner: str) -> set[str]:
    """The names of the attributes called (``llm.invoke(...)``) in an owner's examples."""
    return {
        node.func.attr
        for example in examples
        if example.owner == owner
        for node in ast.walk(ast.parse(example.source))
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
    }


@pytest.mark.parametrize(
    ("owner", "ways"),
    [
        pytest.param(
            "ChatMixroute",
            {"invoke", "stream", "batch", "ainvoke", "astream", "abatch"}
            | {"bind_tools", "with_structured_output", "get_num_tokens_from_messages"},
            id="ChatMixroute",
        ),
        pytest.param(
            "Mixroute",
            {"chat", "stream_chat", "complete", "stream_complete"}
            | {"achat", "astream_chat", "acomplete", "astream_complete"}
            | {"chat_with_tools", "get_tool_calls_from_response"}
            | {"structured_predict", "as_structured_llm"},
            id="Mixroute",
        ),
        pytest.param("MixrouteClient", {"create", "stream"}, id="MixrouteClient"),
        pytest.param("AsyncMixrouteClient", {"create", "stream"}, id="AsyncMixrouteClient"),
    ],
)
def test_the_class_docstring_shows_every_way_of_calling(owner: str, ways: set[str]) -> None:
    missing = ways - methods_called(EXAMPLES, owner)
    assert not missing, f"{owner}'s docstring has no example calling {sorted(missing)}"


def test_the_extractor_finds_indented_python_fences_and_nothing_else() -> None:
    text = inspect.cleandoc(
        """
        Text.

        ```sh
        pip install mixroute
        ```

        ??? info "Indented"

            ```python
            print(1)

            if True:
                print(2)
            ```

        ```text
        print(3)
        ```
        """
    )
    assert python_fences(text) == ["print(1)\n\nif True:\n    print(2)\n"]
