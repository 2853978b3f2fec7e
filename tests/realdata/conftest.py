"""Fixtures of the real-traffic tests: one replay server per test module."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from realdata import ReplayServer


@pytest.fixture(scope="module")
def replay() -> Iterator[ReplayServer]:
    """A local server for the whole module; each test chooses the exchange it answers with."""
    server = ReplayServer()
    with server.server:
        yield server


@pytest.fixture(autouse=True)
def _no_mixroute_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    # A developer's own MIXROUTE_* variables must not change what these tests send.
    monkeypatch.delenv("MIXROUTE_API_KEY", raising=False)
    monkeypatch.delenv("MIXROUTE_BASE_URL", raising=False)
