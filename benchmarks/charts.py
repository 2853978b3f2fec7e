"""Draw the benchmark charts of the documentation site from a results JSON, as SVG files.

``python -m benchmarks.charts [RESULTS] [--out DIR]`` reads the JSON that
``benchmarks.run`` writes (by default ``docs/benchmarks/results.json``, the committed copy)
and writes ``bench_<metric>.svg`` for each measured figure, ``bench_many_streams.svg`` and
``bench_overhead.svg`` beside it (or into ``--out``). ``make bench`` runs it after the
benchmark; ``make docs`` never does: the site shows the charts as committed. The SVGs carry
no date and fixed element ids, so the same results draw the same files.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # no display: files only

import matplotlib.pyplot as plt
from matplotlib.axes import Axes
from matplotlib.figure import Figure

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_RESULTS = ROOT / "docs" / "benchmarks" / "results.json"

# The contenders of each family share a colour, so a reader finds "ours" at a glance.
OURS = "#2e7d32"  # mixroute core and its adapters
OTHERS = "#9e9e9e"  # the clients the adapters replace, and the frameworks over raw HTTP
ANCHOR = "#1565c0"  # raw httpx and raw aiohttp
OUR_KEYS = ("core", "core-httpx", "langchain", "llama-index")
ANCHOR_KEYS = ("raw", "raw-aiohttp")

# The overhead chart: each adapter's cost over raw HTTP, split into its parts.
PARTS = (
    ("framework", "its framework", "#bdbdbd"),
    ("core", "the core", OURS),
    ("rest", "the rest", "#a5d6a7"),
)
PER_CALL = {"small_median": ("small call", "ms"), "stream_chunk": ("per streamed chunk", "µs")}


def _colour(key: str) -> str:
    if key in ANCHOR_KEYS:
        return ANCHOR
    # An adapter on the other transport ("langchain-httpx-transport") is ours too.
    return OURS if key in OUR_KEYS or key.endswith("-transport") else OTHERS


def _number(value: float) -> str:
    return f"{value:,.0f}" if value >= 100 else f"{value:.3g}"


def _figure(rows: int) -> tuple[Figure, Axes]:
    figure, axes = plt.subplots(figsize=(8, 0.42 * rows + 1.3), layout="constrained")
    axes.spines[["top", "right"]].set_visible(False)
    return figure, axes


def metric_chart(results: dict[str, Any], metric: str) -> Figure | None:
    """One horizontal bar per contender for one metric, with its ratio to the anchor."""
    rows = [row for row in results["rows"] if row["metric"] == metric]
    if not rows:
        return None
    figure, axes = _figure(len(rows))
    names = [row["contender"] for row in rows]
    values = [row["value"] for row in rows]
    bars = axes.barh(names, values, color=[_colour(row["key"]) for row in rows])
    axes.invert_yaxis()  # the anchor on top, as in the table
    labels = [f"{_number(row['value'])} {row['unit']}  ({row['ratio']:.2f}x)" for row in rows]
    axes.bar_label(bars, labels=labels, padding=3, fontsize=8)
    axes.set_xlim(0, max(values) * 1.35)
    better = "higher is better" if rows[0]["better"] == "higher" else "lower is better"
    axes.set_xlabel(f"{rows[0]['unit']} ({better}; ratio to raw httpx in brackets)")
    axes.set_title(rows[0]["label"], loc="left")
    return figure


def many_streams_chart(results: dict[str, Any]) -> Figure | None:
    """The wall time of many concurrent streams on one client, per transport (min to max)."""
    found = results.get("many_streams") or {}
    if not found.get("median"):
        return None
    labels = list(found["median"])
    figure, axes = _figure(len(labels))
    medians = [found["median"][label] for label in labels]
    spreads = [found["seconds"].get(label) or [m] for label, m in zip(labels, medians, strict=True)]
    errors = [
        [m - min(s) for m, s in zip(medians, spreads, strict=True)],
        [max(s) - m for m, s in zip(medians, spreads, strict=True)],
    ]
    colours = [OURS if label.startswith("mixroute") else ANCHOR for label in labels]
    bars = axes.barh(labels, medians, xerr=errors, color=colours, capsize=3)
    axes.invert_yaxis()
    axes.bar_label(bars, labels=[f"{m:.2f} s" for m in medians], padding=8, fontsize=8)
    axes.set_xlim(0, max(max(s) for s in spreads) * 1.3)
    axes.set_xlabel("seconds, median of the runs (bars: min to max; lower is better)")
    axes.set_title(
        f"{found['streams']:,} concurrent streams of {found['chunks']} chunks on one client",
        loc="left",
    )
    return figure


def overhead_chart(results: dict[str, Any]) -> Figure | None:
    """Each adapter's cost over raw HTTP, split into its framework, the core and the rest."""
    entries = [
        (f"{item['adapter']}, {what}", unit, item[metric])
        for metric, (what, unit) in PER_CALL.items()
        for item in results.get("breakdowns", [])
        if item.get(metric)
    ]
    if not entries:
        return None
    figure, axes_row = plt.subplots(
        1, len(PER_CALL), figsize=(10, 2.6), layout="constrained", squeeze=False
    )
    for axes, (metric, (what, unit)) in zip(axes_row[0], PER_CALL.items(), strict=True):
        mine = [(name, parts) for name, u, parts in entries if name.endswith(what) and u == unit]
        names = [name.split(",")[0] for name, _ in mine]
        left = [0.0] * len(mine)
        for part, label, colour in PARTS:
            widths = [max(parts[part], 0.0) for _, parts in mine]
            axes.barh(names, widths, left=left, color=colour, label=label)
            left = [a + b for a, b in zip(left, widths, strict=True)]
        axes.invert_yaxis()
        axes.spines[["top", "right"]].set_visible(False)
        axes.set_xlabel(f"{unit} over raw HTTP")
        axes.set_title(f"{what} ({metric})", loc="left", fontsize=10)
    figure.legend(
        *axes_row[0][0].get_legend_handles_labels(),
        loc="outside lower center",
        ncols=3,
        frameon=False,
    )
    return figure


def charts(results: dict[str, Any]) -> dict[str, Figure]:
    """Every chart the results hold data for, by file name."""
    drawn: dict[str, Figure | None] = {
        f"bench_{metric}.svg": metric_chart(results, metric)
        for metric in dict.fromkeys(row["metric"] for row in results["rows"])
    }
    drawn["bench_many_streams.svg"] = many_streams_chart(results)
    drawn["bench_overhead.svg"] = overhead_chart(results)
    return {name: figure for name, figure in drawn.items() if figure is not None}


def write(results_path: Path, out: Path) -> list[Path]:
    """Draw every chart of ``results_path`` into ``out``; return the files written."""
    results = json.loads(results_path.read_text(encoding="utf-8"))
    out.mkdir(parents=True, exist_ok=True)
    plt.rcParams["svg.hashsalt"] = "mixroute-benchmarks"  # stable element ids
    plt.rcParams["svg.fonttype"] = "none"  # text as text: small files, readable diffs
    written = []
    for name, figure in charts(results).items():
        path = out / name
        figure.savefig(path, format="svg", metadata={"Date": None})
        plt.close(figure)
        written.append(path)
    return written


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("results", type=Path, nargs="?", default=DEFAULT_RESULTS)
    parser.add_argument("--out", type=Path, help="where the SVGs go (default: beside RESULTS)")
    args = parser.parse_args(argv)
    if not args.results.is_file():
        print(f"no results file at {args.results}: run `make bench` first", file=sys.stderr)
        return 2
    for path in write(args.results, args.out or args.results.parent):
        print(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
