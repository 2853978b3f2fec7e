"""The benchmarks page, generated at build time from the committed ``docs/benchmarks/results.json``.

``mkdocs build`` loads this file as a hook: the marker ``<!-- benchmarks: generated -->``
in ``docs/benchmarks/index.md`` becomes the run's machine and plan, its charts (drawn by
``benchmarks/charts.py`` when ``make bench`` runs; never here) and its tables, printed by
the benchmark's own report code. A chart that the results call for but that is missing
fails the build.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # ``benchmarks`` is a folder of the repository, not installed
    sys.path.insert(0, str(ROOT))

from benchmarks.report import Report, async_side_lines, table, target_lines  # noqa: E402

MARKER = "<!-- benchmarks: generated -->"
PAGE = "benchmarks/index.md"
FOLDER = ROOT / "docs" / "benchmarks"
RESULTS = FOLDER / "results.json"


def chart_names(results: dict[str, Any]) -> list[str]:
    """The chart files that ``benchmarks/charts.py`` draws for these results, in page order."""
    names = [
        f"bench_{metric}.svg" for metric in dict.fromkeys(r["metric"] for r in results["rows"])
    ]
    if results.get("many_streams", {}).get("median"):
        names.append("bench_many_streams.svg")
    if results.get("breakdowns"):
        names.append("bench_overhead.svg")
    return names


def _machine(results: dict[str, Any]) -> str:
    machine, plan = results["machine"], results["plan"]
    return "\n".join(
        [
            f"- **Run**: {results['date']}, revision `{machine.get('revision', '?')}`, "
            f"{'a quick smoke run' if plan.get('quick') else 'the full plan'}, "
            f"{plan.get('seconds', 0):.0f} s.",
            f"- **Machine**: {machine['cpu']}, {machine['cores']} cores, Python "
            f"{machine['python']}, httpx {machine['httpx']}, "
            f"aiohttp {machine.get('aiohttp', '-')}; "
            f"other processes used {machine.get('foreign_cpu_share', 0):.0%} of the CPU.",
            f"- **Plan**: {plan['small_calls']:,} small calls, streams of {plan['chunks']:,} "
            f"chunks, {plan['async_requests']:,} async requests with {plan['in_flight']} in "
            f"flight, {plan.get('many_streams', 0):,} concurrent streams.",
            *(f"- **Note**: {note}" for note in results.get("notes", [])),
        ]
    )


def render(results_path: Path = RESULTS) -> str:
    """The generated part of the benchmarks page, in markdown."""
    results = json.loads(results_path.read_text(encoding="utf-8"))
    missing = [name for name in chart_names(results) if not (results_path.parent / name).is_file()]
    if missing:
        raise ValueError(
            f"charts missing beside {results_path.name}: {', '.join(missing)}; "
            "run `python -m benchmarks.charts` (make bench does)"
        )
    report = Report(**results)
    charts = [f"![{name[6:-4].replace('_', ' ')}]({name})" for name in chart_names(results)]
    return "\n\n".join(
        [
            "## The run",
            _machine(results),
            "## Charts",
            *charts,
            "## Every figure",
            table(report, markdown=True),
            "## Async, side by side",
            async_side_lines(report, markdown=True),
            "## Targets",
            target_lines(report, markdown=True),
        ]
    )


def on_page_markdown(markdown: str, page: Any, **_: Any) -> str:
    """The mkdocs hook: put the generated part in place of the marker on the benchmarks page."""
    if page.file.src_uri != PAGE:
        return markdown
    if MARKER not in markdown:
        raise ValueError(f"docs/{PAGE} lost its marker {MARKER}")
    return markdown.replace(MARKER, render())
