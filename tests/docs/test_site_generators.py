"""The site's other generated parts: the benchmarks page, its charts, the reference docstrings.

Each generator is called directly; mkdocs never runs here.
"""

from __future__ import annotations

import importlib.util
import json
import shutil
from pathlib import Path
from types import ModuleType, SimpleNamespace

import pytest

ROOT = Path(__file__).resolve().parents[2]
HOOKS = ROOT / "docs" / "hooks"
RESULTS = ROOT / "docs" / "benchmarks" / "results.json"


def _load(path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(path.stem, path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


benchmarks_page = _load(HOOKS / "benchmarks_page.py")
griffe_docstrings = _load(HOOKS / "griffe_docstrings.py")


# --- docstrings for the reference: doctests, roles, runtime docstrings -------------------


def test_a_doctest_run_is_fenced_up_to_the_blank_line() -> None:
    text = "Look up a profile.\n\n>>> get_profile('glm-5').tool_choice\nTrue\n\nAfter."
    assert griffe_docstrings.fence_doctests(text).splitlines() == [
        "Look up a profile.",
        "",
        "```pycon",
        ">>> get_profile('glm-5').tool_choice",
        "True",
        "```",
        "",
        "After.",
    ]


def test_a_doctest_at_the_end_is_closed_and_keeps_its_indent() -> None:
    text = "Raises:\n    ValueError: when.\n\n    >>> f(\n    ...     1)\n    2"
    fenced = griffe_docstrings.fence_doctests(text).splitlines()
    assert fenced[3] == "    ```pycon"
    assert fenced[-1] == "    ```"
    assert fenced[4:-1] == ["    >>> f(", "    ...     1)", "    2"]


def test_text_without_doctests_is_left_alone() -> None:
    text = "Quotes > and >> stay.\n\n    indented code\n"
    assert griffe_docstrings.fence_doctests(text) == text.rstrip("\n")


def test_sphinx_roles_become_inline_code() -> None:
    text = "As :class:`MixrouteClient`, from :func:`~mixroute.answer_policy.plan_request`."
    assert griffe_docstrings.plain_roles(text) == "As `MixrouteClient`, from `plan_request`."


def test_a_class_that_extends_its_docstring_is_shown_with_the_whole_of_it() -> None:
    import griffe

    package = griffe.load("mixroute", search_paths=[ROOT])
    client = package["client.MixrouteClient"]
    assert "stream_deadline:" not in client.docstring.value  # the source has it elsewhere
    shown = griffe_docstrings.runtime_docstring(client)
    assert shown is not None
    assert shown.startswith(client.docstring.value)
    assert "stream_deadline:" in shown
    assert griffe_docstrings.runtime_docstring(package["retry.RetryPolicy"]) is None


def test_a_pydantic_field_is_documented_by_its_description() -> None:
    import griffe

    package = griffe.load("llama_index_mixroute", search_paths=[ROOT])
    model = package["llm.Mixroute.model"]
    assert model.docstring is None  # a static reader sees no docstring
    description = griffe_docstrings.field_description(model)
    assert description is not None
    assert "model" in description.lower()
    assert griffe_docstrings.field_description(package["llm.Mixroute.chat"]) is None


# --- the benchmarks page ------------------------------------------------------------------


def test_the_benchmarks_page_shows_every_contender_and_chart_of_the_committed_results() -> None:
    results = json.loads(RESULTS.read_text(encoding="utf-8"))
    page = benchmarks_page.render(RESULTS)
    for name in benchmarks_page.chart_names(results):
        assert f"]({name})" in page
        assert (RESULTS.parent / name).is_file()
    for row in results["rows"]:
        assert f"| {row['contender']} |" in page
    for target in results["targets"]:
        assert target["target"] in page


def test_the_benchmarks_page_fails_when_a_chart_is_missing(tmp_path: Path) -> None:
    copy = tmp_path / "results.json"
    shutil.copy(RESULTS, copy)
    with pytest.raises(ValueError, match=r"bench_small_median\.svg"):
        benchmarks_page.render(copy)


def test_the_benchmarks_hook_fills_its_page_only() -> None:
    page = (ROOT / "docs" / "benchmarks" / "index.md").read_text(encoding="utf-8")
    ours = SimpleNamespace(file=SimpleNamespace(src_uri=benchmarks_page.PAGE))
    other = SimpleNamespace(file=SimpleNamespace(src_uri="models.md"))
    assert benchmarks_page.MARKER not in benchmarks_page.on_page_markdown(page, page=ours)
    assert benchmarks_page.on_page_markdown(page, page=other) == page


# --- the charts (matplotlib comes with the bench extra) -----------------------------------


def test_the_charts_are_the_ones_the_page_shows_and_redraw_identically(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    from benchmarks import charts

    results = json.loads(RESULTS.read_text(encoding="utf-8"))
    first = charts.write(RESULTS, tmp_path / "a")
    second = charts.write(RESULTS, tmp_path / "b")
    assert [path.name for path in first] == benchmarks_page.chart_names(results)
    for a, b in zip(first, second, strict=True):
        assert a.read_bytes() == b.read_bytes(), a.name
        assert a.read_bytes().startswith(b"<?xml")


def test_a_chart_without_data_is_not_drawn(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    from benchmarks import charts

    results = json.loads(RESULTS.read_text(encoding="utf-8"))
    results["rows"] = [row for row in results["rows"] if row["metric"] == "import"]
    results["many_streams"] = {}
    results["breakdowns"] = []
    source = tmp_path / "results.json"
    source.write_text(json.dumps(results), encoding="utf-8")
    assert [path.name for path in charts.write(source, tmp_path)] == ["bench_import.svg"]
