"""LangChain messages and content blocks into the documented wire messages (convert.py)."""

from __future__ import annotations

from typing import Any

import pytest
from langchain_core.messages import (
    AIMessage,
    BaseMessage,
    ChatMessage,
    FunctionMessage,
    HumanMessage,
    RemoveMessage,
    SystemMessage,
    ToolMessage,
)
from scripted_mixroute import Script, completion, model_for

from langchain_mixroute.convert import to_core_messages
from mixroute import InvalidRequestError, build_request_body


def wire(*messages: BaseMessage, model: str = "gpt-4o") -> list[dict[str, Any]]:
    sent: list[dict[str, Any]] = build_request_body(model, to_core_messages(list(messages)))[
        "messages"
    ]
    return sent


def user_parts(*blocks: Any) -> list[dict[str, Any]]:
    [message] = wire(HumanMessage(content=list(blocks)))
    parts: list[dict[str, Any]] = message["content"]
    return parts


def test_every_message_type() -> None:
    assert wire(
        SystemMessage("Be brief"),
        SystemMessage("Use tools", additional_kwargs={"__openai_role__": "developer"}),
        HumanMessage("Hi", name="ann"),
        AIMessage("Hello", name="bot"),
        ToolMessage("42", tool_call_id="call_9"),
        ChatMessage(role="developer", content="Think first"),
        ChatMessage(role="user", content="Again", name="bob"),
        FunctionMessage(name="lookup", content="found"),
    ) == [
        {"role": "system", "content": "Be brief"},
        {"role": "developer", "content": "Use tools"},
        {"role": "user", "content": "Hi", "name": "ann"},
        {"role": "assistant", "content": "Hello", "name": "bot"},
        {"role": "tool", "content": "42", "tool_call_id": "call_9"},
        {"role": "developer", "content": "Think first"},
        {"role": "user", "content": "Again", "name": "bob"},
        {"role": "function", "name": "lookup", "content": "found"},
    ]


def test_a_message_type_without_a_wire_form_is_refused() -> None:
    with pytest.raises(InvalidRequestError, match=r"messages\[0\]: a RemoveMessage cannot be sent"):
        to_core_messages([RemoveMessage(id="m1")])


def test_an_unknown_chat_role_is_refused_by_name() -> None:
    with pytest.raises(InvalidRequestError, match="unknown role 'robot'"):
        wire(ChatMessage(role="robot", content="beep"))


def test_text_parts_in_every_spelling() -> None:
    assert user_parts(
        "plain string",
        {"type": "text", "text": "standard", "id": "lc_1", "annotations": []},
        {"type": "text-plain", "text": "from a .txt", "mime_type": "text/plain"},
    ) == [
        {"type": "text", "text": "plain string"},
        {"type": "text", "text": "standard"},
        {"type": "text", "text": "from a .txt"},
    ]


