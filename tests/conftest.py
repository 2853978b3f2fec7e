"""Test-suite wiring: the mixroute VCR plugin, cassette folders, and cassette endpoints."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from support.cassettes import Endpoint, RecordedResults, endpoint

pytest_plugins = ["mixroute.testing"]

CASSETTES = Path(__file__).resolve().parents[1] / "cassettes"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "wire_answers(answers): scripted answers for recording a wire-format cassette"
    )
    config.addinivalue_line(
        "markers", "local_server: recorded from the local model server (make test-local-server)"
    )


@pytest.fixture(scope="module")
def vcr_cassette_dir(request: pytest.FixtureRequest) -> str:
    """``tests/<area>/test_x.py`` keeps its cassettes in ``cassettes/<area>/test_x/``."""
    path = Path(str(request.node.fspath))
    return str(CASSETTES / path.parent.name / path.stem)


@pytest.fixture
def mixroute_endpoint(request: pytest.FixtureRequest, record_mode: str) -> Iterator[Endpoint]:
    """Where a ``@pytest.mark.vcr`` test sends its requests (see support/cassettes.py)."""
    marker = request.node.get_closest_marker("wire_answers")
    answers = list(marker.args[0]) if marker is not None else None
    yield from endpoint(record_mode, answers)


@pytest.fixture
def recorded_results(
    request: pytest.FixtureRequest,
    vcr_cassette_dir: str,
    default_cassette_name: str,
    record_mode: str,
) -> RecordedResults:
    """Results stored beside the test's cassette: written on record, compared on replay."""
    path = os.path.join(vcr_cassette_dir, f"{default_cassette_name}.results.json")
    return RecordedResults(path, recording=record_mode != "none")
