"""The ``>>>`` examples of the public docstrings, which the API reference shows, are run.

Each module of the three packages is one case: its doctests run as ``doctest`` runs them
(``# doctest: +SKIP`` marks the few that need a live gateway).
"""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

PACKAGES = ("mixroute", "langchain_mixroute", "llama_index_mixroute")


def _modules() -> list[str]:
    names = []
    for package in PACKAGES:
        path = importlib.import_module(package).__path__
        names.append(package)
        names += [info.name for info in pkgutil.walk_packages(path, prefix=f"{package}.")]
    return sorted(names)


@pytest.mark.parametrize("name", _modules())
def test_the_docstring_examples_of_each_module_hold(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0


def test_the_examples_are_found() -> None:
    found = sum(
        len(doctest.DocTestFinder().find(importlib.import_module(name))) for name in _modules()
    )
    assert found > 40
