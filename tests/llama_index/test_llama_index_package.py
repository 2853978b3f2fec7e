"""The package as users import it: ``llama_index_mixroute`` and ``llama_index.llms.mixroute``,
and what importing it says when llama-index-core is missing."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import llama_index.core
import pytest
from llama_index.core.llms.function_calling import FunctionCallingLLM
from support.blocked_imports import IMPORT_REPORT, run_without

import llama_index_mixroute
from llama_index_mixroute import Mixroute

ROOT = Path(__file__).resolve().parents[2]


def test_the_llama_index_namespace_path() -> None:
    from llama_index.llms.mixroute import Mixroute as FromNamespace

    assert FromNamespace is Mixroute
    assert issubclass(Mixroute, FunctionCallingLLM)


def test_the_shim_does_not_shadow_llama_index_core() -> None:
    # llama_index and llama_index.llms must stay namespace packages, or the installed
    # llama_index.core would disappear behind this repository's directory.
    assert not (ROOT / "llama_index" / "__init__.py").exists()
    assert not (ROOT / "llama_index" / "llms" / "__init__.py").exists()
    assert "site-packages" in (llama_index.core.__file__ or "")


def test_the_package_is_typed_and_exports_one_name() -> None:
    assert (Path(llama_index_mixroute.__file__).parent / "py.typed").exists()
    assert llama_index_mixroute.__all__ == ["Mixroute"]


def test_importing_it_pulls_in_no_other_framework_nor_agents() -> None:
    code = (
        "import sys, llama_index_mixroute\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('langchain', 'langchain_core')"
        " or m.startswith('llama_index.core.agent')))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert result.stdout.strip() == "[]"


def test_public_names_have_docstrings() -> None:
    import inspect

    from llama_index_mixroute import (
        clients,
        convert,
        options,
        responses,
        runtime,
        streaming,
        structured,
        tools,
    )

    for module in (
        llama_index_mixroute,
        clients,
        convert,
        options,
        responses,
        runtime,
        streaming,
        structured,
        tools,
    ):
        assert module.__doc__, module.__name__
        for name in getattr(module, "__all__", ()):
            value = getattr(module, name)
            if inspect.isfunction(value) or inspect.isclass(value):
                assert value.__doc__, f"{module.__name__}.{name}"
    for name, member in vars(Mixroute).items():
        if not name.startswith("_") and callable(member):
            assert member.__doc__, f"Mixroute.{name}"


# --- without llama-index-core ------------------------------------------------------------


def imported_without_llama_index_core(statement: str) -> dict[str, object] | None:
    done = run_without(["llama_index.core"], IMPORT_REPORT.format(statement=statement))
    assert done.returncode == 0, done.stderr
    report: dict[str, object] | None = json.loads(done.stdout.strip().splitlines()[-1])
    return report


@pytest.mark.parametrize(
    "statement", ["import llama_index_mixroute", "from llama_index.llms.mixroute import Mixroute"]
)
def test_without_llama_index_core_the_import_error_names_the_extra(statement: str) -> None:
    error = imported_without_llama_index_core(statement)
    assert error is not None, "the import should have failed"
    assert error["is_module_not_found"] is True  # an ImportError as before, catchable as such
    assert error["name"] == "llama_index.core"
    message = str(error["message"])
    assert "pip install 'mixroute[llama-index]'" in message
    assert "llama_index_mixroute needs llama-index-core" in message


def test_without_llama_index_core_the_core_still_imports() -> None:
    assert imported_without_llama_index_core("import mixroute, mixroute.client") is None
