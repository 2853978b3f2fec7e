"""Turn tool definitions and a tool choice into the request's ``tools`` and ``tool_choice``.

A function tool is sent OpenAI-style, as in the documented example::

    {"type": "function",
     "function": {"name": "get_weather", "description": "Get weather information by city",
                  "parameters": {"type": "object", "properties": {"city": {"type": "string"}},
                                 "required": ["city"]}}}

It can be built from a name and a schema (:func:`function_tool`), a pydantic model class,
a titled JSON schema or an existing tool dict (:func:`tool_from_schema`). Server tools
that are not functions, such as Claude's ``{"type": "web_search_20250305", ...}``, pass
through unchanged. :func:`normalize_tool_choice` accepts the OpenAI forms plus the
LangChain spellings (``"any"``, ``True``, ``False``, a bare tool name).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

import pydantic

from mixroute.errors import InvalidRequestError
from mixroute.structured import (
    NAME_PATTERN,
    copy_json,
    describe_value,
    is_model_class,
    json_schema_of,
    schema_name,
    to_strict_json_schema,
)

__all__ = [
    "TOOL_CHOICE_FORMS",
    "function_tool",
    "function_tool_names",
    "normalize_tool_choice",
    "normalize_tools",
    "tool_from_schema",
]

TOOL_CHOICE_FORMS = frozenset({"auto", "none", "required", "function"})
"""The forms of ``tool_choice``; a model profile lists the subset a model accepts."""

_MODES = ("auto", "none", "required")
_ACCEPTED_TOOLS = (
    "a tool must be a pydantic model class, a JSON object schema with a 'title', an "
    "OpenAI tool {'type': 'function', 'function': {'name': ..., 'parameters': {...}}}, "
    "or a server tool dict with its own 'type' (like {'type': 'web_search_20250305', ...})"
)
_CHOICE_DICT = "{'type': 'function', 'function': {'name': ...}}"


def function_tool(
    name: str,
    parameters: Mapping[str, Any] | None = None,
    *,
    description: str | None = None,
    strict: bool | None = None,
) -> dict[str, Any]:
    """Build an OpenAI function tool.

    ``name`` must match ``^[a-zA-Z0-9_-]{1,64}$``; ``parameters`` is a JSON object schema
    (``None`` means no arguments) and is copied, never mutated. ``strict=True`` makes the
    schema strict (see :func:`mixroute.structured.to_strict_json_schema`); ``"strict"`` is
    sent only when given.

    >>> function_tool("ping")["function"]
    {'name': 'ping', 'parameters': {'type': 'object', 'properties': {}}}
    """
    function: dict[str, Any] = {"name": name}
    if description is not None:
        function["description"] = description
    function["parameters"] = copy_json(parameters)
    return {"type": "function", "function": _checked_function(function, strict)}


def tool_from_schema(
    schema: type[pydantic.BaseModel] | Mapping[str, Any], *, strict: bool | None = None
) -> dict[str, Any]:
    """Turn a model class, a titled JSON schema or a tool dict into a tool for ``tools``.

    - a pydantic model class: a function named after the class, described by its docstring;
    - a JSON object schema: named after its ``"title"``, described by its ``"description"``;
    - ``{"type": "function", "function": {...}}``, or a bare ``{"name": ...,
      "parameters": ...}`` (``"input_schema"`` also read): checked and copied, made strict
      when ``strict`` (or, if that is ``None``, its own ``"strict"``) is true;
    - any other dict with a ``"type"``: a server tool, copied untouched.
    """
    return _tool_from(schema, strict)


def normalize_tools(
    tools: Sequence[object] | None, *, strict: bool | None = None
) -> list[dict[str, Any]] | None:
    """Turn a user's ``tools`` into the request field, or ``None`` when there are none.

    Each entry goes through :func:`tool_from_schema`; two function tools with one name
    are an error, since a tool call could not say which one it meant.
    """
    if tools is None:
        return None
    if isinstance(tools, str | bytes | Mapping) or not isinstance(tools, Sequence):
        raise InvalidRequestError(
            f"tools must be a list of tools, got {describe_value(tools)}; wrap a single tool "
            "in a list"
        )
    result = [_indexed(index, tool, strict) for index, tool in enumerate(tools)]
    repeated = [name for name, count in Counter(function_tool_names(result)).items() if count > 1]
    if repeated:
        raise InvalidRequestError(
            f"function tool names must be unique, but {', '.join(map(repr, repeated))} "
            "appears more than once: rename or drop the duplicates"
        )
    return result or None


def normalize_tool_choice(
    tool_choice: object,
    tools: Sequence[Mapping[str, Any]] | None,
    *,
    allowed_forms: frozenset[str] | None = None,
    model: str | None = None,
) -> str | dict[str, Any] | None:
    """Turn a user's ``tool_choice`` into the request field, checked against ``tools``.

    ``"auto"``, ``"none"`` and ``"required"`` pass; ``"any"`` and ``True`` mean
    ``"required"`` and ``False`` means ``"none"`` (LangChain's spellings). A function
    tool's name, or ``{"type": "function", "function": {"name": ...}}``, forces that tool.
    Without tools, ``"auto"`` and ``"none"`` say nothing and give ``None``; anything else is
    an error. ``allowed_forms`` (from the model profile, a subset of
    :data:`TOOL_CHOICE_FORMS`) rejects forms the model cannot honour; ``model`` names the
    model in that message.

    >>> normalize_tool_choice("get_weather", [function_tool("get_weather")])
    {'type': 'function', 'function': {'name': 'get_weather'}}
    """
    if tool_choice is None:
        return None
    choice = _canonical_choice(tool_choice, tools)
    if choice is not None and allowed_forms is not None:
        _check_form(choice, allowed_forms, model)
    return choice


def function_tool_names(tools: Sequence[Mapping[str, Any]] | None) -> list[str]:
    """Return the names of the function tools in ``tools``, in order (server tools skipped)."""
    names: list[str] = []
    for tool in tools or ():
        function = tool.get("function")
        if tool.get("type") == "function" and isinstance(function, Mapping):
            name = function.get("name")
            if isinstance(name, str):
                names.append(name)
    return names


def _tool_from(value: object, strict: bool | None) -> dict[str, Any]:
    if is_model_class(value):
        return _function_from_schema(schema_name(value), json_schema_of(value), strict)
    if not isinstance(value, Mapping):
        raise InvalidRequestError(f"{_ACCEPTED_TOOLS}; got {describe_value(value)}")
    kind = value.get("type")
    if kind == "function":
        return _function_from_tool_dict(value, strict)
    if kind == "object" or (kind is None and "properties" in value):
        return _function_from_titled_schema(value, strict)
    if kind is None and "name" in value:
        return _function_from_definition(value, strict)
    if isinstance(kind, str):
        server_tool: dict[str, Any] = copy_json(value)
        return server_tool
    raise InvalidRequestError(f"{_ACCEPTED_TOOLS}; got a dict with keys {sorted(map(str, value))}")


def _function_from_tool_dict(value: Mapping[str, Any], strict: bool | None) -> dict[str, Any]:
    tool: dict[str, Any] = copy_json(value)  # other top-level keys are kept as given
    if not isinstance(tool.get("function"), dict):
        raise InvalidRequestError(
            "a {'type': 'function'} tool needs a 'function' object with at least a 'name'"
        )
    tool["function"] = _checked_function(tool["function"], strict)
    return tool


def _function_from_definition(value: Mapping[str, Any], strict: bool | None) -> dict[str, Any]:
    function: dict[str, Any] = copy_json(value)
    if "input_schema" in function:  # Anthropic's spelling of the same definition
        function.setdefault("parameters", function.pop("input_schema"))
    return {"type": "function", "function": _checked_function(function, strict)}


def _function_from_titled_schema(schema: Mapping[str, Any], strict: bool | None) -> dict[str, Any]:
    if not isinstance(schema.get("title"), str):
        raise InvalidRequestError(
            "a JSON schema used as a tool needs a 'title' to name the tool; add one, or use "
            "function_tool(name, parameters)"
        )
    return _function_from_schema(schema_name(schema), json_schema_of(schema), strict)


def _function_from_schema(
    name: str, parameters: dict[str, Any], strict: bool | None
) -> dict[str, Any]:
    # The schema's title and description become the function's name and description.
    parameters.pop("title", None)
    function: dict[str, Any] = {"name": name}
    description = parameters.pop("description", None)
    if description is not None:
        function["description"] = description
    function["parameters"] = parameters
    return {"type": "function", "function": _checked_function(function, strict)}


def _checked_function(function: dict[str, Any], strict: bool | None) -> dict[str, Any]:
    """Check a function definition the caller owns, and apply ``strict`` to it in place."""
    name = function.get("name")
    if not isinstance(name, str) or not NAME_PATTERN.fullmatch(name):
        raise InvalidRequestError(
            f"a function tool name must match ^[a-zA-Z0-9_-]{{1,64}}$ (letters, digits, '_' "
            f"and '-'), got {name!r}"
        )
    description = function.get("description")
    if description is not None and not isinstance(description, str):
        raise InvalidRequestError(
            f"the description of tool {name!r} must be a string, got {describe_value(description)}"
        )
    function["parameters"] = _object_schema(function.get("parameters"), name)
    if strict is None:
        strict = function.get("strict")
    if strict is None:
        return function
    if not isinstance(strict, bool):
        raise InvalidRequestError(
            f"'strict' of tool {name!r} must be true or false, not {strict!r}"
        )
    function["strict"] = strict
    if strict:
        to_strict_json_schema(function["parameters"], in_place=True)
    return function


def _object_schema(parameters: object, name: str) -> dict[str, Any]:
    if parameters is None:
        return {"type": "object", "properties": {}}
    if not isinstance(parameters, dict):
        raise InvalidRequestError(
            f"the parameters of tool {name!r} must be a JSON schema dict, got "
            f"{describe_value(parameters)} (use tool_from_schema for a pydantic model)"
        )
    kind = parameters.get("type")
    if kind == "object":
        return parameters
    if kind is None and "properties" in parameters:
        return {"type": "object", **parameters}
    raise InvalidRequestError(
        f"the parameters of tool {name!r} must be a JSON object schema "
        f"({{'type': 'object', 'properties': {{...}}}}), got type {kind!r}"
    )


def _indexed(index: int, tool: object, strict: bool | None) -> dict[str, Any]:
    try:
        return _tool_from(tool, strict)
    except InvalidRequestError as exc:
        raise InvalidRequestError(f"tools[{index}]: {exc}") from exc


def _canonical_choice(
    tool_choice: object, tools: Sequence[Mapping[str, Any]] | None
) -> str | dict[str, Any] | None:
    if isinstance(tool_choice, bool):
        tool_choice = "required" if tool_choice else "none"
    elif tool_choice == "any":
        tool_choice = "required"
    if tool_choice in ("auto", "none") and not tools:
        return None  # the same as sending no tools; some servers reject it without tools
    if not isinstance(tool_choice, str | Mapping):
        raise InvalidRequestError(
            f"tool_choice must be 'auto', 'none', 'required', 'any', True, False, a function "
            f"tool's name or {_CHOICE_DICT}; got {describe_value(tool_choice)}"
        )
    if not tools:
        raise InvalidRequestError(
            f"tool_choice={tool_choice!r} needs tools: pass tools, or drop tool_choice"
        )
    if tool_choice in _MODES:
        return str(tool_choice)
    return _named_choice(_choice_name(tool_choice), tools)


def _choice_name(tool_choice: str | Mapping[Any, Any]) -> str:
    if isinstance(tool_choice, str):
        return tool_choice
    function = tool_choice.get("function")
    name = function.get("name") if isinstance(function, Mapping) else None
    if tool_choice.get("type") != "function" or not isinstance(name, str):
        raise InvalidRequestError(f"a tool_choice dict must look like {_CHOICE_DICT}")
    return name


def _named_choice(name: str, tools: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    names = function_tool_names(tools)
    if name not in names:
        available = ", ".join(names) if names else "none (only server tools were given)"
        raise InvalidRequestError(
            f"tool_choice {name!r} is not 'auto', 'none', 'required' or the name of a "
            f"function tool; function tools available: {available}"
        )
    return {"type": "function", "function": {"name": name}}


def _check_form(choice: str | dict[str, Any], allowed: frozenset[str], model: str | None) -> None:
    form = "function" if isinstance(choice, dict) else choice
    if form in allowed:
        return
    who = f"model {model!r}" if model else "this model"
    supported = ", ".join(sorted(allowed)) if allowed else "no tool_choice at all"
    raise InvalidRequestError(
        f"{who} does not support tool_choice {form!r} (it supports: {supported}); "
        "drop tool_choice or use a supported form"
    )
