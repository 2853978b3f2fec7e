r"""Keep the API key out of everything an error carries: message, body, response, request.

Some servers echo the key back in an error ("Incorrect API key provided: sk-…"), in
clear or JSON-escaped (``"\u0073\u006b-…"``, ``"sk-\/…"``), and frameworks read more than
the message: LangChain's error callbacks read ``e.response.json()`` and its headers, and
the request that failed holds the key in its ``authorization`` header. So texts are
scrubbed of every JSON spelling of the key, parsed bodies string by string (keys too),
and requests keep their credential headers masked.

The key's last eight characters go too, for keys of 16 characters or more: a server may
quote only the tail ("key ending in …9f3a21c7").
"""

from __future__ import annotations

import contextlib
import functools
import json
import re
from typing import Any

import httpx
from pydantic import SecretStr

from mixroute import jsonsafe
from mixroute.causes import causes
from mixroute.errors import APIError, APIStatusError, MixrouteError

__all__ = ["MASK", "mask_httpx_error", "redact", "redact_data", "redact_error", "redacted_request"]

MASK = "**********"
"""What the key, or a credential header's value, is replaced with."""

_TAIL_MASK = "****"
_TAIL_LENGTH = 8
_TAIL_MIN_KEY = 16  # a shorter key's tail is too common a string to hunt for
_CREDENTIAL_HEADERS = frozenset({"authorization", "proxy-authorization", "api-key", "x-api-key"})


def redact(text: str, secret: SecretStr) -> str:
    r"""Replace the key, and its tail, in clear or in any JSON escaping, with stars.

    >>> key = SecretStr("sk-0123456789abcdef")
    >>> redact(r'{"error": "bad key \u0073k-0123456789abcdef"}', key)
    '{"error": "bad key **********"}'
    >>> redact("key ending in …89abcdef", key)
    'key ending in …****'
    """
    value = secret.get_secret_value()
    if not value:
        return text
    if "\\" in text:  # an escape may spell the key: only the patterns see every spelling
        key, tail = _spellings(value)
        text = key.sub(MASK, text)
        return tail.sub(_TAIL_MASK, text) if tail is not None else text
    if value in text:
        text = text.replace(value, MASK)
    if len(value) >= _TAIL_MIN_KEY and value[-_TAIL_LENGTH:] in text:
        text = text.replace(value[-_TAIL_LENGTH:], _TAIL_MASK)
    return text


# Built once per key, not per error; the patterns hold nothing the settings do not.
@functools.lru_cache(maxsize=8)
def _spellings(value: str) -> tuple[re.Pattern[str], re.Pattern[str] | None]:
    tail = value[-_TAIL_LENGTH:] if len(value) >= _TAIL_MIN_KEY else None
    key = re.compile("".join(map(_char_spellings, value)))
    return key, re.compile("".join(map(_char_spellings, tail))) if tail else None


# The characters JSON may also write as a backslash and a letter: \" \\ \/ \b \f \n \r \t.
_SHORT_ESCAPES = dict(zip('"\\/\b\f\n\r\t', '"\\/bfnrt', strict=True))


def _char_spellings(char: str) -> str:
    """A pattern for one character as JSON may write it: itself, ``\\uXXXX`` or ``\\/``."""
    code = ord(char)
    if code > 0xFFFF:  # outside the BMP, JSON escapes a surrogate pair
        code -= 0x10000
        escaped = _unicode_escape(0xD800 + (code >> 10)) + _unicode_escape(0xDC00 + (code & 0x3FF))
    else:
        escaped = _unicode_escape(code)
    forms = [re.escape(char), escaped]
    if char in _SHORT_ESCAPES:
        forms.append(re.escape("\\" + _SHORT_ESCAPES[char]))
    return f"(?:{'|'.join(forms)})"


def _unicode_escape(code: int) -> str:
    # \u is lowercase in JSON; the hex digits may be either case.
    digits = "".join(f"[{d.lower()}{d.upper()}]" if d.isalpha() else d for d in f"{code:04x}")
    return r"\\u" + digits


def redact_data(data: object, secret: SecretStr) -> object:
    """Redact the key from every string inside parsed JSON, dict keys included.

    The walk keeps its own stack, so a body nested thousands deep cannot overflow
    Python's. When nothing needed scrubbing, ``data`` itself is returned.

    >>> redact_data({"sk-1": ["sk-1", 2]}, SecretStr("sk-1"))
    {'**********': ['**********', 2]}
    """
    if isinstance(data, str):
        return redact(data, secret)
    if not isinstance(data, dict | list):
        return data
    root: dict[Any, Any] | list[Any] = {} if isinstance(data, dict) else []
    stack: list[tuple[dict[Any, Any] | list[Any], dict[Any, Any] | list[Any]]] = [(data, root)]
    changed = False
    while stack:
        source, target = stack.pop()
        if isinstance(source, dict):
            assert isinstance(target, dict)
            for key, value in source.items():
                if isinstance(key, str):
                    clean_key = redact(key, secret)
                    changed = changed or clean_key != key
                    key = clean_key
                target[key], scrubbed = _copy_one(value, secret, stack)
                changed = changed or scrubbed
        else:
            assert isinstance(target, list)
            for value in source:
                copy, scrubbed = _copy_one(value, secret, stack)
                target.append(copy)
                changed = changed or scrubbed
    return root if changed else data


