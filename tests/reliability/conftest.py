"""Fixtures of the reliability suite: a fault server per test, loggers at DEBUG."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

# Imported now, not inside the first async case's read timeout (aiohttp takes ~140 ms).
import mixroute.aiohttp_transport  # noqa: F401
from reliability.fault_server import FaultServer

LOGGERS = ("httpx", "httpcore", "mixroute")


@pytest.fixture
def fault_server() -> Iterator[FaultServer]:
    """A fresh scripted server on 127.0.0.1; stopped (every connection closed) after the test."""
    with FaultServer() as server:
        yield server


@pytest.fixture
def debug_logs(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    """Capture the httpx, httpcore and mixroute loggers at DEBUG (to scan them for the key)."""
    for name in LOGGERS:
        caplog.set_level(logging.DEBUG, logger=name)
    return caplog


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"
