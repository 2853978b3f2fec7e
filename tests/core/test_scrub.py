r"""Specification of mixroute.scrub: the key leaves with no error, in clear or JSON-escaped.

A server may echo the key back in an error, and in JSON it may spell it ``\u0073k-…``,
``sk\/…`` or any mix of escaped and clear characters; the request that failed holds it in
its ``authorization`` header. None of that may reach what an error carries.
"""

from __future__ import annotations

import json
import logging
import socket
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from pydantic import SecretStr
from support.local_server import LocalServer, Reply

from mixroute import APIConnectionError, APIStreamError, AuthenticationError, MixrouteClient
from mixroute.errors import APIResponseValidationError, status_error_from_response
from mixroute.scrub import MASK, redact, redact_data, redact_error, redacted_request
from mixroute.settings import redact as settings_redact
from mixroute.settings import redact_data as settings_redact_data
from mixroute.transport import redact_error as transport_redact_error

KEY = "sk-mix/0123456789abcdefXYZ"  # a slash, so that ``\/`` can spell part of it
SECRET = SecretStr(KEY)
TAIL = KEY[-8:]
URL = "https://console.mixroute.io/v1/chat/completions"


def escaped(text: str, *, every: int = 1, upper: bool = False) -> str:
    r"""``text`` with every ``every``-th character written ``\uXXXX`` (the rest in clear)."""
    out = []
    for index, char in enumerate(text):
        if index % every == 0:
            code = f"{ord(char):04x}"
            out.append("\\u" + (code.upper() if upper else code))
        elif char == "/":
            out.append("\\/")
        else:
            out.append(char)
    return "".join(out)


SPELLINGS = {
    "clear": KEY,
    "all-escaped": escaped(KEY),
    "all-escaped-upper-hex": escaped(KEY, upper=True),
    "mixed": escaped(KEY, every=2),
    "mixed-upper-hex": escaped(KEY, every=3, upper=True),
    "slash-escaped": KEY.replace("/", "\\/"),
    "tail-escaped": "…" + escaped(TAIL, every=2),
}


def assert_clean(*texts: str) -> None:
    for text in texts:
        assert KEY not in text
        assert TAIL not in text
        for spelling in SPELLINGS.values():
            assert spelling not in text


def error_body(spelling: str) -> str:
    """An OpenAI-style error object echoing the key, as raw JSON text."""
    return '{"error": {"message": "Incorrect API key provided: ' + spelling + '"}}'


# --- texts ---------------------------------------------------------------------------------


@pytest.mark.parametrize("spelling", SPELLINGS.values(), ids=SPELLINGS.keys())
def test_every_json_spelling_of_the_key_is_scrubbed_from_text(spelling: str) -> None:
    body = error_body(spelling)
    assert TAIL in json.loads(body)["error"]["message"]  # the spelling does decode to it
    clean = redact(body, SECRET)
    assert_clean(clean, json.dumps(json.loads(clean)))
    assert json.loads(clean)["error"]["message"].startswith("Incorrect API key provided: ")


def test_every_short_escape_and_a_non_ascii_key_are_covered() -> None:
    key = SecretStr('sk-"\\/\t-0123456789-é-😀')
    written = json.dumps(key.get_secret_value())[1:-1]  # \" \\ / \t, é and 😀 in clear
    ascii_only = json.dumps(key.get_secret_value(), ensure_ascii=True)[1:-1]  # \u00e9, \ud83d…
    for spelling in (written, ascii_only, written.replace("/", "\\/")):
        assert redact(f'["{spelling}"]', key) == f'["{MASK}"]'


def test_the_tail_goes_only_for_long_keys() -> None:
    assert redact(f"ending in {TAIL}", SECRET) == "ending in ****"
    assert redact("ending in -1", SecretStr("sk-1")) == "ending in -1"


def test_the_old_homes_still_export_the_scrubbers() -> None:
    assert settings_redact is redact
    assert settings_redact_data is redact_data
    assert transport_redact_error is redact_error


