"""The README's scenario table lists every scenario and every test of this suite.

It also says which drivers each catalogue scenario runs through, and the limits' defaults
as the core has them.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

from mixroute import settings
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
        kind = {(True, True): "plain + stream", (True, False): "plain", (False, True): "stream"}
        runs = kind[scenario.plain is not None, scenario.stream is not None]
        assert f"{row} ({runs}" in README, f"{scenario.name} runs through {runs} drivers"


def test_the_limits_table_states_the_core_defaults() -> None:
    mib = 1024 * 1024
    stream_deadline = settings.ClientSettings.__dataclass_fields__["stream_deadline"].default
    defaults = {
        "deadline": f"{settings.DEFAULT_DEADLINE:g} s",
        "stream_deadline": "none" if stream_deadline is None else f"{stream_deadline:g} s",
        "max_line_bytes": f"{settings.DEFAULT_MAX_LINE_BYTES // mib} MiB",
        "max_body_bytes": f"{settings.DEFAULT_MAX_BODY_BYTES // mib} MiB",
        "max_error_body_bytes": f"{settings.DEFAULT_MAX_ERROR_BODY_BYTES // 1024} KiB",
    }
    for name, default in defaults.items():
        assert re.search(rf"^\| `{name}` \| [^|]+ \| {default} \|", README, re.M), name


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