def test_images_by_url_and_by_data() -> None:
    assert user_parts(
        {"type": "image_url", "image_url": {"url": "https://x.example/cat.png", "detail": "low"}},
        {"type": "image", "url": "https://x.example/dog.png", "extras": {"detail": "high"}},
        {"type": "image", "base64": "iVBORw==", "mime_type": "image/png"},
        {"type": "image", "source_type": "url", "url": "https://x.example/v0.png"},
        {"type": "image", "source_type": "base64", "data": "R0lG", "mime_type": "image/gif"},
    ) == [
        {"type": "image_url", "image_url": {"url": "https://x.example/cat.png", "detail": "low"}},
        {"type": "image_url", "image_url": {"url": "https://x.example/dog.png", "detail": "high"}},
        {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw=="}},
        {"type": "image_url", "image_url": {"url": "https://x.example/v0.png"}},
        {"type": "image_url", "image_url": {"url": "data:image/gif;base64,R0lG"}},
    ]


def test_files_by_url_data_and_id() -> None:
    assert user_parts(
        {"type": "file", "file": {"url": "https://example.com/document.pdf"}},
        {"type": "file", "url": "https://example.com/a.pdf"},
        {"type": "file", "base64": "JVBERi0=", "mime_type": "application/pdf", "filename": "a.pdf"},
        {
            "type": "file",
            "base64": "JVBERi0=",
            "mime_type": "application/pdf",
            "extras": {"filename": "b.pdf"},
        },
        {"type": "file", "file_id": "file-123"},
        {
            "type": "file",
            "source_type": "base64",
            "data": "JVBERi0=",
            "mime_type": "application/pdf",
        },
        {"type": "text-plain", "base64": "aGk=", "mime_type": "text/plain"},
    ) == [
        {"type": "file", "file": {"url": "https://example.com/document.pdf"}},
        {"type": "file", "file": {"url": "https://example.com/a.pdf"}},
        {
            "type": "file",
            "file": {"file_data": "data:application/pdf;base64,JVBERi0=", "filename": "a.pdf"},
        },
        {
            "type": "file",
            "file": {"file_data": "data:application/pdf;base64,JVBERi0=", "filename": "b.pdf"},
        },
        {"type": "file", "file": {"file_id": "file-123"}},
        {
            "type": "file",
            "file": {
                "file_data": "data:application/pdf;base64,JVBERi0=",
                "filename": "document.pdf",
            },
        },
        {
            "type": "file",
            "file": {"file_data": "data:text/plain;base64,aGk=", "filename": "document.pdf"},
        },
    ]


def test_audio_by_data() -> None:
    assert user_parts(
        {"type": "audio", "base64": "UklGRg==", "mime_type": "audio/wav"},
        {"type": "audio", "base64": "SUQz", "mime_type": "audio/mpeg"},
        {"type": "input_audio", "input_audio": {"data": "UklGRg==", "format": "wav"}},
    ) == [
        {"type": "input_audio", "input_audio": {"data": "UklGRg==", "format": "wav"}},
        {"type": "input_audio", "input_audio": {"data": "SUQz", "format": "mp3"}},
        {"type": "input_audio", "input_audio": {"data": "UklGRg==", "format": "wav"}},
    ]


def test_a_non_standard_block_passes_its_wire_value() -> None:
    value = {"type": "image_url", "image_url": {"url": "https://x.example/p.png"}}
    assert user_parts({"type": "non_standard", "value": value}) == [value]


@pytest.mark.parametrize(
    ("block", "message"),
    [
        ({"type": "video", "url": "https://x.example/v.mp4"}, "content block type 'video'"),
        (
            {"type": "tool_use", "id": "t", "name": "n", "input": {}},
            "content block type 'tool_use'",
        ),
        ({"type": "document", "source": {}}, "content block type 'document'"),
        ({"type": "image", "file_id": "file-1"}, "image by file_id"),
        ({"type": "audio", "url": "https://x.example/a.mp3"}, "audio block needs base64"),
        ({"type": "file"}, "file block needs a url"),
    ],
)
def test_an_unsupported_block_is_refused_by_name(block: Any, message: str) -> None:
    with pytest.raises(InvalidRequestError, match=message) as caught:
        wire(HumanMessage(content=["Look", block]))
    assert r"messages[0].content[1]" in str(caught.value)


def test_an_unsupported_block_fails_before_anything_is_sent() -> None:
    script = Script(completion({"content": "never"}))
    with pytest.raises(InvalidRequestError, match="'video'"):
        model_for(script).invoke([HumanMessage(content=[{"type": "video", "url": "https://v"}])])
    assert script.bodies == []


def test_assistant_tool_calls_go_back_as_wire_calls() -> None:
    turn = AIMessage(
        "",
        tool_calls=[{"name": "get_weather", "args": {"city": "Paris"}, "id": "call_1"}],
        invalid_tool_calls=[
            {
                "name": "broken",
                "args": '{"x": ',
                "id": "call_2",
                "error": "bad",
                "type": "invalid_tool_call",
            }
        ],
    )
    assert wire(turn) == [
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "id": "call_1",
                    "type": "function",
                    "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'},
                },
                {
                    "id": "call_2",
                    "type": "function",
                    "function": {"name": "broken", "arguments": '{"x": '},
                },
            ],
        }
    ]


