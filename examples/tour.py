"""A tour of the Mixroute core: run it with ``make tour``.

Without ``MIXROUTE_API_KEY`` it replays answers written from the documented wire format
(``examples/tour_replay.json``), checking that every request it sends is exactly the one
recorded; with a key it talks to the live gateway. It exits non-zero if any step fails.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import httpx
from pydantic import BaseModel

from mixroute import (
    AuthenticationError,
    MixrouteClient,
    SearchParameters,
    SystemMessage,
    ToolMessage,
    UserMessage,
)

REPLAY = Path(__file__).with_name("tour_replay.json")

WEATHER = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Get weather information by city",
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string"}},
            "required": ["city"],
        },
    },
}


class Summary(BaseModel):
    """A one-line summary."""

    summary: str


class Replay:
    """An httpx transport that answers each request from the replay file, in order."""

    def __init__(self, path: Path) -> None:
        self.exchanges: list[dict[str, Any]] = json.loads(path.read_text())
        self.position = 0

    def __call__(self, request: httpx.Request) -> httpx.Response:
        exchange = self.exchanges[self.position]
        self.position += 1
        sent = json.loads(request.content)
        if sent != exchange["request"]:
            expected = exchange["request"]
            raise AssertionError(f"request {self.position} differs:\n{sent}\n!=\n{expected}")
        body = exchange["body"]
        content = body if isinstance(body, str) else json.dumps(body)
        headers = {"content-type": exchange["content_type"]}
        return httpx.Response(exchange["status"], content=content.encode(), headers=headers)


def make_client(live: bool) -> MixrouteClient:
    if live:
        return MixrouteClient()
    transport = httpx.MockTransport(Replay(REPLAY))
    return MixrouteClient(api_key="sk-replay", http_client=httpx.Client(transport=transport))


def tour(client: MixrouteClient, live: bool) -> None:
    print("\n1. A plain answer (glm-5)")
    answer = client.create(
        "glm-5",
        [SystemMessage("You are a helpful assistant"), UserMessage("Briefly introduce AI")],
        temperature=0.7,
    )
    print("  ", answer.message.content)
    print("   usage:", answer.usage)

    print("\n2. A streamed answer, printed as it arrives (doubao-seed-1-8-251228)")
    print("   ", end="")
    with client.stream("doubao-seed-1-8-251228", [UserMessage("Say hello")]) as stream:
        for delta in stream:
            print(delta.content or "", end="", flush=True)
    print(f"\n   finish_reason={stream.completion.finish_reason}")

    print("\n3. A reasoning model's thinking, apart from its answer (deepseek-r1)")
    solved = client.create(
        "deepseek-r1", [UserMessage("If x^2 + 2x - 3 = 0, find x")], temperature=0.6
    )
    print("   thinking:", solved.message.reasoning)
    print("   answer:  ", solved.message.content)

    print("\n4. Function calling, round trip (gpt-4o)")
    question = UserMessage("What is the weather in Shanghai?")
    asked = client.create("gpt-4o", [question], tools=[WEATHER], tool_choice="auto")
    call = asked.message.tool_calls[0]
    print(f"   the model calls {call.name}({call.arguments})")
    result = ToolMessage("Sunny, 25°C", tool_call_id=call.id)
    final = client.create("gpt-4o", [question, asked.message, result], tools=[WEATHER])
    print("  ", final.message.content)

    print("\n5. Structured output into a pydantic model (gpt-4o)")
    structured = client.create(
        "gpt-4o", [UserMessage("Summarise AI in one line")], response_format=Summary
    )
    print("  ", Summary.model_validate_json(structured.message.content or ""))

    print("\n6. Web search with citations (grok-3)")
    searched = client.create(
        "grok-3",
        [UserMessage("What are the latest tech news?")],
        search_parameters=SearchParameters(mode="auto", return_citations=True),
    )
    print("  ", searched.message.content)
    for citation in searched.citations:
        print("   source:", citation.url)

    if not live:
        print("\n7. A typed error: a bad key gives AuthenticationError")
        try:
            client.create("gpt-4o", [UserMessage("Hi")])
        except AuthenticationError as error:
            print(f"   {type(error).__name__} (status {error.status_code}): {error.message}")
        else:
            raise AssertionError("expected an AuthenticationError")


def main() -> int:
    live = bool(os.environ.get("MIXROUTE_API_KEY"))
    print(
        "Live: talking to the Mixroute gateway."
        if live
        else "Offline: replaying answers written from the documented wire format "
        "(set MIXROUTE_API_KEY to run live)."
    )
    try:
        with make_client(live) as client:
            tour(client, live)
    except Exception as error:  # the tour reports any failure and exits non-zero
        print(f"\nTour failed: {type(error).__name__}: {error}", file=sys.stderr)
        return 1
    print("\nTour complete.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
