"""Web-search citations, read from the three shapes vendors send, into one typed form.

No shape is documented by Mixroute; these are the ones the served vendors use:

- a top-level ``citations`` list of URLs or of objects with a ``url`` (Grok live search);
- ``annotations`` entries of type ``url_citation`` on the message or a delta
  (OpenAI search models, OpenRouter);
- ``search_info.search_results`` at the top level (Qwen with ``enable_search``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

__all__ = ["Citation", "citations_from_annotations", "citations_from_body"]

CitationSource = Literal["citations", "annotations", "search_info"]


@dataclass(frozen=True, slots=True)
class Citation:
    """A source a search-grounded answer cites.

    Attributes:
        url: the cited page.
        title: its title, when given.
        snippet: the quoted text or summary, when given.
        start_index, end_index: the span of the answer it supports, when given.
        source: which vendor shape it came from.

    """

    url: str
    title: str | None = None
    snippet: str | None = None
    start_index: int | None = None
    end_index: int | None = None
    source: CitationSource = "citations"

    def to_dict(self) -> dict[str, Any]:
        """Return a plain dict without the empty fields, for metadata and JSON."""
        out: dict[str, Any] = {"url": self.url}
        for key in ("title", "snippet", "start_index", "end_index"):
            value = getattr(self, key)
            if value is not None:
                out[key] = value
        out["source"] = self.source
        return out


def citations_from_body(body: Mapping[str, Any]) -> list[Citation]:
    """Citations found at the top level of a completion or chunk (Grok, Qwen)."""
    found: list[Citation] = []
    raw = body.get("citations")
    if isinstance(raw, list):
        for item in raw:
            if isinstance(item, str):
                found.append(Citation(url=item))
            elif isinstance(item, Mapping) and isinstance(item.get("url"), str):
                found.append(_from_mapping(item, "citations"))
    info = body.get("search_info")
    if isinstance(info, Mapping):
        results = info.get("search_results")
        if isinstance(results, list):
            found.extend(
                _from_mapping(item, "search_info")
                for item in results
                if isinstance(item, Mapping) and isinstance(item.get("url"), str)
            )
    return found


def citations_from_annotations(annotations: object) -> list[Citation]:
    """Citations from a message's or delta's ``annotations`` (``url_citation`` entries).

    Anything but a list (a vendor's ``null``, a stray object) holds no citations.
    """
    found: list[Citation] = []
    if not isinstance(annotations, list | tuple):
        return found
    for item in annotations:
        if not isinstance(item, Mapping) or item.get("type") != "url_citation":
            continue
        inner = item.get("url_citation", item)
        if isinstance(inner, Mapping) and isinstance(inner.get("url"), str):
            found.append(_from_mapping(inner, "annotations"))
    return found


def _from_mapping(item: Mapping[str, Any], source: CitationSource) -> Citation:
    return Citation(
        url=item["url"],
        title=_text(item.get("title")) or _text(item.get("site_name")),
        snippet=_text(item.get("content")) or _text(item.get("snippet")) or _text(item.get("text")),
        start_index=_int(item.get("start_index")),
        end_index=_int(item.get("end_index")),
        source=source,
    )


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def _int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None
