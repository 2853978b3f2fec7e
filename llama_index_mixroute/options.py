"""Mixroute's settings, mapped onto the core's option rules.

The core (:mod:`mixroute.options`) says which options exist, how a call's keyword
arguments are checked and laid over the settings (``runtime.build_request`` calls it), and
what a misspelt name is called; this module says only which of the LLM's fields are
options, that ``additional_kwargs`` holds options and body fields alike, that
``server_tools`` go with every request, and what ``OpenAILike``'s ``is_chat_model`` means
here. A mistake in the settings is a :class:`~mixroute.ConfigurationError`; one in a
call's keyword arguments (``chat(..., temprature=0)``) an
:class:`~mixroute.InvalidRequestError`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import cache
from typing import Any

from llama_index.core.llms.function_calling import FunctionCallingLLM

from mixroute.errors import ConfigurationError
from mixroute.options import option_defaults, option_fields, unknown_name_error

__all__ = ["check_settings", "setting_fields", "settings_options"]

_SETTING_ADVICE = (
    "pass request fields without a setting of their own in additional_kwargs={...} or "
    "extra_body={...}."
)


@cache
def setting_fields(cls: type[FunctionCallingLLM]) -> tuple[str, ...]:
    """The fields ``cls`` declares (not LlamaIndex's) that are request options of that name."""
    inherited = FunctionCallingLLM.model_fields
    return option_fields(name for name in cls.model_fields if name not in inherited)


def check_settings(settings: dict[str, Any], fields: Iterable[str]) -> None:
    """Check the constructor's keyword settings in place, before pydantic sees them.

    ``is_chat_model`` (an ``OpenAILike`` setting) is taken out: ``True`` is all Mixroute
    serves, ``False`` is refused. A name that is not a field raises
    :class:`~mixroute.ConfigurationError`, naming the closest field.
    """
    if "is_chat_model" in settings and not settings.pop("is_chat_model"):
        raise ConfigurationError(
            "Mixroute serves chat completions only (is_chat_model=False is for completion "
            "endpoints); remove is_chat_model, or set it to True."
        )
    known = fields if isinstance(fields, frozenset | set) else frozenset(fields)
    for name in settings:
        if name not in known:
            raise unknown_name_error(
                name,
                known | {"api_key", "api_base", "base_url", "is_chat_model"},
                who="Mixroute",
                error=ConfigurationError,
                kind="setting",
                advice=_SETTING_ADVICE,
            )


def settings_options(
    settings: Mapping[str, Any],
    additional_kwargs: Mapping[str, Any],
    extra_body: Mapping[str, Any] | None,
    server_tools: list[dict[str, Any]],
) -> dict[str, Any]:
    """The options every call starts from, built from the LLM's settings.

    ``additional_kwargs`` is split the way its name promises: keys the core knows are
    options, the others are extra body fields; ``server_tools`` go with every request,
    after any tools a call gives.
    """
    options = option_defaults(settings, additional_kwargs, extra_body)
    if server_tools:
        options["tools"] = list(server_tools)
    return options
