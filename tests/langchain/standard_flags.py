"""What ChatMixroute as ``gpt-4o`` claims to langchain-tests' standard suites, in one place.

Shared by the unit suite (``test_standard_unit.py``) and the integration suite replayed
from cassettes (``test_chat_model_integration.py``). Every flag is read from the core's
profile of the model, or says why it is fixed, so both suites claim exactly what the
adapter does for it.
"""

from __future__ import annotations

from typing import Literal

from langchain_mixroute import ChatMixroute
from mixroute import get_profile

MODEL = "gpt-4o"
PROFILE = get_profile(MODEL)

UsageDetail = Literal[
    "audio_input", "audio_output", "reasoning_output", "cache_read_input", "cache_creation_input"
]


class Gpt4oFlags:
    """The feature flags of the standard suites for ChatMixroute(model="gpt-4o")."""

    @property
    def chat_model_class(self) -> type[ChatMixroute]:
        return ChatMixroute

    @property
    def has_tool_calling(self) -> bool:
        return PROFILE.tool_calling

    @property
    def has_tool_choice(self) -> bool:
        return PROFILE.tool_calling and PROFILE.tool_choice

    @property
    def has_structured_output(self) -> bool:
        return True

    @property
    def supports_json_mode(self) -> bool:
        return PROFILE.json_mode

    @property
    def supports_image_inputs(self) -> bool:
        return PROFILE.image_inputs

    @property
    def supports_image_urls(self) -> bool:
        return PROFILE.image_inputs

    @property
    def supports_pdf_inputs(self) -> bool:
        return PROFILE.pdf_inputs

    @property
    def supports_audio_inputs(self) -> bool:
        return PROFILE.audio_inputs

    @property
    def supports_video_inputs(self) -> bool:
        return False  # chat completions have no video part

    @property
    def returns_usage_metadata(self) -> bool:
        return True

    @property
    def supports_anthropic_inputs(self) -> bool:
        return False  # the gateway speaks the OpenAI format only

    @property
    def supports_image_tool_message(self) -> bool:
        return False  # a tool message carries text parts only in chat completions

    @property
    def supports_pdf_tool_message(self) -> bool:
        return False

    @property
    def supported_usage_metadata_details(
        self,
    ) -> dict[Literal["invoke", "stream"], list[UsageDetail]]:
        details: list[UsageDetail] = ["cache_read_input"]  # prompt_tokens_details.cached_tokens
        if PROFILE.reasoning_output:
            details.append("reasoning_output")
        return {"invoke": details, "stream": details}

    @property
    def supports_model_override(self) -> bool:
        return True

    @property
    def model_override_value(self) -> str:
        return "gpt-4o-mini"
