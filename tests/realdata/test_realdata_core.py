"""Every recorded real exchange, served by a real local server, through the core client."""

from __future__ import annotations

from pathlib import Path

import pytest
from realdata import (
    Observed,
    ReplayServer,
    Usage,
    assert_matches,
    exchange_params,
    expected,
    load,
    requires_realdata,
)

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


def observed(result: ChatCompletion) -> Observed:
    """The core's completion in the oracle's terms (valid calls first, as it lists them)."""
    message, usage = result.message, result.usage
    calls = [{"name": c.name, "arguments": c.raw_arguments} for c in message.tool_calls]
    calls += [
        {"name": c.name or "", "arguments": c.arguments or ""} for c in message.invalid_tool_calls
    ]
    return Observed(
        content=message.content or "",
        reasoning=message.reasoning or "",
        refusal=message.refusal or "",
        tool_calls=dict(enumerate(calls)),
        usage=None
        if usage is None
        else Usage(
            usage.prompt_tokens,
            usage.completion_tokens,
            usage.cached_tokens,
            usage.reasoning_tokens,
        ),
        citations=len({c.url for c in result.citations}),
        finish_reason=result.finish_reason,
    )


@pytest.mark.parametrize("path", exchange_params())
def test_exchange_through_the_core(path: Path, replay: ReplayServer) -> None:
    exchange = load(path)
    request = exchange["request"]
    want_error = STATUS_ERRORS.get(exchange["status"])
    with MixrouteClient(
        api_key="sk-realdata-0000000000000000", base_url=replay.play(exchange), max_retries=0
    ) as client:
        if want_error is not None:
            with pytest.raises(want_error) as info:
                client.send(request)
            assert info.value.status_code == exchange["status"]
            assert info.value.message
            return
        profile = get_profile(request["model"])
        want = expected(exchange, inline_think_tags=profile.inline_think_tags)
        if not request.get("stream"):
            assert_matches(observed(client.send(request)), want)
            return
        stream = client.send_stream(request)
        deltas = []
        if want.stream_error:
            with pytest.raises(APIStreamError) as failure:
                deltas.extend(stream)
            assert failure.value.partial is not None
            assert (failure.value.partial.content or "") == want.content
            assert (failure.value.partial.reasoning or "") == want.reasoning
        else:
            deltas.extend(stream)
            assert_matches(observed(stream.completion), want)
        assert "".join(d.content or "" for d in deltas) == want.content
        assert "".join(d.reasoning or "" for d in deltas) == want.reasoning
