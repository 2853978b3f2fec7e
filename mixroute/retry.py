"""The retry policy as pure functions: what is retried and how long to wait.

Connection failures, timeouts and the statuses 408, 409, 429 and 5xx are retried; every
other 4xx is final, because sending the same request again cannot change the answer.
The wait grows exponentially, capped and jittered down by up to a quarter, and a server's
``Retry-After`` (seconds or an HTTP date) or ``retry-after-ms`` wins when it is reasonable
(0 to 60 s).
"""

from __future__ import annotations

import asyncio
import email.utils
import math
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
    """Read the wait the server asked for, in seconds, from ``retry-after-ms`` or ``Retry-After``.

    ``Retry-After`` may be a number of seconds or an HTTP date (a date in the past means
    now). Returns ``None`` when the server said nothing usable: no header, a negative or
    non-finite number, or text that is neither. ``headers`` is looked up by lowercase
    name, as :class:`httpx.Headers` (case-insensitive) allows.

    >>> retry_after_seconds({"retry-after-ms": "1500"})
    1.5
    """
    raw_ms = headers.get("retry-after-ms")
    if raw_ms is not None:
        value = _seconds(raw_ms)
        if value is not None:
            return value / 1000.0
    raw = headers.get("retry-after")
    if raw is None:
        return None
    value = _seconds(raw)
    if value is not None:
        return value
    parsed = email.utils.parsedate_tz(raw)
    if parsed is None:
        return None
    return max(email.utils.mktime_tz(parsed) - now(), 0.0)


def _seconds(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    # A negative or infinite wait is not a wait: "nan", "inf" and "-5" count as garbage.
    return value if math.isfinite(value) and value >= 0 else None


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How many times to retry and how long to wait between tries.

    Args:
        max_retries: retries after the first attempt (0 disables retrying).
        initial_delay: the base wait before the first retry, in seconds.
        max_delay: the cap on a computed wait, in seconds.
        jitter: a function returning a number in [0, 1); injectable so tests are exact.
        sleep: how the sync client waits; injectable for tests.
        asleep: how the async client waits; injectable for tests.

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
        # The exponent is bounded so a huge attempt number cannot overflow a float.
        growth = 2.0 ** min(max(attempt - 1, 0), 64)
        base = min(self.initial_delay * growth, self.max_delay)
        return base * (1.0 - 0.25 * self.jitter())
