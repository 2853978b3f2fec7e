"""``bind_tools`` input: LangChain tools of every kind into the core's tool definitions.

Dicts (OpenAI tools, JSON schemas, server tools such as Claude's ``web_search_20250305``)
and pydantic classes go to the core as they are, which checks them and leaves server
tools untouched; LangChain ``BaseTool`` objects, plain functions and ``TypedDict`` classes
are described by LangChain first.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeAlias

from langchain_core.utils.function_calling import convert_to_openai_tool

from mixroute import InvalidRequestError, ModelProfile
from mixroute.structured import is_model_class
from mixroute.tool_choice import check_fallback, decide_tool_choice
from mixroute.tools import normalize_tool_choice, tool_from_schema

__all__ = ["ToolLike", "checked_tool_choice", "format_tools"]

if TYPE_CHECKING:  # langchain_core.tools costs ~10 ms to import; a BaseTool brings it
    from langchain_core.tools import BaseTool

ToolLike: TypeAlias = "Mapping[str, Any] | type | Callable[..., Any] | BaseTool"
"""What ``bind_tools`` accepts."""


def format_tools(tools: Sequence[ToolLike], *, strict: bool | None = None) -> list[dict[str, Any]]:
    """The request's ``tools``, each checked now so that a bad one fails at ``bind_tools``.

    Two tools of one name are refused when the request is built, as the core does for
    any request; binding them is allowed, as LangChain's own checks expect.

    >>> format_tools([{"type": "web_search_20250305", "name": "web_search", "max_uses": 5}])
    [{'type': 'web_search_20250305', 'name': 'web_search', 'max_uses': 5}]
    """
    formatted = []
    for index, tool in enumerate(tools):
        if not (isinstance(tool, Mapping) or is_model_class(tool)):
            tool = convert_to_openai_tool(tool)
        try:
            formatted.append(tool_from_schema(tool, strict=strict))
        except InvalidRequestError as exc:
            raise InvalidRequestError(f"tools[{index}]: {exc}") from exc
    return formatted


def checked_tool_choice(
    choice: object,
    tools: list[dict[str, Any]],
    profile: ModelProfile,
    model: str,
    fallback: object = "degrade",
) -> str | dict[str, Any] | None:
    """The request's ``tool_choice`` as asked, checked now by the core's rule.

    A choice that cannot work fails here (:func:`mixroute.tool_choice.decide_tool_choice`
    with ``fallback``, ``"refuse"`` included); a forcing one the model cannot take is
    weakened by the core when the request is sent, with its warning and retry.
    """
    decide_tool_choice(
        choice, tools, profile, model=model, fallback=check_fallback(fallback), warn=False
    )
    return normalize_tool_choice(choice, tools)
