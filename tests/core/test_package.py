"""The core stands alone: importing it loads neither LangChain nor LlamaIndex."""

from __future__ import annotations

import subprocess
import sys

import mixroute


def test_core_imports_no_framework() -> None:
    code = (
        "import sys, mixroute; "
        "bad = [m for m in sys.modules if m.split('.')[0] in ('langchain_core', 'llama_index', 'openai')]; "
        "print(','.join(bad))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == ""


def test_public_names_are_exported() -> None:
    missing = [name for name in mixroute.__all__ if not hasattr(mixroute, name)]
    assert missing == []


def test_typed_marker_ships() -> None:
    from importlib.resources import files

    assert files("mixroute").joinpath("py.typed").is_file()
