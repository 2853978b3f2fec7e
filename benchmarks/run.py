"""Time raw httpx, the core and the adapters side by side against the local server, in one run.

``python -m benchmarks.run`` (or ``python benchmarks/run.py``) with ``--quick`` for a smoke
run. Every contender in :data:`benchmarks.contenders.CONTENDERS` whose packages are
installed is measured on: a small non-streamed call (median and p90), a streamed answer
(cost per chunk), async throughput (requests/s with 50 in flight), import time and peak
RSS (async-only contenders on the async measure alone). Each figure is shown as a value
and a ratio to the raw httpx anchor, in one table, also written to
``benchmarks/results/latest.json``; the async figures again side by side with raw aiohttp
and each framework's floor over it; then each adapter's overhead is split (its framework,
the core, the rest), the targets of the issues are checked, and the wall time of 1,000
concurrent streams on one async client is reported per transport.
"""

from __future__ import annotations

import argparse
import gc
import json
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

if not __package__:  # run as a file (python benchmarks/run.py): make ``benchmarks`` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.machine import Server, busy, describe, foreign_share, machine_cpu, say, wait_quiet
from benchmarks.measures import (
    CPU,
    FULL,
    QUICK,
    Plan,
    measure_async,
    measure_imports,
    measure_rss,
    measure_small,
    measure_stream,
    p90,
    rounds,
)
from benchmarks.report import Report, async_side_lines, summary, table, target_lines
from benchmarks.targets import (
    ASYNC_BASE,
    BREAKDOWNS,
    TARGETS,
    async_side,
    breakdown,
    paired,
    rounded,
    verdict,
)

if TYPE_CHECKING:
    from benchmarks.contenders import Contender

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).with_name("results") / "latest.json"


METRICS = {  # key: (label, unit, better)
    "small_median": ("small call, median", "ms", "lower"),
    "small_p90": ("small call, p90", "ms", "lower"),
    "stream_chunk": ("stream, per chunk", "µs", "lower"),
    "async_rps": ("async, {requests} req / {in_flight} in flight", "req/s", "higher"),
    "async_cpu_rps": ("async, the same per client CPU second", "req/CPU-s", "higher"),
    "import": ("import time", "ms", "lower"),
    "peak_rss": ("peak RSS", "MiB", "lower"),
}


MEASURES = ("small", "stream", "async", "many", "import")


