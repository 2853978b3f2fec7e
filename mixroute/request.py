"""Building the chat-completions request body from typed inputs, checked before sending.

:func:`build_request_body` is the one place that knows the documented request fields,
the vendor options (``reasoning_effort``, ``enable_thinking``, the three search dialects),
and the per-model rules from :mod:`mixroute.profiles` (``max_completion_tokens`` and no
``temperature`` for OpenAI's reasoning models; when reasoning goes back with history).
Every bad value raises :class:`~mixroute.InvalidRequestError` naming what to fix; what
the profile says the model does not take (tools, ``enable_thinking``, image, file or audio
parts) is sent with a warning (:mod:`mixroute.capability_warnings`).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Literal, TypedDict

import pydantic

from mixroute.capability_warnings import warn_unaccepted, warn_unaccepted_parts
from mixroute.errors import InvalidRequestError
from mixroute.messages import message_to_wire
from mixroute.profiles import ModelProfile, get_profile
from mixroute.structured import normalize_response_format
from mixroute.tool_choice import ToolChoiceFallback, decide_tool_choice
from mixroute.tools import normalize_tools

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

    Raises:
        InvalidRequestError: an unknown ``search_strategy`` or a flag that is not a bool.

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
        """The ``search_options`` object, without unset fields.

        >>> SearchOptions(forced_search=True).to_wire()
        {'forced_search': True}
        """
        return _without_none(self)


_STRATEGIES = ("standard", "pro", "turbo", "max", "agent")


@dataclass(frozen=True, slots=True)
class SearchParameters:
    """Grok live-search settings, sent as ``search_parameters``.

    Args:
        mode: ``auto`` (the model decides), ``on`` or ``off``.
        return_citations: return the sources as ``citations``.
        max_search_results: at most this many sources (1 to 50).
        from_date: an ISO date (``YYYY-MM-DD``): search nothing older.
        to_date: an ISO date (``YYYY-MM-DD``): search nothing newer.
        sources: source filters, such as ``[{"type": "web"}, {"type": "x"}]``.

    Raises:
        InvalidRequestError: a ``mode`` other than the three, a ``return_citations`` that
            is not a bool, or ``max_search_results`` outside 1 to 50.

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


def search_to_wire(value: Any) -> Any:
    """A :class:`SearchOptions` or :class:`SearchParameters` as its wire dict; else ``value``.

    >>> search_to_wire(SearchParameters(mode="on"))
    {'mode': 'on'}
    """
    return value.to_wire() if isinstance(value, SearchOptions | SearchParameters) else value


SearchSetting = Annotated[dict[str, Any] | None, pydantic.BeforeValidator(search_to_wire)]
"""The type of both adapters' ``search_options`` and ``search_parameters`` settings.

They take the typed value or a dict and keep the dict, so a model's settings stay plain
data (serialized, compared and copied as such); the core checks it when the model is made.
"""


