"""Where a contender's time goes: cProfile of its small calls and of its streams.

``python -m benchmarks.hotspots [--contender core] [--calls 2000] [--streams 10] [--top 12]
[--also langchain_core]`` starts the benchmark server, profiles the calls (sync small
calls, streams, and async calls with 50 in flight; an async-only contender such as
``raw-aiohttp`` or ``core-httpx``, the async calls only), and prints for each workload the share
of time by package (the contender's own code, its framework, the core, httpx/httpcore/h11,
json, the rest) and the top functions of the contender's own code by self time (and of the
``--also`` packages). For an adapter (``--contender langchain`` or ``llama-index``) its own
package is ranked, then the core's. Profiling slows Python code several
times over, so read the shares and the ranking, not the absolute times; for the core it
then times each of its layers alone, without the network, in µs per call or per chunk.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import pstats
import sys
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from benchmarks.contenders import Contender

ROOT = Path(__file__).resolve().parent.parent

_PACKAGES = {  # the first marker found in a function's file name names its package
    "/langchain_mixroute/": "langchain_mixroute",
    "/llama_index_mixroute/": "llama_index_mixroute",
    "/mixroute/": "mixroute",
    "/langchain_openai/": "langchain_openai",
    "/langchain_core/": "langchain_core",
    "/langchain": "langchain",
    "/llama_index/llms/openai": "llama_index_openai",
    "/llama_index_instrumentation/": "llama_index",
    "/llama_index/": "llama_index",
    "/openai/": "openai",
    "/httpx/": "httpx",
    "/httpcore/": "httpcore",
    "/h11/": "h11",
    "/anyio/": "anyio",
    "/aiohttp/": "aiohttp",
    "/yarl/": "aiohttp",  # aiohttp's URL and header types
    "/multidict/": "aiohttp",
    "/json/": "json",
    "/pydantic": "pydantic",
    "/benchmarks/": "benchmarks",
}

_OWN = {  # the package whose functions are ranked, by contender key
    "raw": "httpx",
    "raw-aiohttp": "aiohttp",
    "core": "mixroute",
    "core-httpx": "mixroute",
    "langchain": "langchain_mixroute",
    "langchain-httpx-transport": "langchain_mixroute",
    "langchain-openai": "langchain_openai",
    "langchain-httpx": "langchain_core",
    "langchain-aiohttp": "langchain_core",
    "langchain-floor": "langchain_core",
    "llama-index": "llama_index_mixroute",
    "llama-index-httpx-transport": "llama_index_mixroute",
    "llama-index-openai-like": "llama_index_openai",
    "llama-index-httpx": "llama_index",
    "llama-index-aiohttp": "llama_index",
    "llama-index-floor": "llama_index",
}


def _package(filename: str) -> str:
    if filename == "~":
        return "builtins (C)"
    for marker, name in _PACKAGES.items():
        if marker in filename:
            return name
    return "stdlib/other"


def profile(work: Callable[[], object], repeat: int) -> pstats.Stats:
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(repeat):
        work()
    profiler.disable()
    return pstats.Stats(profiler)


def report(title: str, stats: pstats.Stats, own: str, top: int, also: list[str]) -> str:
    """Self time by package, then the top functions by self time of ``own`` and ``also``."""
    raw: dict[tuple[str, int, str], tuple[int, int, float, float, dict[object, object]]]
    raw = stats.stats  # type: ignore[attr-defined]
    total = sum(entry[2] for entry in raw.values())
    by_package: dict[str, float] = defaultdict(float)
    for (filename, _, _), entry in raw.items():
        by_package[_package(filename)] += entry[2]
    lines = [f"== {title}: {total:.3f} s profiled self time", "self time by package:"]
    for name, seconds in sorted(by_package.items(), key=lambda item: -item[1]):
        lines.append(f"  {seconds / total:6.1%}  {name}")
    for package in [own, *also]:
        lines.append(
            f"top {package} functions by self time (share of all, calls, cumulative share):"
        )
        mine = [(key, entry) for key, entry in raw.items() if _package(key[0]) == package]
        for (filename, line, name), entry in sorted(mine, key=lambda item: -item[1][2])[:top]:
            where = f"{Path(filename).name}:{line}({name})"
            share, cumulative = entry[2] / total, entry[3] / total
            lines.append(f"  {share:6.1%}  {entry[1]:>8}  {cumulative:6.1%}  {where}")
    return "\n".join(lines)


def profile_async(contender: Contender, requests: int, in_flight: int) -> pstats.Stats:
    """Profile ``requests`` async calls with ``in_flight`` at once (after a warm-up)."""

    async def main() -> pstats.Stats:
        await contender.aopen()
        gate = asyncio.Semaphore(in_flight)

        async def one() -> str:
            async with gate:
                return await contender.async_call()

        await asyncio.gather(*(one() for _ in range(in_flight * 5)))
        profiler = cProfile.Profile()
        profiler.enable()
        await asyncio.gather(*(one() for _ in range(requests)))
        profiler.disable()
        await contender.aclose()
        return pstats.Stats(profiler)

    return asyncio.run(main())


def layers(chunks: int) -> str:
    """Micro-timings of the core's own layers, no network: what each costs per call/chunk."""
    import json
    import timeit

    import mixroute
    from benchmarks import server

    def per_call(work: Callable[[], object], number: int) -> float:
        return min(timeit.repeat(work, number=number, repeat=15)) / number * 1e6

    messages = [mixroute.UserMessage("Say hello.")]
    body = mixroute.build_request_body("gpt-4o-mini", messages)
    answer = server.completion_body()
    parsed_answer = json.loads(answer)
    events = server.stream_events(chunks)
    payloads = [event[6:-2] for event in events[:-1]]

    def decode_stream() -> None:
        decoder = mixroute.StreamDecoder()
        for event in events:
            decoder.feed(event)

    def core_over_bytes() -> None:  # the core above h11: iter_bytes, then its decoder
        import httpx

        decoder = mixroute.StreamDecoder()
        for data in httpx.Response(200, content=iter(events)).iter_bytes():
            decoder.feed(data)

    def sse_only() -> None:
        decoder = mixroute.SSEDecoder()
        for event in events:
            decoder.feed(event)

    def json_only() -> None:
        for payload in payloads:
            json.loads(payload)

    parsed = [json.loads(payload) for payload in payloads]

    def accumulate_only() -> None:
        accumulator = mixroute.StreamAccumulator()
        for chunk in parsed:
            accumulator.feed(chunk)

    def raw_lines() -> None:  # what raw httpx does above h11: text decoding, line splitting
        import httpx

        response = httpx.Response(200, content=iter(events))  # one event per read
        for line in response.iter_lines():
            if line.startswith("data: ") and line != "data: [DONE]":
                json.loads(line[6:])

    n = len(events)
    rows = [
        ("small call: build_request_body", per_call(
            lambda: mixroute.build_request_body("gpt-4o-mini", messages), 2000)),
        ("small call: json.dumps(body).encode()", per_call(
            lambda: json.dumps(body, ensure_ascii=False).encode(), 2000)),
        ("small call: json.loads(answer)", per_call(lambda: json.loads(answer), 2000)),
        ("small call: parse_completion(parsed answer)", per_call(
            lambda: mixroute.parse_completion(parsed_answer), 2000)),
        ("stream: StreamDecoder.feed, per event", per_call(decode_stream, 3) / n),
        ("stream:   SSEDecoder.feed alone", per_call(sse_only, 3) / n),
        ("stream:   json.loads alone", per_call(json_only, 3) / n),
        ("stream:   StreamAccumulator.feed alone", per_call(accumulate_only, 3) / n),
        ("stream: core, iter_bytes + StreamDecoder.feed, per event", per_call(
            core_over_bytes, 3) / n),
        ("stream: raw, iter_lines + json.loads, per event", per_call(raw_lines, 3) / n),
    ]  # fmt: skip
    width = max(len(name) for name, _ in rows)
    lines = ["== the core's layers alone (no network; best of 15):"]
    lines += [f"  {name:<{width}}  {micros:7.2f} µs" for name, micros in rows]
    return "\n".join(lines)


