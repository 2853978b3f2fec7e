"""What the tools-and-agents guide says of ``tool_choice``, checked on the planned requests.

The guide's table says what each way of writing ``tool_choice`` sends, its prose which
forms GLM, Kimi, DeepSeek R1 and Claude with thinking on take, what happens to ``"none"``
and ``"auto"`` on a model that cannot take them, and that two tools of one name fail
before anything is sent. ``plan_request`` is what ``create`` sends.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import pytest
from langchain_core.tools import tool
from support.local_server import LocalServer

from langchain_mixroute import ChatMixroute
from mixroute import InvalidRequestError, MixrouteWarning, UserMessage
from mixroute.answer_policy import plan_request

GUIDE = " ".join(
    (Path(__file__).resolve().parents[2] / "docs/guides/tools-and-agents.md").read_text().split()
)
TOOL = {
    "type": "function",
    "function": {"name": "get_weather", "parameters": {"type": "object", "properties": {}}},
}
NAMED = {"type": "function", "function": {"name": "get_weather"}}


def sent(model: str, choice: Any, fallback: str = "degrade", **options: Any) -> Any:
    """The ``tool_choice`` field planned for ``model`` (``"no field"`` when there is none)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MixrouteWarning)
        body = plan_request(
            model,
            [UserMessage("Weather in Paris?")],
            tools=[TOOL],
            tool_choice=choice,
            tool_choice_fallback=fallback,
            **options,
        ).body
    return body.get("tool_choice", "no field")


@pytest.mark.parametrize(
    ("row", "written", "expected"),
    [
        ('| `"auto"` | the model decides | `"auto"` |', ["auto"], "auto"),
        ('| `"none"` | no tool call | `"none"` |', ["none"], "none"),
        (
            '| `"required"`, `"any"`, `True` | some tool must be called | `"required"` |',
            ["required", "any", True],
            "required",
        ),
        (
            '| a tool\'s name, or `{"type": "function", "function": {"name": ...}}` '
            "| this tool must be called | the named dict |",
            ["get_weather", NAMED],
            NAMED,
        ),
        ("| `None` (or leaving it out) | nothing said | no field |", [None], "no field"),
    ],
)
def test_each_way_of_writing_tool_choice_sends_what_the_table_says(
    row: str, written: list[Any], expected: Any
) -> None:
    assert row in GUIDE
    assert [sent("gpt-4o", choice) for choice in written] == [expected] * len(written)


def test_the_forcing_forms_are_the_required_and_named_rows() -> None:
    assert "The third and fourth rows are the *forcing* forms." in GUIDE
    for forcing in ("required", "any", True, "get_weather", NAMED):
        with pytest.raises(InvalidRequestError):
            sent("glm-5", forcing, fallback="refuse")
    for not_forcing in ("auto", None):
        sent("glm-5", not_forcing, fallback="refuse")


@pytest.mark.parametrize(
    ("said", "model", "options", "takes"),
    [
        ('GLM takes only `"auto"`', "glm-5", {}, {"auto"}),
        ('Kimi `"auto"` and `"none"`', "kimi-k2", {}, {"auto", "none"}),
        ("DeepSeek R1 no `tool_choice` at all", "deepseek-r1", {}, set()),
        (
            'Claude with thinking on `"auto"` and `"none"`',
            "claude-sonnet-4-5",
            {"reasoning_effort": "low"},
            {"auto", "none"},
        ),
    ],
)
def test_the_forms_each_family_takes(
    said: str, model: str, options: dict[str, Any], takes: set[str]
) -> None:
    assert said in GUIDE
    taken = set()
    for form in ("auto", "none", "required", "get_weather"):
        try:
            sent(model, form, fallback="refuse", **options)
        except InvalidRequestError:
            continue
        taken.add("function" if form == "get_weather" else form)
    if not takes:  # "auto" is then left out, not refused
        assert sent(model, "auto") == "no field"
        taken.discard("auto")
    assert taken == takes


def test_none_is_refused_either_way_and_auto_is_left_out() -> None:
    assert '`"none"` on a model that cannot take it is refused either way' in GUIDE
    assert '`"auto"` on a model that takes no `tool_choice` is simply left out' in GUIDE
    for fallback in ("degrade", "refuse"):
        with pytest.raises(InvalidRequestError):
            sent("glm-5", "none", fallback=fallback)
    assert sent("deepseek-r1", "auto") == "no field"


def test_the_warning_is_a_user_warning() -> None:
    assert "one `MixrouteWarning` (a `UserWarning`)" in GUIDE
    assert issubclass(MixrouteWarning, UserWarning)


@tool
def get_weather(city: str) -> str:
    """The weather in a city."""
    return f"Sunny in {city}."


def test_two_tools_of_one_name_fail_before_anything_is_sent(
    plausible_server: LocalServer,
) -> None:
    assert "two tools of one name fail before anything is sent" in GUIDE
    llm = ChatMixroute(model="gpt-4o", api_key="sk-test", base_url=plausible_server.base_url)
    with pytest.raises(InvalidRequestError, match="'get_weather' appears more than once"):
        llm.bind_tools([get_weather, get_weather]).invoke("Weather in Paris?")
    assert plausible_server.received == []
