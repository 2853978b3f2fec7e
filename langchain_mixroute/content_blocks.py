"""Standard content blocks for Mixroute messages: the translator for provider ``mixroute``.

LangChain derives ``message.content_blocks`` through the translator registered for the
``model_provider`` in ``response_metadata``. Ours gives, in order: the reasoning (from
``additional_kwargs["reasoning_content"]``) as a ``reasoning`` block, the text with any
search citations as ``citation`` annotations, the tool calls (``tool_call_chunk`` blocks
on a chunk until it is the last one), and a refusal as a ``refusal`` block, which lets
LangChain's structured-output parsers raise ``ModelRefusalError``. Importing this module
registers it; ``output_version="v1"`` stores the same blocks in ``content``.
"""

from __future__ import annotations

from typing import Any, cast

from langchain_core.messages import AIMessage, AIMessageChunk
from langchain_core.messages import content as types
from langchain_core.messages.block_translators import register_translator

from langchain_mixroute.results import PROVIDER

__all__ = ["translate_content", "translate_content_chunk"]


def translate_content(message: AIMessage) -> list[types.ContentBlock]:
    """Derive standard content blocks from a Mixroute ``AIMessage``."""
    blocks = _text_side(message)
    for call in message.tool_calls:
        blocks.append(
            {"type": "tool_call", "name": call["name"], "args": call["args"], "id": call.get("id")}
        )
    for bad in message.invalid_tool_calls:
        blocks.append(
            {
                "type": "invalid_tool_call",
                "name": bad.get("name"),
                "args": bad.get("args"),
                "id": bad.get("id"),
                "error": bad.get("error"),
            }
        )
    return _with_refusal(message, blocks)


def translate_content_chunk(message: AIMessageChunk) -> list[types.ContentBlock]:
    """Derive standard content blocks from a Mixroute ``AIMessageChunk``."""
    if message.chunk_position == "last":
        return translate_content(message)
    blocks = _text_side(message)
    for fragment in message.tool_call_chunks:
        block: types.ToolCallChunk = {
            "type": "tool_call_chunk",
            "name": fragment.get("name"),
            "args": fragment.get("args"),
            "id": fragment.get("id"),
        }
        index = fragment.get("index")
        if index is not None:
            # A string index keeps a call's fragments apart from the text block's
            # integer index when v1 content lists are merged.
            block["index"] = f"lc_tc_{index}"
        blocks.append(block)
    return _with_refusal(message, blocks)


def _text_side(message: AIMessage) -> list[types.ContentBlock]:
    content = message.content
    if not isinstance(content, str):
        # Content already in blocks was not written by this adapter: let LangChain's
        # best-effort parsing read it.
        raise NotImplementedError
    blocks: list[types.ContentBlock] = []
    reasoning = message.additional_kwargs.get("reasoning_content")
    if isinstance(reasoning, str) and reasoning:
        blocks.append({"type": "reasoning", "reasoning": reasoning})
    citations = message.response_metadata.get("citations")
    if content or citations:
        text: types.TextContentBlock = {"type": "text", "text": content}
        if citations:
            text["annotations"] = [_citation(c) for c in citations]
        blocks.append(text)
    return blocks


def _citation(raw: dict[str, Any]) -> types.Citation:
    citation: dict[str, Any] = {"type": "citation", "url": raw["url"]}
    for key in ("title", "start_index", "end_index"):
        if key in raw:
            citation[key] = raw[key]
    if "snippet" in raw:
        citation["cited_text"] = raw["snippet"]
    if "source" in raw:
        citation["extras"] = {"source": raw["source"]}
    return cast("types.Citation", citation)


def _with_refusal(message: AIMessage, blocks: list[types.ContentBlock]) -> list[types.ContentBlock]:
    refusal = message.additional_kwargs.get("refusal")
    if isinstance(refusal, str) and refusal:
        blocks.append({"type": "refusal", "refusal": refusal})
    return blocks


register_translator(PROVIDER, translate_content, translate_content_chunk)
