"""The README's first command: the tour replays its cassettes offline and exits 0.

It runs as ``make tour`` runs it (``python examples/tour.py``, in a process of its own forked
from a warm interpreter: ``support/warm_python.py``) without ``MIXROUTE_API_KEY``, with a
proxy that accepts no connection: a request that escaped the cassettes would fail.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from support.warm_python import run_script

ROOT = Path(__file__).resolve().parents[1]
TOUR = ROOT / "examples" / "tour.py"
NO_NETWORK = "http://127.0.0.1:9"  # the discard port: nothing listens there


def run_tour() -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MIXROUTE_")}
    env.update(HTTP_PROXY=NO_NETWORK, HTTPS_PROXY=NO_NETWORK, ALL_PROXY=NO_NETWORK)
    env.pop("NO_PROXY", None)
    env.pop("no_proxy", None)
    return run_script(TOUR, cwd=Path.cwd(), env=env, timeout=120)


@pytest.fixture(scope="module")
def tour() -> subprocess.CompletedProcess[str]:
    return run_tour()


def test_the_tour_replays_offline_and_succeeds(tour: subprocess.CompletedProcess[str]) -> None:
    assert tour.returncode == 0, tour.stderr
    lines = tour.stdout.splitlines()
    assert lines[0].startswith("Replaying recorded answers from cassettes/tour/")
    assert lines[-1] == "Tour complete."


def test_each_step_runs_in_both_frameworks(tour: subprocess.CompletedProcess[str]) -> None:
    out = tour.stdout
    assert out.count("  LangChain:") == out.count("  LlamaIndex:") == 6
    assert out.count("Hello! I am a model served by Mixroute, happy to help.") == 2  # streamed
    assert out.count("thinking: x^2 + 2x - 3 factors") == 2  # apart from the answer
    assert out.count("answer:   x = 1 or x = -3") == 2
    assert out.count("calls get_weather({'city': 'Shanghai'})") == 2  # the agents' tool call
    assert out.count("It is sunny and 25 °C in Shanghai today.") == 2
    assert out.count("Summary(summary='AI builds machines that learn from data.')") == 2
    assert out.count("source: https://news.example/ai-chip") == 2
    assert out.count("Grok models behind one endpoint.") == 2  # over the documents


def test_every_step_has_its_cassettes() -> None:
    names = {path.stem for path in (ROOT / "cassettes" / "tour").glob("*.yaml")}
    steps = ("stream", "reasoning", "agent", "structured", "search", "documents")
    assert names == {f"{s}-{f}" for s in steps for f in ("langchain", "llama_index")}
