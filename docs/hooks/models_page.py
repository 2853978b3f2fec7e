"""The models page, generated at build time from the model profiles in ``mixroute/profiles.py``.

``mkdocs build`` loads this file as a hook: the marker ``<!-- models: generated -->`` in
``docs/models.md`` becomes the tables below, so the page always says what the code does.
The tests call :func:`render` directly.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import fields
from typing import Any

from mixroute.profiles import DEFAULT_PROFILE, ModelProfile, _match, get_profile, known_families

MARKER = "<!-- models: generated -->"
PAGE = "models.md"

# The model ids that Mixroute's own documentation names (its "Models" table, its examples),
# shown with the table row each one resolves to. tests/docs/test_models_page.py keeps its
# own copy, taken from the gateway's documentation, and checks every one is here.
DOCUMENTED_MODEL_IDS = (
    "gpt-4o",
    "gpt-4o-mini",
    "o3-mini",
    "o4-mini",
    "claude-opus-4-6",
    "claude-sonnet-4-5-20250929",
    "deepseek-v3",
    "deepseek-r1",
    "gemini-3-pro-preview",
    "gemini-3-flash-preview",
    "gemini-2.0-flash-thinking-exp",
    "glm-5",
    "kimi-k2.5",
    "doubao-seed-1-8-251228",
    "qwen-max",
    "qwq-32b",
    "grok-3",
    "grok-3-mini",
)

# Which vendor a family pattern belongs to, by its first letters. A pattern that none of
# these matches fails the build: a new family needs its vendor named here.
VENDORS: tuple[tuple[str, str], ...] = (
    (r"gpt-|o\d", "OpenAI"),
    (r"claude", "Anthropic"),
    (r"deepseek", "DeepSeek"),
    (r"gemini", "Google"),
    (r"glm", "Zhipu"),
    (r"kimi", "Moonshot"),
    (r"doubao", "ByteDance"),
    (r"qwen|qwq", "Alibaba"),
    (r"grok", "xAI"),
)

_WEB_SEARCH = {
    "enable_search": "`enable_search`, `search_options`",
    "search_parameters": "`search_parameters`",
    "server_tool": "`web_search_20250305` server tool",
}


def matched_pattern(model_id: str) -> str | None:
    """The family pattern of the table row a model id resolves to; ``None`` for the default.

    profiles.py has no public name for this yet, so the one private call of the site is
    here.
    """
    return _match(model_id)[0]


def vendor_of(pattern: str) -> str:
    """The vendor whose models a family pattern matches (see :data:`VENDORS`)."""
    for prefix, vendor in VENDORS:
        if re.match(prefix, pattern):
            return vendor
    raise ValueError(f"no vendor for the model family {pattern!r}: add it to VENDORS in {__file__}")


def family_rows() -> list[tuple[str, ModelProfile]]:
    """Every family pattern of the table, in table order, with the profile it stands for."""
    rows = []
    for pattern in known_families():
        if matched_pattern(pattern) != pattern:  # another, longer pattern would win
            raise ValueError(f"the family pattern {pattern!r} does not resolve to its own row")
        rows.append((pattern, get_profile(pattern)))
    return rows


def _yes(value: bool) -> str:
    return "yes" if value else "no"


def _tokens(value: int | None) -> str:
    return f"{value:,}" if value is not None else "unknown"


def _tools(profile: ModelProfile) -> str:
    if not profile.tool_calling:
        return "no"
    return "yes" if profile.parallel_tool_calls else "yes, one at a time"


def _forms(forms: Iterable[str]) -> str:
    order = ("auto", "none", "required", "function")
    return ", ".join(
        f"`{form}`" if form != "function" else "named" for form in order if form in forms
    )


def _tool_choice(profile: ModelProfile) -> str:
    forms = profile.accepted_tool_choices
    if not forms:
        return "not sent"
    thinking = profile.thinking_tool_choice_forms
    if thinking is None or thinking == forms:
        return _forms(forms)
    return f"{_forms(forms)}; while thinking: {_forms(thinking) or 'none'}"


def _structured(profile: ModelProfile) -> str:
    notes = [f"`{profile.structured_output_method}`"]
    if profile.structured_output and not profile.structured_output_with_tools:
        notes.append("not with tools")
    if not profile.json_mode:
        # Without tools or JSON mode, only the prompt carries the schema.
        fallback = profile.structured_output_method == "json_mode"
        notes.append("the schema in the prompt only, no JSON mode" if fallback else "no JSON mode")
    return notes[0] + (f" ({', '.join(notes[1:])})" if notes[1:] else "")


def _inputs(profile: ModelProfile) -> str:
    kinds = [
        kind
        for kind, accepted in (
            ("image", profile.image_inputs),
            ("PDF", profile.pdf_inputs),
            ("audio", profile.audio_inputs),
        )
        if accepted
    ]
    return ", ".join(["text", *kinds])


def _reasoning(profile: ModelProfile) -> str:
    if not profile.reasoning_output:
        return "no"
    back = {
        "tool_calls": "sent back on tool-call turns",
        "always": "sent back on every turn",
        "never": "never sent back",
    }[profile.reasoning_on_history]
    return f"yes; {back}" + (", `<think>` inline" if profile.inline_think_tags else "")


def _effort(profile: ModelProfile) -> str:
    levels = profile.reasoning_effort_levels
    if levels is None:
        return "any (passed through)"
    if not levels:
        return "refused"
    return ", ".join(f"`{level}`" for level in levels)


def _vendor_fields(profile: ModelProfile) -> str:
    found = []
    if profile.enable_thinking:
        found.append("`enable_thinking`")
    if profile.web_search is not None:
        found.append(_WEB_SEARCH.get(profile.web_search, f"`{profile.web_search}`"))
    return "; ".join(found) or "none"


def _sampling(profile: ModelProfile) -> str:
    notes = ["`max_completion_tokens`" if profile.uses_max_completion_tokens else "`max_tokens`"]
    if not profile.supports_temperature:
        notes.append("no `temperature`")
    if profile.streaming_only:  # plain calls are streamed and assembled by the core
        notes.append("streamed only")
    return ", ".join(notes)


# Each column: its heading, the profile fields it shows, and how it shows them. The test
# checks that every field of ModelProfile is shown by some column.
COLUMNS: tuple[tuple[str, tuple[str, ...], Callable[[ModelProfile], str]], ...] = (
    ("context", ("max_input_tokens",), lambda p: _tokens(p.max_input_tokens)),
    ("output", ("max_output_tokens",), lambda p: _tokens(p.max_output_tokens)),
    ("tools", ("tool_calling", "parallel_tool_calls"), _tools),
    (
        "`tool_choice`",
        ("tool_choice", "tool_choice_forms", "thinking_tool_choice_forms"),
        _tool_choice,
    ),
    (
        "structured output",
        ("structured_output", "structured_output_with_tools", "json_mode"),
        _structured,
    ),
    ("input", ("image_inputs", "pdf_inputs", "audio_inputs"), _inputs),
    ("reasoning", ("reasoning_output", "reasoning_on_history", "inline_think_tags"), _reasoning),
    ("`reasoning_effort`", ("reasoning_effort_levels",), _effort),
    ("vendor fields", ("enable_thinking", "web_search"), _vendor_fields),
    (
        "limits",
        ("uses_max_completion_tokens", "supports_temperature", "streaming_only"),
        _sampling,
    ),
)


def shown_fields() -> set[str]:
    """The ``ModelProfile`` fields that the table's columns show."""
    return {name for _, names, _ in COLUMNS for name in names}


