"""Real provider traffic from ``../shared/realdata``: loading it, serving it, and an oracle.

The oracle reads what a recording really contains with the plainest code possible (split
on ``data:`` lines, add up the deltas), independent of the package under test. Each test
module reads its own result (the core's, ChatMixroute's, Mixroute's) into an
:class:`Observed` and :func:`assert_matches` compares it with the oracle, so the three
are held to one standard. One :class:`ReplayServer` per module answers every exchange.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

import pytest
from support.local_server import LocalServer, Received, Reply

FOLDER = Path(__file__).resolve().parents[3] / "shared" / "realdata" / "exchanges"


def exchanges() -> list[Path]:
    """Every recorded exchange; the tests skip when the folder is absent."""
    return sorted(FOLDER.glob("*.json")) if FOLDER.is_dir() else []


def exchange_params() -> list[Any]:
    """The exchanges as parameters, each named by its file (no id function: pytest 8.2
    calls one with a placeholder when the list is empty, as it is without the folder)."""
    return [pytest.param(path, id=path.stem) for path in exchanges()]


def load(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


def body_text(exchange: dict[str, Any]) -> str:
    body = exchange["body"]
    return body if isinstance(body, str) else json.dumps(body)


class ReplayServer:
    """A real server on 127.0.0.1 answering with the recorded status, type and body of the
    exchange last given to :meth:`play` (one server per test module, one reply per test)."""

    def __init__(self) -> None:
        self.reply = Reply(500, {"error": {"message": "no exchange is being played"}})
        self.server = LocalServer(self._respond)

    def _respond(self, _: Received) -> Reply:
        return self.reply

    def play(self, exchange: dict[str, Any]) -> str:
        """Answer every request with ``exchange`` from now on; return the base URL."""
        self.reply = Reply(
            exchange["status"],
            body_text(exchange).encode("utf-8"),
            {"Content-Type": exchange["content_type"]},
        )
        return self.server.base_url


@dataclass
class Expected:
    """What the recording contains, read without the package."""

    content: str = ""
    reasoning: str = ""
    tool_calls: dict[int, dict[str, str]] = field(default_factory=dict)
    usage: dict[str, Any] | None = None
    refusal: str = ""
    finish_reason: str | None = None
    stream_error: bool = False
    citations: int = 0

    def usage_counts(self) -> Usage | None:
        """The recorded usage as ``(prompt, completion, cached, reasoning)`` token counts."""
        raw = self.usage
        if raw is None:
            return None
        prompt_details = raw.get("prompt_tokens_details") or {}
        completion_details = raw.get("completion_tokens_details") or {}
        cached = prompt_details.get("cached_tokens")
        if cached is None:  # DeepSeek's own field
            cached = raw.get("prompt_cache_hit_tokens")
        return Usage(
            raw.get("prompt_tokens", 0),
            raw.get("completion_tokens", 0),
            cached,
            completion_details.get("reasoning_tokens"),
        )


class Usage(NamedTuple):
    """Token counts as every layer reports them."""

    prompt: int
    completion: int
    cached: int | None
    reasoning: int | None


@dataclass
class Observed:
    """What a layer under test made of an answer, in the oracle's terms.

    ``tool_calls`` maps the call's position to its ``name`` and ``arguments``: the exact
    text received, or the parsed object where the layer keeps only that.
    """

    content: str
    reasoning: str
    tool_calls: dict[int, dict[str, Any]]
    usage: Usage | None
    citations: int = 0
    refusal: str = ""
    finish_reason: str | None = None


def assert_matches(observed: Observed, want: Expected) -> None:
    """The layer's answer says exactly what the recording says."""
    assert observed.content == want.content
    assert observed.reasoning == want.reasoning
    assert observed.refusal == want.refusal
    assert observed.finish_reason == want.finish_reason
    assert set(observed.tool_calls) == set(want.tool_calls)
    for index, call in observed.tool_calls.items():
        recorded = want.tool_calls[index]
        assert call["name"] == recorded["name"]
        if isinstance(call["arguments"], dict):  # parsed: it must parse to the same object
            assert call["arguments"] == json.loads(recorded["arguments"] or "{}")
        else:
            assert call["arguments"] == recorded["arguments"]
    if want.usage is not None:
        usage = want.usage_counts()
        assert usage is not None
        assert observed.usage is not None
        assert observed.usage.prompt == usage.prompt
        assert observed.usage.completion == usage.completion
        if usage.cached is not None:
            assert observed.usage.cached == usage.cached
        if usage.reasoning is not None:
            assert observed.usage.reasoning == usage.reasoning
    assert observed.citations == want.citations


def expected(exchange: dict[str, Any], *, inline_think_tags: bool = False) -> Expected:
    """The oracle: read the recorded body the plain way.

    With ``inline_think_tags`` (the model's profile says it writes ``<think>`` blocks), a
    leading ``<think>…</think>`` in the content is counted as reasoning.
    """
    out = _expected(exchange)
    text = out.content.lstrip()
    if inline_think_tags and not out.reasoning and text.startswith("<think>"):
        thought, _, answer = text[len("<think>") :].partition("</think>")
        out.reasoning, out.content = thought, answer.lstrip()
    return out


def _expected(exchange: dict[str, Any]) -> Expected:
    if "event-stream" in exchange["content_type"]:
        return _expected_stream(exchange["body"])
    body = exchange["body"]
    if isinstance(body, str):
        body = json.loads(body)
    message = body["choices"][0]["message"]
    out = Expected(
        finish_reason=body["choices"][0].get("finish_reason"),
        content=message.get("content") or "",
        reasoning=message.get("reasoning_content") or message.get("reasoning") or "",
        refusal=message.get("refusal") or "",
        usage=body.get("usage"),
    )
    for index, call in enumerate(message.get("tool_calls") or []):
        out.tool_calls[index] = {
            "name": call["function"]["name"],
            "arguments": call["function"].get("arguments") or "",
        }
    out.citations = len(
        {a["url_citation"]["url"] for a in message.get("annotations") or [] if "url_citation" in a}
    )
    return out


def _expected_stream(text: str) -> Expected:
    out = Expected()
    urls: set[str] = set()
    for line in text.splitlines():
        if line.startswith("event: error"):
            out.stream_error = True
        if not line.startswith("data:") or line.strip() == "data: [DONE]":
            continue
        chunk = json.loads(line[5:])
        if chunk.get("error"):
            out.stream_error = True
        if chunk.get("usage"):
            out.usage = chunk["usage"]
        for choice in chunk.get("choices") or []:
            out.finish_reason = choice.get("finish_reason") or out.finish_reason
            delta = choice.get("delta") or {}
            out.content += delta.get("content") or ""
            out.reasoning += delta.get("reasoning_content") or delta.get("reasoning") or ""
            out.refusal += delta.get("refusal") or ""
            for call in delta.get("tool_calls") or []:
                slot = out.tool_calls.setdefault(
                    call.get("index", 0), {"name": "", "arguments": ""}
                )
                function = call.get("function") or {}
                slot["name"] = slot["name"] or function.get("name") or ""
                slot["arguments"] += function.get("arguments") or ""
            urls.update(a["url_citation"]["url"] for a in delta.get("annotations") or [])
    out.citations = len(urls)
    return out


requires_realdata = pytest.mark.skipif(
    not FOLDER.is_dir(), reason="../shared/realdata is not on this machine"
)
