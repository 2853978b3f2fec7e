"""LlamaIndex ``ChatMessage`` values into the core's typed messages, block by block.

Every rule about the wire (data URLs, the ``file`` part, ``input_audio``, when reasoning
goes back) lives in the core; this module only maps LlamaIndex's blocks and roles onto
the core's types. A block the gateway cannot take raises an error that names it.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from llama_index.core.base.llms.types import (
    AudioBlock,
    CachePoint,
    ChatMessage,
    CitationBlock,
    DocumentBlock,
    ImageBlock,
    MessageRole,
    TextBlock,
    ThinkingBlock,
    ToolCallBlock,
)

from mixroute.errors import InvalidRequestError
from mixroute.messages import (
    AudioPart,
    ContentPart,
    DeveloperMessage,
    FilePart,
    ImagePart,
    SystemMessage,
    TextPart,
    ToolMessage,
    UserMessage,
)
from mixroute.response import AssistantMessage, ToolCall, parse_arguments

__all__ = ["to_core_message", "to_core_messages"]

_DETAILS = ("auto", "low", "high")
_DEFAULT_DOCUMENT_TITLE = "input_document"  # what DocumentBlock sets when given no title
_ASSISTANT_ROLES = (MessageRole.ASSISTANT, MessageRole.CHATBOT, MessageRole.MODEL)
_USER_BLOCKS = "TextBlock, ImageBlock, AudioBlock and DocumentBlock"


def to_core_messages(messages: Sequence[ChatMessage]) -> list[Any]:
    """Convert a conversation; ``messages[i]`` in an error names the message at fault."""
    return [to_core_message(message, index) for index, message in enumerate(messages)]


def to_core_message(message: ChatMessage, index: int = 0) -> Any:
    """One ``ChatMessage`` as the core's message of the same role."""
    role = message.role
    blocks = message.blocks
    where = f"messages[{index}]"
    if role == MessageRole.USER:
        return UserMessage(_user_content(blocks, where), name=_name(message))
    if role == MessageRole.SYSTEM:
        return SystemMessage(_text_content(blocks, where, "system"), name=_name(message))
    if role in _ASSISTANT_ROLES:
        return _assistant(message, where)
    if role == MessageRole.TOOL:
        call_id = message.additional_kwargs.get("tool_call_id")
        if not isinstance(call_id, str):
            raise InvalidRequestError(
                f"{where}: a tool message needs the id of the call it answers in "
                "additional_kwargs['tool_call_id']."
            )
        return ToolMessage(_user_content(blocks, where, joined=True), tool_call_id=call_id)
    if role == MessageRole.DEVELOPER:
        return DeveloperMessage(_text_content(blocks, where, "developer"), name=_name(message))
    if role == MessageRole.FUNCTION:  # the legacy function-result role
        return {
            "role": "function",
            "name": message.additional_kwargs.get("name", ""),
            "content": _text_content(blocks, where, "function"),
        }
    raise InvalidRequestError(f"{where}: Mixroute cannot send a message with role {role!r}.")


def _name(message: ChatMessage) -> str | None:
    name = message.additional_kwargs.get("name")
    return name if isinstance(name, str) else None


def _user_content(
    blocks: Sequence[Any], where: str, *, joined: bool = False
) -> str | list[ContentPart]:
    if len(blocks) == 1 and type(blocks[0]) is TextBlock:  # the common case, kept cheap
        text: str = blocks[0].text
        return text
    parts: list[ContentPart] = []
    for block in blocks:
        if isinstance(block, TextBlock):
            parts.append(TextPart(block.text))
        elif isinstance(block, ImageBlock):
            parts.append(_image(block, where))
        elif isinstance(block, DocumentBlock):
            parts.append(_document(block, where))
        elif isinstance(block, AudioBlock):
            parts.append(_audio(block, where))
        elif not isinstance(block, CachePoint):  # a caching hint, with nothing to send
            raise _unsupported(block, where, _USER_BLOCKS)
    if not parts:
        return ""
    if joined and all(isinstance(part, TextPart) for part in parts):
        # A tool result is a string for the vendors that take no parts in that role.
        return "\n".join(part.text for part in parts if isinstance(part, TextPart))
    if len(parts) == 1 and isinstance(parts[0], TextPart):
        return parts[0].text
    return parts


def _text_content(blocks: Sequence[Any], where: str, role: str) -> str:
    texts = []
    for block in blocks:
        if isinstance(block, TextBlock):
            texts.append(block.text)
        elif not isinstance(block, CachePoint):
            raise _unsupported(block, where, "TextBlock", role)
    return "\n".join(texts)


