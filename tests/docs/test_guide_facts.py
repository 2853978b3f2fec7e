"""The facts the guides state by hand, checked against the code they describe.

The guides' examples run in ``test_markdown_blocks.py``; this file covers what prose and
tables say: the error tree, what is retried and how long the waits are, the default
bounds, and the reliability page's catalogue (included from ``tests/reliability/README.md``
when the site is built).
"""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest
from reliability import test_scale as scale

import mixroute
from langchain_mixroute import ChatMixroute
from llama_index_mixroute import Mixroute
from mixroute import errors, settings
from mixroute.client import POOL_LIMITS
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


def assert_the_policy_retries(retried: str, never: str) -> None:
    """The statuses named in ``retried`` (and 5xx) are retried, those in ``never`` are not."""
    assert "5xx" in retried
    retried_statuses = [int(code) for code in re.findall(r"\b\d{3}\b", retried)] + [500, 503]
    never_statuses = [int(code) for code in re.findall(r"\b\d{3}\b", never)]
    assert len(retried_statuses) >= 5
    assert len(never_statuses) >= 5
    assert all(is_retryable_status(code) for code in retried_statuses)
    assert not any(is_retryable_status(code) for code in never_statuses)


def test_the_statuses_the_errors_guide_says_are_retried_are_and_the_others_are_not() -> None:
    text = page("guides/errors.md")
    (retried,) = re.findall(r"^- \*\*retried\*\*: (.*)$", text, re.M)
    (never,) = re.findall(r"^- \*\*never retried\*\*: (.*)$", text, re.M)
    assert_the_policy_retries(retried, never)


def test_the_statuses_the_reliability_page_says_are_retried_are_and_the_others_are_not() -> None:
    text = " ".join(page("reliability.md").split())
    found = re.search(r"\*\*Retries exactly as the policy says\*\*: (.*?); never (.*?)\.", text)
    assert found is not None
    assert_the_policy_retries(found[1], found[2])


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


def test_the_retry_numbers_of_the_errors_guide_are_the_defaults_of_every_layer() -> None:
    text = " ".join(page("guides/errors.md").split())
    policy = mixroute.RetryPolicy(jitter=lambda: 0.0)
    assert policy.max_retries == 2
    assert "(default 2, so three tries in all)" in text
    for layer in (
        mixroute.MixrouteClient("sk-test").retry_policy,
        mixroute.AsyncMixrouteClient("sk-test").retry_policy,
        ChatMixroute(model="glm-5", api_key="sk-test"),
        Mixroute(model="glm-5", api_key="sk-test"),
    ):
        assert layer.max_retries == policy.max_retries
    cap = policy.delay(100)
    formula = f"{policy.delay(1):g} s \N{MULTIPLICATION SIGN} 2^(retry \N{MINUS SIGN} 1)"
    assert f"waits `{formula}`, capped at {cap:g} s" in text
    assert [policy.delay(n) for n in (1, 2, 3)] == [policy.delay(1) * 2**k for k in range(3)]
    assert "jittered down by up to a quarter" in text
    assert mixroute.RetryPolicy(jitter=lambda: 1.0).delay(1) == 0.75 * policy.delay(1)
    assert "server between 0 and 60 seconds is waited instead" in text
    assert (policy.delay(1, retry_after=0.0), policy.delay(1, retry_after=60.0)) == (0.0, 60.0)
    assert policy.delay(1, retry_after=61.0) == policy.delay(1)


def test_the_search_strategies_the_web_search_guide_names_are_the_ones_taken() -> None:
    text = " ".join(page("guides/web-search.md").split())
    said = re.search(r"chooses the strategy \((.*?)\) and whether", text)
    assert said is not None
    named = re.findall(r'`"(\w+)"`', said[1])
    assert named == ["standard", "pro", "turbo", "max", "agent"]
    assert "any other is an `InvalidRequestError`" in said[1]
    for strategy in named:
        assert mixroute.SearchOptions(search_strategy=strategy).search_strategy == strategy
        body = mixroute.build_request_body(
            "qwen-plus",
            [mixroute.UserMessage("News?")],
            enable_search=True,
            search_options={"search_strategy": strategy},
        )
        assert body["search_options"] == {"search_strategy": strategy}
    with pytest.raises(mixroute.InvalidRequestError, match="'fast' is not known"):
        mixroute.SearchOptions(search_strategy="fast")
    with pytest.raises(mixroute.InvalidRequestError, match="'fast' is not known"):
        mixroute.build_request_body(
            "qwen-plus", [mixroute.UserMessage("News?")], search_options={"search_strategy": "fast"}
        )


def test_parts_go_even_to_a_model_whose_profile_lists_no_such_input() -> None:
    text = " ".join(page("guides/multimodal.md").split())
    assert "Parts are sent as you give them: the gateway's vendor decides what it accepts." in text
    profile = mixroute.get_profile("deepseek-chat")
    assert [profile.image_inputs, profile.pdf_inputs, profile.audio_inputs] == [False] * 3
    parts = [
        mixroute.ImagePart("https://example.com/photo.png"),
        mixroute.FilePart(url="https://example.com/report.pdf"),
        mixroute.AudioPart(b"RIFF", format="wav"),
    ]
    body = mixroute.build_request_body("deepseek-chat", [mixroute.UserMessage(parts)])
    sent = [part["type"] for part in body["messages"][0]["content"]]
    assert sent == ["image_url", "file", "input_audio"]


def test_the_pool_sizes_the_async_guide_states_are_the_clients() -> None:
    text = " ".join(page("guides/async-and-transports.md").split())
    assert f"The pool keeps up to {POOL_LIMITS.max_connections:,} connections" in text
    assert f"at most {POOL_LIMITS.max_keepalive_connections} on httpx" in text
    # "so a thousand concurrent streams fit on one client": the scale test opens that many.
    assert scale.STREAMS == POOL_LIMITS.max_connections == 1000


def test_the_error_attributes_are_openai_pythons_but_two() -> None:
    text = page("guides/errors.md")
    assert "(`retry_after` and `partial` are this package's own)" in " ".join(text.split())
    rows = re.findall(r"^\| (`.+?`) \| `(\w+)` \| [^|]+ \|$", text, re.M)
    table = {name: on for names, on in rows for name in re.findall(r"`(\w+)`", names)}
    assert set(table) >= {"message", "status_code", "body", "retry_after", "partial"}
    openai = pytest.importorskip("openai")  # installed with the `bench` extra only
    for name, on in table.items():
        theirs = {
            key
            for cls in getattr(openai, on, openai.APIError).__mro__
            for key in getattr(cls, "__annotations__", {})
        }
        assert (name in theirs) == (name not in {"retry_after", "partial"}), name
    error = mixroute.RateLimitError(
        "Rate limit reached",
        response=httpx.Response(429, request=httpx.Request("POST", "https://x.example/v1")),
        body={"error": {"message": "Rate limit reached"}},
    )
    for name in table:
        assert hasattr(error, name), name
