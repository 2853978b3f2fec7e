"""Specification of langchain_mixroute.profile: the core's model profile in LangChain's keys."""

from __future__ import annotations

import pytest
from langchain_core.language_models.model_profile import ModelProfile as LCModelProfile

from langchain_mixroute import ChatMixroute
from langchain_mixroute.profile import to_langchain_profile
from mixroute import get_profile
from mixroute.profiles import DEFAULT_PROFILE

LANGCHAIN_KEYS = LCModelProfile.__required_keys__ | LCModelProfile.__optional_keys__

MODELS = [
    "gpt-4o",
    "gpt-4o-mini",
    "o3-mini",
    "o1-mini",
    "gpt-5",
    "claude-sonnet-4-5-20250929",
    "deepseek-v3",
    "deepseek-r1",
    "gemini-3-flash-preview",
    "glm-5",
    "kimi-k2.5",
    "doubao-seed-1-8-251228",
    "qwen-max",
    "qwq-32b",
    "grok-3",
    "grok-3-mini",
    "unknown-model",
]


@pytest.mark.parametrize("model", MODELS)
def test_only_langchain_keys_and_no_unknown_values(model: str) -> None:
    profile = to_langchain_profile(get_profile(model))
    assert set(profile) <= LANGCHAIN_KEYS
    assert None not in profile.values()
    assert profile["text_inputs"] is True
    assert profile["text_outputs"] is True


def test_values_are_translated() -> None:
    gpt = to_langchain_profile(get_profile("gpt-4o"))
    assert gpt["max_input_tokens"] == 128_000
    assert gpt["image_inputs"] is gpt["image_url_inputs"] is True
    assert gpt["reasoning_effort_levels"] == []  # () in the core: the field is refused
    assert gpt["temperature"] is True
    o3 = to_langchain_profile(get_profile("o3-mini"))
    assert o3["reasoning_effort_levels"] == ["low", "medium", "high"]
    assert o3["temperature"] is False
    no_tools = to_langchain_profile(get_profile("o1-mini"))
    assert no_tools["tool_calling"] is False
    assert no_tools["tool_choice"] is False


def test_unknown_values_are_left_out() -> None:
    profile = to_langchain_profile(DEFAULT_PROFILE)
    assert "max_input_tokens" not in profile
    assert "max_output_tokens" not in profile
    assert "reasoning_effort_levels" not in profile
    assert profile["tool_calling"] is True


def test_the_chat_model_profile_is_this_translation() -> None:
    overrides = {"structured_output": True, "max_input_tokens": 4096}
    llm = ChatMixroute(model="glm-5", api_key="sk-test-0123456789", profile_overrides=overrides)
    assert llm.profile == to_langchain_profile(get_profile("glm-5", overrides))
    assert llm.profile is not None
    assert llm.profile["max_input_tokens"] == 4096
