"""The cassette kit: scrubbing, strict JSON matching, and a record-then-replay round trip."""

from __future__ import annotations

import gzip
import zlib
from types import SimpleNamespace
from typing import Any

import pytest
from support.cassettes import Endpoint
from vcr.request import Request

from mixroute import MixrouteClient, UserMessage
from mixroute.testing import (
    CASSETTE_SOURCE_HEADER,
    find_secrets,
    json_body_matcher,
    mixroute_vcr_config,
    scrub_request,
    scrub_response,
    scrub_text,
)

ANSWER = {
    "id": "chatcmpl-kit",
    "object": "chat.completion",
    "created": 1767225600,
    "model": "glm-5",
    "choices": [
        {"index": 0, "message": {"role": "assistant", "content": "Paris."}, "finish_reason": "stop"}
    ],
    "usage": {"prompt_tokens": 9, "completion_tokens": 2, "total_tokens": 11},
}


def test_scrub_text_replaces_keys_tokens_and_query_credentials() -> None:
    text = (
        "key sk-abcdefghijklmnopqrstuvwx, header Bearer abc.DEF-123456789, "
        "url https://x.example/v1?api_key=hunter22&model=a"
    )
    clean = scrub_text(text)
    assert "sk-abcdefghijkl" not in clean
    assert "abc.DEF-123456789" not in clean
    assert "hunter22" not in clean
    assert "model=a" in clean
    assert find_secrets(clean) == []
    assert len(find_secrets(text)) == 3


def test_scrub_request_drops_credential_headers() -> None:
    request = SimpleNamespace(
        headers={
            "Authorization": "Bearer sk-123456789012345678",
            "X-Api-Key": "k",
            "Accept": "*/*",
        },
        uri="https://console.mixroute.io/v1/chat/completions?key=secret123",
        body=b'{"note": "my key is sk-ABCDEFGHIJKLMNOPQRST"}',
    )
    scrub_request(request)
    assert request.headers == {"Accept": "*/*"}
    assert "secret123" not in request.uri
    assert b"sk-ABCDEFGH" not in request.body


def test_scrub_response_drops_cookies_and_marks_the_source(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MIXROUTE_CASSETTE_SOURCE", "wire-format")
    response: dict[str, Any] = {
        "headers": {"Set-Cookie": ["a=b"], "Content-Type": ["application/json"]},
        "body": {"string": b'{"echo": "Bearer sk-1234567890abcdefgh"}'},
    }
    scrub_response(response)
    assert "Set-Cookie" not in response["headers"]
    assert response["headers"][CASSETTE_SOURCE_HEADER] == ["wire-format"]
    assert b"sk-1234567890" not in response["body"]["string"]


@pytest.mark.parametrize("coding", ["gzip", "deflate", "zstd", "br"])
def test_the_kit_stores_compressed_answers_decoded_and_scrubbed(
    coding: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("MIXROUTE_CASSETTE_SOURCE", raising=False)
    plain = b'{"echo": "Bearer sk-1234567890abcdefgh"}'
    compress = {
        "gzip": gzip.compress,
        "deflate": zlib.compress,
        "zstd": lambda data: pytest.importorskip("zstandard").ZstdCompressor().compress(data),
        "br": lambda data: pytest.importorskip("brotli").compress(data),
    }[coding]
    config = mixroute_vcr_config()
    config["before_record_request"](Request("POST", "http://h.example/v1", b"", {}))
    response: dict[str, Any] = {
        "headers": {"Content-Encoding": [coding], "Content-Length": ["999"]},
        "body": {"string": compress(plain)},
    }

    stored = config["before_record_response"](response)

    assert stored["body"]["string"] == b'{"echo": "Bearer REDACTED"}'
    assert stored["headers"] == {
        "content-length": [str(len(stored["body"]["string"]))],
        CASSETTE_SOURCE_HEADER: ["host:h.example"],
    }


def _request(body: bytes) -> SimpleNamespace:
    return SimpleNamespace(body=body)


# vcrpy calls a matcher as (request being sent, recorded request): so do these tests.
def test_json_matcher_ignores_layout_but_not_values() -> None:
    json_body_matcher(_request(b'{"a": 1, "b": [1, 2]}'), _request(b'{"b":[1,2],"a":1}'))
    with pytest.raises(AssertionError, match=r"body\.b\[1\] differs: recorded 2, sent 3"):
        json_body_matcher(_request(b'{"a": 1, "b": [1, 3]}'), _request(b'{"a": 1, "b": [1, 2]}'))
    with pytest.raises(AssertionError, match=r"body\.temperature is new in the request: 0\.5"):
        json_body_matcher(_request(b'{"a": 1, "temperature": 0.5}'), _request(b'{"a": 1}'))
    with pytest.raises(AssertionError, match=r"body\.top_p was recorded but is no longer sent"):
        json_body_matcher(_request(b'{"a": 1}'), _request(b'{"a": 1, "top_p": 1}'))


@pytest.mark.vcr
@pytest.mark.wire_answers([ANSWER])
def test_a_cassette_replays_the_recorded_answer(mixroute_endpoint: Endpoint) -> None:
    client = MixrouteClient(api_key=mixroute_endpoint.api_key, base_url=mixroute_endpoint.base_url)
    with client:
        answer = client.create("glm-5", [UserMessage("Capital of France?")], temperature=0)
    assert answer.message.content == "Paris."
    assert answer.usage is not None
    assert answer.usage.total_tokens == 11
