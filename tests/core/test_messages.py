"""Messages and content parts into wire dicts; bad messages rejected with a fix."""

from __future__ import annotations

import base64
from typing import Any

import pytest

from mixroute import (
    AudioPart,
    DeveloperMessage,
    FilePart,
    ImagePart,
    InvalidRequestError,
    SystemMessage,
    TextPart,
    ToolMessage,
    UserMessage,
    build_request_body,
)


def wire(*messages: Any) -> list[dict[str, Any]]:
    sent: list[dict[str, Any]] = build_request_body("gpt-4o", list(messages))["messages"]
    return sent


def test_every_role() -> None:
    assert wire(
        SystemMessage("Be brief"),
        DeveloperMessage("Use tools"),
        UserMessage("Hi", name="ann"),
        ToolMessage("42", tool_call_id="call_9"),
    ) == [
        {"role": "system", "content": "Be brief"},
        {"role": "developer", "content": "Use tools"},
        {"role": "user", "content": "Hi", "name": "ann"},
        {"role": "tool", "content": "42", "tool_call_id": "call_9"},
    ]


def test_parts_become_the_documented_wire_parts() -> None:
    pdf = b"%PDF-1.4 tiny"
    [message] = wire(
        UserMessage(
            [
                TextPart("Please analyze the content of this document"),
                FilePart(url="https://example.com/document.pdf"),
                FilePart(data=pdf, filename="tiny.pdf"),
                ImagePart("https://example.com/cat.png", detail="low"),
                ImagePart.from_data(b"\x89PNG", "image/png"),
                AudioPart(b"RIFF", format="wav"),
            ]
        )
    )
    encoded_pdf = base64.b64encode(pdf).decode()
    assert message["content"] == [
        {"type": "text", "text": "Please analyze the content of this document"},
        {"type": "file", "file": {"url": "https://example.com/document.pdf"}},
        {
            "type": "file",
            "file": {
                "file_data": f"data:application/pdf;base64,{encoded_pdf}",
                "filename": "tiny.pdf",
            },
        },
        {"type": "image_url", "image_url": {"url": "https://example.com/cat.png", "detail": "low"}},
        {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw=="}},
        {"type": "input_audio", "input_audio": {"data": "UklGRg==", "format": "wav"}},
    ]


def test_several_text_parts_are_a_list_for_the_user_and_one_string_elsewhere() -> None:
    parts = [TextPart("Be brief."), "Answer in French."]
    assert wire(
        SystemMessage(parts),
        DeveloperMessage(parts),
        UserMessage(parts),
        ToolMessage([TextPart("18 C"), TextPart("sunny")], tool_call_id="call_1"),
    ) == [
        {"role": "system", "content": "Be brief.\nAnswer in French."},
        {"role": "developer", "content": "Be brief.\nAnswer in French."},
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "Be brief."},
                {"type": "text", "text": "Answer in French."},
            ],
        },
        {"role": "tool", "content": "18 C\nsunny", "tool_call_id": "call_1"},
    ]


def test_wire_dicts_follow_the_same_rule_for_several_text_parts() -> None:
    texts = [{"type": "text", "text": "42"}, {"type": "text", "text": "units: m"}]
    assert wire(
        {"role": "system", "content": texts},
        {"role": "tool", "content": texts, "tool_call_id": "call_1"},
        {"role": "function", "name": "calc", "content": texts},
        {"role": "user", "content": texts},
        {"role": "assistant", "content": texts},
    ) == [
        {"role": "system", "content": "42\nunits: m"},
        {"role": "tool", "content": "42\nunits: m", "tool_call_id": "call_1"},
        {"role": "function", "name": "calc", "content": "42\nunits: m"},
        {"role": "user", "content": texts},
        {"role": "assistant", "content": texts},
    ]


def test_parts_that_are_more_than_plain_text_stay_a_list() -> None:
    cached = {"type": "text", "text": "Long rules.", "cache_control": {"type": "ephemeral"}}
    image = ImagePart("https://example.com/chart.png")
    system, tool = wire(
        SystemMessage([TextPart("Be brief."), cached]),
        ToolMessage([TextPart("The chart:"), image], tool_call_id="call_1"),
    )
    assert system["content"] == [{"type": "text", "text": "Be brief."}, cached]
    assert tool["content"] == [{"type": "text", "text": "The chart:"}, image.to_wire()]


def test_wire_dicts_pass_through_when_valid() -> None:
    part = {"type": "file", "file": {"url": "https://example.com/document.pdf"}}
    message = {"role": "user", "content": [{"type": "text", "text": "Read"}, part]}
    assert wire(message) == [message]


@pytest.mark.parametrize(
    ("message", "fragment"),
    [
        ({"role": "wizard", "content": "x"}, "unknown role 'wizard'"),
        ({"content": "x"}, "this one has keys 'content'"),
        ({"role": "user"}, "needs 'content'"),
        ({"role": "tool", "content": "x"}, "tool_call_id"),
        ({"role": "user", "content": [{"type": "video", "video": 1}]}, "unknown content part type"),
        ({"role": "user", "content": [{"type": "image_url", "image_url": {}}]}, "needs a url"),
        ({"role": "user", "content": [{"type": "text"}]}, "needs a 'text' field"),
        ({"role": "user", "content": 5}, "content must be a string or a list"),
        (
            {"role": "assistant", "tool_calls": [{"function": {"name": "f", "arguments": {}}}]},
            "JSON string",
        ),
        ({"role": "assistant", "tool_calls": 1}, "'tool_calls' is a list of tool calls, not int"),
        (42, "expected a message"),
    ],
)
def test_bad_messages_name_the_problem(message: Any, fragment: str) -> None:
    with pytest.raises(InvalidRequestError) as info:
        wire(message)
    assert fragment in str(info.value)
    assert "messages[0]" in str(info.value) or "expected a message" in str(info.value)


def test_file_part_without_source_fails() -> None:
    with pytest.raises(InvalidRequestError, match="url=, data= or file_id="):
        wire(UserMessage([FilePart()]))


def test_image_part_with_empty_url_fails() -> None:
    with pytest.raises(InvalidRequestError, match="needs a url"):
        wire({"role": "user", "content": [{"type": "image_url", "image_url": {"url": ""}}]})


def test_an_empty_list_of_parts_stays_a_list_for_every_role() -> None:
    assert wire(SystemMessage([]), {"role": "tool", "content": [], "tool_call_id": "c"}) == [
        {"role": "system", "content": []},
        {"role": "tool", "content": [], "tool_call_id": "c"},
    ]
