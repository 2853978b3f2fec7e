"""Every cassette in the repository: no credential, a known source, listed in the README."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from mixroute.testing import CASSETTE_SOURCE_HEADER, SECRET_HEADERS, find_secrets

CASSETTES = Path(__file__).resolve().parents[2] / "cassettes"
ALL = sorted(CASSETTES.rglob("*.yaml"))
SOURCES = {"live", "local-server", "wire-format"}


def test_there_are_cassettes() -> None:
    assert ALL, "no cassette found: the replay tests would prove nothing"


@pytest.mark.parametrize("path", ALL, ids=[str(p.relative_to(CASSETTES)) for p in ALL])
def test_cassette_holds_no_credential(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert find_secrets(text) == []
    data = yaml.safe_load(text)
    for interaction in data["interactions"]:
        for side in ("request", "response"):
            headers = {name.lower() for name in interaction[side].get("headers") or {}}
            assert not headers & SECRET_HEADERS, f"{side} keeps {headers & SECRET_HEADERS}"
        source = interaction["response"]["headers"].get(CASSETTE_SOURCE_HEADER)
        assert source, "a cassette response without x-cassette-source"
        assert source[0] in SOURCES, f"unknown source {source!r}"


def test_every_cassette_folder_is_described_in_the_readme() -> None:
    readme = (CASSETTES / "README.md").read_text(encoding="utf-8")
    folders = {str(p.parent.relative_to(CASSETTES)) for p in ALL}
    missing = sorted(folder for folder in folders if f"`{folder}/`" not in readme)
    assert missing == []
