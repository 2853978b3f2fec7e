"""The LlamaIndex quick start (examples/llama_index_quickstart.py) runs offline, step by step."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "llama_index_quickstart.py"


def test_the_quickstart_runs_offline() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MIXROUTE_")}
    done = subprocess.run(
        [sys.executable, str(EXAMPLE)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert out.startswith("offline: a scripted stand-in answers")
    assert "thinking: Factor: (x+3)(x-1) = 0." in out
    assert "The weather: 22 C and sunny in Shanghai." in out
    assert "summary='AI makes machines learn.'" in out
    assert "['https://news.example/ai']" in out
    assert out.rstrip().splitlines()[-2].startswith("8. A query engine")
