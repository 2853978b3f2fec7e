"""What the reasoning guide says of the profiles, checked against them and the requests.

The table of ``reasoning_on_history`` names families per value; the prose says which
models refuse ``reasoning_effort``, what an unknown model passes through, and what
OpenAI's reasoning models are sent instead of ``max_tokens`` and ``temperature``.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from mixroute import InvalidRequestError, UserMessage, build_request_body
from mixroute.profiles import get_profile, known_families

GUIDE = (Path(__file__).resolve().parents[2] / "docs/guides/reasoning.md").read_text()
TEXT = " ".join(GUIDE.split())
# The models each family named in the table is checked on.
FAMILIES = {
    "Kimi": ("kimi-k2",),
    "DeepSeek V3.2+": ("deepseek-v3.2",),
    "GLM": ("glm-5",),
    "Qwen": ("qwen-max", "qwen3-235b-a22b"),
    "Doubao": ("doubao-seed-1-8-251228",),
    "DeepSeek R1": ("deepseek-r1",),
    "Claude": ("claude-sonnet-4-5", "claude-opus-4-1"),
    "o-series": ("o1", "o3", "o3-mini", "o4-mini"),
    "Gemini": ("gemini-2.5-pro",),
    "Grok mini": ("grok-3-mini",),
}


def table() -> dict[str, list[str]]:
    """``reasoning_on_history`` value -> the families its row names."""
    found = re.findall(r'^\| `"(\w+)"` \| [^|]+ \| ([^|]+) \|$', GUIDE, re.M)
    return {
        value: [
            re.sub(r" \(.*", "", family).strip() for family in re.split(r", (?![^()]*\))", cell)
        ]
        for value, cell in found
    }


def test_the_table_names_the_families_it_is_checked_on() -> None:
    rows = table()
    assert set(rows) == {"tool_calls", "never", "always"}
    assert set(rows["tool_calls"]) | set(rows["never"]) == set(FAMILIES)


@pytest.mark.parametrize("value", ["tool_calls", "never"])
def test_each_family_hands_reasoning_back_as_its_row_says(value: str) -> None:
    for family in table()[value]:
        for model in FAMILIES[family]:
            assert get_profile(model).reasoning_on_history == value, model


def test_no_family_hands_it_back_always_unless_overridden() -> None:
    assert table()["always"] == [
        'none by default; `profile_overrides={"reasoning_on_history": "always"}`'
    ]
    assert all(get_profile(family).reasoning_on_history != "always" for family in known_families())
    overridden = get_profile("glm-5", {"reasoning_on_history": "always"})
    assert overridden.reasoning_on_history == "always"


def test_reasoning_effort_is_checked_against_the_profile() -> None:
    assert "a model whose profile refuses the field (`deepseek-r1`, `gpt-4o`) gets an error" in TEXT
    assert "a model whose levels are unknown passes any string through" in TEXT
    for model in ("deepseek-r1", "gpt-4o"):
        with pytest.raises(InvalidRequestError, match="does not take reasoning_effort"):
            build_request_body(model, [UserMessage("Hi")], reasoning_effort="low")
    with pytest.raises(InvalidRequestError, match="low, high"):
        build_request_body("grok-3-mini", [UserMessage("Hi")], reasoning_effort="medium")
    unknown = build_request_body("my-own-model", [UserMessage("Hi")], reasoning_effort="turbo")
    assert unknown["reasoning_effort"] == "turbo"


@pytest.mark.parametrize("model", ["o1", "o3", "o4-mini", "gpt-5"])
def test_openai_reasoning_models_get_max_completion_tokens_and_no_temperature(model: str) -> None:
    assert "`max_completion_tokens` instead of `max_tokens`, and no `temperature`" in TEXT
    body = build_request_body(model, [UserMessage("Hi")], max_tokens=100, temperature=0.5)
    assert body["max_completion_tokens"] == 100
    assert "max_tokens" not in body
    assert "temperature" not in body


def test_enable_thinking_is_checked_for_a_bool_and_sent_as_given() -> None:
    assert "Any other value is an `InvalidRequestError`; the flag is sent to any model" in TEXT
    assert get_profile("qwen-plus").enable_thinking
    assert not get_profile("gpt-4o").enable_thinking
    for model in ("qwen-plus", "gpt-4o"):
        for value in (True, False):
            body = build_request_body(model, [UserMessage("Hi")], enable_thinking=value)
            assert body["enable_thinking"] is value
        with pytest.raises(InvalidRequestError, match="enable_thinking must be true or false"):
            build_request_body(model, [UserMessage("Hi")], enable_thinking="yes")
