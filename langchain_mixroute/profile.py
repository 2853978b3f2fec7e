"""The core's :class:`~mixroute.ModelProfile` in LangChain's vocabulary (``ChatMixroute.profile``).

LangChain reads a chat model's capabilities from a ``ModelProfile`` dict with its own keys
(``image_url_inputs``, ``temperature``, ...); the core keeps its table in its own terms, and
this module is the one place that translates.
"""

from __future__ import annotations

from typing import Any

from mixroute import ModelProfile

__all__ = ["to_langchain_profile"]


def to_langchain_profile(profile: ModelProfile) -> dict[str, Any]:
    """The profile as a langchain-core ``ModelProfile`` dict; unknown (``None``) values omitted.

    >>> from mixroute import get_profile
    >>> to_langchain_profile(get_profile("gpt-4o"))["max_input_tokens"]
    128000
    """
    levels = profile.reasoning_effort_levels
    described: dict[str, Any] = {
        "max_input_tokens": profile.max_input_tokens,
        "max_output_tokens": profile.max_output_tokens,
        "text_inputs": True,
        "text_outputs": True,
        "image_inputs": profile.image_inputs,
        "image_url_inputs": profile.image_inputs,
        "pdf_inputs": profile.pdf_inputs,
        "audio_inputs": profile.audio_inputs,
        "reasoning_output": profile.reasoning_output,
        "reasoning_effort_levels": None if levels is None else list(levels),
        "tool_calling": profile.tool_calling,
        "tool_choice": profile.tool_calling and profile.tool_choice,
        "structured_output": profile.structured_output,
        "temperature": profile.supports_temperature,
    }
    return {key: value for key, value in described.items() if value is not None}
