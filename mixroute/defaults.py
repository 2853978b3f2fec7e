"""The clients' default bounds and the async transports' names, importable without httpx.

The adapters declare their settings with these at import time, when httpx must not load
yet; :mod:`mixroute.settings` checks values against them.
"""

from __future__ import annotations

from typing import Literal

__all__ = [
    "ASYNC_TRANSPORTS",
    "DEFAULT_DEADLINE",
    "DEFAULT_MAX_BODY_BYTES",
    "DEFAULT_MAX_ERROR_BODY_BYTES",
    "DEFAULT_MAX_LINE_BYTES",
    "AsyncTransportName",
]

AsyncTransportName = Literal["auto", "aiohttp", "httpx"]
ASYNC_TRANSPORTS: tuple[AsyncTransportName, ...] = ("auto", "aiohttp", "httpx")

DEFAULT_DEADLINE = 600.0  # seconds for a whole non-streamed call, retries included
DEFAULT_MAX_LINE_BYTES = 32 * 1024 * 1024  # one SSE line or event: room for a base64 image
DEFAULT_MAX_BODY_BYTES = 64 * 1024 * 1024  # a non-streamed answer, after decompression
DEFAULT_MAX_ERROR_BODY_BYTES = 64 * 1024  # what is kept of an error body; the rest is dropped
