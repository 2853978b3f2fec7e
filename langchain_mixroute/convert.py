"""LangChain messages in, the core's typed messages out: the request side of the adapter.

Every LangChain message type maps onto one of the core's messages; content given as a
string, as OpenAI-style parts or as LangChain standard content blocks (v1, and the v0
``source_type`` form) becomes the core's parts, which know the wire format. A block the
API cannot carry raises :class:`~mixroute.InvalidRequestError` naming it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from langchain_core.messages import (
    AIMessage,
    BaseMessage,
    ChatMessage,
    FunctionMessage,
    HumanMessage,
    ToolMessage,
)
from langchain_core.messages import SystemMessage as LCSystemMessage

from mixroute import (
    AssistantMessage,
    AudioPart,
    DeveloperMessage,
    FilePart,
    ImagePart,
    InvalidRequestError,
    SystemMessage,
    TextPart,
    ToolCall,
    UserMessage,
)
from mixroute import ToolMessage as CoreToolMessage

__all__ = ["to_core_messages"]

# Parts already in the wire format pass to the core, which checks them.
_WIRE_PARTS = frozenset({"image_url", "input_audio", "refusal"})
# What an assistant turn's content may hold besides text: carried by other fields.
_AI_SKIPPED = frozenset(
    {
        "tool_call",
        "tool_call_chunk",
        "invalid_tool_call",
        "server_tool_call",
        "server_tool_call_chunk",
        "server_tool_result",
        "refusal",
        "non_standard",
    }
)
_SUPPORTED = "text, image, file, audio, text-plain (or OpenAI-style image_url, input_audio, file)"


def to_core_messages(messages: Sequence[BaseMessage]) -> list[Any]:
    """Convert a LangChain conversation into the core's messages, in order."""
    return [_message(message, index) for index, message in enumerate(messages)]


def _message(message: BaseMessage, index: int) -> Any:
    where = f"messages[{index}]"
    if isinstance(message, HumanMessage):
        return UserMessage(_content(message.content, where), name=message.name)
    if isinstance(message, AIMessage):
        return _assistant(message, where)
    if isinstance(message, LCSystemMessage):
        content = _content(message.content, where)
        if message.additional_kwargs.get("__openai_role__") == "developer":
            return DeveloperMessage(content, name=message.name)
        return SystemMessage(content, name=message.name)
    if isinstance(message, ToolMessage):
        return CoreToolMessage(_content(message.content, where), tool_call_id=message.tool_call_id)
    if isinstance(message, ChatMessage):
        wire: dict[str, Any] = {"role": message.role, "content": _content(message.content, where)}
        if message.name:
            wire["name"] = message.name
        return wire
    if isinstance(message, FunctionMessage):
        return {"role": "function", "name": message.name, "content": message.content}
    raise InvalidRequestError(
        f"{where}: a {type(message).__name__} cannot be sent; use a SystemMessage, "
        "HumanMessage, AIMessage, ToolMessage or ChatMessage."
    )


def _content(content: str | list[Any], where: str) -> Any:
    if isinstance(content, str):
        return content
    return [_part(block, f"{where}.content[{i}]") for i, block in enumerate(content)]


def _part(block: object, where: str) -> Any:
    if isinstance(block, str):
        return TextPart(block)
    if not isinstance(block, Mapping):
        raise InvalidRequestError(
            f"{where}: a content block must be a string or a dict, not {type(block).__name__}."
        )
    kind = block.get("type")
    if kind == "text":
        return TextPart(str(block.get("text", "")))
    if kind in _WIRE_PARTS or (kind == "file" and "file" in block):
        return block
    if kind == "image":
        return _image(block, where)
    if kind == "file":
        return _file(block, where)
    if kind == "audio":
        return _audio(block, where)
    if kind == "text-plain":
        if isinstance(block.get("text"), str):
            return TextPart(block["text"])
        return _file(block, where)
    if kind == "non_standard" and isinstance(block.get("value"), Mapping):
        return block["value"]  # the caller's own wire part: the core checks it
    raise InvalidRequestError(
        f"{where}: content block type {kind!r} is not supported by Mixroute chat "
        f"completions; use one of {_SUPPORTED}."
    )