class ChatOptions(TypedDict, total=False):
    """Every option :func:`build_request_body` and the clients accept, typed.

    Each is a keyword argument of ``create``, ``stream`` and ``build_request`` (and a
    setting or call option of both adapters). ``None`` or a missing key sends nothing;
    a value out of range, of the wrong type or refused by the model's profile raises
    :class:`~mixroute.InvalidRequestError` naming it before anything is sent, and an
    unknown name raises it with the closest known one ("did you mean ...?").
    """

    temperature: float
    """Sampling temperature, 0 to 2; left out for models whose profile takes none
    (OpenAI's reasoning models)."""
    top_p: float
    """Nucleus sampling, 0 to 1."""
    max_tokens: int
    """The most tokens to generate (a positive int); sent as ``max_completion_tokens``
    where the profile says so (``uses_max_completion_tokens``)."""
    max_completion_tokens: int
    """The most tokens to generate, reasoning included, sent as it is."""
    stop: str | Sequence[str]
    """A stop sequence or a list of them."""
    seed: int
    """A seed for best-effort repeatable sampling."""
    n: int
    """How many answers (choices) to generate, a positive int."""
    presence_penalty: float
    """-2 to 2: a penalty on tokens already present."""
    frequency_penalty: float
    """-2 to 2: a penalty on tokens by their frequency so far."""
    logit_bias: Mapping[str, float]
    """Token id to bias, sent as it is."""
    logprobs: bool
    """Return the log probabilities of the tokens (``choice.logprobs``)."""
    top_logprobs: int
    """With ``logprobs``, how many likeliest tokens to list per position, 0 to 20."""
    user: str
    """An id for the end user, sent as it is."""
    metadata: Mapping[str, str]
    """Request metadata, sent as it is."""
    service_tier: str
    """The vendor's service tier (``"flex"``, ...), sent as it is."""
    stream_options: Mapping[str, Any]
    """Sent as given; with ``stream``, it replaces ``{"include_usage": true}``."""
    tools: Sequence[object]
    """Function tools as pydantic classes, JSON schemas (named by ``title``) or OpenAI
    tool dicts, and server tools (any other dict with a ``type``, such as Claude's
    ``{"type": "web_search_20250305", "name": "web_search"}``), sent untouched. Two
    function tools with one name are refused; tools for a model whose profile has no tool
    calling are sent with a :class:`~mixroute.MixrouteWarning` (one, which names the
    ``tool_choice`` too)."""
    tool_choice: object
    """``"auto"``, ``"none"``, ``"required"`` (also ``"any"`` or ``True``; ``False`` is
    ``"none"``), a function tool's name or ``{"type": "function", "function": {"name":
    ...}}``. A form the model's profile cannot take: see ``tool_choice_fallback``."""
    parallel_tool_calls: bool
    """Whether the model may call several tools at once; needs ``tools``; left out for
    models that refuse the field (o1, o3, o4-mini, DeepSeek-R1)."""
    strict: bool
    """Make the function tools' and ``response_format``'s schemas strict."""
    response_format: object
    """A pydantic class or JSON schema (sent as ``json_schema``), a formed
    ``{"type": "json_schema" | "json_object" | "text", ...}`` dict, or the strings
    ``"json_object"`` and ``"text"``. A JSON schema on a model without native
    ``json_schema``: see ``emulate_response_format``."""
    reasoning_effort: str
    """``"low"``, ``"medium"``, ``"high"`` or another level the model's profile lists
    (``ModelProfile.reasoning_effort_levels``); a level it does not list, or any level
    for a model that refuses the field, is an error."""
    enable_thinking: bool
    """Qwen's switch for thinking on its hybrid models; sent to any model. ``True`` where
    the profile has no switch brings a :class:`~mixroute.MixrouteWarning`."""
    enable_search: bool
    """Qwen's web search."""
    search_options: SearchOptions | Mapping[str, Any]
    """Qwen's search settings (:class:`SearchOptions`, or a dict of its fields and more)."""
    search_parameters: SearchParameters | Mapping[str, Any]
    """Grok's live search (:class:`SearchParameters`, or a dict of its fields and more)."""
    extra_body: Mapping[str, Any]
    """Fields merged into the body last, over everything above (the escape hatch)."""
    tool_choice_fallback: Literal["degrade", "refuse"]
    """Not sent: what a forcing ``tool_choice`` the model cannot take becomes.
    ``"degrade"`` (the default) sends the strongest form it takes
    (:meth:`ModelProfile.strongest_tool_choice`) with a
    :class:`~mixroute.MixrouteWarning`, asks once more if no tool was called, then raises
    :class:`~mixroute.ToolCallNotMadeError`; ``"refuse"`` raises
    :class:`~mixroute.InvalidRequestError` before sending."""
    emulate_response_format: bool
    """Not sent: whether a JSON-schema ``response_format`` on a model without native
    ``json_schema`` is carried out by a schema tool (its call returned as the message's
    JSON content) or JSON mode (``True``, the default), or sent as given (``False``)."""


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
    """The JSON body for ``POST /chat/completions``: ``plan_request(...).body``.

    Args:
        model: the model id, passed through as it is.
        messages: typed messages (:class:`~mixroute.UserMessage`, ...) or wire dicts.
        stream: ask for server-sent events.
        include_usage: with ``stream``, ask for usage in the last chunk
            (``stream_options.include_usage``) unless ``stream_options`` is given.
        profile: the model's capabilities; looked up from ``model`` when omitted.
        **options: the fields of :class:`ChatOptions`.

    Returns:
        The JSON body, a new dict: the documented fields, the vendor fields, then
        ``extra_body`` merged over them.

    Raises:
        InvalidRequestError: an empty model id or message list, a message or content part
            the API cannot carry, an unknown option (with the closest known name), a value
            out of range or of the wrong type, or an option the model's profile refuses
            (a ``reasoning_effort`` level, a ``tool_choice`` form with
            ``tool_choice_fallback="refuse"``).

    The clients send the body with its :class:`~mixroute.answer_policy.AnswerPolicy`
    (see :func:`~mixroute.answer_policy.plan_request`); a body sent alone gets no retry
    of a weakened ``tool_choice`` and no reshaping of an emulated ``response_format``.

    >>> build_request_body("glm-5", [{"role": "user", "content": "Hi"}], temperature=0.7)
    {'model': 'glm-5', 'messages': [{'role': 'user', 'content': 'Hi'}], 'temperature': 0.7}

    """
    from mixroute.answer_policy import plan_request  # it builds on wire_body below

    return plan_request(
        model, messages, stream=stream, include_usage=include_usage, profile=profile, **options
    ).body


