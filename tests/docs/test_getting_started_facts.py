"""What the getting-started page says of ``ChatMixroute`` that other tests do not show.

The token estimate's rules are specified in ``tests/core/test_tokens.py``; the page gives
a reader its scale on prose, checked here on a few English sentences through the method a
user calls (``trim_messages`` calls it too). It also says logprobs reach
``response_metadata`` on plain calls only, checked against a server that sends them both ways.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from support.local_server import LocalServer, Received, Reply
from support.plausible_gateway import completion

from langchain_mixroute import ChatMixroute

PAGE = " ".join(
    (Path(__file__).resolve().parents[2] / "docs/getting-started.md").read_text().split()
)
PROSE = [
    "Artificial intelligence is a new technical science that researches and develops "
    "theories, methods, techniques, and application systems for simulating, extending, "
    "and expanding human intelligence.",
    "A client holds a connection pool: make one and share it, rather than one per call.",
    "The quick brown fox jumps over the lazy dog, and then it runs away into the forest.",
    "Mixroute speaks the OpenAI chat-completions API, so code written for ChatOpenAI moves "
    "over by changing the class and a few arguments.",
]


@pytest.mark.parametrize("text", PROSE)
def test_the_estimate_counts_one_to_two_tokens_a_word_of_prose(text: str) -> None:
    assert "it counts one to two tokens a word of English prose" in PAGE
    llm = ChatMixroute(model="glm-5", api_key="sk-test")
    words = len(text.split())
    assert words <= llm.get_num_tokens(text) <= 2 * words


LOGPROBS = {"content": [{"token": "ok", "logprob": -0.1, "top_logprobs": []}]}


def answer_with_logprobs(request: Received) -> Reply:
    """An answer carrying logprobs, plain or streamed as the request asks."""
    choice = {"index": 0, "logprobs": LOGPROBS, "finish_reason": "stop"}
    if not request.json().get("stream"):
        message = {"role": "assistant", "content": "ok"}
        return Reply(200, completion("glm-5", choices=[{**choice, "message": message}]))
    delta = {**choice, "delta": {"role": "assistant", "content": "ok"}}
    chunk = completion("glm-5", object="chat.completion.chunk", choices=[delta])
    events = f"data: {json.dumps(chunk)}\n\ndata: [DONE]\n\n"
    return Reply(200, events.encode(), {"Content-Type": "text/event-stream"})


def test_logprobs_come_in_the_metadata_of_plain_calls_only() -> None:
    assert "`logprobs` when asked for (plain calls only)" in PAGE
    with LocalServer(answer_with_logprobs) as server:
        llm = ChatMixroute(model="glm-5", api_key="sk-test", base_url=server.base_url)
        plain = llm.invoke("Hi", logprobs=True)
        chunks = list(llm.stream("Hi", logprobs=True))
    assert plain.response_metadata["logprobs"] == LOGPROBS
    assert all("logprobs" not in chunk.response_metadata for chunk in chunks)
