"""The shared conformance table (``tests/conformance_cases.py``) driven through ``Mixroute``."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from conformance_cases import CASES, ConformanceCase
from llama_index.core.base.llms.types import (
    AudioBlock,
    ChatMessage,
    DocumentBlock,
    ImageBlock,
    TextBlock,
    ThinkingBlock,
    ToolCallBlock,
)
from scripted_gateway import ScriptedGateway, completion, sse


def to_block(part: dict[str, Any]) -> Any:
    kind = part["type"]
    if kind == "text":
        return TextBlock(text=part["text"])
    if kind == "image":
        if "url" in part:
            return ImageBlock(url=part["url"])
        return ImageBlock(image=base64.b64decode(part["data"]), image_mimetype=part["mime_type"])
    if kind == "file":
        if "url" in part:
            return DocumentBlock(url=part["url"])
        return DocumentBlock(
            data=base64.b64decode(part["data"]),
            document_mimetype=part["mime_type"],
            title=part["filename"],
        )
    if kind == "audio":
        return AudioBlock(audio=base64.b64decode(part["data"]), format=part["format"])
    raise AssertionError(f"unknown neutral part {kind!r}")


def to_message(neutral: dict[str, Any]) -> ChatMessage:
    content = neutral["content"]
    blocks: list[Any] = []
    if neutral.get("reasoning"):
        blocks.append(ThinkingBlock(content=neutral["reasoning"]))
    if isinstance(content, str):
        if content:
            blocks.append(TextBlock(text=content))
    else:
        blocks.extend(to_block(part) for part in content)
    for call in neutral.get("tool_calls", ()):
        blocks.append(
            ToolCallBlock(
                tool_call_id=call["id"], tool_name=call["name"], tool_kwargs=call["arguments"]
            )
        )
    extra = {"tool_call_id": neutral["tool_call_id"]} if "tool_call_id" in neutral else {}
    return ChatMessage(role=neutral["role"], blocks=blocks, additional_kwargs=extra)


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_conformance(case: ConformanceCase) -> None:
    gateway = ScriptedGateway(sse({"content": "ok"}) if case.stream else completion("ok"))
    llm = gateway.llm(case.model, **case.settings)
    messages = [to_message(message) for message in case.messages]
    if case.tools:
        assert case.tool_choice is not None
        assert case.parallel_tool_calls is not None
        call = llm.stream_chat_with_tools if case.stream else llm.chat_with_tools
        result = call(
            case.tools,
            chat_history=messages,
            tool_choice=case.tool_choice,
            allow_parallel_tool_calls=case.parallel_tool_calls,
            **case.call_options,
        )
    elif case.stream:
        result = llm.stream_chat(messages, **case.call_options)
    else:
        result = llm.chat(messages, **case.call_options)
    if case.stream:
        list(result)
    assert gateway.bodies == [case.expected]
