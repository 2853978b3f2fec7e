"""The README's scenario table lists every scenario and every test of this suite."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from reliability.scenarios import SCENARIOS
from reliability.test_bad_input import INVALID_INPUTS

HERE = Path(__file__).parent
README = (HERE / "README.md").read_text()
ROWS = [line for line in README.splitlines() if re.match(r"\| \d+ \|", line)]


def test_the_table_numbers_its_rows_in_order() -> None:
    numbers = [int(row.split("|")[1]) for row in ROWS]
    assert numbers == list(range(1, len(ROWS) + 1))
    assert len(ROWS) >= 40


def test_every_catalogue_scenario_has_its_row() -> None:
    for scenario in SCENARIOS:
        row = f"| `{scenario.name}` | {scenario.behaviour} | `test_fault_catalogue[{scenario.name}-*]`"
        assert row in README, scenario.name


def test_every_invalid_input_has_its_row() -> None:
    for param in INVALID_INPUTS:
        assert f"`{param.id}`" in README, param.id


def test_every_test_of_the_suite_is_named_in_the_table() -> None:
    for path in HERE.glob("test_*.py"):
        if path.name == "test_readme.py":
            continue
        for node in ast.parse(path.read_text()).body:
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name.startswith(
                "test_"
            ):
                assert f"`{node.name}" in README, f"{path.name}::{node.name}"
