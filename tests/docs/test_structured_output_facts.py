"""The structured-output guide's table of methods, checked against what the core sends.

Each row of the table names a family, how a ``response_format`` with a JSON schema is
carried out for it, and what a forcing ``tool_choice`` becomes. Each claim is checked
here on the body ``plan_request`` (public, and what ``create`` sends) plans for the
family's models, with the warning where the table says a choice is degraded.
"""

from __future__ import annotations

import json
import re
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from support.local_server import LocalServer

from mixroute import MixrouteClient, MixrouteWarning, UserMessage
from mixroute.answer_policy import plan_request
from mixroute.profiles import get_profile
from mixroute.tool_choice import forget_warnings

GUIDE = (Path(__file__).resolve().parents[2] / "docs/guides/structured-output.md").read_text()
SCHEMA = {"title": "City", "type": "object", "properties": {"name": {"type": "string"}}}
TOOL = {
    "type": "function",
    "function": {"name": "get_weather", "parameters": {"type": "object", "properties": {}}},
}
NAMED_SCHEMA_TOOL = {"type": "function", "function": {"name": "City"}}
# The models each row is checked on: a row added to the table needs its models here.
MODELS = {
    "GPT (gpt-4o, gpt-4.1, gpt-5)": ("gpt-4o", "gpt-4.1", "gpt-5"),
    "o-series (o1, o3, o3-mini, o4-mini)": ("o1", "o3", "o3-mini", "o4-mini"),
    "Claude": ("claude-sonnet-4-5", "claude-opus-4-1"),
    "DeepSeek V3 (deepseek-chat, V3.x, reasoner)": (
        "deepseek-chat",
        "deepseek-v3.2",
        "deepseek-reasoner",
    ),
    "DeepSeek R1": ("deepseek-r1",),
    "Gemini": ("gemini-2.5-pro", "gemini-2.0-flash"),
    "GLM": ("glm-5", "glm-4.6"),
    "Kimi": ("kimi-k2",),
    "Doubao": ("doubao-seed-1-8-251228",),
    "Qwen, QwQ": ("qwen-max", "qwq-32b"),
    "Grok": ("grok-4",),
}


def rows() -> dict[str, tuple[str, str]]:
    """The family table: family -> (the response_format cell, the tool_choice cell)."""
    table = GUIDE.split("## The method per model family", 1)[1].split("\n\n## ", 1)[0]
    found = re.findall(r"^\| ([^|`]+) \| (.+) \| (.+) \|$", table, re.M)
    return {family: (schema, choice) for family, schema, choice in found if family != "family"}


