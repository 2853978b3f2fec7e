"""Option names and merging: the one place that says which options exist and how they combine.

Both adapters and the core read their names from here: :data:`OPTION_NAMES` are the
request options of :class:`~mixroute.ChatOptions`, :data:`CLIENT_ARGUMENTS` the per-call
arguments the clients take themselves. :func:`option_defaults` turns an adapter's settings
into the options every call starts from, :func:`split_call` checks one call's keyword
arguments, and :func:`merge_options` lays them over the defaults. Which of an adapter's
fields are options is read from the names (:func:`option_fields`), so an option added to
``ChatOptions`` and to an adapter's fields needs no list of its own.

A misspelt name gets the closest real one (:func:`unknown_name_error`). The error class
follows one rule in every layer: a mistake in settings given at construction is a
:class:`~mixroute.ConfigurationError`, a mistake in one call's options an
:class:`~mixroute.InvalidRequestError` (both are ``ValueError``).

Merging runs on every call, so it does the least it can: a call without keyword
arguments costs one check, and the close-name search runs only when an error is raised.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from typing import Any

from mixroute.errors import ConfigurationError, InvalidRequestError
from mixroute.request import ChatOptions

__all__ = [
    "CLIENT_ARGUMENTS",
    "EXTRA_BODY_ADVICE",
    "OPTION_NAMES",
    "merge_options",
    "option_defaults",
    "option_fields",
    "split_call",
    "unknown_name_error",
]

OPTION_NAMES: frozenset[str] = frozenset(ChatOptions.__annotations__)
"""The core's per-call request options: the keys of :class:`~mixroute.ChatOptions`."""

CLIENT_ARGUMENTS: frozenset[str] = frozenset({"timeout", "extra_headers", "deadline"})
"""Per-call arguments that go to the client, not into the request body."""

EXTRA_BODY_ADVICE = "pass vendor fields that have no typed option through extra_body={...}."
"""What to do with a field that has no typed option, said after an unknown name."""


_CLOSE_ENOUGH = 0.75
"""How alike a name must be to be offered as "did you mean": typos score 0.8-0.97;
unrelated names of other integrations (``use_responses_api`` against
``emulate_response_format``: 0.65) score below."""


def unknown_name_error(
    name: str,
    known: Iterable[str],
    *,
    who: str,
    error: type[InvalidRequestError] | type[ConfigurationError] = InvalidRequestError,
    kind: str = "option",
    advice: str = EXTRA_BODY_ADVICE,
) -> InvalidRequestError | ConfigurationError:
    """The error for an unknown ``name``, naming the closest of ``known`` if one is close.

    ``who`` says where the name was given, ``kind`` what it was meant to be, ``advice``
    what to do with a name that is not a misspelling. The error is returned, not raised.

    >>> unknown_name_error("temprature", OPTION_NAMES, who="ChatMixroute.invoke")
    InvalidRequestError("ChatMixroute.invoke: unknown option 'temprature'; did you mean \
'temperature'? Or pass vendor fields that have no typed option through extra_body={...}.")
    """
    close = difflib.get_close_matches(name, sorted(known), n=1, cutoff=_CLOSE_ENOUGH)
    if close:
        return error(f"{who}: unknown {kind} {name!r}; did you mean {close[0]!r}? Or {advice}")
    return error(f"{who}: unknown {kind} {name!r}; {advice}")


def split_call(
    kwargs: Mapping[str, Any], *, who: str, also: Iterable[str] = ()
) -> tuple[dict[str, Any], dict[str, Any]]:
    """One call's keyword arguments as ``(request options, client arguments)``.

    A name that is neither an option nor a client argument raises
    :class:`~mixroute.InvalidRequestError` (with the closest name among those and
    ``also``, the names the caller accepts itself). A ``deadline`` is checked here, so
    that a stream opened only when first iterated fails when it is asked for.

    >>> split_call({"temperature": 0, "timeout": 5}, who="chat")
    ({'temperature': 0}, {'timeout': 5})
    """
    if not kwargs:
        return {}, {}
    options: dict[str, Any] = {}
    client: dict[str, Any] = {}
    for name, value in kwargs.items():
        if name in OPTION_NAMES:
            options[name] = value
        elif name in CLIENT_ARGUMENTS:
            client[name] = _checked_deadline(value) if name == "deadline" else value
        else:
            raise unknown_name_error(name, OPTION_NAMES | CLIENT_ARGUMENTS | set(also), who=who)
    return options, client


