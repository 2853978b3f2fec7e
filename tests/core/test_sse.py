"""Specification of mixroute.sse: the incremental server-sent-events decoder."""

from __future__ import annotations

import tracemalloc
from collections.abc import Iterable, Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mixroute.sse import LineTooLong, ServerSentEvent, SSEDecoder

KiB = 1024
MiB = 1024 * KiB


def decode(*chunks: bytes) -> list[ServerSentEvent]:
    decoder = SSEDecoder()
    events: list[ServerSentEvent] = []
    for chunk in chunks:
        events.extend(decoder.feed(chunk))
    events.extend(decoder.flush())
    return events


def decode_with(decoder: SSEDecoder, chunks: list[bytes]) -> list[ServerSentEvent]:
    events = [event for chunk in chunks for event in decoder.feed(chunk)]
    return events + decoder.flush()


def datas(events: list[ServerSentEvent]) -> list[str]:
    return [event.data for event in events]


# --- line ends ---------------------------------------------------------------------------


def test_lf_line_ends() -> None:
    assert datas(decode(b"data: a\n\ndata: b\n\n")) == ["a", "b"]


def test_crlf_line_ends() -> None:
    assert datas(decode(b"data: a\r\n\r\ndata: b\r\n\r\n")) == ["a", "b"]


def test_lone_cr_line_ends() -> None:
    assert datas(decode(b"data: a\r\rdata: b\r\r")) == ["a", "b"]


def test_crlf_split_between_chunks_is_one_line_end() -> None:
    # If the LF after a chunk-final CR were taken as a second line end, the blank line
    # would dispatch "a" early and "b" would become its own event.
    decoder = SSEDecoder()
    assert decoder.feed(b"data: a\r") == []
    assert decoder.feed(b"\ndata: b\r") == []
    assert datas(decoder.feed(b"\n\r\n")) == ["a\nb"]


def test_cr_at_chunk_end_followed_by_data_is_a_line_end() -> None:
    decoder = SSEDecoder()
    assert decoder.feed(b"data: a\r") == []
    assert datas(decoder.feed(b"\r")) == ["a"]
    assert datas(decoder.feed(b"data: b\r\r")) == ["b"]


def test_event_is_only_dispatched_by_a_blank_line() -> None:
    decoder = SSEDecoder()
    assert decoder.feed(b"data: a\n") == []
    assert datas(decoder.feed(b"\n")) == ["a"]


# --- fields -------------------------------------------------------------------------------


def test_multi_line_data_is_joined_with_lf() -> None:
    assert datas(decode(b"data: one\ndata: two\ndata:\ndata: three\n\n")) == ["one\ntwo\n\nthree"]


def test_comments_and_keep_alives_are_ignored() -> None:
    stream = (
        b": OPENROUTER PROCESSING\n\n"
        b": OPENROUTER PROCESSING\n\n"
        b'data: {"x": 1}\n'
        b": a comment inside an event\n"
        b"\n"
        b":\n\n"
    )
    assert decode(stream) == [ServerSentEvent(data='{"x": 1}')]


def test_event_id_and_retry_fields() -> None:
    stream = b"event: error\nid: 42\nretry: 1500\ndata: boom\n\ndata: next\n\n"
    first, second = decode(stream)
    assert first == ServerSentEvent(data="boom", event="error", id="42", retry=1500)
    # The event type is per event; the last event id carries over (WHATWG rules).
    assert second.event == "message"
    assert second.id == "42"
    assert second.data == "next"


def test_retry_that_is_not_a_number_is_ignored() -> None:
    (event,) = decode(b"retry: soon\ndata: x\n\n")
    assert event.retry is None


def test_id_with_nul_is_ignored() -> None:
    (event,) = decode(b"id: a\x00b\ndata: x\n\n")
    assert event.id is None


def test_unknown_fields_are_ignored() -> None:
    assert decode(b"foo: bar\ndata: x\nbaz\n\n") == [ServerSentEvent(data="x")]


def test_bom_at_start_is_dropped() -> None:
    assert decode(b"\xef\xbb\xbfdata: a\n\n") == [ServerSentEvent(data="a")]


def test_bom_split_across_chunks_is_dropped() -> None:
    assert decode(b"\xef", b"\xbb", b"\xbfdata: a\n\n") == [ServerSentEvent(data="a")]


def test_only_the_first_bom_is_dropped() -> None:
    # A BOM later in the stream is part of a line, so that line's field is unknown.
    assert decode(b"data: a\n\n\xef\xbb\xbfdata: b\n\n") == [ServerSentEvent(data="a")]


def test_field_with_no_colon_is_a_field_with_empty_value() -> None:
    assert datas(decode(b"data\n\n")) == [""]
    assert decode(b"event\ndata: x\n\n") == [ServerSentEvent(data="x", event="message")]


