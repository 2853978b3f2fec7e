"""Specification of mixroute.extras: which import failures name an extra, and how."""

from __future__ import annotations

import pytest

from mixroute.extras import framework_required, missing_extra

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


def test_framework_required_names_the_extra_for_the_framework_only() -> None:
    needed = r"pip install 'mixroute\[langchain\]'"
    with (
        pytest.raises(ModuleNotFoundError, match=needed) as caught,
        framework_required("langchain_mixroute"),
    ):
        raise ModuleNotFoundError("No module named 'langchain_core'", name="langchain_core")
    assert caught.value.name == "langchain_core"
    assert caught.value.__cause__ is None
    assert caught.value.__suppress_context__
    other = ModuleNotFoundError("No module named 'pydantic'", name="pydantic")
    with pytest.raises(ModuleNotFoundError) as caught, framework_required("llama_index_mixroute"):
        raise other
    assert caught.value is other
