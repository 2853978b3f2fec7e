"""Time raw httpx and the core side by side against the local server, in one run.

``python -m benchmarks.run`` (or ``python benchmarks/run.py``) with ``--quick`` for a smoke
run. Every contender in :data:`benchmarks.contenders.CONTENDERS` whose packages are
installed is measured on: a small non-streamed call (median and p90), a streamed answer
(cost per chunk), async throughput (requests/s with 50 in flight), import time and peak
RSS. Each figure is shown as a value and a ratio to the raw httpx anchor, in one table,
also written to ``benchmarks/results/latest.json``; then the targets are checked.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

if not __package__:  # run as a file (python benchmarks/run.py): make ``benchmarks`` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.machine import Server, busy, describe, foreign_share, machine_cpu, say, wait_quiet
from benchmarks.measures import (
    FULL,
    QUICK,
    Plan,
    measure_async,
    measure_imports,
    measure_rss,
    measure_small,
    measure_stream,
    p90,
    paired,
    rounds,
)
from benchmarks.report import Report, summary, table

if TYPE_CHECKING:
    from benchmarks.contenders import Contender

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).with_name("results") / "latest.json"


@dataclass(frozen=True)
class Target:
    """A limit on the core's ratio to the anchor for one metric."""

    metric: str
    contender: str
    limit: float
    text: str


TARGETS = (
    Target("small_median", "core", 1.15, "small call: core median <= 1.15x raw httpx"),
    Target("stream_chunk", "core", 1.30, "stream: core cost per chunk <= 1.3x raw httpx"),
)


METRICS = {  # key: (label, unit, better)
    "small_median": ("small call, median", "ms", "lower"),
    "small_p90": ("small call, p90", "ms", "lower"),
    "stream_chunk": ("stream, per chunk", "µs", "lower"),
    "async_rps": ("async, 500 req / 50 in flight", "req/s", "higher"),
    "import": ("import time", "ms", "lower"),
    "peak_rss": ("peak RSS", "MiB", "lower"),
}


def run(plan: Plan, keys: set[str] | None, pin: bool) -> Report:
    from benchmarks.contenders import CONTENDERS

    report = Report(
        date=datetime.now(UTC).isoformat(timespec="seconds"),
        machine=describe(),
        plan=asdict(plan),
    )
    anchor = CONTENDERS[0]
    active: list[Contender] = []
    for contender in CONTENDERS:
        if keys is not None and contender.key not in keys and contender is not anchor:
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
    by_round: dict[tuple[str, str], float] = {}  # median of per-round ratios to the anchor
    try:
        from benchmarks import capacity

        say("server capacity (stdlib socket client)")
        report.server["capacity"] = capacity.measure(server.port, plan.chunks, plan is QUICK)
        for contender in list(active):
            try:
                contender.open(server.base_url, plan.chunks)
            except Exception as exc:  # a broken contender is reported, not fatal
                _drop(active, contender, anchor, report, f"failed to open: {exc!r}")

        say(f"small calls: {plan.small_calls} each")
        with busy(server, busy_share, "small"):
            small = _guarded(measure_small, active, plan, anchor, report)
        for key, times in small.items():
            values[key, "small_median"] = statistics.median(times) * 1e3
            values[key, "small_p90"] = p90(times) * 1e3
            by_round[key, "small_median"] = paired(
                rounds(times, plan.small_batch), rounds(small[anchor.key], plan.small_batch)
            )

        say(f"streams: {plan.stream_runs} x {plan.chunks} chunks each")
        with busy(server, busy_share, "stream"):
            streams = _guarded(measure_stream, active, plan, anchor, report)
        for key, per_chunk in streams.items():
            values[key, "stream_chunk"] = statistics.median(per_chunk) * 1e6
            spread[key, "stream_chunk"] = (min(per_chunk) * 1e6, max(per_chunk) * 1e6)
            by_round[key, "stream_chunk"] = paired(
                [[x] for x in per_chunk], [[x] for x in streams[anchor.key]]
            )

        say(f"async: {plan.async_rounds} bursts of {plan.async_requests} each")
        with busy(server, busy_share, "async"):
            rates = _guarded(measure_async, active, plan, anchor, report)
        for key, per_burst in rates.items():
            values[key, "async_rps"] = statistics.median(per_burst)
            spread[key, "async_rps"] = (min(per_burst), max(per_burst))
            by_round[key, "async_rps"] = paired(
                [[x] for x in per_burst], [[x] for x in rates[anchor.key]]
            )
        for contender in active:
            contender.close()

        say(f"import time: median of {plan.import_reps} fresh interpreters")
        imports, startup = measure_imports(active, plan)
        for key, seconds in imports.items():
            values[key, "import"] = seconds * 1e3
        say("peak RSS: fresh process each")
        rss, failures = measure_rss(active, plan, server.base_url)
        for key, kib in rss.items():
            if key:
                values[key, "peak_rss"] = kib / 1024
        report.notes += failures
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
    if "" in rss:
        report.baseline["bare_interpreter_peak_rss_mib"] = round(rss[""] / 1024, 1)
    for metric, (label, unit, better) in METRICS.items():
        base = values.get((anchor.key, metric))
        for contender in active:
            value = values.get((contender.key, metric))
            if value is None:
                continue
            report.rows.append(
                {
                    "metric": metric,
                    "label": label,
                    "contender": contender.label,
                    "key": contender.key,
                    "value": round(value, 4),
                    "unit": unit,
                    "better": better,
                    "ratio": round(value / base, 3) if base else None,
                    "min_max": [round(x, 4) for x in spread.get((contender.key, metric), ())],
                    "paired_ratio": _round(by_round.get((contender.key, metric))),
                }
            )
    for target in TARGETS:
        row = next(
            (
                r
                for r in report.rows
                if r["metric"] == target.metric and r["key"] == target.contender
            ),
            None,
        )
        ratio = row["ratio"] if row else None
        report.targets.append(
            {
                "target": target.text,
                "limit": target.limit,
                "ratio": ratio,
                "paired_ratio": row["paired_ratio"] if row else None,
                "met": ratio is not None and ratio <= target.limit,
            }
        )
    return report


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


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a smoke run (under 30 s)")
    parser.add_argument("--only", help="comma-separated contender keys (the anchor always runs)")
    parser.add_argument("--no-pin", action="store_true", help="do not pin server and client")
    parser.add_argument("--markdown", action="store_true", help="also print a markdown table")
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
    started = time.perf_counter()
    report = run(QUICK if args.quick else FULL, keys, pin=not args.no_pin)
    report.plan["quick"] = args.quick
    report.plan["seconds"] = round(time.perf_counter() - started, 1)
    machine = report.machine
    print(
        f"\nmixroute benchmarks, {report.date}, {machine['cpu']} ({machine['cores']} cores), "
        f"Python {machine['python']}, httpx {machine['httpx']}, at {machine['revision']}"
        f"{', quick' if args.quick else ''}\n"
    )
    print(table(report))
    print()
    print(summary(report))
    if args.markdown:
        print()
        print(table(report, markdown=True))
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(asdict(report), indent=2, ensure_ascii=False) + "\n")
    print(f"\nwritten to {args.output} in {report.plan['seconds']} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
