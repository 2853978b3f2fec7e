"""Specification of mixroute.accumulator: streamed chunks into deltas and one completion."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mixroute.accumulator import ARGUMENTS_ARRIVING, ChunkDelta, StreamAccumulator, ToolCallDelta
from mixroute.citations import Citation
from mixroute.errors import APIStreamError, MixrouteError
from mixroute.response import ChatCompletion, InvalidToolCall, ToolCall, Usage, parse_completion


def chunk(
    delta: dict[str, Any] | None = None,
    *,
    index: int = 0,
    finish_reason: str | None = None,
    **top: Any,
) -> dict[str, Any]:
    """One ``chat.completion.chunk`` with a single choice."""
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion.chunk",
        "created": 1,
        "model": "m",
        "choices": [{"index": index, "delta": delta or {}, "finish_reason": finish_reason}],
        **top,
    }


def feed_all(
    chunks: list[dict[str, Any]], *, inline_think_tags: bool = False
) -> tuple[StreamAccumulator, list[ChunkDelta]]:
    accumulator = StreamAccumulator(inline_think_tags=inline_think_tags)
    deltas: list[ChunkDelta] = []
    for item in chunks:
        deltas.extend(accumulator.feed(item))
    deltas.extend(accumulator.finish())
    return accumulator, deltas


def joined(deltas: list[ChunkDelta], field: str) -> str:
    return "".join(getattr(d, field) or "" for d in deltas)


def call_fragment(index: int | None = None, **fields: Any) -> dict[str, Any]:
    fragment: dict[str, Any] = {} if index is None else {"index": index}
    function = {k: fields.pop(k) for k in ("name", "arguments") if k in fields}
    fragment.update(fields)
    if function:
        fragment["function"] = function
    return fragment


# --- text --------------------------------------------------------------------------------


def test_content_deltas_and_final_message() -> None:
    accumulator, deltas = feed_all(
        [
            chunk({"role": "assistant", "content": ""}),
            chunk({"content": "Hello"}),
            chunk({"content": "!"}),
            chunk({}, finish_reason="stop"),
        ]
    )
    assert [d.content for d in deltas] == [None, "Hello", "!", None]
    assert deltas[-1].finish_reason == "stop"
    completion = accumulator.completion()
    assert completion.message.content == "Hello!"
    assert completion.finish_reason == "stop"
    assert (completion.id, completion.model) == ("chatcmpl-1", "m")


@pytest.mark.parametrize("field", ["reasoning_content", "reasoning"])
def test_reasoning_in_either_spelling(field: str) -> None:
    accumulator, deltas = feed_all(
        [chunk({field: "Let me "}), chunk({field: "think."}), chunk({"content": "42"})]
    )
    assert [d.reasoning for d in deltas] == ["Let me ", "think.", None]
    assert accumulator.message().reasoning == "Let me think."
    assert accumulator.message().content == "42"


def test_reasoning_sent_in_both_spellings_is_not_doubled() -> None:
    accumulator, _ = feed_all([chunk({"reasoning_content": "x", "reasoning": "x"})])
    assert accumulator.message().reasoning == "x"


def test_deepseek_null_fields_are_ignored() -> None:
    accumulator, _ = feed_all(
        [
            chunk({"role": "assistant", "content": None, "reasoning_content": ""}),
            chunk({"content": None, "reasoning_content": "H"}),
            chunk({"content": "Hi", "reasoning_content": None}),
            chunk({"content": "", "reasoning_content": None}, finish_reason="stop"),
        ]
    )
    message = accumulator.message()
    assert (message.reasoning, message.content) == ("H", "Hi")
    assert message.extra == {}


def test_glm_role_in_every_chunk() -> None:
    accumulator, deltas = feed_all(
        [
            chunk({"role": "assistant", "reasoning_content": "\n1"}),
            chunk({"role": "assistant", "content": "4"}),
            chunk({"role": "assistant", "content": ""}, finish_reason="stop"),
        ]
    )
    message = accumulator.message()
    assert (message.reasoning, message.content) == ("\n1", "4")
    assert message.extra == {}
    assert joined(deltas, "content") == "4"


def test_content_as_a_list_of_parts() -> None:
    accumulator, deltas = feed_all([chunk({"content": [{"type": "text", "text": "Hi"}, 3]})])
    assert deltas[0].content == "Hi"
    assert accumulator.message().content == "Hi"


def test_refusal_deltas() -> None:
    accumulator, deltas = feed_all(
        [
            chunk({"role": "assistant", "content": None, "refusal": None}),
            chunk({"refusal": "I can't "}),
            chunk({"refusal": "help with that."}, finish_reason="stop"),
        ]
    )
    assert [d.refusal for d in deltas] == [None, "I can't ", "help with that."]
    assert accumulator.message().refusal == "I can't help with that."
    assert accumulator.message().content is None


def test_unknown_delta_fields_are_kept_in_extra() -> None:
    accumulator, _ = feed_all(
        [
            chunk({"reasoning": "We", "channel": "analysis"}),
            chunk(
                {
                    "role": "assistant",
                    "reasoning_details": [{"type": "reasoning.text", "text": "a"}],
                }
            ),
            chunk({"reasoning_details": []}),
            chunk({"reasoning_details": [{"type": "reasoning.text", "signature": "sig"}]}),
        ]
    )
    extra = accumulator.message().extra
    assert extra["channel"] == "analysis"
    # Each chunk's list is a piece of the whole: none is lost to a later (empty) one.
    assert extra["reasoning_details"] == [
        {"type": "reasoning.text", "text": "a"},
        {"type": "reasoning.text", "signature": "sig"},
    ]


# --- tool calls --------------------------------------------------------------------------


def tool_calls_of(deltas: list[ChunkDelta]) -> list[ToolCallDelta]:
    return [fragment for d in deltas for fragment in d.tool_calls or ()]


def test_tool_call_fragments_by_index() -> None:
    accumulator, deltas = feed_all(
        [
            chunk(
                {
                    "role": "assistant",
                    "content": None,
                    "tool_calls": [
                        call_fragment(
                            0, id="call_1", type="function", name="get_weather", arguments=""
                        )
                    ],
                }
            ),
            chunk({"tool_calls": [call_fragment(0, arguments='{"city": ')]}),
            chunk({"tool_calls": [call_fragment(0, arguments='"Shanghai"}')]}),
            chunk({}, finish_reason="tool_calls"),
        ]
    )
    fragments = tool_calls_of(deltas)
    assert fragments == [
        ToolCallDelta(index=0, id="call_1", name="get_weather", arguments=""),
        ToolCallDelta(index=0, arguments='{"city": '),
        ToolCallDelta(index=0, arguments='"Shanghai"}'),
    ]
    completion = accumulator.completion()
    (call,) = completion.message.tool_calls
    assert (call.id, call.name, call.arguments) == ("call_1", "get_weather", {"city": "Shanghai"})
    assert call.raw_arguments == '{"city": "Shanghai"}'
    assert completion.finish_reason == "tool_calls"
    assert completion.message.content is None


def test_two_parallel_calls_interleaved() -> None:
    accumulator, deltas = feed_all(
        [
            chunk({"tool_calls": [call_fragment(0, id="a", name="f", arguments='{"x"')]}),
            chunk({"tool_calls": [call_fragment(1, id="b", name="g", arguments='{"y"')]}),
            chunk({"tool_calls": [call_fragment(0, arguments=": 1}")]}),
            chunk({"tool_calls": [call_fragment(1, arguments=": 2}")]}),
        ]
    )
    calls = accumulator.message().tool_calls
    assert [(c.id, c.name, c.arguments) for c in calls] == [
        ("a", "f", {"x": 1}),
        ("b", "g", {"y": 2}),
    ]
    assert [f.index for f in tool_calls_of(deltas)] == [0, 1, 0, 1]


def test_two_fragments_in_one_chunk() -> None:
    accumulator, deltas = feed_all(
        [
            chunk(
                {
                    "tool_calls": [
                        call_fragment(0, id="a", name="f", arguments="{}"),
                        call_fragment(1, id="b", name="g", arguments="{}"),
                    ]
                }
            )
        ]
    )
    assert [f.id for f in deltas[0].tool_calls or ()] == ["a", "b"]
    assert [c.id for c in accumulator.message().tool_calls] == ["a", "b"]


def test_fragments_without_index() -> None:
    accumulator, deltas = feed_all(
        [
            chunk({"tool_calls": [call_fragment(id="a", name="f", arguments='{"x": ')]}),
            chunk({"tool_calls": [call_fragment(arguments="1}")]}),
            chunk({"tool_calls": [call_fragment(id="b", name="g", arguments="{}")]}),
            chunk({"tool_calls": [call_fragment(id="a", arguments="")]}),  # back to "a" by id
        ]
    )
    assert [(c.id, c.name, c.arguments) for c in accumulator.message().tool_calls] == [
        ("a", "f", {"x": 1}),
        ("b", "g", {}),
    ]
    assert [f.index for f in tool_calls_of(deltas)] == [0, 0, 1, 0]


def test_whole_calls_all_at_index_zero_with_different_ids() -> None:
    accumulator, deltas = feed_all(
        [
            chunk({"tool_calls": [call_fragment(0, id="a", name="f", arguments='{"n": 1}')]}),
            chunk({"tool_calls": [call_fragment(0, id="b", name="f", arguments='{"n": 2}')]}),
            chunk({"tool_calls": [call_fragment(0, id="c", name="g", arguments="{}")]}),
        ]
    )
    assert [(f.index, f.id) for f in tool_calls_of(deltas)] == [(0, "a"), (1, "b"), (2, "c")]
    assert [(c.id, c.name, c.arguments) for c in accumulator.message().tool_calls] == [
        ("a", "f", {"n": 1}),
        ("b", "f", {"n": 2}),
        ("c", "g", {}),
    ]


def test_id_repeated_in_every_fragment_is_one_call() -> None:
    accumulator, deltas = feed_all(
        [
            chunk({"tool_calls": [call_fragment(0, id="a", name="f", arguments='{"n"')]}),
            chunk({"tool_calls": [call_fragment(0, id="a", arguments=": 1}")]}),
        ]
    )
    assert [(f.index, f.id) for f in tool_calls_of(deltas)] == [(0, "a"), (0, None)]
    assert [c.arguments for c in accumulator.message().tool_calls] == [{"n": 1}]


def test_name_sent_again_is_not_doubled() -> None:
    accumulator, deltas = feed_all(
        [
            chunk({"tool_calls": [call_fragment(0, id="a", name="get_weather", arguments="{")]}),
            chunk({"tool_calls": [call_fragment(0, name="get_weather", arguments="}")]}),
        ]
    )
    assert [f.name for f in tool_calls_of(deltas)] == ["get_weather", None]
    assert accumulator.message().tool_calls[0].name == "get_weather"


def test_arguments_sent_as_an_object() -> None:
    accumulator, _ = feed_all(
        [chunk({"tool_calls": [call_fragment(0, id="a", name="f", arguments={"k": "v"})]})]
    )
    assert accumulator.message().tool_calls[0].arguments == {"k": "v"}


@pytest.mark.parametrize("arguments", ['{"city": ', "[1, 2]", "not json"])
def test_malformed_arguments_become_invalid_tool_calls(arguments: str) -> None:
    accumulator, _ = feed_all(
        [
            chunk({"tool_calls": [call_fragment(0, id="a", name="f", arguments=arguments)]}),
            chunk({"tool_calls": [call_fragment(1, id="b", name="g", arguments="{}")]}),
        ]
    )
    message = accumulator.message()
    assert [c.id for c in message.tool_calls] == ["b"]
    (invalid,) = message.invalid_tool_calls
    assert (invalid.id, invalid.name, invalid.arguments) == ("a", "f", arguments)
    assert invalid.error


def test_call_without_name_is_invalid() -> None:
    accumulator, _ = feed_all([chunk({"tool_calls": [call_fragment(0, id="a", arguments="{}")]})])
    (invalid,) = accumulator.message().invalid_tool_calls
    assert invalid.id == "a"
    assert "name" in invalid.error


# --- usage, finish, citations, errors ------------------------------------------------------

USAGE = {
    "prompt_tokens": 53,
    "completion_tokens": 15,
    "total_tokens": 68,
    "prompt_tokens_details": {"cached_tokens": 32, "audio_tokens": 0},
    "completion_tokens_details": {"reasoning_tokens": 7, "audio_tokens": 0},
    "cost": 0.01,
}


def test_usage_only_final_chunk_with_empty_choices() -> None:
    accumulator, deltas = feed_all(
        [
            chunk({"content": "Hi"}, usage=None),
            chunk({}, finish_reason="stop", usage=None),
            {"id": "chatcmpl-1", "choices": [], "usage": USAGE},
        ]
    )
    last = deltas[-1]
    assert last.usage is not None
    assert (last.content, last.finish_reason) == (None, None)
    usage = accumulator.completion().usage
    assert usage == last.usage
    assert usage == Usage(
        prompt_tokens=53,
        completion_tokens=15,
        total_tokens=68,
        cached_tokens=32,
        reasoning_tokens=7,
        extra={
            "prompt_tokens_details": USAGE["prompt_tokens_details"],
            "completion_tokens_details": USAGE["completion_tokens_details"],
            "cost": 0.01,
        },
    )
    assert accumulator.completion().finish_reason == "stop"


def test_usage_on_the_finish_chunk() -> None:
    _, deltas = feed_all([chunk({"content": "x"}, finish_reason="stop", usage=USAGE)])
    assert deltas[-1].usage is not None
    assert deltas[-1].usage.cached_tokens == 32


def test_groq_usage_inside_x_groq() -> None:
    groq_usage = {"prompt_tokens": 21, "completion_tokens": 988, "total_tokens": 1009}
    accumulator, _ = feed_all(
        [
            chunk({"content": "x"}, x_groq={"id": "req_1"}),
            chunk({}, finish_reason="stop", x_groq={"id": "req_1", "usage": groq_usage}),
        ]
    )
    usage = accumulator.completion().usage
    assert usage is not None
    assert (usage.prompt_tokens, usage.completion_tokens, usage.total_tokens) == (21, 988, 1009)


def test_usage_that_is_not_an_object_does_not_erase_earlier_usage() -> None:
    accumulator, _ = feed_all([chunk({}, usage=USAGE), chunk({}, usage="n/a")])
    assert accumulator.completion().usage is not None


def test_finish_reason_is_kept_per_choice() -> None:
    accumulator, _ = feed_all(
        [chunk({"content": "a"}, finish_reason="length"), chunk({}, finish_reason=None)]
    )
    assert accumulator.completion().finish_reason == "length"


def test_citations_from_annotations_with_role_in_the_delta() -> None:
    # OpenRouter's web-search stream: the annotations come in a delta next to role/content.
    annotation = {
        "type": "url_citation",
        "url_citation": {
            "url": "https://a.example",
            "title": "A",
            "start_index": 0,
            "end_index": 4,
            "content": "text",
        },
    }
    accumulator, deltas = feed_all(
        [
            chunk({"content": "Answer", "role": "assistant"}),
            chunk({"role": "assistant", "annotations": [annotation]}),
            chunk({"content": "", "role": "assistant", "annotations": [annotation]}),
        ]
    )
    expected = Citation(
        url="https://a.example",
        title="A",
        snippet="text",
        start_index=0,
        end_index=4,
        source="annotations",
    )
    assert [d.citations for d in deltas] == [None, [expected], None]  # the repeat is not new
    completion = accumulator.completion()
    assert completion.citations == [expected]
    assert completion.message.extra["annotations"] == [annotation, annotation]


def test_top_level_citations() -> None:
    accumulator, deltas = feed_all(
        [
            chunk({"content": "a"}, citations=["https://a.example"]),
            chunk({"content": "b"}, citations=["https://a.example", "https://b.example"]),
        ]
    )
    assert [c.url for d in deltas for c in d.citations or ()] == [
        "https://a.example",
        "https://b.example",
    ]
    assert [c.url for c in accumulator.completion().citations] == [
        "https://a.example",
        "https://b.example",
    ]


def test_citations_in_a_chunk_without_choices() -> None:
    accumulator, deltas = feed_all(
        [{"choices": [], "search_info": {"search_results": [{"url": "https://q.example"}]}}]
    )
    assert [c.url for c in deltas[0].citations or ()] == ["https://q.example"]
    assert accumulator.completion().citations[0].source == "search_info"


def test_error_inside_a_chunk_raises_stream_error() -> None:
    accumulator = StreamAccumulator()
    accumulator.feed(chunk({"content": "partial"}))
    openrouter = chunk(
        {"role": "assistant", "content": ""},
        error={"code": 400, "message": "Token limit reached"},
    )
    with pytest.raises(APIStreamError, match="Token limit reached") as info:
        accumulator.feed(openrouter)
    assert info.value.code == "400"
    assert info.value.body == openrouter
    assert accumulator.message().content == "partial"


def test_error_as_plain_text() -> None:
    with pytest.raises(APIStreamError, match="overloaded"):
        StreamAccumulator().feed({"error": "overloaded"})


@pytest.mark.parametrize("error", [1, [1], {"message": 3}, {"error": {"message": None}}, True])
def test_error_of_any_shape_raises_stream_error(error: object) -> None:
    with pytest.raises(APIStreamError):
        StreamAccumulator().feed({"error": error, "choices": []})


def test_null_error_is_not_an_error() -> None:
    accumulator, _ = feed_all([chunk({"content": "ok"}, error=None)])
    assert accumulator.message().content == "ok"


def test_n_choices_by_index() -> None:
    accumulator, deltas = feed_all(
        [
            {
                "choices": [
                    {"index": 0, "delta": {"content": "A"}},
                    {"index": 1, "delta": {"content": "B"}},
                ]
            },
            chunk({"content": "b"}, index=1, finish_reason="length"),
            chunk({"content": "a"}, index=0, finish_reason="stop"),
        ]
    )
    assert [(d.index, d.content) for d in deltas] == [(0, "A"), (1, "B"), (1, "b"), (0, "a")]
    completion = accumulator.completion()
    assert [(c.index, c.message.content, c.finish_reason) for c in completion.choices] == [
        (0, "Aa", "stop"),
        (1, "Bb", "length"),
    ]
    assert accumulator.message(1).content == "Bb"


def test_empty_stream_completion() -> None:
    completion = StreamAccumulator().completion()
    assert len(completion.choices) == 1
    assert completion.message.content is None
    assert completion.finish_reason is None


# --- inline <think> -----------------------------------------------------------------------


def test_inline_think_tags_split_when_enabled() -> None:
    pieces = ["<th", "ink>", "Let me see", ".</thi", "nk>\n\n", "Hello", "!"]
    accumulator, deltas = feed_all(
        [chunk({"content": p}) for p in pieces] + [chunk({}, finish_reason="stop")],
        inline_think_tags=True,
    )
    assert joined(deltas, "reasoning") == "Let me see."
    assert joined(deltas, "content") == "Hello!"
    assert all("<" not in (d.content or "") + (d.reasoning or "") for d in deltas)
    message = accumulator.message()
    assert (message.reasoning, message.content) == ("Let me see.", "Hello!")


def test_inline_think_tags_left_alone_when_disabled() -> None:
    accumulator, _ = feed_all([chunk({"content": "<think>x</think>y"})])
    assert accumulator.message().content == "<think>x</think>y"
    assert accumulator.message().reasoning is None


def test_held_text_is_released_by_finish() -> None:
    accumulator = StreamAccumulator(inline_think_tags=True)
    assert accumulator.feed(chunk({"content": "<thi"}))[0].content is None
    (tail,) = accumulator.finish()
    assert tail.content == "<thi"
    assert accumulator.message().content == "<thi"


def test_reasoning_field_bypasses_the_splitter() -> None:
    accumulator, _ = feed_all(
        [chunk({"reasoning_content": "r", "content": "<think>c</think>"})], inline_think_tags=True
    )
    assert (accumulator.message().reasoning, accumulator.message().content) == (
        "r",
        "<think>c</think>",
    )


# --- properties ---------------------------------------------------------------------------

_text = st.text(max_size=6)
_json_values = st.none() | st.booleans() | st.integers(-5, 5) | st.text(max_size=4)
_arguments = st.dictionaries(st.text(max_size=4), _json_values, max_size=3).map(
    lambda d: json.dumps(d, ensure_ascii=False)
) | st.sampled_from(['{"a": ', "[1]", "", "nope"])


def split_text(draw: Callable[[st.SearchStrategy[list[int]]], list[int]], text: str) -> list[str]:
    cuts = sorted(draw(st.lists(st.integers(0, len(text)), max_size=4)))
    return [text[a:b] for a, b in zip([0, *cuts], [*cuts, len(text)], strict=True)]


def interleave(rng: Any, queues: list[list[Any]]) -> list[Any]:
    """Merge queues at random, keeping each queue's own order."""
    queues = [list(q) for q in queues if q]
    out: list[Any] = []
    while queues:
        queue = rng.choice(queues)
        out.append(queue.pop(0))
        if not queue:
            queues.remove(queue)
    return out


