"""Run Python code in a fresh interpreter where some packages cannot be imported.

A meta-path finder, installed before the code runs, refuses the named modules and their
submodules as a missing install would (``ModuleNotFoundError`` with ``name``), so an
adapter can be imported "without its framework" while the framework stays installed.

>>> run_without(["langchain_core"], "import langchain_mixroute")  # doctest: +SKIP
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

_BLOCKER = """
import sys

class _Blocked:
    def find_spec(self, name, path=None, target=None):
        if any(name == b or name.startswith(b + ".") for b in {blocked!r}):
            raise ModuleNotFoundError(f"No module named {{name!r}}", name=name)
        return None

sys.meta_path.insert(0, _Blocked())
"""


def run_without(blocked: Sequence[str], code: str) -> subprocess.CompletedProcess[str]:
    """Run ``code`` with ``blocked`` modules unimportable; its output is captured as text."""
    program = _BLOCKER.format(blocked=tuple(blocked)) + code
    return subprocess.run(
        [sys.executable, "-c", program], capture_output=True, text=True, cwd=ROOT, timeout=120
    )


IMPORT_REPORT = """
import json
try:
    {statement}
except ImportError as exc:
    print(json.dumps({{"type": type(exc).__name__, "name": exc.name, "message": str(exc),
                       "is_module_not_found": isinstance(exc, ModuleNotFoundError)}}))
else:
    print("null")
"""
"""Code that runs one import ``statement`` and prints the ``ImportError`` it raised, as JSON."""
