"""Every relative link of the front page and the contributor guide leads somewhere real.

``README.md`` and ``CONTRIBUTING.md`` link into ``docs/`` and the repository by relative
paths, so that the links work where the repository is browsed (GitHub, an editor). The
site's own build checks the links of ``docs/``; nothing builds these two files, so this
test does: each relative link names a file or folder that exists, and an anchor
(``page.md#heading``) names a heading of that page, slugged as GitHub slugs it.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCUMENTS = ("README.md", "CONTRIBUTING.md")

_FENCE = re.compile(r"^ *(`{3,}|~{3,})")
_CODE_SPAN = re.compile(r"(`+).*?\1")
_LINK = re.compile(r"\[(?:[^\[\]]|\[[^\]]*\])*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
_HEADING = re.compile(r"^ {0,3}(#{1,6})\s+(.*?)\s*#*\s*$")
_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")


def prose_lines(text: str, *, blank_code_spans: bool = True) -> list[str]:
    """The lines of a markdown text outside fenced code blocks (code spans blanked)."""
    lines: list[str] = []
    fence: str | None = None
    for line in text.splitlines():
        opening = _FENCE.match(line)
        if fence is None and opening:
            fence = opening.group(1)
        elif fence is not None and line.strip().startswith(fence[0] * len(fence)):
            fence = None
        elif fence is None:
            lines.append(_CODE_SPAN.sub("", line) if blank_code_spans else line)
    return lines


def relative_links(path: Path) -> list[str]:
    """The targets of the links of a markdown file that are not URLs of another site."""
    targets = [
        match.group(1)
        for line in prose_lines(path.read_text(encoding="utf-8"))
        for match in _LINK.finditer(line)
    ]
    return [target for target in targets if not _SCHEME.match(target)]


def slug(heading: str) -> str:
    """A heading's anchor as GitHub makes it: lower case, punctuation dropped, spaces -."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # a link's text stays
    text = re.sub(r"<[^>]+>", "", text).replace("`", "").strip().lower()
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def anchors(path: Path) -> set[str]:
    """Every heading anchor of a markdown file, repeated headings numbered as GitHub does."""
    seen: dict[str, int] = {}
    found: set[str] = set()
    for line in prose_lines(path.read_text(encoding="utf-8"), blank_code_spans=False):
        heading = _HEADING.match(line)
        if heading is None:
            continue
        base = slug(heading.group(2))
        count = seen.get(base, 0)
        seen[base] = count + 1
        found.add(base if count == 0 else f"{base}-{count}")
    return found


def broken_links(path: Path) -> list[str]:
    """What is wrong with each relative link of a file: a missing file or a missing anchor."""
    problems: list[str] = []
    for target in relative_links(path):
        file_part, _, anchor = target.partition("#")
        linked = (path.parent / file_part).resolve() if file_part else path
        if not linked.exists():
            problems.append(f"{target}: no such file")
        elif anchor and linked.suffix == ".md" and anchor not in anchors(linked):
            problems.append(f"{target}: no heading #{anchor} in {linked.name}")
        elif anchor and linked.suffix != ".md":
            problems.append(f"{target}: an anchor into a file that is not markdown")
    return problems


@pytest.mark.parametrize("name", DOCUMENTS)
def test_every_relative_link_leads_to_an_existing_file_and_heading(name: str) -> None:
    path = ROOT / name
    assert relative_links(path), f"{name} links nowhere in the repository"
    assert broken_links(path) == []


def test_the_front_page_links_the_site_and_the_contributor_guide() -> None:
    targets = {target.partition("#")[0] for target in relative_links(ROOT / "README.md")}
    assert {"docs/getting-started.md", "docs/models.md", "CONTRIBUTING.md"} <= targets
    guides = {path.relative_to(ROOT).as_posix() for path in (ROOT / "docs/guides").glob("*.md")}
    assert guides <= targets, sorted(guides - targets)


def test_a_missing_file_and_a_missing_anchor_are_found(tmp_path: Path) -> None:
    (tmp_path / "guide.md").write_text(
        "# Guide\n\n## Tool choice: `auto`\n\n## Tool choice: `auto`\n"
    )
    page = tmp_path / "page.md"
    page.write_text(
        "# Page\n\n"
        "[fine](guide.md#tool-choice-auto) and [second](guide.md#tool-choice-auto-1),\n"
        "[here](#page), [a URL](https://example.com/missing.md), `[code](nowhere.md)`,\n"
        "[gone](missing.md), [bad anchor](guide.md#no-such-heading).\n\n"
        "```text\n[in a block](also-missing.md)\n```\n"
    )
    assert broken_links(page) == [
        "missing.md: no such file",
        "guide.md#no-such-heading: no heading #no-such-heading in guide.md",
    ]


def test_headings_are_slugged_as_github_slugs_them() -> None:
    assert slug("LangChain: `ChatOpenAI` → `ChatMixroute`") == "langchain-chatopenai--chatmixroute"
    assert (
        slug("A forcing choice: `tool_choice_fallback`") == "a-forcing-choice-tool_choice_fallback"
    )
    assert slug("Copies, pickles and worker processes") == "copies-pickles-and-worker-processes"
