"""What the README says of ``make tour`` that its own test does not show.

``tests/test_tour.py`` replays the tour and checks each step's output; this file checks the
promise that makes the replay worth running: a request that differs from the recorded
one fails the tour.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import test_tour

ROOT = Path(__file__).resolve().parents[2]


def test_the_tour_fails_when_a_request_differs_from_the_recorded_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    readme = " ".join((ROOT / "README.md").read_text(encoding="utf-8").split())
    assert "fails if any request it sends differs from the recorded one" in readme
    shutil.copytree(ROOT / "examples", tmp_path / "examples")
    shutil.copytree(ROOT / "cassettes" / "tour", tmp_path / "cassettes" / "tour")
    cassette = tmp_path / "cassettes" / "tour" / "stream-langchain.yaml"
    recorded = cassette.read_text(encoding="utf-8")
    assert recorded.count("Say hello in one sentence.") == 1
    cassette.write_text(recorded.replace("in one sentence.", "in two sentences."), "utf-8")
    monkeypatch.setattr(test_tour, "TOUR", tmp_path / "examples" / "tour.py")
    done = test_tour.run_tour()
    assert done.returncode != 0
    assert "Tour complete." not in done.stdout
    assert "sent 'Say hello in one sentence.'" in done.stdout + done.stderr
