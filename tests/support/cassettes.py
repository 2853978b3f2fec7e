"""Where a cassette test's traffic goes when it is recorded, and where it is replayed from.

Replay (the default, ``--record-mode=none``): nothing is contacted; VCR answers from
``cassettes/<area>/<test module>/<test>.yaml``. Recording (``--record-mode=once`` or
``all``) takes its answers from the source named by ``MIXROUTE_CASSETTE_SOURCE``:

- ``live``: the Mixroute gateway, with ``MIXROUTE_API_KEY``;
- ``local-server``: a real OpenAI-compatible server at ``MIXROUTE_BASE_URL``
  (``make test-local-server`` starts llama-cpp-python's);
- ``wire-format``: a scripted server on 127.0.0.1 that answers with the test's
  ``@pytest.mark.wire_answers(...)``, written from the documented wire format.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from support.local_server import LocalServer, Received, Reply

REPLAY_KEY = "sk-replay-0000000000000000"
REPLAY_BASE_URL = "https://console.mixroute.io/v1"


@dataclass(frozen=True)
class Endpoint:
    """What a cassette test points its model at."""

    base_url: str
    api_key: str


def scripted_server(answers: list[Any]) -> LocalServer:
    """A local server that gives the answers in order: a dict is JSON, a str is SSE text,
    a ``(status, body)`` pair an error."""
    remaining = list(answers)

    def respond(_: Received) -> Reply:
        if not remaining:
            return Reply(500, {"error": {"message": "the test sent more requests than scripted"}})
        answer = remaining.pop(0)
        if isinstance(answer, tuple):
            status, body = answer
            return Reply(status, body)
        if isinstance(answer, str):
            return Reply(200, answer.encode(), {"Content-Type": "text/event-stream"})
        return Reply(200, json.dumps(answer).encode(), {"Content-Type": "application/json"})

    return LocalServer(respond)


def endpoint(record_mode: str, answers: list[Any] | None) -> Iterator[Endpoint]:
    """Yield the endpoint for this run's mode; start and stop a scripted server if needed."""
    if record_mode == "none":
        yield Endpoint(REPLAY_BASE_URL, REPLAY_KEY)
        return
    source = os.environ.get("MIXROUTE_CASSETTE_SOURCE", "live")
    if source == "wire-format":
        if answers is None:
            raise RuntimeError("recording from the wire format needs @pytest.mark.wire_answers")
        with scripted_server(answers) as server:
            yield Endpoint(server.base_url, REPLAY_KEY)
        return
    base_url = os.environ.get("MIXROUTE_BASE_URL", REPLAY_BASE_URL)
    api_key = os.environ.get("MIXROUTE_API_KEY")
    if not api_key:
        raise RuntimeError(f"recording from {source} needs MIXROUTE_API_KEY")
    yield Endpoint(base_url, api_key)


class RecordedResults:
    """What a test observed when its cassette was recorded, kept beside the cassette.

    Recording writes ``<cassette>.results.json``; replaying compares with it, which proves
    that replay gives what the real server gave.
    """

    def __init__(self, path: str, recording: bool) -> None:
        self.path = path
        self.recording = recording

    def check(self, observed: dict[str, Any]) -> None:
        """Store (when recording) or compare (when replaying) what the test observed."""
        if self.recording:
            os.makedirs(os.path.dirname(self.path), exist_ok=True)
            with open(self.path, "w", encoding="utf-8") as file:
                json.dump(observed, file, indent=1, ensure_ascii=False, sort_keys=True)
                file.write("\n")
            return
        with open(self.path, encoding="utf-8") as file:
            recorded = json.load(file)
        assert json.loads(json.dumps(observed)) == recorded
