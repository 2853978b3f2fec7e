"""The facts the guides state by hand, checked against the code they describe.

The guides' examples run in ``test_markdown_blocks.py``; this file covers what prose and
tables say: the error tree, what is retried, the default bounds, and the reliability page's
catalogue (included from ``tests/reliability/README.md`` when the site is built).
"""

from __future__ import annotations

import re
from pathlib import Path

import mixroute
from mixroute import errors, settings
from mixroute.retry import is_retryable_status

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
MIB = 1024 * 1024


def page(name: str) -> str:
    return (DOCS / name).read_text(encoding="utf-8")


def fenced_blocks(text: str, info: str) -> list[str]:
    return re.findall(rf"^```{info}\n(.*?)^```$", text, re.M | re.S)


def test_the_errors_guide_draws_the_tree_of_the_errors_module() -> None:
    docstring = errors.__doc__ or ""
    (tree,) = fenced_blocks(docstring, "")
    drawn = [block for block in fenced_blocks(page("guides/errors.md"), "text") if "├──" in block]
    assert drawn == [tree.replace("``", "")]
    for name in re.findall(r"[─ ]([A-Z][A-Za-z]+(?:Error|Warning))\b", tree):
        assert issubclass(getattr(mixroute, name), mixroute.MixrouteError), name


def test_the_statuses_the_errors_guide_says_are_retried_are_and_the_others_are_not() -> None:
    text = page("guides/errors.md")
    (retried,) = re.findall(r"^- \*\*retried\*\*: (.*)$", text, re.M)
    (never,) = re.findall(r"^- \*\*never retried\*\*: (.*)$", text, re.M)
    assert "5xx" in retried
    retried_statuses = [int(code) for code in re.findall(r"\b\d{3}\b", retried)] + [500, 503]
    never_statuses = [int(code) for code in re.findall(r"\b\d{3}\b", never)]
    assert len(retried_statuses) >= 5
    assert len(never_statuses) >= 5
    assert all(is_retryable_status(code) for code in retried_statuses)
    assert not any(is_retryable_status(code) for code in never_statuses)


def test_the_bounds_tables_state_the_core_defaults() -> None:
    stream_deadline = settings.ClientSettings.__dataclass_fields__["stream_deadline"].default
    timeout = settings.DEFAULT_TIMEOUT
    errors_guide = page("guides/errors.md")
    assert f"| {timeout.read:g} s, connect {timeout.connect:g} s |" in errors_guide
    assert f"| {settings.DEFAULT_DEADLINE:g} s |" in errors_guide
    assert stream_deadline is None
    assert re.search(r"^\| `stream_deadline` \| [^|]+ \| none \|$", errors_guide, re.M)
    limits = {
        "max_line_bytes": f"{settings.DEFAULT_MAX_LINE_BYTES // MIB} MiB",
        "max_body_bytes": f"{settings.DEFAULT_MAX_BODY_BYTES // MIB} MiB",
        "max_error_body_bytes": f"{settings.DEFAULT_MAX_ERROR_BODY_BYTES // 1024} KiB",
    }
    transports_guide = page("guides/async-and-transports.md")
    reliability = page("reliability.md")
    for name, default in limits.items():
        assert re.search(rf"^\| `{name}` \| [^|]+ \| {default} \|", transports_guide, re.M), name
        assert f"`{name}` ({default})" in reliability, name
    assert f"`deadline` ({settings.DEFAULT_DEADLINE:g} s by default" in reliability


def test_the_reliability_page_includes_the_whole_catalogue_of_the_suite() -> None:
    reference = re.search(
        r'^--8<-- "(?P<path>[^":]+):(?P<section>\w+)"$', page("reliability.md"), re.M
    )
    assert reference is not None
    suite = (ROOT / reference["path"]).read_text(encoding="utf-8")
    section = re.search(
        rf"<!-- --8<-- \[start:{reference['section']}\] -->\n(.*?)"
        rf"<!-- --8<-- \[end:{reference['section']}\] -->",
        suite,
        re.S,
    )
    assert section is not None
    every_row = re.findall(r"^\| \d+ \|.*$", suite, re.M)
    assert len(every_row) >= 40
    assert re.findall(r"^\| \d+ \|.*$", section[1], re.M) == every_row
