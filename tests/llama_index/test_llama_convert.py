"""Specification of the message conversion: LlamaIndex roles and blocks as they go on the wire,
and OpenAI-style dicts accepted wherever the LLM takes messages."""

from __future__ import annotations

import asyncio
import base64
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from llama_index.core.base.llms.types import (
    AudioBlock,
    CacheControl,
    CachePoint,
    ChatMessage,
    CitableBlock,
    CitationBlock,
    DocumentBlock,
    ImageBlock,
    TextBlock,
    ThinkingBlock,
    ToolCallBlock,
    VideoBlock,
)
from llama_index.core.instrumentation import get_dispatcher
from llama_index.core.instrumentation.event_handlers import BaseEventHandler
from llama_index.core.instrumentation.events import BaseEvent
from llama_index.core.instrumentation.events.llm import LLMChatStartEvent
from llama_index.core.tools import FunctionTool
from scripted_gateway import ScriptedGateway, completion, sse

from mixroute import InvalidRequestError, build_request_body, get_profile

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 16
PNG_B64 = base64.b64encode(PNG).decode()
PDF = b"%PDF-1.4 tiny"
PDF_B64 = base64.b64encode(PDF).decode()
WAV_B64 = base64.b64encode(b"RIFF....WAVEfmt ").decode()


def wire(messages: list[ChatMessage], model: str = "gpt-4o") -> list[dict[str, Any]]:
    gateway = ScriptedGateway(completion("ok"))
    gateway.llm(model).chat(messages)
    sent: list[dict[str, Any]] = gateway.bodies[0]["messages"]
    return sent


def test_every_role() -> None:
    assert wire(
        [
            ChatMessage(role="system", content="Be brief."),
            ChatMessage(role="developer", content="Use metric units."),
            ChatMessage(role="user", content="Hi", additional_kwargs={"name": "ann"}),
            ChatMessage(role="assistant", content="Hello!"),
            ChatMessage(role="chatbot", content="(Cohere's assistant role)"),
            ChatMessage(role="function", content="42", additional_kwargs={"name": "calc"}),
        ]
    ) == [
        {"role": "system", "content": "Be brief."},
        {"role": "developer", "content": "Use metric units."},
        {"role": "user", "content": "Hi", "name": "ann"},
        {"role": "assistant", "content": "Hello!"},
        {"role": "assistant", "content": "(Cohere's assistant role)"},
        {"role": "function", "name": "calc", "content": "42"},
    ]


def test_several_text_blocks() -> None:
    blocks = [TextBlock(text="one"), TextBlock(text="two")]
    assert wire(
        [ChatMessage(role="system", blocks=blocks), ChatMessage(role="user", blocks=blocks)]
    ) == [
        {"role": "system", "content": "one\ntwo"},
        {
            "role": "user",
            "content": [{"type": "text", "text": "one"}, {"type": "text", "text": "two"}],
        },
    ]


def test_an_empty_message_is_empty_text() -> None:
    assert wire([ChatMessage(role="user", content="")]) == [{"role": "user", "content": ""}]


def test_images_by_url_base64_and_path(tmp_path: Path) -> None:
    path = tmp_path / "cat.png"
    path.write_bytes(PNG)
    [message] = wire(
        [
            ChatMessage(
                role="user",
                blocks=[
                    ImageBlock(url="https://example.com/cat.png", detail="high"),
                    ImageBlock(image=PNG, image_mimetype="image/png"),
                    ImageBlock(image=PNG_B64.encode()),
                    ImageBlock(path=path),
                ],
            )
        ]
    )
    data_url = f"data:image/png;base64,{PNG_B64}"
    assert message["content"] == [
        {
            "type": "image_url",
            "image_url": {"url": "https://example.com/cat.png", "detail": "high"},
        },
        {"type": "image_url", "image_url": {"url": data_url}},
        {"type": "image_url", "image_url": {"url": data_url}},
        {"type": "image_url", "image_url": {"url": data_url}},
    ]


