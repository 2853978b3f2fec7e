"""What the cassettes guide lists, checked against ``mixroute.testing``.

The guide names the headers dropped from a recording, the shapes of key that are
replaced by ``REDACTED``, the placeholder a keyless replay sets, and what a request is
matched on. The plugin's behaviour is tested in ``tests/testing/``; this file checks that
the guide's lists are the plugin's.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path

import httpx
import pytest
import vcr
from support.local_server import LocalServer
from vcr.errors import CannotOverwriteExistingCassetteException

from mixroute import testing

GUIDE = " ".join(
    (Path(__file__).resolve().parents[2] / "docs/guides/testing-with-cassettes.md")
    .read_text()
    .split()
)


def test_the_credential_headers_dropped_are_the_plugins() -> None:
    listed = re.search(r"credential headers are dropped: (.*?);", GUIDE)
    assert listed is not None
    named = {name.lower() for name in re.findall(r"`([\w-]+)`", listed[1])}
    assert named == testing.SECRET_HEADERS


SHAPES = [
    ("`sk-…`", "key sk-abcdef0123456789 here", "key REDACTED here"),
    ("`Bearer …`", "sent with Bearer abcdef0123456789", "sent with Bearer REDACTED"),
    ("`?api_key=…`", "/v1/models?api_key=abc123&x=1", "/v1/models?api_key=REDACTED&x=1"),
    ("`?key=…`", "/v1/models?key=abc123", "/v1/models?key=REDACTED"),
    ("`?token=…`", "/v1/models?token=abc123", "/v1/models?token=REDACTED"),
]


def test_the_shapes_of_key_listed_are_the_ones_checked_here() -> None:
    listed = re.search(r"anything shaped like a key \((.*?)\) is replaced by `REDACTED`", GUIDE)
    assert listed is not None
    assert re.findall(r"`[^`]+`", listed[1]) == [shape for shape, _, _ in SHAPES]


@pytest.mark.parametrize(("shape", "text", "scrubbed"), SHAPES)
def test_each_shape_of_key_the_guide_names_is_replaced(
    shape: str, text: str, scrubbed: str
) -> None:
    assert testing.scrub_text(text) == scrubbed
    assert testing.find_secrets(text) != []
    assert testing.find_secrets(scrubbed) == []


def test_the_placeholder_is_the_plugins() -> None:
    assert f"to a placeholder, `{testing.REPLAY_API_KEY}` (not a key)" in GUIDE


RECORDED = b'{"model": "glm-5", "messages": [{"role": "user", "content": "Hi"}], "temperature": 0}'
# The recorded request's body with its keys reordered and its white space dropped.
RELAID = b'{"temperature":0,"messages":[{"content":"Hi","role":"user"}],"model":"glm-5"}'


@pytest.mark.parametrize(
    ("method", "path", "body", "replayed"),
    [
        ("POST", "/v1/chat/completions", RELAID, True),
        ("PUT", "/v1/chat/completions", RELAID, False),
        ("POST", "/v1/completions", RELAID, False),
        ("POST", "/v1/chat/completions", RELAID.replace(b":0", b":0.5"), False),
    ],
    ids=["same-as-json", "other-method", "other-path", "other-body"],
)
def test_a_request_matches_on_its_method_path_and_json_body_not_its_host(
    plausible_server: LocalServer,
    tmp_path: Path,
    method: str,
    path: str,
    body: bytes,
    replayed: bool,
) -> None:
    assert "a request matches a recording on its method, its URL path and its JSON body" in GUIDE
    assert "compared as JSON (key order and white space do not matter; every value does)" in GUIDE
    assert "The host is not compared" in GUIDE
    recorder = testing.configure_vcr(vcr.VCR())
    cassette = str(tmp_path / "matching.yaml")
    with recorder.use_cassette(cassette, record_mode="once"):
        recorded = httpx.post(f"{plausible_server.base_url}/chat/completions", content=RECORDED)
    with recorder.use_cassette(cassette, record_mode="none"):
        # Another host: a replay sends nothing, so no server needs to be there.
        send = functools.partial(
            httpx.request, method, f"http://replay.invalid{path}", content=body
        )
        if replayed:
            assert send().json() == recorded.json()
        else:
            with pytest.raises(CannotOverwriteExistingCassetteException):
                send()
    assert len(plausible_server.received) == 1
