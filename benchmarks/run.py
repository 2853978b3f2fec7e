"""Time raw httpx, the core and the adapters side by side against the local server, in one run.

``python -m benchmarks.run`` (or ``python benchmarks/run.py``) with ``--quick`` for a smoke
run. Every contender in :data:`benchmarks.contenders.CONTENDERS` whose packages are
installed is measured on: a small non-streamed call (median and p90), a streamed answer
(cost per chunk), async throughput (requests/s with 10 in flight), import time and peak
RSS. Each figure is shown as a value and a ratio to the raw httpx anchor, in one table,
also written to ``benchmarks/results/latest.json``; then each adapter's overhead is split
(its framework, the core, the rest) and the targets of the issues are checked.
"""

from __future__ import annotations

import argparse
import gc
import json
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

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
    rounds,
)
from benchmarks.report import Report, summary, table, target_lines

if TYPE_CHECKING:
    from benchmarks.contenders import Contender

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).with_name("results") / "latest.json"


@dataclass(frozen=True)
class Target:
    """A limit on one contender's figure for one metric, as the issues define it.

    ``kind`` says how the figure is made from the contender's value (``own``), the anchor's
    (``raw``) and a reference contender's (``ref``):

    - ``ratio``: own / raw, at most ``limit``;
    - ``overhead``: (own - raw) / (ref - raw), at most ``limit`` (the share of the
      reference's overhead over raw httpx);
    - ``at_least``: own / raw, at least ``limit`` (throughput);
    - ``plus``: own - ref, at most ``limit`` (in the metric's unit);
    - ``times``: own / ref, at most ``limit``.
    """

    contender: str
    metric: str
    kind: str
    limit: float
    text: str
    reference: str = ""

    def figure(self, own: float, raw: float, ref: float | None) -> float | None:
        """The figure compared with the limit, or ``None`` when it cannot be made."""
        if self.kind in ("ratio", "at_least"):
            return own / raw if raw else None
        if ref is None:
            return None
        if self.kind == "overhead":
            return (own - raw) / (ref - raw) if ref > raw else None
        if self.kind == "plus":
            return own - ref
        if self.kind == "times":
            return own / ref if ref else None
        raise ValueError(f"unknown target kind {self.kind!r}")

    def met(self, figure: float) -> bool:
        return figure >= self.limit if self.kind == "at_least" else figure <= self.limit


TARGETS = (
    Target("core", "small_median", "ratio", 1.15, "core: small-call median <= 1.15x raw httpx"),
    Target("core", "stream_chunk", "ratio", 1.30, "core: cost per chunk <= 1.3x raw httpx"),
    Target(
        "langchain",
        "small_median",
        "overhead",
        0.25,
        "ChatMixroute: per-call overhead over raw httpx <= 1/4 of ChatOpenAI's",
        "langchain-openai",
    ),
    Target(
        "langchain",
        "stream_chunk",
        "overhead",
        0.50,
        "ChatMixroute: per-chunk overhead over raw httpx <= 1/2 of ChatOpenAI's",
        "langchain-openai",
    ),
    Target(
        "langchain", "async_rps", "at_least", 0.90, "ChatMixroute: async >= 0.9x raw httpx's req/s"
    ),
    Target(
        "langchain",
        "import",
        "plus",
        100.0,
        "import langchain_mixroute <= import langchain_core.language_models.chat_models + 0.1 s",
        "langchain-floor",
    ),
    Target(
        "llama-index",
        "small_median",
        "overhead",
        0.25,
        "Mixroute (LlamaIndex): per-call overhead over raw httpx <= 1/4 of OpenAILike's",
        "llama-index-openai-like",
    ),
    Target(
        "llama-index",
        "stream_chunk",
        "overhead",
        0.50,
        "Mixroute (LlamaIndex): per-chunk overhead over raw httpx <= 1/2 of OpenAILike's",
        "llama-index-openai-like",
    ),
    Target(
        "llama-index",
        "async_rps",
        "at_least",
        0.90,
        "Mixroute (LlamaIndex): async >= 0.9x raw httpx's req/s",
    ),
    Target(
        "llama-index",
        "import",
        "times",
        1.10,
        "import llama_index_mixroute <= import llama_index.core.llms + 10%",
        "llama-index-floor",
    ),
)

