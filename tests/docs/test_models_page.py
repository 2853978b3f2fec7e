"""The models page of the site: generated from the profiles, it names every documented model.

The generator is ``docs/hooks/models_page.py`` (an mkdocs hook); these tests call it
directly and never run mkdocs.
"""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path
from types import ModuleType, SimpleNamespace

import pytest

from mixroute.profiles import DEFAULT_PROFILE, get_profile, known_families

ROOT = Path(__file__).resolve().parents[2]
HOOK = ROOT / "docs" / "hooks" / "models_page.py"

# Every model id that the gateway's documentation names (shared/mixroute-api.md, its
# "Models" table), with the family stem its profile row must start with.
DOCUMENTED = (
    ("gpt-4o", "gpt-4o"),
    ("gpt-4o-mini", "gpt-4o"),
    ("o3-mini", "o3"),
    ("o4-mini", "o4"),
    ("claude-opus-4-6", "claude"),
    ("claude-sonnet-4-5-20250929", "claude"),
    ("deepseek-v3", "deepseek"),
    ("deepseek-r1", "deepseek"),
    ("gemini-3-pro-preview", "gemini"),
    ("gemini-3-flash-preview", "gemini"),
    ("gemini-2.0-flash-thinking-exp", "gemini"),
    ("glm-5", "glm"),
    ("kimi-k2.5", "kimi"),
    ("doubao-seed-1-8-251228", "doubao"),
    ("qwen-max", "qwen"),
    ("qwq-32b", "qwq"),
    ("grok-3", "grok"),
    ("grok-3-mini", "grok"),
)


def _load_hook() -> ModuleType:
    spec = importlib.util.spec_from_file_location("models_page", HOOK)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


hook = _load_hook()


def _row(markdown: str, first_cell: str) -> str:
    """The table line whose first cell is ``first_cell`` (in backticks)."""
    (line,) = [line for line in markdown.splitlines() if line.startswith(f"| `{first_cell}` |")]
    return line


@pytest.mark.parametrize(("model_id", "stem"), DOCUMENTED, ids=[m for m, _ in DOCUMENTED])
def test_a_documented_model_id_resolves_to_its_own_family(model_id: str, stem: str) -> None:
    pattern = hook.matched_pattern(model_id)
    assert pattern is not None, f"{model_id} falls back to the default profile"
    assert pattern.startswith(stem), f"{model_id} resolves to the {pattern!r} row"
    assert get_profile(model_id) != DEFAULT_PROFILE
    assert get_profile(model_id) == get_profile(pattern)


@pytest.mark.parametrize(("model_id", "stem"), DOCUMENTED, ids=[m for m, _ in DOCUMENTED])
def test_a_documented_model_id_is_in_the_generated_page(model_id: str, stem: str) -> None:
    table = hook.model_ids_table()
    assert table in hook.render()
    row = _row(table, model_id)
    assert f"| `{hook.matched_pattern(model_id)}` |" in row


def test_every_family_pattern_has_a_row_that_shows_its_profile() -> None:
    page = hook.families_table()
    assert page in hook.render()
    for pattern in known_families():
        row = _row(page, pattern)
        profile = get_profile(pattern)
        assert f"`{profile.structured_output_method}`" in row, pattern
        levels = profile.reasoning_effort_levels
        if levels:
            assert ", ".join(f"`{level}`" for level in levels) in row, pattern
        if profile.max_input_tokens is not None:
            assert f"{profile.max_input_tokens:,}" in row, pattern


def test_a_model_without_tool_choice_shows_none_sent() -> None:
    # deepseek-r1's tool_choice is off in the profile table; glm takes "auto" alone.
    page = hook.families_table()
    assert not get_profile("deepseek-r1").accepted_tool_choices
    assert "| not sent |" in _row(page, "deepseek-r1")
    assert sorted(get_profile("glm-5").accepted_tool_choices) == ["auto"]
    assert "| `auto` |" in _row(page, "glm-5")


def test_every_profile_field_is_shown_by_some_column() -> None:
    assert hook.shown_fields() == hook.profile_field_names()


def test_every_column_is_explained_above_the_table() -> None:
    legend = (ROOT / "docs" / "models.md").read_text().split("<!-- models: generated -->")[0]
    for heading, _, _ in hook.COLUMNS:
        assert f"**{heading}**" in legend, heading


def test_the_limits_column_shows_what_its_explanation_names() -> None:
    page = hook.families_table()
    assert get_profile("qwq-32b").streaming_only
    assert "streamed only" in _row(page, "qwq")
    assert "`max_completion_tokens`" in _row(page, "o1")
    assert "no `temperature`" in _row(page, "o1")
    assert "streamed only" not in _row(page, "qwen")


def test_the_input_column_names_each_kind_the_profile_takes() -> None:
    page = hook.families_table()
    gpt = get_profile("gpt-4o")
    assert (gpt.image_inputs, gpt.pdf_inputs, gpt.audio_inputs) == (True, True, False)
    assert "| text, image, PDF |" in _row(page, "gpt-4o")
    assert not get_profile("deepseek-chat").image_inputs
    assert "| text |" in _row(page, "deepseek")


def test_the_table_has_as_many_cells_as_headings_in_every_row() -> None:
    tables = [line for line in hook.render().splitlines() if line.startswith("|")]
    assert tables
    for line in tables:
        cells = re.split(r"(?<!\\)\|", line.strip())[1:-1]
        assert cells, line
        assert all(cell.strip() for cell in cells), line


def test_the_hook_fills_the_marker_of_the_models_page_only() -> None:
    page = (ROOT / "docs" / "models.md").read_text(encoding="utf-8")
    assert hook.MARKER in page
    models = SimpleNamespace(file=SimpleNamespace(src_uri="models.md"))
    other = SimpleNamespace(file=SimpleNamespace(src_uri="index.md"))
    filled = hook.on_page_markdown(page, page=models)
    assert hook.MARKER not in filled
    assert "`claude-sonnet-4-5-20250929`" in filled
    assert hook.on_page_markdown(page, page=other) == page


def test_the_hook_fails_when_the_models_page_lost_its_marker() -> None:
    models = SimpleNamespace(file=SimpleNamespace(src_uri="models.md"))
    with pytest.raises(ValueError, match="marker"):
        hook.on_page_markdown("# Models\n", page=models)
