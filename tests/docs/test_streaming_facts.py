"""What the streaming guide says of the usage and of bounding a stream, checked live.

The guide says the core asks for the usage of a stream (``stream_options``) unless told
otherwise, and that ``include_usage=False`` leaves ``stream_options`` out, so the usage is
then ``None``; the stand-in gateway, like the real one, sends the usage only when asked.
It also says ``deadline=`` on one ``stream(...)`` call bounds that stream, in place of the
client's ``stream_deadline``: checked on a server that keeps a stream alive forever.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from support.local_server import LocalServer
from support.plausible_gateway import USAGE, PlausibleGateway
from support.stalling_server import StallingServer, sse_opening

from mixroute import APITimeoutError, MixrouteClient, UserMessage

GUIDE = " ".join(
    (Path(__file__).resolve().parents[2] / "docs/guides/streaming.md").read_text().split()
)


@pytest.fixture
def server() -> Iterator[LocalServer]:
    with LocalServer(PlausibleGateway()) as running:
        yield running


def streamed_usage(server: LocalServer, **options: bool) -> int | None:
    """The total tokens of a streamed answer, reading every piece first."""
    with (
        MixrouteClient("sk-test", base_url=server.base_url) as client,
        client.stream("glm-5", [UserMessage("Say hello")], **options) as stream,
    ):
        for _ in stream:
            pass
    usage = stream.completion.usage
    return None if usage is None else usage.total_tokens


def test_a_stream_asks_for_its_usage_unless_told_not_to(server: LocalServer) -> None:
    assert 'the core asks for it with `stream_options: {"include_usage": true}`' in GUIDE
    assert streamed_usage(server) == USAGE["total_tokens"]
    assert server.received[-1].json()["stream_options"] == {"include_usage": True}


def test_include_usage_false_leaves_stream_options_out_and_the_usage_is_none(
    server: LocalServer,
) -> None:
    assert "`include_usage=False` leaves `stream_options` out of the request" in GUIDE
    assert "the usage is then `None`" in GUIDE
    assert streamed_usage(server, include_usage=False) is None
    assert "stream_options" not in server.received[-1].json()


def keep_alive_forever() -> StallingServer:
    """A stream that sends one piece, then a keep-alive comment every 0.05 s, never the end."""
    piece = {"object": "chat.completion.chunk", "model": "glm-5"}
    piece["choices"] = [{"index": 0, "delta": {"content": "Hel"}, "finish_reason": None}]
    return StallingServer(sse_opening(piece), drip=b": keep-alive\n\n", every=0.05)


@pytest.mark.parametrize("client_bound", [None, 5.0])
def test_deadline_on_one_stream_call_bounds_that_stream(client_bound: float | None) -> None:
    assert "or pass `deadline=` to one `stream(...)` call" in GUIDE
    errors_guide = (Path(__file__).resolve().parents[2] / "docs/guides/errors.md").read_text()
    assert "(on a stream, `deadline=` replaces the client's `stream_deadline`)" in " ".join(
        errors_guide.split()
    )
    with (
        keep_alive_forever() as server,
        MixrouteClient(
            "sk-test", base_url=server.base_url, timeout=1.0, stream_deadline=client_bound
        ) as client,
    ):
        started = time.monotonic()
        with (
            pytest.raises(
                APITimeoutError, match=r"The stream's deadline of 0\.3 s passed"
            ) as caught,
            client.stream("glm-5", [UserMessage("Say hello")], deadline=0.3) as stream,
        ):
            for _ in stream:
                pass
        elapsed = time.monotonic() - started
    assert 0.3 <= elapsed < 2.0
    assert caught.value.partial is not None
    assert caught.value.partial.content == "Hel"