# How an adapter's overhead over raw httpx splits: (adapter, its framework's floor without
# HTTP, the framework over raw httpx).
BREAKDOWNS = (
    ("langchain", "langchain-floor", "langchain-httpx"),
    ("llama-index", "llama-index-floor", "llama-index-httpx"),
)


METRICS = {  # key: (label, unit, better)
    "small_median": ("small call, median", "ms", "lower"),
    "small_p90": ("small call, p90", "ms", "lower"),
    "stream_chunk": ("stream, per chunk", "µs", "lower"),
    "async_rps": ("async, {requests} req / {in_flight} in flight", "req/s", "higher"),
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
    wanted = _wanted(keys)
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

        say(f"small calls: {plan.small_calls} each, {len(active)} contenders")
        with busy(server, busy_share, "small"):
            small = _guarded(measure_small, active, plan, anchor, report)
        for key, times in small.items():
            values[key, "small_median"] = statistics.median(times) * 1e3
            values[key, "small_p90"] = p90(times) * 1e3
            per_round = rounds(times, plan.small_batch)
            samples[key, "small_median"] = [statistics.median(r) * 1e3 for r in per_round]
        clock = _phase(phases, "small", clock)

        say(f"streams: {plan.stream_runs} x {plan.chunks} chunks each")
        with busy(server, busy_share, "stream"):
            streams = _guarded(measure_stream, active, plan, anchor, report)
        for key, per_chunk in streams.items():
            micros = [x * 1e6 for x in per_chunk]
            values[key, "stream_chunk"] = statistics.median(micros)
            spread[key, "stream_chunk"] = (min(micros), max(micros))
            samples[key, "stream_chunk"] = micros
        clock = _phase(phases, "stream", clock)

        say(
            f"async: {plan.async_rounds} bursts of {plan.async_requests} each, "
            f"{plan.in_flight} in flight"
        )
        with busy(server, busy_share, "async"):
            rates = _guarded(measure_async, active, plan, anchor, report)
        for key, per_burst in rates.items():
            values[key, "async_rps"] = statistics.median(per_burst)
            spread[key, "async_rps"] = (min(per_burst), max(per_burst))
            samples[key, "async_rps"] = per_burst
        for contender in active:
            contender.close()
        gc.unfreeze()
        clock = _phase(phases, "async", clock)

        say(f"import time: {plan.import_reps or 'no'} separate fresh interpreters each")
        imports, startup = measure_imports(active, plan)
        clock = _phase(phases, "import", clock)

        say("peak RSS: fresh process each")
        rss, probe_imports, failures = measure_rss(active, plan, server.base_url)
        for key, kib in rss.items():
            if key:
                values[key, "peak_rss"] = kib / 1024
        report.notes += failures
        if not plan.import_reps:  # the quick run: the probes' single import figure
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
            paired_ratio = _paired(
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
                    "paired_ratio": _round(paired_ratio),
                }
            )
    for target in TARGETS:
        report.targets.append(_verdict(target, anchor.key, values, samples))
    for adapter, floor, in_place in BREAKDOWNS:
        breakdown = _breakdown(adapter, floor, in_place, anchor.key, values)
        if breakdown:
            report.breakdowns.append(breakdown)
    return report


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
    for adapter, floor, in_place in BREAKDOWNS:
        if adapter in keys:
            wanted |= {floor, in_place, "core", "raw-asyncio"}
    return wanted


