"""Structured output in every documented model family, through every way the frameworks ask.

Each cell runs one framework path (LangChain ``create_agent`` with ``response_format`` by
default, ``ToolStrategy`` or ``ProviderStrategy``, with and without a user tool;
``with_structured_output`` by each method, invoked and streamed; LlamaIndex
``structured_predict``, ``as_structured_llm(...).chat`` and ``.stream_chat``, and a
``FunctionAgent`` with a tool) against a gateway that plays one model as its vendor does
(:mod:`support.vendor_gateway`). A cell passes when the framework hands back the
``Weather`` the gateway's model produced, and the requests kept to the facts that matter
for the family (GLM only ever got ``tool_choice: "auto"``, a model without native
structured output never got a ``json_schema`` format, thinking turns went back as the
vendor wants them).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import pytest
from matrix_runs import (
    Run,
    Runner,
    Weather,
    Wiring,
    langchain_agent,
    llama_function_agent,
    llama_structured_chat,
    llama_structured_predict,
    llama_structured_stream_chat,
    with_structured_output,
)
from support.schema_values import value_for
from support.vendor_gateway import VendorGateway

EXPECTED = Weather.model_validate(value_for(Weather.model_json_schema()))
TOOL_ARGUMENT = value_for({"type": "object", "properties": {"city": {"type": "string"}}})["city"]


@dataclass(frozen=True)
class Family:
    """One documented family, by one model id, and the settings a user gives it."""

    model: str
    settings: Mapping[str, Any] = field(default_factory=dict)
    name: str = ""

    @property
    def id(self) -> str:
        return self.name or self.model


FAMILIES = (
    Family("gpt-4o"),
    Family("o3-mini"),
    Family("claude-sonnet-4-5-20250929"),
    Family(
        "claude-sonnet-4-5-20250929",
        {"extra_body": {"thinking": {"type": "enabled", "budget_tokens": 2048}}},
        name="claude-sonnet-4-5-thinking",
    ),
    Family("deepseek-chat"),
    Family(
        "deepseek-v3.2",
        {"extra_body": {"thinking": {"type": "enabled"}}},
        name="deepseek-v3.2-thinking",
    ),
    Family("deepseek-r1"),
    Family("gemini-2.5-flash"),
    Family("glm-5"),
    Family("kimi-k2"),
    Family("kimi-k2-thinking"),
    Family("doubao-seed-1-6"),
    Family("qwen-plus"),
    Family("qwq-32b"),
    Family("grok-3"),
)


@dataclass(frozen=True)
class Path:
    """One way a framework asks for structured output, and what it must put on the wire."""

    id: str
    run: Runner
    streamed: bool = False
    user_tool: bool = False
    native_format: bool = False
    """On a model with native ``json_schema``, the answer must come from ``response_format``."""
    schema_tool: bool = False
    """The first request must offer a function tool named after the schema."""


def _paths() -> tuple[Path, ...]:
    paths: list[Path] = []
    for strategy in ("default", "tool", "provider"):
        for tools in (False, True):
            paths.append(
                Path(
                    f"agent-{strategy}{'-tools' if tools else ''}",
                    partial(langchain_agent, strategy=strategy, with_tools=tools),
                    user_tool=tools,
                    native_format=strategy == "provider",
                    schema_tool=strategy == "tool",
                )
            )
    for method in ("json_schema", "function_calling", "json_mode"):
        for streamed in (False, True):
            paths.append(
                Path(
                    f"wso-{method}{'-stream' if streamed else ''}",
                    partial(with_structured_output, method=method, streamed=streamed),
                    streamed=streamed,
                    native_format=method == "json_schema",
                    schema_tool=method == "function_calling",
                )
            )
    paths += [
        Path("llama-structured_predict", llama_structured_predict),
        Path("llama-chat", llama_structured_chat),
        Path("llama-stream_chat", llama_structured_stream_chat, streamed=True),
        Path("llama-function_agent", llama_function_agent, user_tool=True),
    ]
    return tuple(paths)


PATHS = _paths()


@pytest.mark.parametrize("path", PATHS, ids=[p.id for p in PATHS])
@pytest.mark.parametrize("family", FAMILIES, ids=[f.id for f in FAMILIES])
def test_structured_output(family: Family, path: Path) -> None:
    gateway = VendorGateway(family.model)
    wiring = Wiring(gateway, family.settings)
    try:
        run = path.run(wiring)
    except Exception as exc:
        raise AssertionError(f"{type(exc).__name__}: {exc}\n{story(gateway)}") from exc
    finally:
        wiring.close()
    said = f"got {run.result!r} {run.warnings}\n{story(gateway)}"
    assert _as_weather(run, said) == EXPECTED, said
    if path.user_tool:
        assert run.tool_runs == [TOOL_ARGUMENT], story(gateway)
    assert_wire_facts(gateway, path)


def _as_weather(run: Run, said: str) -> Weather | None:
    if isinstance(run.result, dict):  # LlamaIndex agents hand the object over as a dict
        return Weather.model_validate(run.result)
    assert run.result is None or type(run.result) is Weather, said
    return run.result


def assert_wire_facts(gateway: VendorGateway, path: Path) -> None:
    """What every request of the cell must have looked like, for this family."""
    rules, bodies = gateway.rules, gateway.bodies
    said = story(gateway)
    assert gateway.refusals == [], said
    choices = [body["tool_choice"] for body in bodies if "tool_choice" in body]
    if rules.only_tool_choices == frozenset({"auto"}):
        assert set(choices) <= {"auto"}, said
    formats = [body.get("response_format") or {} for body in bodies]
    if not rules.profile.structured_output:
        assert all(f.get("type") != "json_schema" for f in formats), said
    elif path.native_format:
        # Native structured output where the vendor takes it; Gemini 2.x takes no
        # json_schema beside function tools, so there the schema must go as a tool.
        if rules.no_tools_with_json_schema and path.user_tool:
            assert "Weather" in _tool_names(bodies[-1]), said
        else:
            assert formats[-1].get("type") == "json_schema", said
    if path.schema_tool:
        assert "Weather" in _tool_names(bodies[0]), said
    if path.streamed or rules.streaming_only:  # QwQ: a plain call goes streamed too
        assert all(body.get("stream") is True for body in bodies), said
    history = [m for body in bodies for m in body["messages"]]
    if rules.history_refuses_reasoning:
        assert not any("reasoning_content" in m for m in history), said
    if rules.tool_turns_need_reasoning:
        thinking = [m for body in bodies if gateway.thinks(body) for m in body["messages"]]
        turns = [m for m in thinking if m["role"] == "assistant" and m.get("tool_calls")]
        assert all(m.get("reasoning_content") for m in turns), said


def _tool_names(body: Mapping[str, Any]) -> list[str]:
    return [t["function"]["name"] for t in body.get("tools") or [] if t.get("type") == "function"]


def story(gateway: VendorGateway) -> str:
    """Each request in one line: what was asked, and what the gateway answered."""
    lines = []
    for index, (body, outcome) in enumerate(zip(gateway.bodies, gateway.outcomes, strict=True)):
        roles = "".join(m["role"][0] for m in body["messages"])
        fmt = (body.get("response_format") or {}).get("type")
        asked = (
            f"messages={roles} tools={_tool_names(body)} "
            f"tool_choice={body.get('tool_choice')!r} response_format={fmt} "
            f"stream={bool(body.get('stream'))}"
        )
        answered = outcome if isinstance(outcome, str) else outcome.kind
        lines.append(f"  request {index + 1}: {asked} -> {answered}")
    return "gateway:\n" + "\n".join(lines)
