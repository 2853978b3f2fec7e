"""The error for an adapter imported without its framework: it names the extra to install.

``import langchain_mixroute`` without langchain-core raises ``ModuleNotFoundError:
langchain_mixroute needs langchain-core, which is not installed (No module named
'langchain_core'): pip install 'mixroute[langchain]'`` instead of the bare last part.
Each adapter's ``__init__`` imports its class inside :func:`framework_required`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TypedDict

__all__ = ["ADAPTER_EXTRAS", "framework_required", "missing_extra"]


class AdapterExtra(TypedDict):
    """What one adapter needs: the framework's module, its distribution and our extra."""

    module: str
    distribution: str
    extra: str


ADAPTER_EXTRAS: dict[str, AdapterExtra] = {
    "langchain_mixroute": {
        "module": "langchain_core",
        "distribution": "langchain-core",
        "extra": "langchain",
    },
    "llama_index_mixroute": {
        "module": "llama_index.core",
        "distribution": "llama-index-core",
        "extra": "llama-index",
    },
}
"""Each adapter package, by name, and the framework it is imported with."""


@contextmanager
def framework_required(adapter: str) -> Iterator[None]:
    """Import ``adapter``'s modules inside it: a missing framework names the extra.

    >>> with framework_required("langchain_mixroute"):  # doctest: +SKIP
    ...     from langchain_mixroute.chat_models import ChatMixroute
    """
    try:
        yield
    except ModuleNotFoundError as exc:
        error = missing_extra(exc, adapter=adapter, **ADAPTER_EXTRAS[adapter])
        if error is None:
            raise
        raise error from None


def missing_extra(
    error: ModuleNotFoundError, *, adapter: str, module: str, distribution: str, extra: str
) -> ModuleNotFoundError | None:
    """The error to raise when importing ``adapter`` failed for want of ``module``.

    ``None`` when ``error`` is about another module (a dependency of the framework, say):
    that one is re-raised as it is. The new error is a ``ModuleNotFoundError`` with the
    same ``name``, so code that catches the original still catches it.
    """
    missing = error.name
    if missing is None or not _within(missing, module):
        return None
    return ModuleNotFoundError(
        f"{adapter} needs {distribution}, which is not installed ({error}): "
        f"pip install 'mixroute[{extra}]'",
        name=missing,
    )


def _within(missing: str, module: str) -> bool:
    # llama_index.core, one of its submodules, or a parent package that is missing too.
    return missing == module or missing.startswith(module + ".") or module.startswith(missing + ".")
