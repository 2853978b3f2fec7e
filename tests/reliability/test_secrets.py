"""The API key shows nowhere a user or a log can see it.

Every case of the fault catalogue already scans, with the ``httpx``, ``httpcore`` and
``mixroute`` loggers at DEBUG, the captured log, and the error's message, repr, traceback
(with its httpx cause), body and partial message, for the key and for its last eight
characters. Here: the objects a user holds besides errors, what an error points to, the
settings errors, and a check that the catalogue's log scan is not vacuous.
"""

from __future__ import annotations

import asyncio
import logging
import pickle
import traceback
from typing import Any

import pytest

from mixroute import (
    APIStatusError,
    APIStreamError,
    AsyncMixrouteClient,
    ConfigurationError,
    MixrouteClient,
    RetryPolicy,
)
from reliability.answers import sse_event
from reliability.drivers import ASYNC_TRANSPORTS, DRIVERS, CallConfig
from reliability.drivers.base import API_KEY
from reliability.fault_server import Answer, FaultServer, Status, Stream

SECRETS = (API_KEY, API_KEY[-8:])


def assert_clean(*texts: str) -> None:
    for text in texts:
        for secret in SECRETS:
            assert secret not in text


# The loggers an exchange writes to: httpcore only where it moves the bytes (the sync
# client's transport, and the async client's on httpx); aiohttp's pool logs nothing there.
LOGGERS_SEEN = {
    None: {"httpx", "httpcore", "mixroute"},
    "httpx": {"httpx", "httpcore", "mixroute"},
    "aiohttp": {"httpx", "mixroute"},
}
DRIVERS_AND_TRANSPORTS = [
    pytest.param(driver, transport, id=f"{driver}[{transport}]" if transport else str(driver))
    for driver in DRIVERS
    for transport in (ASYNC_TRANSPORTS if driver.is_async else (None,))
]


@pytest.mark.parametrize(("driver", "transport"), DRIVERS_AND_TRANSPORTS)
def test_debug_logs_of_a_whole_exchange_hold_no_key(
    driver: Any,
    transport: Any,
    fault_server: FaultServer,
    debug_logs: pytest.LogCaptureFixture,
) -> None:
    # The server echoes the key in a retried error's body; the retry succeeds. (Not in a
    # header: httpcore logs response headers verbatim at DEBUG, beyond this package's say.)
    echo = f"Incorrect API key provided: {API_KEY}"
    fault_server.script(Status(429, echo, headers={"Retry-After": "0"}), then=Answer())
    config = CallConfig(fault_server.base_url, async_transport=transport or "auto")
    [outcome] = driver.run(config, 1)
    assert outcome.error is None, repr(outcome.error)
    names = {record.name.split(".")[0] for record in debug_logs.records}
    assert LOGGERS_SEEN[transport] <= names  # the scan below saw every logger there is
    assert_clean(debug_logs.text, *(repr(r.args) for r in debug_logs.records))


def test_an_error_event_echoing_the_key_is_scrubbed_everywhere(
    fault_server: FaultServer,
) -> None:
    fault_server.script(then=Stream(sse_event({"error": {"message": f"bad {API_KEY}"}}, "error")))
    client = MixrouteClient(API_KEY, base_url=fault_server.base_url, max_retries=0)
    messages = [{"role": "user", "content": "x"}]
    with (
        client,
        pytest.raises(APIStreamError, match="bad") as caught,
        client.stream("gpt-4o", messages) as stream,
    ):
        list(stream)
    error = caught.value
    assert_clean(
        str(error), repr(error), repr(error.body), "".join(traceback.format_exception(error))
    )


def test_what_an_error_points_to_holds_no_readable_key(fault_server: FaultServer) -> None:
    fault_server.script(then=Status(401, f"Incorrect API key provided: {API_KEY}"))
    client = MixrouteClient(API_KEY, base_url=fault_server.base_url, max_retries=0)
    with client, pytest.raises(APIStatusError) as caught:
        client.create("gpt-4o", [{"role": "user", "content": "x"}])
    error = caught.value
    # The request did carry the key (it had to); httpx masks it in every printable form.
    assert error.request is not None
    assert_clean(
        repr(error.request),
        repr(error.request.headers),
        str(error.request.headers),
        repr(error.response),
        repr(error.response.headers),
        repr(vars(error)),
    )


def test_objects_a_user_holds_print_no_key(fault_server: FaultServer) -> None:
    fault_server.script(then=Answer())
    client = MixrouteClient(API_KEY, base_url=fault_server.base_url)
    aclient = AsyncMixrouteClient(API_KEY, base_url=fault_server.base_url)
    with client:
        completion = client.create("gpt-4o", [{"role": "user", "content": "x"}])
        with client.stream("gpt-4o", [{"role": "user", "content": "x"}]) as stream:
            list(stream)
    assert_clean(
        repr(client),
        str(client),
        repr(client.settings),
        repr(aclient),
        repr(aclient.settings),
        repr(RetryPolicy()),
        repr(completion),
        repr(stream.completion),
        repr(vars(stream)),
    )
    with pytest.raises((TypeError, pickle.PicklingError)):
        pickle.dumps(client)  # a client holds a live pool; never a way to copy the key out


@pytest.mark.parametrize(
    "key",
    [f"{API_KEY[:12]}\n{API_KEY[12:]}", f"“{API_KEY}”", f"{API_KEY}\x00"],
    ids=["newline", "curly-quotes", "nul"],
)
def test_a_key_that_cannot_be_sent_is_refused_without_echoing_it(key: str) -> None:
    with pytest.raises(ConfigurationError) as caught:
        MixrouteClient(key, base_url="http://127.0.0.1:9/v1")
    assert_clean(str(caught.value), repr(caught.value))


@pytest.mark.parametrize("transport", ASYNC_TRANSPORTS)
def test_the_async_client_logs_no_key_across_event_loops(
    transport: Any, fault_server: FaultServer, debug_logs: pytest.LogCaptureFixture
) -> None:
    fault_server.script(then=Answer())
    client = AsyncMixrouteClient(API_KEY, base_url=fault_server.base_url, async_transport=transport)

    async def call() -> None:
        await client.create("gpt-4o", [{"role": "user", "content": "x"}])
        await client.aclose()

    for _ in range(2):
        asyncio.run(call())
    names = {record.name.split(".")[0] for record in debug_logs.records}
    assert LOGGERS_SEEN[transport] - {"mixroute"} <= names  # no retry: mixroute is quiet
    if transport == "httpx":
        assert any(r.levelno == logging.DEBUG for r in debug_logs.records)
    assert_clean(debug_logs.text)