def test_data_without_space_after_colon() -> None:
    assert datas(decode(b"data:{}\n\n")) == ["{}"]


def test_only_one_leading_space_is_dropped() -> None:
    assert datas(decode(b"data:  two spaces\n\n")) == [" two spaces"]


def test_blank_lines_without_data_dispatch_nothing() -> None:
    assert decode(b"\n\n\nevent: ping\n\n") == []


def test_flush_dispatches_a_final_event_without_blank_line() -> None:
    decoder = SSEDecoder()
    assert decoder.feed(b"data: a\n\ndata: [DONE]") == [ServerSentEvent(data="a")]
    assert decoder.flush() == [ServerSentEvent(data="[DONE]")]


def test_flush_dispatches_a_final_terminated_line_without_blank_line() -> None:
    decoder = SSEDecoder()
    assert decoder.feed(b"data: last\n") == []
    assert decoder.flush() == [ServerSentEvent(data="last")]


def test_flush_of_empty_stream_is_empty() -> None:
    assert SSEDecoder().flush() == []


def test_multibyte_characters_split_between_chunks() -> None:
    raw = "data: 你好 🙂\n\n".encode()
    assert datas(decode(*(raw[i : i + 1] for i in range(len(raw))))) == ["你好 🙂"]


# --- limits and linear time -----------------------------------------------------------------


def test_the_default_limit_fits_a_large_image() -> None:
    assert SSEDecoder().max_line_bytes == 32 * MiB


