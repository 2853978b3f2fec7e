"""The LangChain quick start (examples/langchain_quickstart.py) runs offline, step by step."""

from __future__ import annotations

import runpy
from pathlib import Path

import pytest

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "langchain_quickstart.py"


def test_the_quickstart_runs_offline(capsys: pytest.CaptureFixture[str]) -> None:
    runpy.run_path(str(EXAMPLE), run_name="__main__")
    out = capsys.readouterr().out
    for step in range(1, 9):
        assert f"{step}. " in out
    assert "['reasoning', 'text'] x = 1 or x = -3" in out
    assert "The weather: 22 C and sunny in Shanghai." in out
    assert "summary='AI makes machines learn.'" in out
    assert "https://news.example/ai" in out
    assert "cut off at the token limit (max_tokens=1)" in out
