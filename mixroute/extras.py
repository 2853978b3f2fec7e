"""The error for an adapter imported without its framework: it names the extra to install.

``import langchain_mixroute`` without langchain-core raises ``ModuleNotFoundError:
langchain_mixroute needs langchain-core, which is not installed (No module named
'langchain_core'): pip install 'mixroute[langchain]'`` instead of the bare last part.
"""

from __future__ import annotations

__all__ = ["missing_extra"]


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
