"""``ChatMixroute`` and the capability warnings (kinds in support/capability_kinds.py).

LangChain's way in: tools through ``bind_tools``, ``enable_thinking`` per call or as a
setting, images, files and audio as standard content blocks. Each kind the profile
refuses warns once per model and is sent as given; ``profile_overrides`` quiets it.
"""

from __future__ import annotations

import base64
import functools
import warnings
from collections.abc import Callable
from typing import Any

import pytest
from langchain_core.messages import HumanMessage
from support import capability_kinds as kinds
from support.capability_kinds import fresh_warnings  # noqa: F401  (a fixture)
from support.local_server import LocalServer

from langchain_mixroute import ChatMixroute
from mixroute import MixrouteWarning

KEY = "sk-capability-test-0123456789abcdef"
WAV = base64.b64encode(b"RIFF0000WAVE").decode()


def get_weather(city: str) -> str:
    """Get the weather for a city."""
    return f"Sunny in {city}"


def with_block(block: dict[str, Any]) -> list[HumanMessage]:
    return [HumanMessage(content=[{"type": "text", "text": "What is this?"}, block])]


# Per kind: a call of the chat model that carries it.
CALLS: dict[str, Callable[[ChatMixroute], object]] = {
    kinds.TOOLS.field: lambda llm: llm.bind_tools([get_weather]).invoke("Weather in Paris?"),
    kinds.THINKING.field: lambda llm: llm.invoke("Is 89 prime?", enable_thinking=True),
    kinds.IMAGE.field: lambda llm: llm.invoke(
        with_block({"type": "image", "url": "https://example.com/a.png"})
    ),
    kinds.PDF.field: lambda llm: llm.invoke(
        with_block({"type": "file", "url": "https://example.com/a.pdf"})
    ),
    kinds.AUDIO.field: lambda llm: llm.invoke(
        with_block({"type": "audio", "base64": WAV, "mime_type": "audio/wav"})
    ),
}


def chat_model(server: LocalServer, model: str, **settings: Any) -> ChatMixroute:
    return ChatMixroute(
        model=model, api_key=KEY, base_url=server.base_url, max_retries=0, **settings
    )


@pytest.mark.parametrize("kind", kinds.KINDS, ids=str)
def test_a_kind_warns_once_where_refused_and_is_sent_as_given(
    plausible_server: LocalServer, kind: kinds.Kind
) -> None:
    kinds.assert_warned_where_refused(
        plausible_server, kind, functools.partial(chat_model, plausible_server), CALLS[kind.field]
    )


@pytest.mark.usefixtures("fresh_warnings")
def test_a_thinking_setting_warns_once_when_the_model_is_made(
    plausible_server: LocalServer,
) -> None:
    with pytest.warns(MixrouteWarning, match="'gpt-4o' was sent enable_thinking=True"):
        llm = chat_model(plausible_server, "gpt-4o", enable_thinking=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error", MixrouteWarning)
        llm.invoke("Is 89 prime?")
    assert kinds.bodies(plausible_server)[0]["enable_thinking"] is True
