"""Specification of mixroute.profiles: the capability table and its lookup."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from mixroute.errors import InvalidRequestError
from mixroute.profiles import (
    DEFAULT_PROFILE,
    ModelProfile,
    _match,
    get_profile,
    known_families,
)

# Every model id named in mixroute-api.md, with the family facts a request depends on.
DOCUMENTED_MODELS: dict[str, dict[str, Any]] = {
    "gpt-4o": {
        "max_input_tokens": 128_000,
        "image_inputs": True,
        "pdf_inputs": True,
        "structured_output": True,
        "reasoning_effort_levels": (),
        "supports_temperature": True,
        "uses_max_completion_tokens": False,
    },
    "gpt-4o-mini": {"max_input_tokens": 128_000, "structured_output": True},
    "o3-mini": {
        "image_inputs": False,
        "reasoning_effort_levels": ("low", "medium", "high"),
        "supports_temperature": False,
        "uses_max_completion_tokens": True,
        "parallel_tool_calls": False,
        "reasoning_on_history": "never",
    },
    "o4-mini": {
        "image_inputs": True,
        "supports_temperature": False,
        "uses_max_completion_tokens": True,
        "reasoning_on_history": "never",
    },
    "claude-opus-4-6": {
        "max_input_tokens": 200_000,
        "max_output_tokens": 128_000,
        "image_inputs": True,
        "pdf_inputs": True,
        "web_search": "server_tool",
        "reasoning_output": True,
    },
    "claude-sonnet-4-5-20250929": {
        "max_input_tokens": 200_000,
        "max_output_tokens": 64_000,
        "web_search": "server_tool",
        "structured_output": False,
    },
    "deepseek-v3": {
        "tool_calling": True,
        "json_mode": True,
        "structured_output": False,
        "reasoning_output": False,
    },
    "deepseek-r1": {
        "reasoning_output": True,
        "reasoning_on_history": "never",
        "structured_output": False,
        "json_mode": False,
    },
    "gemini-3-pro-preview": {
        "max_input_tokens": 1_048_576,
        "audio_inputs": True,
        "structured_output": True,
        "reasoning_effort_levels": ("low", "high"),
    },
    "gemini-3-flash-preview": {
        "max_input_tokens": 1_048_576,
        "reasoning_effort_levels": ("none", "low", "medium", "high"),
    },
    "gemini-2.0-flash-thinking-exp": {"reasoning_output": True, "tool_calling": False},
    "glm-5": {
        "reasoning_output": True,
        "reasoning_on_history": "tool_calls",
        "tool_choice_forms": frozenset({"auto"}),
    },
    "kimi-k2.5": {
        "reasoning_output": True,
        "reasoning_on_history": "tool_calls",
        "image_inputs": True,
        "supports_temperature": False,
    },
    "doubao-seed-1-8-251228": {
        "image_inputs": True,
        "reasoning_output": True,
        "reasoning_effort_levels": ("minimal", "low", "medium", "high"),
    },
    "qwen-max": {
        "max_input_tokens": 32_768,
        "web_search": "enable_search",
        "enable_thinking": False,
    },
    "qwq-32b": {
        "reasoning_output": True,
        "enable_thinking": True,
        "web_search": "enable_search",
        "json_mode": False,
    },
    "grok-3": {
        "web_search": "search_parameters",
        "reasoning_effort_levels": (),
        "reasoning_output": False,
    },
    "grok-3-mini": {
        "web_search": "search_parameters",
        "reasoning_effort_levels": ("low", "high"),
        "reasoning_output": True,
    },
}


@pytest.mark.parametrize(("model", "expected"), DOCUMENTED_MODELS.items())
def test_documented_model_has_its_family_values(model: str, expected: dict[str, Any]) -> None:
    profile = get_profile(model)
    assert profile is not DEFAULT_PROFILE
    actual = {name: getattr(profile, name) for name in expected}
    assert actual == expected


def test_documented_reasoning_effort_example_is_accepted() -> None:
    # The seed sends reasoning_effort "high" to grok-3-mini.
    levels = get_profile("grok-3-mini").reasoning_effort_levels
    assert levels is not None
    assert "high" in levels
    assert "medium" not in levels  # xAI accepts only low and high


def test_gpt5_is_a_reasoning_model_with_minimal_effort() -> None:
    profile = get_profile("gpt-5")
    assert profile.reasoning_effort_levels == ("minimal", "low", "medium", "high")
    assert profile.uses_max_completion_tokens
    assert not profile.supports_temperature
    assert get_profile("gpt-5-mini") == profile


def test_o1_and_o3_reject_temperature_and_parallel_tool_calls() -> None:
    for model in ("o1", "o3", "o3-mini", "o4-mini"):
        profile = get_profile(model)
        assert not profile.supports_temperature, model
        assert not profile.parallel_tool_calls, model
        assert profile.reasoning_on_history == "never", model


def test_grok4_refuses_reasoning_effort() -> None:
    assert get_profile("grok-4-0709").reasoning_effort_levels == ()


@pytest.mark.parametrize(
    ("prefixed", "plain"),
    [
        ("openai/gpt-4o", "gpt-4o"),
        ("deepseek-ai/DeepSeek-R1", "deepseek-r1"),
        ("deepseek-ai/DeepSeek-V3", "deepseek-v3"),
        ("anthropic/claude-sonnet-4-5", "claude-sonnet-4-5"),
        ("models/gemini-2.5-pro", "gemini-2.5-pro"),
        ("Qwen/QwQ-32B", "qwq-32b"),
        ("openai:o3-mini", "o3-mini"),
        ("us.anthropic.claude-3-7-sonnet-20250219-v1:0", "claude-3-7-sonnet"),
    ],
)
def test_vendor_prefixes_are_tolerated(prefixed: str, plain: str) -> None:
    assert get_profile(prefixed) is get_profile(plain)
    assert get_profile(prefixed) is not DEFAULT_PROFILE


@pytest.mark.parametrize("model", ["GPT-4o", "Qwen-Max", "DeepSeek-R1", "  grok-3-mini  "])
def test_lookup_ignores_case_and_surrounding_space(model: str) -> None:
    assert get_profile(model) is get_profile(model.strip().lower())
    assert get_profile(model) is not DEFAULT_PROFILE


@pytest.mark.parametrize(
    "model", ["llama-3.1-70b", "mistral-large", "", "o10", "mygpt-4o", "chatgpt-4o-latest"]
)
def test_unknown_model_gets_the_default_profile(model: str) -> None:
    assert get_profile(model) is DEFAULT_PROFILE


def test_default_profile_is_permissive() -> None:
    assert DEFAULT_PROFILE.tool_calling
    assert DEFAULT_PROFILE.tool_choice
    assert DEFAULT_PROFILE.reasoning_effort_levels is None
    assert not DEFAULT_PROFILE.structured_output
    assert DEFAULT_PROFILE.json_mode
    assert DEFAULT_PROFILE.max_input_tokens is None
    assert DEFAULT_PROFILE.reasoning_on_history == "tool_calls"


@pytest.mark.parametrize(
    ("model", "family"),
    [
        ("gpt-4o-mini-2024-07-18", "gpt-4o-mini"),
        ("gpt-4o-2024-08-06", "gpt-4o"),
        ("o3-mini-2025-01-31", "o3-mini"),
        ("o3-2025-04-16", "o3"),
        ("deepseek-r1-0528", "deepseek-r1"),
        ("deepseek-r1-distill-qwen-32b", "deepseek-r1-distill"),
        ("deepseek-coder", "deepseek"),
        ("deepseek-v3.2-exp", "deepseek-v3.*"),
        ("gpt-5.1", "gpt-5.*"),
        ("kimi-k2.5", "kimi-k2.5"),
        ("kimi-k2-0711-preview", "kimi-k2"),
        ("gemini-2.0-flash-thinking-exp-01-21", "gemini-2.0-flash-thinking"),
        ("gemini-2.5-flash-lite", "gemini-2.5-flash"),
        ("glm-4.5v", "glm-*v"),
        ("glm-4.5-air", "glm-4.5"),
        ("claude-opus-4-1-20250805", "claude-opus-4"),
        ("grok-3-mini-fast", "grok-3-mini"),
        ("qwen3-max-preview", "qwen3-max"),
        ("qwen3-235b-a22b", "qwen3"),
    ],
)
def test_most_specific_pattern_wins(model: str, family: str) -> None:
    assert _match(model)[0] == family


def test_specific_rows_differ_from_their_parents() -> None:
    assert get_profile("o3").image_inputs
    assert not get_profile("o3-mini").image_inputs
    assert get_profile("deepseek-r1").reasoning_output
    assert not get_profile("deepseek").reasoning_output
    assert get_profile("gemini-2.0-flash-thinking-exp").reasoning_output
    assert not get_profile("gemini-2.0-flash").reasoning_output
    assert get_profile("kimi-k2.5").image_inputs
    assert not get_profile("kimi-k2").image_inputs
    assert get_profile("gpt-5.1").reasoning_effort_levels is None


def test_every_plain_pattern_selects_its_own_row() -> None:
    # A row that another row shadows would be dead data.
    for pattern in known_families():
        if "*" not in pattern:
            assert _match(pattern)[0] == pattern


def test_known_families_cover_every_vendor_once() -> None:
    families = known_families()
    assert len(families) == len(set(families))
    for family in ("gpt-4o", "o3-mini", "claude", "deepseek-r1", "gemini", "glm", "kimi"):
        assert family in families
    for family in ("doubao-seed", "qwen", "qwq", "grok-3-mini"):
        assert family in families


def test_table_rows_are_internally_consistent() -> None:
    all_forms = {"auto", "none", "required", "function"}
    for family in known_families():
        profile = get_profile(family.replace("*", "1"))
        if not profile.tool_calling:
            assert not profile.tool_choice, family
        if profile.tool_choice:
            assert profile.tool_choice_forms, family
        assert profile.tool_choice_forms <= all_forms, family
        assert profile.web_search in {None, "enable_search", "server_tool", "search_parameters"}
        assert profile.reasoning_on_history in {"tool_calls", "always", "never"}
        if profile.reasoning_effort_levels:
            assert profile.reasoning_output, family
        if profile.enable_thinking:
            assert profile.reasoning_output, family


def test_mapping_overrides_apply_on_top_of_the_table() -> None:
    profile = get_profile("gpt-4o", {"max_input_tokens": 64_000, "structured_output": False})
    assert profile.max_input_tokens == 64_000
    assert not profile.structured_output
    assert profile.image_inputs  # untouched fields keep the table's value
    assert get_profile("gpt-4o").max_input_tokens == 128_000  # the table is not changed


def test_mapping_overrides_coerce_sequences() -> None:
    profile = get_profile(
        "unknown-model",
        {"reasoning_effort_levels": ["low", "high"], "tool_choice_forms": ["auto"]},
    )
    assert profile.reasoning_effort_levels == ("low", "high")
    assert profile.tool_choice_forms == frozenset({"auto"})
    hash(profile)  # still a frozen, hashable value


@pytest.mark.parametrize("model", ["qwq-32b", "qwen/qwq-32b-preview", "QwQ-Plus"])
def test_qwq_answers_only_when_streamed(model: str) -> None:
    assert get_profile(model).streaming_only


def test_only_qwq_is_streaming_only_and_an_override_turns_it_off_or_on() -> None:
    assert [f for f in known_families() if get_profile(f).streaming_only] == ["qwq"]
    assert not DEFAULT_PROFILE.streaming_only
    assert not get_profile("qwq-32b", {"streaming_only": False}).streaming_only
    assert get_profile("my-stream-only-model", {"streaming_only": True}).streaming_only


def test_profile_instance_override_replaces_the_table() -> None:
    mine = ModelProfile(max_input_tokens=4096, tool_calling=False)
    assert get_profile("gpt-4o", mine) is mine


def test_unknown_override_key_is_rejected_with_the_valid_keys() -> None:
    with pytest.raises(InvalidRequestError) as caught:
        get_profile("gpt-4o", {"max_tokens_in": 10})
    message = str(caught.value)
    assert "max_tokens_in" in message
    assert "max_input_tokens" in message
    assert "reasoning_on_history" in message
    assert isinstance(caught.value, ValueError)


def test_bad_reasoning_on_history_is_rejected() -> None:
    with pytest.raises(InvalidRequestError, match="sometimes"):
        get_profile("kimi-k2.5", {"reasoning_on_history": "sometimes"})


def test_profiles_are_frozen() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        get_profile("gpt-4o").max_input_tokens = 1  # type: ignore[misc]


def test_repeated_lookups_return_the_cached_profile() -> None:
    before = _match.cache_info().hits
    first = get_profile("claude-sonnet-4-5-20250929")
    assert get_profile("claude-sonnet-4-5-20250929") is first
    assert _match.cache_info().hits > before


@pytest.mark.parametrize(
    ("overrides", "method"),
    [
        ({"structured_output": True}, "json_schema"),
        ({"structured_output": False, "tool_calling": True}, "function_calling"),
        ({"structured_output": False, "tool_choice_forms": frozenset({"auto"})}, "json_mode"),
        ({"structured_output": False, "tool_calling": False}, "json_mode"),
        (
            {
                "structured_output": False,
                "tool_choice_forms": frozenset({"auto"}),
                "json_mode": False,
            },
            "function_calling",
        ),
    ],
)
def test_structured_output_method_picks_the_best_supported(
    overrides: dict[str, object], method: str
) -> None:
    assert get_profile("some-unknown-model", overrides).structured_output_method == method


def test_documented_models_structured_output_method() -> None:
    assert get_profile("gpt-4o").structured_output_method == "json_schema"
    assert get_profile("deepseek-r1").structured_output_method == "function_calling"
