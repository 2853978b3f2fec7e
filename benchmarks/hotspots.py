"""Where a contender's time goes: cProfile of its small calls and of its streams.

``python -m benchmarks.hotspots [--contender core] [--calls 2000] [--streams 10] [--top 12]``
starts the benchmark server, profiles the calls, and prints for each workload the share of
time by package (the contender's own code, httpx/httpcore/h11, json, the rest) and the top
functions of the contender's own code by self time. Profiling slows Python code several
times over, so read the shares and the ranking, not the absolute times; for the core it
then times each of its layers alone, without the network, in µs per call or per chunk.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import sys
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

_PACKAGES = {  # the first marker found in a function's file name names its package
    "/mixroute/": "mixroute",
    "/langchain": "langchain",
    "/llama_index/": "llama_index",
    "/openai/": "openai",
    "/httpx/": "httpx",
    "/httpcore/": "httpcore",
    "/h11/": "h11",
    "/anyio/": "anyio",
    "/json/": "json",
    "/pydantic": "pydantic",
    "/benchmarks/": "benchmarks",
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


def report(title: str, stats: pstats.Stats, own: str, top: int) -> str:
    """Self time by package, then the contender's own top functions by self time."""
    raw: dict[tuple[str, int, str], tuple[int, int, float, float, dict[object, object]]]
    raw = stats.stats  # type: ignore[attr-defined]
    total = sum(entry[2] for entry in raw.values())
    by_package: dict[str, float] = defaultdict(float)
    for (filename, _, _), entry in raw.items():
        by_package[_package(filename)] += entry[2]
    lines = [f"== {title}: {total:.3f} s profiled self time", "self time by package:"]
    for name, seconds in sorted(by_package.items(), key=lambda item: -item[1]):
        lines.append(f"  {seconds / total:6.1%}  {name}")
    lines.append(f"top {own} functions by self time (share of all, calls, cumulative share):")
    mine = [(key, entry) for key, entry in raw.items() if _package(key[0]) == own]
    for (filename, line, name), entry in sorted(mine, key=lambda item: -item[1][2])[:top]:
        where = f"{Path(filename).name}:{line}({name})"
        lines.append(f"  {entry[2] / total:6.1%}  {entry[1]:>8}  {entry[3] / total:6.1%}  {where}")
    return "\n".join(lines)


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


def main() -> None:
    sys.path.insert(0, str(ROOT))
    from benchmarks.contenders import by_key
    from benchmarks.machine import Server

    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--contender", default="core")
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--streams", type=int, default=10)
    parser.add_argument("--chunks", type=int, default=2000)
    parser.add_argument("--top", type=int, default=12)
    args = parser.parse_args()
    contender = by_key(args.contender)
    own = {"core": "mixroute", "raw": "httpx"}.get(contender.key, "mixroute")
    server = Server(pin=True)
    try:
        contender.open(server.base_url, args.chunks)
        for _ in range(50):
            contender.small_call()
        contender.stream_call()
        small = profile(contender.small_call, args.calls)
        stream = profile(contender.stream_call, args.streams)
        contender.close()
    finally:
        server.stop()
    print(report(f"{contender.label}, {args.calls} small calls", small, own, args.top))
    print()
    streamed = f"{args.streams} streams of {args.chunks} chunks"
    print(report(f"{contender.label}, {streamed}", stream, own, args.top))
    if contender.key == "core":
        print()
        print(layers(args.chunks))


if __name__ == "__main__":
    main()
