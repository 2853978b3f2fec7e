"""The time a blocking read may still take: the whole-call deadline and the stream's idle bound.

A call that has a deadline (or a stream waiting for its next complete line) sets
:data:`READ_UNTIL` to a :func:`time.monotonic` instant; the sync transport's network
streams cut every connect, read and write to the time left before it, so a server that
drips a byte just under the read timeout cannot hold the call past it. The async
client needs none of this: it cancels the call's task when the deadline passes
(:class:`CancelAt`).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

__all__ = ["READ_UNTIL", "CancelAt", "DeadlineExceeded", "bounded", "read_until"]

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


class CancelAt:
    """Cancels the running task ``delay`` seconds from now, as :func:`asyncio.timeout` does.

    The same rules as ``asyncio.timeout`` (a cancellation it caused is taken back with
    ``Task.uncancel``, and only then becomes a timeout; one from elsewhere goes on), at a
    third of its cost: no async context manager, no state machine. Made inside a task;
    :meth:`close` must be called when the guarded work ends, however it ends.
    """

    __slots__ = ("_cancelling", "_handle", "_task", "expired")

    def __init__(self, delay: float) -> None:
        loop = asyncio.get_running_loop()
        task = asyncio.current_task(loop)
        if task is None:
            raise RuntimeError("CancelAt must be used inside a task")
        self._task = task
        self._cancelling = task.cancelling()
        self.expired = False
        self._handle = loop.call_at(loop.time() + delay, self._expire)

    def _expire(self) -> None:
        self.expired = True
        self._task.cancel()

    def close(self, exc: BaseException | None) -> bool:
        """Disarm; True when ``exc`` is the cancellation this deadline caused."""
        self._handle.cancel()
        if not self.expired:
            return False
        return self._task.uncancel() <= self._cancelling and isinstance(exc, asyncio.CancelledError)
