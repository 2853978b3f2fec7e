"""Specification of mixroute.tools: tool definitions and tool_choice into request fields."""

from __future__ import annotations

import copy
import re
from typing import Any

import pydantic
import pytest

from mixroute.errors import InvalidRequestError
from mixroute.tools import (
    TOOL_CHOICE_FORMS,
    function_tool,
    function_tool_names,
    normalize_tool_choice,
    normalize_tools,
    tool_from_schema,
)

# The `tools` value of the documented function-calling example.
DOCUMENTED_TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "get_weather",
            "description": "Get weather information by city",
            "parameters": {
                "type": "object",
                "properties": {"city": {"type": "string"}},
                "required": ["city"],
            },
        },
    }
]
WEATHER_PARAMETERS = DOCUMENTED_TOOLS[0]["function"]["parameters"]  # type: ignore[index]

# The Claude server tool of the documented web-search example.
WEB_SEARCH = {"type": "web_search_20250305", "name": "web_search", "max_uses": 5}


class get_weather(pydantic.BaseModel):  # named like the documented tool
    """Get weather information by city"""

    city: str


class Lookup(pydantic.BaseModel):
    """Look a word up."""

    word: str
    language: str | None = None


def _choice(name: str) -> dict[str, Any]:
    return {"type": "function", "function": {"name": name}}


# --- the documented examples --------------------------------------------------------------


def test_function_tool_gives_the_documented_tools_value() -> None:
    tool = function_tool(
        "get_weather", WEATHER_PARAMETERS, description="Get weather information by city"
    )
    assert [tool] == DOCUMENTED_TOOLS


def test_every_input_form_gives_the_documented_tool() -> None:
    titled = {**WEATHER_PARAMETERS, "title": "get_weather"}
    titled["description"] = "Get weather information by city"
    bare = DOCUMENTED_TOOLS[0]["function"]
    for form in (get_weather, titled, DOCUMENTED_TOOLS[0], bare):
        assert normalize_tools([form]) == DOCUMENTED_TOOLS


def test_documented_tool_dict_is_copied_not_shared() -> None:
    tool = tool_from_schema(DOCUMENTED_TOOLS[0])
    assert tool == DOCUMENTED_TOOLS[0]
    assert tool["function"]["parameters"] is not WEATHER_PARAMETERS


def test_documented_tool_choice_auto_passes() -> None:
    assert normalize_tool_choice("auto", DOCUMENTED_TOOLS) == "auto"


def test_claude_web_search_server_tool_passes_untouched() -> None:
    before = copy.deepcopy(WEB_SEARCH)
    tool = tool_from_schema(WEB_SEARCH, strict=True)
    assert tool == before
    assert tool is not WEB_SEARCH
    assert before == WEB_SEARCH  # the input is untouched too


def test_server_tool_nested_values_are_copied() -> None:
    server = {"type": "web_search_20250305", "name": "web_search", "user_location": {"x": 1}}
    tool = tool_from_schema(server)
    assert tool == server
    assert tool["user_location"] is not server["user_location"]


# --- function_tool ------------------------------------------------------------------------


def test_no_parameters_means_an_empty_object() -> None:
    assert function_tool("ping") == {
        "type": "function",
        "function": {"name": "ping", "parameters": {"type": "object", "properties": {}}},
    }


def test_parameters_with_properties_but_no_type_get_type_object() -> None:
    tool = function_tool("f", {"properties": {"a": {"type": "string"}}})
    assert tool["function"]["parameters"] == {
        "type": "object",
        "properties": {"a": {"type": "string"}},
    }


def test_strict_true_makes_the_parameters_strict() -> None:
    parameters = {
        "type": "object",
        "properties": {"a": {"type": "string"}, "b": {"type": "integer"}},
    }
    before = copy.deepcopy(parameters)
    tool = function_tool("f", parameters, strict=True)
    assert tool["function"] == {
        "name": "f",
        "parameters": {
            "type": "object",
            "properties": {"a": {"type": ["string", "null"]}, "b": {"type": ["integer", "null"]}},
            "additionalProperties": False,
            "required": ["a", "b"],
        },
        "strict": True,
    }
    assert parameters == before


