"""The README says the adapters only convert: the core alone builds, retries and decodes.

"request building, retries, SSE decoding and stream assembly happen once, in the core":
no module of either adapter imports, at run time, the core's modules that send requests,
decode bodies and events, assemble streams or time retries (a name used in a type hint
only, under ``TYPE_CHECKING``, is no use of them), and neither imports aiohttp.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CORE_ONLY = {
    "mixroute.sse",
    "mixroute.decoding",
    "mixroute.bodies",
    "mixroute.accumulator",
    "mixroute.streaming",
    "mixroute.stream_opener",
    "mixroute.transport",
    "mixroute.sync_transport",
    "mixroute.aiohttp_transport",
    "mixroute.deadlines",
    "aiohttp",
}


def runtime_imports(path: Path) -> set[str]:
    """The modules a file imports outside ``if TYPE_CHECKING:`` blocks."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    hints = {
        id(node)
        for block in ast.walk(tree)
        if isinstance(block, ast.If) and "TYPE_CHECKING" in ast.unparse(block.test)
        for statement in block.body
        for node in ast.walk(statement)
    }
    found: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in hints:
            continue
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found |= {f"{node.module}.{alias.name}" for alias in node.names}
    return found


@pytest.mark.parametrize("adapter", ["langchain_mixroute", "llama_index_mixroute"])
def test_the_adapters_leave_sending_decoding_and_assembly_to_the_core(adapter: str) -> None:
    readme = " ".join((ROOT / "README.md").read_text(encoding="utf-8").split())
    assert (
        "request building, retries, SSE decoding and stream assembly happen once, in the core"
        in readme
    )
    for path in sorted((ROOT / adapter).glob("*.py")):
        used = {
            name for name in runtime_imports(path) if name.split(".")[0] in {"mixroute", "aiohttp"}
        }
        assert not {
            name for name in used if any(name == m or name.startswith(f"{m}.") for m in CORE_ONLY)
        }, path.name
