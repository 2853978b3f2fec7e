"""Fixtures: the built distributions, environments with the wheel, a stand-in gateway.

``make packaging`` builds ``dist/`` first and names it in ``MIXROUTE_DIST_DIR``; without it
the distributions are built here, into a temporary folder.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fresh_environments import Distributions, Environment, build
from stand_in_gateway import answer
from support.local_server import LocalServer


@pytest.fixture(scope="session")
def distributions(tmp_path_factory: pytest.TempPathFactory) -> Distributions:
    named = os.environ.get("MIXROUTE_DIST_DIR")
    if named:
        return Distributions.in_folder(Path(named).resolve())
    return build(tmp_path_factory.mktemp("dist"))


@pytest.fixture(scope="session")
def environment(
    distributions: Distributions, tmp_path_factory: pytest.TempPathFactory
) -> Callable[[str], Environment]:
    """``environment("langchain")``: ``mixroute[langchain]`` from the wheel, made once.

    ``environment("")`` is the wheel alone.
    """
    made: dict[str, Environment] = {}

    def make(extra: str) -> Environment:
        if extra not in made:
            path = tmp_path_factory.mktemp(f"venv-{extra or 'plain'}")
            made[extra] = Environment.create(path, distributions.wheel, extra)
        return made[extra]

    return make


@pytest.fixture
def gateway() -> Iterator[LocalServer]:
    """A chat-completions stand-in on 127.0.0.1 that gives every model the same answer."""
    with LocalServer(answer) as server:
        yield server
