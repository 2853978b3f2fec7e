"""Drivers of the conformance table: one case through the core, ``ChatMixroute`` or ``Mixroute``.

Each driver turns a :class:`~conformance_cases.ConformanceCase` into the layer's own types,
wires the layer to a :class:`RecordingGateway` through an ``httpx.MockTransport`` as a user
passes an ``http_client``, makes the call (reading a stream to its end) and returns the
request bodies the gateway received. The conversions are the way a user of each layer
would write the case's conversation, tools and settings:

- the core: :class:`mixroute.MixrouteClient` with the core's typed messages and parts; the
  settings (``server_tools`` as ``tools``) are the caller's defaults, laid under the call's
  options by :func:`mixroute.options.merge_options`; ``stream_usage`` is ``include_usage``;
  and :func:`mixroute.build_request_body` given the conversation as wire dicts;
- LangChain: ``ChatMixroute`` with LangChain messages and standard content blocks; tools,
  server tools, ``tool_choice``, ``parallel_tool_calls`` and (with tools) ``strict`` go
  through ``bind_tools``, as LangChain's API has them;
- LlamaIndex: ``Mixroute`` with LlamaIndex blocks; tools through ``chat_with_tools``.
"""

from __future__ import annotations

import base64
import copy
import json
from collections.abc import Callable
from typing import Any

import httpx
from conformance_cases import ConformanceCase
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, ToolMessage
from langchain_core.messages import SystemMessage as LCSystemMessage
from langchain_core.messages.content import (
    create_audio_block,
    create_file_block,
    create_image_block,
    create_text_block,
)
from llama_index.core.base.llms.types import (
    AudioBlock,
    ChatMessage,
    DocumentBlock,
    ImageBlock,
    TextBlock,
    ThinkingBlock,
    ToolCallBlock,
)

from langchain_mixroute import ChatMixroute
from llama_index_mixroute import Mixroute
from mixroute import (
    AssistantMessage,
    AudioPart,
    DeveloperMessage,
    FilePart,
    ImagePart,
    MixrouteClient,
    SystemMessage,
    TextPart,
    ToolCall,
    UserMessage,
    build_request_body,
)
from mixroute import ToolMessage as CoreToolMessage
from mixroute.options import merge_options

__all__ = [
    "DRIVERS",
    "Driver",
    "RecordingGateway",
    "build_core_wire",
    "core_options",
    "drive_core",
    "drive_langchain",
    "drive_llama",
]

KEY = "sk-test-conformance-0123456789"

Driver = Callable[[ConformanceCase], list[dict[str, Any]]]
"""Sends one case through a layer; returns the bodies of the requests it made."""


