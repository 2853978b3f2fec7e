"""The time a blocking read may still take: the whole-call deadline and the stream's idle bound.

A call that has a deadline (or a stream waiting for its next complete line) sets
:data:`READ_UNTIL` to a :func:`time.monotonic` instant; the sync transport's network
streams cut every connect, read and write to the time left before it, so a server that
drips a byte just under the read timeout cannot hold the call past it. The async
client needs none of this: it cancels with :func:`asyncio.timeout_at`.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

__all__ = ["READ_UNTIL", "DeadlineExceeded", "bounded", "read_until"]

READ_UNTIL: ContextVar[float | None] = ContextVar("mixroute_read_until", default=None)


class DeadlineExceeded(TimeoutError):
    """Raised by :func:`bounded` when no time is left; the transport maps it to a timeout."""


def bounded(timeout: float | None) -> float | None:
    """The timeout for the next blocking operation: ``timeout`` cut to the time left.

    Raises :class:`DeadlineExceeded` when the instant in :data:`READ_UNTIL` has passed.
    """
    until = READ_UNTIL.get()
    if until is None:
        return timeout
    left = until - time.monotonic()
    if left <= 0:
        raise DeadlineExceeded("the call's deadline has passed")
    return left if timeout is None or left < timeout else timeout


@contextmanager
def read_until(until: float | None) -> Iterator[None]:
    """Bound the blocking operations inside the block by the instant ``until`` (or nothing)."""
    token = READ_UNTIL.set(until)
    try:
        yield
    finally:
        READ_UNTIL.reset(token)
