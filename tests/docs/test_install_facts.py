"""What the install sections and the two commands say, checked against the project's files.

README.md, docs/index.md and docs/getting-started.md each say what ``pip install`` brings
for each extra, which Python is needed, and what ``make tour``, ``make test`` and CI run;
``pyproject.toml``, the ``Makefile`` and ``.ci/run`` are where that is decided.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PAGES = ("README.md", "docs/index.md", "docs/getting-started.md")
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
_NAME = re.compile(r"^[A-Za-z0-9._-]+")
_SELF = re.compile(r"^mixroute\[(?P<extras>[^\]]+)\]")


def read(name: str) -> str:
    return (ROOT / name).read_text(encoding="utf-8")


def extra(name: str) -> set[str]:
    """The distributions ``pip install 'mixroute[name]'`` adds to the core's."""
    brought: set[str] = set()
    for requirement in PROJECT["optional-dependencies"][name]:
        itself = _SELF.match(requirement)
        if itself:
            for inner in itself["extras"].split(","):
                brought |= extra(inner.strip())
        else:
            brought.add(_NAME.match(requirement)[0])  # type: ignore[index]
    return brought


def make_target(name: str) -> str:
    """The prerequisites and recipe of one target of the Makefile, as one text."""
    found = re.search(rf"^{name}:(.*?)(?=^\S|\Z)", read("Makefile"), re.M | re.S)
    assert found is not None, name
    return found[1]


def test_the_core_needs_httpx_and_pydantic_only() -> None:
    # httpcore is httpx's own transport, pinned to its floor; it brings nothing new.
    names = {_NAME.match(requirement)[0] for requirement in PROJECT["dependencies"]}  # type: ignore[index]
    assert names == {"httpx", "httpcore", "pydantic"}
    assert "| `mixroute` | the core:" in read("README.md")
    assert "depends on httpx and pydantic only |" in read("README.md")
    assert "depends on httpx and pydantic only |" in read("docs/index.md")
    assert "pip install mixroute                 # the core: httpx and pydantic" in read(
        "docs/getting-started.md"
    )


@pytest.mark.parametrize("page", PAGES)
def test_each_extra_brings_what_the_install_block_says(page: str) -> None:
    lines = re.findall(r"^pip install '?mixroute\[([\w-]+)\]'? +# (.*)$", read(page), re.M)
    said = dict(lines)
    assert {"langchain", "llama-index", "all"} <= said.keys()
    for name, comment in said.items():
        if comment == "both frameworks":
            assert extra(name) == extra("langchain") | extra("llama-index")
        elif name == "testing":  # the pytest plugin mixroute.testing and what it runs on
            assert comment == "+ the pytest plugin for recorded cassettes"
            assert {"pytest", "vcrpy", "pytest-recording"} <= extra(name)
        else:
            names = re.sub(r" \(.*\)$", "", comment.removeprefix("+ ")).split(" and ")
            assert set(names) == extra(name) - {"aiohttp"}, (page, name)


def test_both_framework_extras_bring_aiohttp_and_it_has_its_own() -> None:
    assert extra("aiohttp") == {"aiohttp"}
    assert "aiohttp" in extra("langchain")
    assert "aiohttp" in extra("llama-index")
    assert "extras bring aiohttp" in " ".join(read("README.md").split())
    assert "extras bring aiohttp too" in " ".join(read("docs/getting-started.md").split())


@pytest.mark.parametrize("page", ["README.md", "docs/getting-started.md"])
def test_the_pages_ask_for_the_python_the_package_requires(page: str) -> None:
    assert PROJECT["requires-python"] == ">=3.11"
    assert "Python 3.11 or newer." in read(page)


def test_the_two_commands_and_ci_run_what_the_readme_says() -> None:
    readme = read("README.md")
    assert "make tour    # a tour of the features" in readme
    assert "make test    # the whole test suite, with ruff and mypy" in readme
    assert "$(PY) examples/tour.py" in make_target("tour")
    assert make_target("test").split() == ["lint", "typecheck", "unit"]
    assert "-m ruff check ." in make_target("lint")
    assert "-m mypy" in make_target("typecheck")
    assert "-m pytest" in make_target("unit")
    # "Each makes its own virtual environment in .venv from pyproject.toml the first time."
    assert "VENV ?= .venv" in read("Makefile")
    assert "$(STAMP): pyproject.toml" in read("Makefile")
    assert all("$(STAMP)" in make_target(name) for name in ("tour", "lint", "typecheck", "unit"))
    assert "CI runs `.ci/run`: `make test`, then `make docs` and `make package`." in readme
    commands = [line for line in read(".ci/run").splitlines() if line.startswith("make ")]
    assert commands == ["make test", "make docs", "make package"]


def test_make_docs_builds_the_site_with_material_into_site() -> None:
    assert "mkdocs build --strict --site-dir site" in make_target("docs")
    assert re.search(r"^theme:\n  name: material$", read("mkdocs.yml"), re.M)
    assert "by `make docs` (Material for MkDocs, into `site/`)" in read("README.md")
