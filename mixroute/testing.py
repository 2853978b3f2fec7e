"""Record once, replay forever: a pytest plugin for tests of chains that call Mixroute.

Turn it on in a ``conftest.py`` and mark tests with ``@pytest.mark.vcr`` (from
pytest-recording, installed by ``mixroute[testing]``)::

    pytest_plugins = ["mixroute.testing"]

    @pytest.mark.vcr
    def test_my_chain():
        assert "Paris" in chain.invoke("Capital of France?")

The first run with ``pytest --record-mode=once`` (and ``MIXROUTE_API_KEY`` set) records a
cassette next to the test; every later run replays it without opening a socket. What this
plugin adds to plain VCR:

- **Scrubbing on record**: credential headers (``Authorization``, ``api-key``,
  ``x-api-key``, cookies, ...) are dropped, and anything shaped like a key (``sk-…``,
  ``Bearer …``, ``api_key=…``) is replaced in URLs and bodies.
- **Strict matching**: method, URL path and the JSON body compared semantically (key order
  and white space do not matter, every value does), so a changed request fails the test
  instead of replaying a stale answer. A mismatch says which field differs.
- **Provenance**: each recorded response carries ``x-cassette-source`` (``live``,
  ``local-server`` or ``wire-format``, from ``MIXROUTE_CASSETTE_SOURCE``) so a reader of the
  cassette knows where its content came from.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from typing import Any

import pytest

__all__ = [
    "CASSETTE_SOURCE_HEADER",
    "SECRET_HEADERS",
    "find_secrets",
    "json_body_matcher",
    "mixroute_vcr_config",
    "scrub_request",
    "scrub_response",
    "scrub_text",
]

SECRET_HEADERS = frozenset(
    {
        "authorization",
        "proxy-authorization",
        "api-key",
        "x-api-key",
        "cookie",
        "set-cookie",
        "x-goog-api-key",
        "openai-organization",
        "openai-project",
    }
)
CASSETTE_SOURCE_HEADER = "x-cassette-source"
SOURCE_ENV = "MIXROUTE_CASSETTE_SOURCE"

_KEY_PATTERNS = (
    re.compile(r"\bsk-[A-Za-z0-9_\-]{8,}"),
    re.compile(r"(?i)\bBearer\s+[A-Za-z0-9._\-~+/]{8,}=*"),
    re.compile(r"(?i)([?&](?:api[_-]?key|key|token|access_token)=)[^&#\s\"']+"),
)
_REDACTED = "REDACTED"


def scrub_text(text: str) -> str:
    """Replace everything in a text that is shaped like a credential."""
    text = _KEY_PATTERNS[0].sub(_REDACTED, text)
    text = _KEY_PATTERNS[1].sub(f"Bearer {_REDACTED}", text)
    return _KEY_PATTERNS[2].sub(lambda m: m.group(1) + _REDACTED, text)


def find_secrets(text: str) -> list[str]:
    """Credential-shaped strings and credential headers found in a text (for audits)."""
    found = [m.group(0) for pattern in _KEY_PATTERNS for m in pattern.finditer(text)]
    found = [hit for hit in found if _REDACTED not in hit]
    header = re.compile(r"(?im)^\s*['\"]?(" + "|".join(SECRET_HEADERS) + r")['\"]?\s*:")
    found.extend(m.group(0).strip() for m in header.finditer(text))
    return found


def _scrub_body(body: Any) -> Any:
    if isinstance(body, bytes):
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            return body
        clean = scrub_text(text)
        return body if clean == text else clean.encode("utf-8")
    if isinstance(body, str):
        return scrub_text(body)
    return body


def scrub_request(request: Any) -> Any:
    """``before_record_request``: drop credential headers, scrub the URL and the body."""
    for name in list(request.headers):
        if name.lower() in SECRET_HEADERS:
            del request.headers[name]
    request.uri = scrub_text(request.uri)
    request.body = _scrub_body(request.body)
    return request


def scrub_response(response: dict[str, Any]) -> dict[str, Any]:
    """``before_record_response``: drop credential headers, scrub the body, note the source."""
    headers = response.get("headers") or {}
    for name in list(headers):
        if name.lower() in SECRET_HEADERS:
            del headers[name]
    headers[CASSETTE_SOURCE_HEADER] = [os.environ.get(SOURCE_ENV, "live")]
    response["headers"] = headers
    body = response.get("body")
    if isinstance(body, dict) and "string" in body:
        body["string"] = _scrub_body(body["string"])
    elif "content" in response:  # the httpx stub's shape in some vcrpy versions
        response["content"] = _scrub_body(response["content"])
    return response


def _json(body: Any) -> Any:
    if body is None or body == b"" or body == "":
        return None
    if isinstance(body, bytes):
        body = body.decode("utf-8", errors="replace")
    try:
        return json.loads(body)
    except (TypeError, ValueError):
        return body


def json_body_matcher(recorded: Any, sent: Any) -> None:
    """VCR matcher: the two bodies are equal as JSON; raises AssertionError naming the change."""
    left, right = _json(recorded.body), _json(sent.body)
    if left != right:
        raise AssertionError(_first_difference(left, right, "body"))


def _first_difference(left: Any, right: Any, path: str) -> str:
    if isinstance(left, Mapping) and isinstance(right, Mapping):
        for key in sorted(set(left) | set(right), key=str):
            if key not in left:
                return f"{path}.{key} is new in the request: {right[key]!r:.200}"
            if key not in right:
                return f"{path}.{key} was recorded but is no longer sent"
            if left[key] != right[key]:
                return _first_difference(left[key], right[key], f"{path}.{key}")
    if isinstance(left, list) and isinstance(right, list) and len(left) == len(right):
        for index, (a, b) in enumerate(zip(left, right, strict=True)):
            if a != b:
                return _first_difference(a, b, f"{path}[{index}]")
    return f"{path} differs: recorded {left!r:.200}, sent {right!r:.200}"


def mixroute_vcr_config(**overrides: Any) -> dict[str, Any]:
    """The cassette settings of this plugin, for ``use_cassette`` outside pytest too.

    They are ``use_cassette`` options (``VCR(**...)`` does not take them all); register
    the matcher they name on the VCR first::

        recorder = vcr.VCR()
        recorder.register_matcher("json_body", json_body_matcher)
        with recorder.use_cassette("answer.yaml", **mixroute_vcr_config(record_mode="none")):
            ...
    """
    config: dict[str, Any] = {
        "filter_headers": sorted(SECRET_HEADERS),
        "before_record_request": scrub_request,
        "before_record_response": scrub_response,
        "match_on": ["method", "path", "json_body"],
        "decode_compressed_response": True,
        "allow_playback_repeats": False,
    }
    config.update(overrides)
    return config


@pytest.fixture(scope="module")
def vcr_config() -> dict[str, Any]:
    """pytest-recording's settings fixture, with scrubbing and strict matching."""
    return mixroute_vcr_config()


def pytest_recording_configure(config: pytest.Config, vcr: Any) -> None:
    """Register the JSON-body matcher with pytest-recording's VCR."""
    vcr.register_matcher("json_body", json_body_matcher)
