"""The conformance table (``tests/conformance_cases.py``) through all three layers.

Every case is sent through the core (``MixrouteClient`` with typed messages, and
``build_request_body`` with the conversation as wire dicts), ``ChatMixroute`` and
``Mixroute`` (drivers in ``support/conformance_drivers.py``); each must send exactly the
case's request body, so the three layers send alike.
"""

from __future__ import annotations

from typing import Any

import pytest
from conformance_cases import CASES, ConformanceCase
from support.conformance_drivers import DRIVERS

# Where a layer still sends something else, by (case, layer): each is a strict xfail, so
# the fix turns it into a failure that says to remove the entry here.
KNOWN_DIFFERENCES: dict[tuple[str, str], str] = {}


def _params() -> list[Any]:
    params = []
    for case in CASES:
        for layer in DRIVERS:
            reason = KNOWN_DIFFERENCES.get((case.name, layer))
            marks = [pytest.mark.xfail(reason=reason, strict=True)] if reason else []
            params.append(pytest.param(case, layer, marks=marks, id=f"{case.name}-{layer}"))
    return params


@pytest.mark.parametrize(("case", "layer"), _params())
def test_each_layer_sends_the_case_body(case: ConformanceCase, layer: str) -> None:
    assert DRIVERS[layer](case) == [case.expected]


def test_known_differences_name_real_cases_and_layers() -> None:
    names = {case.name for case in CASES}
    for name, layer in KNOWN_DIFFERENCES:
        assert name in names
        assert layer in DRIVERS


def test_the_table_sets_every_tool_option_explicitly() -> None:
    # A case with tools leaves no framework default to decide tool_choice or
    # parallel_tool_calls (LlamaIndex sends parallel_tool_calls with every tool call).
    for case in CASES:
        if case.tools:
            assert case.tool_choice is not None, case.name
            assert case.parallel_tool_calls is not None, case.name


def test_case_names_are_unique() -> None:
    names = [case.name for case in CASES]
    assert len(names) == len(set(names))
