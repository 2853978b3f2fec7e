"""Which ``tool_choice`` a model is sent: the form asked, or the strongest form it takes.

A forcing choice (``"required"``, ``"any"``, ``True``, a tool's name or the named dict)
that the model's profile cannot take is, by default (``tool_choice_fallback="degrade"``),
sent as :meth:`~mixroute.ModelProfile.strongest_tool_choice` with one
:class:`~mixroute.MixrouteWarning` per model and form in a process (the record of
:mod:`mixroute.capability_warnings`, cleared by :func:`forget_warnings`); the decision says
which tools the answer must then call, so that the client can ask once more when it calls
none. ``tool_choice_fallback="refuse"`` refuses such a choice before anything is sent.

>>> from mixroute.profiles import get_profile
>>> from mixroute.tools import function_tool
>>> decide_tool_choice(
...     "get_weather", [function_tool("get_weather")], get_profile("gpt-4o"), model="gpt-4o"
... ).wire
{'type': 'function', 'function': {'name': 'get_weather'}}
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, get_args

from mixroute.capability_warnings import forget_warnings, warn_once
from mixroute.errors import ConfigurationError, InvalidRequestError
from mixroute.profiles import ModelProfile
from mixroute.tools import function_tool_names, normalize_tool_choice

__all__ = [
    "FALLBACKS",
    "ToolChoiceDecision",
    "ToolChoiceFallback",
    "check_fallback",
    "decide_tool_choice",
    "forget_warnings",
]

ToolChoiceFallback = Literal["degrade", "refuse"]
"""What happens to a forcing ``tool_choice`` the model cannot take."""

FALLBACKS: tuple[str, ...] = get_args(ToolChoiceFallback)

_FORCING = frozenset({"required", "function"})


@dataclass(frozen=True, slots=True)
class ToolChoiceDecision:
    """The ``tool_choice`` to send, and what the answer must do when it was weakened.

    Attributes:
        wire: the request's ``tool_choice`` value; ``None`` sends no field.
        must_call: the tools one of which the answer must call, when a forcing choice was
            sent in a form that does not force; empty otherwise.

    """

    wire: str | dict[str, Any] | None = None
    must_call: tuple[str, ...] = ()


NO_CHOICE = ToolChoiceDecision()


def check_fallback(
    value: object,
    *,
    error: type[InvalidRequestError] | type[ConfigurationError] = InvalidRequestError,
) -> ToolChoiceFallback:
    """``value`` as a :data:`ToolChoiceFallback` (``None`` is ``"degrade"``), else ``error``."""
    if value is None or value == "degrade":
        return "degrade"
    if value == "refuse":
        return "refuse"
    raise error(f"tool_choice_fallback must be 'degrade' or 'refuse', got {value!r}.")


def decide_tool_choice(
    choice: object,
    tools: Sequence[Mapping[str, Any]] | None,
    profile: ModelProfile,
    *,
    model: str,
    fallback: ToolChoiceFallback = "degrade",
    warn: bool = True,
) -> ToolChoiceDecision:
    """Decide the ``tool_choice`` for ``tools`` (already normalized) on this model.

    A form the model takes is sent as asked. A forcing form it cannot take is, with
    ``fallback="degrade"``, sent as the strongest form it takes (a warning once per model
    and form, unless ``warn`` is false); ``"auto"`` on a model that takes no
    ``tool_choice`` is left out, since that is what the model does without one. Anything
    else the model cannot take raises :class:`~mixroute.InvalidRequestError`.
    """
    canonical = normalize_tool_choice(choice, tools)
    if canonical is None:
        return NO_CHOICE
    accepted = profile.accepted_tool_choices
    form = "function" if isinstance(canonical, dict) else canonical
    if form in accepted:
        return ToolChoiceDecision(canonical)
    if fallback == "degrade":
        if form == "auto":
            return NO_CHOICE
        if form in _FORCING:
            return _degrade(canonical, form, tools, profile, model, warn)
    # Refused, with the message that names the model and the forms it takes.
    normalize_tool_choice(canonical, tools, allowed_forms=accepted, model=model)
    raise AssertionError("unreachable: the form was not accepted")  # pragma: no cover


def _degrade(
    canonical: str | dict[str, Any],
    form: str,
    tools: Sequence[Mapping[str, Any]] | None,
    profile: ModelProfile,
    model: str,
    warn: bool,
) -> ToolChoiceDecision:
    name = canonical["function"]["name"] if isinstance(canonical, dict) else None
    strongest = profile.strongest_tool_choice(name)
    if warn:
        _warn_degraded(model, form, strongest)
    if strongest == "required" or isinstance(strongest, dict):
        return ToolChoiceDecision(strongest)  # still forces a call, if not this very tool
    must_call = (name,) if name is not None else tuple(function_tool_names(tools))
    return ToolChoiceDecision(strongest, must_call)


def _warn_degraded(model: str, form: str, sent: object) -> None:
    instead = "no tool_choice" if sent is None else f"tool_choice {sent!r}"
    asked = "a tool_choice naming a tool" if form == "function" else f"tool_choice {form!r}"
    warn_once(
        model,
        form,
        f"Model {model!r} cannot take {asked}; sending {instead} instead. "
        "If it answers without a tool call it is asked once more, then "
        "ToolCallNotMadeError is raised. Pass tool_choice_fallback='refuse' to refuse "
        "such a choice before sending.",
    )
