"""Each quick start runs with a plain ``python`` where the wheel and the extra it names are.

A user who installs ``mixroute[langchain]`` (or ``[llama-index]``) from the wheel and
downloads the example beside ``run_mode.py`` runs it offline to the end: every import it
makes (``create_agent`` from ``langchain`` among them) comes with that extra.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable

import pytest
from fresh_environments import ROOT, Environment, minimal_env

pytestmark = pytest.mark.packaging

Environments = Callable[[str], Environment]

OFFLINE = "Offline: a scripted stand-in for the gateway answers (set MIXROUTE_API_KEY to run live)."


@pytest.mark.parametrize(
    ("extra", "example"),
    [
        pytest.param(
            "langchain", "langchain_quickstart.py", marks=pytest.mark.xdist_group("langchain")
        ),
        pytest.param(
            "llama-index", "llama_index_quickstart.py", marks=pytest.mark.xdist_group("llama-index")
        ),
    ],
)
def test_a_quickstart_runs_offline_with_only_its_extra_installed(
    environment: Environments, extra: str, example: str
) -> None:
    env = environment(extra)
    folder = env.path / "examples"
    folder.mkdir(exist_ok=True)
    for name in (example, "run_mode.py"):  # outside the checkout: the wheel is imported
        shutil.copy(ROOT / "examples" / name, folder / name)
    done = subprocess.run(
        [str(env.python), str(folder / example)],
        capture_output=True,
        text=True,
        check=False,
        cwd=folder,
        env=minimal_env(),
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[0] == OFFLINE
