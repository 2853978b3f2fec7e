"""The measures, each taking the contenders in turn so that drift hits them alike.

Small calls and streams alternate in short rounds; async bursts alternate too; import time
and peak RSS are taken in fresh interpreters. Contenders marked ``async_only`` take part in
the async measure only. The many-streams measure is in :mod:`benchmarks.many_streams`.
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
    in_flight: int = 50  # the measure; every pool allows 1,000 (see contenders.py)
    async_rounds: int = 15  # a burst's rate swings 2x on a shared VM: 15 steady the medians
    import_reps: int = 6  # 0: no separate import runs; the peak-RSS probes time the import
    rss_calls: int = 200
    many_streams: int = 1000  # concurrent streams on one client (0: not measured)
    many_chunks: int = 100  # chunks in each of them
    many_runs: int = 3  # per transport, each on a fresh client


FULL = Plan()


QUICK = Plan(
    small_calls=300,
    warmup=30,
    stream_runs=5,
    async_requests=200,
    async_rounds=2,
    import_reps=0,
    rss_calls=20,
    many_chunks=20,
    many_runs=1,
)


def measure_small(active: list[Contender], plan: Plan) -> dict[str, list[float]]:
    """Seconds per small call, each call timed, contenders interleaved in rounds.

    Every call's text is checked, after its time is taken.
    """
    from benchmarks.contenders import EXPECTED_CONTENT

    active = [c for c in active if not c.async_only]
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
                content = call()
                out.append(clock() - start)
                if content != EXPECTED_CONTENT:
                    raise AssertionError(f"{contender.label} read {content!r}")
    return times


def measure_stream(active: list[Contender], plan: Plan) -> dict[str, list[float]]:
    """Seconds per chunk of whole streams, one figure per run, contenders interleaved.

    Every stream must have seen ``plan.chunks`` deltas with text (checked after timing).
    """

    def check(contender: Contender, seen: int) -> None:
        if seen != plan.chunks:
            raise AssertionError(f"{contender.label} saw {seen} of {plan.chunks} chunks")

    active = [c for c in active if not c.async_only]
    for contender in active:
        check(contender, contender.stream_call())
    per_chunk: dict[str, list[float]] = {c.key: [] for c in active}
    for round_ in range(plan.stream_runs):
        for contender in rotated(active, round_):
            gc.collect()
            start = time.perf_counter()
            seen = contender.stream_call()
            per_chunk[contender.key].append((time.perf_counter() - start) / plan.chunks)
            check(contender, seen)
    return per_chunk


CPU = "|cpu"  # measure_async's key suffix for the requests per second of client CPU time


def measure_async(active: list[Contender], plan: Plan) -> dict[str, list[float]]:
    """Requests per second of bursts of ``async_requests`` with ``in_flight`` at once.

    Each timed burst follows an untimed one of ``in_flight`` requests on the same client,
    which opens again what the pool let expire while the other contenders ran (a round
    outlasts the 5 s keep-alive expiry): the figure is the throughput of a warm pool.
    Under ``key + CPU`` the same bursts per second of this process's CPU time: what the
    client spent, which a busy neighbour delays but hardly inflates (the server is
    another process).
    """
    from benchmarks.contenders import EXPECTED_CONTENT

    async def burst(contender: Contender, requests: int) -> tuple[float, float]:
        gate = asyncio.Semaphore(plan.in_flight)
        call = contender.async_call

        async def one() -> str:
            async with gate:
                return await call()

        cpu = time.process_time()
        start = time.perf_counter()
        answers = await asyncio.gather(*(one() for _ in range(requests)))
        elapsed = time.perf_counter() - start
        cpu = time.process_time() - cpu
        wrong = [answer for answer in answers if answer != EXPECTED_CONTENT]
        if wrong:
            raise AssertionError(f"{contender.label} read {wrong[0]!r}")
        return requests / elapsed, requests / cpu if cpu > 0 else 0.0

    async def main() -> dict[str, list[float]]:
        rates: dict[str, list[float]] = {c.key: [] for c in active}
        rates |= {c.key + CPU: [] for c in active}
        for contender in active:
            await contender.aopen()
            await burst(contender, plan.in_flight * 2)  # opens the pool's connections
        for round_ in range(plan.async_rounds):
            for contender in rotated(active, round_):
                await burst(contender, plan.in_flight)
                gc.collect()
                wall, cpu = await burst(contender, plan.async_requests)
                rates[contender.key].append(wall)
                rates[contender.key + CPU].append(cpu)
        for contender in active:
            await contender.aclose()
        return rates

    return asyncio.run(main())


_TIMED_IMPORT = "import time\n_start = time.perf_counter()\n{}\nprint(time.perf_counter() - _start)"


def measure_imports(active: list[Contender], plan: Plan) -> tuple[dict[str, list[float]], float]:
    """Seconds to import each contender's packages in a fresh interpreter, one list a rep.

    The import is timed inside the child (``time.perf_counter`` around the statement), so
    neither interpreter start-up nor its exit (a final collection that grows with what was
    loaded) is counted. One interpreter that imports everything goes first: it compiles
    whatever the bytecode cache lacks and warms the file cache, for every package alike.
    Returns the figures by contender key, and the median start-up of a bare interpreter.
    With ``import_reps`` 0 (the quick run) only the warm-up runs: the peak-RSS probes
    then give one import figure each.
    """
    active = [c for c in active if c.footprint]
    env = child_env()
    run = [sys.executable, "-c"]
    warm = "\n".join(c.import_statement for c in active)
    subprocess.run([*run, warm], check=True, cwd=ROOT, env=env)
    times: dict[str, list[float]] = {c.key: [] for c in active}
    startups = []
    for rep in range(max(plan.import_reps, 1)):
        start = time.perf_counter()
        subprocess.run([*run, "pass"], check=True, cwd=ROOT, env=env)
        startups.append(time.perf_counter() - start)
        if not plan.import_reps:  # the quick run: only the warm-up and the start-up
            break
        for contender in rotated(active, rep):
            code = _TIMED_IMPORT.format(contender.import_statement)
            done = subprocess.run(
                [*run, code], check=True, cwd=ROOT, env=env, capture_output=True, text=True
            )
            times[contender.key].append(float(done.stdout.split()[-1]))
    return times, statistics.median(startups)


def measure_rss(
    active: list[Contender], plan: Plan, base_url: str
) -> tuple[dict[str, float], dict[str, float], list[str]]:
    """Peak RSS in KiB of a fresh process that imports, calls and streams (key '' = bare).

    Also returns the seconds each probe took to import its contender (one sample each).
    """
    peaks: dict[str, float] = {}
    imports: dict[str, float] = {}
    failures: list[str] = []
    for key in ["none", *(c.key for c in active if c.footprint)]:
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
        found = json.loads(done.stdout.strip().splitlines()[-1])
        peaks["" if key == "none" else key] = float(found["maxrss_kib"])
        if key != "none":
            imports[key] = float(found["import_s"])
    return peaks, imports, failures


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
