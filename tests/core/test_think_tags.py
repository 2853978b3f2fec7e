"""Specification of mixroute.think_tags: inline ``<think>`` blocks split out of content."""

from __future__ import annotations

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from mixroute.think_tags import ThinkTagSplitter, split_think_tags


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("<think>2+2 is 4</think>\n\nIt is 4.", ("2+2 is 4", "It is 4.")),
        ("No thinking here.", (None, "No thinking here.")),
        ("", (None, "")),
        ("  \n<think>a</think>b", ("a", "b")),
        ("<think></think>answer", ("", "answer")),
        ("<think>multi\nline\n</think>  answer  ", ("multi\nline\n", "answer  ")),
        # Only a block at the very start counts; later tags are content.
        ("Answer <think>not thinking</think>", (None, "Answer <think>not thinking</think>")),
        ("<thinking>x</thinking>", (None, "<thinking>x</thinking>")),
        ("<thin", (None, "<thin")),
        ("   ", (None, "   ")),
        # An answer cut off while thinking: everything so far is reasoning.
        ("<think>still going", ("still going", "")),
        ("<think>", ("", "")),
        ("<think>cut at </thi", ("cut at </thi", "")),
        # Only the first closing tag ends the block.
        ("<think>a</think>b</think>c", ("a", "b</think>c")),
        ("<think>a</think>\n\n", ("a", "")),
    ],
)
def test_split_think_tags(text: str, expected: tuple[str | None, str]) -> None:
    assert split_think_tags(text) == expected


def stream(deltas: list[str]) -> tuple[list[tuple[str, str]], tuple[str, str]]:
    splitter = ThinkTagSplitter()
    outputs = [splitter.feed(delta) for delta in deltas]
    return outputs, splitter.flush()


def test_tags_split_across_deltas_never_leak_into_output() -> None:
    outputs, tail = stream(["<th", "ink>ab", "c</th", "ink>", "\n\n", "Hel", "lo"])
    every = [*outputs, tail]
    assert all("<" not in r and "<" not in c for r, c in every)
    assert "".join(r for r, _ in every) == "abc"
    assert "".join(c for _, c in every) == "Hello"


def test_reasoning_is_released_as_it_arrives() -> None:
    splitter = ThinkTagSplitter()
    assert splitter.feed("<think>step one") == ("step one", "")
    assert splitter.feed(", step two") == (", step two", "")
    assert splitter.saw_think


def test_content_without_tags_passes_through_once_decided() -> None:
    splitter = ThinkTagSplitter()
    assert splitter.feed("Hel") == ("", "Hel")
    assert splitter.feed("<think>") == ("", "<think>")
    assert not splitter.saw_think


def test_possible_tag_start_is_held_then_released_as_content() -> None:
    splitter = ThinkTagSplitter()
    assert splitter.feed("\n<") == ("", "")
    assert splitter.feed("b>bold") == ("", "\n<b>bold")


def test_flush_releases_held_text_by_state() -> None:
    start = ThinkTagSplitter()
    start.feed("<thi")
    assert start.flush() == ("", "<thi")
    thinking = ThinkTagSplitter()
    thinking.feed("<think>x </thi")
    assert thinking.flush() == ("</thi", "")


_pieces = st.sampled_from(
    ["<think>", "</think>", "<", ">", "</", "think", "<thi", "nk>", " ", "\n", "a", "é", "🙂"]
)
_texts = st.lists(_pieces | st.text(max_size=5), max_size=12).map("".join)


@settings(max_examples=300, deadline=None)
@given(text=_texts, data=st.data())
@example(text="<think>", data=None)
@example(text=" <think>a</think> b", data=None)
def test_streamed_splitter_equals_whole_split(text: str, data: st.DataObject | None) -> None:
    cuts = sorted(data.draw(st.lists(st.integers(0, len(text)), max_size=8))) if data else []
    deltas = [text[a:b] for a, b in zip([0, *cuts], [*cuts, len(text)], strict=True)]
    splitter = ThinkTagSplitter()
    outputs = [splitter.feed(delta) for delta in deltas]
    outputs.append(splitter.flush())
    reasoning = "".join(r for r, _ in outputs)
    content = "".join(c for _, c in outputs)
    expected_reasoning, expected_content = split_think_tags(text)
    assert (reasoning if splitter.saw_think else None) == expected_reasoning
    assert content == expected_content
