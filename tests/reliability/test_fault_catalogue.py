"""The fault catalogue: every scenario of ``scenarios.py`` through every driver.

Each case scripts the fault server, makes the call(s) through one driver (an async driver
once per transport of the async client: ``core-async[aiohttp]``, ``core-async[httpx]``),
and checks what the caller saw (result or typed error, the server's message, what a
stream delivered and what ``.partial`` kept), what the server saw (how many requests), how
long the retry policy was asked to wait, that the call ended within its time budget (its
deadline and half a second, when it has one) and, where the scenario says so, within its
memory bound; that the key shows in no log line, error message, repr, traceback, body,
response or request, nor in anything LangChain's callbacks or LlamaIndex's instrumentation
events were given; and that no connection stays open once the client is closed.
"""

from __future__ import annotations

import contextlib
import traceback
import tracemalloc
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from mixroute import APIError, MixrouteError
from reliability.drivers import ASYNC_TRANSPORTS, DRIVERS, CallConfig, Driver, Outcome
from reliability.drivers.base import API_KEY
from reliability.drivers.observers import RECORDING, SEEN
from reliability.fault_server import FaultServer, closed_port_url
from reliability.hostile_actions import json_escaped
from reliability.scenarios import SCENARIOS, Fails, Ok, Scenario

KNOWN_FAILURES: dict[tuple[str, str | None], str] = {}
"""Scenarios the core or an adapter fails today, by (scenario, transport; ``None``: every
driver), with the precise reason. Marked ``xfail(strict=True)``: a fix shows as an
unexpected pass, and its entry must go."""

SECRETS = (API_KEY, API_KEY[-8:], json_escaped(API_KEY), json_escaped(API_KEY[-8:]))
"""The key and its tail, in clear and JSON-escaped: none may show anywhere."""


def _cases() -> list[Any]:
    cases = []
    for scenario in SCENARIOS:
        for driver in DRIVERS:
            for transport in ASYNC_TRANSPORTS if driver.is_async else (None,):
                if scenario.expect(driver.streams) is None:
                    continue
                name = driver.name if transport is None else f"{driver.name}[{transport}]"
                known = KNOWN_FAILURES.get((scenario.name, None)) or KNOWN_FAILURES.get(
                    (scenario.name, transport)
                )
                marks = [pytest.mark.xfail(strict=True, reason=known)] if known else []
                cases.append(
                    pytest.param(
                        scenario, driver, transport, id=f"{scenario.name}-{name}", marks=marks
                    )
                )
    return cases


@pytest.mark.parametrize(("scenario", "driver", "transport"), _cases())
def test_fault_catalogue(
    scenario: Scenario,
    driver: Driver,
    transport: str | None,
    fault_server: FaultServer,
    debug_logs: pytest.LogCaptureFixture,
) -> None:
    if scenario.requires is not None:
        pytest.importorskip(scenario.requires)
    SEEN.clear()
    RECORDING[0] = True
    fault_server.script(*scenario.actions, then=scenario.then)
    base_url = closed_port_url() if scenario.refused else fault_server.base_url
    config = CallConfig(
        base_url,
        max_retries=scenario.max_retries,
        timeout=scenario.timeout,
        async_transport=transport or "auto",  # type: ignore[arg-type]
        limits=scenario.limits,
        consumer_pause=scenario.consumer_pause,
    )

    try:
        with peak_memory(scenario.memory is not None) as peak:
            outcomes = driver.run(config, scenario.calls, scenario.pause)
    finally:
        RECORDING[0] = False

    expect = scenario.expect(driver.streams)
    assert expect is not None
    budget = scenario.time_budget(driver.streams)
    for outcome in outcomes:
        assert outcome.elapsed < budget, f"took {outcome.elapsed:.2f}s, budget {budget:.2f}s"
        if isinstance(expect, Ok):
            check_ok(outcome, expect, driver)
        else:
            check_failure(outcome, expect, driver)
        assert_no_key(outcome)
    if scenario.memory is not None:
        assert peak[0] <= scenario.memory, f"allocated {peak[0] >> 20} MiB at the peak"
    if expect.requests is not None:
        assert fault_server.request_count == expect.requests
    assert config.sleeps == list(expect.sleeps)
    if isinstance(expect, Ok) and expect.connections is not None:
        assert fault_server.connections_opened == expect.connections
    assert API_KEY not in debug_logs.text
    observed = "\n".join(SEEN)  # LangChain callbacks and LlamaIndex events, as text
    for secret in SECRETS:
        assert secret not in observed
    if driver.name.startswith(("langchain", "llama-index")):
        assert SEEN, "the framework's observers saw nothing: the scan would prove nothing"
    assert fault_server.wait_open_connections(0) == 0, "a connection outlived its client"


@contextmanager
def peak_memory(measure: bool) -> Iterator[list[int]]:
    """Yield a one-item list that holds, after the block, the bytes allocated at its peak."""
    peak = [0]
    if not measure:
        yield peak
        return
    started = not tracemalloc.is_tracing()
    if started:
        tracemalloc.start()
    tracemalloc.reset_peak()
    base = tracemalloc.get_traced_memory()[0]
    try:
        yield peak
    finally:
        peak[0] = tracemalloc.get_traced_memory()[1] - base
        if started:
            tracemalloc.stop()


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
    if expect.body_size is not None:
        assert len(error.response.content) == expect.body_size  # type: ignore[attr-defined]
    for name, value in expect.attrs.items():
        assert getattr(error, name) == value, name
    if driver.streams:
        assert outcome.delivered == expect.delivered
        partial = error.partial.content if error.partial is not None else None
        assert (partial or "") == expect.delivered
        assert "\ufffd" not in outcome.delivered


def assert_no_key(outcome: Outcome) -> None:
    """The key, in clear or JSON-escaped, is nowhere in the error or what it points to."""
    error = outcome.error
    if error is None:
        return
    seen = [str(error), repr(error), "".join(traceback.format_exception(error))]
    if isinstance(error, APIError):
        seen += [repr(error.body), repr(error.partial)]
        if error.request is not None:
            seen.append(repr(error.request.headers.multi_items()))
    response = getattr(error, "response", None)
    if response is not None:
        seen += [
            response.text,
            response.content.decode("latin-1"),
            repr(response.headers.multi_items()),
            _parsed(response),
        ]
        with contextlib.suppress(RuntimeError):  # a response made without a request
            seen.append(repr(response.request.headers.multi_items()))
    for text in seen:
        for secret in SECRETS:
            assert secret not in text


def _parsed(response: Any) -> str:
    """``response.json()`` as text, as a framework's error callback would read it."""
    try:
        return repr(response.json())
    except (ValueError, RecursionError):  # not JSON, or too deep for the json module
        return ""