def run(
    plan: Plan,
    keys: set[str] | None,
    pin: bool,
    measures: frozenset[str] = frozenset(MEASURES),
    exact: bool = False,
) -> Report:
    from benchmarks.contenders import CONTENDERS

    report = Report(
        date=datetime.now(UTC).isoformat(timespec="seconds"),
        machine=describe(),
        plan=asdict(plan),
    )
    report.plan["pools"] = _pools(report)
    anchor = CONTENDERS[0]
    wanted = set(keys) if exact and keys is not None else _wanted(keys)
    active: list[Contender] = []
    for contender in CONTENDERS:
        if wanted is not None and contender.key not in wanted and contender is not anchor:
            continue
        reason = contender.missing()
        if reason:
            report.notes.append(f"skipped {contender.label}: {reason}")
        else:
            active.append(contender)
    if not active or active[0] is not anchor:
        raise SystemExit(f"the anchor ({anchor.label}) cannot run: {anchor.missing()}")

    cpu_before = machine_cpu()
    server = Server(pin)
    report.machine["pinned"] = server.pinned
    busy_share: dict[str, float] = {}
    values: dict[tuple[str, str], float] = {}
    spread: dict[tuple[str, str], tuple[float, float]] = {}  # min and max over runs
    # One figure per round (small calls: the round's median), aligned across contenders,
    # for the paired ratios: each round's figures were taken moments apart.
    samples: dict[tuple[str, str], list[float]] = {}
    phases: dict[str, float] = {}
    clock = time.perf_counter()
    try:
        from benchmarks import capacity

        say("server capacity (stdlib socket client)")
        report.server["capacity"] = capacity.measure(
            server.port, plan.chunks, plan.import_reps == 0, plan.in_flight
        )
        for contender in list(active):
            try:
                contender.open(server.base_url, plan.chunks)
            except Exception as exc:  # a broken contender is reported, not fatal
                _drop(active, contender, anchor, report, f"failed to open: {exc!r}")
        # The frameworks leave ~250,000 objects behind: a full collection takes 0.3 s.
        # Frozen, they are left out of the collections between rounds (and of the
        # collector's passes during the calls), for every contender alike.
        gc.collect()
        gc.freeze()
        clock = _phase(phases, "setup", clock)

        synchronous = sum(not c.async_only for c in active)
        small: dict[str, list[float]] = {}
        if "small" in measures:
            say(f"small calls: {plan.small_calls} each, {synchronous} contenders")
            with busy(server, busy_share, "small"):
                small = _guarded(measure_small, active, plan, anchor, report)
        for key, times in small.items():
            values[key, "small_median"] = statistics.median(times) * 1e3
            values[key, "small_p90"] = p90(times) * 1e3
            per_round = rounds(times, plan.small_batch)
            samples[key, "small_median"] = [statistics.median(r) * 1e3 for r in per_round]
        clock = _phase(phases, "small", clock)

        streams: dict[str, list[float]] = {}
        if "stream" in measures:
            say(f"streams: {plan.stream_runs} x {plan.chunks} chunks each")
            with busy(server, busy_share, "stream"):
                streams = _guarded(measure_stream, active, plan, anchor, report)
        for key, per_chunk in streams.items():
            micros = [x * 1e6 for x in per_chunk]
            values[key, "stream_chunk"] = statistics.median(micros)
            spread[key, "stream_chunk"] = (min(micros), max(micros))
            samples[key, "stream_chunk"] = micros
        clock = _phase(phases, "stream", clock)

        rates: dict[str, list[float]] = {}
        if "async" in measures:
            say(
                f"async: {plan.async_rounds} bursts of {plan.async_requests} each, "
                f"{plan.in_flight} in flight, {len(active)} contenders"
            )
            with busy(server, busy_share, "async"):
                rates = _guarded(measure_async, active, plan, anchor, report)
        for key, per_burst in rates.items():
            metric = "async_rps"
            if key.endswith(CPU):  # the same bursts per second of the client's CPU time
                key, metric = key.removesuffix(CPU), "async_cpu_rps"
            values[key, metric] = statistics.median(per_burst)
            spread[key, metric] = (min(per_burst), max(per_burst))
            samples[key, metric] = per_burst
        report.plan["async_transports"] = {
            c.key: c.async_transport for c in active if c.async_transport
        }
        for contender in active:
            contender.close()
        gc.unfreeze()
        clock = _phase(phases, "async", clock)

        if plan.many_streams and "many" in measures:
            _many_streams(plan, server.base_url, report)
            clock = _phase(phases, "many_streams", clock)

        imports: dict[str, list[float]] = {}
        startup = 0.0
        rss: dict[str, float] = {}
        probe_imports: dict[str, float] = {}
        failures: list[str] = []
        if "import" in measures:
            say(f"import time: {plan.import_reps or 'no'} separate fresh interpreters each")
            imports, startup = measure_imports(active, plan)
            clock = _phase(phases, "import", clock)
            say("peak RSS: fresh process each")
            rss, probe_imports, failures = measure_rss(active, plan, server.base_url)
        for key, kib in rss.items():
            if key:
                values[key, "peak_rss"] = kib / 1024
        report.notes += failures
        if not plan.import_reps and "import" in measures:
            # The quick run: the probes' single import figure.
            imports = {key: [seconds] for key, seconds in probe_imports.items()}
            report.notes.append("import time: one sample each, from the peak-RSS probes")
        for key, seconds in imports.items():
            millis = [x * 1e3 for x in seconds]
            values[key, "import"] = statistics.median(millis)
            spread[key, "import"] = (min(millis), max(millis))
            samples[key, "import"] = millis
        clock = _phase(phases, "rss", clock)
    finally:
        server.stop()
    foreign = foreign_share(cpu_before)
    if foreign is not None:
        report.machine["foreign_cpu_share"] = round(foreign, 3)
        if foreign > 0.05:
            report.notes.append(
                f"other processes used {foreign:.0%} of the machine's CPU during the run: "
                "expect noisier figures (busy neighbours slow this run's code too)"
            )

    report.server["busy_share"] = busy_share
    report.baseline["interpreter_startup_ms"] = round(startup * 1e3, 1)
    report.baseline["phase_seconds"] = phases
    if "" in rss:
        report.baseline["bare_interpreter_peak_rss_mib"] = round(rss[""] / 1024, 1)
    for metric, (label, unit, better) in METRICS.items():
        label = label.format(requests=plan.async_requests, in_flight=plan.in_flight)
        base = values.get((anchor.key, metric))
        for contender in active:
            value = values.get((contender.key, metric))
            if value is None:
                continue
            paired_ratio = paired(
                lambda own, raw, _: own / raw if raw else None,
                samples.get((contender.key, metric)),
                samples.get((anchor.key, metric)),
                None,
            )
            report.rows.append(
                {
                    "metric": metric,
                    "label": label,
                    "contender": contender.label,
                    "key": contender.key,
                    "http": contender.http,
                    "value": round(value, 4),
                    "unit": unit,
                    "better": better,
                    "ratio": round(value / base, 3) if base else None,
                    "over_anchor": round(value - base, 4) if base is not None else None,
                    "min_max": [round(x, 4) for x in spread.get((contender.key, metric), ())],
                    "paired_ratio": rounded(paired_ratio),
                }
            )
    for target in TARGETS:
        report.targets.append(verdict(target, anchor.key, values, samples))
    for adapter, floor, in_httpx, in_aiohttp in BREAKDOWNS:
        parts = breakdown(adapter, floor, in_httpx, in_aiohttp, anchor.key, values)
        if parts:
            report.breakdowns.append(parts)
    report.async_side = async_side(values, {c.key: c.label for c in active})
    return report