def test_strict_false_is_sent_and_leaves_the_parameters() -> None:
    tool = function_tool("get_weather", WEATHER_PARAMETERS, strict=False)
    assert tool["function"]["strict"] is False
    assert tool["function"]["parameters"] == WEATHER_PARAMETERS


@pytest.mark.parametrize("name", ["get weather", "", "x" * 65, "naïve", "a.b"])
def test_bad_names_are_rejected_with_the_rule(name: str) -> None:
    with pytest.raises(InvalidRequestError, match=re.escape("must match ^[a-zA-Z0-9_-]{1,64}$")):
        function_tool(name)


def test_a_64_character_name_is_fine() -> None:
    assert function_tool("a" * 64)["function"]["name"] == "a" * 64


@pytest.mark.parametrize(
    ("parameters", "expected"),
    [
        ({"type": "array", "items": {}}, r"must be a JSON object schema .* got type 'array'"),
        ({"type": "string"}, "got type 'string'"),
        ({"description": "no properties"}, "got type None"),
        ([{"type": "object"}], "must be a JSON schema dict, got a list"),
        (get_weather, r"got the class get_weather .*use tool_from_schema"),
    ],
)
def test_bad_parameters_say_what_a_tool_needs(parameters: Any, expected: str) -> None:
    with pytest.raises(InvalidRequestError, match=f"parameters of tool 'f' .*{expected}"):
        function_tool("f", parameters)


# --- tool_from_schema ---------------------------------------------------------------------


def test_pydantic_model_becomes_a_function_named_after_the_class() -> None:
    tool = tool_from_schema(Lookup)
    assert tool == {
        "type": "function",
        "function": {
            "name": "Lookup",
            "description": "Look a word up.",
            "parameters": {
                "type": "object",
                "properties": {
                    "word": {"type": "string"},
                    "language": {"anyOf": [{"type": "string"}, {"type": "null"}], "default": None},
                },
                "required": ["word"],
            },
        },
    }


def test_pydantic_model_without_docstring_has_no_description() -> None:
    class Plain(pydantic.BaseModel):
        x: int

    assert "description" not in tool_from_schema(Plain)["function"]


def test_strict_pydantic_tool() -> None:
    function = tool_from_schema(Lookup, strict=True)["function"]
    assert function["strict"] is True
    assert function["parameters"]["additionalProperties"] is False
    assert function["parameters"]["required"] == ["word", "language"]
    assert function["parameters"]["properties"]["language"] == {
        "anyOf": [{"type": "string"}, {"type": "null"}]
    }


def test_titled_schema_title_is_sanitised_into_a_name() -> None:
    tool = tool_from_schema({"title": "Get Weather", "type": "object", "properties": {}})
    assert tool["function"]["name"] == "Get_Weather"
    assert tool["function"]["parameters"] == {"type": "object", "properties": {}}


def test_a_tool_dict_keeps_its_own_strict_and_extra_keys() -> None:
    tool = {
        "type": "function",
        "function": {
            "name": "f",
            "parameters": {"type": "object", "properties": {}},
            "strict": True,
        },
        "cache_control": {"type": "ephemeral"},
    }
    result = tool_from_schema(tool)
    assert result["cache_control"] == {"type": "ephemeral"}
    assert result["function"]["parameters"]["additionalProperties"] is False
    assert tool["function"]["parameters"] == {"type": "object", "properties": {}}  # type: ignore[index]


def test_the_strict_argument_overrides_a_tool_dicts_own() -> None:
    tool = {"type": "function", "function": {"name": "f", "strict": True}}
    assert tool_from_schema(tool, strict=False)["function"]["strict"] is False


def test_anthropic_input_schema_is_read_as_parameters() -> None:
    tool = tool_from_schema(
        {
            "name": "get_weather",
            "description": "Get weather information by city",
            "input_schema": WEATHER_PARAMETERS,
        }
    )
    assert tool == DOCUMENTED_TOOLS[0]


