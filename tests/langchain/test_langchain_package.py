"""The package as users import it, and what importing it says when langchain-core is missing."""

from __future__ import annotations

import json

from support.blocked_imports import IMPORT_REPORT, run_without


def imported_without_langchain_core(statement: str) -> dict[str, object] | None:
    done = run_without(["langchain_core"], IMPORT_REPORT.format(statement=statement))
    assert done.returncode == 0, done.stderr
    report: dict[str, object] | None = json.loads(done.stdout.strip().splitlines()[-1])
    return report


def test_without_langchain_core_the_import_error_names_the_extra() -> None:
    error = imported_without_langchain_core("from langchain_mixroute import ChatMixroute")
    assert error is not None, "the import should have failed"
    assert error["is_module_not_found"] is True  # an ImportError as before, catchable as such
    assert error["name"] == "langchain_core"
    message = str(error["message"])
    assert "pip install 'mixroute[langchain]'" in message
    assert "langchain_mixroute needs langchain-core" in message


def test_a_submodule_import_says_the_same() -> None:
    error = imported_without_langchain_core("import langchain_mixroute.chat_models")
    assert error is not None
    assert "pip install 'mixroute[langchain]'" in str(error["message"])


def test_without_langchain_core_the_core_still_imports() -> None:
    assert imported_without_langchain_core("import mixroute, mixroute.client") is None


def test_with_nothing_blocked_it_imports() -> None:
    # The failures above are the blocker's doing, not the test's harness.
    assert run_without([], "import langchain_mixroute").returncode == 0
