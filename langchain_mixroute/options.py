"""ChatMixroute's settings as the core's request options: checked once, merged per call.

Fields of the model are defaults; keyword arguments of a call (``invoke(...,
temperature=0)`` or ``bind(...)``) override them. ``model_kwargs`` holds request fields
that have no argument of their own: the core's typed options by name, anything else
into the body as ``extra_body``. :func:`check_arguments` turns a misspelt argument into
an error that names the closest real one, instead of silently ignoring it.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from langchain_core.language_models import LangSmithParams
from langchain_core.messages import BaseMessage

from langchain_mixroute.convert import to_core_messages
from mixroute import ChatOptions, ConfigurationError, ModelProfile

__all__ = [
    "FIELD_OPTIONS",
    "CallPlan",
    "check_arguments",
    "field_defaults",
    "langsmith_params",
    "merge_call",
    "plan_call",
    "split_model_kwargs",
]

FIELD_OPTIONS = (
    "temperature",
    "max_tokens",
    "top_p",
    "stop",
    "seed",
    "n",
    "reasoning_effort",
    "enable_thinking",
    "enable_search",
    "search_options",
    "search_parameters",
)
"""Model fields that are request options of the same name."""

_TYPED = frozenset(ChatOptions.__annotations__)


def check_arguments(data: dict[str, Any], known: Iterable[str]) -> None:
    """Move request options given as constructor arguments into ``model_kwargs``; reject typos.

    ``data`` is changed in place. An argument that is neither a field nor a request
    option raises :class:`~mixroute.ConfigurationError` naming the closest field.
    """
    fields = set(known)
    unknown = [name for name in data if name not in fields]
    if not unknown:
        return
    moved = {}
    for name in unknown:
        if name in _TYPED:
            moved[name] = data.pop(name)
            continue
        close = difflib.get_close_matches(name, sorted(fields | _TYPED), n=1)
        hint = f"; did you mean {close[0]!r}?" if close else "."
        raise ConfigurationError(
            f"ChatMixroute got an unknown argument {name!r}{hint} Request fields without an "
            "argument of their own go in model_kwargs={...} or extra_body={...}."
        )
    data["model_kwargs"] = {**moved, **dict(data.get("model_kwargs") or {})}


def split_model_kwargs(
    model_kwargs: Mapping[str, Any], fields: Iterable[str]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Split ``model_kwargs`` into the core's typed options and raw body fields.

    A key that is also a field of the model is an error: it has its own argument.
    """
    named = set(fields)
    typed: dict[str, Any] = {}
    body: dict[str, Any] = {}
    for key, value in model_kwargs.items():
        if key in named:
            raise ConfigurationError(
                f"model_kwargs[{key!r}]: pass {key}=... as its own argument instead."
            )
        (typed if key in _TYPED else body)[key] = value
    return typed, body


def field_defaults(
    values: Mapping[str, Any],
    model_kwargs: Mapping[str, Any],
    extra_body: Mapping[str, Any] | None,
    fields: Iterable[str],
) -> dict[str, Any]:
    """The request options a model's fields give, before any call overrides them.

    ``values`` are the :data:`FIELD_OPTIONS` fields; ``model_kwargs`` is split as
    :func:`split_model_kwargs` does, its raw fields going with ``extra_body``.
    """
    typed, body = split_model_kwargs(model_kwargs, fields)
    defaults = {**values, **typed}
    extra = {**body, **(extra_body or {})}
    if extra:
        defaults["extra_body"] = extra
    return merge_call(defaults, {})


def merge_call(defaults: dict[str, Any], call: dict[str, Any]) -> dict[str, Any]:
    """Lay a call's options over the model's (``extra_body`` dicts are merged, not replaced).

    ``defaults`` is the caller's own fresh dict and is updated in place. ``None`` values
    unset an option, and an empty ``stop`` sends none.
    """
    extra = call.pop("extra_body", None)
    defaults.update(call)
    if extra:
        defaults["extra_body"] = {**defaults.get("extra_body", {}), **extra}
    for key in [key for key, value in defaults.items() if value is None]:
        del defaults[key]
    if "stop" in defaults and not defaults["stop"]:
        del defaults["stop"]
    return defaults


@dataclass(slots=True)
class CallPlan:
    """One call: the model and core messages, and the core client's keyword arguments."""

    model: str
    messages: list[Any]
    request: dict[str, Any]
    """``profile``, ``timeout``, ``extra_headers``, ``deadline`` if given, and the request
    options, for the core."""
    stream_usage: bool


def plan_call(
    messages: list[BaseMessage],
    stop: list[str] | None,
    call: dict[str, Any],
    *,
    model: str,
    defaults: dict[str, Any],
    stream_usage: bool,
    profile_of: Callable[[str], ModelProfile],
) -> CallPlan:
    """Plan a call from the model's ``defaults`` and the call's own arguments.

    ``call`` is LangChain's per-call keyword dict (consumed): ``model``, ``stream_usage``,
    ``timeout``, ``extra_headers`` and ``deadline`` shape the call, ``stream`` is
    LangChain's own, and everything else is a request option laid over ``defaults``. A
    ``deadline`` is passed on only when given (``None`` included: no deadline), so that
    otherwise the client's own applies.
    """
    model = call.pop("model", None) or model
    call.pop("stream", None)
    stream_usage = call.pop("stream_usage", stream_usage)
    sending = {
        "profile": profile_of(model),
        "timeout": call.pop("timeout", None),
        "extra_headers": call.pop("extra_headers", None),
    }
    if "deadline" in call:
        sending["deadline"] = call.pop("deadline")
    if stop is not None:
        call["stop"] = stop
    request = merge_call(defaults, call)
    request.update(sending)
    return CallPlan(model, to_core_messages(messages), request, stream_usage)


def langsmith_params(
    provider: str, defaults: Mapping[str, Any], stop: list[str] | None, call: Mapping[str, Any]
) -> LangSmithParams:
    """LangSmith's standard parameters for a call: the call's values, else the model's."""
    model = call.get("model") or defaults["model"]
    params = LangSmithParams(ls_provider=provider, ls_model_name=model, ls_model_type="chat")
    temperature = call.get("temperature", defaults.get("temperature"))
    if temperature is not None:
        params["ls_temperature"] = temperature
    max_tokens = call.get("max_tokens", defaults.get("max_tokens"))
    if max_tokens is not None:
        params["ls_max_tokens"] = max_tokens
    stops = stop or call.get("stop") or defaults.get("stop")
    if stops:
        params["ls_stop"] = [stops] if isinstance(stops, str) else list(stops)
    return params