@pytest.mark.parametrize(
    ("tool", "expected"),
    [
        ({"type": "function"}, "needs a 'function' object with at least a 'name'"),
        ({"type": "function", "function": {"parameters": {}}}, "name must match .* got None"),
        (
            {"type": "function", "function": {"name": "f", "description": 3}},
            "description of tool 'f' must be a string, got a int",
        ),
        (
            {"type": "function", "function": {"name": "f", "strict": "yes"}},
            "'strict' of tool 'f' must be true or false, not 'yes'",
        ),
        ({"type": "object", "properties": {}}, "needs a 'title' to name the tool"),
        ({"description": "what is this"}, r"got a dict with keys \['description'\]"),
        ({"type": 5}, "got a dict with keys"),
        (Lookup(word="w"), "a tool must be a pydantic model class, .* got a Lookup"),
        ("get_weather", "got a str"),
    ],
)
def test_bad_tools_say_what_is_accepted(tool: Any, expected: str) -> None:
    with pytest.raises(InvalidRequestError, match=expected):
        tool_from_schema(tool)


def test_an_open_dict_parameter_cannot_be_strict() -> None:
    class Tagged(pydantic.BaseModel):
        tags: dict[str, str]

    with pytest.raises(InvalidRequestError, match=r"#/properties/tags .*strict=False"):
        tool_from_schema(Tagged, strict=True)


# --- normalize_tools ----------------------------------------------------------------------


@pytest.mark.parametrize("tools", [None, [], ()])
def test_no_tools_is_none(tools: Any) -> None:
    assert normalize_tools(tools) is None


def test_mixed_tools_keep_their_order() -> None:
    result = normalize_tools((Lookup, WEB_SEARCH, DOCUMENTED_TOOLS[0]), strict=True)
    assert result is not None
    assert [tool["type"] for tool in result] == ["function", "web_search_20250305", "function"]
    assert result[1] == WEB_SEARCH
    assert result[2]["function"]["strict"] is True


def test_duplicate_function_names_are_rejected() -> None:
    with pytest.raises(InvalidRequestError, match="'get_weather' appears more than once: rename"):
        normalize_tools([get_weather, DOCUMENTED_TOOLS[0], Lookup])


def test_server_tools_sharing_a_name_are_not_function_duplicates() -> None:
    assert normalize_tools([WEB_SEARCH, WEB_SEARCH]) == [WEB_SEARCH, WEB_SEARCH]


def test_an_error_says_which_tool_is_wrong() -> None:
    with pytest.raises(InvalidRequestError, match=r"^tools\[1\]: a tool must be"):
        normalize_tools([Lookup, 42])


@pytest.mark.parametrize("tools", [WEB_SEARCH, "get_weather", Lookup])
def test_tools_must_be_a_list(tools: Any) -> None:
    with pytest.raises(InvalidRequestError, match="tools must be a list of tools"):
        normalize_tools(tools)


# --- normalize_tool_choice ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("choice", "expected"),
    [
        (None, None),
        ("auto", "auto"),
        ("none", "none"),
        ("required", "required"),
        ("any", "required"),
        (True, "required"),
        (False, "none"),
        ("get_weather", _choice("get_weather")),
        (_choice("get_weather"), _choice("get_weather")),
    ],
)
def test_every_tool_choice_form(choice: object, expected: object) -> None:
    assert normalize_tool_choice(choice, DOCUMENTED_TOOLS) == expected


def test_a_choice_dict_is_rebuilt_not_shared() -> None:
    choice = _choice("get_weather")
    result = normalize_tool_choice(choice, DOCUMENTED_TOOLS)
    assert result == choice
    assert result is not choice


def test_server_tools_alone_allow_required() -> None:
    assert normalize_tool_choice("any", [WEB_SEARCH]) == "required"


@pytest.mark.parametrize("choice", ["auto", "none", False])
def test_auto_or_none_without_tools_sends_nothing(choice: object) -> None:
    assert normalize_tool_choice(choice, None) is None
    assert normalize_tool_choice(choice, []) is None


