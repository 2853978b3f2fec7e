"""Specification of mixroute.extras: which import failures name an extra, and how."""

from __future__ import annotations

import pytest

from mixroute.extras import missing_extra

LLAMA = {
    "adapter": "llama_index_mixroute",
    "module": "llama_index.core",
    "distribution": "llama-index-core",
    "extra": "llama-index",
}


@pytest.mark.parametrize(
    "missing", ["llama_index.core", "llama_index.core.llms.function_calling", "llama_index"]
)
def test_the_framework_or_part_of_it_missing_names_the_extra(missing: str) -> None:
    error = missing_extra(
        ModuleNotFoundError(f"No module named {missing!r}", name=missing), **LLAMA
    )
    assert isinstance(error, ModuleNotFoundError)
    assert error.name == missing
    assert str(error) == (
        "llama_index_mixroute needs llama-index-core, which is not installed "
        f"(No module named {missing!r}): pip install 'mixroute[llama-index]'"
    )


@pytest.mark.parametrize("missing", ["pydantic", "llama_index_core", "llama_index.coreutils", None])
def test_another_module_missing_is_left_as_it_is(missing: str | None) -> None:
    assert missing_extra(ModuleNotFoundError("No module", name=missing), **LLAMA) is None