def _table(heading: list[str], rows: Iterable[list[str]]) -> str:
    lines = [
        "| " + " | ".join(heading) + " |",
        "|" + "---|" * len(heading),
        *("| " + " | ".join(row) + " |" for row in rows),
    ]
    return "\n".join(lines)


def _cells(profile: ModelProfile) -> list[str]:
    return [show(profile) for _, _, show in COLUMNS]


def families_table() -> str:
    """One row per family pattern: every capability the profile records."""
    heading = ["family pattern", "vendor", *(name for name, _, _ in COLUMNS)]
    rows = [
        [f"`{pattern}`", vendor_of(pattern), *_cells(profile)] for pattern, profile in family_rows()
    ]
    return _table(heading, rows)


def model_ids_table(model_ids: Iterable[str] = DOCUMENTED_MODEL_IDS) -> str:
    """The given model ids, each with the family row it resolves to."""
    rows = []
    for model_id in model_ids:
        pattern = matched_pattern(model_id)
        row = f"`{pattern}`" if pattern is not None else "none (the default profile)"
        vendor = vendor_of(pattern) if pattern is not None else "unknown"
        rows.append([f"`{model_id}`", row, vendor])
    return _table(["model id", "family row", "vendor"], rows)


def default_table() -> str:
    """The profile of a model id that no row matches."""
    return _table([name for name, _, _ in COLUMNS], [_cells(DEFAULT_PROFILE)])


def render() -> str:
    """The generated part of the models page, in markdown."""
    return "\n\n".join(
        [
            "## Documented model ids",
            "The ids Mixroute's documentation names, and the family row each resolves to.",
            model_ids_table(),
            "## Families",
            f"{len(family_rows())} family patterns, in the order of `mixroute/profiles.py`.",
            families_table(),
            "## Any other model id",
            "An id that no pattern matches is still passed through, with this profile:",
            default_table(),
        ]
    )


def on_page_markdown(markdown: str, page: Any, **_: Any) -> str:
    """The mkdocs hook: put the generated tables in place of the marker on the models page."""
    if page.file.src_uri != PAGE:
        return markdown
    if MARKER not in markdown:
        raise ValueError(f"docs/{PAGE} lost its marker {MARKER}")
    return markdown.replace(MARKER, render())


def profile_field_names() -> set[str]:
    """Every field of ``ModelProfile``, for the test that all of them are shown."""
    return {field.name for field in fields(ModelProfile)}
