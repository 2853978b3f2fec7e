"""Fixtures of the LangChain adapter's tests (helpers live in ``scripted_mixroute.py``)."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _no_mixroute_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """A developer's own MIXROUTE_* variables must not change what these tests send."""
    monkeypatch.delenv("MIXROUTE_API_KEY", raising=False)
    monkeypatch.delenv("MIXROUTE_BASE_URL", raising=False)
