"""The README's first command: the tour runs offline and exits 0."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_tour_replays_offline_and_succeeds() -> None:
    env = {
        k: v for k, v in os.environ.items() if k not in ("MIXROUTE_API_KEY", "MIXROUTE_BASE_URL")
    }
    done = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "tour.py")],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("Offline: replaying")
    assert "Tour complete." in lines
    assert "AuthenticationError (status 401)" in done.stdout
