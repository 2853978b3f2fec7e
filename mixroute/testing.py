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

- **Replay without a key**: when the run replays (``--record-mode`` absent or ``none``)
  and ``MIXROUTE_API_KEY`` is unset, the plugin sets it to :data:`REPLAY_API_KEY` from
  ``pytest_configure`` to ``pytest_unconfigure``, so clients made at import time or in
  fixtures work in CI with no secret. A key you set is left alone, and recording with
  ``--record-mode`` and no key still fails as it would without the plugin.
- **Scrubbing on record**: credential headers (``Authorization``, ``api-key``,
  ``x-api-key``, cookies, ...) are dropped, anything shaped like a key (``sk-…``,
  ``Bearer …``, ``api_key=…``) is replaced in URLs, other header values and bodies, and
  compressed answers are stored decoded so the scrubbing can read them. It is installed on
  pytest-recording's VCR itself and runs after every filter a ``vcr_config`` fixture, a
  ``@pytest.mark.vcr(...)`` argument or the command line sets, so none of them can turn
  it off (:func:`configure_vcr`).
- **Strict matching** by default: method, URL path and the JSON body compared
  semantically (key order and white space do not matter, every value does), so a changed
  request fails the test instead of replaying a stale answer, naming the field that
  changed. A ``match_on`` of your own is used as given.
- **Provenance**: each recorded response carries ``x-cassette-source``: ``live`` when the
  request went to the Mixroute gateway, ``host:<name>`` for any other server, or the value
  of ``MIXROUTE_CASSETTE_SOURCE`` when that is set.