def _copy_one(
    value: object,
    secret: SecretStr,
    stack: list[tuple[dict[Any, Any] | list[Any], dict[Any, Any] | list[Any]]],
) -> tuple[object, bool]:
    # A container is copied empty and filled when the walk pops it, so its place in the
    # parent (and the parent's order) is kept without recursing.
    if isinstance(value, str):
        clean = redact(value, secret)
        return clean, clean != value
    if isinstance(value, dict | list):
        empty: dict[Any, Any] | list[Any] = {} if isinstance(value, dict) else []
        stack.append((value, empty))
        return empty, False
    return value, False


def redacted_request(request: httpx.Request) -> httpx.Request:
    """The request with its credential headers masked (``Bearer **********``).

    Method, URL, other headers, body and extensions are kept. A request with nothing to
    mask (or masked already) is returned as it is.

    >>> request = httpx.Request("POST", "https://x.test", headers={"Authorization": "Bearer sk-1"})
    >>> redacted_request(request).headers["authorization"]
    'Bearer **********'
    """
    raw = request.headers.raw
    if not any(_needs_mask(name, value) for name, value in raw):
        return request
    headers = [(name, _masked(value) if _needs_mask(name, value) else value) for name, value in raw]
    try:
        content: bytes | None = request.content
    except httpx.RequestNotRead:  # a streamed body: not ours to read, and not needed
        content = None
    return httpx.Request(
        request.method, request.url, headers=headers, content=content, extensions=request.extensions
    )


def _needs_mask(name: bytes, value: bytes) -> bool:
    if name.decode("latin-1").lower() not in _CREDENTIAL_HEADERS:
        return False
    return value != MASK.encode() and not value.endswith(b" " + MASK.encode())


def _masked(value: bytes) -> bytes:
    scheme, space, _ = value.partition(b" ")
    return scheme + b" " + MASK.encode() if space else MASK.encode()


def mask_httpx_error(exc: httpx.HTTPError) -> None:
    """Mask the credential headers of the request (and response) an httpx error holds.

    An error of ours keeps the httpx failure as ``__cause__``, whose request is the one
    that was sent, key and all.
    """
    with contextlib.suppress(RuntimeError):  # an httpx error made without a request
        exc.request = redacted_request(exc.request)
    if isinstance(exc, httpx.HTTPStatusError):
        with contextlib.suppress(RuntimeError):
            exc.response.request = redacted_request(exc.response.request)


def redact_error(error: MixrouteError, secret: SecretStr) -> None:
    """Scrub the key from everything an error carries, in place.

    Its message, parsed body and error fields, its request's credential headers, its
    response (body, headers and request), and the httpx error or JSON decode error it
    was raised from.
    """
    if not isinstance(error, APIError):
        return
    clean = redact(error.message, secret)
    if clean != error.message:
        error.message = clean
        error.args = (clean,)
    error.body = redact_data(error.body, secret)
    for name in ("code", "type", "param"):
        value = getattr(error, name)
        if value is not None:
            setattr(error, name, redact(value, secret))
    if isinstance(error, APIStatusError):
        masked = _response_request(error.response)
        error.request = masked if masked is not None else error.request
        error.response = _redacted_response(error.response, secret, masked)
    elif error.request is not None:
        error.request = redacted_request(error.request)
    _redact_chain(error, secret)


def _response_request(response: httpx.Response) -> httpx.Request | None:
    try:
        return redacted_request(response.request)
    except RuntimeError:  # a response built without a request
        return None


def _redacted_response(
    response: httpx.Response, secret: SecretStr, request: httpx.Request | None
) -> httpx.Response:
    """The response, rebuilt without the key where it echoed it; else itself.

    Frameworks read an error's ``response`` for their callbacks (LangChain puts its JSON
    and headers into the ``on_llm_error`` payload), so scrubbing the message is not enough.
    The response is the failed one, read and closed, so its request is swapped in place
    rather than the body copied.
    """
    text = response.content.decode("utf-8", errors="replace")
    clean = redact(text, secret)
    if "\\" in clean:  # escapes decode to text no plain pass saw: check the parsed strings
        clean = _redact_parsed(clean, secret)
    items = response.headers.multi_items()
    headers = [(name, redact(value, secret)) for name, value in items]
    if clean == text and headers == items:
        if request is not None:
            response.request = request
        return response
    skip = ("content-length", "content-encoding", "transfer-encoding")
    return httpx.Response(
        response.status_code,
        headers=[(name, value) for name, value in headers if name not in skip],
        content=clean.encode("utf-8"),
        request=request,
        extensions=response.extensions,
    )


def _redact_parsed(text: str, secret: SecretStr) -> str:
    try:
        parsed = jsonsafe.loads(text)
    except ValueError:  # not JSON, or too deep: the text pass is all there is
        return text
    clean = redact_data(parsed, secret)
    if clean is parsed:
        return text  # nothing changed: keep the body byte for byte
    return json.dumps(clean, ensure_ascii=False)


def _redact_chain(error: BaseException, secret: SecretStr) -> None:
    # The exceptions an error was raised from travel with it: an httpx error holds the
    # request sent, and a JSON decode error holds the whole document it failed on.
    for link in causes(error):
        if isinstance(link, httpx.HTTPError):
            mask_httpx_error(link)
        elif isinstance(link, json.JSONDecodeError):
            link.doc = redact(link.doc, secret)