# --- parsed data ---------------------------------------------------------------------------


@pytest.mark.parametrize("spelling", SPELLINGS.values(), ids=SPELLINGS.keys())
def test_every_spelling_is_scrubbed_from_parsed_data_keys_included(spelling: str) -> None:
    raw = '{"' + spelling + '": ["' + spelling + '", {"n": 1, "s": "x ' + spelling + '"}]}'
    clean = redact_data(json.loads(raw), SECRET)
    assert_clean(json.dumps(clean, ensure_ascii=False), repr(clean))
    assert isinstance(clean, dict)
    [(key, value)] = clean.items()
    assert key in (MASK, "…****")
    assert value[1]["n"] == 1


def test_data_with_nothing_to_scrub_is_returned_itself() -> None:
    data = {"error": {"message": "quota", "codes": [1, 2, {"a": None}]}}
    assert redact_data(data, SECRET) is data
    assert redact_data(7, SECRET) == 7


def test_data_nested_10_000_deep_is_scrubbed_without_recursion() -> None:
    data: Any = {"message": f"bad key {KEY}"}
    for level in range(10_000):
        data = [data, "x"] if level % 2 else {"inner": data, KEY: 1}
    clean = redact_data(data, SECRET)
    node: Any = clean
    depth = 0
    while not (isinstance(node, dict) and "message" in node):
        if isinstance(node, list):
            assert node[1] == "x"
            node = node[0]
        else:
            assert set(node) == {"inner", MASK}
            node = node["inner"]
        depth += 1
    assert depth == 10_000
    assert node == {"message": f"bad key {MASK}"}


# --- requests, responses and errors --------------------------------------------------------


def signed_request() -> httpx.Request:
    headers = {"Authorization": f"Bearer {KEY}", "X-Trace": "t1", "Api-Key": KEY}
    return httpx.Request("POST", URL, headers=headers, content=b'{"model":"m"}')


def test_the_request_keeps_everything_but_its_credentials() -> None:
    request = signed_request()
    masked = redacted_request(request)
    assert masked.headers["authorization"] == f"Bearer {MASK}"
    assert masked.headers["api-key"] == MASK
    assert masked.headers["x-trace"] == "t1"
    assert (masked.method, masked.url, masked.content) == ("POST", request.url, request.content)
    assert_clean(str(masked.headers.raw))
    assert redacted_request(masked) is masked
    plain = httpx.Request("GET", URL)
    assert redacted_request(plain) is plain


def test_a_streamed_request_body_is_not_read() -> None:
    request = httpx.Request(
        "POST", URL, headers={"authorization": f"Bearer {KEY}"}, content=iter([b"x"])
    )
    assert redacted_request(request).headers["authorization"] == f"Bearer {MASK}"


def status_error(status: int, body: str, **headers: str) -> Any:
    response = httpx.Response(status, text=body, headers=headers, request=signed_request())
    return status_error_from_response(response)


@pytest.mark.parametrize("spelling", SPELLINGS.values(), ids=SPELLINGS.keys())
def test_a_status_error_is_scrubbed_everywhere_it_carries_the_key(spelling: str) -> None:
    error = status_error(401, error_body(spelling), **{"x-echo": KEY})
    redact_error(error, SECRET)
    response = error.response
    assert_clean(
        str(error),
        repr(error),
        repr(error.body),
        response.text,
        response.content.decode(),
        json.dumps(response.json(), ensure_ascii=False),
        str(response.headers.raw),
        str(error.request.headers.raw),
        str(response.request.headers.raw),
    )
    assert response.json()["error"]["message"].startswith("Incorrect API key provided: ")
    assert error.request is response.request
    assert response.status_code == 401


def test_an_unchanged_body_is_kept_byte_for_byte() -> None:
    body = '{"error":{"message":"quota \\u00e9"},  "x": [1, 2]}'  # its own escapes and spacing
    error = status_error(429, body)
    original = error.response
    redact_error(error, SECRET)
    assert error.response is original  # nothing rebuilt...
    assert error.response.text == body
    assert error.response.request.headers["authorization"] == f"Bearer {MASK}"  # ...but masked