def test_documents_by_url_data_and_path(tmp_path: Path) -> None:
    path = tmp_path / "report.pdf"
    path.write_bytes(PDF)
    [message] = wire(
        [
            ChatMessage(
                role="user",
                blocks=[
                    TextBlock(text="Summarise these"),
                    DocumentBlock(url="https://example.com/document.pdf"),
                    DocumentBlock(data=PDF, document_mimetype="application/pdf", title="q3.pdf"),
                    DocumentBlock(path=path),
                ],
            )
        ]
    )
    assert message["content"] == [
        {"type": "text", "text": "Summarise these"},
        {"type": "file", "file": {"url": "https://example.com/document.pdf"}},
        {
            "type": "file",
            "file": {"file_data": f"data:application/pdf;base64,{PDF_B64}", "filename": "q3.pdf"},
        },
        {
            "type": "file",
            "file": {
                "file_data": f"data:application/pdf;base64,{PDF_B64}",
                "filename": "document.pdf",
            },
        },
    ]


def test_audio_as_input_audio() -> None:
    [message] = wire(
        [ChatMessage(role="user", blocks=[AudioBlock(audio=WAV_B64.encode(), format="wav")])]
    )
    assert message["content"] == [
        {"type": "input_audio", "input_audio": {"data": WAV_B64, "format": "wav"}}
    ]


def test_audio_without_a_format_is_refused() -> None:
    with pytest.raises(InvalidRequestError, match="messages\\[0\\]: an AudioBlock needs a format"):
        wire([ChatMessage(role="user", blocks=[AudioBlock(audio=b"\x00\x01\x02")])])


def test_a_cache_point_is_a_hint_with_nothing_to_send() -> None:
    cache = CachePoint(cache_control=CacheControl(type="ephemeral"))
    assert wire([ChatMessage(role="user", blocks=[TextBlock(text="Hi"), cache])]) == [
        {"role": "user", "content": "Hi"}
    ]


@pytest.mark.parametrize(
    ("block", "name"),
    [
        (VideoBlock(url="https://example.com/clip.mp4"), "VideoBlock"),
        (CitableBlock(title="t", source="s", content="c"), "CitableBlock"),
    ],
)
def test_an_unsupported_block_is_named(block: Any, name: str) -> None:
    gateway = ScriptedGateway(completion("ok"))
    with pytest.raises(
        InvalidRequestError, match=f"messages\\[1\\]: Mixroute cannot send a {name}"
    ):
        gateway.llm().chat(
            [ChatMessage(role="user", content="Hi"), ChatMessage(role="user", blocks=[block])]
        )
    assert gateway.bodies == []


def test_an_image_in_a_system_message_is_refused() -> None:
    with pytest.raises(InvalidRequestError, match="ImageBlock in a system message"):
        wire([ChatMessage(role="system", blocks=[ImageBlock(url="https://x.example/a.png")])])


def tool_turn(**assistant: Any) -> list[ChatMessage]:
    return [
        ChatMessage(role="user", content="Weather in Paris?"),
        ChatMessage(role="assistant", **assistant),
        ChatMessage(
            role="tool", content="18 C, sunny", additional_kwargs={"tool_call_id": "call_1"}
        ),
    ]


WIRE_CALL = {
    "id": "call_1",
    "type": "function",
    "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'},
}


def test_tool_call_history_and_results() -> None:
    messages = tool_turn(
        blocks=[
            ToolCallBlock(
                tool_call_id="call_1", tool_name="get_weather", tool_kwargs={"city": "Paris"}
            )
        ]
    )
    assert wire(messages) == [
        {"role": "user", "content": "Weather in Paris?"},
        {"role": "assistant", "content": None, "tool_calls": [WIRE_CALL]},
        {"role": "tool", "content": "18 C, sunny", "tool_call_id": "call_1"},
    ]


