"""LlamaIndex ``ChatMessage`` values into the core's typed messages, block by block.

Every rule about the wire (data URLs, the ``file`` part, ``input_audio``, when reasoning
goes back) lives in the core; this module only maps LlamaIndex's blocks and roles onto
the core's types. A block the gateway cannot take raises an error that names it.

OpenAI-style dicts (``{"role": "user", "content": "hi"}``), which the core and LangChain
take, are accepted at the LLM's entry points too: :func:`to_chat_messages` checks them
with the core's rules and turns them into ``ChatMessage`` values first, so LlamaIndex's
callbacks, memory and instrumentation see the type they expect.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from llama_index.core.base.llms.types import (
    AudioBlock,
    CachePoint,
    ChatMessage,
    CitationBlock,
    ContentBlock,
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
    message_to_wire,
)
from mixroute.response import AssistantMessage, ToolCall, parse_arguments

__all__ = [
    "legacy_tool_calls",
    "to_chat_message",
    "to_chat_messages",
    "to_core_message",
    "to_core_messages",
]

_DETAILS = ("auto", "low", "high")
_DEFAULT_DOCUMENT_TITLE = "input_document"  # what DocumentBlock sets when given no title
_ASSISTANT_ROLES = (MessageRole.ASSISTANT, MessageRole.CHATBOT, MessageRole.MODEL)
_USER = MessageRole.USER
_USER_BLOCKS = "TextBlock, ImageBlock, AudioBlock and DocumentBlock"


def to_chat_messages(messages: Iterable[ChatMessage | Mapping[str, Any]]) -> Sequence[ChatMessage]:
    """The conversation as ``ChatMessage`` values; OpenAI-style dicts are converted.

    >>> to_chat_messages([{"role": "user", "content": "hi"}])[0].content
    'hi'

    A conversation of ``ChatMessage`` values is returned as it is. A dict that is not a
    message raises :class:`~mixroute.InvalidRequestError` naming what to fix.
    """
    if type(messages) is list and all(type(message) is ChatMessage for message in messages):
        return messages  # the usual call, checked without the ABC checks below
    if isinstance(messages, str | bytes | Mapping | ChatMessage):
        raise InvalidRequestError(
            "messages must be a list of ChatMessage values or OpenAI-style dicts, not one "
            f"{type(messages).__name__}; wrap a single message in a list, or use "
            "complete(...) for one prompt."
        )
    if not isinstance(messages, Sequence):
        messages = list(messages)
    if all(isinstance(message, ChatMessage) for message in messages):
        return messages  # type: ignore[return-value]  # every item checked just above
    return [to_chat_message(message, index) for index, message in enumerate(messages)]


def to_chat_message(message: ChatMessage | Mapping[str, Any], index: int = 0) -> ChatMessage:
    """One message as a ``ChatMessage``: an OpenAI-style dict converted, checked by the core."""
    if isinstance(message, ChatMessage):
        return message
    where = f"messages[{index}]"
    if not isinstance(message, Mapping):
        raise InvalidRequestError(
            f"{where}: expected a ChatMessage or an OpenAI-style dict such as "
            f'{{"role": "user", "content": "..."}}, not {type(message).__name__}.'
        )
    wire = message_to_wire(message, index, send_reasoning=True)  # the core's checks
    blocks = _wire_blocks(wire.get("content"), where)
    reasoning = wire.get("reasoning_content")
    if wire["role"] == "assistant" and isinstance(reasoning, str) and reasoning:
        blocks.insert(0, ThinkingBlock(content=reasoning))
    # name, tool_call_id and tool_calls where LlamaIndex's OpenAI integration keeps them.
    extra = {k: v for k, v in wire.items() if k not in ("role", "content", "reasoning_content")}
    return ChatMessage(role=MessageRole(wire["role"]), blocks=blocks, additional_kwargs=extra)


def _wire_blocks(content: str | list[dict[str, Any]] | None, where: str) -> list[ContentBlock]:
    if content is None:
        return []
    if isinstance(content, str):
        return [TextBlock(text=content)]
    return [_wire_block(part, f"{where}.content[{i}]") for i, part in enumerate(content)]


def _wire_block(part: dict[str, Any], where: str) -> ContentBlock:
    """One wire content part (checked by the core already) as a LlamaIndex block."""
    kind = part["type"]
    if kind == "text":
        return TextBlock(text=part["text"])
    if kind == "refusal":
        return TextBlock(text=part["refusal"])
    if kind == "image_url":
        image = part["image_url"]
        if isinstance(image, Mapping):
            return ImageBlock(url=image["url"], detail=image.get("detail"))
        return ImageBlock(url=image)
    if kind == "input_audio":
        audio = part["input_audio"]
        return AudioBlock(audio=str(audio["data"]).encode("ascii"), format=audio.get("format"))
    file = part["file"]
    if not isinstance(file, Mapping):
        raise InvalidRequestError(f"{where}: a file part's 'file' must be a dict.")
    title = {"title": file["filename"]} if isinstance(file.get("filename"), str) else {}
    if isinstance(file.get("url"), str):
        return DocumentBlock(url=file["url"], **title)
    data = file.get("file_data")
    if not isinstance(data, str):
        raise InvalidRequestError(
            f"{where}: a file part by file_id cannot be sent from LlamaIndex; give its url or "
            "file_data, or a ChatMessage with DocumentBlock(data=..., path=... or url=...)."
        )
    mime_type, _, encoded = data.removeprefix("data:").rpartition(";base64,")
    return DocumentBlock(
        data=encoded.encode("ascii"), document_mimetype=mime_type or "application/pdf", **title
    )


def to_core_messages(messages: Sequence[ChatMessage]) -> list[Any]:
    """Convert a conversation; ``messages[i]`` in an error names the message at fault."""
    return [to_core_message(message, index) for index, message in enumerate(messages)]


def to_core_message(message: ChatMessage, index: int = 0) -> Any:
    """One ``ChatMessage`` as the core's message of the same role."""
    role = message.role
    blocks = message.blocks
    if role is _USER and len(blocks) == 1 and type(blocks[0]) is TextBlock:
        return UserMessage(blocks[0].text, name=_name(message))  # the usual turn, kept cheap
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
        return ToolMessage(_user_content(blocks, where), tool_call_id=call_id)
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