"""

from __future__ import annotations

import copy
import functools
import json
import os
import re
import threading
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlsplit

import pytest

from mixroute.decoding import BodyTooLarge, ContentDecoder, DecodingFailed, accept_encoding
from mixroute.defaults import DEFAULT_MAX_BODY_BYTES
from mixroute.settings import API_KEY_ENV, DEFAULT_BASE_URL

__all__ = [
    "CASSETTE_SOURCE_HEADER",
    "DEFAULT_MATCH_ON",
    "REPLAY_API_KEY",
    "SECRET_HEADERS",
    "cassette_source",
    "configure_vcr",
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
GATEWAY_HOST = urlsplit(DEFAULT_BASE_URL).hostname
REPLAY_API_KEY = "mixroute-replay-placeholder"
"""What ``MIXROUTE_API_KEY`` holds while a keyless run replays: not a key, so a request
that does reach a server with it (a ``vcr_config`` with ``record_mode: once`` and no
cassette yet, say) is refused there."""
DEFAULT_MATCH_ON = ("method", "path", "json_body")

_KEY_PATTERNS = (
    re.compile(r"\bsk-[A-Za-z0-9_\-]{8,}"),
    re.compile(r"(?i)\bBearer\s+[A-Za-z0-9._\-~+/]{8,}=*"),
    re.compile(r"(?i)([?&](?:api[_-]?key|key|token|access_token)=)[^&#\s\"']+"),
)
_REDACTED = "REDACTED"
_PLACEHOLDER_SET = pytest.StashKey[bool]()
_DECODABLE = {coding.strip() for coding in accept_encoding().split(",")} | {"x-gzip", "identity"}

_Filter = Callable[[Any], Any]


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


def _scrub_value(value: Any) -> Any:
    if isinstance(value, str):
        return scrub_text(value)
    if isinstance(value, list):
        return [scrub_text(item) if isinstance(item, str) else item for item in value]
    return value


def scrub_request(request: Any) -> Any:
    """``before_record_request``: drop credential headers, scrub the URL, headers and body."""
    for name in list(request.headers):
        if name.lower() in SECRET_HEADERS:
            del request.headers[name]
        else:
            request.headers[name] = _scrub_value(request.headers[name])
    request.uri = scrub_text(request.uri)
    request.body = _scrub_body(request.body)
    return request


def scrub_response(response: dict[str, Any], source: str | None = None) -> dict[str, Any]:
    """``before_record_response``: drop credential headers, scrub the rest, note the source.

    ``source`` defaults to ``MIXROUTE_CASSETTE_SOURCE``, else ``unknown`` (this function
    does not see the request; :func:`configure_vcr`'s scrubbing does, and passes it).
    """
    headers = response.get("headers") or {}
    for name in list(headers):
        if name.lower() in SECRET_HEADERS:
            del headers[name]
        else:
            headers[name] = _scrub_value(headers[name])
    headers[CASSETTE_SOURCE_HEADER] = [source or cassette_source(None)]
    response["headers"] = headers
    body = response.get("body")
    if isinstance(body, dict) and "string" in body:
        clean = _scrub_body(body["string"])
        if clean is not body["string"]:
            body["string"] = clean
            _set_length(headers, clean)
    elif "content" in response:  # the httpx stub's shape in some vcrpy versions
        response["content"] = _scrub_body(response["content"])
    return response


def _set_length(headers: dict[str, Any], body: Any) -> None:
    """Keep a ``Content-Length`` true to a body this module changed."""
    if isinstance(body, str):
        body = body.encode("utf-8")
    if not isinstance(body, bytes):
        return
    for name in [name for name in headers if name.lower() == "content-length"]:
        del headers[name]
    headers["content-length"] = [str(len(body))]


def cassette_source(host: str | None) -> str:
    """What ``x-cassette-source`` says for an answer from ``host``.

    >>> cassette_source("console.mixroute.io"), cassette_source("127.0.0.1")
    ('live', 'host:127.0.0.1')

    ``MIXROUTE_CASSETTE_SOURCE``, when set, wins (this project's cassettes use it).
    """
    named = os.environ.get(SOURCE_ENV)
    if named:
        return named
    if host is None:
        return "unknown"
    return "live" if host == GATEWAY_HOST else f"host:{host}"


class _Scrubber:
    """The last filters of one VCR's recordings: scrub the request, then its response.

    vcrpy hands ``before_record_response`` the response alone. ``Cassette.append`` calls
    the request filter and then the response filter, in one thread with nothing between
    them, so the host the request filter saw last in this thread is that response's.
    """

    def __init__(self) -> None:
        self._last = threading.local()

    def __deepcopy__(self, memo: dict[int, Any]) -> _Scrubber:
        # pytest-recording deep-copies a vcr_config (mixroute_vcr_config's holds us); a
        # thread-local cannot be copied, and a copy starts with nothing remembered anyway.
        return _Scrubber()

    def request(self, request: Any) -> Any:
        if request is None:  # an earlier filter chose not to record it
            return None
        self._last.host = getattr(request, "host", None)
        return scrub_request(request)

    def response(self, response: Any) -> Any:
        if response is None:
            return None
        host = getattr(self._last, "host", None)
        return scrub_response(_decoded(response), cassette_source(host))


def _decoded(response: Any) -> Any:
    """The response with its body decoded (gzip, deflate, br, zstd), so scrubbing reads it.

    Done whatever ``decode_compressed_response`` says, with the decoder the clients use.
    A coding it cannot undo, or a body that is not what its header says (aiohttp's
    ``auto_decompress`` records bodies already inflated), is left as it is.
    """
    headers, body = response.get("headers"), response.get("body")
    if not isinstance(headers, dict) or not isinstance(body, dict):
        return response
    raw = body.get("string")
    names = [name for name in headers if name.lower() == "content-encoding"]
    if not names or not isinstance(raw, bytes):
        return response
    coding = ", ".join(value for name in names for value in _listed(headers[name]))
    if not {part.strip().lower() for part in coding.split(",")} <= _DECODABLE:
        return response
    decoder = ContentDecoder(coding, DEFAULT_MAX_BODY_BYTES)
    try:
        plain = decoder.decode(raw) + decoder.flush()
    except (BodyTooLarge, DecodingFailed):
        return response
    for name in names:
        del headers[name]
    _set_length(headers, plain)
    body["string"] = plain
    return response


def _listed(value: Any) -> list[str]:
    return [value] if isinstance(value, str) else [str(item) for item in value]


def _then(first: _Filter, last: _Filter) -> _Filter:
    def both(item: Any) -> Any:
        filtered = first(item)
        if filtered is item:  # ours edits in place: never the caller's object
            filtered = copy.deepcopy(item)
        return last(filtered)

    return both


def _merged_with_scrubbing(merge: Callable[..., dict[str, Any]], **options: Any) -> dict[str, Any]:
    config = merge(**options)
    scrubber = _Scrubber()
    config["before_record_request"] = _then(config["before_record_request"], scrubber.request)
    config["before_record_response"] = _then(config["before_record_response"], scrubber.response)
    return config


def configure_vcr(recorder: Any) -> Any:
    """Give a ``vcr.VCR`` this kit's matching default and scrubbing that always runs last.

    The plugin does this to pytest-recording's VCR; outside pytest, call it yourself::

        recorder = configure_vcr(vcr.VCR())
        with recorder.use_cassette("answer.yaml", record_mode="none"):
            ...

    A cassette's options override the VCR's (a ``before_record_request`` given to
    ``use_cassette`` replaces the VCR's), so the scrubbing is added to the filters vcrpy
    builds from both, in ``get_merged_config``: every filter they name runs first, then
    ours. ``match_on`` becomes :data:`DEFAULT_MATCH_ON` unless a cassette names its own.
    """
    recorder.register_matcher("json_body", json_body_matcher)
    recorder.match_on = DEFAULT_MATCH_ON
    merge = recorder.get_merged_config
    if not isinstance(merge, functools.partial) or merge.func is not _merged_with_scrubbing:
        recorder.get_merged_config = functools.partial(_merged_with_scrubbing, merge)
    return recorder


def _json(body: Any) -> Any:
    if body is None or body == b"" or body == "":
        return None
    if isinstance(body, bytes):
        body = body.decode("utf-8", errors="replace")
    try:
        return json.loads(body)
    except (TypeError, ValueError):
        return body


def json_body_matcher(sent: Any, recorded: Any) -> None:
    """VCR matcher: the two bodies are equal as JSON; raises AssertionError naming the change.

    vcrpy calls a matcher as ``(request, stored_request)``: the request being sent first,
    the recorded one second.
    """
    now, then = _json(sent.body), _json(recorded.body)
    if now != then:
        raise AssertionError(_first_difference(now, then, "body"))


def _first_difference(sent: Any, recorded: Any, path: str) -> str:
    if isinstance(sent, Mapping) and isinstance(recorded, Mapping):
        for key in sorted(set(sent) | set(recorded), key=str):
            if key not in recorded:
                return f"{path}.{key} is new in the request: {sent[key]!r:.200}"
            if key not in sent:
                return f"{path}.{key} was recorded but is no longer sent"
            if sent[key] != recorded[key]:
                return _first_difference(sent[key], recorded[key], f"{path}.{key}")
    if isinstance(sent, list) and isinstance(recorded, list) and len(sent) == len(recorded):
        for index, (now, then) in enumerate(zip(sent, recorded, strict=True)):
            if now != then:
                return _first_difference(now, then, f"{path}[{index}]")
    return f"{path} differs: recorded {recorded!r:.200}, sent {sent!r:.200}"


def mixroute_vcr_config(**overrides: Any) -> dict[str, Any]:
    """The cassette options of this kit, for ``use_cassette`` outside pytest too.

    Register the matcher they name on the VCR first (or use :func:`configure_vcr`, whose
    scrubbing no option can remove)::

        recorder = vcr.VCR()
        recorder.register_matcher("json_body", json_body_matcher)
        with recorder.use_cassette("answer.yaml", **mixroute_vcr_config(record_mode="none")):
            ...
    """
    scrubber = _Scrubber()
    config: dict[str, Any] = {
        "before_record_request": scrubber.request,
        "before_record_response": scrubber.response,
        "match_on": list(DEFAULT_MATCH_ON),
        "allow_playback_repeats": False,
    }
    config.update(overrides)
    return config


def pytest_configure(config: pytest.Config) -> None:
    """Replaying needs no key: set a placeholder for the session when none is set."""
    if os.environ.get(API_KEY_ENV, "").strip():
        return
    if (config.getoption("--record-mode", None) or "none") != "none":
        return  # recording: a missing key must fail as it would without the plugin
    if config.getoption("--disable-recording", False):
        return  # the tests talk to the real server
    os.environ[API_KEY_ENV] = REPLAY_API_KEY
    config.stash[_PLACEHOLDER_SET] = True


def pytest_unconfigure(config: pytest.Config) -> None:
    """Remove the placeholder key, if this plugin set it and it is still there."""
    if config.stash.get(_PLACEHOLDER_SET, False):
        if os.environ.get(API_KEY_ENV) == REPLAY_API_KEY:
            del os.environ[API_KEY_ENV]
        del config.stash[_PLACEHOLDER_SET]


@pytest.hookimpl(tryfirst=True)  # first, so a user's own hook can still change match_on
def pytest_recording_configure(config: pytest.Config, vcr: Any) -> None:
    """Install matching and last-running scrubbing on pytest-recording's VCR."""
    configure_vcr(vcr)