def planned(model: str, **options: Any) -> dict[str, Any]:
    """The body planned for one question to ``model`` (a degraded choice's warning ignored)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MixrouteWarning)
        return plan_request(model, [UserMessage("Describe Paris.")], **options).body


def degraded(model: str, **options: Any) -> bool:
    """Whether planning warns that the choice was degraded (a process warns once per model
    and form, so the record of earlier warnings is forgotten first)."""
    forget_warnings()
    with warnings.catch_warnings(record=True) as given:
        warnings.simplefilter("always")
        plan_request(model, [UserMessage("Hi")], **options)
    return any(issubclass(w.category, MixrouteWarning) for w in given)


def schema_in_the_system_prompt(body: dict[str, Any]) -> bool:
    first = body["messages"][0]
    return first["role"] == "system" and json.dumps(SCHEMA["properties"]) in first["content"]


def native(body: dict[str, Any]) -> bool:
    return body["response_format"]["type"] == "json_schema" and "tools" not in body


def schema_tool_forced(body: dict[str, Any]) -> bool:
    return body["tools"][0]["function"]["name"] == "City" and (
        body["tool_choice"] == NAMED_SCHEMA_TOOL
    )


def schema_tool_unforced(body: dict[str, Any]) -> bool:
    return [t["function"]["name"] for t in body["tools"]] == ["City"] and "tool_choice" not in body


def json_mode(body: dict[str, Any]) -> bool:
    return body["response_format"] == {"type": "json_object"} and schema_in_the_system_prompt(body)


def prompt_only(body: dict[str, Any]) -> bool:
    return (
        "response_format" not in body
        and "tools" not in body
        and (schema_in_the_system_prompt(body))
    )


def beside_your_tools(body: dict[str, Any]) -> bool:
    names = [t["function"]["name"] for t in body["tools"]]
    return names == ["get_weather", "City"] and "tool_choice" not in body


SCHEMA_METHODS: dict[str, Callable[[dict[str, Any]], bool]] = {
    "native `json_schema`": native,
    "a schema tool, forced by name": schema_tool_forced,
    "a schema tool, no `tool_choice` field": schema_tool_unforced,
    "JSON mode (`json_object`) with the schema in the system prompt": json_mode,
}
# What a forcing choice becomes: the tool_choice sent (None: none) and whether it warns.
FORCING = {
    "sent as asked": ("required", False),
    '`"auto"`, warning, retry': ("auto", True),
    "no `tool_choice` sent, warning, retry": (None, True),
}


def test_the_table_has_the_families_it_is_checked_on() -> None:
    assert set(rows()) == set(MODELS)


@pytest.mark.parametrize("family", MODELS)
def test_a_json_schema_is_carried_out_as_the_row_says(family: str) -> None:
    cell = rows()[family][0]
    (method,) = [check for said, check in SCHEMA_METHODS.items() if cell.startswith(said)]
    for model in MODELS[family]:
        body = planned(model, response_format=SCHEMA)
        assert method(body), (model, body)


@pytest.mark.parametrize("family", MODELS)
def test_a_forcing_tool_choice_becomes_what_the_row_says(family: str) -> None:
    cell = rows()[family][1]
    ((sent, warns),) = [what for said, what in FORCING.items() if cell.startswith(said)]
    for model in MODELS[family]:
        body = planned(model, tools=[TOOL], tool_choice="required")
        assert body.get("tool_choice") == sent, model
        assert degraded(model, tools=[TOOL], tool_choice="required") == warns, model


@pytest.mark.parametrize(
    ("family", "said", "model", "options", "check"),
    [
        ("o-series", "o1-mini (no tools, no JSON mode): the schema in the system prompt", "o1-mini", {}, prompt_only),
        ("DeepSeek R1", "the distilled models: the schema in the prompt", "deepseek-r1-distill-qwen-32b", {}, prompt_only),
        ("Gemini", "2.0-flash-thinking: the schema in the prompt", "gemini-2.0-flash-thinking-exp", {}, prompt_only),
        ("Gemini", "Gemini 2.x with function tools bound: a schema tool beside them", "gemini-2.0-flash", {"tools": [TOOL]}, beside_your_tools),
        ("Gemini", "Gemini 2.x with function tools bound: a schema tool beside them", "gemini-2.5-pro", {"tools": [TOOL]}, beside_your_tools),
        ("GLM", "with your tools bound, a schema tool beside them", "glm-5", {"tools": [TOOL]}, beside_your_tools),
        ("Kimi", "with your tools bound, a schema tool beside them", "kimi-k2", {"tools": [TOOL]}, beside_your_tools),
    ],
)  # fmt: skip
def test_the_exceptions_within_a_row(
    family: str,
    said: str,
    model: str,
    options: dict[str, Any],
    check: Callable[[dict[str, Any]], bool],
) -> None:
    (row,) = [cells for name, cells in rows().items() if name.startswith(family)]
    assert said in row[0]
    body = planned(model, response_format=SCHEMA, **options)
    assert check(body), (model, body)


def test_claude_with_thinking_on_gets_auto_for_the_schema_tool_and_a_forcing_choice() -> None:
    schema_cell, choice_cell = rows()["Claude"]
    assert 'with thinking on, `"auto"` and asked again if not called' in schema_cell
    assert '(`reasoning_effort`, or `thinking` in `extra_body`) `"auto"`, warning' in choice_cell
    thinking = {"type": "enabled", "budget_tokens": 1024}
    for on in ({"reasoning_effort": "low"}, {"extra_body": {"thinking": thinking}}):
        body = planned("claude-sonnet-4-5", response_format=SCHEMA, **on)
        assert body["tools"][0]["function"]["name"] == "City"
        assert body["tool_choice"] == "auto"
        forcing: dict[str, Any] = {"tools": [TOOL], "tool_choice": "required", **on}
        assert planned("claude-sonnet-4-5", **forcing)["tool_choice"] == "auto"
        assert degraded("claude-sonnet-4-5", **forcing)


def test_o1_mini_takes_no_tools() -> None:
    assert rows()["o-series (o1, o3, o3-mini, o4-mini)"][1].endswith("; o1-mini takes no tools")
    assert not get_profile("o1-mini").tool_calling


def test_a_body_sent_by_hand_gets_the_policy_only_when_passed(
    plausible_server: LocalServer,
) -> None:
    text = " ".join(GUIDE.split())
    assert (
        "with `client.send(body)` gets the policy only if you pass `policy=planned.policy`" in text
    )
    plan = plan_request("deepseek-chat", [UserMessage("Describe Paris.")], response_format=SCHEMA)
    with MixrouteClient("sk-test", base_url=plausible_server.base_url) as client:
        bare = client.send(plan.body).message
        shaped = client.send(plan.body, policy=plan.policy).message
        created = client.create(
            "deepseek-chat", [UserMessage("Describe Paris.")], response_format=SCHEMA
        ).message
    assert [call.name for call in bare.tool_calls] == ["City"]
    assert bare.content is None
    assert shaped.tool_calls == created.tool_calls == []
    assert (
        json.loads(shaped.content or "") == json.loads(created.content or "") == {"name": "example"}
    )
