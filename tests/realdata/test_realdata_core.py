"""Every recorded real exchange, served by a real local server, through the core client."""

from __future__ import annotations

from pathlib import Path

import pytest
from realdata import Expected, exchanges, expected, load, requires_realdata, serve

from mixroute import (
    APIStreamError,
    BadRequestError,
    ChatCompletion,
    MixrouteClient,
    NotFoundError,
    RateLimitError,
    get_profile,
)

pytestmark = requires_realdata
STATUS_ERRORS = {400: BadRequestError, 404: NotFoundError, 429: RateLimitError}


def check(result: ChatCompletion, want: Expected) -> None:
    message = result.message
    assert (message.content or "") == want.content
    assert (message.reasoning or "") == want.reasoning
    calls = {
        i: {"name": c.name, "arguments": c.raw_arguments} for i, c in enumerate(message.tool_calls)
    }
    invalid = {
        len(calls) + i: {"name": c.name or "", "arguments": c.arguments or ""}
        for i, c in enumerate(message.invalid_tool_calls)
    }
    assert {**calls, **invalid} == want.tool_calls
    if want.usage is not None:
        assert result.usage is not None
        assert result.usage.prompt_tokens == want.usage.get("prompt_tokens", 0)
        assert result.usage.completion_tokens == want.usage.get("completion_tokens", 0)
    assert len({c.url for c in result.citations}) == want.citations


@pytest.mark.parametrize("path", exchanges(), ids=lambda p: p.stem)
def test_exchange_through_the_core(path: Path) -> None:
    exchange = load(path)
    request = exchange["request"]
    want_error = STATUS_ERRORS.get(exchange["status"])
    with (
        serve(exchange) as server,
        MixrouteClient(
            api_key="sk-realdata-0000000000000000", base_url=server.base_url, max_retries=0
        ) as client,
    ):
        if want_error is not None:
            with pytest.raises(want_error) as info:
                client.send(request)
            assert info.value.status_code == exchange["status"]
            assert info.value.message
            return
        profile = get_profile(request["model"])
        want = expected(exchange, inline_think_tags=profile.inline_think_tags)
        if not request.get("stream"):
            check(client.send(request), want)
            return
        stream = client.send_stream(request)
        deltas = []
        if want.stream_error:
            with pytest.raises(APIStreamError) as failure:
                deltas.extend(stream)
            assert failure.value.partial is not None
            assert (failure.value.partial.content or "") == want.content
        else:
            deltas.extend(stream)
            check(stream.completion, want)
        assert "".join(d.content or "" for d in deltas) == want.content
        assert "".join(d.reasoning or "" for d in deltas) == want.reasoning
