"""The async client's connection pools: one per event loop, closed on the loop that owns it.

A pool's connections belong to the loop that opened them, so a client used from several
loops (``asyncio.run`` twice, Jupyter, a thread per loop) keeps one pool per loop. Each
pool is closed on its own loop while that loop is alive:

- by :meth:`LoopPools.aclose` for the running loop, and through
  :func:`asyncio.run_coroutine_threadsafe` for a loop running in another thread;
- when its loop ends: a small async generator, started on the loop, guards each pool,
  and ``asyncio.run`` (any loop that calls ``shutdown_asyncgens``) closes it, which closes
  the pool.

A loop closed without ``shutdown_asyncgens`` leaves its pool unclosed (a known limit): the
next pool the client opens drops it, and its sockets close when it is collected.
"""

from __future__ import annotations

import asyncio
import threading
import weakref
from collections.abc import AsyncGenerator, Callable

import httpx

__all__ = ["LoopPools"]


class LoopPools:
    """The pools of one async client, one per event loop, made on first use."""

    __slots__ = ("__weakref__", "_last", "_lock", "_make", "_pools")

    def __init__(self, make: Callable[[], httpx.AsyncClient]) -> None:
        self._make = make
        self._lock = threading.Lock()
        # loop -> (pool, guard); weak, so a pool never keeps a finished loop alive.
        self._pools: weakref.WeakKeyDictionary[
            asyncio.AbstractEventLoop, tuple[httpx.AsyncClient, AsyncGenerator[None, None]]
        ] = weakref.WeakKeyDictionary()
        self._last: tuple[asyncio.AbstractEventLoop, httpx.AsyncClient] | None = None

    def get(self) -> httpx.AsyncClient:
        """The running loop's pool, opened on first use."""
        loop = asyncio.get_running_loop()
        last = self._last
        if last is not None and last[0] is loop:
            return last[1]
        with self._lock:
            entry = self._pools.get(loop)
            if entry is None:
                self._drop_closed()
                pool = self._make()
                guard = _guard(pool, weakref.ref(self))
                _start(guard)  # registers it with this loop's shutdown_asyncgens
                self._pools[loop] = entry = (pool, guard)
            self._last = (loop, entry[0])
            return entry[0]

    def owns(self, http: httpx.AsyncClient) -> bool:
        """Whether ``http`` is one of these pools (the fast check is the running loop's)."""
        last = self._last
        return last is not None and last[1] is http

    async def aclose(self) -> None:
        """Close every pool: this loop's here, a live loop's on that loop; forget the rest."""
        with self._lock:
            entries = list(self._pools.items())
            self._pools.clear()
            self._last = None
        running = asyncio.get_running_loop()
        for loop, (_pool, guard) in entries:
            if loop is running:
                await guard.aclose()  # closes the pool, and the guard is done
            elif loop.is_running() and not loop.is_closed():
                # Not awaited: that loop may be busy, and its pool is closed there soon.
                asyncio.run_coroutine_threadsafe(_close(guard), loop)
            # A loop that is closed had its chance at shutdown_asyncgens.

    def _drop_closed(self) -> None:
        # A loop closed without shutdown_asyncgens never closed its pool, and the pool's
        # transports keep the loop alive (so the weak key does not go): drop it here, so a
        # client does not pile up such pools. Its sockets close when it is collected.
        for loop in [loop for loop in self._pools if loop.is_closed()]:
            del self._pools[loop]

    def forget(self, loop: asyncio.AbstractEventLoop) -> None:
        """Drop the entry of ``loop`` (its guard closed the pool)."""
        with self._lock:
            self._pools.pop(loop, None)
            last = self._last
            if last is not None and last[0] is loop:
                self._last = None


async def _close(guard: AsyncGenerator[None, None]) -> None:
    await guard.aclose()  # its ``finally`` closes the pool


async def _guard(
    pool: httpx.AsyncClient, owner: weakref.ref[LoopPools]
) -> AsyncGenerator[None, None]:
    try:
        yield
    finally:
        pools = owner()
        if pools is not None:
            pools.forget(asyncio.get_running_loop())  # closed on its own loop, always
        await pool.aclose()


def _start(guard: AsyncGenerator[None, None]) -> None:
    # Run the generator to its first yield, synchronously: the first step calls the
    # running loop's firstiter hook (so the loop knows it), and a started generator's
    # ``finally`` runs when the loop closes it. The step awaits nothing, so it completes.
    step = guard.__anext__()
    try:
        step.send(None)
    except StopIteration:
        return
    raise RuntimeError("the pool guard awaited on its first step")  # pragma: no cover
