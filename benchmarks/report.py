"""The report of one run: its figures as data (written as JSON) and as printed tables."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class Report:
    """Everything one run found, as written to ``latest.json``."""

    date: str
    machine: dict[str, Any]
    plan: dict[str, Any]
    rows: list[dict[str, Any]] = field(default_factory=list)
    targets: list[dict[str, Any]] = field(default_factory=list)
    breakdowns: list[dict[str, Any]] = field(default_factory=list)
    async_side: list[dict[str, Any]] = field(default_factory=list)
    many_streams: dict[str, Any] = field(default_factory=dict)
    server: dict[str, Any] = field(default_factory=dict)
    baseline: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def _fmt(value: float) -> str:
    if value >= 1000:
        return f"{value:,.0f}"
    if value >= 100:
        return f"{value:.1f}"
    if value >= 10:
        return f"{value:.2f}"
    return f"{value:.3f}"


_CALL_METRICS = ("small_median", "small_p90", "stream_chunk", "async_rps", "async_cpu_rps")


def _signed(value: float) -> str:
    return f"{'+' if value >= 0 else '-'}{_fmt(abs(value))}"


def _over(row: dict[str, Any]) -> str:
    """The value minus the anchor's; for throughput, the CPU per call (1 / req/s) minus its."""
    if not row.get("http", True) and row["metric"] in _CALL_METRICS:
        return "no HTTP"
    over = row.get("over_anchor")
    if over is None or row["key"] == "raw":
        return ""
    if row["better"] == "higher":  # requests per second
        value, ratio = row["value"], row["ratio"]
        per_call = 1e3 / value - 1e3 / (value / ratio) if value and ratio else 0.0
        return f"{_signed(per_call)} ms/call"
    return f"{_signed(over)} {row['unit']}"


def table(report: Report, markdown: bool = False) -> str:
    """The figures as one table: metric, contender, value, ratio to and excess over the anchor."""
    header = ("metric", "contender", "value", "vs raw httpx", "over raw httpx")
    lines = []
    for row in report.rows:
        ratio = "" if row["ratio"] is None else f"{row['ratio']:.2f}x"
        if row["better"] == "higher" and ratio:
            ratio += " (higher is better)" if markdown else " (higher better)"
        value = f"{_fmt(row['value'])} {row['unit']}"
        lines.append((row["label"], row["contender"], value, ratio, _over(row)))
    if markdown:
        out = ["| " + " | ".join(header) + " |", "|---|---|--:|--:|--:|"]
        out += ["| " + " | ".join(line) + " |" for line in lines]
        return "\n".join(out)
    widths = [max(len(x[i]) for x in [header, *lines]) for i in range(5)]
    out = []
    for position, line in enumerate([header, *lines]):
        if position > 1 and line[0] != lines[position - 2][0]:
            out.append("")  # a blank line between metrics
        out.append(
            f"{line[0]:<{widths[0]}}  {line[1]:<{widths[1]}}  {line[2]:>{widths[2]}}  "
            f"{line[3]:>{widths[3]}}  {line[4]:>{widths[4]}}".rstrip()
        )
    return "\n".join(out)


