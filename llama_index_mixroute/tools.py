"""LlamaIndex tools in, tool selections out: the function-calling half of ``Mixroute``.

:func:`chat_with_tools_kwargs` turns ``BaseTool``s (and raw tool dicts such as Claude's
``{"type": "web_search_20250305", ...}``, passed through untouched) into the keyword
arguments of one ``chat`` call, resolving ``tool_required`` and ``tool_choice`` as
llama-index-llms-openai does, within what the model's profile accepts.
:func:`tool_selections` reads the calls back from a response.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from llama_index.core.base.llms.types import ChatMessage, ChatResponse, MessageRole, ToolCallBlock
from llama_index.core.llms.llm import ToolSelection

from llama_index_mixroute.convert import legacy_tool_calls
from llama_index_mixroute.responses import INVALID_TOOL_CALLS, cut_off
from mixroute import jsonsafe
from mixroute.profiles import ModelProfile
from mixroute.response import parse_arguments

if TYPE_CHECKING:
    from llama_index.core.tools.types import BaseTool

__all__ = [
    "chat_with_tools_kwargs",
    "keep_first_tool_call",
    "resolve_tool_choice",
    "tool_selections",
    "tool_spec",
]

logger = logging.getLogger("llama_index_mixroute")


def tool_spec(tool: object) -> object:
    """A tool for the request: a ``BaseTool`` as an OpenAI function tool, a dict as it is."""
    metadata = getattr(tool, "metadata", None)
    if metadata is not None and hasattr(metadata, "to_openai_tool"):
        spec: dict[str, Any] = metadata.to_openai_tool(skip_length_check=True)
        return spec
    return tool  # a server-tool or tool dict, or a pydantic class: the core reads those


def resolve_tool_choice(
    tool_choice: object, tool_required: bool, profile: ModelProfile
) -> object | None:
    """The ``tool_choice`` to ask for, or ``None`` to send none.

    A ``tool_choice`` the caller gives is asked for as given (``"auto"``, ``"none"``,
    ``"required"``, a tool's name or the OpenAI dict). Without one, ``tool_required`` asks
    for ``"required"``, else ``"auto"`` where the model takes a ``tool_choice`` at all. The
    core decides what is sent: a forcing form the model's profile cannot take goes as the
    strongest form it takes (:meth:`~mixroute.ModelProfile.strongest_tool_choice`), with a
    warning and one retry, unless ``tool_choice_fallback="refuse"``.
    """
    if tool_choice is not None:
        return tool_choice
    if tool_required:
        return "required"
    return "auto" if "auto" in profile.accepted_tool_choices else None


def chat_with_tools_kwargs(
    tools: Sequence[BaseTool | Mapping[str, Any]],
    user_msg: str | ChatMessage | None,
    chat_history: Sequence[ChatMessage] | None,
    *,
    allow_parallel_tool_calls: bool,
    tool_required: bool,
    tool_choice: object,
    strict: bool | None,
    profile: ModelProfile,
    kwargs: Mapping[str, Any],
) -> dict[str, Any]:
    """The keyword arguments of the ``chat`` call that ``chat_with_tools`` makes."""
    messages = list(chat_history or ())
    if isinstance(user_msg, str):
        user_msg = ChatMessage(role=MessageRole.USER, content=user_msg)
    if user_msg is not None:
        messages.append(user_msg)
    specs = [tool_spec(tool) for tool in tools]
    chat_kwargs: dict[str, Any] = {"messages": messages, **kwargs}
    if specs:
        chat_kwargs["tools"] = specs
        choice = resolve_tool_choice(tool_choice, tool_required, profile)
        if choice is not None:
            chat_kwargs["tool_choice"] = choice
        has_functions = any(_is_function(spec) for spec in specs)
        if has_functions:
            chat_kwargs["parallel_tool_calls"] = allow_parallel_tool_calls
    if strict is not None:
        chat_kwargs["strict"] = strict
    return chat_kwargs


def _is_function(spec: object) -> bool:
    if isinstance(spec, Mapping):
        kind = spec.get("type")
        return kind == "function" or (kind is None and "name" in spec) or kind == "object"
    return True  # a pydantic class becomes a function tool


def keep_first_tool_call(response: ChatResponse) -> ChatResponse:
    """Drop all tool calls but the first (``allow_parallel_tool_calls=False``)."""
    message = response.message
    calls = [block for block in message.blocks if isinstance(block, ToolCallBlock)]
    if len(calls) > 1:
        message.blocks = [
            block for block in message.blocks if not isinstance(block, ToolCallBlock)
        ] + [calls[0]]
        wire = message.additional_kwargs.get("tool_calls")
        if isinstance(wire, list):
            message.additional_kwargs["tool_calls"] = wire[:1]
    return response


def tool_selections(response: ChatResponse, error_on_no_tool_call: bool) -> list[ToolSelection]:
    """Read the tool calls of a response (its ``ToolCallBlock``s, else the legacy list).

    Arguments that are still arriving (a streamed call) are read as partial JSON. A call
    whose finished arguments are not a JSON object raises ``ValueError`` when
    ``error_on_no_tool_call`` is true, and is selected with no arguments otherwise, so an
    agent's tool reports the missing arguments and the model can try again. Arguments
    cut off at the token limit raise ``OutputTruncatedError`` instead (when
    ``error_on_no_tool_call``), naming the limit the request sent.
    """
    message = response.message
    invalid = {
        item.get("id")
        for item in message.additional_kwargs.get(INVALID_TOOL_CALLS) or ()
        if isinstance(item, Mapping)
    }
    found = [
        (block.tool_call_id, block.tool_name, block.tool_kwargs)
        for block in message.blocks
        if isinstance(block, ToolCallBlock)
    ] or [
        (call_id, name if isinstance(name, str) else "", arguments)
        for call_id, name, arguments in legacy_tool_calls(message)
    ]
    if not found:
        if error_on_no_tool_call:
            raise ValueError("Expected at least one tool call, but got 0 tool calls.")
        return []
    truncated = cut_off(response, "tool call")
    selections = []
    for call_id, name, arguments in found:
        if truncated is not None and error_on_no_tool_call and call_id in invalid:
            raise truncated  # the arguments were cut off, not wrong
        kwargs = _arguments(arguments, call_id in invalid, name, error_on_no_tool_call)
        selections.append(ToolSelection(tool_id=call_id or "", tool_name=name, tool_kwargs=kwargs))
    return selections


def _arguments(arguments: object, invalid: bool, name: str, strict: bool) -> dict[str, Any]:
    if isinstance(arguments, Mapping):
        return dict(arguments)
    text = arguments if isinstance(arguments, str) else ""
    if not text.strip():
        return {}
    parsed: object = None
    if not invalid:
        parsed, _ = parse_arguments(text)  # the core's rules: control characters pass
        # A call still streaming in; never text nested too deep (the partial parser
        # would recurse as deep).
        if parsed is None and not jsonsafe.too_deep(text):
            from llama_index.core.llms.utils import parse_partial_json

            try:
                parsed = parse_partial_json(text)
            except ValueError:
                parsed = None
    if isinstance(parsed, dict):
        return parsed
    if strict:
        raise ValueError(
            f"The model called tool {name!r} with arguments that are not a JSON object: "
            f"{text[:200]!r}"
        )
    logger.warning("tool call %r has arguments that are not a JSON object; sending none", name)
    return {}