@st.composite
def choice_deltas(
    draw: st.DrawFn, choice: int, style: str, reasoning_field: str
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """One choice's deltas in stream order, and its non-streamed message."""
    rng = draw(st.randoms(use_true_random=False))
    content = draw(st.lists(_text, max_size=4))
    reasoning = draw(st.lists(_text, max_size=3))
    calls = [
        (f"call_{choice}_{k}", draw(st.sampled_from(["f", "g"])), draw(_arguments))
        for k in range(draw(st.integers(0, 3)))
    ]
    fragments: list[list[dict[str, Any]]] = []
    for k, (call_id, name, arguments) in enumerate(calls):
        if style == "whole":
            fragments.append([call_fragment(0, id=call_id, name=name, arguments=arguments)])
            continue
        index = k if style == "indexed" else None
        pieces = split_text(draw, arguments)
        frags = [call_fragment(index, id=call_id, type="function", name=name, arguments=pieces[0])]
        for piece in pieces[1:]:
            frags.append(call_fragment(index, arguments=piece))
            if draw(st.integers(0, 3)) == 0:
                frags[-1]["function"]["name"] = name  # some vendors send it again
        fragments.append(frags)
    if style == "indexed":
        # Parallel calls interleave, each starting after the one before it started.
        tool_deltas: list[dict[str, Any]] = []
        started = 0
        rests = [frags[1:] for frags in fragments]
        while started < len(fragments) or any(rests):
            options = [k for k in range(started) if rests[k]]
            if started < len(fragments):
                options.append(-1)
            pick = rng.choice(options)
            if pick == -1:
                tool_deltas.append({"tool_calls": [fragments[started][0]]})
                started += 1
            else:
                tool_deltas.append({"tool_calls": [rests[pick].pop(0)]})
    else:  # without an index, or a whole call per chunk: one call after the other
        tool_deltas = [{"tool_calls": [f]} for frags in fragments for f in frags]
    deltas = interleave(
        rng,
        [[{reasoning_field: r} for r in reasoning], [{"content": c} for c in content], tool_deltas],
    )
    wire_calls = [
        {"id": i, "type": "function", "function": {"name": f, "arguments": a}} for i, f, a in calls
    ]
    message = {
        "role": "assistant",
        "content": "".join(content) or None,
        "reasoning_content": "".join(reasoning) or None,
        "tool_calls": wire_calls or None,
    }
    return deltas, message


@st.composite
def streams(draw: st.DrawFn) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """A chunk sequence and the non-streamed body it is equivalent to."""
    rng = draw(st.randoms(use_true_random=False))
    style = draw(st.sampled_from(["indexed", "whole", "no_index"]))
    reasoning_field = draw(st.sampled_from(["reasoning_content", "reasoning"]))
    glm_role = draw(st.booleans())
    per_choice: list[list[dict[str, Any]]] = []
    body_choices: list[dict[str, Any]] = []
    for choice in range(draw(st.integers(1, 2))):
        deltas, message = draw(choice_deltas(choice, style, reasoning_field))
        finish = draw(st.sampled_from(["stop", "length", "tool_calls"]))
        role = {"role": "assistant"} if glm_role else {}
        per_choice.append(
            [chunk({**role, **d}, index=choice) for d in deltas]
            + [chunk(role, index=choice, finish_reason=finish)]
        )
        body_choices.append({"index": choice, "message": message, "finish_reason": finish})
    chunks = interleave(rng, per_choice)
    usage = {
        "prompt_tokens": draw(st.integers(0, 100)),
        "completion_tokens": draw(st.integers(0, 100)),
        "total_tokens": draw(st.integers(0, 200)),
        "prompt_tokens_details": {"cached_tokens": draw(st.integers(0, 50))},
        "completion_tokens_details": {"reasoning_tokens": draw(st.integers(0, 50))},
    }
    if draw(st.booleans()):
        chunks.append({"id": "chatcmpl-1", "choices": [], "usage": usage})
    else:
        chunks[-1]["usage"] = usage
    body = {"id": "chatcmpl-1", "model": "m", "choices": body_choices, "usage": usage}
    return chunks, body


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=streams())
def test_deltas_add_up_to_the_final_message(case: tuple[list[dict[str, Any]], Any]) -> None:
    chunks, _ = case
    accumulator, deltas = feed_all(chunks)
    for choice in accumulator.completion().choices:
        mine = [d for d in deltas if d.index == choice.index]
        message = choice.message
        assert (joined(mine, "content") or None) == message.content
        assert (joined(mine, "reasoning") or None) == message.reasoning
        emitted: dict[int, list[ToolCallDelta]] = {}
        for fragment in tool_calls_of(mine):
            emitted.setdefault(fragment.index, []).append(fragment)
        assert sorted(emitted) == list(range(len(emitted)))
        finals: list[ToolCall | InvalidToolCall] = [
            *message.tool_calls,
            *message.invalid_tool_calls,
        ]
        assert len(finals) == len(emitted)
        by_id = {c.id: c for c in finals}
        for fragments in emitted.values():
            ids = [f.id for f in fragments if f.id]
            names = [f.name for f in fragments if f.name]
            assert len(ids) == 1
            assert len(names) == 1
            final = by_id[ids[0]]
            assert final.name == names[0]
            raw = final.raw_arguments if isinstance(final, ToolCall) else final.arguments
            assert "".join(f.arguments for f in fragments) == raw