def merge_options(defaults: Mapping[str, Any], call: Mapping[str, Any]) -> dict[str, Any]:
    """Lay one call's options over the defaults; neither argument is changed.

    ``None`` unsets an option and an empty ``stop`` sends none; the call's ``extra_body``
    is merged into the defaults' one, and the call's ``tools`` come before the defaults'
    (tools sent with every request, such as server tools). With no call options the
    result is ``defaults`` itself: copy it before changing it.

    >>> merge_options({"temperature": 0.1, "extra_body": {"a": 1}},
    ...               {"temperature": None, "extra_body": {"b": 2}})
    {'extra_body': {'a': 1, 'b': 2}}
    """
    if not call:
        return defaults if isinstance(defaults, dict) else dict(defaults)
    merged = dict(defaults)
    for name, value in call.items():
        if value is None or (name == "stop" and not value):
            merged.pop(name, None)
        elif name == "extra_body" and "extra_body" in merged and isinstance(value, Mapping):
            merged["extra_body"] = {**merged["extra_body"], **value}
        elif name == "tools" and "tools" in merged and _is_list(value):
            merged["tools"] = [*value, *merged["tools"]]
        else:
            merged[name] = value
    return merged


def option_fields(fields: Iterable[str]) -> tuple[str, ...]:
    """The names among an adapter's own ``fields`` that are request options of that name.

    ``extra_body`` is left out: it is merged, not laid over. An adapter passes only the
    fields it declares itself, not its framework's (LangChain's ``metadata`` is for
    tracing, not the request's ``metadata``).

    >>> option_fields(["model", "temperature", "timeout", "extra_body", "seed"])
    ('temperature', 'seed')
    """
    return tuple(name for name in fields if name in OPTION_NAMES and name != "extra_body")


def option_defaults(
    settings: Mapping[str, Any],
    more: Mapping[str, Any] | None = None,
    extra_body: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The options every call starts from, from an adapter's settings.

    ``settings`` are the fields that are options of the same name (``None``: unset).
    ``more`` is the adapter's dict of further request fields (``model_kwargs``,
    ``additional_kwargs``): the core's options by name, any other key a body field, and
    an ``extra_body`` in it merged with the others. ``extra_body`` is merged last.

    >>> option_defaults({"temperature": 0.2, "seed": None}, {"top_k": 5, "n": 2})
    {'temperature': 0.2, 'n': 2, 'extra_body': {'top_k': 5}}
    """
    options = {name: value for name, value in settings.items() if value is not None}
    if "stop" in options and not options["stop"]:
        del options["stop"]
    extra: dict[str, Any] = {}
    for name, value in (more or {}).items():
        if name == "extra_body":
            if isinstance(value, Mapping):
                extra.update(value)
            else:  # left for the request builder to refuse by name
                options[name] = value
        elif name in OPTION_NAMES:
            if value is not None:
                options[name] = value
        else:
            extra[name] = value
    if extra_body:
        extra.update(extra_body)
    if extra:
        options["extra_body"] = extra
    return options


def _is_list(value: object) -> bool:
    return isinstance(value, list | tuple)


def _checked_deadline(value: Any) -> Any:
    # Loaded with the clients, not at import: this module is read by the request builder.
    from mixroute.client import DEFAULT
    from mixroute.settings import check_deadline

    if value is DEFAULT:
        return value
    return check_deadline(value, "deadline", InvalidRequestError)