def _pools(report: Report) -> dict[str, Any]:
    """The pool limits every client here gets, checked against the core's own."""
    from benchmarks.contenders import KEEPALIVE_EXPIRY, MAX_CONNECTIONS, MAX_KEEPALIVE

    stated = {
        "max_connections": MAX_CONNECTIONS,
        "max_keepalive_connections": MAX_KEEPALIVE,
        "keepalive_expiry": KEEPALIVE_EXPIRY,
    }
    try:
        from mixroute.client import POOL_LIMITS
    except ImportError:
        return stated
    core = {
        "max_connections": POOL_LIMITS.max_connections,
        "max_keepalive_connections": POOL_LIMITS.max_keepalive_connections,
        "keepalive_expiry": POOL_LIMITS.keepalive_expiry,
    }
    if core != stated:
        report.notes.append(
            f"the core's pool limits {core} differ from the other clients' {stated} "
            "(benchmarks/contenders.py): the async figures compare pool settings too"
        )
    return stated


def _many_streams(plan: Plan, base_url: str, report: Report) -> None:
    """The wall time of ``plan.many_streams`` concurrent streams on one client, per kind."""
    from benchmarks import many_streams

    say(
        f"many streams: {plan.many_streams} at once, {plan.many_chunks} chunks each, "
        f"{plan.many_runs} run(s) per client kind"
    )
    try:
        seconds, failures = many_streams.measure(
            base_url, plan.many_streams, plan.many_chunks, plan.many_runs, say
        )
    except Exception as exc:  # reported, not fatal: it has no target
        report.notes.append(f"many streams failed: {exc!r}")
        return
    report.notes += failures
    report.many_streams = {
        "streams": plan.many_streams,
        "chunks": plan.many_chunks,
        "seconds": {label: [round(x, 3) for x in values] for label, values in seconds.items()},
        "median": {label: round(statistics.median(x), 3) for label, x in seconds.items()},
    }


def _phase(phases: dict[str, float], name: str, since: float) -> float:
    now = time.perf_counter()
    phases[name] = round(now - since, 1)
    return now


def _wanted(keys: set[str] | None) -> set[str] | None:
    """The contenders ``--only`` asks for, with what their targets compare them to."""
    if keys is None:
        return None
    wanted = set(keys)
    for target in TARGETS:
        if target.contender in keys and target.reference:
            wanted.add(target.reference)
    for adapter, floor, in_httpx, in_aiohttp in BREAKDOWNS:
        if adapter in keys:
            wanted |= {floor, in_httpx, in_aiohttp, "core", ASYNC_BASE}
    return wanted


