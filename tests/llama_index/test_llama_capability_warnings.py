"""LlamaIndex's ``Mixroute`` and the capability warnings (support/capability_kinds.py).

LlamaIndex's way in: ``chat_with_tools``, ``enable_thinking`` as a call keyword, and
``ImageBlock``, ``DocumentBlock`` and ``AudioBlock`` in a ``ChatMessage``. The core warns
once per model and kind its profile refuses, sends the request as given, and says nothing
once ``profile_overrides`` corrects the profile.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import pytest
from llama_index.core.base.llms.types import (
    AudioBlock,
    ChatMessage,
    ContentBlock,
    DocumentBlock,
    ImageBlock,
    TextBlock,
)
from llama_index.core.tools import FunctionTool
from support import capability_kinds as kinds
from support.local_server import LocalServer

from llama_index_mixroute import Mixroute

KEY = "sk-capability-test-0123456789abcdef"


def get_weather(city: str) -> str:
    """Get the weather for a city."""
    return f"Sunny in {city}"


WEATHER = FunctionTool.from_defaults(fn=get_weather)


def with_block(block: ContentBlock) -> list[ChatMessage]:
    return [ChatMessage(role="user", blocks=[TextBlock(text="What is this?"), block])]


# Per kind: a call of the LLM that carries it.
CALLS: dict[str, Callable[[Mixroute], object]] = {
    kinds.TOOLS.field: lambda llm: llm.chat_with_tools([WEATHER], user_msg="Weather in Paris?"),
    kinds.THINKING.field: lambda llm: llm.complete("Is 89 prime?", enable_thinking=True),
    kinds.IMAGE.field: lambda llm: llm.chat(
        with_block(ImageBlock(url="https://example.com/a.png"))
    ),
    kinds.PDF.field: lambda llm: llm.chat(
        with_block(DocumentBlock(url="https://example.com/a.pdf"))
    ),
    kinds.AUDIO.field: lambda llm: llm.chat(
        with_block(AudioBlock(audio=b"RIFF0000", format="wav"))
    ),
}


def llm_on(server: LocalServer, model: str, **settings: Any) -> Mixroute:
    return Mixroute(model, api_key=KEY, api_base=server.base_url, max_retries=0, **settings)


@pytest.mark.parametrize("kind", kinds.KINDS, ids=str)
def test_a_kind_warns_once_where_refused_and_is_sent_as_given(
    plausible_server: LocalServer, kind: kinds.Kind
) -> None:
    kinds.assert_warned_where_refused(
        plausible_server, kind, functools.partial(llm_on, plausible_server), CALLS[kind.field]
    )