def test_tool_call_arguments_given_as_text_are_sent_as_they_were() -> None:
    messages = tool_turn(
        blocks=[
            TextBlock(text="Let me check."),
            ToolCallBlock(
                tool_call_id="call_1", tool_name="get_weather", tool_kwargs='{"city":"Paris"}'
            ),
        ]
    )
    assert wire(messages)[1] == {
        "role": "assistant",
        "content": "Let me check.",
        "tool_calls": [
            {**WIRE_CALL, "function": {"name": "get_weather", "arguments": '{"city":"Paris"}'}}
        ],
    }


@pytest.mark.parametrize(
    "legacy",
    [
        WIRE_CALL,
        SimpleNamespace(
            id="call_1",
            type="function",
            function=SimpleNamespace(name="get_weather", arguments='{"city": "Paris"}'),
        ),
    ],
    ids=["wire dict", "sdk object"],
)
def test_legacy_tool_calls_in_additional_kwargs(legacy: Any) -> None:
    messages = tool_turn(content=None, additional_kwargs={"tool_calls": [legacy]})
    assert wire(messages)[1] == {"role": "assistant", "content": None, "tool_calls": [WIRE_CALL]}


def test_a_tool_result_without_its_call_id_is_refused() -> None:
    with pytest.raises(InvalidRequestError, match="messages\\[0\\]: a tool message needs"):
        wire([ChatMessage(role="tool", content="18 C")])


def test_citations_in_history_are_annotations_not_content() -> None:
    citation = CitationBlock(
        cited_content="quote", source="https://s.example", title="S", additional_location_info={}
    )
    messages = [ChatMessage(role="assistant", blocks=[TextBlock(text="Answer."), citation])]
    assert wire(messages) == [{"role": "assistant", "content": "Answer."}]


def thinking_history() -> list[ChatMessage]:
    return [
        ChatMessage(role="user", content="Plan a trip"),
        ChatMessage(
            role="assistant",
            blocks=[ThinkingBlock(content="I should look it up."), TextBlock(text="Sure.")],
        ),
        ChatMessage(role="user", content="Weather in Paris?"),
        ChatMessage(
            role="assistant",
            blocks=[
                ThinkingBlock(content="Call the weather tool."),
                ToolCallBlock(
                    tool_call_id="call_1", tool_name="get_weather", tool_kwargs={"city": "Paris"}
                ),
            ],
        ),
        ChatMessage(role="tool", content="18 C", additional_kwargs={"tool_call_id": "call_1"}),
    ]


@pytest.mark.parametrize(
    ("model", "on_plain_turn", "on_tool_turn"),
    [
        ("deepseek-v3.2", False, True),  # thinking mode needs it back on tool-call turns only
        ("kimi-k2.5", False, True),
        ("deepseek-r1", False, False),  # rejects it on any input message
        ("claude-sonnet-4-5", False, False),
    ],
)
def test_reasoning_goes_back_where_the_vendor_needs_it(
    model: str, on_plain_turn: bool, on_tool_turn: bool
) -> None:
    sent = wire(thinking_history(), model=model)
    assert ("reasoning_content" in sent[1]) is on_plain_turn
    assert ("reasoning_content" in sent[3]) is on_tool_turn
    if on_tool_turn:
        assert sent[3]["reasoning_content"] == "Call the weather tool."


# --- OpenAI-style dicts, as the core and LangChain take them -------------------------------

DICT_CONVERSATION: list[dict[str, Any]] = [
    {"role": "system", "content": "Be brief."},
    {"role": "developer", "content": "Use metric units."},
    {
        "role": "user",
        "name": "ann",
        "content": [
            {"type": "text", "text": "What is in these?"},
            {
                "type": "image_url",
                "image_url": {"url": "https://example.com/a.png", "detail": "low"},
            },
            {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{PNG_B64}"}},
            {"type": "input_audio", "input_audio": {"data": WAV_B64, "format": "wav"}},
            {"type": "file", "file": {"url": "https://example.com/report.pdf"}},
            {
                "type": "file",
                "file": {
                    "file_data": f"data:application/pdf;base64,{PDF_B64}",
                    "filename": "r.pdf",
                },
            },
        ],
    },
    {
        "role": "assistant",
        "content": None,
        "tool_calls": [
            {
                "id": "call_1",
                "type": "function",
                "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'},
            }
        ],
    },
    {"role": "tool", "tool_call_id": "call_1", "content": "18 C, sunny"},
    {"role": "assistant", "content": "Sunny, 18 C."},
    {"role": "user", "content": "Thanks"},
]


def test_dicts_are_sent_as_the_core_sends_them() -> None:
    expected = build_request_body("gpt-4o", DICT_CONVERSATION, profile=get_profile("gpt-4o"))
    assert wire(DICT_CONVERSATION) == expected["messages"]


def test_dicts_and_chat_messages_mix() -> None:
    messages: list[Any] = [
        ChatMessage(role="system", content="Be brief."),
        {"role": "user", "content": "Hi"},
    ]
    assert wire(messages) == [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "Hi"},
    ]