def _guarded(
    measure: Callable[[list[Contender], Plan], dict[str, list[float]]],
    active: list[Contender],
    plan: Plan,
    anchor: Contender,
    report: Report,
) -> dict[str, list[float]]:
    """Run a measure; a contender that raises is dropped with a note and the rest go on."""
    while True:
        try:
            return measure(active, plan)
        except Exception as exc:
            culprit = _culprit(exc, active)
            if culprit is None:
                raise
            _drop(active, culprit, anchor, report, f"{measure.__name__} failed: {exc!r}")


def _culprit(exc: BaseException, active: list[Contender]) -> Contender | None:
    """The contender whose code raised, from the traceback (the innermost one wins)."""
    found = None
    traceback = exc.__traceback__
    while traceback is not None:
        owner = traceback.tb_frame.f_locals.get("self")
        for contender in active:
            if owner is contender:
                found = contender
        traceback = traceback.tb_next
    if found is None and len(active) > 1:
        for contender in active:
            if contender.label in str(exc):
                found = contender
    return found


def _drop(
    active: list[Contender], contender: Contender, anchor: Contender, report: Report, why: str
) -> None:
    if contender is anchor:
        raise SystemExit(f"the anchor ({anchor.label}) failed: {why}")
    active.remove(contender)
    report.notes.append(f"dropped {contender.label}: {why}")
    say(f"dropped {contender.label}: {why}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a smoke run (under 45 s)")
    parser.add_argument("--only", help="comma-separated contender keys (the anchor always runs)")
    parser.add_argument("--no-pin", action="store_true", help="do not pin server and client")
    parser.add_argument("--markdown", action="store_true", help="also print a markdown table")
    parser.add_argument(
        "--in-flight", type=int, metavar="N", help="async requests in flight (default: 50)"
    )
    parser.add_argument(
        "--async-rounds", type=int, metavar="N", help="timed async bursts each (default: 15)"
    )
    parser.add_argument(
        "--many-streams",
        type=int,
        metavar="N",
        help="concurrent streams on one client for the many-streams figure (default: 1000; "
        "0 skips it)",
    )
    parser.add_argument(
        "--measures",
        default=",".join(MEASURES),
        help=f"comma-separated measures to take (default: all of {','.join(MEASURES)})",
    )
    parser.add_argument(
        "--exact",
        action="store_true",
        help="with --only: run just those contenders and the anchor, not what they compare with",
    )
    parser.add_argument("--output", type=Path, default=RESULTS, help="where the JSON goes")
    parser.add_argument(
        "--wait-quiet",
        type=float,
        default=0,
        metavar="SECONDS",
        help="first wait up to this long for other processes to use under 10%% of the CPUs",
    )
    args = parser.parse_args(argv)
    if args.wait_quiet:
        wait_quiet(0.10, args.wait_quiet)
    keys = set(args.only.split(",")) if args.only else None
    measures = frozenset(args.measures.split(","))
    unknown = measures - set(MEASURES)
    if unknown:
        parser.error(f"unknown measures {sorted(unknown)}; choose from {', '.join(MEASURES)}")
    started = time.perf_counter()
    plan = QUICK if args.quick else FULL
    if args.in_flight:
        plan = replace(plan, in_flight=args.in_flight)
    if args.async_rounds:
        plan = replace(plan, async_rounds=args.async_rounds)
    if args.many_streams is not None:
        plan = replace(plan, many_streams=args.many_streams)
    report = run(plan, keys, pin=not args.no_pin, measures=measures, exact=args.exact)
    report.plan["quick"] = args.quick
    report.plan["seconds"] = round(time.perf_counter() - started, 1)
    machine = report.machine
    print(
        f"\nmixroute benchmarks, {report.date}, {machine['cpu']} ({machine['cores']} cores), "
        f"Python {machine['python']}, httpx {machine['httpx']}, httpcore {machine['httpcore']}, "
        f"aiohttp {machine['aiohttp']}, at {machine['revision']}"
        f"{', quick' if args.quick else ''}\n"
    )
    print(table(report))
    print()
    print(summary(report))
    if args.markdown:
        print()
        print(table(report, markdown=True))
        print()
        print(async_side_lines(report, markdown=True))
        print()
        print(target_lines(report, markdown=True))
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(asdict(report), indent=2, ensure_ascii=False) + "\n")
    print(f"\nwritten to {args.output} in {report.plan['seconds']} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
