"""The request options of one call: the LLM's settings first, then the call's keyword arguments.

LlamaIndex passes per-call options as ``**kwargs`` of ``chat``/``complete`` (``tools``,
``tool_choice``, ``response_format``, ...). Those the core types in
:class:`mixroute.ChatOptions` become options; ``extra_headers``, ``timeout`` and
``deadline`` go to the client; anything else is refused with a message that names it,
before anything is sent.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mixroute.errors import InvalidRequestError
from mixroute.request import ChatOptions

__all__ = ["OPTION_NAMES", "SETTING_FIELDS", "call_options", "settings_options"]

OPTION_NAMES = frozenset(ChatOptions.__annotations__)
"""Every option the core's request builder accepts."""

SETTING_FIELDS = (
    "temperature",
    "max_tokens",
    "top_p",
    "stop",
    "seed",
    "reasoning_effort",
    "enable_thinking",
    "enable_search",
    "search_options",
    "search_parameters",
    "strict",
)
"""The ``Mixroute`` fields that are request options under the same name."""

_CALL_ARGS = frozenset({"extra_headers", "timeout", "deadline"})


def settings_options(
    settings: Mapping[str, Any],
    additional_kwargs: Mapping[str, Any],
    extra_body: Mapping[str, Any] | None,
    server_tools: list[dict[str, Any]],
) -> dict[str, Any]:
    """The options every call starts from, built from the LLM's settings.

    ``additional_kwargs`` is split the way its name promises: keys the core knows are
    options, the others are extra body fields.
    """
    options = {name: value for name, value in settings.items() if value is not None}
    extra: dict[str, Any] = {}
    for name, value in additional_kwargs.items():
        if name in OPTION_NAMES and name != "extra_body":
            options[name] = value
        elif name == "extra_body" and isinstance(value, Mapping):
            extra.update(value)
        else:
            extra[name] = value
    if extra_body:
        extra.update(extra_body)
    if extra:
        options["extra_body"] = extra
    if server_tools:
        options["tools"] = list(server_tools)
    return options


def call_options(
    defaults: dict[str, Any], kwargs: Mapping[str, Any]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Lay one call's ``kwargs`` over ``defaults``: ``(options, client arguments)``.

    A ``None`` value unsets a default (``deadline=None`` is kept: no deadline for this
    call). Tools given for the call come before the server tools of the settings, and the
    call's ``extra_body`` is merged into the settings' one. A bad ``deadline`` is refused
    here, so that a stream opened only when iterated fails when it is asked for.

    >>> call_options({"temperature": 0.1}, {"temperature": None, "seed": 7})
    ({'seed': 7}, {})
    """
    if not kwargs:
        return defaults, {}
    options = dict(defaults)
    client: dict[str, Any] = {}
    for name, value in kwargs.items():
        if name in _CALL_ARGS:
            client[name] = _checked_deadline(value) if name == "deadline" else value
        elif name not in OPTION_NAMES:
            raise InvalidRequestError(
                f"Mixroute got an unknown keyword argument {name!r}; pass request fields "
                "that have no typed option as extra_body={...} (per call, or as a setting)."
            )
        elif value is None:
            options.pop(name, None)
        elif name == "tools":
            options["tools"] = [*value, *defaults.get("tools", ())]
        elif name == "extra_body":
            options["extra_body"] = {**defaults.get("extra_body", {}), **value}
        else:
            options[name] = value
    return options, client


def _checked_deadline(value: Any) -> Any:
    from mixroute.client import DEFAULT  # loaded with the clients, not at import
    from mixroute.settings import check_deadline

    if value is DEFAULT:
        return value
    return check_deadline(value, "deadline", InvalidRequestError)
