"""Fixtures of the LlamaIndex adapter's tests: the async backend, and no key from the environment."""

from __future__ import annotations

import pytest


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(autouse=True)
def _no_environment_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    # A developer's own MIXROUTE_* variables must not change what these tests send.
    monkeypatch.delenv("MIXROUTE_API_KEY", raising=False)
    monkeypatch.delenv("MIXROUTE_BASE_URL", raising=False)
