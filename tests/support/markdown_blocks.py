"""Runs the Python blocks of markdown files as written, against a stand-in for the gateway.

One runner for any markdown file (the README, PYPI.md, the documentation pages):

- **Which blocks.** A fenced block (```` ``` ```` or ``~~~``) whose info string starts with
  ``python`` or ``py``. Every other block (``sh``, ``text``, output, a tree) is prose and
  never runs: fence shell sessions and printed output as something other than Python.
- **Each block on its own.** A block runs alone, as ``python block.py`` in a fresh
  namespace, as a reader runs it who pastes that one block into a file: what it uses, it
  imports or defines itself. Nothing of an earlier block is in scope, and no state
  (``Settings.llm``, the environment) leaks from one block to the next. The process is
  forked from a warm interpreter that has imported the frameworks once
  (:mod:`support.warm_python`), which saves each block seconds of imports.
- **Markers**, HTML comments (invisible once rendered) on the lines just before the fence
  (blank lines between are allowed):

  - ``<!-- not run: <why> -->``: the block is not run (deliberately broken, a fragment
    that is not a program). The reason is required, and is the test's skip reason.
  - ``<!-- continues the previous block -->``: the block runs after the Python block
    before it in the same file (and that one's own predecessors, if it continues one too),
    in the same process and namespace; only its own output is checked.

- **Where it runs.** In a temporary folder, with ``MIXROUTE_API_KEY`` set to a placeholder
  and ``MIXROUTE_BASE_URL`` to a :class:`~support.local_server.LocalServer` answering as
  :class:`~support.plausible_gateway.PlausibleGateway` does (the documented wire format,
  shaped after each request); every other ``MIXROUTE_*`` variable of the caller is
  removed, and the proxy variables point at a port where nothing listens (loopback
  excepted), so a request meant for anywhere else fails instead of leaving the machine.
- **What it must do** (:func:`problems`): exit 0; contain no expression statement that
  does nothing in a script (a bare ``llm.invoke(...).content``, which shows its value only
  at an interactive prompt); print something when it calls ``print``; and end the line of
  a stream it prints piece by piece before printing anything else.

>>> for block in blocks_in(ROOT, "README.md"):  # doctest: +SKIP
...     assert not problems(run_block(block))
"""

from __future__ import annotations

import ast
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

from support.local_server import LocalServer, Received
from support.plausible_gateway import PlausibleGateway
from support.warm_python import run_script

__all__ = ["ROOT", "Block", "BlockRun", "blocks_in", "problems", "run_block"]

ROOT = Path(__file__).resolve().parents[2]
PLACEHOLDER_KEY = "sk-markdown-blocks-0000000000000000"
NOWHERE = "http://127.0.0.1:9"  # the discard port: nothing listens there
LOOPBACK = "127.0.0.1,localhost,::1"
SEPARATOR = "--- markdown-blocks: the block under test starts here ---"

_FENCE = re.compile(r"^(?P<indent> *)(?P<fence>`{3,}|~{3,})\s*(?P<info>[^`]*)$")
_MARKER = re.compile(r"^\s*<!--\s*(?P<text>.*?)\s*-->\s*$")
_NOT_RUN = re.compile(r"^not run:\s*(?P<why>\S.*)$")
_CONTINUES = "continues the previous block"


@dataclass(frozen=True)
class Block:
    """One Python block of a markdown file."""

    path: Path
    line: int  # of the opening fence, 1-based
    source: str
    not_run: str | None = None  # the reason given by a ``not run`` marker
    previous: Block | None = None  # the block this one continues, if it is marked so

    @property
    def name(self) -> str:
        """``README.md:53``: the file (relative to the checkout when inside it) and line."""
        path = self.path.relative_to(ROOT) if self.path.is_relative_to(ROOT) else self.path
        return f"{path}:{self.line}"

    def program(self) -> str:
        """The source that runs: the continued blocks, a separator line, then this one."""
        if self.previous is None:
            return self.source
        before = self.previous.program().replace(f"print({SEPARATOR!r})\n", "")
        return f"{before}\nprint({SEPARATOR!r})\n{self.source}"


@dataclass(frozen=True)
class BlockRun:
    """What running a block did: its exit, its own output, and what the stand-in saw."""

    block: Block
    returncode: int
    stdout: str
    stderr: str
    requests: list[Received]
    streams: list[str]  # the text of each stream the stand-in sent