def wire_body(
    model: str,
    messages: Sequence[Any],
    *,
    stream: bool,
    include_usage: bool,
    profile: ModelProfile | None,
    fallback: ToolChoiceFallback = "degrade",
    warn: bool = True,
    **options: Any,
) -> tuple[dict[str, Any], tuple[str, ...]]:
    """The body for ``options`` as given, and the tools a weakened ``tool_choice`` must call.

    The request builder proper: :func:`~mixroute.answer_policy.plan_request` calls it
    after settling the answer policy (``fallback`` and ``warn`` are its
    ``tool_choice`` handling, see :func:`~mixroute.tool_choice.decide_tool_choice`).
    """
    if not isinstance(model, str) or not model.strip():
        raise InvalidRequestError("model must be a non-empty string such as 'gpt-4o'.")
    unknown = options.keys() - ChatOptions.__annotations__.keys()
    if unknown:
        from mixroute.options import unknown_name_error  # it reads ChatOptions from here

        known = ChatOptions.__annotations__.keys()
        raise unknown_name_error(min(unknown), known, who="Request options")
    profile = profile or get_profile(model)
    body: dict[str, Any] = {"model": model, "messages": _messages(messages, profile, model)}
    _sampling(body, options, profile)
    must_call = _tools(body, options, profile, fallback, warn)
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
    return body, must_call


def _messages(messages: Sequence[Any], profile: ModelProfile, model: str) -> list[dict[str, Any]]:
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
    for entry in wire:  # a string content holds no media part: one type check each
        if type(entry.get("content")) is list:
            warn_unaccepted_parts(model, profile, wire)
            break
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
        value = options.get(name)
        if value is not None:
            _check_passthrough(name, value)
            body[name] = value


def _check_passthrough(name: str, value: Any) -> None:
    """The shapes the API documents for ``user``, ``metadata``, ``service_tier``, ``logit_bias``."""
    if name in ("user", "service_tier"):
        if not isinstance(value, str):
            raise InvalidRequestError(f"{name} must be a string, got {value!r}.")
    elif name == "metadata":
        if not isinstance(value, Mapping) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in value.items()
        ):
            raise InvalidRequestError(f"metadata must map strings to strings, got {value!r}.")
    elif not isinstance(value, Mapping) or not all(
        isinstance(k, str | int)
        and not isinstance(k, bool)
        and isinstance(v, int | float)
        and not isinstance(v, bool)
        and -100 <= v <= 100
        for k, v in value.items()
    ):
        raise InvalidRequestError(
            f"logit_bias must map token ids to numbers from -100 to 100, got {value!r}."
        )


def _tools(
    body: dict[str, Any],
    options: Mapping[str, Any],
    profile: ModelProfile,
    fallback: ToolChoiceFallback,
    warn: bool,
) -> tuple[str, ...]:
    strict = options.get("strict")
    tools = normalize_tools(options.get("tools"), strict=strict)
    if tools:
        body["tools"] = tools
    choice = options.get("tool_choice")
    uncalled = bool(tools) and not profile.tool_calling  # a tool_choice is only sent with tools
    must_call: tuple[str, ...] = ()
    if choice is not None:
        # Where the model calls no tools, the tools warning below speaks for the choice too.
        decision = decide_tool_choice(
            choice,
            tools,
            profile,
            model=body["model"],
            fallback=fallback,
            warn=warn and not uncalled,
        )
        if decision.wire is not None:
            body["tool_choice"] = decision.wire
        must_call = decision.must_call
    if uncalled:
        # warn=False: the choice is the builder's own, not the caller's, and goes unsaid.
        sent = _tools_sent(choice if warn else None, "tool_choice" in body, must_call)
        warn_unaccepted(body["model"], "tool_calling", sent)
    if options.get("parallel_tool_calls") is not None:
        if not tools:
            raise InvalidRequestError("parallel_tool_calls is set but no tools are given.")
        if profile.parallel_tool_calls:
            body["parallel_tool_calls"] = options["parallel_tool_calls"]
        else:  # o1/o3/o4-mini and R1 answer 400 "unsupported parameter"
            logger.debug("dropping parallel_tool_calls: the model's profile says it is refused")
    response_format = options.get("response_format")
    if response_format is not None:
        body["response_format"] = normalize_response_format(response_format, strict=strict)
    return must_call


def _tools_sent(choice: object, choice_sent: bool, must_call: tuple[str, ...]) -> str:
    """What the tools warning says was sent: the tools, and the ``tool_choice`` if any."""
    if choice is None:
        return "tools"
    notes = [] if choice_sent else ["the tool_choice left out"]
    if must_call:
        notes.append(
            "an answer without a tool call is asked for once more, "
            "then ToolCallNotMadeError is raised"
        )
    said = f"tools and tool_choice={choice!r}"
    return f"{said} ({'; '.join(notes)})" if notes else said


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
    thinking = options.get("enable_thinking")
    if thinking is not None:
        body["enable_thinking"] = thinking
        if thinking and not profile.enable_thinking:  # switching it off asks for nothing
            warn_unaccepted(body["model"], "enable_thinking", "enable_thinking=True")
    if options.get("enable_search") is not None:
        body["enable_search"] = options["enable_search"]
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