def test_a_scrubbed_body_keeps_the_rest_of_the_response() -> None:
    error = status_error(401, error_body(escaped(KEY)), **{"x-request-id": "req_1"})
    redact_error(error, SECRET)
    assert error.response.headers["x-request-id"] == "req_1"
    assert error.response.reason_phrase == "Unauthorized"
    assert error.request_id == "req_1"


def test_an_error_made_anywhere_carries_a_masked_request() -> None:
    error = APIResponseValidationError("not a completion", request=signed_request())
    assert error.request is not None
    assert error.request.headers["authorization"] == f"Bearer {MASK}"


def test_the_exceptions_an_error_came_from_are_scrubbed_too() -> None:
    try:
        try:
            json.loads('{"key": "' + KEY + '"')
        except json.JSONDecodeError as exc:
            raise APIResponseValidationError("not JSON") from exc
    except APIResponseValidationError as error:
        caught = error
    redact_error(caught, SECRET)
    assert isinstance(caught.__cause__, json.JSONDecodeError)
    assert_clean(caught.__cause__.doc)


# --- end to end ----------------------------------------------------------------------------


@pytest.fixture
def server() -> Iterator[LocalServer]:
    with LocalServer() as running:
        yield running


def test_a_401_echoing_the_key_json_escaped_leaves_nothing_readable(
    server: LocalServer, caplog: pytest.LogCaptureFixture
) -> None:
    body = '{"error": {"message": "Incorrect API key provided: ' + escaped(KEY, every=2)
    body += '", "type": "invalid_request_error", "key": "' + escaped(KEY) + '"}}'
    server.respond = lambda _request: Reply(401, body, {"Content-Type": "application/json"})
    client = MixrouteClient(api_key=KEY, base_url=server.base_url, max_retries=0)
    caplog.set_level(logging.DEBUG)
    with client, pytest.raises(AuthenticationError) as caught:
        client.create("gpt-4o", [{"role": "user", "content": "hi"}])
    error = caught.value
    assert server.received[0].headers["authorization"] == f"Bearer {KEY}"  # it was sent
    assert_clean(
        str(error),
        repr(error),
        repr(error.body),
        json.dumps(error.response.json(), ensure_ascii=False),
        error.response.text,
        str(error.request.headers.raw) if error.request else "",
        str(error.response.request.headers.raw),
        caplog.text,
    )
    assert error.request is not None
    assert error.request.headers["authorization"] == f"Bearer {MASK}"
    assert error.response.json()["error"]["key"] == MASK


def test_an_error_event_echoing_the_key_escaped_is_scrubbed(server: LocalServer) -> None:
    event = '{"error": {"message": "bad ' + escaped(KEY, every=2) + '"}}'
    body = f"event: error\ndata: {event}\n\n"
    server.respond = lambda _request: Reply(200, body, {"Content-Type": "text/event-stream"})
    client = MixrouteClient(api_key=KEY, base_url=server.base_url, max_retries=0)
    with (
        client,
        pytest.raises(APIStreamError) as caught,
        client.stream("gpt-4o", [{"role": "user", "content": "hi"}]) as stream,
    ):
        list(stream)
    assert_clean(str(caught.value), repr(caught.value), repr(caught.value.body))


def test_a_connection_error_holds_no_readable_key() -> None:
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    client = MixrouteClient(api_key=KEY, base_url=f"http://127.0.0.1:{port}/v1", max_retries=0)
    with client, pytest.raises(APIConnectionError) as caught:
        client.create("gpt-4o", [{"role": "user", "content": "hi"}])
    error = caught.value
    assert error.request is not None
    cause = error.__cause__
    assert isinstance(cause, httpx.HTTPError)
    for request in (error.request, cause.request):
        assert request.headers["authorization"] == f"Bearer {MASK}"