def blocks_in(root: Path, *patterns: str) -> list[Block]:
    """The Python blocks of the markdown files matching ``patterns`` (globs under root)."""
    paths = sorted({path for pattern in patterns for path in root.glob(pattern)})
    return [block for path in paths for block in python_blocks(path)]


def python_blocks(path: Path) -> list[Block]:
    """The Python blocks of one markdown file, in order, with their markers read."""
    lines = path.read_text(encoding="utf-8").splitlines()
    found: list[Block] = []
    number = 0
    while number < len(lines):
        opening = _FENCE.match(lines[number])
        if opening is None:
            number += 1
            continue
        fence, indent = opening["fence"], len(opening["indent"])
        closing = re.compile(rf"^ *{fence[0]}{{{len(fence)},}}\s*$")
        end = number + 1
        while end < len(lines) and not closing.match(lines[end]):
            end += 1
        language = (opening["info"].split() or [""])[0].lower()
        if language in ("python", "py"):
            body = [_dedent(line, indent) for line in lines[number + 1 : end]]
            markers = _markers_before(lines, number)
            not_run = next((m["why"] for m in map(_NOT_RUN.match, markers) if m), None)
            previous = found[-1] if _CONTINUES in markers and found else None
            if _CONTINUES in markers and previous is None:
                raise ValueError(f"{path}:{number + 1}: continues a block, but none comes before")
            found.append(Block(path, number + 1, "\n".join(body) + "\n", not_run, previous))
        number = end + 1
    return found


def _dedent(line: str, indent: int) -> str:
    """A line of a block whose fence is indented (in a list item), without that indent."""
    return line[indent:] if line.startswith(" " * indent) else line.lstrip(" ")


def _markers_before(lines: list[str], fence: int) -> list[str]:
    """The text of the HTML comments just above a fence (blank lines may come between)."""
    markers: list[str] = []
    number = fence - 1
    while number >= 0:
        if not lines[number].strip():
            number -= 1
            continue
        marker = _MARKER.match(lines[number])
        if marker is None:
            break
        markers.append(marker["text"])
        number -= 1
    return markers


def run_block(block: Block, *, timeout: float = 180) -> BlockRun:
    """Run a block (after the blocks it continues) in a process of its own; see the module doc."""
    gateway = PlausibleGateway()
    with LocalServer(gateway) as server, tempfile.TemporaryDirectory() as folder:
        script = Path(folder) / "block.py"
        script.write_text(block.program(), encoding="utf-8")
        env = _environment(server.base_url)
        done = run_script(script, cwd=Path(folder), env=env, timeout=timeout)
        requests = list(server.received)
    stdout = done.stdout
    if block.previous is not None:
        _, found, own = stdout.partition(SEPARATOR + "\n")
        stdout = own if found else ""
    return BlockRun(block, done.returncode, stdout, done.stderr, requests, gateway.streams)


def _environment(base_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.upper().startswith("MIXROUTE_")}
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY"):
        env.pop(name, None)
        env.pop(name.lower(), None)
    env.update(HTTP_PROXY=NOWHERE, HTTPS_PROXY=NOWHERE, ALL_PROXY=NOWHERE, NO_PROXY=LOOPBACK)
    env.update(MIXROUTE_API_KEY=PLACEHOLDER_KEY, MIXROUTE_BASE_URL=base_url)
    return env


def problems(run: BlockRun) -> list[str]:
    """What is wrong with a block's run, as sentences; empty when it ran sensibly."""
    found = [
        f"a statement that does nothing in a script: {text}"
        for text in idle_statements(run.block.source)
    ]
    if run.returncode != 0:
        found.append(f"exited with {run.returncode}:\n{run.stderr[-3000:]}")
        return found
    if calls_print(run.block.source) and not run.stdout.strip():
        found.append("calls print() but printed nothing")
    for line in run.stdout.splitlines():
        for text in run.streams:
            if text in line and not line.rstrip().endswith(text):
                found.append(f"printed more on the line of a streamed answer: {line!r}")
    return found


def idle_statements(source: str) -> list[str]:
    """Expression statements whose value a script throws away unseen (not calls)."""
    busy = (ast.Call, ast.Await, ast.Yield, ast.YieldFrom, ast.Constant)
    return [
        ast.unparse(node)
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Expr) and not isinstance(node.value, busy)
    ]


def calls_print(source: str) -> bool:
    """Whether the block calls the built-in ``print`` anywhere."""
    return any(
        isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "print"
        for node in ast.walk(ast.parse(source))
    )
