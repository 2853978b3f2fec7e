"""Typed chat messages and content parts, and their translation into wire dicts.

Both framework adapters convert their own message types into these, so every rule about
the wire format (data URLs, the ``file`` part, ``input_audio``, tool results) lives here
once. Plain dicts in the wire format are accepted too and checked the same way.

Several text parts in one message: a user message sends them as a list of parts; a
system, developer, tool or function message sends them as one string, joined with a
newline. The API takes content as a string or a list of parts, but its only list is a
user message's (text beside a file); every other role is shown as a string, and vendors
behind the gateway that take no parts outside user messages read that form. A part with
more than ``type`` and ``text`` (a ``cache_control`` mark, say), or one that is not text,
keeps the list as given. An assistant turn's text is one string already
(:class:`~mixroute.AssistantMessage`); an assistant dict's parts are sent as given.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, TypeAlias

from mixroute.errors import InvalidRequestError

__all__ = [
    "AudioPart",
    "Content",
    "ContentPart",
    "DeveloperMessage",
    "FilePart",
    "ImagePart",
    "Message",
    "SystemMessage",
    "TextPart",
    "ToolMessage",
    "UserMessage",
    "data_url",
]


def data_url(data: bytes | str, mime_type: str) -> str:
    """A ``data:`` URL for raw bytes or for a string that is already base64."""
    encoded = base64.b64encode(data).decode("ascii") if isinstance(data, bytes) else data
    return f"data:{mime_type};base64,{encoded}"


@dataclass(frozen=True, slots=True)
class TextPart:
    """A piece of text."""

    text: str

    def to_wire(self) -> dict[str, Any]:
        """The documented ``{"type": "text"}`` part."""
        return {"type": "text", "text": self.text}


@dataclass(frozen=True, slots=True)
class ImagePart:
    """An image, by URL (``https:`` or ``data:``), sent as an ``image_url`` part.

    >>> ImagePart.from_data(b"\\x89PNG", "image/png").url[:22]
    'data:image/png;base64,'
    """

    url: str
    detail: Literal["auto", "low", "high"] | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.url, str) or not self.url:
            raise InvalidRequestError(
                "An image part needs a url (https: or data:); use ImagePart.from_data(...) "
                "for bytes or base64."
            )

    @classmethod
    def from_data(cls, data: bytes | str, mime_type: str = "image/png", **kw: Any) -> ImagePart:
        """An image from raw bytes or base64 text."""
        return cls(data_url(data, mime_type), **kw)

    def to_wire(self) -> dict[str, Any]:
        """The ``image_url`` part."""
        image: dict[str, Any] = {"url": self.url}
        if self.detail is not None:
            image["detail"] = self.detail
        return {"type": "image_url", "image_url": image}


@dataclass(frozen=True, slots=True)
class FilePart:
    """A file (a PDF, say) by URL, by inline data, or by an uploaded file id.

    By URL it is the documented ``{"type": "file", "file": {"url": ...}}``; inline data is
    sent as a base64 ``file_data`` data URL with its ``filename``, as OpenAI defines it.
    """

    url: str | None = None
    data: bytes | str | None = None
    mime_type: str = "application/pdf"
    filename: str | None = None
    file_id: str | None = None

    def to_wire(self) -> dict[str, Any]:
        """The ``file`` part."""
        file: dict[str, Any] = {}
        if self.url is not None:
            file["url"] = self.url
        elif self.data is not None:
            file["file_data"] = data_url(self.data, self.mime_type)
            file["filename"] = self.filename or "document.pdf"
        elif self.file_id is not None:
            file["file_id"] = self.file_id
        else:
            raise InvalidRequestError(
                "A file part needs one of url=, data= or file_id=; it had none."
            )
        if self.filename is not None:
            file["filename"] = self.filename
        return {"type": "file", "file": file}


@dataclass(frozen=True, slots=True)
class AudioPart:
    """Audio as base64 (or raw bytes) in a format such as ``wav`` or ``mp3``."""

    data: bytes | str
    format: str = "wav"

    def to_wire(self) -> dict[str, Any]:
        """The ``input_audio`` part."""
        data = self.data
        if isinstance(data, bytes):
            data = base64.b64encode(data).decode("ascii")
        return {"type": "input_audio", "input_audio": {"data": data, "format": self.format}}


ContentPart: TypeAlias = TextPart | ImagePart | FilePart | AudioPart
Content: TypeAlias = str | Sequence[ContentPart | Mapping[str, Any]]


@dataclass(frozen=True, slots=True)
class SystemMessage:
    """Instructions for the model; several text parts are sent as one string."""

    content: Content
    name: str | None = None
    role: Literal["system"] = field(default="system", init=False)


@dataclass(frozen=True, slots=True)
class DeveloperMessage:
    """Instructions in the ``developer`` role that OpenAI's reasoning models expect.

    Several text parts are sent as one string, as for :class:`SystemMessage`.
    """

    content: Content
    name: str | None = None
    role: Literal["developer"] = field(default="developer", init=False)


@dataclass(frozen=True, slots=True)
class UserMessage:
    """What the user says: text, or a list of text, image, file and audio parts."""

    content: Content
    name: str | None = None
    role: Literal["user"] = field(default="user", init=False)


@dataclass(frozen=True, slots=True)
class ToolMessage:
    """The result of a tool call, answering the call with ``tool_call_id``.

    Several text parts are sent as one string; a result with an image keeps its parts.
    """

    content: Content
    tool_call_id: str
    role: Literal["tool"] = field(default="tool", init=False)


# AssistantMessage lives in mixroute.response: the same type is what the model returns.
Message: TypeAlias = Any
"""A typed message above, a :class:`mixroute.AssistantMessage`, or a wire-format dict."""

_ROLES = ("system", "developer", "user", "assistant", "tool", "function")
_JOINED_ROLES = frozenset({"system", "developer", "tool", "function"})


def content_to_wire(
    content: object, where: str, role: object = "user"
) -> str | list[dict[str, Any]] | None:
    """Check message content and return it in wire form.

    In a system, developer, tool or function message, parts that are all plain text
    become one string.
    """
    if content is None or isinstance(content, str):
        return content
    if isinstance(content, Sequence) and not isinstance(content, bytes | bytearray):
        parts = [part_to_wire(part, f"{where}[{i}]") for i, part in enumerate(content)]
        if parts and role in _JOINED_ROLES and all(_is_plain_text(part) for part in parts):
            return "\n".join(part["text"] for part in parts)
        return parts
    raise InvalidRequestError(
        f"{where}: content must be a string or a list of parts, not {type(content).__name__}."
    )


def part_to_wire(part: object, where: str) -> dict[str, Any]:
    """One content part in wire form; wire dicts are checked, not rewritten."""
    if isinstance(part, TextPart | ImagePart | FilePart | AudioPart):
        return part.to_wire()
    if isinstance(part, str):
        return {"type": "text", "text": part}
    if not isinstance(part, Mapping):
        raise InvalidRequestError(
            f"{where}: a content part must be a TextPart, ImagePart, FilePart, AudioPart "
            f"or a dict, not {type(part).__name__}."
        )
    kind = part.get("type")
    required = _PART_FIELDS.get(kind) if isinstance(kind, str) else None
    if required is None:
        known = ", ".join(sorted(_PART_FIELDS))
        raise InvalidRequestError(
            f"{where}: unknown content part type {kind!r}; use one of {known} "
            "(or a typed part such as ImagePart)."
        )
    if required not in part:
        raise InvalidRequestError(f"{where}: a {kind!r} part needs a {required!r} field.")
    if kind == "image_url":
        image = part["image_url"]
        url = image.get("url") if isinstance(image, Mapping) else image
        if not isinstance(url, str) or not url:
            raise InvalidRequestError(
                f"{where}: an image part needs a url (https: or data:); it had none."
            )
    return dict(part)


def _is_plain_text(part: Mapping[str, Any]) -> bool:
    return part.get("type") == "text" and len(part) == 2 and isinstance(part["text"], str)


_PART_FIELDS = {
    "text": "text",
    "image_url": "image_url",
    "file": "file",
    "input_audio": "input_audio",
    "refusal": "refusal",
}


def message_to_wire(message: object, index: int, *, send_reasoning: bool) -> dict[str, Any]:
    """One message of ``messages`` in wire form.

    ``send_reasoning`` says whether an assistant turn's ``reasoning_content`` goes back
    (the request builder decides it from the model profile and the turn's tool calls).
    """
    to_wire = getattr(message, "to_wire", None)
    if to_wire is not None:
        wire: dict[str, Any] = to_wire(send_reasoning=send_reasoning)
        return wire
    where = f"messages[{index}]"
    if isinstance(message, SystemMessage | DeveloperMessage | UserMessage | ToolMessage):
        content = content_to_wire(message.content, where, message.role)
        wire = {"role": message.role, "content": content}
        if isinstance(message, ToolMessage):
            wire["tool_call_id"] = message.tool_call_id
        elif message.name is not None:
            wire["name"] = message.name
        return wire
    if isinstance(message, Mapping):
        return _dict_message_to_wire(message, where, send_reasoning)
    raise InvalidRequestError(
        f"{where}: expected a message (SystemMessage, UserMessage, AssistantMessage, "
        f"ToolMessage or a dict with a 'role'), not {type(message).__name__}."
    )


def _dict_message_to_wire(
    message: Mapping[str, Any], where: str, send_reasoning: bool
) -> dict[str, Any]:
    role = message.get("role")
    if "role" not in message:  # a dict, but not a message
        keys = ", ".join(repr(key) for key in message) or "none"
        raise InvalidRequestError(
            f"{where}: a message dict needs a 'role' (one of {', '.join(_ROLES)}) and its "
            f"'content', as {{'role': 'user', 'content': '...'}}; this one has keys {keys}."
        )
    if role not in _ROLES:
        raise InvalidRequestError(
            f"{where}: unknown role {role!r}; use one of {', '.join(_ROLES)}."
        )
    wire = dict(message)
    if "content" in wire:
        wire["content"] = content_to_wire(wire["content"], where, role)
    elif role != "assistant":
        raise InvalidRequestError(f"{where}: a {role!r} message needs 'content'.")
    if role == "tool" and not isinstance(wire.get("tool_call_id"), str):
        raise InvalidRequestError(f"{where}: a tool message needs a string 'tool_call_id'.")
    if role == "assistant":
        if not send_reasoning:
            wire.pop("reasoning_content", None)
        calls = wire.get("tool_calls")
        if calls is not None and not isinstance(calls, list | tuple):
            raise InvalidRequestError(
                f"{where}: an assistant message's 'tool_calls' is a list of tool calls, "
                f"not {type(calls).__name__}."
            )
        for call in calls or ():
            _check_wire_tool_call(call, where)
    return wire


def _check_wire_tool_call(call: object, where: str) -> None:
    function = call.get("function") if isinstance(call, Mapping) else None
    if not isinstance(function, Mapping) or not isinstance(function.get("name"), str):
        raise InvalidRequestError(
            f"{where}: each tool call needs {{'id', 'type': 'function', "
            "'function': {'name', 'arguments'}}."
        )
    if not isinstance(function.get("arguments"), str):
        raise InvalidRequestError(
            f"{where}: tool call {function['name']!r} needs its arguments as a JSON string."
        )


def arguments_to_json(arguments: Mapping[str, Any], where: str) -> str:
    """Serialise tool-call arguments, naming the call when a value is not JSON."""
    try:
        return json.dumps(arguments, ensure_ascii=False)
    except (TypeError, ValueError) as exc:
        raise InvalidRequestError(
            f"{where}: tool call arguments must be JSON-serialisable ({exc}); "
            "convert the value to a string, number, list or dict."
        ) from None
