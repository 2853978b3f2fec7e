"""Test-suite wiring: the mixroute VCR plugin, cassette folders, cassette endpoints, a
stand-in gateway on 127.0.0.1, and a clean ``MIXROUTE_*`` environment for every test."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from support.cassettes import Endpoint, RecordedResults, endpoint
from support.local_server import LocalServer
from support.plausible_gateway import PlausibleGateway

pytest_plugins = ["mixroute.testing"]

CASSETTES = Path(__file__).resolve().parents[1] / "cassettes"
ENVIRONMENT_PREFIX = "MIXROUTE_"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "wire_answers(answers): scripted answers for recording a wire-format cassette"
    )
    config.addinivalue_line(
        "markers", "local_server: recorded from the local model server (make test-local-server)"
    )


@pytest.fixture(autouse=True)
def _no_caller_mixroute_environment(request: pytest.FixtureRequest) -> Iterator[None]:
    """Every ``MIXROUTE_*`` variable of the caller's shell is removed for each test.

    A developer's own key or base URL must not change what a test sends; a test that
    needs one sets it (``monkeypatch.setenv``). Recording a cassette
    (``--record-mode`` other than ``none``) is the one exception: a ``vcr`` test then
    reads the key, URL and source to record from the environment (see
    ``support/cassettes.py``), so those tests keep it.

    A monkeypatch of its own, not the test's: it is set up before every other fixture
    and undone after them all, so fixtures that compare ``os.environ`` before and after
    a test see the test's own changes undone first.
    """
    recording = (request.config.getoption("--record-mode", default=None) or "none") != "none"
    if recording and request.node.get_closest_marker("vcr") is not None:
        yield
        return
    with pytest.MonkeyPatch.context() as patch:
        for name in list(os.environ):
            if name.startswith(ENVIRONMENT_PREFIX):
                patch.delenv(name)
        yield


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


@pytest.fixture
def plausible_server() -> Iterator[LocalServer]:
    """A :class:`LocalServer` answering as :class:`PlausibleGateway` does, for one test.

    Its ``respond`` is the gateway (whose ``streams`` keep the text of each stream sent).
    """
    with LocalServer(PlausibleGateway()) as server:
        yield server
