"""Parse JSON from the server, refusing nesting too deep for the code that reads it.

``json.loads`` recurses once per ``[`` or ``{``: a body of 100,000 brackets ends in a
bare ``RecursionError`` far from any handler. :func:`loads` raises :class:`JSONTooDeep`
instead, a ``ValueError`` like every other malformed answer, so the handlers that type bad
JSON type this too.

The cap is :data:`MAX_DEPTH` levels, well below Python's recursion limit, because parsing
is not the last walk: pydantic-core stops parsing JSON at about 200 levels and serialising
at about 250, and ``copy.deepcopy`` and ``pickle`` (two frames a level) at about 500.
Real answers nest a few dozen levels at most.

How depth is found, cheaply on the common path: a text with at most ``MAX_DEPTH`` opening
brackets in it, strings included, cannot nest deeper. So a stream chunk of up to
``MAX_DEPTH`` bytes costs one length check, a longer one a count of its brackets, and a
long answer a search for its first ``MAX_DEPTH + 1`` brackets. Only a text with more (an
answer quoting code, a wide array) is measured before it is parsed, in linear passes that
skip its strings.

The parser recurses on the caller's stack, so a caller already deep in its own can run
out of stack under the cap: that ``RecursionError`` is reported as :class:`JSONTooDeep`
too, never let through.
"""

from __future__ import annotations

import json
from itertools import accumulate
from typing import Any, AnyStr

__all__ = ["MAX_DEPTH", "JSONTooDeep", "loads", "too_deep"]

MAX_DEPTH = 200
"""The deepest nesting :func:`loads` accepts: ``[[1]]`` is 2 levels."""


class JSONTooDeep(ValueError):
    """JSON nested deeper than :data:`MAX_DEPTH` levels (or than the stack allows).

    >>> try:
    ...     loads("[" * 1000 + "]" * 1000)
    ... except JSONTooDeep as exc:
    ...     print(exc)
    JSON nested deeper than 200 levels
    """

    def __init__(self, message: str = f"JSON nested deeper than {MAX_DEPTH} levels") -> None:
        super().__init__(message)


def loads(data: str | bytes, *, strict: bool = True) -> Any:
    """``json.loads``, raising :class:`JSONTooDeep` for JSON nested too deep.

    ``strict=False`` accepts raw control characters (a literal newline, a tab) inside
    strings, as ``json.loads`` does with the same flag; the depth guard is the same.

    >>> loads('{"a": [1, {"b": "[[[["}]}')
    {'a': [1, {'b': '[[[['}]}
    >>> loads('{"code": "a\\nb"}', strict=False)
    {'code': 'a\\nb'}
    """
    size = len(data)
    if (
        size > MAX_DEPTH
        and (
            # inline for the usual short text (a stream chunk): two counts and no calls
            data.count("[") + data.count("{") > MAX_DEPTH
            if size < _SHORT and type(data) is str
            else _more_openings_than(data, MAX_DEPTH)
        )
        and _nests_deeper_than(_utf8(data), MAX_DEPTH)
    ):
        raise JSONTooDeep
    try:
        return json.loads(data) if strict else json.loads(data, strict=False)
    except RecursionError:
        raise JSONTooDeep("JSON nested too deep to parse with the stack left") from None


def too_deep(data: str | bytes) -> bool:
    """Whether ``data`` nests deeper than :data:`MAX_DEPTH` (strings skipped), unparsed.

    For a caller that hands text to another parser (a partial-JSON parser, say).

    >>> too_deep("[" * 201), too_deep("[1, [2]]")
    (True, False)
    """
    return (
        len(data) > MAX_DEPTH
        and _more_openings_than(data, MAX_DEPTH)
        and _nests_deeper_than(_utf8(data), MAX_DEPTH)
    )


def _more_openings_than(data: str | bytes, limit: int) -> bool:
    # The depth is at most the number of opening brackets, those in strings included.
    if isinstance(data, str):
        return _found_more_than(data, ("[", "{"), limit)
    # In bytes the bound holds for UTF-16 and -32 too: an ASCII bracket keeps its byte.
    return _found_more_than(data, (b"[", b"{"), limit)


_SHORT = 2048  # bytes under which count() beats find()


def _found_more_than(data: AnyStr, needles: tuple[AnyStr, AnyStr], limit: int) -> bool:
    if len(data) < _SHORT:
        return data.count(needles[0]) + data.count(needles[1]) > limit
    # count() walks every byte, as slowly as the parser on a long answer; find() runs at
    # memchr speed and stops at limit + 1.
    found = 0
    for needle in needles:
        at = data.find(needle)
        while at != -1:
            found += 1
            if found > limit:
                return True
            at = data.find(needle, at + 1)
    return False


def _utf8(data: str | bytes) -> bytes:
    # Scanned as UTF-8 bytes, where a quote, a backslash or a bracket is always that
    # character (no multi-byte sequence contains an ASCII byte); other encodings, which
    # json.loads detects, are re-encoded.
    if isinstance(data, str):
        return data.encode("utf-8", "surrogatepass")
    encoding = json.detect_encoding(data)
    if encoding in ("utf-8", "utf-8-sig"):
        return data
    return data.decode(encoding, "surrogatepass").encode("utf-8", "surrogatepass")


_NOT_BRACKETS = bytes(byte for byte in range(256) if byte not in b"[]{}")
_STEPS = {ord("["): 1, ord("{"): 1, ord("]"): -1, ord("}"): -1}


def _nests_deeper_than(text: bytes, limit: int) -> bool:
    # Each pass runs in C over the whole text: an answer whose brackets are in its strings
    # (quoted code, say) costs a few copies of it, not a Python loop over its characters.
    if b'"' in text:
        if b"\\" in text:
            # An escaped backslash, then an escaped quote, delimits nothing: once both are
            # gone (in that order) every quote left opens or closes a string.
            text = text.replace(b"\\\\", b"").replace(b'\\"', b"")
        text = b"".join(text.split(b'"')[::2])  # the even pieces lie outside strings
    brackets = text.translate(None, _NOT_BRACKETS)
    if b"[" * (limit + 1) in brackets or b"{" * (limit + 1) in brackets:
        return True  # the usual attack, found without walking it
    return max(accumulate(map(_STEPS.__getitem__, brackets)), default=0) > limit
