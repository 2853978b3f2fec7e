"""Many concurrent streams on one async client: the wall time, per transport (no target).

``python -m benchmarks.many_streams [--streams 1000] [--chunks 100] [--runs 3]`` starts the
benchmark server; for each of the core's async transports (aiohttp, httpx) it makes a
fresh ``AsyncMixrouteClient``, opens ``--streams`` streams on it at once, reads every one
to its end, and closes the client. The figure is the wall time from the first open to the
last stream read, connections included (the pool starts empty, as a client's does; its
1,000 connections are enough for 1,000 streams). Raw aiohttp does the same with one fresh
session, for reference. A throwaway run of 10 streams per client kind goes first (imports,
first-use costs). The runner (``benchmarks.run``) calls :func:`measure` after its async
measure. The test suite checks this case's correctness; here each stream's count of text
deltas is checked, and only the time is reported.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING

if not __package__:  # run as a file: make ``benchmarks`` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.contenders import MODEL, PROMPT, aiohttp_session
from benchmarks.server import raise_open_files

if TYPE_CHECKING:
    from mixroute.settings import AsyncTransportName

TIMEOUT = 300.0  # per phase, as the other clients' 30 s: a crowded loop must not trip it
RAW = "raw aiohttp"

OneRun = Callable[[str, int, int], Awaitable[float]]


def core_label(transport: str) -> str:
    return f"mixroute core, {transport} transport"


async def _core_run(
    base_url: str, streams: int, chunks: int, transport: AsyncTransportName
) -> float:
    """Seconds for ``streams`` streams at once on a fresh ``AsyncMixrouteClient``."""
    import mixroute
    from benchmarks.contenders import API_KEY

    client = mixroute.AsyncMixrouteClient(
        api_key=API_KEY,
        base_url=base_url,
        max_retries=0,
        timeout=TIMEOUT,
        async_transport=transport,
    )
    if client.transport != transport:
        raise RuntimeError(f"asked for the {transport} transport, got {client.transport}")
    messages = [mixroute.UserMessage(PROMPT)]

    async def one() -> int:
        seen = 0
        async with await client.stream(MODEL, messages, max_tokens=chunks) as stream:
            async for delta in stream:
                if delta.content:
                    seen += 1
        return seen

    try:
        start = time.perf_counter()
        seen = await asyncio.gather(*(one() for _ in range(streams)))
        elapsed = time.perf_counter() - start
    finally:
        await client.aclose()
    _check(core_label(transport), seen, chunks)
    return elapsed


async def _raw_run(base_url: str, streams: int, chunks: int) -> float:
    """Seconds for ``streams`` streams at once on a fresh ``aiohttp.ClientSession``."""
    url = f"{base_url}/chat/completions"
    body = {
        "model": MODEL,
        "messages": [{"role": "user", "content": PROMPT}],
        "stream": True,
        "stream_options": {"include_usage": True},
        "max_tokens": chunks,
    }
    session = aiohttp_session()

    async def one() -> int:
        seen = 0
        async with session.post(url, json=body) as response:
            async for line in response.content:  # one line per iteration
                if line.startswith(b"data: {"):
                    choices = json.loads(line[6:])["choices"]
                    if choices and choices[0]["delta"].get("content"):
                        seen += 1
        return seen

    try:
        start = time.perf_counter()
        seen = await asyncio.gather(*(one() for _ in range(streams)))
        elapsed = time.perf_counter() - start
    finally:
        await session.close()
    _check(RAW, seen, chunks)
    return elapsed


def _check(label: str, seen: list[int], chunks: int) -> None:
    wrong = [count for count in seen if count != chunks]
    if wrong:
        raise AssertionError(f"{label}: {len(wrong)} streams saw {wrong[0]} of {chunks} chunks")


def runs() -> dict[str, OneRun]:
    """What is measured, by label: the core on each transport, then raw aiohttp."""

    def core(transport: AsyncTransportName) -> OneRun:
        return lambda url, streams, chunks: _core_run(url, streams, chunks, transport)

    return {
        core_label("aiohttp"): core("aiohttp"),
        core_label("httpx"): core("httpx"),
        RAW: _raw_run,
    }


def measure(
    base_url: str, streams: int, chunks: int, repeat: int, say: Callable[[str], None] = print
) -> tuple[dict[str, list[float]], list[str]]:
    """Wall seconds of ``repeat`` runs each, by label, the kinds rotating from run to run.

    A kind whose throwaway run fails (say aiohttp is not installed) is left out, and said
    so in the returned notes; the others go on.
    """
    raise_open_files(streams + 1024)
    kinds = runs()
    failed: dict[str, str] = {}

    async def main() -> dict[str, list[float]]:
        seconds: dict[str, list[float]] = {label: [] for label in kinds}
        for label, run in kinds.items():  # the throwaway runs
            try:
                await run(base_url, 10, chunks)
            except Exception as exc:  # reported, not fatal
                failed[label] = repr(exc)
        live = [label for label in kinds if label not in failed]
        for round_ in range(repeat):
            for label in live[round_ % len(live) :] + live[: round_ % len(live)]:
                gc.collect()
                seconds[label].append(await kinds[label](base_url, streams, chunks))
                say(f"{streams} streams, {label}: {seconds[label][-1]:.2f} s")
        return {label: values for label, values in seconds.items() if values}

    found = asyncio.run(main())
    return found, [
        f"{streams} streams, {label}: failed: {error}" for label, error in failed.items()
    ]


def main() -> int:
    from benchmarks.machine import Server

    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--streams", type=int, default=1000)
    parser.add_argument("--chunks", type=int, default=100, help="chunks in each stream")
    parser.add_argument("--runs", type=int, default=3, help="timed runs per kind")
    parser.add_argument("--no-pin", action="store_true", help="do not pin server and client")
    args = parser.parse_args()
    server = Server(pin=not args.no_pin)
    try:
        found, failures = measure(server.base_url, args.streams, args.chunks, args.runs)
    finally:
        server.stop()
    for failure in failures:
        print(failure)
    print(f"\n{args.streams} concurrent streams of {args.chunks} chunks, fresh client each run:")
    for label, seconds in found.items():
        print(f"  {label}: {statistics.median(seconds):.2f} s (median of {len(seconds)})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