class RecordingGateway:
    """A ``MockTransport`` handler: keeps each request body and gives a short answer.

    The answer is the text "ok", or, when the request offers function tools, a call of the
    tool its ``tool_choice`` names (else the first), so that a layer that must see a tool
    call (a forcing choice sent weakened) sends one request, as every other case does.
    """

    def __init__(self, *, stream: bool) -> None:
        self.stream = stream
        self.bodies: list[dict[str, Any]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        self.bodies.append(body)
        call = _tool_call_for(body)
        if self.stream:
            text = _sse_answer(call)
            return httpx.Response(200, text=text, headers={"content-type": "text/event-stream"})
        return httpx.Response(200, json=_completion_answer(call))

    def client(self) -> httpx.Client:
        """An httpx client whose every request comes here."""
        return httpx.Client(transport=httpx.MockTransport(self))


_USAGE = {"prompt_tokens": 3, "completion_tokens": 1, "total_tokens": 4}


def _tool_call_for(body: dict[str, Any]) -> dict[str, Any] | None:
    names = [
        tool["function"]["name"] for tool in body.get("tools", ()) if tool.get("type") == "function"
    ]
    if not names:
        return None
    choice = body.get("tool_choice")
    name = choice["function"]["name"] if isinstance(choice, dict) else names[0]
    return {"id": "call_ok", "type": "function", "function": {"name": name, "arguments": "{}"}}


def _completion_answer(call: dict[str, Any] | None) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": "ok"}
    if call is not None:
        message = {"role": "assistant", "content": None, "tool_calls": [call]}
    return {
        "id": "chatcmpl-conformance",
        "object": "chat.completion",
        "created": 1234567890,
        "model": "any",
        "choices": [
            {
                "index": 0,
                "message": message,
                "finish_reason": "stop" if call is None else "tool_calls",
            }
        ],
        "usage": _USAGE,
    }


def _sse_answer(call: dict[str, Any] | None) -> str:
    base = {"id": "chatcmpl-conformance", "object": "chat.completion.chunk", "model": "any"}
    delta: dict[str, Any] = {"content": "ok"}
    if call is not None:
        delta = {"tool_calls": [{"index": 0, **call}]}
    finish = "stop" if call is None else "tool_calls"
    chunks = [
        {**base, "choices": [{"index": 0, "delta": delta, "finish_reason": None}]},
        {**base, "choices": [{"index": 0, "delta": {}, "finish_reason": finish}]},
        {**base, "choices": [], "usage": _USAGE},
    ]
    return "".join(f"data: {json.dumps(chunk)}\n\n" for chunk in chunks) + "data: [DONE]\n\n"


def _split_settings(case: ConformanceCase) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The case's settings without ``server_tools``, and the server tools."""
    settings = dict(case.settings)
    return settings, list(settings.pop("server_tools", ()))


# --- the core ---------------------------------------------------------------------------


def core_part(part: dict[str, Any]) -> Any:
    """A neutral content part as the core's typed part."""
    kind = part["type"]
    if kind == "text":
        return TextPart(part["text"])
    if kind == "image":
        if "url" in part:
            return ImagePart(part["url"])
        return ImagePart.from_data(part["data"], part["mime_type"])
    if kind == "file":
        if "url" in part:
            return FilePart(url=part["url"])
        return FilePart(data=part["data"], mime_type=part["mime_type"], filename=part["filename"])
    if kind == "audio":
        return AudioPart(part["data"], format=part["format"])
    raise AssertionError(f"unknown neutral part {kind!r}")


_CORE_INSTRUCTIONS: dict[str, Callable[[Any], Any]] = {
    "system": SystemMessage,
    "developer": DeveloperMessage,
    "user": UserMessage,
}


def core_message(neutral: dict[str, Any]) -> Any:
    """A neutral message as the core's typed message."""
    role, content = neutral["role"], neutral["content"]
    if not isinstance(content, str):
        content = [core_part(part) for part in content]
    if role in _CORE_INSTRUCTIONS:
        return _CORE_INSTRUCTIONS[role](content)
    if role == "tool":
        return CoreToolMessage(content, tool_call_id=neutral["tool_call_id"])
    if role == "assistant":
        calls = [
            ToolCall(id=call["id"], name=call["name"], arguments=call["arguments"])
            for call in neutral.get("tool_calls", ())
        ]
        # "" beside tool calls is no text at all; alone, it is an empty turn.
        text = None if calls and not content else content
        return AssistantMessage(content=text, reasoning=neutral.get("reasoning"), tool_calls=calls)
    raise AssertionError(f"unknown neutral role {role!r}")


def core_options(case: ConformanceCase) -> tuple[dict[str, Any], bool]:
    """The core's options for the case, and its ``include_usage``.

    The settings (``server_tools`` as ``tools``) are the caller's defaults; the call's
    options are laid over them by the core's own rule, :func:`mixroute.options.merge_options`.
    """
    settings, server_tools = _split_settings(case)
    include_usage = bool(settings.pop("stream_usage", True))
    if server_tools:
        settings["tools"] = server_tools
    call: dict[str, Any] = dict(case.call_options)
    if case.tools:
        call["tools"] = case.tools
    if case.tool_choice is not None:
        call["tool_choice"] = case.tool_choice
    if case.parallel_tool_calls is not None:
        call["parallel_tool_calls"] = case.parallel_tool_calls
    return merge_options(settings, call), include_usage


def drive_core(case: ConformanceCase) -> list[dict[str, Any]]:
    """Send the case with :class:`mixroute.MixrouteClient` and the core's typed messages."""
    gateway = RecordingGateway(stream=case.stream)
    options, include_usage = core_options(case)
    messages = [core_message(message) for message in case.messages]
    with gateway.client() as http:
        client = MixrouteClient(KEY, http_client=http, max_retries=0)
        if case.stream:
            with client.stream(
                case.model, messages, include_usage=include_usage, **options
            ) as stream:
                for _ in stream:
                    pass
        else:
            client.create(case.model, messages, **options)
    return gateway.bodies


def build_core_wire(case: ConformanceCase) -> list[dict[str, Any]]:
    """The body :func:`mixroute.build_request_body` builds from the case's own wire messages.

    The conversation goes in as the wire dicts the case expects to see sent, so the core
    must take its own output as input and give it back unchanged.
    """
    options, include_usage = core_options(case)
    messages = copy.deepcopy(case.expected["messages"])
    body = build_request_body(
        case.model, messages, stream=case.stream, include_usage=include_usage, **options
    )
    return [body]


# --- LangChain --------------------------------------------------------------------------


def langchain_block(part: dict[str, Any]) -> dict[str, Any]:
    """A neutral content part as a LangChain standard content block."""
    kind = part["type"]
    block: Any
    if kind == "text":
        block = create_text_block(part["text"])
    elif kind == "image":
        if "url" in part:
            block = create_image_block(url=part["url"])
        else:
            block = create_image_block(base64=part["data"], mime_type=part["mime_type"])
    elif kind == "file":
        if "url" in part:
            block = create_file_block(url=part["url"])
        else:
            block = create_file_block(
                base64=part["data"], mime_type=part["mime_type"], filename=part["filename"]
            )
    elif kind == "audio":
        block = create_audio_block(base64=part["data"], mime_type=f"audio/{part['format']}")
    else:
        raise AssertionError(f"unknown neutral part {kind!r}")
    return dict(block)


_LANGCHAIN_INSTRUCTIONS: dict[str, Callable[[Any], BaseMessage]] = {
    "system": LCSystemMessage,
    # How langchain-openai marks a system message as a developer one.
    "developer": lambda content: LCSystemMessage(
        content, additional_kwargs={"__openai_role__": "developer"}
    ),
    "user": HumanMessage,
}


def langchain_message(neutral: dict[str, Any]) -> BaseMessage:
    """A neutral message as a LangChain message."""
    role, content = neutral["role"], neutral["content"]
    if not isinstance(content, str):
        content = [langchain_block(part) for part in content]
    if role in _LANGCHAIN_INSTRUCTIONS:
        return _LANGCHAIN_INSTRUCTIONS[role](content)
    if role == "tool":
        return ToolMessage(content, tool_call_id=neutral["tool_call_id"])
    if role == "assistant":
        calls = [
            {"id": call["id"], "name": call["name"], "args": call["arguments"]}
            for call in neutral.get("tool_calls", ())
        ]
        # Where ChatMixroute puts the reasoning of the answers it returns.
        extra = {"reasoning_content": neutral["reasoning"]} if "reasoning" in neutral else {}
        return AIMessage(content, tool_calls=calls, additional_kwargs=extra)
    raise AssertionError(f"unknown neutral role {role!r}")


def drive_langchain(case: ConformanceCase) -> list[dict[str, Any]]:
    """Send the case with ``ChatMixroute`` (``invoke`` or ``stream``)."""
    gateway = RecordingGateway(stream=case.stream)
    settings, server_tools = _split_settings(case)
    tools = [*case.tools, *server_tools]
    bind: dict[str, Any] = {}
    if tools and "strict" in settings:
        bind["strict"] = settings.pop("strict")
    messages = [langchain_message(message) for message in case.messages]
    with gateway.client() as http:
        model = ChatMixroute(
            model=case.model, api_key=KEY, http_client=http, max_retries=0, **settings
        )
        runnable: Any = model
        if tools:
            runnable = model.bind_tools(
                tools,
                tool_choice=case.tool_choice,
                parallel_tool_calls=case.parallel_tool_calls,
                **bind,
            )
        if case.stream:
            for _ in runnable.stream(messages, **case.call_options):
                pass
        else:
            runnable.invoke(messages, **case.call_options)
    return gateway.bodies


# --- LlamaIndex -------------------------------------------------------------------------


def llama_block(part: dict[str, Any]) -> Any:
    """A neutral content part as a LlamaIndex content block."""
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


def llama_message(neutral: dict[str, Any]) -> ChatMessage:
    """A neutral message as a LlamaIndex ``ChatMessage`` of blocks."""
    content = neutral["content"]
    blocks: list[Any] = []
    if neutral.get("reasoning"):
        blocks.append(ThinkingBlock(content=neutral["reasoning"]))
    if isinstance(content, str):
        if content:
            blocks.append(TextBlock(text=content))
    else:
        blocks.extend(llama_block(part) for part in content)
    for call in neutral.get("tool_calls", ()):
        blocks.append(
            ToolCallBlock(
                tool_call_id=call["id"], tool_name=call["name"], tool_kwargs=call["arguments"]
            )
        )
    extra = {"tool_call_id": neutral["tool_call_id"]} if "tool_call_id" in neutral else {}
    return ChatMessage(role=neutral["role"], blocks=blocks, additional_kwargs=extra)


def drive_llama(case: ConformanceCase) -> list[dict[str, Any]]:
    """Send the case with ``Mixroute`` (``chat``, ``stream_chat`` or their ``_with_tools``)."""
    gateway = RecordingGateway(stream=case.stream)
    messages = [llama_message(message) for message in case.messages]
    with gateway.client() as http:
        llm = Mixroute(case.model, api_key=KEY, http_client=http, max_retries=0, **case.settings)
        result: Any
        if case.tools:
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
            for _ in result:
                pass
    return gateway.bodies


DRIVERS: dict[str, Driver] = {
    "core": drive_core,
    "core_wire": build_core_wire,
    "langchain": drive_langchain,
    "llama_index": drive_llama,
}
"""Every layer's driver, by the layer's name."""