def test_every_chat_entry_point_takes_dicts() -> None:
    gateway = ScriptedGateway(completion("a"), sse({"content": "b"}), completion("c"))
    gateway.add(sse({"content": "d"}))
    llm = gateway.llm()
    hi = [{"role": "user", "content": "hi"}]
    assert llm.chat(hi).message.content == "a"
    deltas = [r.delta for r in llm.stream_chat(hi)]
    assert deltas[0] == "b"

    async def main() -> list[str | None]:
        answer = await llm.achat(hi)
        deltas = [r.delta async for r in await llm.astream_chat(hi)]
        return [answer.message.content, deltas[0]]

    assert asyncio.run(main()) == ["c", "d"]
    assert [body["messages"] for body in gateway.bodies] == [hi] * 4


def test_the_function_calling_entry_points_take_dicts() -> None:
    def get_weather(city: str) -> str:
        """Get weather information by city."""
        return "sunny"

    gateway = ScriptedGateway(completion("Paris is sunny."))
    history = [{"role": "system", "content": "Be brief."}]
    gateway.llm().chat_with_tools(
        [FunctionTool.from_defaults(fn=get_weather)],
        user_msg={"role": "user", "content": "Weather in Paris?"},
        chat_history=history,
    )
    assert gateway.bodies[0]["messages"] == [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "Weather in Paris?"},
    ]


def test_callbacks_and_instrumentation_see_chat_messages() -> None:
    seen: list[Any] = []

    class Recorder(BaseEventHandler):
        def handle(self, event: BaseEvent, **kwargs: Any) -> None:
            if isinstance(event, LLMChatStartEvent):
                seen.extend(event.messages)

    dispatcher = get_dispatcher()
    recorder = Recorder()
    dispatcher.add_event_handler(recorder)
    try:
        ScriptedGateway(completion("ok")).llm().chat([{"role": "user", "content": "hi"}])
    finally:
        dispatcher.event_handlers.remove(recorder)
    assert [type(m) for m in seen] == [ChatMessage]
    assert seen[0].content == "hi"


@pytest.mark.parametrize(
    ("messages", "fragment"),
    [
        ([{"text": "hi"}], "messages[0]: a message dict needs a 'role'"),
        ([{"role": "wizard", "content": "x"}], "messages[0]: unknown role 'wizard'"),
        ([{"role": "user"}], "messages[0]: a 'user' message needs 'content'"),
        ([{"role": "tool", "content": "x"}], "tool_call_id"),
        ([{"role": "user", "content": "a"}, "hi"], "messages[1]: expected a ChatMessage or an"),
        ("hi", "not one str; wrap a single message in a list"),
        ({"role": "user", "content": "hi"}, "not one dict; wrap a single message in a list"),
        (
            [{"role": "user", "content": [{"type": "file", "file": {"file_id": "file-1"}}]}],
            "file part by file_id cannot be sent from LlamaIndex",
        ),
    ],
)
def test_a_dict_that_is_not_a_message_names_what_to_fix(messages: Any, fragment: str) -> None:
    gateway = ScriptedGateway(completion("unused"))
    with pytest.raises(InvalidRequestError) as info:
        gateway.llm().chat(messages)
    assert fragment in str(info.value)
    assert gateway.bodies == []  # refused before anything was sent
