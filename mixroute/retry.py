"""The retry policy as pure functions: what is retried and how long to wait.

Connection failures, timeouts and the statuses 408, 409, 429 and 5xx are retried; every
other 4xx is final, because sending the same request again cannot change the answer.
The wait grows exponentially with full jitter, capped, and a server's ``Retry-After``
(seconds or an HTTP date) or ``retry-after-ms`` wins when it is reasonable (0–60 s).
"""

from __future__ import annotations

import asyncio
import email.utils
import random
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field

__all__ = ["RetryPolicy", "is_retryable_status", "retry_after_seconds"]

_RETRYABLE_STATUSES = frozenset({408, 409, 429})
_MAX_HONOURED_RETRY_AFTER = 60.0


def is_retryable_status(status_code: int) -> bool:
    """Whether a response with this status is worth sending again."""
    return status_code in _RETRYABLE_STATUSES or status_code >= 500


def retry_after_seconds(
    headers: Mapping[str, str], *, now: Callable[[], float] = time.time
) -> float | None:
    """The wait the server asked for, in seconds, from ``retry-after-ms`` or ``Retry-After``.

    ``Retry-After`` may be a number of seconds or an HTTP date. Returns ``None`` when the
    server said nothing usable.

    >>> retry_after_seconds({"retry-after-ms": "1500"})
    1.5
    """
    raw_ms = headers.get("retry-after-ms")
    if raw_ms is not None:
        try:
            value = float(raw_ms) / 1000.0
        except ValueError:
            value = -1.0
        if value >= 0:
            return value
    raw = headers.get("retry-after")
    if raw is None:
        return None
    try:
        value = float(raw)
    except ValueError:
        parsed = email.utils.parsedate_tz(raw)
        if parsed is None:
            return None
        value = email.utils.mktime_tz(parsed) - now()
    return max(value, 0.0)


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How many times to retry and how long to wait between tries.

    Args:
        max_retries: retries after the first attempt (0 disables retrying).
        initial_delay: the base wait before the first retry, in seconds.
        max_delay: the cap on a computed wait, in seconds.
        jitter: a function returning a number in [0, 1); injectable so tests are exact.
        sleep, asleep: how the sync and async clients wait; injectable for tests.
    """

    max_retries: int = 2
    initial_delay: float = 0.5
    max_delay: float = 8.0
    jitter: Callable[[], float] = field(default=random.random, repr=False)
    sleep: Callable[[float], None] = field(default=time.sleep, repr=False)
    asleep: Callable[[float], Awaitable[None]] = field(default=asyncio.sleep, repr=False)

    def delay(self, attempt: int, retry_after: float | None = None) -> float:
        """Seconds to wait before retry number ``attempt`` (1 for the first retry).

        A server-given ``retry_after`` between 0 and 60 seconds is used as it is; otherwise
        the wait is ``initial_delay * 2**(attempt-1)``, capped at ``max_delay``, scaled by a
        jitter factor between 0.75 and 1.
        """
        if retry_after is not None and 0 <= retry_after <= _MAX_HONOURED_RETRY_AFTER:
            return retry_after
        base = min(self.initial_delay * (2 ** (attempt - 1)), self.max_delay)
        return base * (1 - 0.25 * self.jitter())