def adapter_layers(key: str, chunks: int) -> str:
    """Micro-timings of an adapter's own conversions, no network, beside its floor's."""
    import json
    import timeit

    import mixroute
    from benchmarks import server
    from benchmarks.contenders import API_KEY, MODEL, PROMPT

    def per_call(work: Callable[[], object], number: int) -> float:
        return min(timeit.repeat(work, number=number, repeat=15)) / number * 1e6

    completion = mixroute.parse_completion(json.loads(server.completion_body()))
    decoder = mixroute.StreamDecoder()
    deltas = [d for event in server.stream_events(chunks) for d in decoder.feed(event)]
    deltas = [d for d in deltas if d.content]
    n = len(deltas)
    base_url = "http://127.0.0.1:9/v1"  # never contacted
    rows: list[tuple[str, float]]
    llm: Any  # the adapter's model, its framework's messages: one of two, by key
    messages: list[Any]
    if key == "langchain":
        from langchain_core.messages import HumanMessage

        from benchmarks import floor_langchain
        from benchmarks.floor_langchain import FakeChatModel
        from langchain_mixroute import ChatMixroute
        from langchain_mixroute.chunks import ChunkBuilder
        from langchain_mixroute.convert import to_core_messages
        from langchain_mixroute.results import chat_result

        llm = ChatMixroute(model=MODEL, api_key=API_KEY, base_url=base_url, max_retries=0)
        fake = FakeChatModel()
        messages = [HumanMessage(PROMPT)]

        def chunk_all() -> None:
            builder = ChunkBuilder()
            for delta in deltas:
                builder.chunk(delta)

        def floor_chunks() -> None:
            for _ in fake._stream(messages, max_tokens=n):
                pass

        rows = [
            ("per call: _plan (options, profile, to_core_messages)", per_call(
                lambda: llm._plan(messages, None, {}), 5000)),
            ("per call:   to_core_messages alone", per_call(
                lambda: to_core_messages(messages), 5000)),
            ("per call: chat_result(completion)", per_call(lambda: chat_result(completion), 5000)),
            ("per call:   the floor's AIMessage + ChatResult", per_call(
                lambda: floor_langchain.chat_result(floor_langchain._ANSWER), 5000)),
            ("per call: _get_invocation_params (LangChain calls it)", per_call(
                lambda: llm._get_invocation_params(stop=None), 5000)),
            ("per call:   the floor's", per_call(
                lambda: fake._get_invocation_params(stop=None), 5000)),
            ("per call: _get_ls_params (LangChain calls it)", per_call(
                lambda: llm._get_ls_params(stop=None), 5000)),
            ("per call:   the floor's", per_call(lambda: fake._get_ls_params(stop=None), 5000)),
            ("per chunk: ChunkBuilder.chunk(delta)", per_call(chunk_all, 3) / n),
            ("per chunk:   the floor's AIMessageChunk + ChatGenerationChunk", per_call(
                floor_chunks, 3) / (n + 1)),
        ]  # fmt: skip
    elif key == "llama-index":
        from llama_index.core.llms import ChatMessage

        from benchmarks.floor_llama_index import response
        from llama_index_mixroute import Mixroute
        from llama_index_mixroute.convert import to_core_messages as li_to_core_messages
        from llama_index_mixroute.responses import chat_response
        from llama_index_mixroute.streaming import StreamResponses

        llm = Mixroute(model=MODEL, api_key=API_KEY, api_base=base_url, max_retries=0)
        messages = [ChatMessage(role="user", content=PROMPT)]
        core_messages = li_to_core_messages(messages)
        words = [d.content or "" for d in deltas]

        events = server.stream_events(chunks)

        class Read:  # what a core stream tells StreamResponses: its accumulator's state
            def __init__(self, decoder: mixroute.StreamDecoder) -> None:
                self.accumulator = decoder.accumulator

            @property
            def message(self) -> mixroute.AssistantMessage:
                return self.accumulator.message()

            @property
            def completion(self) -> mixroute.ChatCompletion:
                return self.accumulator.completion()

        def decode_all() -> None:
            decoder = mixroute.StreamDecoder()
            for event in events:
                decoder.feed(event)

        def assemble_all() -> None:
            decoder = mixroute.StreamDecoder()
            respond = StreamResponses(Read(decoder)).chat
            for event in events:
                for delta in decoder.feed(event):
                    respond(delta)

        def floor_responses() -> None:
            text = ""
            for word in words:
                text += word
                response(text, word, None)

        rows = [
            ("per call: to_core_messages", per_call(
                lambda: li_to_core_messages(messages), 5000)),
            ("per call: _request (options, build_request_body)", per_call(
                lambda: llm._request(core_messages, {}), 5000)),
            ("per call: chat_response(completion)", per_call(
                lambda: chat_response(completion), 5000)),
            ("per call:   the floor's ChatResponse", per_call(
                lambda: response(PROMPT, None, {}), 5000)),
            ("per call: to_payload (instrumentation calls it)", per_call(llm.to_payload, 5000)),
            ("per chunk: StreamResponses.chat(delta), minus the core's decoding", (
                per_call(assemble_all, 3) - per_call(decode_all, 3)) / n),
            ("per chunk:   the floor's ChatResponse", per_call(floor_responses, 3) / n),
        ]  # fmt: skip
    else:
        return ""
    width = max(len(name) for name, _ in rows)
    lines = [f"== the {key} adapter's layers alone (no network; best of 15):"]
    lines += [f"  {name:<{width}}  {micros:7.2f} µs" for name, micros in rows]
    return "\n".join(lines)


