"""The numbers and lists of the reliability page, checked against the suite that proves them.

``docs/reliability.md`` states what the reliability suite (``tests/reliability/``) shows:
how many streams are left midway or run at once, how many connections are reset and how
many answers must arrive, how deep the JSON that must not recurse is. Each is read here
from the test it summarises (the retried statuses are checked in ``test_guide_facts.py``).
"""

from __future__ import annotations

from pathlib import Path

from reliability import test_cancellation, test_scale
from reliability.hostile_actions import deep_json

PAGE = " ".join((Path(__file__).resolve().parents[2] / "docs/reliability.md").read_text().split())


def test_the_counts_of_the_leak_and_scale_tests() -> None:
    left = f"returns its connection to the pool, {test_cancellation.CANCELLED_STREAMS:,} times over"
    assert left in PAGE
    scale = (
        f"{test_scale.STREAMS:,} concurrent streams on one async client, with "
        f"{test_scale.RESET_RATE:.0%} of connections reset, end with at least "
        f"{test_scale.MIN_SUCCESS:.0%} answered"
    )
    assert scale in PAGE


def test_the_depth_of_the_json_that_must_not_recurse() -> None:
    assert f"JSON nested {len(deep_json()):,} deep" in PAGE
    assert "no bare httpx, aiohttp, JSON or `RecursionError` escapes" in PAGE
