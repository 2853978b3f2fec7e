"""Warnings, once per model and kind, about what a request sends that its profile refuses.

Profiles can lag behind the vendors, so the request builder refuses nothing on their word:
tools to a model without tool calling (with the ``tool_choice``, if any: one warning),
``enable_thinking=True`` to a model without the switch (``False`` warns nothing), and
image, file (PDF) or audio parts to a model without those inputs are sent as given,
with one :class:`~mixroute.MixrouteWarning` per model and kind in a process. The warning
says what was sent, to which model, what the profile says, and how to correct it
(``profile_overrides={"image_inputs": True}``). The same record serves the warnings of
:mod:`mixroute.tool_choice`; :func:`forget_warnings` clears it.
"""

from __future__ import annotations

import sys
import threading
import warnings
from collections.abc import Iterable, Mapping
from types import FrameType
from typing import Any

from mixroute.errors import MixrouteWarning
from mixroute.profiles import ModelProfile

__all__ = ["forget_warnings", "warn_once", "warn_unaccepted", "warn_unaccepted_parts"]

_warned: set[tuple[str, str]] = set()
_warned_lock = threading.Lock()


def warn_once(model: str, kind: str, message: str) -> None:
    """Warn ``message`` unless this process warned about ``model`` and ``kind`` already.

    The warning is attributed to the first caller outside the ``mixroute`` package (your
    code, or a framework adapter).
    """
    if (model, kind) in _warned:  # the common case after the first: no lock taken
        return
    with _warned_lock:
        if (model, kind) in _warned:
            return
        _warned.add((model, kind))
    warnings.warn(message, MixrouteWarning, stacklevel=_first_level_outside())


def _first_level_outside() -> int:
    # Level 1 is warn_once; count up while the frames belong to this package.
    frame: FrameType | None = sys._getframe(2)
    level = 2
    while frame is not None and frame.f_globals.get("__name__", "").startswith("mixroute."):
        frame = frame.f_back
        level += 1
    return level


def forget_warnings() -> None:
    """Forget which (model, kind) pairs were warned about, so they warn again (for tests)."""
    with _warned_lock:
        _warned.clear()


# What a false profile field says of the model, in the warning.
_SAYS = {
    "tool_calling": "it calls no tools",
    "enable_thinking": "it has no thinking switch",
    "image_inputs": "it takes no images",
    "pdf_inputs": "it takes no PDF files",
    "audio_inputs": "it takes no audio",
}


def warn_unaccepted(model: str, field: str, sent: str) -> None:
    """Warn once that ``sent`` went to ``model`` although its profile's ``field`` is false."""
    warn_once(
        model,
        field,
        f"Model {model!r} was sent {sent}, but its profile says {_SAYS[field]} "
        f"({field}=False). The request is sent as given; the vendor may refuse it or "
        "ignore it. If the model does take it, correct the profile: "
        f'profile_overrides={{"{field}": True}} (ChatMixroute, Mixroute), or '
        f'profile=get_profile({model!r}, {{"{field}": True}}) for the core client.',
    )


# Wire part type -> the profile field that allows it, and how the warning names it.
_PARTS = (
    ("image_url", "image_inputs", "an image part (image_url)"),
    ("file", "pdf_inputs", "a file part (PDF)"),
    ("input_audio", "audio_inputs", "an audio part (input_audio)"),
)


def warn_unaccepted_parts(
    model: str, profile: ModelProfile, messages: Iterable[Mapping[str, Any]]
) -> None:
    """Warn once per kind for the parts ``profile`` refuses in wire ``messages``' contents."""
    refused: dict[object, tuple[str, str]] = {
        kind: (field, sent) for kind, field, sent in _PARTS if not getattr(profile, field)
    }
    if not refused:
        return
    for message in messages:
        content = message.get("content")
        if isinstance(content, list):  # a string content has no parts
            for part in content:
                found = refused.get(part.get("type"))
                if found is not None:
                    warn_unaccepted(model, *found)