def summary(completion: ChatCompletion) -> list[Any]:
    return [
        [
            (
                c.index,
                c.message.content,
                c.message.reasoning,
                [(t.id, t.name, t.arguments, t.raw_arguments) for t in c.message.tool_calls],
                [(t.id, t.name, t.arguments) for t in c.message.invalid_tool_calls],
                c.finish_reason,
            )
            for c in completion.choices
        ],
        completion.usage,
        completion.id,
        completion.model,
    ]


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=streams())
def test_stream_completion_equals_the_non_streamed_parse(
    case: tuple[list[dict[str, Any]], Any],
) -> None:
    chunks, body = case
    accumulator, _ = feed_all(chunks)
    assert summary(accumulator.completion()) == summary(parse_completion(body))


@settings(max_examples=100, deadline=None)
@given(
    text=st.lists(
        st.sampled_from(["<think>", "</think>", "<th", "ink>", " ", "a", "\n"]) | _text, max_size=8
    ).map("".join),
    data=st.data(),
)
def test_inline_think_stream_equals_the_non_streamed_parse(text: str, data: st.DataObject) -> None:
    pieces = split_text(data.draw, text)
    accumulator, deltas = feed_all(
        [chunk({"content": p}) for p in pieces] + [chunk({}, finish_reason="stop")],
        inline_think_tags=True,
    )
    body = {"choices": [{"message": {"content": text or None}, "finish_reason": "stop"}]}
    expected = parse_completion(body, inline_think_tags=True).message
    message = accumulator.message()
    assert (message.content or None) == (expected.content or None)
    assert (message.reasoning or None) == (expected.reasoning or None)
    assert (joined(deltas, "content") or None) == message.content
    assert (joined(deltas, "reasoning") or None) == (message.reasoning or None)


