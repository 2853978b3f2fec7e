"""Fixtures of the LangChain adapter's tests and their cassette settings (helpers live in
``scripted_mixroute.py``)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from vcr.cassette import Cassette

from mixroute.testing import mixroute_vcr_config

HERE = Path(__file__).resolve().parent


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Marks for langchain-tests' inherited tests, which we cannot decorate.

    langchain-tests' benchmark (``test_stream_time``) streams once when its cassette is
    empty (recording it) and otherwise replays that one stream many times, which
    langchain-tests' VCR settings allow and ours do not by default; re-recording
    (``--record-mode=all``) empties its cassette first, so that it records one stream
    rather than benchmarking the server. And a standard suite class lists in
    ``local_server_tests`` the tests whose cassettes come from the local model server.
    """
    rerecording = config.getoption("--record-mode") == "all"
    for item in items:
        if not isinstance(item, pytest.Function) or HERE not in Path(item.path).parents:
            continue
        if item.get_closest_marker("benchmark") and item.get_closest_marker("vcr"):
            mode = {"record_mode": "rewrite"} if rerecording else {}
            item.add_marker(pytest.mark.vcr(allow_playback_repeats=True, **mode))
        if item.originalname in getattr(item.cls, "local_server_tests", ()):
            item.add_marker(pytest.mark.local_server)


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