@pytest.mark.parametrize("choice", ["required", "any", True, "get_weather", _choice("get_weather")])
def test_a_forcing_choice_without_tools_is_rejected(choice: object) -> None:
    with pytest.raises(InvalidRequestError, match="needs tools: pass tools, or drop tool_choice"):
        normalize_tool_choice(choice, [])


def test_an_unknown_name_lists_the_available_function_tools() -> None:
    tools = [*DOCUMENTED_TOOLS, tool_from_schema(Lookup), WEB_SEARCH]
    with pytest.raises(InvalidRequestError, match=r"available: get_weather, Lookup$"):
        normalize_tool_choice("get_time", tools)
    with pytest.raises(InvalidRequestError, match="'requried' is not 'auto', 'none', 'required'"):
        normalize_tool_choice("requried", tools)
    with pytest.raises(InvalidRequestError, match=r"'web_search' .* available: get_weather"):
        normalize_tool_choice(_choice("web_search"), tools)


def test_naming_a_function_when_only_server_tools_exist() -> None:
    with pytest.raises(InvalidRequestError, match=re.escape("none (only server tools were given)")):
        normalize_tool_choice("web_search", [WEB_SEARCH])


@pytest.mark.parametrize(
    "choice",
    [
        {"type": "tool", "name": "get_weather"},
        {"type": "function", "function": "get_weather"},
        {"type": "function", "name": "get_weather"},
    ],
)
def test_a_malformed_choice_dict_shows_the_expected_shape(choice: object) -> None:
    with pytest.raises(InvalidRequestError, match=re.escape("must look like {'type': 'function'")):
        normalize_tool_choice(choice, DOCUMENTED_TOOLS)


@pytest.mark.parametrize("choice", [1, ["auto"], 0.5])
def test_other_choice_values_list_the_accepted_forms(choice: object) -> None:
    with pytest.raises(InvalidRequestError, match="tool_choice must be 'auto', 'none', 'required'"):
        normalize_tool_choice(choice, DOCUMENTED_TOOLS)


def test_allowed_forms_pass_what_the_model_supports() -> None:
    assert normalize_tool_choice(True, DOCUMENTED_TOOLS, allowed_forms=TOOL_CHOICE_FORMS) == (
        "required"
    )
    allowed = frozenset({"auto", "none"})
    assert normalize_tool_choice("auto", DOCUMENTED_TOOLS, allowed_forms=allowed) == "auto"


@pytest.mark.parametrize(
    ("choice", "form"), [("get_weather", "function"), ("any", "required"), (False, "none")]
)
def test_a_form_the_model_cannot_honour_names_the_model(choice: object, form: str) -> None:
    allowed = frozenset({"auto"})
    with pytest.raises(
        InvalidRequestError,
        match=f"model 'deepseek-r1' does not support tool_choice '{form}' .it supports: auto.",
    ):
        normalize_tool_choice(choice, DOCUMENTED_TOOLS, allowed_forms=allowed, model="deepseek-r1")


def test_a_model_without_any_tool_choice() -> None:
    with pytest.raises(InvalidRequestError, match=r"this model does not .* no tool_choice at all"):
        normalize_tool_choice("auto", DOCUMENTED_TOOLS, allowed_forms=frozenset())


def test_no_choice_is_never_a_capability_problem() -> None:
    assert normalize_tool_choice(None, DOCUMENTED_TOOLS, allowed_forms=frozenset()) is None
    assert normalize_tool_choice("none", None, allowed_forms=frozenset()) is None


# --- function_tool_names ------------------------------------------------------------------


def test_function_tool_names_skip_server_tools() -> None:
    tools: list[dict[str, Any]] = [
        WEB_SEARCH,
        *DOCUMENTED_TOOLS,
        {"type": "function", "function": {}},
    ]
    assert function_tool_names(tools) == ["get_weather"]
    assert function_tool_names(None) == []
