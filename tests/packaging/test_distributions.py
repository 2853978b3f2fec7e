"""What the sdist and the wheel hold, file by file, and the metadata PyPI shows.

The sdist carries what a rebuild needs and nothing else (no tests, cassettes, benchmarks
or environments); ``python -m build`` makes the wheel from it, so a good wheel also proves
the sdist rebuilds. The wheel holds the three packages, their ``py.typed`` markers and the
``llama_index.llms.mixroute`` shim.
"""

from __future__ import annotations

import tarfile
import zipfile
from email.parser import Parser
from pathlib import Path

import pytest
from fresh_environments import ROOT, Distributions

pytestmark = [pytest.mark.packaging, pytest.mark.xdist_group("distributions")]

PACKAGES = ("mixroute", "langchain_mixroute", "llama_index_mixroute", "llama_index/llms/mixroute")
# Besides these, hatchling puts .gitignore and PKG-INFO into every sdist.
REBUILD_FILES = {"pyproject.toml", ".gitignore", "LICENSE", "README.md", "PYPI.md", "CHANGELOG.md"}


def source_files() -> set[str]:
    """Every file of the packages and the shim in the checkout, as paths from the root."""
    found = set()
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*"):
            if path.is_file() and "__pycache__" not in path.parts:
                found.add(path.relative_to(ROOT).as_posix())
    return found


def test_the_packages_hold_only_python_files_and_type_markers() -> None:
    # The file lists below come from the checkout; this keeps them honest.
    assert source_files()
    assert {Path(name).name for name in source_files() if not name.endswith(".py")} == {"py.typed"}
    for package in PACKAGES[:3]:
        assert f"{package}/py.typed" in source_files()


def test_the_sdist_holds_what_a_rebuild_needs_and_nothing_else(
    distributions: Distributions,
) -> None:
    with tarfile.open(distributions.sdist) as archive:
        names = {member.name for member in archive.getmembers() if member.isfile()}
    top = distributions.sdist.name.removesuffix(".tar.gz")
    assert all(name.startswith(f"{top}/") for name in names)
    inside = {name.removeprefix(f"{top}/") for name in names}
    assert inside == source_files() | REBUILD_FILES | {"PKG-INFO"}


def test_the_wheel_holds_the_three_packages_the_shim_and_its_metadata(
    distributions: Distributions,
) -> None:
    with zipfile.ZipFile(distributions.wheel) as archive:
        names = set(archive.namelist())
    info = distributions.wheel.name.split("-py3")[0] + ".dist-info"
    metadata = {f"{info}/{name}" for name in ("METADATA", "WHEEL", "RECORD", "licenses/LICENSE")}
    assert names == source_files() | metadata


def wheel_metadata(distributions: Distributions) -> tuple[dict[str, list[str]], str]:
    with zipfile.ZipFile(distributions.wheel) as archive:
        info = next(name for name in archive.namelist() if name.endswith(".dist-info/METADATA"))
        message = Parser().parsestr(archive.read(info).decode())
    fields: dict[str, list[str]] = {}
    for key, value in message.items():
        fields.setdefault(key, []).append(value)
    return fields, message.get_payload()


def test_the_pypi_page_is_pypi_md_and_starts_with_installing(
    distributions: Distributions,
) -> None:
    fields, description = wheel_metadata(distributions)
    assert fields["Description-Content-Type"] == ["text/markdown"]
    assert description.strip() == (ROOT / "PYPI.md").read_text().strip()
    first_block = description.split("```")[1]
    assert first_block.startswith("sh\npip install mixroute")
    assert "make " not in description  # contributor commands: README.md, CONTRIBUTING.md


def test_the_metadata_names_the_license_and_the_project_urls(
    distributions: Distributions,
) -> None:
    fields, _ = wheel_metadata(distributions)
    assert fields["License-Expression"] == ["MIT"]
    assert fields["License-File"] == ["LICENSE"]
    labels = {url.split(",")[0] for url in fields["Project-URL"]}
    assert labels == {"Homepage", "Documentation", "Source", "Issues", "Changelog"}
    for url in fields["Project-URL"]:
        assert url.split(", ", 1)[1].startswith("https://github.com/mixroute/mixroute-python")
    extras = set(fields["Provides-Extra"])
    assert {"aiohttp", "langchain", "llama-index", "all", "testing"} <= extras


def test_the_license_file_is_mit_for_the_mixroute_developers() -> None:
    text = (ROOT / "LICENSE").read_text()
    assert text.startswith("MIT License")
    assert "Copyright (c) 2026 The mixroute developers" in text
