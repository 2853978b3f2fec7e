"""The approximate token counter: its rules, message framing, and that it never explodes."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

from mixroute import AssistantMessage, ImagePart, SystemMessage, ToolCall, UserMessage
from mixroute.tokens import (
    FILE_TOKENS,
    IMAGE_TOKENS,
    IMAGE_TOKENS_LOW_DETAIL,
    count_message_tokens,
    count_text_tokens,
)


@pytest.mark.parametrize(
    ("text", "tokens"),
    [
        ("", 0),
        ("the", 1),
        ("informat", 1),  # eight letters: still one
        ("intelligence", 2),
        ("a b c", 3),  # spaces ride on the next word
        ("人工智能", 4),  # one per ideograph
        ("こんにちは", 5),  # kana
        ("안녕", 2),  # hangul
        ("2026", 2),  # one per three digits
        ("123", 1),
        ('{"', 1),  # punctuation: one per two characters
        ("!", 1),
        ("hello\n\n\nworld", 3),  # a run of line breaks is one
        ("Привет", 3),  # non-ASCII letters: one per two
        ("abc中文def", 4),
    ],
)
def test_rules(text: str, tokens: int) -> None:
    assert count_text_tokens(text) == tokens


def test_english_prose_follows_the_usual_rule_of_thumb() -> None:
    # About 100 tokens per 75 words on BPE tokenizers; the estimate sits close to it.
    words = (
        "Artificial intelligence is a new technical science that researches and develops "
        "theories, methods, techniques, and application systems for simulating, extending, "
        "and expanding human intelligence. It asks how machines can perceive, reason, learn "
        "and act, and how such systems can be built safely."
    )
    count = len(words.split())
    assert count * 1.0 <= count_text_tokens(words) <= count * 1.6


@given(st.text(max_size=200))
@settings(max_examples=200, deadline=None)
def test_never_more_tokens_than_characters(text: str) -> None:
    assert 0 <= count_text_tokens(text) <= len(text)


@given(st.text(min_size=1, max_size=100).filter(lambda t: not t.isspace()))
@settings(max_examples=200, deadline=None)
def test_visible_text_costs_at_least_one(text: str) -> None:
    assert count_text_tokens(text) >= 1


def test_a_message_adds_framing_and_the_answer_is_primed() -> None:
    hello = count_message_tokens([{"role": "user", "content": "Hello"}])
    assert hello == 3 + 3 + 1 + 1  # priming, framing, role, text
    two = count_message_tokens(
        [{"role": "user", "content": "Hello"}, {"role": "user", "content": "Hello"}]
    )
    assert two == hello + 3 + 1 + 1


def test_typed_messages_count_like_wire_dicts() -> None:
    typed = count_message_tokens([SystemMessage("Be brief"), UserMessage("Hi", name="ann")])
    wire = count_message_tokens(
        [
            {"role": "system", "content": "Be brief"},
            {"role": "user", "content": "Hi", "name": "ann"},
        ]
    )
    assert typed == wire
    assert wire == count_message_tokens(
        [{"role": "system", "content": "Be brief"}, {"role": "user", "content": "Hi"}]
    ) + 1 + count_text_tokens("ann")


def test_tool_calls_and_reasoning_on_assistant_turns() -> None:
    plain = count_message_tokens([{"role": "assistant", "content": ""}])
    call = AssistantMessage(
        content=None,
        reasoning="Think",
        tool_calls=[ToolCall(id="c1", name="get_weather", arguments={"city": "Paris"})],
    )
    counted = count_message_tokens([call])
    arguments = count_text_tokens('{"city": "Paris"}')
    expected = plain + 3 + count_text_tokens("get_weather") + arguments + 1  # + "Think"
    assert counted == expected


def test_images_files_and_audio_count_flat() -> None:
    base = count_message_tokens([{"role": "user", "content": []}])
    high = count_message_tokens([UserMessage([ImagePart("https://x.example/a.png")])])
    low = count_message_tokens([UserMessage([ImagePart("https://x.example/a.png", "low")])])
    file = count_message_tokens(
        [{"role": "user", "content": [{"type": "file", "file": {"url": "https://x/d.pdf"}}]}]
    )
    audio = count_message_tokens(
        [
            {
                "role": "user",
                "content": [
                    {"type": "input_audio", "input_audio": {"data": "UklG", "format": "wav"}}
                ],
            }
        ]
    )
    assert (high - base, low - base) == (IMAGE_TOKENS, IMAGE_TOKENS_LOW_DETAIL)
    assert file - base == audio - base == FILE_TOKENS


def test_tool_definitions_count_their_json() -> None:
    class GetWeather(BaseModel):
        """Get weather information by city."""

        city: str

    messages = [{"role": "user", "content": "Weather?"}]
    without = count_message_tokens(messages)
    with_tools = count_message_tokens(messages, tools=[GetWeather])
    assert 20 < with_tools - without < 60