def test_an_anthropic_tool_use_copy_of_a_call_is_left_to_tool_calls() -> None:
    # A history from ChatAnthropic keeps each call twice: a tool_use block and tool_calls.
    turn = AIMessage(
        [
            {"type": "text", "text": "Let me add."},
            {"type": "tool_use", "id": "abc", "name": "add", "input": {"a": 1}},
        ],
        tool_calls=[{"name": "add", "args": {"a": 1}, "id": "abc"}],
    )
    assert wire(turn) == [
        {
            "role": "assistant",
            "content": "Let me add.",
            "tool_calls": [
                {
                    "id": "abc",
                    "type": "function",
                    "function": {"name": "add", "arguments": '{"a": 1}'},
                }
            ],
        }
    ]


def test_a_tool_use_block_without_its_call_is_refused() -> None:
    turn = AIMessage([{"type": "tool_use", "id": "abc", "name": "add", "input": {"a": 1}}])
    with pytest.raises(InvalidRequestError, match=r"messages\[0\]\.content\[0\].*'tool_use'"):
        wire(turn)


def test_reasoning_goes_back_only_where_the_vendor_needs_it() -> None:
    thinking_call = AIMessage(
        "",
        additional_kwargs={"reasoning_content": "I should look it up."},
        tool_calls=[{"name": "get_weather", "args": {"city": "Paris"}, "id": "call_1"}],
    )
    plain = AIMessage("It is sunny.", additional_kwargs={"reasoning_content": "Easy."})
    kimi = wire(thinking_call, plain, model="kimi-k2.5")
    assert kimi[0]["reasoning_content"] == "I should look it up."  # a tool-call turn needs it
    assert "reasoning_content" not in kimi[1]  # a plain turn drops it
    r1 = wire(plain, model="deepseek-r1")
    assert "reasoning_content" not in r1[0]  # deepseek-r1 rejects it


def test_v1_assistant_content_blocks_go_back_as_text_reasoning_and_calls() -> None:
    turn = AIMessage(
        content=[
            {"type": "reasoning", "reasoning": "Look it up."},
            {"type": "text", "text": "Checking"},
            {"type": "text", "text": " now."},
            {"type": "tool_call", "name": "get_weather", "args": {"city": "Paris"}, "id": "call_1"},
        ],
        tool_calls=[{"name": "get_weather", "args": {"city": "Paris"}, "id": "call_1"}],
    )
    [sent] = wire(turn, model="kimi-k2.5")
    assert sent["content"] == "Checking now."
    assert sent["reasoning_content"] == "Look it up."
    assert [c["function"]["name"] for c in sent["tool_calls"]] == ["get_weather"]


def test_an_assistant_turn_cannot_carry_an_image_back() -> None:
    with pytest.raises(InvalidRequestError, match="cannot carry a 'image' block"):
        wire(AIMessage(content=[{"type": "image", "url": "https://x.example/a.png"}]))


def test_tool_results_as_text_or_parts() -> None:
    assert wire(
        ToolMessage(content=[{"type": "text", "text": "22 C"}, "and sunny"], tool_call_id="c1")
    ) == [
        {
            "role": "tool",
            "content": "22 C\nand sunny",  # the core's rule: text parts outside user turns
            "tool_call_id": "c1",
        }
    ]


def test_openai_style_file_data_survives_langchains_normalisation() -> None:
    # LangChain rewrites OpenAI file parts into standard blocks before the model sees
    # them; the request still carries the original part.
    script = Script(completion({"content": "Read it."}))
    part = {
        "type": "file",
        "file": {"file_data": "data:application/pdf;base64,JVBERi0=", "filename": "a.pdf"},
    }
    model_for(script).invoke([HumanMessage(content=[{"type": "text", "text": "Read"}, part])])
    assert script.body["messages"][0]["content"][1] == part
