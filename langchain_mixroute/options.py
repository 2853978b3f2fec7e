"""ChatMixroute's fields and keyword arguments, mapped onto the core's option rules.

The core (:mod:`mixroute.options`) says which options exist, how a call's options are laid
over the defaults and what a misspelt name is called; this module says only which of
ChatMixroute's fields are options, what ``model_kwargs`` holds (the core's options by
name, anything else a body field), and which constructor arguments people bring from
``ChatOpenAI``. A mistake in the constructor's arguments is a
:class:`~mixroute.ConfigurationError`; one in a call's (``invoke(..., temperature=0)``,
``bind(...)``) an :class:`~mixroute.InvalidRequestError`, both naming the closest real name.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from langchain_core.language_models import LangSmithParams
from langchain_core.messages import BaseMessage

from langchain_mixroute.convert import to_core_messages
from mixroute import ConfigurationError, ModelProfile
from mixroute.answer_policy import PlannedRequest, plan_request
from mixroute.options import (
    OPTION_NAMES,
    merge_options,
    option_defaults,
    split_call,
    unknown_name_error,
)

__all__ = [
    "CallPlan",
    "check_arguments",
    "field_defaults",
    "langsmith_params",
    "plan_call",
]

_WHO = "ChatMixroute"
_ARGUMENT_ADVICE = (
    "pass request fields without an argument of their own in model_kwargs={...} or "
    "extra_body={...}."
)
_ALIASES = {"model_name": "model", "api_base": "base_url"}
"""Other names of an argument: ChatOpenAI's ``model_name``, LlamaIndex's ``api_base``."""

_FROM_OPENAI = {
    "openai_api_key": (
        "ChatMixroute takes api_key=... (or the MIXROUTE_API_KEY variable), not "
        "openai_api_key: a Mixroute key is not an OpenAI key."
    ),
    "openai_api_base": (
        "ChatMixroute takes base_url=... (or the MIXROUTE_BASE_URL variable), not openai_api_base."
    ),
    "openai_organization": (
        "Mixroute has no OpenAI organizations: remove openai_organization; your api_key "
        "alone says who you are."
    ),
    "organization": (
        "Mixroute has no OpenAI organizations: remove organization; your api_key alone "
        "says who you are."
    ),
    "tiktoken_model_name": (
        "ChatMixroute counts tokens without tiktoken (get_num_tokens uses the core's "
        "estimate, the same for every vendor): remove tiktoken_model_name."
    ),
    "openai_proxy": (
        "ChatMixroute takes no openai_proxy: set HTTPS_PROXY (it is read as httpx reads "
        "it), or pass http_client=httpx.Client(proxy=...) and "
        "http_async_client=httpx.AsyncClient(proxy=...)."
    ),
}
_FROM_OPENAI.update(
    (name, f"Mixroute serves chat completions, not the Responses API: remove {name}.")
    for name in (
        "use_responses_api",
        "use_previous_response_id",
        "include",
        "truncation",
        "context_management",
        "prompt_cache_options",
    )
)
"""ChatOpenAI arguments refused with what to write instead (their values never shown)."""

_CALL_OWN = ("model", "stream", "stream_usage")
"""Keyword arguments of a call that ChatMixroute reads itself."""


def check_arguments(data: dict[str, Any], known: Iterable[str]) -> None:
    """Check the constructor's arguments in place, before pydantic sees them.

    ``api_base`` becomes ``base_url`` (one setting, two names: both given and different is
    an error, as is ``model`` with a different ``model_name``); request options given as
    arguments move into ``model_kwargs``; ChatOpenAI's ``openai_*`` arguments and unknown
    names raise :class:`~mixroute.ConfigurationError`, naming the closest real argument.
    """
    for alias, name in _ALIASES.items():
        if alias in data:
            _take_alias(data, alias, name)
    fields = known if isinstance(known, frozenset | set) else frozenset(known)
    unknown = [name for name in data if name not in fields]
    if not unknown:
        return
    moved = {}
    for name in unknown:
        if name in OPTION_NAMES:
            moved[name] = data.pop(name)
        elif name in _FROM_OPENAI:
            raise ConfigurationError(_FROM_OPENAI[name])
        else:
            raise unknown_name_error(
                name,
                fields | OPTION_NAMES | _ALIASES.keys(),
                who=_WHO,
                error=ConfigurationError,
                kind="argument",
                advice=_ARGUMENT_ADVICE,
            )
    if moved:
        data["model_kwargs"] = {**moved, **dict(data.get("model_kwargs") or {})}


def _take_alias(data: dict[str, Any], alias: str, name: str) -> None:
    value = data.pop(alias)
    if name in data and data[name] is not None and value is not None:
        first, second = data[name], value
        if isinstance(first, str) and isinstance(second, str):
            first, second = first.rstrip("/"), second.rstrip("/")
        if first != second:
            raise ConfigurationError(
                f"{_WHO} got both {name}= and {alias}=, which name one setting; give one."
            )
        return
    if value is not None or name not in data:
        data[name] = value


def field_defaults(
    values: Mapping[str, Any],
    model_kwargs: Mapping[str, Any],
    extra_body: Mapping[str, Any] | None,
    fields: Iterable[str],
) -> dict[str, Any]:
    """The request options a model's fields give, before any call overrides them.

    ``values`` are the fields named as options (see :func:`mixroute.options.option_fields`).
    ``model_kwargs`` holds the core's options by name and raw body fields (sent with
    ``extra_body``); a key of it that is a field of the model is an error: it has an
    argument of its own.
    """
    named = fields if isinstance(fields, frozenset | set) else frozenset(fields)
    for key in model_kwargs:
        if key in named:
            raise ConfigurationError(
                f"model_kwargs[{key!r}]: pass {key}=... as its own argument instead."
            )
    return option_defaults(values, model_kwargs, extra_body)


@dataclass(slots=True)
class CallPlan:
    """One call: the model, the core messages and options, and the client's arguments."""

    model: str
    messages: list[Any]
    options: dict[str, Any]
    """The request options, the model's defaults with the call's laid over them."""
    client: dict[str, Any]
    """``profile``, ``timeout``, ``extra_headers``, and ``deadline`` if given."""
    stream_usage: bool

    def planned(self, *, stream: bool = False) -> PlannedRequest:
        """The body to send and its answer policy.

        The adapter sends the body itself, so the answer is read against the request that
        got it (the token limit an answer cut off names is the one the body sent).
        """
        return plan_request(
            self.model,
            self.messages,
            stream=stream,
            include_usage=self.stream_usage,
            profile=self.client["profile"],
            **self.options,
        )


