"""Specification of mixroute.citations: the three vendor shapes read into `Citation`."""

from __future__ import annotations

from typing import Any

import pytest

from mixroute.citations import Citation, citations_from_annotations, citations_from_body
from mixroute.response import parse_completion


def test_top_level_citations_as_urls() -> None:
    body = {"citations": ["https://a.example/1", "https://b.example/2"]}
    assert citations_from_body(body) == [
        Citation(url="https://a.example/1", source="citations"),
        Citation(url="https://b.example/2", source="citations"),
    ]


def test_top_level_citations_as_objects() -> None:
    body = {
        "citations": [
            {"url": "https://a.example", "title": "A", "snippet": "quoted"},
            {"title": "no url, skipped"},
            "https://b.example",
            42,
        ]
    }
    assert citations_from_body(body) == [
        Citation(url="https://a.example", title="A", snippet="quoted", source="citations"),
        Citation(url="https://b.example", source="citations"),
    ]


def test_openrouter_url_citation_annotations() -> None:
    # As OpenRouter sends them on web-search answers (message or delta `annotations`).
    annotations = [
        {
            "type": "url_citation",
            "url_citation": {
                "url": "https://github.com/pydantic/pydantic-ai",
                "title": "AI Agent Framework, the Pydantic way - GitHub",
                "start_index": 0,
                "end_index": 12,
                "content": "# pydantic/pydantic-ai ...",
            },
        },
        {
            "type": "url_citation",
            "url_citation": {"url": "https://pydantic.dev/pydantic-ai", "title": ""},
        },
        {"type": "file_citation", "file_citation": {"file_id": "f1"}},
    ]
    assert citations_from_annotations(annotations) == [
        Citation(
            url="https://github.com/pydantic/pydantic-ai",
            title="AI Agent Framework, the Pydantic way - GitHub",
            snippet="# pydantic/pydantic-ai ...",
            start_index=0,
            end_index=12,
            source="annotations",
        ),
        Citation(url="https://pydantic.dev/pydantic-ai", source="annotations"),
    ]


def test_flat_url_citation_annotation() -> None:
    annotations = [{"type": "url_citation", "url": "https://a.example", "title": "A"}]
    assert citations_from_annotations(annotations) == [
        Citation(url="https://a.example", title="A", source="annotations")
    ]


def test_qwen_search_info_results() -> None:
    body = {
        "search_info": {
            "search_results": [
                {
                    "index": 1,
                    "title": "Qwen news",
                    "url": "https://news.example/qwen",
                    "site_name": "News",
                    "icon": "https://news.example/favicon.ico",
                },
                {"index": 2, "title": "", "url": "https://b.example", "site_name": "Site B"},
                {"index": 3, "title": "no url"},
            ]
        }
    }
    assert citations_from_body(body) == [
        Citation(url="https://news.example/qwen", title="Qwen news", source="search_info"),
        Citation(url="https://b.example", title="Site B", source="search_info"),
    ]


def test_both_top_level_shapes_together() -> None:
    body = {
        "citations": ["https://a.example"],
        "search_info": {"search_results": [{"url": "https://b.example"}]},
    }
    assert [c.source for c in citations_from_body(body)] == ["citations", "search_info"]


def test_snippet_falls_back_past_fields_of_the_wrong_type() -> None:
    item = {"url": "https://a.example", "content": {"not": "text"}, "snippet": "the snippet"}
    (citation,) = citations_from_body({"citations": [item]})
    assert citation.snippet == "the snippet"


def test_wrong_types_are_skipped() -> None:
    item = {"url": "https://a.example", "title": 5, "start_index": True, "end_index": "3"}
    (citation,) = citations_from_body({"citations": [item]})
    assert citation == Citation(url="https://a.example")


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"citations": None},
        {"citations": "https://a.example"},
        {"citations": {"url": "https://a.example"}},
        {"search_info": []},
        {"search_info": {"search_results": None}},
        {"search_info": {"search_results": [None, 1, "x"]}},
    ],
)
def test_bodies_without_usable_citations(body: dict[str, Any]) -> None:
    assert citations_from_body(body) == []


@pytest.mark.parametrize(
    "annotations",
    [None, [], 7, "url_citation", {"type": "url_citation"}, [None, {"type": "url_citation"}]],
)
def test_annotations_without_usable_citations(annotations: object) -> None:
    assert citations_from_annotations(annotations) == []


def test_parse_completion_survives_annotations_that_are_not_a_list() -> None:
    body = {"choices": [{"message": {"content": "x", "annotations": 7}}]}
    assert parse_completion(body).citations == []


def test_to_dict_drops_empty_fields() -> None:
    citation = Citation(url="https://a.example", title="A", start_index=0)
    assert citation.to_dict() == {
        "url": "https://a.example",
        "title": "A",
        "start_index": 0,
        "source": "citations",
    }