def _paired(
    figure: Callable[[float, float, float | None], float | None],
    own: list[float] | None,
    raw: list[float] | None,
    ref: list[float] | None,
) -> float | None:
    """The median over rounds of the figure made from each round's values."""
    if not own or not raw or len(own) != len(raw) or (ref is not None and len(ref) != len(own)):
        return None
    figures = [
        figure(o, r, ref[i] if ref is not None else None)
        for i, (o, r) in enumerate(zip(own, raw, strict=True))
    ]
    kept = [f for f in figures if f is not None]
    return statistics.median(kept) if len(kept) == len(figures) else None


def _verdict(
    target: Target,
    anchor: str,
    values: dict[tuple[str, str], float],
    samples: dict[tuple[str, str], list[float]],
) -> dict[str, Any]:
    own = values.get((target.contender, target.metric))
    raw = values.get((anchor, target.metric))
    ref = values.get((target.reference, target.metric)) if target.reference else None
    figure = None
    if own is not None and raw is not None and (ref is not None or not target.reference):
        figure = target.figure(own, raw, ref)
    paired_figure = _paired(
        target.figure,
        samples.get((target.contender, target.metric)),
        samples.get((anchor, target.metric)),
        samples.get((target.reference, target.metric)) if target.reference else None,
    )
    return {
        "target": target.text,
        "contender": target.contender,
        "metric": target.metric,
        "kind": target.kind,
        "limit": target.limit,
        "reference": target.reference or None,
        "own": _round(own),
        "raw": _round(raw),
        "ref": _round(ref),
        "figure": _round(figure),
        "paired_figure": _round(paired_figure),
        "met": figure is not None and target.met(figure),
        "paired_met": paired_figure is not None and target.met(paired_figure),
    }


def _breakdown(
    adapter: str, floor: str, in_place: str, anchor: str, values: dict[tuple[str, str], float]
) -> dict[str, Any] | None:
    """An adapter's overhead over raw httpx, in parts (per call, per chunk, per async call).

    ``framework``: the framework over raw httpx, minus raw httpx (its cost in place);
    ``framework_alone``: the floor without HTTP; ``core``: the core's overhead over raw
    httpx; ``rest``: what is left, the adapter's own conversions and glue. Async figures
    are CPU per request, 1 / throughput, in ms.
    """
    parts: dict[str, Any] = {"adapter": adapter, "floor": floor, "in_place": in_place}
    for metric in ("small_median", "stream_chunk", "async_rps"):
        found = [values.get((key, metric)) for key in (adapter, anchor, in_place, floor, "core")]
        if any(value is None for value in found):
            return None
        own, raw, framework, alone, core = (float(value or 0) for value in found)
        if metric == "async_rps":  # ms per request
            own, raw, framework, alone, core = (1e3 / x for x in (own, raw, framework, alone, core))
        parts[metric] = {
            "overhead": round(own - raw, 4),
            "framework": round(framework - raw, 4),
            "framework_alone": round(alone, 4),
            "core": round(core - raw, 4),
            "rest": round(own - framework - (core - raw), 4),
        }
    return parts


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
    parser.add_argument("--quick", action="store_true", help="a smoke run (under 45 s)")
    parser.add_argument("--only", help="comma-separated contender keys (the anchor always runs)")
    parser.add_argument("--no-pin", action="store_true", help="do not pin server and client")
    parser.add_argument("--markdown", action="store_true", help="also print a markdown table")
    parser.add_argument(
        "--in-flight", type=int, metavar="N", help="async requests in flight (default: the plan's)"
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
    started = time.perf_counter()
    plan = QUICK if args.quick else FULL
    if args.in_flight:
        plan = replace(plan, in_flight=args.in_flight)
    report = run(plan, keys, pin=not args.no_pin)
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
        print()
        print(target_lines(report, markdown=True))
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(asdict(report), indent=2, ensure_ascii=False) + "\n")
    print(f"\nwritten to {args.output} in {report.plan['seconds']} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
