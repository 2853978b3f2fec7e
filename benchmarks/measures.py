"""The five measures, each taking the contenders in turn so that drift hits them alike.

Small calls and streams alternate in short rounds; async bursts alternate too; import time
and peak RSS are taken in fresh interpreters.
"""

from __future__ import annotations

import asyncio
import gc
import json
import os
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from benchmarks.contenders import Contender

ROOT = Path(__file__).resolve().parent.parent
PYCACHE = Path(__file__).with_name("results") / "pycache"


@dataclass(frozen=True)
class Plan:
    """How much to measure."""

    small_calls: int = 3000  # per contender, timed one by one
    small_batch: int = 20  # calls per contender per round; rounds rotate the order
    warmup: int = 100
    chunks: int = 2000
    stream_runs: int = 31
    async_requests: int = 500
    in_flight: int = 50
    async_rounds: int = 11
    import_reps: int = 15
    rss_calls: int = 200


FULL = Plan()


QUICK = Plan(small_calls=300, warmup=30, stream_runs=5, async_rounds=2, import_reps=3)


def measure_small(active: list[Contender], plan: Plan) -> dict[str, list[float]]:
    """Seconds per small call, each call timed, contenders interleaved in rounds."""
    from benchmarks.contenders import EXPECTED_CONTENT

    for contender in active:
        for _ in range(plan.warmup):
            content = contender.small_call()
        if content != EXPECTED_CONTENT:
            raise AssertionError(f"{contender.label} read {content!r}")
    times: dict[str, list[float]] = {c.key: [] for c in active}
    clock = time.perf_counter
    for round_ in range(-(-plan.small_calls // plan.small_batch)):
        for contender in rotated(active, round_):
            call, out = contender.small_call, times[contender.key]
            gc.collect()
            for _ in range(plan.small_batch):
                start = clock()
                call()
                out.append(clock() - start)
    return times


def measure_stream(active: list[Contender], plan: Plan) -> dict[str, list[float]]:
    """Seconds per chunk of whole streams, one figure per run, contenders interleaved."""
    for contender in active:
        seen = contender.stream_call()
        if seen != plan.chunks:
            raise AssertionError(f"{contender.label} saw {seen} of {plan.chunks} chunks")
    per_chunk: dict[str, list[float]] = {c.key: [] for c in active}
    for round_ in range(plan.stream_runs):
        for contender in rotated(active, round_):
            gc.collect()
            start = time.perf_counter()
            contender.stream_call()
            per_chunk[contender.key].append((time.perf_counter() - start) / plan.chunks)
    return per_chunk


def measure_async(active: list[Contender], plan: Plan) -> dict[str, list[float]]:
    """Requests per second of bursts of ``async_requests`` with ``in_flight`` at once."""
    from benchmarks.contenders import EXPECTED_CONTENT

    async def burst(contender: Contender, requests: int) -> float:
        gate = asyncio.Semaphore(plan.in_flight)
        call = contender.async_call

        async def one() -> str:
            async with gate:
                return await call()

        start = time.perf_counter()
        answers = await asyncio.gather(*(one() for _ in range(requests)))
        elapsed = time.perf_counter() - start
        if answers[-1] != EXPECTED_CONTENT:
            raise AssertionError(f"{contender.label} read {answers[-1]!r}")
        return requests / elapsed

    async def main() -> dict[str, list[float]]:
        rates: dict[str, list[float]] = {c.key: [] for c in active}
        for contender in active:
            await contender.aopen()
            await burst(contender, plan.in_flight * 2)  # opens the pool's connections
        for round_ in range(plan.async_rounds):
            for contender in rotated(active, round_):
                gc.collect()
                rates[contender.key].append(await burst(contender, plan.async_requests))
        for contender in active:
            await contender.aclose()
        return rates

    return asyncio.run(main())


def measure_imports(active: list[Contender], plan: Plan) -> tuple[dict[str, float], float]:
    """Seconds to import each contender's packages in a fresh interpreter, startup removed."""
    env = child_env()
    statements = {"": "pass"} | {c.key: c.import_statement for c in active}
    runs: dict[str, list[float]] = {key: [] for key in statements}
    for rep in range(plan.import_reps + 1):  # the first pass warms the file cache
        for key, statement in statements.items():
            start = time.perf_counter()
            subprocess.run([sys.executable, "-c", statement], check=True, cwd=ROOT, env=env)
            if rep:
                runs[key].append(time.perf_counter() - start)
    startup = statistics.median(runs.pop(""))
    return {key: statistics.median(times) - startup for key, times in runs.items()}, startup


def measure_rss(
    active: list[Contender], plan: Plan, base_url: str
) -> tuple[dict[str, float], list[str]]:
    """Peak RSS in KiB of a fresh process that imports, calls and streams (key '' = bare)."""
    peaks: dict[str, float] = {}
    failures: list[str] = []
    for key in ["none", *(c.key for c in active)]:
        args = [key, base_url, str(plan.rss_calls), str(plan.chunks)]
        done = subprocess.run(
            [sys.executable, "-m", "benchmarks.probe", *args],
            cwd=ROOT,
            env=child_env(),
            capture_output=True,
            text=True,
        )
        if done.returncode:
            failures.append(f"no peak RSS for {key}: {done.stderr.strip().splitlines()[-1:]}")
            continue
        peak = json.loads(done.stdout.strip().splitlines()[-1])["maxrss_kib"]
        peaks["" if key == "none" else key] = float(peak)
    return peaks, failures


def child_env() -> dict[str, str]:
    """The environment of measured subprocesses: bytecode cached, as for installed packages.

    With ``PYTHONDONTWRITEBYTECODE`` set and an editable install, every import of the
    package would recompile it; a private cache under ``results/`` (git-ignored) avoids
    that without writing into the source tree.
    """
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = str(PYCACHE)
    return env


def rotated(active: list[Contender], round_: int) -> list[Contender]:
    shift = round_ % len(active)
    return active[shift:] + active[:shift]


def p90(values: list[float]) -> float:
    return statistics.quantiles(values, n=10)[-1]


def rounds(times: list[float], size: int) -> list[list[float]]:
    return [times[i : i + size] for i in range(0, len(times), size)]


def paired(own_rounds: list[list[float]], anchor_rounds: list[list[float]]) -> float:
    """The median over rounds of this round's median over the anchor's in the same round.

    A cross-check of the ratio of medians: a round's two figures were taken moments apart,
    so a neighbour's load or a clock change weighs on both; when the two ratios disagree,
    the machine was not quiet.
    """
    return statistics.median(
        statistics.median(mine) / statistics.median(theirs)
        for mine, theirs in zip(own_rounds, anchor_rounds, strict=True)
    )