def _assistant(message: ChatMessage, where: str) -> AssistantMessage:
    texts: list[str] = []
    thoughts: list[str] = []
    calls: list[ToolCall] = []
    for block in message.blocks:
        if isinstance(block, TextBlock):
            texts.append(block.text)
        elif isinstance(block, ThinkingBlock):
            if block.content:
                thoughts.append(block.content)
        elif isinstance(block, ToolCallBlock):
            calls.append(_tool_call(block.tool_call_id, block.tool_name, block.tool_kwargs))
        elif not isinstance(block, CitationBlock | CachePoint):  # annotations, not content
            raise _unsupported(
                block, where, "TextBlock, ThinkingBlock and ToolCallBlock", "assistant"
            )
    if not calls:
        calls = _legacy_tool_calls(message.additional_kwargs.get("tool_calls"), where)
    return AssistantMessage(
        content="\n".join(texts) or None,
        # The core decides from the model's profile whether this goes back on the wire.
        reasoning="".join(thoughts) or None,
        tool_calls=calls,
        name=_name(message),
    )


def _tool_call(call_id: str | None, name: str, arguments: Mapping[str, Any] | str) -> ToolCall:
    if isinstance(arguments, str):
        parsed, _ = parse_arguments(arguments)
        return ToolCall(call_id or "", name, parsed or {}, raw_arguments=arguments)
    return ToolCall(call_id or "", name, dict(arguments))


def _legacy_tool_calls(raw: object, where: str) -> list[ToolCall]:
    """Tool calls kept in ``additional_kwargs['tool_calls']``: wire dicts or SDK objects."""
    if not raw or not isinstance(raw, list):
        return []
    calls = []
    for item in raw:
        if isinstance(item, Mapping):
            function, call_id = item.get("function") or {}, item.get("id")
            name, arguments = function.get("name"), function.get("arguments")
        else:  # an object such as openai's ChatCompletionMessageToolCall
            function, call_id = getattr(item, "function", None), getattr(item, "id", None)
            name = getattr(function, "name", None)
            arguments = getattr(function, "arguments", None)
        if not isinstance(name, str):
            raise InvalidRequestError(
                f"{where}: additional_kwargs['tool_calls'] holds a call without a function name."
            )
        if isinstance(arguments, Mapping):
            arguments = json.dumps(arguments, ensure_ascii=False)
        calls.append(_tool_call(call_id, name, arguments if isinstance(arguments, str) else ""))
    return calls


def _image(block: ImageBlock, where: str) -> ImagePart:
    detail = block.detail if block.detail in _DETAILS else None
    if block.url is not None and block.image is None:
        return ImagePart(str(block.url), detail=detail)  # type: ignore[arg-type]
    data = _base64(block.image) if isinstance(block.image, bytes) else None
    if data is None:  # a path, or a file object
        with _readable(block, where, "ImageBlock(url=..., image=b'...' or path=...)"):
            data = block.resolve_image(as_base64=True).read().decode("ascii")
    mime_type = block.image_mimetype or "image/png"
    return ImagePart.from_data(data, mime_type, detail=detail)


def _document(block: DocumentBlock, where: str) -> FilePart:
    if block.url and block.data is None and block.path is None:
        return FilePart(url=block.url)  # the documented form: {"file": {"url": ...}}
    if isinstance(block.data, bytes):
        data = _base64(block.data)
    else:  # a path, or a file object
        with _readable(block, where, "DocumentBlock(url=..., data=b'...' or path=...)"):
            data = base64.b64encode(block.resolve_document().read()).decode("ascii")
    title = block.title if block.title != _DEFAULT_DOCUMENT_TITLE else None
    return FilePart(
        data=data, mime_type=block.document_mimetype or "application/pdf", filename=title
    )


def _audio(block: AudioBlock, where: str) -> AudioPart:
    if not block.format:
        raise InvalidRequestError(
            f"{where}: an AudioBlock needs a format the model can read, such as "
            "AudioBlock(..., format='wav') or 'mp3'."
        )
    if isinstance(block.audio, bytes):
        data = _base64(block.audio)
    else:
        with _readable(block, where, "AudioBlock(audio=b'...' or path=..., format='wav')"):
            data = block.resolve_audio(as_base64=True).read().decode("ascii")
    return AudioPart(data, format=block.format)


@contextmanager
def _readable(block: object, where: str, example: str) -> Iterator[None]:
    """LlamaIndex's resolvers raise bare errors for a block with nothing to send."""
    try:
        yield
    except (ValueError, OSError) as exc:
        raise InvalidRequestError(
            f"{where}: a {type(block).__name__} with nothing that can be sent ({exc}); "
            f"give it a source, as {example}."
        ) from None


def _base64(data: bytes) -> str:
    # LlamaIndex's blocks keep their bytes base64-encoded once validated.
    return data.decode("ascii")


def _unsupported(
    block: object, where: str, supported: str, role: str = "user"
) -> InvalidRequestError:
    return InvalidRequestError(
        f"{where}: Mixroute cannot send a {type(block).__name__} in a {role} message "
        f"(it sends {supported} there); remove the block or convert it first."
    )
