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


def test_importing_the_packages_does_not_load_the_http_stack() -> None:
    # Import time is a feature: httpx (and the CLI packages it pulls in when present)
    # loads when the first client or model is made, not when a framework starts up.
    code = (
        "import sys, mixroute, langchain_mixroute, llama_index_mixroute; "
        "print('httpx' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"
