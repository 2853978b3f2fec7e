"""What the streaming guide says of the usage and of bounding a stream, checked live.

The guide says the core asks for the usage of a stream (``stream_options``) unless told
otherwise, and that ``include_usage=False`` leaves ``stream_options`` out, so the usage is
then ``None``; the stand-in gateway, like the real one, sends the usage only when asked.
It also says ``deadline=`` on one ``stream(...)`` call bounds that stream, in place of the
client's ``stream_deadline``: checked on a server that keeps a stream alive forever.
"""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path

import pytest
from llama_index.core.llms import ChatMessage
from support.local_server import LocalServer
from support.plausible_gateway import STREAMED, USAGE
from support.stalling_server import StallingServer, sse_opening

from langchain_mixroute import ChatMixroute
from llama_index_mixroute import Mixroute
from mixroute import APITimeoutError, MixrouteClient, UserMessage, get_profile

GUIDE = " ".join(
    (Path(__file__).resolve().parents[2] / "docs/guides/streaming.md").read_text().split()
)


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


def test_a_stream_asks_for_its_usage_unless_told_not_to(plausible_server: LocalServer) -> None:
    assert 'the core asks for it with `stream_options: {"include_usage": true}`' in GUIDE
    assert streamed_usage(plausible_server) == USAGE["total_tokens"]
    assert plausible_server.received[-1].json()["stream_options"] == {"include_usage": True}


def test_include_usage_false_leaves_stream_options_out_and_the_usage_is_none(
    plausible_server: LocalServer,
) -> None:
    assert "`include_usage=False` leaves `stream_options` out of the request" in GUIDE
    assert "the usage is then `None`" in GUIDE
    assert streamed_usage(plausible_server, include_usage=False) is None
    assert "stream_options" not in plausible_server.received[-1].json()


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


def test_a_plain_call_to_a_streaming_only_model_is_streamed_and_assembled(
    plausible_server: LocalServer,
) -> None:
    assert "A plain call to one (`create`, `invoke`, `chat`) is sent streamed for you" in GUIDE
    assert "the same `ChatCompletion` that `stream(...).completion` gives, usage included" in GUIDE
    # The failure midway, typed and with `.partial`: tests/core/test_client.py.
    assert "a failure midway raises the stream's typed error, with `.partial`" in GUIDE
    assert get_profile("qwq-32b").streaming_only
    question = [UserMessage("Say hello")]
    with MixrouteClient("sk-test", base_url=plausible_server.base_url) as client:
        answer = client.create("qwq-32b", question)
        with client.stream("qwq-32b", question) as stream:
            for _ in stream:
                pass
    plain, streamed = plausible_server.received[0].json(), plausible_server.received[1].json()
    assert plain == streamed
    assert plain["stream"] is True
    # The stand-in numbers its answers, so the ids differ; nothing else does.
    assert replace(answer, id=None) == replace(stream.completion, id=None)
    assert answer.message.content == STREAMED
    assert answer.usage is not None
    chat_model = ChatMixroute(
        model="qwq-32b", api_key="sk-test", base_url=plausible_server.base_url
    )
    assert chat_model.invoke("Say hello").content == STREAMED
    llm = Mixroute(model="qwq-32b", api_key="sk-test", base_url=plausible_server.base_url)
    assert llm.chat([ChatMessage(role="user", content="Say hello")]).message.content == STREAMED
    assert [request.json()["stream"] for request in plausible_server.received] == [True] * 4
