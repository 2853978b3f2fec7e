"""``examples/*.py`` run with a plain ``python``, and each says truly where its requests go.

Each example runs as a user runs it, in a fresh process: offline (no ``MIXROUTE_*``
variable set), and against a local stand-in for the gateway (``MIXROUTE_BASE_URL`` on
127.0.0.1, no key), where its first line must say "a local server", not the gateway.
The tour's offline replay is ``test_tour.py``'s.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest
from support.local_server import LocalServer

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
RUNNABLE = ("langchain_quickstart.py", "llama_index_quickstart.py", "tour.py")
NOWHERE = "http://127.0.0.1:9"  # the discard port: nothing listens there


def run_example(name: str, **variables: str) -> subprocess.CompletedProcess[str]:
    """``python examples/<name>`` with only ``variables`` of the ``MIXROUTE_*`` kind set."""
    env = {k: v for k, v in os.environ.items() if not k.upper().startswith("MIXROUTE_")}
    for proxy in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY"):
        env.pop(proxy, None)
        env.pop(proxy.lower(), None)
    # A request meant for anywhere but this machine fails instead of leaving it.
    env.update(HTTP_PROXY=NOWHERE, HTTPS_PROXY=NOWHERE, NO_PROXY="127.0.0.1,localhost,::1")
    env.update(variables)
    return subprocess.run(
        [sys.executable, str(EXAMPLES / name)],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=180,
        check=False,
    )


def test_every_example_script_is_run_by_these_tests() -> None:
    scripts = {path.name for path in EXAMPLES.glob("*.py")}
    support = {"tour_answers.py", "run_mode.py"}  # imported by the examples, not run
    assert scripts - support == set(RUNNABLE)


@pytest.mark.parametrize("name", RUNNABLE)
def test_an_example_on_a_local_server_says_so_and_runs_to_the_end(
    name: str, plausible_server: LocalServer
) -> None:
    done = run_example(name, MIXROUTE_BASE_URL=plausible_server.base_url)
    assert done.returncode == 0, done.stderr
    first = done.stdout.splitlines()[0]
    assert first == f"On a local server: {plausible_server.base_url} (MIXROUTE_BASE_URL)."
    assert "gateway" not in first
    assert plausible_server.received, "nothing reached the local server"
    assert {r.headers["authorization"] for r in plausible_server.received} == {
        "Bearer sk-local-server-placeholder"
    }


def test_a_key_of_your_own_is_sent_to_the_local_server(plausible_server: LocalServer) -> None:
    done = run_example(
        "langchain_quickstart.py",
        MIXROUTE_BASE_URL=plausible_server.base_url,
        MIXROUTE_API_KEY="sk-mine-0000000000000000",
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("On a local server: ")
    assert {r.headers["authorization"] for r in plausible_server.received} == {
        "Bearer sk-mine-0000000000000000"
    }


def test_the_langchain_quickstart_runs_offline_step_by_step() -> None:
    done = run_example("langchain_quickstart.py")
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert out.splitlines()[0] == (
        "Offline: a scripted stand-in for the gateway answers (set MIXROUTE_API_KEY to run live)."
    )
    for step in range(1, 9):
        assert f"\n{step}. " in out
    assert "['reasoning', 'text'] x = 1 or x = -3" in out
    assert "The weather: 22 C and sunny in Shanghai." in out
    assert "summary='AI makes machines learn.'" in out
    assert "https://news.example/ai" in out
    assert "cut off at the token limit (max_tokens=1)" in out


def test_the_llama_index_quickstart_runs_offline_step_by_step() -> None:
    done = run_example("llama_index_quickstart.py")
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert out.splitlines()[0] == (
        "Offline: a scripted stand-in for the gateway answers (set MIXROUTE_API_KEY to run live)."
    )
    assert "thinking: Factor: (x+3)(x-1) = 0." in out
    assert "The weather: 22 C and sunny in Shanghai." in out
    assert "summary='AI makes machines learn.'" in out
    assert "['https://news.example/ai']" in out
    assert out.rstrip().splitlines()[-2].startswith("8. A query engine")


# --- run_mode.py: the rules each example's first line follows -----------------------------


def run_mode_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("run_mode", EXAMPLES / "run_mode.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["run_mode"] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize(
    ("environ", "kind", "line"),
    [
        ({}, "offline", "Offline: x (set MIXROUTE_API_KEY to run live)."),
        (
            {"MIXROUTE_BASE_URL": "http://localhost:8765/v1"},
            "local server",
            "On a local server: http://localhost:8765/v1 (MIXROUTE_BASE_URL).",
        ),
        (
            {"MIXROUTE_BASE_URL": "http://[::1]:8765/v1", "MIXROUTE_API_KEY": "sk-k"},
            "local server",
            "On a local server: http://[::1]:8765/v1 (MIXROUTE_BASE_URL).",
        ),
        (
            {"MIXROUTE_API_KEY": "sk-k"},
            "live",
            "Live: the Mixroute gateway (https://console.mixroute.io/v1), with MIXROUTE_API_KEY.",
        ),
        (
            {"MIXROUTE_API_KEY": "sk-k", "MIXROUTE_BASE_URL": "https://proxy.example/v1"},
            "live",
            "Live: https://proxy.example/v1 (MIXROUTE_BASE_URL), with MIXROUTE_API_KEY.",
        ),
        (
            {"MIXROUTE_BASE_URL": "https://proxy.example/v1"},  # no key: nothing can go live
            "offline",
            "Offline: x (set MIXROUTE_API_KEY to run live).",
        ),
    ],
)
def test_where_requests_go_is_read_from_the_environment(
    environ: dict[str, str], kind: str, line: str
) -> None:
    mode = run_mode_module().run_mode(environ)
    assert mode.kind == kind
    assert mode.describe("x") == line
