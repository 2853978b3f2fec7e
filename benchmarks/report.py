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


def table(report: Report, markdown: bool = False) -> str:
    """The figures as one table: metric, contender, value, ratio to the anchor."""
    header = ("metric", "contender", "value", "vs raw httpx")
    lines = []
    for row in report.rows:
        ratio = "" if row["ratio"] is None else f"{row['ratio']:.2f}x"
        if row["better"] == "higher" and ratio:
            ratio += " (higher is better)" if markdown else " (higher better)"
        value = f"{_fmt(row['value'])} {row['unit']}"
        lines.append((row["label"], row["contender"], value, ratio))
    if markdown:
        out = ["| " + " | ".join(header) + " |", "|---|---|--:|--:|"]
        out += ["| " + " | ".join(line) + " |" for line in lines]
        return "\n".join(out)
    widths = [max(len(x[i]) for x in [header, *lines]) for i in range(4)]
    out = []
    for position, line in enumerate([header, *lines]):
        if position > 1 and line[0] != lines[position - 2][0]:
            out.append("")  # a blank line between metrics
        out.append(
            f"{line[0]:<{widths[0]}}  {line[1]:<{widths[1]}}  "
            f"{line[2]:>{widths[2]}}  {line[3]}".rstrip()
        )
    return "\n".join(out)


def summary(report: Report) -> str:
    """The server's capacity and busy share, the targets, and the notes."""
    capacity = report.server["capacity"]
    raw = {r["metric"]: r["value"] for r in report.rows if r["key"] == "raw"}
    out = [
        "server capacity, stdlib socket client (a lower bound):",
        f"  small call {capacity['small_call_ms']:.3f} ms round trip"
        f" ({capacity['small_call_ms'] / raw['small_median']:.0%} of raw httpx's median)",
        f"  stream {capacity['stream_chunk_us']:.2f} µs per chunk received"
        f" ({capacity['stream_chunk_us'] / raw['stream_chunk']:.1%} of raw httpx's)",
        f"  async {capacity['async_rps']:,.0f} req/s"
        f" ({capacity['async_rps'] / raw['async_rps']:.1f}x raw httpx's)",
    ]
    if report.server.get("busy_share"):
        shares = ", ".join(f"{k} {v:.0%}" for k, v in report.server["busy_share"].items())
        out.append(f"server CPU busy share while clients ran: {shares}")
    foreign = report.machine.get("foreign_cpu_share")
    if foreign is not None:
        out.append(f"other processes' share of the CPUs during the run: {foreign:.0%}")
    out.append("targets:")
    for target in report.targets:
        if target["ratio"] is None:
            verdict = "NOT MEASURED"
        elif target["met"]:
            verdict = f"met ({target['ratio']:.2f}x)"
        else:
            over = target["ratio"] / target["limit"] - 1
            verdict = f"MISSED ({target['ratio']:.2f}x, {over:.0%} over the limit)"
        if target["paired_ratio"] is not None:
            verdict += f"; paired by round: {target['paired_ratio']:.2f}x"
        out.append(f"  {target['target']}: {verdict}")
    out += [f"note: {note}" for note in report.notes]
    return "\n".join(out)
