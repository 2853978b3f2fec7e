"""Every Python block of the project's markdown runs, as written, against a stand-in gateway.

The runner (``support/markdown_blocks.py``) says how a block runs and what it must do;
the first test runs each block of the documents below, the rest prove the runner can fail.
"""

from __future__ import annotations

import textwrap
from functools import cache
from pathlib import Path

import pytest
from support.markdown_blocks import (
    ROOT,
    Block,
    BlockRun,
    blocks_in,
    problems,
    python_blocks,
    run_block,
)
from support.plausible_gateway import ANSWER, STREAMED, USAGE

# The README, the contributor guide, the PyPI page, and every page of the site (docs/).
DOCUMENTS = ("README.md", "CONTRIBUTING.md", "PYPI.md", "docs/**/*.md")

BLOCKS = blocks_in(ROOT, *DOCUMENTS)


@cache
def run_once(block: Block) -> BlockRun:
    """A document's block is run once per session, however many tests read its run."""
    return run_block(block)


@pytest.mark.parametrize(
    "block",
    [
        pytest.param(b, id=b.name, marks=[pytest.mark.skip(b.not_run)] if b.not_run else [])
        for b in BLOCKS
    ],
)
def test_the_block_runs_as_written(block: Block) -> None:
    found = problems(run_once(block))
    assert not found, "\n".join(found)


def test_the_readme_has_blocks_for_the_core_and_both_frameworks() -> None:
    readme = [block.source for block in BLOCKS if block.path.name == "README.md"]
    for name in ("from mixroute import", "langchain_mixroute", "llama_index_mixroute"):
        assert any(name in source for source in readme), name


def test_the_readme_core_block_prints_the_stream_and_the_usage_on_their_own_lines() -> None:
    (block,) = [
        b for b in BLOCKS if b.name.startswith("README.md") and "client.stream(" in b.source
    ]
    lines = run_once(block).stdout.splitlines()
    total = f"total_tokens={USAGE['total_tokens']}"
    assert len(lines) == 3
    assert lines[0].startswith(ANSWER)  # the plain answer, then its usage
    assert total in lines[0]
    assert lines[1] == STREAMED  # the stream, on a line of its own
    assert total in lines[2]  # the stream's usage


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "page.md"
    path.write_text(textwrap.dedent(text))
    return path


def run_only(path: Path) -> list[str]:
    (block,) = python_blocks(path)
    return problems(run_block(block))


def test_only_python_fenced_blocks_are_found_and_markers_are_read(tmp_path: Path) -> None:
    page = write(
        tmp_path,
        """\
        ```sh
        pip install mixroute
        ```

        ```python
        x = 1
        ```

        <!-- not run: it needs a live key -->

        ```py
        raise SystemExit(1)
        ```

        - a list item with a block:

          ~~~python
          print("indented")
          ~~~
        <!-- continues the previous block -->
        ```python title="more"
        print(x)
        ```
        """,
    )
    first, skipped, indented, continued = python_blocks(page)
    assert (first.line, first.source, first.not_run, first.previous) == (5, "x = 1\n", None, None)
    assert skipped.not_run == "it needs a live key"
    assert indented.source == 'print("indented")\n'
    assert continued.previous is indented


def test_a_continued_block_runs_after_the_one_before_and_reports_only_its_own_output(
    tmp_path: Path,
) -> None:
    page = write(
        tmp_path,
        """\
        ```python
        greeting = "hello"
        print("first")
        ```
        <!-- continues the previous block -->
        ```python
        print(greeting, "again")
        ```
        """,
    )
    first, second = python_blocks(page)
    assert run_block(first).stdout == "first\n"
    run = run_block(second)
    assert (run.returncode, run.stdout) == (0, "hello again\n")


def test_a_block_runs_alone_without_the_blocks_before_it(tmp_path: Path) -> None:
    page = write(tmp_path, "```python\nx = 1\n```\n\n```python\nprint(x)\n```\n")
    found = problems(run_block(python_blocks(page)[1]))
    assert len(found) == 1
    assert "NameError: name 'x' is not defined" in found[0]


def test_a_block_ends_as_a_script_ends_its_threads_and_exit_handlers_included(
    tmp_path: Path,
) -> None:
    page = write(
        tmp_path,
        """\
        ```python
        import atexit
        import sys
        import threading
        import time

        atexit.register(print, "at exit")
        threading.Thread(target=lambda: (time.sleep(0.2), print("thread"))).start()
        sys.exit("the reason")
        ```
        """,
    )
    run = run_block(python_blocks(page)[0])
    assert (run.returncode, run.stdout, run.stderr) == (1, "thread\nat exit\n", "the reason\n")


def test_a_bare_expression_is_reported_as_doing_nothing(tmp_path: Path) -> None:
    page = write(
        tmp_path,
        """\
        ```python
        from mixroute import MixrouteClient, UserMessage

        MixrouteClient().create("glm-5", [UserMessage("hi")]).message.content
        ```
        """,
    )
    assert run_only(page) == [
        "a statement that does nothing in a script: "
        "MixrouteClient().create('glm-5', [UserMessage('hi')]).message.content"
    ]


def test_a_block_reaches_the_stand_in_with_the_placeholder_key(tmp_path: Path) -> None:
    page = write(
        tmp_path,
        """\
        ```python
        import os
        from mixroute import MixrouteClient, UserMessage

        print(MixrouteClient().create("glm-5", [UserMessage("hi")]).message.content)
        print(os.environ["MIXROUTE_BASE_URL"].startswith("http://127.0.0.1:"))
        ```
        """,
    )
    run = run_block(python_blocks(page)[0])
    assert run.stdout == f"{ANSWER}\nTrue\n"
    (request,) = run.requests
    assert request.path == "/v1/chat/completions"
    assert request.headers["authorization"].startswith("Bearer sk-markdown-blocks-")


def test_a_stream_sharing_its_line_with_later_output_is_reported(tmp_path: Path) -> None:
    page = write(
        tmp_path,
        """\
        ```python
        from mixroute import MixrouteClient, UserMessage

        with MixrouteClient().stream("glm-5", [UserMessage("hi")]) as stream:
            for delta in stream:
                print(delta.content or "", end="")
        print("done")
        ```
        """,
    )
    assert run_only(page) == [f"printed more on the line of a streamed answer: '{STREAMED}done'"]


def test_a_block_that_prints_nothing_though_it_calls_print_is_reported(tmp_path: Path) -> None:
    page = write(tmp_path, "```python\nfor word in []:\n    print(word)\n```\n")
    assert run_only(page) == ["calls print() but printed nothing"]


def test_a_failing_block_is_reported_with_its_error(tmp_path: Path) -> None:
    page = write(tmp_path, '```python\nimport httpx\n\nhttpx.get("https://example.com")\n```\n')
    (found,) = run_only(page)
    assert found.startswith("exited with 1:")
    assert "httpx.ConnectError" in found or "httpx.ProxyError" in found