def _unterminated(total: int, piece: int) -> Iterator[bytes]:
    """``total`` bytes of one line without an end, as separate objects of ``piece`` bytes."""
    yield b"data: " + b"x" * (piece - 6)
    for _ in range(total // piece - 1):
        yield b"x" * piece


def feed_all(decoder: SSEDecoder, reads: Iterable[bytes]) -> None:
    for read in reads:
        decoder.feed(read)


def test_a_line_without_end_stops_at_the_limit() -> None:
    decoder = SSEDecoder(max_line_bytes=MiB)
    reads = _unterminated(40 * MiB, 64 * KiB)
    with pytest.raises(LineTooLong) as info:
        feed_all(decoder, reads)
    # Raised on the read that took the pending line past 1 MiB, not at the end of 40 MiB.
    assert 640 - sum(1 for _ in reads) == 17
    assert info.value.limit == MiB
    assert f"{MiB} bytes" in str(info.value)


def test_a_line_without_end_at_the_default_limit_holds_at_most_the_limit() -> None:
    decoder = SSEDecoder()
    tracemalloc.start()
    try:
        with pytest.raises(LineTooLong):
            feed_all(decoder, _unterminated(40 * MiB, 64 * KiB))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 1.1 * decoder.max_line_bytes, f"peak {peak / MiB:.1f} MiB"


@pytest.mark.parametrize("split", [False, True])
def test_a_line_of_exactly_the_limit_is_accepted_and_one_byte_more_is_not(split: bool) -> None:
    line = b"data: " + b"x" * 94  # 100 bytes
    reads = [line[:50], line[50:] + b"\n\n"] if split else [line + b"\n\n"]
    assert datas(decode_with(SSEDecoder(max_line_bytes=100), reads)) == ["x" * 94]
    with pytest.raises(LineTooLong):
        decode_with(SSEDecoder(max_line_bytes=99), reads)


def test_a_long_line_inside_a_read_of_many_lines_is_refused() -> None:
    reads = [b"data: a\n\n" + b"data: " + b"y" * 200 + b"\n\ndata: b\n\n"]
    with pytest.raises(LineTooLong):
        decode_with(SSEDecoder(max_line_bytes=100), reads)


def test_an_event_of_many_short_data_lines_stops_at_the_limit() -> None:
    decoder = SSEDecoder(max_line_bytes=1000)
    with pytest.raises(LineTooLong, match="an event's data") as info:
        feed_all(decoder, [b"data: 0123456789\n"] * 200)
    assert info.value.limit == 1000


def test_data_lines_of_many_events_do_not_add_up() -> None:
    decoder = SSEDecoder(max_line_bytes=1000)
    events = [e for _ in range(200) for e in decoder.feed(b"data: 0123456789\ndata: x\n\n")]
    assert len(events) == 200


def test_a_long_line_costs_memory_linear_in_its_length() -> None:
    # The old decoder joined the pending line and the new read on every read, so a line
    # of n reads allocated about n * n / 2 reads' worth (32 MiB in 64 KiB reads: 8 GiB,
    # about 15 s). Counted here: the bytes each feed allocates (tracemalloc's peak over
    # the call), summed over the line; each read may be copied a bounded number of times.
    total, piece = 32 * MiB, 64 * KiB
    reads = [*_unterminated(total, piece), b"\n\n"]
    decoder = SSEDecoder()  # a 32 MiB line is just within the default limit
    allocated = 0
    events: list[ServerSentEvent] = []
    tracemalloc.start()
    try:
        for read in reads:
            tracemalloc.reset_peak()
            before = tracemalloc.get_traced_memory()[0]
            events += decoder.feed(read)
            allocated += tracemalloc.get_traced_memory()[1] - before
    finally:
        tracemalloc.stop()
    assert [len(event.data) for event in events] == [total - 6]
    # The line is joined once (32 MiB) and decoded once (32 MiB), and nothing more.
    assert allocated < 2.5 * total, f"{allocated / MiB:.0f} MiB allocated"


# --- property: any partition of the byte stream decodes the same ---------------------------

_LINE_ENDS = (b"\n", b"\r\n", b"\r")

# Data lines may hold any text but line-end characters (which the encoding splits on).
_line_text = st.text(
    alphabet=st.characters(codec="utf-8", exclude_characters="\r\n"),
    max_size=20,
)
_field_text = st.text(
    alphabet=st.characters(codec="utf-8", exclude_characters="\r\n\x00"),
    min_size=1,
    max_size=10,
)


@st.composite
def event_lists(draw: st.DrawFn) -> tuple[list[ServerSentEvent], bytes]:
    """Events and an encoding of them with random line ends, comments and a BOM."""
    events: list[ServerSentEvent] = []
    out = bytearray(b"\xef\xbb\xbf" if draw(st.booleans()) else b"")
    event_id: str | None = None
    for _ in range(draw(st.integers(0, 5))):
        lines = draw(st.lists(_line_text, min_size=1, max_size=3))
        name = draw(st.none() | _field_text.filter(lambda s: s[0] not in " :"))
        new_id = draw(st.none() | _field_text.filter(lambda s: s[0] not in " :"))
        parts: list[str] = []
        if draw(st.booleans()):
            parts.append(": keep-alive")
        if name is not None:
            parts.append(f"event: {name}")
        if new_id is not None:
            parts.append(f"id: {new_id}")
            event_id = new_id
        for line in lines:
            # "data:x" is "data: x"; only a value starting with a space needs the space.
            spaced = line.startswith(" ") or draw(st.booleans())
            parts.append(f"data: {line}" if spaced else f"data:{line}")
        end = b""
        for part in parts:
            end = draw(st.sampled_from(_LINE_ENDS))
            out += part.encode() + end
        # A CR then an LF is one CRLF, so after a lone CR the blank line cannot be an LF.
        out += draw(st.sampled_from(_LINE_ENDS[1:] if end == b"\r" else _LINE_ENDS))
        events.append(ServerSentEvent("\n".join(lines), name or "message", event_id))
    return events, bytes(out)


@settings(max_examples=200, deadline=None)
@given(case=event_lists(), data=st.data())
def test_any_split_of_the_bytes_gives_the_same_events(
    case: tuple[list[ServerSentEvent], bytes], data: st.DataObject
) -> None:
    expected, raw = case
    assert decode(raw) == expected
    cuts = sorted(data.draw(st.lists(st.integers(0, len(raw)), max_size=12)))
    pieces = [raw[a:b] for a, b in zip([0, *cuts], [*cuts, len(raw)], strict=True)]
    assert decode(*pieces) == expected


@settings(max_examples=100, deadline=None)
@given(case=event_lists())
def test_byte_by_byte_gives_the_same_events(case: tuple[list[ServerSentEvent], bytes]) -> None:
    expected, raw = case
    assert decode(*(raw[i : i + 1] for i in range(len(raw)))) == expected


def _outcome(decoder: SSEDecoder, pieces: list[bytes]) -> list[ServerSentEvent] | str:
    try:
        return decode_with(decoder, pieces)
    except LineTooLong:
        return "too long"


@settings(max_examples=100, deadline=None)
@given(case=event_lists(), limit=st.integers(1, 60), data=st.data())
def test_the_limit_does_not_depend_on_how_the_bytes_are_split(
    case: tuple[list[ServerSentEvent], bytes], limit: int, data: st.DataObject
) -> None:
    _, raw = case
    cuts = sorted(data.draw(st.lists(st.integers(0, len(raw)), max_size=12)))
    pieces = [raw[a:b] for a, b in zip([0, *cuts], [*cuts, len(raw)], strict=True)]
    whole = _outcome(SSEDecoder(max_line_bytes=limit), [raw])
    assert _outcome(SSEDecoder(max_line_bytes=limit), pieces) == whole