def plan_call(
    messages: list[BaseMessage],
    stop: list[str] | None,
    call: dict[str, Any],
    *,
    model: str,
    defaults: Mapping[str, Any],
    stream_usage: bool,
    profile_of: Callable[[str], ModelProfile],
) -> CallPlan:
    """Plan a call from the model's ``defaults`` and the call's own arguments.

    ``call`` is LangChain's per-call keyword dict (consumed): ``model`` and
    ``stream_usage`` shape the call, ``stream`` is LangChain's own, and the rest go to
    the core: request options laid over ``defaults`` (which is not changed), and
    ``timeout``, ``extra_headers`` and ``deadline`` for the client. A ``deadline`` is
    passed on only when given (``None`` included: no deadline), so that otherwise the
    client's own applies. An unknown name raises :class:`~mixroute.InvalidRequestError`.
    """
    if call:
        model = call.pop("model", None) or model
        call.pop("stream", None)
        stream_usage = call.pop("stream_usage", stream_usage)
    options, client = split_call(call, who=f"{_WHO} call", also=_CALL_OWN)
    if stop is not None:
        options["stop"] = stop
    arguments = {
        "profile": profile_of(model),
        "timeout": client.get("timeout"),
        "extra_headers": client.get("extra_headers"),
    }
    if "deadline" in client:
        arguments["deadline"] = client["deadline"]
    merged = merge_options(defaults, options)
    return CallPlan(model, to_core_messages(messages), merged, arguments, stream_usage)


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
