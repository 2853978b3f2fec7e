"""Specification of mixroute.jsonsafe: JSON nested too deep is a typed error, never a crash."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from typing import Any

import pytest
from support.local_server import LocalServer, Reply

from mixroute import (
    APIResponseValidationError,
    AuthenticationError,
    BadRequestError,
    MixrouteClient,
)
from mixroute.jsonsafe import MAX_DEPTH, JSONTooDeep, loads

DEEP = 100_000
KEY = "sk-jsonsafe-0123456789abcdef"
MESSAGES = [{"role": "user", "content": "hi"}]


def nested(depth: int, inner: str = "1") -> str:
    return "[" * depth + inner + "]" * depth


# --- loads --------------------------------------------------------------------------------


@pytest.mark.parametrize("as_bytes", [False, True], ids=["str", "bytes"])
def test_arrays_nested_100_000_deep_are_too_deep(as_bytes: bool) -> None:
    text = "[" * DEEP
    with pytest.raises(JSONTooDeep, match=f"deeper than {MAX_DEPTH} levels"):
        loads(text.encode() if as_bytes else text)
    with pytest.raises(JSONTooDeep):
        loads(nested(DEEP))


def test_objects_nested_100_000_deep_are_too_deep() -> None:
    with pytest.raises(JSONTooDeep):
        loads('{"a":' * DEEP + "1" + "}" * DEEP)


def test_too_deep_is_a_value_error_so_bad_json_handlers_catch_it() -> None:
    assert issubclass(JSONTooDeep, ValueError)


def test_the_cap_is_inclusive() -> None:
    assert loads(nested(MAX_DEPTH)) == json.loads(nested(MAX_DEPTH))
    with pytest.raises(JSONTooDeep):
        loads(nested(MAX_DEPTH + 1))


def test_brackets_inside_strings_do_not_count() -> None:
    brackets = "[" * DEEP + "{" * DEEP
    assert loads(json.dumps([brackets])) == [brackets]
    assert loads(json.dumps({brackets: brackets})) == {brackets: brackets}
    # An escaped quote does not end the string: what follows it is still inside.
    tricky = '\\"' + "[" * DEEP + "\\\\"
    assert loads(f'["{tricky}"]') == [json.loads(f'"{tricky}"')]


def test_many_brackets_at_a_shallow_depth_parse() -> None:
    wide = json.dumps([[[i]] for i in range(5_000)])  # 15,001 brackets, 3 levels
    assert loads(wide) == json.loads(wide)
    assert loads(wide.encode()) == json.loads(wide)


def test_valid_json_nested_just_under_the_cap_with_strings_and_objects() -> None:
    value: Any = "[{]}"
    for level in range(MAX_DEPTH - 1):
        value = {"k": value} if level % 2 else [value, "]"]
    text = json.dumps(value)
    assert loads(text) == value
    assert loads(text.encode("utf-16")) == value  # bytes: decoded the way json.loads does


@pytest.mark.parametrize(
    "text",
    ['["' + "[" * DEEP, "]" * DEEP + "[" * 10, '"' * (DEEP + 1) + "[" * 300],
    ids=["unterminated-string", "closing-first", "quotes"],
)
def test_malformed_json_that_is_not_deep_is_a_plain_decode_error(text: str) -> None:
    with pytest.raises(json.JSONDecodeError):
        loads(text)


def test_small_texts_parse_like_json_loads() -> None:
    chunk = '{"id":"c1","choices":[{"index":0,"delta":{"content":"Hel"}}]}'
    assert loads(chunk) == json.loads(chunk)
    assert loads(chunk.encode()) == json.loads(chunk)
    with pytest.raises(json.JSONDecodeError):
        loads("{")


def test_with_little_stack_left_it_is_too_deep_or_parsed_never_a_recursion_error() -> None:
    # json's C parser recurses on the caller's stack: with little of it left, JSON under
    # the cap can run out of it; that too must come out typed.
    outcomes: list[str] = []

    def at_depth(levels: int) -> None:
        if levels:
            at_depth(levels - 1)
            return
        try:
            loads(nested(MAX_DEPTH))
            outcomes.append("parsed")
        except JSONTooDeep:
            outcomes.append("too deep")

    here = len(_frames())
    try:
        at_depth(sys.getrecursionlimit() - here - MAX_DEPTH // 2)
    except RecursionError:  # pragma: no cover - the walk down itself, not loads
        pytest.skip("could not reach the stack depth wanted")
    assert outcomes in (["parsed"], ["too deep"])


def _frames() -> list[object]:
    frame = sys._getframe()
    frames: list[object] = []
    while frame is not None:
        frames.append(frame)
        frame = frame.f_back  # type: ignore[assignment]
    return frames


# --- through the client -------------------------------------------------------------------


@pytest.fixture
def server() -> Iterator[LocalServer]:
    with LocalServer() as running:
        yield running


def reply_with(server: LocalServer, reply: Reply) -> MixrouteClient:
    server.respond = lambda _request: reply
    return MixrouteClient(api_key=KEY, base_url=server.base_url, max_retries=0)


def sse_chunk(content: str) -> bytes:
    chunk = {
        "id": "c1",
        "object": "chat.completion.chunk",
        "model": "gpt-4o",
        "choices": [{"index": 0, "delta": {"content": content}, "finish_reason": None}],
    }
    return b"data: " + json.dumps(chunk).encode() + b"\n\n"


def test_a_200_body_nested_100_000_deep_is_a_validation_error(server: LocalServer) -> None:
    client = reply_with(server, Reply(200, "[" * DEEP, {"Content-Type": "application/json"}))
    with client, pytest.raises(APIResponseValidationError, match="nested deeper than"):
        client.create("gpt-4o", MESSAGES)


def test_a_stream_chunk_nested_too_deep_fails_after_what_came_before(server: LocalServer) -> None:
    body = sse_chunk("Hel") + sse_chunk("lo") + b"data: " + b"[" * DEEP + b"\n\n"
    client = reply_with(server, Reply(200, body, {"Content-Type": "text/event-stream"}))
    pieces: list[str] = []

    def read_all() -> None:
        with client.stream("gpt-4o", MESSAGES) as stream:
            pieces.extend(delta.content or "" for delta in stream)

    with client, pytest.raises(APIResponseValidationError) as caught:
        read_all()
    assert "".join(pieces) == "Hello"
    assert caught.value.partial is not None
    assert caught.value.partial.content == "Hello"


def test_a_400_body_nested_100_000_deep_is_a_bad_request(server: LocalServer) -> None:
    client = reply_with(server, Reply(400, "[" * DEEP, {"Content-Type": "application/json"}))
    with client, pytest.raises(BadRequestError) as caught:
        client.create("gpt-4o", MESSAGES)
    assert caught.value.status_code == 400
    assert "[[[[" in caught.value.message
    assert isinstance(caught.value.body, str)  # kept as the raw text


def test_a_valid_error_body_900_deep_keeps_its_status_and_loses_the_key(
    server: LocalServer,
) -> None:
    escaped = "".join(f"\\u{ord(char):04x}" for char in KEY)
    body = '{"error": {"message": "bad key ' + escaped + '", "deep": ' + nested(900) + "}}"
    client = reply_with(server, Reply(401, body, {"Content-Type": "application/json"}))
    with client, pytest.raises(AuthenticationError) as caught:
        client.create("gpt-4o", MESSAGES)
    error = caught.value
    assert error.status_code == 401
    texts = [str(error), repr(error), repr(error.body), error.response.text]
    texts.append(error.response.content.decode())
    for text in texts:
        assert KEY not in text
        assert KEY[-8:] not in text
        assert escaped not in text
    assert "**********" in error.response.text