def _source(block: Mapping[str, Any]) -> tuple[str | None, str | None, str | None]:
    """The ``(url, base64, file_id)`` of a v1 block or of a v0 ``source_type`` block."""
    source_type = block.get("source_type")
    if source_type is not None:  # LangChain v0
        data = block.get("data")
        return (
            block.get("url") if source_type == "url" else None,
            data if source_type == "base64" else None,
            block.get("id") if source_type == "id" else None,
        )
    return block.get("url"), block.get("base64"), block.get("file_id")


def _extra(block: Mapping[str, Any], key: str) -> Any:
    extras = block.get("extras") or block.get("metadata")
    if key in block:
        return block[key]
    return extras.get(key) if isinstance(extras, Mapping) else None


def _image(block: Mapping[str, Any], where: str) -> ImagePart:
    url, data, file_id = _source(block)
    detail = _extra(block, "detail")
    if url:
        return ImagePart(url, detail=detail)
    if data:
        return ImagePart.from_data(data, block.get("mime_type") or "image/png", detail=detail)
    raise InvalidRequestError(
        f"{where}: an image block needs a url or base64 data"
        + (" (an image by file_id is not accepted by chat completions)." if file_id else ".")
    )


def _file(block: Mapping[str, Any], where: str) -> FilePart:
    url, data, file_id = _source(block)
    filename = _extra(block, "filename")
    if url:
        return FilePart(url=url, filename=filename)
    if data:
        mime_type = block.get("mime_type") or "application/pdf"
        return FilePart(data=data, mime_type=mime_type, filename=filename)
    if file_id:
        return FilePart(file_id=file_id)
    raise InvalidRequestError(f"{where}: a file block needs a url, base64 data or a file_id.")


def _audio(block: Mapping[str, Any], where: str) -> AudioPart:
    _, data, _ = _source(block)
    if not data:
        raise InvalidRequestError(
            f"{where}: an audio block needs base64 data (chat completions take no audio URL)."
        )
    subtype = str(block.get("mime_type") or "audio/wav").rsplit("/", 1)[-1]
    return AudioPart(data, format={"mpeg": "mp3", "x-wav": "wav"}.get(subtype, subtype))


def _assistant(message: AIMessage, where: str) -> AssistantMessage:
    reasoning = message.additional_kwargs.get("reasoning_content")
    content = message.content
    if isinstance(content, str):
        text: str | None = content
    else:
        called = {call.get("id") for call in message.tool_calls}
        texts, thoughts = _assistant_blocks(content, where, called)
        text = "".join(texts)
        if reasoning is None and thoughts:
            reasoning = "".join(thoughts)
    calls = [
        ToolCall(id=call.get("id") or "", name=call["name"], arguments=call["args"])
        for call in message.tool_calls
    ]
    calls.extend(  # sent back as the model wrote them, so the next turn can answer them
        ToolCall(id=bad.get("id") or "", name=name, arguments={}, raw_arguments=bad.get("args"))
        for bad in message.invalid_tool_calls
        if (name := bad.get("name"))
    )
    if calls and not text:
        text = None
    return AssistantMessage(
        content=text,
        reasoning=reasoning if isinstance(reasoning, str) else None,
        tool_calls=calls,
        name=message.name,
    )


def _assistant_blocks(
    content: list[Any], where: str, called: set[str | None]
) -> tuple[list[str], list[str]]:
    texts: list[str] = []
    thoughts: list[str] = []
    for i, block in enumerate(content):
        if isinstance(block, str):
            texts.append(block)
            continue
        kind = block.get("type") if isinstance(block, Mapping) else None
        if kind == "text":
            texts.append(str(block.get("text", "")))
        elif kind == "reasoning":
            thoughts.append(str(block.get("reasoning", "")))
        elif kind == "tool_use" and isinstance(block.get("id"), str) and block["id"] in called:
            continue  # Anthropic's copy of a call that tool_calls carries (ChatAnthropic history)
        elif kind not in _AI_SKIPPED:
            raise InvalidRequestError(
                f"{where}.content[{i}]: an assistant turn cannot carry a {kind!r} block "
                "back to Mixroute; keep text, reasoning and tool calls."
            )
    return texts, thoughts
