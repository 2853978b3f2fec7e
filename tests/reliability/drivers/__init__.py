"""Every driver the catalogue runs: the core's four, and one module per framework adapter.

To add a framework: write ``drivers/<framework>.py`` with its driver classes (see
``drivers/core.py`` for the four shapes) and a ``DRIVERS`` list, and add it below. An async
driver runs on whichever transport its :class:`CallConfig` names (``ASYNC_TRANSPORTS``).
"""

from __future__ import annotations

from reliability.drivers import core, langchain, llama_index
from reliability.drivers.base import (
    ASYNC_TRANSPORTS,
    AsyncStreamDriver,
    CallConfig,
    Driver,
    Limits,
    Outcome,
    SyncStreamDriver,
)

DRIVERS: list[Driver] = [*core.DRIVERS, *langchain.DRIVERS, *llama_index.DRIVERS]
ASYNC_STREAM_DRIVERS = [d for d in DRIVERS if isinstance(d, AsyncStreamDriver)]
SYNC_STREAM_DRIVERS = [d for d in DRIVERS if isinstance(d, SyncStreamDriver)]
ASYNC_DRIVERS = [d for d in DRIVERS if d.is_async]

__all__ = [
    "ASYNC_DRIVERS",
    "ASYNC_STREAM_DRIVERS",
    "ASYNC_TRANSPORTS",
    "DRIVERS",
    "SYNC_STREAM_DRIVERS",
    "CallConfig",
    "Driver",
    "Limits",
    "Outcome",
]