def target_lines(report: Report, markdown: bool = False) -> str:
    """Each target: the figure it defines, from the medians, and paired by round."""
    units = {r["metric"]: r["unit"] for r in report.rows}
    labels = {r["key"]: r["contender"] for r in report.rows}
    rows = []
    for target in report.targets:
        figure, unit = target["figure"], units.get(target["metric"], "")
        if figure is None:
            missing = "not measured (a contender or its measure did not run)"
            rows.append((target["target"], "", "", missing))
            continue
        verdict = "met" if target["met"] else "MISSED"
        own, raw, ref = target["own"], target["raw"], target["ref"]
        kind = target["kind"]
        if kind == "overhead":
            name = labels.get(target["reference"], target["reference"])
            shown = f"{figure:.2f} (+{_fmt(own - raw)} vs +{_fmt(ref - raw)} {unit} for {name})"
        elif kind in ("ratio", "at_least"):
            shown = f"{figure:.2f}x ({_fmt(own)} vs {_fmt(raw)} {unit})"
        elif kind == "plus":
            shown = f"{figure:+.0f} {unit} ({_fmt(own)} vs {_fmt(ref)} {unit})"
        elif kind == "at_least_of":
            name = labels.get(target["reference"], target["reference"])
            shown = f"{figure:.2f}x ({_fmt(own)} vs {_fmt(ref)} {unit} for {name})"
        else:
            shown = f"{figure:.2f}x ({_fmt(own)} vs {_fmt(ref)} {unit})"
        paired = target["paired_figure"]
        paired_text = (
            "" if paired is None else f"{paired:.2f}" if kind != "plus" else f"{paired:+.0f}"
        )
        if paired is not None and target["paired_met"] != target["met"]:
            paired_text += " (disagrees)"
        limit = target["limit"]
        limit_text = f"{limit:+.0f} {unit}" if kind == "plus" else f"{limit:g}"
        rows.append((target["target"], shown, paired_text, f"{verdict} (limit {limit_text})"))
    if markdown:
        out = ["| target | this run | paired by round | verdict |", "|---|--:|--:|---|"]
        out += ["| " + " | ".join(row) + " |" for row in rows]
        return "\n".join(out)
    out = []
    for text, shown, paired_text, verdict in rows:
        paired_part = f"; paired by round {paired_text}" if paired_text else ""
        out.append(f"  {text}: {verdict}{': ' if shown else ''}{shown}{paired_part}")
    return "\n".join(out)


def breakdown_lines(report: Report) -> str:
    """Each adapter's overhead over the raw client: its framework's, the core's, its own."""
    labels = {r["key"]: r["contender"] for r in report.rows}
    out = []
    for parts in report.breakdowns:
        name = labels[parts["adapter"]]
        for metric, unit, what in (
            ("small_median", "ms", "call"),
            ("stream_chunk", "µs", "chunk"),
            ("async_rps", "ms", "async call (1/throughput)"),
        ):
            p = parts.get(metric)
            if p is None:
                continue
            framework = labels[p["in_place"]].split(" + ")[0]
            out.append(
                f"  {name}, per {what}: {_signed(p['overhead'])} {unit} over "
                f"{labels[p['base']]} = {framework} {_signed(p['framework'])} (alone, no HTTP: "
                f"{_fmt(p['framework_alone'])}), core {_signed(p['core'])}, "
                f"the rest {_signed(p['rest'])}"
            )
    return "\n".join(out)


def pools_text(report: Report) -> str:
    """The pool limits every client was given (ChatOpenAI and OpenAILike keep their own)."""
    pools = report.plan.get("pools") or {}
    if not pools:
        return ""
    return (
        f"pools: {pools['max_connections']:,} connections, "
        f"{pools['max_keepalive_connections']:,} kept alive (httpx; aiohttp keeps every idle "
        f"one, limit_per_host 0), keep-alive {pools['keepalive_expiry']:g} s"
    )


