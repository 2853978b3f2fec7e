"""The fault catalogue: every scenario of ``scenarios.py`` through every driver.

Each case scripts the fault server, makes the call(s) through one driver, and checks what
the caller saw (result or typed error, the server's message, what a stream delivered and
what ``.partial`` kept), what the server saw (how many requests), how long the retry
policy was asked to wait, that the call ended within its time budget, that the key shows
in no log line, error message, repr or traceback, nor in anything LangChain's callbacks or
LlamaIndex's instrumentation events were given, and that no connection stays open once
the client is closed.
"""

from __future__ import annotations

import traceback

import pytest

from mixroute import APIError, MixrouteError
from reliability.drivers import DRIVERS, CallConfig, Driver, Outcome
from reliability.drivers.base import API_KEY
from reliability.drivers.observers import RECORDING, SEEN
from reliability.fault_server import FaultServer, closed_port_url
from reliability.scenarios import SCENARIOS, Fails, Ok, Scenario

CASES = [
    pytest.param(scenario, driver, id=f"{scenario.name}-{driver.name}")
    for scenario in SCENARIOS
    for driver in DRIVERS
    if scenario.expect(driver.streams) is not None
]


@pytest.mark.parametrize(("scenario", "driver"), CASES)
def test_fault_catalogue(
    scenario: Scenario,
    driver: Driver,
    fault_server: FaultServer,
    debug_logs: pytest.LogCaptureFixture,
) -> None:
    SEEN.clear()
    RECORDING[0] = True
    fault_server.script(*scenario.actions, then=scenario.then)
    base_url = closed_port_url() if scenario.refused else fault_server.base_url
    config = CallConfig(base_url, max_retries=scenario.max_retries, timeout=scenario.timeout)

    try:
        outcomes = driver.run(config, scenario.calls, scenario.pause)
    finally:
        RECORDING[0] = False

    expect = scenario.expect(driver.streams)
    assert expect is not None
    for outcome in outcomes:
        assert outcome.elapsed < scenario.time_budget(), f"took {outcome.elapsed:.2f}s"
        if isinstance(expect, Ok):
            check_ok(outcome, expect, driver)
        else:
            check_failure(outcome, expect, driver)
        assert_no_key(outcome)
    if expect.requests is not None:
        assert fault_server.request_count == expect.requests
    assert config.sleeps == list(expect.sleeps)
    if isinstance(expect, Ok) and expect.connections is not None:
        assert fault_server.connections_opened == expect.connections
    assert API_KEY not in debug_logs.text
    observed = "\n".join(SEEN)  # LangChain callbacks and LlamaIndex events, as text
    assert API_KEY not in observed
    assert API_KEY[-8:] not in observed
    if driver.name.startswith(("langchain", "llama-index")):
        assert SEEN, "the framework's observers saw nothing: the scan would prove nothing"
    assert fault_server.wait_open_connections(0) == 0, "a connection outlived its client"


def check_ok(outcome: Outcome, expect: Ok, driver: Driver) -> None:
    if outcome.error is not None:
        raise AssertionError(f"expected an answer, got {outcome.error!r}") from outcome.error
    assert outcome.text == expect.text
    if driver.streams:
        assert outcome.delivered == expect.text  # every piece, each once


def check_failure(outcome: Outcome, expect: Fails, driver: Driver) -> None:
    error = outcome.error
    assert error is not None, f"expected {expect.error.__name__}, got {outcome.text!r}"
    assert isinstance(error, MixrouteError), f"an untyped error escaped: {error!r}"
    if expect.exact:
        assert type(error) is expect.error, repr(error)
    else:
        assert isinstance(error, expect.error), repr(error)
    if expect.message is not None:
        assert expect.message in str(error)
    if expect.max_message is not None:
        assert len(str(error)) <= expect.max_message
    for name, value in expect.attrs.items():
        assert getattr(error, name) == value, name
    if driver.streams:
        assert outcome.delivered == expect.delivered
        partial = error.partial.content if error.partial is not None else None
        assert (partial or "") == expect.delivered
        assert "\ufffd" not in outcome.delivered


def assert_no_key(outcome: Outcome) -> None:
    error = outcome.error
    if error is None:
        return
    seen = [str(error), repr(error), "".join(traceback.format_exception(error))]
    if isinstance(error, APIError):
        seen += [repr(error.body), repr(error.partial)]
    for text in seen:
        assert API_KEY not in text
        assert API_KEY[-8:] not in text
