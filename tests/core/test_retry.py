"""Specification of mixroute.retry: what is retried and how long to wait, as pure functions."""

from __future__ import annotations

import email.utils

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from mixroute.retry import RetryPolicy, is_retryable_status, retry_after_seconds

NO_JITTER = RetryPolicy(initial_delay=0.5, max_delay=8.0, jitter=lambda: 0.0)


# --- RetryPolicy.delay -----------------------------------------------------------------------


def test_delay_grows_exponentially() -> None:
    assert [NO_JITTER.delay(n) for n in range(1, 6)] == [0.5, 1.0, 2.0, 4.0, 8.0]


def test_delay_is_capped() -> None:
    assert NO_JITTER.delay(6) == 8.0
    assert NO_JITTER.delay(50) == 8.0
    assert NO_JITTER.delay(10_000) == 8.0  # no float overflow for absurd attempt numbers


def test_jitter_scales_down_by_at_most_a_quarter() -> None:
    assert RetryPolicy(initial_delay=2.0, jitter=lambda: 0.0).delay(1) == 2.0
    assert RetryPolicy(initial_delay=2.0, jitter=lambda: 0.5).delay(1) == 1.75
    assert RetryPolicy(initial_delay=2.0, jitter=lambda: 0.999).delay(1) == pytest.approx(1.5005)


@given(
    attempt=st.integers(min_value=1, max_value=40),
    jitter=st.floats(min_value=0.0, max_value=1.0, exclude_max=True),
    initial=st.floats(min_value=0.001, max_value=5.0),
)
def test_delay_is_always_within_bounds(attempt: int, jitter: float, initial: float) -> None:
    policy = RetryPolicy(initial_delay=initial, max_delay=8.0, jitter=lambda: jitter)
    base = min(initial * 2 ** (attempt - 1), 8.0)
    delay = policy.delay(attempt)
    assert 0.75 * base <= delay <= base


def test_default_jitter_is_random_within_bounds() -> None:
    delays = {RetryPolicy(initial_delay=1.0).delay(1) for _ in range(50)}
    assert all(0.75 < d <= 1.0 for d in delays)
    assert len(delays) > 1


@pytest.mark.parametrize("retry_after", [0.0, 0.25, 3.0, 30.0, 60.0])
def test_retry_after_within_a_minute_is_used_as_it_is(retry_after: float) -> None:
    assert NO_JITTER.delay(1, retry_after) == retry_after
    assert NO_JITTER.delay(4, retry_after) == retry_after


@pytest.mark.parametrize("retry_after", [60.5, 120.0, 3600.0, -1.0])
def test_retry_after_outside_a_minute_is_ignored(retry_after: float) -> None:
    assert NO_JITTER.delay(1, retry_after) == 0.5
    assert NO_JITTER.delay(3, retry_after) == 2.0


# --- retry_after_seconds ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"retry-after": "5"}, 5.0),
        ({"retry-after": "0"}, 0.0),
        ({"retry-after": "1.5"}, 1.5),
        ({"retry-after": " 12 "}, 12.0),
        ({"retry-after-ms": "1500"}, 1.5),
        ({"retry-after-ms": "0"}, 0.0),
        ({"retry-after-ms": "200", "retry-after": "30"}, 0.2),  # ms is more precise: it wins
        ({"retry-after-ms": "soon", "retry-after": "3"}, 3.0),  # bad ms falls back
        ({"retry-after-ms": "-5", "retry-after": "3"}, 3.0),
    ],
)
def test_retry_after_in_seconds_and_milliseconds(headers: dict[str, str], expected: float) -> None:
    assert retry_after_seconds(headers) == expected


def test_retry_after_reads_httpx_headers_case_insensitively() -> None:
    assert retry_after_seconds(httpx.Headers({"Retry-After": "4"})) == 4.0
    assert retry_after_seconds(httpx.Headers({"Retry-After-Ms": "40"})) == 0.04


def test_retry_after_http_date() -> None:
    now = 1_700_000_000.0
    header = email.utils.formatdate(now + 30, usegmt=True)
    assert retry_after_seconds({"retry-after": header}, now=lambda: now) == 30.0


def test_retry_after_http_date_in_the_past_means_now() -> None:
    now = 1_700_000_000.0
    header = email.utils.formatdate(now - 30, usegmt=True)
    assert retry_after_seconds({"retry-after": header}, now=lambda: now) == 0.0


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"retry-after": "soon"},
        {"retry-after": ""},
        {"retry-after": "-3"},
        {"retry-after": "nan"},
        {"retry-after": "inf"},
        {"retry-after": "1e999"},
        {"retry-after-ms": "garbage"},
        {"retry-after-ms": "nan"},
        {"x-ratelimit-reset": "10"},
    ],
)
def test_garbage_retry_after_is_none(headers: dict[str, str]) -> None:
    assert retry_after_seconds(headers) is None


# --- is_retryable_status ---------------------------------------------------------------------


@pytest.mark.parametrize("status", [408, 409, 429, 500, 502, 503, 504, 529, 599])
def test_retryable_statuses(status: int) -> None:
    assert is_retryable_status(status) is True


@pytest.mark.parametrize("status", [400, 401, 402, 403, 404, 405, 413, 422, 451])
def test_final_statuses(status: int) -> None:
    assert is_retryable_status(status) is False


def test_policy_defaults() -> None:
    policy = RetryPolicy()
    assert policy.max_retries == 2
    assert policy.initial_delay == 0.5
    assert policy.max_delay == 8.0
    assert "sleep" not in repr(policy)  # the injectable functions stay out of the repr