def main() -> None:
    sys.path.insert(0, str(ROOT))
    from benchmarks.contenders import by_key
    from benchmarks.machine import Server
    from benchmarks.measures import FULL

    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--contender", default="core")
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--streams", type=int, default=10)
    parser.add_argument("--chunks", type=int, default=2000)
    parser.add_argument("--top", type=int, default=12)
    parser.add_argument("--async-calls", type=int, default=2000)
    parser.add_argument("--in-flight", type=int, default=FULL.in_flight)
    parser.add_argument("--also", action="append", default=[], help="rank this package too")
    args = parser.parse_args()
    contender = by_key(args.contender)
    own = _OWN.get(contender.key, "mixroute")
    also = args.also or (["mixroute"] if contender.key in ("langchain", "llama-index") else [])
    server = Server(pin=True)
    small = stream = None
    try:
        contender.open(server.base_url, args.chunks)
        if not contender.async_only:
            for _ in range(50):
                contender.small_call()
            contender.stream_call()
            small = profile(contender.small_call, args.calls)
            stream = profile(contender.stream_call, args.streams)
        asynchronous = profile_async(contender, args.async_calls, args.in_flight)
        contender.close()
    finally:
        server.stop()
    if small is not None and stream is not None:
        print(report(f"{contender.label}, {args.calls} small calls", small, own, args.top, also))
        print()
        streamed = f"{args.streams} streams of {args.chunks} chunks"
        print(report(f"{contender.label}, {streamed}", stream, own, args.top, also))
        print()
    title = f"{contender.label}, {args.async_calls} async calls, {args.in_flight} in flight"
    print(report(title, asynchronous, own, args.top, also))
    if contender.key == "core":
        print()
        print(layers(args.chunks))
    elif contender.key in ("langchain", "llama-index"):
        print()
        print(adapter_layers(contender.key, args.chunks))


if __name__ == "__main__":
    main()
