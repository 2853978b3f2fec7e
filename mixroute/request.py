"""Building the chat-completions request body from typed inputs, checked before sending.

:func:`build_request_body` is the one place that knows the documented request fields,
the vendor options (``reasoning_effort``, ``enable_thinking``, the three search dialects),
and the per-model rules from :mod:`mixroute.profiles` (``max_completion_tokens`` and no
``temperature`` for OpenAI's reasoning models; when reasoning goes back with history).
Every bad value raises :class:`~mixroute.InvalidRequestError` naming what to fix.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, TypedDict

from mixroute.errors import InvalidRequestError
from mixroute.messages import message_to_wire
from mixroute.profiles import ModelProfile, get_profile
from mixroute.structured import normalize_response_format
from mixroute.tools import normalize_tool_choice, normalize_tools

__all__ = ["ChatOptions", "SearchOptions", "SearchParameters", "build_request_body"]

logger = logging.getLogger("mixroute")


@dataclass(frozen=True, slots=True)
class SearchOptions:
    """Qwen web-search options, sent as ``search_options`` next to ``enable_search``.

    Args:
        search_strategy: ``standard`` or ``pro`` as documented (Qwen also knows ``turbo``,
            ``max`` and ``agent``).
        forced_search: search even when the model would not.
        enable_source: ask for the sources (``search_info``) in the answer.
        enable_citation: ask for citation marks in the text.

    """

    search_strategy: str | None = None
    forced_search: bool | None = None
    enable_source: bool | None = None
    enable_citation: bool | None = None

    def __post_init__(self) -> None:
        if self.search_strategy is not None and self.search_strategy not in _STRATEGIES:
            raise InvalidRequestError(
                f"search_options.search_strategy={self.search_strategy!r} is not known; "
                f"use one of {', '.join(_STRATEGIES)}."
            )
        for name in ("forced_search", "enable_source", "enable_citation"):
            _check_bool(getattr(self, name), f"search_options.{name}")

    def to_wire(self) -> dict[str, Any]:
        """The ``search_options`` object, without unset fields."""
        return _without_none(self)


_STRATEGIES = ("standard", "pro", "turbo", "max", "agent")


@dataclass(frozen=True, slots=True)
class SearchParameters:
    """Grok live-search settings, sent as ``search_parameters``.

    Args:
        mode: ``auto`` (the model decides), ``on`` or ``off``.
        return_citations: return the sources as ``citations``.
        max_search_results: at most this many sources (1 to 50).
        from_date, to_date: ISO dates (``YYYY-MM-DD``) bounding the search.
        sources: source filters, such as ``[{"type": "web"}, {"type": "x"}]``.

    """

    mode: Literal["auto", "on", "off"] | None = None
    return_citations: bool | None = None
    max_search_results: int | None = None
    from_date: str | None = None
    to_date: str | None = None
    sources: Sequence[Mapping[str, Any]] | None = None

    def __post_init__(self) -> None:
        if self.mode is not None and self.mode not in ("auto", "on", "off"):
            raise InvalidRequestError(
                f"search_parameters.mode={self.mode!r}: use 'auto', 'on' or 'off'."
            )
        _check_bool(self.return_citations, "search_parameters.return_citations")
        n = self.max_search_results
        if n is not None and (isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= 50):
            raise InvalidRequestError(
                f"search_parameters.max_search_results must be an int from 1 to 50, got {n!r}."
            )

    def to_wire(self) -> dict[str, Any]:
        """The ``search_parameters`` object, without unset fields."""
        wire = _without_none(self)
        if self.sources is not None:
            wire["sources"] = [dict(source) for source in self.sources]
        return wire


class ChatOptions(TypedDict, total=False):
    """Every option :func:`build_request_body` and the clients accept, typed."""

    temperature: float
    top_p: float
    max_tokens: int
    max_completion_tokens: int
    stop: str | Sequence[str]
    seed: int
    n: int
    presence_penalty: float
    frequency_penalty: float
    logit_bias: Mapping[str, float]
    logprobs: bool
    top_logprobs: int
    user: str
    metadata: Mapping[str, str]
    service_tier: str
    stream_options: Mapping[str, Any]
    tools: Sequence[object]
    tool_choice: object
    parallel_tool_calls: bool
    strict: bool
    response_format: object
    reasoning_effort: str
    enable_thinking: bool
    enable_search: bool
    search_options: SearchOptions | Mapping[str, Any]
    search_parameters: SearchParameters | Mapping[str, Any]
    extra_body: Mapping[str, Any]


_PASSTHROUGH = ("user", "metadata", "service_tier", "logit_bias")
_RANGES: dict[str, tuple[float, float]] = {
    "temperature": (0.0, 2.0),
    "top_p": (0.0, 1.0),
    "presence_penalty": (-2.0, 2.0),
    "frequency_penalty": (-2.0, 2.0),
}
_POSITIVE_INTS = ("max_tokens", "max_completion_tokens", "n")
_BOOLS = ("logprobs", "parallel_tool_calls", "enable_thinking", "enable_search")


def build_request_body(
    model: str,
    messages: Sequence[Any],
    *,
    stream: bool = False,
    include_usage: bool = True,
    profile: ModelProfile | None = None,
    **options: Any,
) -> dict[str, Any]:
    """The JSON body for ``POST /chat/completions``.

    Args:
        model: the model id, passed through as it is.
        messages: typed messages (:class:`~mixroute.UserMessage`, ...) or wire dicts.
        stream: ask for server-sent events.
        include_usage: with ``stream``, ask for usage in the last chunk
            (``stream_options.include_usage``) unless ``stream_options`` is given.
        profile: the model's capabilities; looked up from ``model`` when omitted.
        options: the fields of :class:`ChatOptions`.

    >>> build_request_body("glm-5", [{"role": "user", "content": "Hi"}], temperature=0.7)
    {'model': 'glm-5', 'messages': [{'role': 'user', 'content': 'Hi'}], 'temperature': 0.7}

    """
    if not isinstance(model, str) or not model.strip():
        raise InvalidRequestError("model must be a non-empty string such as 'gpt-4o'.")
    unknown = options.keys() - ChatOptions.__annotations__.keys()
    if unknown:
        raise InvalidRequestError(
            f"Unknown option(s) {', '.join(sorted(unknown))}; pass vendor fields that have "
            "no typed option through extra_body={...}."
        )
    profile = profile or get_profile(model)
    body: dict[str, Any] = {"model": model, "messages": _messages(messages, profile)}
    _sampling(body, options, profile)
    _tools(body, options, profile)
    _vendor(body, options, profile)
    if stream:
        body["stream"] = True
        stream_options = options.get("stream_options")
        if stream_options is not None:
            body["stream_options"] = dict(_mapping(stream_options, "stream_options"))
        elif include_usage:
            body["stream_options"] = {"include_usage": True}
    elif options.get("stream_options") is not None:
        body["stream_options"] = dict(_mapping(options["stream_options"], "stream_options"))
    extra = options.get("extra_body")
    if extra:
        body.update(_mapping(extra, "extra_body"))
    return body


def _messages(messages: Sequence[Any], profile: ModelProfile) -> list[dict[str, Any]]:
    if isinstance(messages, str | bytes) or not isinstance(messages, Sequence) or not messages:
        raise InvalidRequestError("messages must be a non-empty list of messages.")
    policy = profile.reasoning_on_history
    wire = []
    for index, message in enumerate(messages):
        if policy == "tool_calls":
            calls = (
                message.get("tool_calls")
                if isinstance(message, Mapping)
                else getattr(message, "tool_calls", None)
            )
            send = bool(calls)
        else:
            send = policy == "always"
        wire.append(message_to_wire(message, index, send_reasoning=send))
    return wire


def _sampling(body: dict[str, Any], options: Mapping[str, Any], profile: ModelProfile) -> None:
    for name, (low, high) in _RANGES.items():
        value = options.get(name)
        if value is None:
            continue
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not low <= value <= high
        ):
            raise InvalidRequestError(
                f"{name} must be a number from {low} to {high}, got {value!r}."
            )
        body[name] = value
    if "temperature" in body and not profile.supports_temperature:
        logger.debug("dropping temperature: the model's profile says it is not accepted")
        del body["temperature"]
    for name in _POSITIVE_INTS:
        value = options.get(name)
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise InvalidRequestError(f"{name} must be a positive int, got {value!r}.")
        body[name] = value
    if "max_tokens" in body and profile.uses_max_completion_tokens:
        body.setdefault("max_completion_tokens", body.pop("max_tokens"))
    seed = options.get("seed")
    if seed is not None:
        if isinstance(seed, bool) or not isinstance(seed, int):
            raise InvalidRequestError(f"seed must be an int, got {seed!r}.")
        body["seed"] = seed
    stop = options.get("stop")
    if stop is not None:
        if isinstance(stop, str):
            body["stop"] = stop
        elif isinstance(stop, Sequence) and all(isinstance(s, str) for s in stop):
            body["stop"] = list(stop)
        else:
            raise InvalidRequestError(f"stop must be a string or a list of strings, got {stop!r}.")
    for name in _BOOLS:
        _check_bool(options.get(name), name)
    if options.get("logprobs") is not None:
        body["logprobs"] = options["logprobs"]
    top = options.get("top_logprobs")
    if top is not None:
        if isinstance(top, bool) or not isinstance(top, int) or not 0 <= top <= 20:
            raise InvalidRequestError(f"top_logprobs must be an int from 0 to 20, got {top!r}.")
        body["top_logprobs"] = top
    for name in _PASSTHROUGH:
        if options.get(name) is not None:
            body[name] = options[name]


def _tools(body: dict[str, Any], options: Mapping[str, Any], profile: ModelProfile) -> None:
    strict = options.get("strict")
    tools = normalize_tools(options.get("tools"), strict=strict)
    if tools:
        if not profile.tool_calling:
            logger.debug("sending tools although the model's profile says it cannot call them")
        body["tools"] = tools
    choice = options.get("tool_choice")
    if choice is not None:
        allowed = profile.tool_choice_forms if profile.tool_choice else frozenset()
        normalized = normalize_tool_choice(choice, tools, allowed_forms=allowed)
        if normalized is not None:
            body["tool_choice"] = normalized
    if options.get("parallel_tool_calls") is not None:
        if not tools:
            raise InvalidRequestError("parallel_tool_calls is set but no tools are given.")
        body["parallel_tool_calls"] = options["parallel_tool_calls"]
    response_format = options.get("response_format")
    if response_format is not None:
        body["response_format"] = normalize_response_format(response_format, strict=strict)


def _vendor(body: dict[str, Any], options: Mapping[str, Any], profile: ModelProfile) -> None:
    effort = options.get("reasoning_effort")
    if effort is not None:
        levels = profile.reasoning_effort_levels
        if not isinstance(effort, str) or not effort:
            raise InvalidRequestError(
                f"reasoning_effort must be a string such as 'low', 'medium' or 'high', "
                f"got {effort!r}."
            )
        if levels is not None and effort not in levels:
            if not levels:
                raise InvalidRequestError(
                    f"model {body['model']!r} does not take reasoning_effort; remove it "
                    "(or override the model profile if the model does accept it)."
                )
            raise InvalidRequestError(
                f"reasoning_effort={effort!r} is not accepted by {body['model']!r}; "
                f"use one of {', '.join(levels)}."
            )
        body["reasoning_effort"] = effort
    for name in ("enable_thinking", "enable_search"):
        if options.get(name) is not None:
            body[name] = options[name]
    search_options = options.get("search_options")
    if search_options is not None:
        body["search_options"] = _typed(search_options, SearchOptions, "search_options")
    search_parameters = options.get("search_parameters")
    if search_parameters is not None:
        body["search_parameters"] = _typed(search_parameters, SearchParameters, "search_parameters")


def _typed(value: object, cls: type[SearchOptions] | type[SearchParameters], name: str) -> Any:
    if isinstance(value, cls):
        return value.to_wire()
    mapping = dict(_mapping(value, name))
    known = {key: mapping.pop(key) for key in list(mapping) if key in cls.__dataclass_fields__}
    try:
        typed = cls(**known)
    except TypeError as exc:  # pragma: no cover - all fields have defaults
        raise InvalidRequestError(f"{name}: {exc}") from None
    return {**typed.to_wire(), **mapping}


def _mapping(value: object, name: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise InvalidRequestError(f"{name} must be a dict, got {type(value).__name__}.")
    return value


def _check_bool(value: object, name: str) -> None:
    if value is not None and not isinstance(value, bool):
        raise InvalidRequestError(f"{name} must be true or false, got {value!r}.")


def _without_none(obj: SearchOptions | SearchParameters) -> dict[str, Any]:
    return {
        name: getattr(obj, name)
        for name in obj.__dataclass_fields__
        if getattr(obj, name) is not None
    }
