"""The targets of the issues, and the figures made from one run's medians: each target's
verdict, each adapter's breakdown, and the async figures side by side.

Every figure here comes from the same run's values (``values[key, metric]``, a median) and,
for "paired by round", from its per-round samples; nothing is measured here.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Target:
    """A limit on one contender's figure for one metric, as the issues define it.

    ``kind`` says how the figure is made from the contender's value (``own``), the anchor's
    (``raw``) and a reference contender's (``ref``):

    - ``ratio``: own / raw, at most ``limit``;
    - ``overhead``: (own - raw) / (ref - raw), at most ``limit`` (the share of the
      reference's overhead over raw httpx);
    - ``at_least``: own / raw, at least ``limit`` (throughput);
    - ``at_least_of``: own / ref, at least ``limit`` (throughput against a reference);
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
        if self.kind in ("times", "at_least_of"):
            return own / ref if ref else None
        raise ValueError(f"unknown target kind {self.kind!r}")

    def met(self, figure: float) -> bool:
        if self.kind in ("at_least", "at_least_of"):
            return figure >= self.limit
        return figure <= self.limit


TARGETS = (
    Target("core", "small_median", "ratio", 1.15, "core: small-call median <= 1.15x raw httpx"),
    Target("core", "stream_chunk", "ratio", 1.30, "core: cost per chunk <= 1.3x raw httpx"),
    Target(
        "core",
        "async_rps",
        "at_least_of",
        0.30,
        "core: async req/s >= 0.3x raw aiohttp's",
        "raw-aiohttp",
    ),
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
        "langchain",
        "async_rps",
        "at_least_of",
        0.80,
        "ChatMixroute.ainvoke: async req/s >= 0.8x LangChain + raw aiohttp's",
        "langchain-aiohttp",
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
        "at_least_of",
        0.80,
        "Mixroute.achat (LlamaIndex): async req/s >= 0.8x LlamaIndex + raw aiohttp's",
        "llama-index-aiohttp",
    ),
    # The async targets again, from the same bursts per second of the client's CPU time: a
    # cross-check that a busy neighbour hardly moves (it delays the client, which the
    # wall-clock figures count, but adds little to its CPU time). Not the figure.
    Target(
        "core",
        "async_cpu_rps",
        "at_least_of",
        0.30,
        "(cross-check) core: async req per client CPU s >= 0.3x raw aiohttp's",
        "raw-aiohttp",
    ),
    Target(
        "langchain",
        "async_cpu_rps",
        "at_least_of",
        0.80,
        "(cross-check) ChatMixroute.ainvoke: async req per client CPU s >= 0.8x LangChain "
        "+ raw aiohttp's",
        "langchain-aiohttp",
    ),
    Target(
        "llama-index",
        "async_cpu_rps",
        "at_least_of",
        0.80,
        "(cross-check) Mixroute.achat: async req per client CPU s >= 0.8x LlamaIndex + raw "
        "aiohttp's",
        "llama-index-aiohttp",
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

# How an adapter's overhead splits: (adapter, its framework's floor without HTTP, the
# framework over raw httpx, the framework over raw aiohttp). Sync calls are set against raw
# httpx, async ones against raw aiohttp (what the adapters' async clients run on).
BREAKDOWNS = (
    ("langchain", "langchain-floor", "langchain-httpx", "langchain-aiohttp"),
    ("llama-index", "llama-index-floor", "llama-index-httpx", "llama-index-aiohttp"),
)
ASYNC_BASE = "raw-aiohttp"

# The async figures side by side: each group's reference, then what is set against it.
ASYNC_GROUPS = (
    ("raw-aiohttp", ("core", "core-httpx", "raw")),
    (
        "langchain-aiohttp",
        ("langchain", "langchain-httpx-transport", "langchain-httpx", "langchain-openai"),
    ),
    (
        "llama-index-aiohttp",
        (
            "llama-index",
            "llama-index-httpx-transport",
            "llama-index-httpx",
            "llama-index-openai-like",
        ),
    ),
)


def paired(
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


def verdict(
    target: Target,
    anchor: str,
    values: dict[tuple[str, str], float],
    samples: dict[tuple[str, str], list[float]],
) -> dict[str, Any]:
    """One target's verdict: its figure from the medians, and paired by round."""
    own = values.get((target.contender, target.metric))
    raw = values.get((anchor, target.metric))
    ref = values.get((target.reference, target.metric)) if target.reference else None
    figure = None
    if own is not None and raw is not None and (ref is not None or not target.reference):
        figure = target.figure(own, raw, ref)
    paired_figure = paired(
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
        "own": rounded(own),
        "raw": rounded(raw),
        "ref": rounded(ref),
        "figure": rounded(figure),
        "paired_figure": rounded(paired_figure),
        "met": figure is not None and target.met(figure),
        "paired_met": paired_figure is not None and target.met(paired_figure),
    }


def breakdown(
    adapter: str,
    floor: str,
    in_httpx: str,
    in_aiohttp: str,
    anchor: str,
    values: dict[tuple[str, str], float],
) -> dict[str, Any] | None:
    """An adapter's overhead in parts: per call and per chunk over raw httpx, per async
    call over raw aiohttp (what its async client runs on).

    ``framework``: the framework over the raw client, minus the raw client (its cost in
    place); ``framework_alone``: the floor without HTTP; ``core``: the core's overhead over
    the raw client; ``rest``: what is left, the adapter's own conversions and glue. Async
    figures are time per request at the measure's concurrency, 1 / throughput, in ms (CPU
    per request while the client is the bottleneck). A part that cannot be made (a
    contender did not run) is left out.
    """
    parts: dict[str, Any] = {"adapter": adapter, "floor": floor}
    for metric, base, in_place in (
        ("small_median", anchor, in_httpx),
        ("stream_chunk", anchor, in_httpx),
        ("async_rps", ASYNC_BASE, in_aiohttp),
    ):
        found = [values.get((key, metric)) for key in (adapter, base, in_place, floor, "core")]
        if any(value is None for value in found):
            continue
        own, raw, framework, alone, core = (float(value or 0) for value in found)
        if metric == "async_rps":  # ms per request
            own, raw, framework, alone, core = (1e3 / x for x in (own, raw, framework, alone, core))
        parts[metric] = {
            "base": base,
            "in_place": in_place,
            "overhead": round(own - raw, 4),
            "framework": round(framework - raw, 4),
            "framework_alone": round(alone, 4),
            "core": round(core - raw, 4),
            "rest": round(own - framework - (core - raw), 4),
        }
    return parts if len(parts) > 2 else None


def async_side(
    values: dict[tuple[str, str], float], labels: dict[str, str]
) -> list[dict[str, Any]]:
    """The async figures by group: each against its group's reference and raw aiohttp."""
    base = values.get((ASYNC_BASE, "async_rps"))
    rows = []
    for reference, members in ASYNC_GROUPS:
        ref = values.get((reference, "async_rps"))
        if ref is None:
            continue
        for key in (reference, *members):
            value = values.get((key, "async_rps"))
            if value is None:
                continue
            rows.append(
                {
                    "key": key,
                    "contender": labels[key],
                    "reference": reference,
                    "reference_label": labels[reference],
                    "value": round(value, 1),
                    "of_reference": round(value / ref, 3),
                    "of_raw_aiohttp": round(value / base, 3) if base else None,
                }
            )
    return rows


def rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 3)
