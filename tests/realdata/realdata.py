"""Real provider traffic from ``../shared/realdata``: loading it, serving it, and an oracle.

The oracle reads what a recording really contains with the plainest code possible (split
on ``data:`` lines, add up the deltas), independent of the package under test, so the
adapters' results can be checked against it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from support.local_server import LocalServer, Received, Reply

FOLDER = Path(__file__).resolve().parents[3] / "shared" / "realdata" / "exchanges"


def exchanges() -> list[Path]:
    """Every recorded exchange; the tests skip when the folder is absent."""
    return sorted(FOLDER.glob("*.json")) if FOLDER.is_dir() else []


def load(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


def body_text(exchange: dict[str, Any]) -> str:
    body = exchange["body"]
    return body if isinstance(body, str) else json.dumps(body)


def serve(exchange: dict[str, Any]) -> LocalServer:
    """A real server on 127.0.0.1 answering with the recorded status, type and body."""
    reply = Reply(
        exchange["status"],
        body_text(exchange).encode("utf-8"),
        {"Content-Type": exchange["content_type"]},
    )

    def respond(_: Received) -> Reply:
        return reply

    return LocalServer(respond)


@dataclass
class Expected:
    """What the recording contains, read without the package."""

    content: str = ""
    reasoning: str = ""
    tool_calls: dict[int, dict[str, str]] = field(default_factory=dict)
    usage: dict[str, Any] | None = None
    stream_error: bool = False
    citations: int = 0


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
        content=message.get("content") or "",
        reasoning=message.get("reasoning_content") or message.get("reasoning") or "",
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
            delta = choice.get("delta") or {}
            out.content += delta.get("content") or ""
            out.reasoning += delta.get("reasoning_content") or delta.get("reasoning") or ""
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
