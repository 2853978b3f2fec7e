"""Whether a long stream gets slower as it goes: the last 1,000 chunks against the first.

``python -m benchmarks.long_stream [--chunks 20000] [--window 1000] [--runs 9]`` streams
``--chunks`` chunks through ``Mixroute.stream_chat`` and ``astream_chat``, and a tool call
whose arguments come in ``--chunks`` fragments through ``stream_chat`` (and, for
reference, the core's own stream) from an in-process ``httpx.MockTransport`` that hands
out one SSE event per read, as a server flushing every token does. It times the first
``--window`` chunks and the last ``--window`` of ``--runs`` streams (after one to warm
up), in CPU time of the thread so that other processes count less, and prints the ratio
of the fastest last window to the fastest first one (and the median of each stream's
ratio, to show the spread). Every ``ChatResponse`` of LlamaIndex holds the
whole text so far, so some cost grows with the text (one copy of it per response, which
the LlamaIndex floor of ``benchmarks/floor_llama_index.py``, answering from memory, pays
too: its row shows that cost alone); what must not grow is anything more, such as joining
every piece again or copying the tool calls per chunk. Target: the last window within 10%
of the first (ratio <= 1.10).

No network and no subprocess: the events are the benchmark server's
(``benchmarks.server.stream_events``), built once before timing.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import statistics
import time
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from typing import Any

import httpx

from benchmarks.contenders import API_KEY, MODEL, PROMPT
from benchmarks.server import stream_events

TARGET = 1.10
_Row = tuple[float, float, float, float]  # first ms, last ms, their ratio, median ratio
# CPU time of this thread (the stream, its transport and its event loop all run on it): a
# neighbour taking the CPU for a while does not count as the stream getting slower.
_CLOCK = time.thread_time


def _handler(events: list[bytes], asynchronous: bool) -> Callable[[httpx.Request], Any]:
    def sync_body() -> Iterator[bytes]:
        yield from events

    async def async_body() -> AsyncIterator[bytes]:
        for event in events:
            yield event

    def handle(request: httpx.Request) -> httpx.Response:
        body = async_body() if asynchronous else sync_body()
        return httpx.Response(200, headers={"content-type": "text/event-stream"}, content=body)

    return handle


def _windows(stamps: list[float], window: int) -> tuple[float, float]:
    """Seconds taken by the first and by the last ``window`` chunks.

    Counted from the first response on: opening the stream (sending the request) is not a
    chunk's cost, and would flatter the ratio.
    """
    return stamps[window + 1] - stamps[1], stamps[-1] - stamps[-1 - window]


def _ratio(runs: Iterable[tuple[float, float]]) -> tuple[float, float, float, float]:
    """Fastest first window (ms), fastest last window (ms), their ratio, the median ratio.

    The fastest windows are the figure: noise only ever adds time. The median of each
    stream's own ratio shows how much the runs spread.
    """
    pairs = list(runs)
    first = min(head for head, _ in pairs)
    last = min(tail for _, tail in pairs)
    return first * 1e3, last * 1e3, last / first, statistics.median(t / h for h, t in pairs)


def _text(response: Any) -> bool:
    return bool(response.delta)


def _streamed(response: Any) -> bool:
    """A response made from a delta, not the closing one (whose ``raw`` is the completion)."""
    return type(response.raw).__name__ == "ChunkDelta"


def _timed(responses: Iterable[Any], chunks: int, counted: Callable[[Any], bool]) -> list[float]:
    """A timestamp after each ``counted`` response; checks the count."""
    clock = _CLOCK
    stamps = [clock()]
    append = stamps.append
    for response in responses:
        if counted(response):
            append(clock())
    if len(stamps) != chunks + 1:
        raise AssertionError(f"expected {chunks} responses, got {len(stamps) - 1}")
    return stamps


async def _atimed(responses: AsyncIterator[Any], chunks: int) -> list[float]:
    clock = _CLOCK
    stamps = [clock()]
    append = stamps.append
    async for response in responses:
        if response.delta:
            append(clock())
    if len(stamps) != chunks + 1:
        raise AssertionError(f"expected {chunks} text deltas, got {len(stamps) - 1}")
    return stamps


def tool_call_events(n: int) -> list[bytes]:
    """A stream of one tool call whose arguments (code to write) come in ``n`` fragments."""
    fragments = ['{"path": "a.py", "content": "', *["x = 1\\n"] * (n - 2), '"}']
    events = []
    for i, arguments in enumerate(fragments):
        call: dict[str, Any] = {"index": 0, "function": {"arguments": arguments}}
        if i == 0:
            call |= {"id": "call_1", "type": "function"}
            call["function"]["name"] = "write_file"
        events.append(_event({"tool_calls": [call]}))
    events.append(_event({}, "tool_calls"))
    events.append(b"data: [DONE]\n\n")
    return events


def _event(delta: dict[str, Any], finish_reason: str | None = None) -> bytes:
    choice = {"index": 0, "delta": delta, "finish_reason": finish_reason}
    chunk = {"id": "c", "object": "chat.completion.chunk", "model": MODEL, "choices": [choice]}
    return b"data: " + json.dumps(chunk, separators=(",", ":")).encode() + b"\n\n"


def measure_sync(chunks: int, window: int, runs: int) -> dict[str, _Row]:
    """``Mixroute.stream_chat`` and the core's stream, ``runs`` streams each."""
    from llama_index.core.llms import ChatMessage

    from benchmarks.floor_llama_index import FakeLLM
    from llama_index_mixroute import Mixroute
    from mixroute import MixrouteClient, UserMessage

    events = stream_events(chunks)
    transport = httpx.MockTransport(_handler(events, asynchronous=False))
    base_url = "http://bench.invalid/v1"
    llm = Mixroute(
        model=MODEL,
        api_key=API_KEY,
        api_base=base_url,
        max_retries=0,
        http_client=httpx.Client(transport=transport),
    )
    core = MixrouteClient(
        api_key=API_KEY,
        base_url=base_url,
        max_retries=0,
        http_client=httpx.Client(transport=transport),
    )
    messages = [ChatMessage(role="user", content=PROMPT)]
    core_messages = [UserMessage(PROMPT)]

    def llama() -> tuple[float, float]:
        stream = llm.stream_chat(messages, max_tokens=chunks)
        return _windows(_timed(stream, chunks, _text), window)

    def llama_tool_call() -> tuple[float, float]:
        stream = tool_llm.stream_chat(messages, max_tokens=chunks)
        return _windows(_timed(stream, chunks, _streamed), window)

    def core_stream() -> tuple[float, float]:
        with core.stream(MODEL, core_messages, max_tokens=chunks) as stream:
            stamps = _timed(_CoreDeltas(stream), chunks, _text)
        return _windows(stamps, window)

    def floor() -> tuple[float, float]:
        stream = fake.stream_chat(messages, max_tokens=chunks)
        return _windows(_timed(stream, chunks, _text), window)

    fake = FakeLLM()
    tool_llm = Mixroute(
        model=MODEL,
        api_key=API_KEY,
        api_base=base_url,
        max_retries=0,
        http_client=httpx.Client(
            transport=httpx.MockTransport(_handler(tool_call_events(chunks), asynchronous=False))
        ),
    )
    return {
        "Mixroute.stream_chat": _ratio(_repeat(llama, runs)),
        "Mixroute.stream_chat, one tool call": _ratio(_repeat(llama_tool_call, runs)),
        "core stream (reference)": _ratio(_repeat(core_stream, runs)),
        "LlamaIndex floor, no HTTP (reference)": _ratio(_repeat(floor, runs)),
    }