def _user_content(blocks: Sequence[Any], where: str) -> str | list[ContentPart]:
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
    if len(parts) == 1 and isinstance(parts[0], TextPart):
        return parts[0].text
    return parts


def _text_content(blocks: Sequence[Any], where: str, role: str) -> list[ContentPart]:
    """The text blocks as parts: the core decides how the role sends several of them."""
    parts: list[ContentPart] = []
    for block in blocks:
        if isinstance(block, TextBlock):
            parts.append(TextPart(block.text))
        elif not isinstance(block, CachePoint):
            raise _unsupported(block, where, "TextBlock", role)
    return parts


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
        calls = _legacy_tool_calls(message, where)
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


def legacy_tool_calls(message: ChatMessage) -> list[tuple[Any, Any, Any]]:
    """``(id, name, arguments)`` of each call in ``message.additional_kwargs['tool_calls']``.

    That list is where llama-index-llms-openai (and this adapter's answers) keep the calls:
    wire-format dicts, or SDK objects such as openai's ``ChatCompletionMessageToolCall``.
    A part that is missing is ``None``; the arguments are a JSON string or a dict.
    """
    raw = message.additional_kwargs.get("tool_calls")
    found = []
    for item in raw if isinstance(raw, list) else ():
        if isinstance(item, Mapping):
            function = item.get("function") or {}
            found.append((item.get("id"), function.get("name"), function.get("arguments")))
        else:  # an object such as openai's ChatCompletionMessageToolCall
            function = getattr(item, "function", None)
            name, arguments = getattr(function, "name", None), getattr(function, "arguments", None)
            found.append((getattr(item, "id", None), name, arguments))
    return found


def _legacy_tool_calls(message: ChatMessage, where: str) -> list[ToolCall]:
    calls = []
    for call_id, name, arguments in legacy_tool_calls(message):
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
