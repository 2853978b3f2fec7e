"""Both adapters' message converters on arbitrary input: a request body or a typed error.

Whatever a framework lets a user build (odd content blocks, garbage in additional_kwargs,
tool calls with strange arguments), converting it and building the request either works
or raises the core's typed error that says what to fix, never a bare TypeError or
AttributeError from deep inside.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from langchain_core.messages import (
    AIMessage,
    ChatMessage,
    HumanMessage,
    SystemMessage,
    ToolMessage,
)
from llama_index.core.base.llms.types import ChatMessage as LIChatMessage
from llama_index.core.base.llms.types import MessageRole
from pydantic import ValidationError

from langchain_mixroute.convert import to_core_messages as langchain_to_core
from llama_index_mixroute.convert import to_core_messages as llama_index_to_core
from mixroute import MixrouteError, build_request_body

# Derandomized: the same examples on every run, so CI cannot turn red by chance; a change
# to the strategies explores new ground.
EXAMPLES = settings(
    max_examples=150,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)

scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-5, 5), st.floats(allow_nan=False), st.text(max_size=12)
)
json_ish = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)
BLOCK_TYPES = [
    "text",
    "image",
    "image_url",
    "file",
    "audio",
    "input_audio",
    "video",
    "tool_use",
    "reasoning",
    "thinking",
    "text-plain",
    "refusal",
    "nonsense",
]
BLOCK_KEYS = [
    "text",
    "url",
    "base64",
    "data",
    "mime_type",
    "source_type",
    "id",
    "file_id",
    "image_url",
    "file",
    "input_audio",
    "detail",
    "filename",
    "extras",
]
blocks = st.builds(
    lambda kind, fields: {"type": kind, **fields},
    st.sampled_from(BLOCK_TYPES),
    st.dictionaries(st.sampled_from(BLOCK_KEYS), json_ish, max_size=4),
)
content = st.one_of(
    st.text(max_size=20), st.lists(st.one_of(st.text(max_size=8), blocks), max_size=4)
)
tool_calls = st.lists(
    st.fixed_dictionaries(
        {
            "name": st.text(max_size=10),
            "args": st.dictionaries(st.text(max_size=6), json_ish, max_size=3),
            "id": st.one_of(st.none(), st.text(max_size=8)),
        }
    ),
    max_size=2,
)


def _body_or_typed_error(messages: list[Any]) -> None:
    try:
        body = build_request_body("gpt-4o", messages)
    except MixrouteError:
        return
    json.dumps(body)  # what would be sent is JSON


def _langchain_message(kind: str, body: Any, extra: dict[str, Any], calls: list[Any]) -> Any:
    if kind == "human":
        return HumanMessage(content=body, additional_kwargs=extra)
    if kind == "system":
        return SystemMessage(content=body, additional_kwargs=extra)
    if kind == "ai":
        return AIMessage(content=body, additional_kwargs=extra, tool_calls=calls)
    if kind == "tool":
        return ToolMessage(content=body, tool_call_id="call_1", additional_kwargs=extra)
    return ChatMessage(content=body, role=kind, additional_kwargs=extra)


@EXAMPLES
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["human", "system", "ai", "tool", "developer", "critic"]),
            content,
            st.dictionaries(st.text(max_size=8), json_ish, max_size=2),
            tool_calls,
        ),
        min_size=1,
        max_size=3,
    )
)
def test_langchain_converter_gives_a_body_or_a_typed_error(specs: list[Any]) -> None:
    try:
        messages = [_langchain_message(*spec) for spec in specs]
    except (ValidationError, ValueError, TypeError):
        assume(False)  # LangChain itself refused to build it: not our input
        return
    try:
        converted = langchain_to_core(messages)
    except MixrouteError:
        return
    _body_or_typed_error(converted)


li_blocks = st.one_of(
    st.builds(lambda text: {"block_type": "text", "text": text}, st.text(max_size=10)),
    st.builds(
        lambda kind, fields: {"block_type": kind, **fields},
        st.sampled_from(["image", "document", "audio", "thinking", "tool_call", "citation"]),
        st.dictionaries(
            st.sampled_from(
                [
                    "url",
                    "data",
                    "path",
                    "image_mimetype",
                    "document_mimetype",
                    "format",
                    "content",
                    "tool_name",
                    "tool_kwargs",
                    "tool_call_id",
                ]
            ),
            json_ish,
            max_size=3,
        ),
    ),
)


@EXAMPLES
@given(
    st.lists(
        st.tuples(
            st.sampled_from(list(MessageRole)),
            st.lists(li_blocks, max_size=3),
            st.dictionaries(
                st.sampled_from(["tool_calls", "tool_call_id", "name", "reasoning_content", "x"]),
                json_ish,
                max_size=2,
            ),
        ),
        min_size=1,
        max_size=3,
    )
)
def test_llama_index_converter_gives_a_body_or_a_typed_error(specs: list[Any]) -> None:
    try:
        messages = [
            LIChatMessage(role=role, blocks=blocks, additional_kwargs=extra)
            for role, blocks, extra in specs
        ]
    except (ValidationError, ValueError, TypeError):
        assume(False)  # LlamaIndex itself refused to build it: not our input
        return
    try:
        converted = llama_index_to_core(messages)
    except MixrouteError:
        return
    _body_or_typed_error(converted)


@pytest.mark.parametrize(
    "block",
    [{"type": "image"}, {"type": "video", "url": "https://v.example/a.mp4"}, {"type": "nonsense"}],
)
def test_langchain_unsupported_blocks_name_what_to_fix(block: dict[str, Any]) -> None:
    with pytest.raises(MixrouteError, match=r"messages\[0\]"):
        langchain_to_core([HumanMessage(content=[block])])


@pytest.mark.parametrize("block_type", ["image", "document", "audio"])
def test_llama_index_block_without_a_source_names_what_to_fix(block_type: str) -> None:
    extra = {"format": "wav"} if block_type == "audio" else {}
    message = LIChatMessage(role="user", blocks=[{"block_type": block_type, **extra}])
    with pytest.raises(MixrouteError, match=r"messages\[0\].*give it a source"):
        llama_index_to_core([message])