def async_side_lines(report: Report, markdown: bool = False) -> str:
    """The async figures side by side: against raw aiohttp, and the adapters (and the other
    clients of their framework) against their framework over raw aiohttp."""
    if not report.async_side:
        return ""
    transports = report.plan.get("async_transports", {})
    header = ("contender", "req/s", "vs raw aiohttp", "vs its framework over raw aiohttp")
    rows = []
    for row in report.async_side:
        name = row["contender"]
        if row["key"] in transports and "transport" not in name:
            name += f" ({transports[row['key']]})"  # what "auto" chose
        if row["reference"] == "raw-aiohttp":
            against = ""
        elif row["key"] == row["reference"]:
            against = "(the floor)"
        else:
            against = f"{row['of_reference']:.2f}x"
        of_raw = "" if row["of_raw_aiohttp"] is None else f"{row['of_raw_aiohttp']:.2f}x"
        rows.append((name, _fmt(row["value"]), of_raw, against))
    if markdown:
        out = ["| " + " | ".join(header) + " |", "|---|--:|--:|--:|"]
        out += ["| " + " | ".join(row) + " |" for row in rows]
        return "\n".join(out)
    plan = report.plan
    out = [
        f"async, {plan['async_requests']} requests with {plan['in_flight']} in flight, side "
        f"by side (medians; {pools_text(report)}):"
    ]
    widths = [max(len(x[i]) for x in [header, *rows]) for i in range(4)]
    for name, value, of_raw, against in [header, *rows]:
        out.append(
            f"  {name:<{widths[0]}}  {value:>{widths[1]}}  {of_raw:>{widths[2]}}  "
            f"{against:>{widths[3]}}".rstrip()
        )
    return "\n".join(out)


def many_streams_lines(report: Report) -> str:
    """The many-streams wall times, by client kind (no target)."""
    found = report.many_streams
    if not found:
        return ""
    runs = len(next(iter(found["seconds"].values()), []))
    out = [
        f"{found['streams']:,} concurrent streams of {found['chunks']} chunks on one fresh "
        f"client, wall time (median of {runs}; connections included; no target):"
    ]
    for label, seconds in found["median"].items():
        spread = found["seconds"][label]
        extra = f" ({min(spread):.2f}-{max(spread):.2f})" if len(spread) > 1 else ""
        out.append(f"  {label}: {seconds:.2f} s{extra}")
    return "\n".join(out)


def summary(report: Report) -> str:
    """The server's capacity and busy share, the breakdowns, the targets, and the notes."""
    capacity = report.server["capacity"]
    raw = {r["metric"]: r["value"] for r in report.rows if r["key"] == "raw"}
    fastest = {r["key"]: r["value"] for r in report.rows if r["metric"] == "async_rps"}
    async_line = (
        f"  async {capacity['async_rps']:,.0f} req/s with {report.plan['in_flight']} "
        f"connections ({capacity['async_rps'] / raw.get('async_rps', 1):.1f}x raw httpx's"
    )
    if fastest.get("raw-aiohttp"):
        async_line += f", {capacity['async_rps'] / fastest['raw-aiohttp']:.1f}x raw aiohttp's"
    out = ["server capacity, stdlib socket client (a lower bound):"]
    if raw.get("small_median"):  # a run can leave a measure out (run.py --measures)
        out.append(
            f"  small call {capacity['small_call_ms']:.3f} ms round trip"
            f" ({capacity['small_call_ms'] / raw['small_median']:.0%} of raw httpx's median)"
        )
    if raw.get("stream_chunk"):
        out.append(
            f"  stream {capacity['stream_chunk_us']:.2f} µs per chunk received"
            f" ({capacity['stream_chunk_us'] / raw['stream_chunk']:.1%} of raw httpx's)"
        )
    if raw.get("async_rps"):
        out.append(async_line + ")")
    if report.server.get("busy_share"):
        shares = ", ".join(f"{k} {v:.0%}" for k, v in report.server["busy_share"].items())
        out.append(f"server CPU busy share while clients ran: {shares}")
    foreign = report.machine.get("foreign_cpu_share")
    if foreign is not None:
        out.append(f"other processes' share of the CPUs during the run: {foreign:.0%}")
    if report.async_side:
        out.append(async_side_lines(report))
    if report.many_streams:
        out.append(many_streams_lines(report))
    if report.breakdowns:
        out.append(
            "where the adapters' overhead goes (medians; the framework in place is its "
            "contender over the raw client, minus the raw client; the rest is the adapter's "
            "own):"
        )
        out.append(breakdown_lines(report))
    out.append("targets (figure from the medians; paired by round: median of per-round figures):")
    out.append(target_lines(report))
    out += [f"note: {note}" for note in report.notes]
    return "\n".join(out)