# --- garbage in: a correct result or a typed error, never an AttributeError ----------------

_KEYS = [
    "choices", "delta", "index", "content", "reasoning", "reasoning_content", "role",
    "tool_calls", "function", "name", "arguments", "id", "type", "refusal", "annotations",
    "url_citation", "url", "title", "finish_reason", "usage", "prompt_tokens",
    "prompt_tokens_details", "cached_tokens", "citations", "search_info", "search_results",
    "logprobs", "x_groq", "model", "system_fingerprint", "text",
]  # fmt: skip
_scalars = (
    st.none()
    | st.booleans()
    | st.integers(-3, 3)
    | st.floats(allow_nan=False)
    | st.text(max_size=3)
)
_garbage = st.recursive(
    _scalars,
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.sampled_from(_KEYS) | st.text(max_size=2), inner, max_size=4)
    ),
    max_leaves=10,
)


def _maybe(valid: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return valid | _garbage


_fragments = st.fixed_dictionaries(
    {},
    optional={
        "index": _maybe(st.integers(0, 2)),
        "id": _maybe(st.sampled_from(["a", "b"])),
        "type": _garbage,
        "function": _maybe(
            st.fixed_dictionaries(
                {}, optional={"name": _maybe(st.just("f")), "arguments": _maybe(_text)}
            )
        ),
    },
)
_deltas = st.fixed_dictionaries(
    {},
    optional={
        "role": _garbage,
        "content": _maybe(_text),
        "reasoning_content": _maybe(_text),
        "reasoning": _maybe(_text),
        "refusal": _maybe(_text),
        "tool_calls": _maybe(st.lists(_maybe(_fragments), max_size=2)),
        "annotations": _garbage,
        "channel": _garbage,
    },
)
_choices = st.fixed_dictionaries(
    {},
    optional={
        "index": _maybe(st.integers(0, 1)),
        "delta": _maybe(_deltas),
        "finish_reason": _maybe(st.just("stop")),
        "logprobs": _garbage,
    },
)
_chunks = st.fixed_dictionaries(
    {},
    optional={
        "id": _garbage,
        "model": _garbage,
        "system_fingerprint": _garbage,
        "choices": _maybe(st.lists(_maybe(_choices), max_size=2)),
        "usage": _garbage,
        "x_groq": _garbage,
        "citations": _garbage,
        "search_info": _garbage,
    },
)


def _check_types(completion: ChatCompletion) -> None:
    assert completion.id is None or isinstance(completion.id, str)
    assert completion.model is None or isinstance(completion.model, str)
    assert completion.usage is None or isinstance(completion.usage, Usage)
    for choice in completion.choices:
        assert isinstance(choice.index, int)
        assert choice.finish_reason is None or isinstance(choice.finish_reason, str)
        message = choice.message
        for text in (message.content, message.reasoning, message.refusal):
            assert text is None or isinstance(text, str)
        assert all(isinstance(c.name, str) for c in message.tool_calls)
        assert all(isinstance(c.arguments, dict) for c in message.tool_calls)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(chunks=st.lists(_chunks, max_size=4))
def test_garbage_gives_a_result_or_a_typed_error(chunks: list[dict[str, Any]]) -> None:
    accumulator = StreamAccumulator(inline_think_tags=True)
    try:
        for item in chunks:
            for delta in accumulator.feed(item):
                assert delta.content is None or isinstance(delta.content, str)
                assert delta.reasoning is None or isinstance(delta.reasoning, str)
                assert all(isinstance(f.arguments, str) for f in delta.tool_calls or ())
        accumulator.finish()
    except MixrouteError:
        pass
    _check_types(accumulator.completion())


# --- reading the answer so far after every chunk ------------------------------------------


def test_message_read_after_every_chunk_is_the_answer_so_far() -> None:
    # A stream reader (LlamaIndex's responses) reads message() after each chunk: the text
    # is joined from the pieces since the last read, and only changed calls parsed again.
    chunks = [
        chunk({"role": "assistant", "reasoning_content": "Let "}),
        chunk({"reasoning_content": "me see."}),
        chunk({"content": "It "}),
        chunk({"tool_calls": [call_fragment(0, id="call_1", name="f", arguments='{"a"')]}),
        chunk({"content": "is "}),
        chunk({"tool_calls": [call_fragment(0, arguments=": 1}")]}),
        chunk({"tool_calls": [call_fragment(1, id="call_2", name="g", arguments="{}")]}),
        chunk({"content": "done."}),
        chunk({"refusal": "no"}),
        chunk(finish_reason="tool_calls"),
        {"id": "chatcmpl-1", "choices": [], "usage": {"prompt_tokens": 1, "total_tokens": 2}},
    ]
    accumulator = StreamAccumulator()
    deltas: list[ChunkDelta] = []
    for item in chunks:
        deltas.extend(accumulator.feed(item))
        message = accumulator.message()
        assert message.content == (joined(deltas, "content") or None)
        assert message.reasoning == (joined(deltas, "reasoning") or None)
        assert message.refusal == (joined(deltas, "refusal") or None)
        arguments: dict[int, str] = {}
        for delta in deltas:
            for fragment in delta.tool_calls or ():
                arguments[fragment.index] = arguments.get(fragment.index, "") + fragment.arguments
        seen = [c.raw_arguments for c in message.tool_calls]
        seen += [c.arguments for c in message.invalid_tool_calls]
        assert sorted(seen, key=str) == sorted(arguments.values(), key=str)
    final = accumulator.message()
    assert [(c.id, c.name, c.arguments) for c in final.tool_calls] == [
        ("call_1", "f", {"a": 1}),
        ("call_2", "g", {}),
    ]
    assert final.invalid_tool_calls == []
    assert final == feed_all(chunks)[0].message()  # read once at the end: the same answer


def test_a_call_read_while_partial_is_parsed_again_when_it_grows() -> None:
    accumulator = StreamAccumulator()
    accumulator.feed(chunk({"tool_calls": [call_fragment(0, id="c", name="f", arguments='{"a":')]}))
    [partial] = accumulator.message().invalid_tool_calls
    assert partial.arguments == '{"a":'
    accumulator.feed(chunk({"tool_calls": [call_fragment(0, arguments=" 2}")]}))
    message = accumulator.message()
    assert message.invalid_tool_calls == []
    assert [(c.arguments, c.raw_arguments) for c in message.tool_calls] == [({"a": 2}, '{"a": 2}')]


def test_arguments_still_arriving_are_not_parsed_until_the_answer_ends() -> None:
    # Parsing unfinished arguments on every read would scan them each time: a call whose
    # text cannot be a whole object yet is shown as arriving, and parsed once it ends.
    accumulator = StreamAccumulator()
    accumulator.feed(
        chunk({"tool_calls": [call_fragment(0, id="c", name="f", arguments='{"a": "x')]})
    )
    [arriving] = accumulator.message().invalid_tool_calls
    assert (arriving.arguments, arriving.error) == ('{"a": "x', ARGUMENTS_ARRIVING)
    accumulator.feed(chunk(finish_reason="length"))  # cut off: now it is parsed
    [cut] = accumulator.message().invalid_tool_calls
    assert cut.arguments == '{"a": "x'
    assert cut.error.startswith("Arguments are not valid JSON")


def test_a_stream_ending_without_finish_reason_parses_its_calls() -> None:
    accumulator = StreamAccumulator()
    accumulator.feed(chunk({"tool_calls": [call_fragment(0, id="c", name="f", arguments="oops")]}))
    assert accumulator.message().invalid_tool_calls[0].error == ARGUMENTS_ARRIVING
    accumulator.finish()
    assert accumulator.message().invalid_tool_calls[0].error.startswith("Arguments are not valid")
