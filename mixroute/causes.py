"""Walking what an exception was raised from: its causes, contexts and grouped exceptions.

A transport failure arrives as a chain: our error, httpx's, httpcore's or aiohttp's, then
the OS's or the ``ssl`` module's (several of them in an exception group when more than
one address was tried). Deciding what went wrong, or scrubbing what the chain carries,
means looking at every link; :func:`causes` gives each one once.
"""

from __future__ import annotations

from collections.abc import Iterator

__all__ = ["causes"]


def causes(error: BaseException) -> Iterator[BaseException]:
    """``error``, then every exception it was raised from, nearest first, each once.

    Follows ``__cause__`` and ``__context__`` and the members of an exception group; a
    chain that loops back on itself ends where it would repeat.

    >>> try:
    ...     try:
    ...         raise ConnectionRefusedError(111, "Connection refused")
    ...     except OSError as exc:
    ...         raise RuntimeError("could not connect") from exc
    ... except RuntimeError as failure:
    ...     print([type(link).__name__ for link in causes(failure)])
    ['RuntimeError', 'ConnectionRefusedError']
    """
    pending = [error]
    seen: set[int] = set()
    while pending:
        current = pending.pop(0)
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        if isinstance(current, BaseExceptionGroup):
            pending.extend(current.exceptions)
        pending.extend(link for link in (current.__cause__, current.__context__) if link)