def measure_async(chunks: int, window: int, runs: int) -> dict[str, _Row]:
    """``Mixroute.astream_chat``, ``runs`` streams."""
    from llama_index.core.llms import ChatMessage

    from llama_index_mixroute import Mixroute

    events = stream_events(chunks)
    transport = httpx.MockTransport(_handler(events, asynchronous=True))
    messages = [ChatMessage(role="user", content=PROMPT)]

    async def main() -> list[tuple[float, float]]:
        llm = Mixroute(
            model=MODEL,
            api_key=API_KEY,
            api_base="http://bench.invalid/v1",
            max_retries=0,
            async_http_client=httpx.AsyncClient(transport=transport),
        )
        results = []
        for run in range(runs + 1):
            gc.collect()
            stream = await llm.astream_chat(messages, max_tokens=chunks)
            stamps = await _atimed(stream, chunks)
            if run:  # the first warms up
                results.append(_windows(stamps, window))
        return results

    return {"Mixroute.astream_chat": _ratio(asyncio.run(main()))}


class _CoreDeltas:
    """The core stream's deltas under the ``delta`` name the timer reads."""

    def __init__(self, stream: Iterable[Any]) -> None:
        self.stream = stream

    def __iter__(self) -> Iterator[Any]:
        for delta in self.stream:
            self.delta = delta.content
            yield self


def _repeat(run: Callable[[], tuple[float, float]], runs: int) -> list[tuple[float, float]]:
    run()  # warm up
    results = []
    for _ in range(runs):
        gc.collect()
        results.append(run())
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--chunks", type=int, default=20_000)
    parser.add_argument("--window", type=int, default=1_000)
    parser.add_argument("--runs", type=int, default=9)
    args = parser.parse_args()
    if not 0 < 2 * args.window < args.chunks:
        parser.error("--window must be positive and under half of --chunks")
    rows = measure_sync(args.chunks, args.window, args.runs)
    rows |= measure_async(args.chunks, args.window, args.runs)
    print(
        f"{args.chunks:,} chunks, first and last {args.window:,} timed (thread CPU time), "
        f"fastest of {args.runs} streams (target: last <= {TARGET:.2f}x first)"
    )
    width = max(len(name) for name in rows)
    print(f"  {'':<{width}}  first ms   last ms   last/first   median of runs")
    for name, (first, last, ratio, median) in rows.items():
        verdict = "  met" if ratio <= TARGET else "  MISSED"
        if name.endswith("(reference)"):
            verdict = ""
        print(
            f"  {name:<{width}}  {first:8.2f}  {last:8.2f}  {ratio:10.3f}   {median:14.3f}{verdict}"
        )


if __name__ == "__main__":
    main()
