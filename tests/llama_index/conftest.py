"""Fixtures of the LlamaIndex adapter's tests: the async backend and the cassette settings
(``tests/conftest.py`` keeps the caller's ``MIXROUTE_*`` variables out)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from vcr.cassette import Cassette

from mixroute.testing import mixroute_vcr_config


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="module")
def vcr_config(record_mode: str) -> dict[str, Any]:
    """The cassette kit's settings (scrubbing, strict JSON matching, provenance).

    Re-recording (``--record-mode=all``, as ``make test-local-server`` does) drops what the
    test no longer sends: vcrpy would otherwise keep those stale exchanges beside the new.
    """
    return mixroute_vcr_config(drop_unused_requests=record_mode == "all")


@pytest.fixture
def sent_bodies(vcr: Cassette) -> Callable[[], list[dict[str, Any]]]:
    """The JSON bodies this test sent, so far.

    On replay these are the recorded requests, each matched to what was really sent;
    while re-recording, vcrpy keeps the loaded exchanges first, so they are skipped.
    """
    start = len(vcr.data) if vcr.record_mode == "all" else 0
    return lambda: [json.loads(request.body) for request in vcr.requests[start:]]
