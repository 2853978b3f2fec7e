"""What an answer from the wrong address looks like, and the advice its error gives.

The commonest first mistake is a ``base_url`` without ``/v1`` (``https://console.mixroute.io``)
or with the endpoint on it (``.../v1/chat/completions``): the request then goes to a path
the server does not serve, and the answer is a bare ``404 page not found`` or a web page.
The errors for those answers name the URL that was requested and, when its path looks
wrong, the ``base_url`` to try. A correct path gets no advice about its shape.

>>> import httpx
>>> base_url_fix(httpx.URL("https://console.mixroute.io/chat/completions"))
"base_url should end in /v1: try 'https://console.mixroute.io/v1'"
>>> base_url_fix(httpx.URL("https://console.mixroute.io/v1/chat/completions")) is None
True
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # annotations only: the errors import this module, and not httpx
    import httpx

__all__ = ["base_url_fix", "is_route_miss", "requested"]

ENDPOINT = "/chat/completions"
_VERSION = re.compile(r"v\d+[a-z0-9]*", re.IGNORECASE)  # v1, v4, v1beta, v2alpha1
# Endpoints put after the version by mistake; another segment there (Gemini's
# ``/v1beta/openai``) may be part of a real API root, and gets no advice.
_ENDPOINT_SEGMENTS = frozenset({"chat", "completions", "models", "responses", "embeddings"})
_NO_ROUTE_STATUSES = (404, 405)
# What servers answer for a path they do not serve (Go's net/http, Starlette, nginx, ...).
_NO_ROUTE_MESSAGES = frozenset(
    {"not found", "404 not found", "404 page not found", "page not found", "method not allowed"}
)


def base_url_fix(url: httpx.URL) -> str | None:
    """Advice for a requested URL whose ``base_url`` part looks wrong; ``None`` if it looks right.

    The ``base_url`` is the URL before ``/chat/completions``: it should end in an API
    version (``/v1``, or ``/v4`` and the like on other gateways) and hold no endpoint.
    """
    path = url.path
    if not path.endswith(ENDPOINT):
        return None  # not a URL this client built
    base = path[: -len(ENDPOINT)].rstrip("/")
    included = base.endswith(ENDPOINT)
    if included:
        base = base[: -len(ENDPOINT)]
    segments = [segment for segment in base.split("/") if segment]
    versions = [i for i, segment in enumerate(segments) if _VERSION.fullmatch(segment)]
    if not versions:
        fixed = [*segments, "v1"]
    elif all(s.lower() in _ENDPOINT_SEGMENTS for s in segments[versions[-1] + 1 :]):
        fixed = segments[: versions[-1] + 1]
    else:
        fixed = segments
    if fixed == segments and not included:
        return None
    root = url.copy_with(userinfo=b"", query=None, fragment=None, path="/" + "/".join(fixed))
    try_url = str(root)
    if included:
        return f"base_url should not include {ENDPOINT}: try {try_url!r}"
    return f"base_url should end in /{fixed[-1]}: try {try_url!r}"


def requested(request: httpx.Request, *, doubt_base_url: bool = True) -> str:
    """Where the request went, and the ``base_url`` advice: for the end of an error message.

    ``doubt_base_url``: the answer suggests no API is there (a web page, a bare 404), so
    the message says to check ``base_url`` even when its shape looks right.
    """
    url = request.url
    shown = url.copy_with(userinfo=b"", query=None, fragment=None)
    advice = base_url_fix(url) or ("check base_url" if doubt_base_url else None)
    where = f"requested {request.method} {shown}"
    return f"{where}; {advice}" if advice else where


def is_route_miss(status_code: int, body: object, message: str | None) -> bool:
    """Whether an error answer says the path is not served, rather than an API's error.

    JSON (``{"error": {"message": "model not found"}}``) is the API speaking: the address
    was right. A text or HTML body, none, or a web framework's generic
    ``{"detail": "Not Found"}`` is a server with no API at that path.
    """
    if status_code not in _NO_ROUTE_STATUSES:
        return False
    if not isinstance(body, dict | list):
        return True
    return (message or "").strip().strip(".").lower() in _NO_ROUTE_MESSAGES
