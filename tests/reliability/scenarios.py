"""The fault catalogue as data: what the server does, and what every driver must see.

A :class:`Scenario` scripts the fault server (the first requests get ``actions`` in order,
every later one gets ``then``) and says what a plain call (``plain``) and a streamed call
(``stream``) must end in: :class:`Ok` or :class:`Fails`. ``None`` means the scenario does not
apply to that kind of call. ``tests/reliability/README.md`` lists the same table for people;
a test keeps the two in step.

Retry waits are counted, never slept: every driver gets a :class:`~mixroute.RetryPolicy`
with no jitter and an instant sleep, so the default backoff is exactly 0.5 s, then 1.0 s.

Async drivers run every scenario on both of the async client's transports (aiohttp and
httpx), against the same expectations: none differs by transport. The last part of the
catalogue is a server that tries to exhaust its client (bodies without end, compression
bombs, drips, deep JSON): those scenarios set small :class:`Limits` (1 MiB, 1 s), so each
case is quick.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from mixroute import (
    APIConnectionError,
    APIResponseValidationError,
    APIStatusError,
    APIStreamError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    InternalServerError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    UnprocessableEntityError,
)
from reliability.answers import (
    completion_body,
    event_offset,
    split_text,
    sse_answer,
    sse_event,
    sse_events,
)
from reliability.drivers.base import API_KEY, ROOMY_TIMEOUT, Limits
from reliability.fault_actions import (
    Action,
    Answer,
    ByMode,
    Close,
    Raw,
    Reply,
    Reset,
    Silence,
    Status,
    Stream,
)
from reliability.hostile_actions import Bomb, Drip, Flood, deep_json, json_escaped, nested

TEXT = Answer().text
UTF8_TEXT = "Grüße aus Köln — 你好世界, ça va? ✓"
BACKOFF = (0.5, 1.0)  # the default policy's waits with no jitter, for max_retries=2
HTML_502 = (
    "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    "<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n"
    "</body>\r\n</html>\r\n"
)
PORTAL = "<!DOCTYPE html><html><body><h1>Please sign in to the guest Wi-Fi</h1></body></html>"


@dataclass(frozen=True)
class Ok:
    """The call returns ``text``; a stream delivers exactly ``text``, once."""

    requests: int = 1
    sleeps: tuple[float, ...] = ()
    text: str = TEXT
    connections: int | None = None  # TCP connections the server saw, when it matters


@dataclass(frozen=True)
class Fails:
    """The call raises ``error`` (``exact``: that very class) with ``message`` in it.

    A stream must have delivered exactly ``delivered`` first, and the error's ``partial``
    must hold the same; ``attrs`` are attributes the error must have.
    """

    error: type[Exception]
    message: str | None = None
    requests: int | None = 1
    sleeps: tuple[float, ...] = ()
    delivered: str = ""
    exact: bool = False
    attrs: dict[str, Any] = field(default_factory=dict)
    max_message: int | None = None
    body_size: int | None = None  # bytes of the error body its response holds


Expect = Ok | Fails


DEADLINE_SLACK = 0.5
"""Seconds past its deadline a call may still take to end (the loop, the thread, the OS)."""

TRY_BUDGET = 0.5
"""Seconds each try counts in a call's default time budget, or its timeout if shorter: a
client that waited out the roomy timeout instead of seeing the fault takes too long."""


@dataclass(frozen=True)
class Scenario:
    name: str
    behaviour: str
    actions: tuple[Action, ...] = ()
    then: Action = field(default_factory=Answer)
    plain: Expect | None = None
    stream: Expect | None = None
    max_retries: int = 2
    timeout: float = ROOMY_TIMEOUT
    calls: int = 1
    pause: float = 0.0  # seconds between calls
    consumer_pause: float = 0.0  # seconds the caller spends on each streamed piece
    refused: bool = False
    budget: float | None = None  # seconds one call may take; default from timeout and retries
    limits: Limits = field(default_factory=Limits)
    memory: int | None = None  # bytes the case may allocate at its peak (tracemalloc)
    requires: str | None = None  # a module the scenario needs (a compression library)

    def expect(self, streams: bool) -> Expect | None:
        return self.stream if streams else self.plain

    def time_budget(self, streams: bool = False) -> float:
        """Seconds one call may take: its deadline and a little slack, if it has one."""
        deadline = self.limits.deadline_for(streams)
        if deadline is not None:
            return deadline + DEADLINE_SLACK
        if self.budget is not None:
            return self.budget
        return (self.max_retries + 1) * min(self.timeout, TRY_BUDGET) + 1.0


def both(expect: Expect) -> dict[str, Expect]:
    return {"plain": expect, "stream": expect}


def times(action: Action, n: int = 3) -> tuple[Action, ...]:
    return (action,) * n


def pieces(text: str, n: int = 4) -> list[str]:
    return split_text(text, n)


STREAM = sse_answer(TEXT)
UTF8_STREAM = sse_answer(UTF8_TEXT)
UTF8_PIECES = pieces(UTF8_TEXT)
# The piece holding "你" is cut inside that character (its UTF-8 form is 3 bytes).
_CJK = next(i for i, piece in enumerate(UTF8_PIECES) if "你" in piece)
UTF8_CUT = UTF8_STREAM.index("你".encode()) + 1
UTF8_DELIVERED = "".join(UTF8_PIECES[:_CJK])
TWO_PIECES = "".join(pieces(TEXT)[:2])
THIRD_EVENT = event_offset(STREAM, 3)  # the third content piece's event
PLAIN_BODY = json.dumps(completion_body(TEXT)).encode()
# The first piece in one write; the second piece and the rest in another, 30 ms later.
_TWO_WRITES = (STREAM[: event_offset(STREAM, 2)], STREAM[event_offset(STREAM, 2) :])


def _after_two_pieces(*tail: bytes) -> bytes:
    head = [event + b"\n\n" for event in sse_answer(TEXT, 4, done=False).split(b"\n\n")[:3]]
    return b"".join(head + list(tail))


_ERROR = {"error": {"message": "Upstream model overloaded, try later", "code": "overloaded"}}


# -- a server that tries to exhaust its client -------------------------------------------------
MIB = 1024 * 1024
SMALL = Limits(max_line_bytes=MIB, max_body_bytes=MIB)
DEADLINES = Limits(deadline=1.0, stream_deadline=1.0)
JSON = {"Content-Type": "application/json"}
RETRY_NOW = {**JSON, "Retry-After": "0"}
# What a bomb's case may allocate at its peak: a few times the 1 MiB limits, and far below
# what a client that inflated a whole read would hold (a bomb stops at 256 MiB decoded). (Floods
# need no bound of their own: a line or a body is checked against its limit at every read.)
BOMB_MEMORY = 24 * MIB
CODINGS = (  # coding, the module it needs, what a megabyte of it is on the wire
    ("gzip", None, "1 KB a megabyte"),
    ("br", "brotli", "13 bytes a megabyte"),
    ("zstd", "zstandard", "32 bytes a megabyte"),
)
DRIP_TIMEOUT = 0.5
DRIP_EVERY = 0.8 * DRIP_TIMEOUT  # each byte just inside the read timeout
KEEPALIVE_EVERY = 0.6 * DRIP_TIMEOUT
KEEPALIVE = b": keep-alive\n\n"
THINKING = (KEEPALIVE_EVERY,) * 5  # four keep-alives 0.3 s apart, then the answer
STREAM_EVENTS = [*sse_events(TEXT), b"data: [DONE]\n\n"]
DEEP_ECHO = (
    json.dumps({"error": {"message": f"Incorrect API key provided: {API_KEY}", "param": None}})
    .replace("null", nested(None, 900))
    .encode()
)


def _escaped_echo(message: str) -> bytes:
    """An error object whose message ends in the key, every character JSON-escaped."""
    return b'{"error": {"message": "%s%s"}}' % (message.encode(), json_escaped(API_KEY).encode())


SCENARIOS: list[Scenario] = [
    # -- the connection ---------------------------------------------------------------------
    Scenario(
        "connection_refused",
        "Nothing listens: APIConnectionError after max_retries backed-off retries.",
        refused=True,
        **both(Fails(APIConnectionError, requests=None, sleeps=BACKOFF, exact=True)),
    ),
    Scenario(
        "reset_every_try",
        "TCP RST after each request: APIConnectionError, 3 requests, backoff 0.5 s then 1 s.",
        times(Reset()),
        **both(Fails(APIConnectionError, requests=3, sleeps=BACKOFF, exact=True)),
    ),
    Scenario(
        "reset_then_answer",
        "One RST, then an answer: the retry succeeds (2 requests, one 0.5 s wait).",
        (Reset(),),
        **both(Ok(requests=2, sleeps=(0.5,))),
    ),
    Scenario(
        "closed_without_answer",
        "The server closes without a byte: APIConnectionError after 3 requests.",
        times(Close()),
        **both(Fails(APIConnectionError, "disconnected", requests=3, sleeps=BACKOFF)),
    ),
    Scenario(
        "closed_then_answer",
        "One silent close, then an answer: the retry succeeds.",
        (Close(),),
        **both(Ok(requests=2, sleeps=(0.5,))),
    ),
    Scenario(
        "never_answers",
        "Accepts and never answers: APITimeoutError after each try's read timeout, retried.",
        times(Silence(), 2),
        max_retries=1,
        timeout=0.1,
        **both(Fails(APITimeoutError, requests=2, sleeps=(0.5,))),
    ),
    Scenario(
        "never_answers_then_answer",
        "A first try that times out is retried and the second answers.",
        (Silence(),),
        max_retries=1,
        timeout=0.15,
        **both(Ok(requests=2, sleeps=(0.5,))),
    ),
    Scenario(
        "headers_then_stall",
        "Status and headers, then silence: APITimeoutError (nothing delivered, so retried).",
        times(
            ByMode(Reply(200, completion_body(TEXT), stall_after=0), Stream(STREAM, stall_at=0)),
            2,
        ),
        max_retries=1,
        timeout=0.1,
        **both(Fails(APITimeoutError, requests=2, sleeps=(0.5,))),
    ),
    Scenario(
        "stall_after_content",
        "A stream stalls after two pieces: APITimeoutError with them in .partial, not retried; "
        "a plain body that stalls is retried.",
        times(
            ByMode(
                Reply(200, completion_body(TEXT), stall_after=40),
                Stream(STREAM, stall_at=THIRD_EVENT),
            ),
            2,
        ),
        max_retries=1,
        # Roomier than the others: on a loaded machine the first read after the headers can
        # take longer than 0.15 s, and then nothing was delivered yet, so a retry is right.
        timeout=0.3,
        plain=Fails(APITimeoutError, requests=2, sleeps=(0.5,)),
        stream=Fails(APITimeoutError, requests=1, delivered=TWO_PIECES),
    ),
    Scenario(
        "slow_drip_within_timeout",
        "Each write comes 30 ms apart, the whole answer takes longer than the read timeout: "
        "it succeeds (the timeout is per read, not per answer).",
        then=Answer(
            TEXT,
            pieces=8,
            plain_options={"write_size": 40, "delay": 0.03},
            stream_options={"delay": 0.03},
        ),
        timeout=0.15,
        budget=2.0,
        **both(Ok()),
    ),
    Scenario(
        "byte_drip",
        "The answer arrives a few bytes per write: decoded the same.",
        then=Answer(
            UTF8_TEXT,
            plain_options={"write_size": 13, "delay": 0.001},
            stream_options={"write_size": 13, "delay": 0.001},
        ),
        budget=3.0,
        **both(Ok(text=UTF8_TEXT)),
    ),
    Scenario(
        "garbage_status_line",
        "Bytes that are not HTTP: APIConnectionError, retried.",
        times(Raw(b"HELLO WORLD\r\n\r\n")),
        **both(Fails(APIConnectionError, requests=3, sleeps=BACKOFF, exact=True)),
    ),
    Scenario(
        "keepalive_reused",
        "Three calls on one client reuse one pooled connection.",
        calls=3,
        **both(Ok(requests=3, connections=1)),
    ),
    Scenario(
        "keepalive_closed_while_idle",
        "The server closes each connection once it has answered (an idle timeout), without "
        "saying so: the next call, 50 ms later, sees the pooled connection is dead and opens "
        "a new one, without a retry.",
        then=Answer(plain_options={"drop_after": True}, stream_options={"drop_after": True}),
        calls=2,
        pause=0.05,
        **both(Ok(requests=2, connections=2)),
    ),
    Scenario(
        "keepalive_stale_connection",
        "The second call goes out on the pooled connection and the server closes it without "
        "an answer (the close crossed the request): one retry, on a new connection.",
        (Answer(), Close()),
        calls=2,
        **both(Ok(requests=3, sleeps=(0.5,), connections=2)),
    ),
    Scenario(
        "connection_close_header",
        "Each answer says Connection: close: every call succeeds.",
        then=Answer(
            plain_options={"close": True},
            stream_options={"headers": {"Connection": "close"}, "drop_after": True},
        ),
        calls=3,
        **both(Ok(requests=3, connections=3)),
    ),
    # -- error statuses ---------------------------------------------------------------------
    Scenario(
        "status_400",
        "400: BadRequestError with the server's message, never retried.",
        (Status(400, "Invalid value for 'temperature': must be at most 2"),),
        **both(Fails(BadRequestError, "must be at most 2", attrs={"status_code": 400})),
    ),
    Scenario(
        "status_400_plain_text",
        "400 with a text body: BadRequestError carrying that text.",
        (Reply(400, "context length exceeded"),),
        **both(Fails(BadRequestError, "context length exceeded")),
    ),
    Scenario(
        "status_400_upstream_detail",
        "400 from a router with the vendor's words in metadata.raw: both in the message.",
        (
            Status(
                400,
                body={
                    "error": {
                        "message": "Provider returned error",
                        "metadata": {"raw": "max_tokens is too large: 999999"},
                    }
                },
            ),
        ),
        **both(Fails(BadRequestError, "max_tokens is too large")),
    ),
    Scenario(
        "status_401",
        "401: AuthenticationError, not retried.",
        (Status(401, "Invalid token"),),
        **both(Fails(AuthenticationError, "Invalid token", attrs={"code": "401"})),
    ),
    Scenario(
        "status_401_echoes_key",
        "401 whose message and body echo the key: AuthenticationError with the key scrubbed.",
        (Status(401, f"Incorrect API key provided: {API_KEY}"),),
        **both(Fails(AuthenticationError, "Incorrect API key provided")),
    ),
    Scenario(
        "status_403",
        "403: PermissionDeniedError, not retried.",
        (Status(403, "This key may not use claude-opus-4-6"),),
        **both(Fails(PermissionDeniedError, "may not use")),
    ),
    Scenario(
        "status_404_model",
        "404 for an unknown model: NotFoundError, not retried.",
        (Status(404, "The model `gpt-9` does not exist"),),
        **both(Fails(NotFoundError, "does not exist")),
    ),
    Scenario(
        "status_422",
        "422: UnprocessableEntityError, not retried.",
        (Status(422, "messages[0].content is required"),),
        **both(Fails(UnprocessableEntityError, "is required")),
    ),
    Scenario(
        "status_418_other_4xx",
        "An unlisted 4xx: APIStatusError with its status, not retried.",
        (Status(418, "I refuse to brew"),),
        **both(Fails(APIStatusError, "brew", exact=True, attrs={"status_code": 418})),
    ),
    Scenario(
        "status_408",
        "408: retried max_retries times, then APIStatusError.",
        times(Status(408, "Request timeout at the gateway")),
        **both(Fails(APIStatusError, "timeout at the gateway", requests=3, sleeps=BACKOFF)),
    ),
    Scenario(
        "status_409",
        "409: ConflictError after retries.",
        times(Status(409, "Concurrent request conflict")),
        **both(Fails(ConflictError, "conflict", requests=3, sleeps=BACKOFF)),
    ),
    Scenario(
        "status_429_retry_after",
        "429 with Retry-After: 0.25: waits exactly 0.25 s between tries; RateLimitError "
        "with retry_after.",
        times(Status(429, "Rate limit reached", headers={"Retry-After": "0.25"})),
        **both(
            Fails(
                RateLimitError,
                "Rate limit reached",
                requests=3,
                sleeps=(0.25, 0.25),
                attrs={"retry_after": 0.25, "status_code": 429},
            )
        ),
    ),
    Scenario(
        "status_429_retry_after_ms",
        "429 with retry-after-ms: 150: waits 0.15 s.",
        times(Status(429, "Slow down", headers={"retry-after-ms": "150"})),
        **both(Fails(RateLimitError, "Slow down", requests=3, sleeps=(0.15, 0.15))),
    ),
    Scenario(
        "status_429_then_answer",
        "One 429 with Retry-After: 1, then an answer: one 1 s wait, then success.",
        (Status(429, "Rate limit reached", headers={"Retry-After": "1"}),),
        **both(Ok(requests=2, sleeps=(1.0,))),
    ),
    Scenario(
        "retry_after_http_date",
        "Retry-After as an HTTP date in the past: no wait.",
        times(Status(429, "Busy", headers={"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"})),
        **both(Fails(RateLimitError, requests=3, sleeps=(0.0, 0.0))),
    ),
    Scenario(
        "retry_after_garbage",
        "Retry-After that is not a number or a date: the policy's own backoff.",
        times(Status(503, "Busy", headers={"Retry-After": "soon"})),
        **both(Fails(InternalServerError, requests=3, sleeps=BACKOFF)),
    ),
    Scenario(
        "retry_after_too_long",
        "Retry-After: 3600 is not honoured: the policy's own backoff.",
        times(Status(503, "Busy", headers={"Retry-After": "3600"})),
        **both(Fails(InternalServerError, requests=3, sleeps=BACKOFF)),
    ),
    Scenario(
        "status_500",
        "500: retried twice with backoff, then InternalServerError with the message.",
        times(Status(500, "The server had an error while processing your request")),
        **both(Fails(InternalServerError, "had an error", requests=3, sleeps=BACKOFF)),
    ),
    Scenario(
        "status_500_no_retries",
        "max_retries=0: one request, then InternalServerError.",
        times(Status(500, "boom")),
        max_retries=0,
        **both(Fails(InternalServerError, "boom", requests=1)),
    ),
    Scenario(
        "status_599_unknown_5xx",
        "An unlisted 5xx is an InternalServerError, retried.",
        times(Status(599, "Network connect timeout")),
        **both(Fails(InternalServerError, "connect timeout", requests=3, sleeps=BACKOFF)),
    ),
    Scenario(
        "status_503_then_answer",
        "503, 503, then an answer: success after two waits.",
        times(Status(503, "Service temporarily unavailable"), 2),
        **both(Ok(requests=3, sleeps=BACKOFF)),
    ),
    Scenario(
        "status_502_html_proxy",
        "502 with nginx's HTML page: InternalServerError whose message has the page's text.",
        times(Reply(502, HTML_502, {"Content-Type": "text/html"})),
        **both(Fails(InternalServerError, "502 Bad Gateway", requests=3, sleeps=BACKOFF)),
    ),
    Scenario(
        "status_503_empty_body",
        "503 with no body: InternalServerError saying Service Unavailable.",
        times(Reply(503, b"")),
        **both(Fails(InternalServerError, "Service Unavailable", requests=3, sleeps=BACKOFF)),
    ),
    Scenario(
        "status_500_truncated_json",
        "500 whose JSON body is cut short (but complete on the wire): the raw text as message.",
        times(
            Reply(
                500,
                b'{"error": {"message": "upstream exploded',
                {"Content-Type": "application/json"},
            )
        ),
        **both(Fails(InternalServerError, "upstream exploded", requests=3, sleeps=BACKOFF)),
    ),
    Scenario(
        "status_500_body_cut_off",
        "500 whose body stops before its Content-Length: APIConnectionError, retried.",
        times(Reply(500, _ERROR, truncate_at=20)),
        **both(Fails(APIConnectionError, requests=3, sleeps=BACKOFF, exact=True)),
    ),
    Scenario(
        "status_429_gzip_body",
        "429 with a gzip-compressed error body: decoded, the message is the server's.",
        (Reply(429, {"error": {"message": "Quota exceeded for glm-5"}}, gzip=True),),
        max_retries=0,
        **both(Fails(RateLimitError, "Quota exceeded for glm-5")),
    ),
    Scenario(
        "status_500_huge_body",
        "500 with a 1 MB HTML body: InternalServerError with a message cut to a sane length.",
        (Reply(500, "<html>" + "x" * 1_000_000 + "</html>", {"Content-Type": "text/html"}),),
        max_retries=0,
        **both(Fails(InternalServerError, "<html>xxx", max_message=1000)),
    ),
    # -- 2xx answers that are not what was asked ---------------------------------------------
    Scenario(
        "ok_status_error_object",
        "200 with a JSON error object (to a plain or a stream request): a typed error with "
        "the server's message, not retried.",
        times(Reply(200, _ERROR)),
        plain=Fails(APIResponseValidationError, "Upstream model overloaded"),
        stream=Fails(APIStreamError, "Upstream model overloaded"),
    ),
    Scenario(
        "ok_status_html_portal",
        "200 with an HTML page from a captive portal: APIResponseValidationError quoting it.",
        times(Reply(200, PORTAL, {"Content-Type": "text/html"})),
        **both(Fails(APIResponseValidationError, "guest Wi-Fi")),
    ),
    Scenario(
        "ok_status_empty_body",
        "200 with an empty body: APIResponseValidationError (plain); a stream that ends "
        "before any event is a dropped connection, retried.",
        times(Reply(200, b"", {"Content-Type": "application/json"})),
        plain=Fails(APIResponseValidationError, "not JSON"),
        stream=Fails(APIConnectionError, "ended before", requests=3, sleeps=BACKOFF),
    ),
    Scenario(
        "ok_status_not_a_completion",
        "200 with JSON that is not a completion: APIResponseValidationError.",
        times(Reply(200, {"object": "list", "data": []})),
        **both(Fails(APIResponseValidationError)),
    ),
    Scenario(
        "ok_status_not_a_completion_echoes_key",
        "200 with JSON that is not a completion and echoes the key: the key is scrubbed from "
        "the error's body.",
        times(Reply(200, {"object": "error_echo", "data": [{"api_key": API_KEY}]})),
        **both(Fails(APIResponseValidationError)),
    ),
    Scenario(
        "redirect_302",
        "302 to a login page (a proxy, or http:// to an https:// host): a typed error naming "
        "the status, not retried.",
        times(Reply(302, b"", {"Location": "https://login.example/"})),
        **both(Fails(APIResponseValidationError, "302")),
    ),
    Scenario(
        "gzip_answer",
        "A gzip-compressed answer (and a gzip stream flushed per event): decoded.",
        then=Answer(plain_options={"gzip": True}, stream_options={"gzip": True}),
        **both(Ok()),
    ),
    Scenario(
        "huge_answer",
        "A 2 MB answer (a stream of 64 pieces of 32 KB): delivered whole, once.",
        then=Answer("0123456789abcdef" * 131_072, pieces=64),
        budget=5.0,
        **both(Ok(text="0123456789abcdef" * 131_072)),
    ),
    # -- streams that break --------------------------------------------------------------------
    Scenario(
        "cut_mid_line",
        "The socket closes in the middle of an SSE line after two pieces: APIConnectionError "
        "after them, .partial holds them, not retried (a plain body cut short is retried).",
        times(
            ByMode(
                Reply(200, completion_body(TEXT), truncate_at=60),
                Stream(STREAM, cut_at=THIRD_EVENT + 3),
            )
        ),
        plain=Fails(APIConnectionError, requests=3, sleeps=BACKOFF),
        stream=Fails(APIConnectionError, requests=1, delivered=TWO_PIECES),
    ),
    Scenario(
        "cut_mid_utf8",
        "The socket closes inside a 3-byte UTF-8 character: the pieces before it, no U+FFFD.",
        times(
            ByMode(
                Reply(
                    200,
                    completion_body(UTF8_TEXT),
                    truncate_at=PLAIN_BODY.index(b"content") + 25,
                ),
                Stream(UTF8_STREAM, cut_at=UTF8_CUT),
            )
        ),
        plain=Fails(APIConnectionError, requests=3, sleeps=BACKOFF),
        stream=Fails(APIConnectionError, requests=1, delivered=UTF8_DELIVERED),
    ),
    Scenario(
        "cut_mid_json",
        "The socket closes inside a chunk's JSON: APIConnectionError after the earlier pieces.",
        times(Stream(STREAM, cut_at=THIRD_EVENT + 40)),
        stream=Fails(APIConnectionError, requests=1, delivered=TWO_PIECES),
    ),
    Scenario(
        "reset_mid_stream",
        "A TCP RST after two pieces: APIConnectionError after them, not retried.",
        times(Stream(STREAM, reset_at=THIRD_EVENT)),
        stream=Fails(APIConnectionError, requests=1, delivered=TWO_PIECES),
    ),
    Scenario(
        "cut_before_content_then_answer",
        "Cut inside the first event, before anything was delivered: retried, and the answer "
        "is delivered exactly once.",
        (Stream(STREAM, cut_at=20),),
        stream=Ok(requests=2, sleeps=(0.5,)),
    ),
    Scenario(
        "cut_before_content_every_try",
        "Cut before any event on every try: APIConnectionError after 3 requests, empty partial.",
        times(Stream(STREAM, cut_at=20)),
        stream=Fails(APIConnectionError, requests=3, sleeps=BACKOFF),
    ),
    Scenario(
        "no_done_with_finish_reason",
        "No [DONE], but a finish_reason and a clean end: the answer is complete.",
        then=Stream(sse_answer(TEXT, done=False)),
        stream=Ok(),
    ),
    Scenario(
        "no_done_no_finish_reason",
        "A clean end with neither [DONE] nor finish_reason: APIConnectionError saying the "
        "stream ended early, the whole text in .partial, not retried.",
        times(Stream(sse_answer(TEXT, finish=False, done=False))),
        stream=Fails(APIConnectionError, "ended before", requests=1, delivered=TEXT),
    ),
    Scenario(
        "error_event_first",
        "`event: error` before any content: APIStreamError with the server's message, not retried.",
        times(Stream(sse_event(_ERROR, event="error"))),
        stream=Fails(APIStreamError, "Upstream model overloaded", requests=1),
    ),
    Scenario(
        "error_event_after_content",
        "`event: error` after two pieces: APIStreamError after them, .partial holds them.",
        times(Stream(_after_two_pieces(sse_event(_ERROR, event="error")))),
        stream=Fails(APIStreamError, "Upstream model overloaded", delivered=TWO_PIECES),
    ),
    Scenario(
        "error_key_in_chunk_first",
        "A chunk that is an `error` object, first: APIStreamError, not retried.",
        times(Stream(sse_event(_ERROR))),
        stream=Fails(APIStreamError, "Upstream model overloaded", requests=1),
    ),
    Scenario(
        "error_key_in_chunk_after_content",
        "A chunk with an `error` key after two pieces: APIStreamError after them.",
        times(Stream(_after_two_pieces(sse_event(_ERROR), b"data: [DONE]\n\n"))),
        stream=Fails(APIStreamError, "Upstream model overloaded", delivered=TWO_PIECES),
    ),
    Scenario(
        "error_event_echoes_key",
        "An error event that echoes the key: APIStreamError with the key scrubbed.",
        times(Stream(sse_event({"error": {"message": f"bad key {API_KEY}"}}, event="error"))),
        stream=Fails(APIStreamError, "bad key"),
    ),
    Scenario(
        "non_json_data_after_content",
        "A data line that is not JSON after two pieces: APIResponseValidationError after "
        "them, quoting the line.",
        times(Stream(_after_two_pieces(b"data: <html>oops</html>\n\n"))),
        stream=Fails(APIResponseValidationError, "<html>oops", delivered=TWO_PIECES),
    ),
    Scenario(
        "keepalive_comments",
        "SSE comments and blank keep-alives between events: ignored.",
        then=Stream(
            b"".join(event + b"\n\n: keep-alive\n\n\n" for event in STREAM.split(b"\n\n") if event),
            delay=0.005,
        ),
        stream=Ok(),
    ),
    Scenario(
        "crlf_one_write",
        "CRLF line ends and the whole stream in one write: the same answer.",
        then=Stream(STREAM.replace(b"\n", b"\r\n"), parts=[STREAM.replace(b"\n", b"\r\n")]),
        stream=Ok(),
    ),
    Scenario(
        "cut_while_the_consumer_awaits",
        "The caller awaits 0.1 s over each piece (forwarding it, say); meanwhile the second "
        "piece arrives and the socket closes inside the third event: APIConnectionError "
        "after both pieces, .partial holds them (bytes that came before the close are not "
        "lost because nobody was reading when it came).",
        times(Stream(STREAM, parts=_TWO_WRITES, pauses=(0.0, 0.03), cut_at=THIRD_EVENT + 3)),
        consumer_pause=0.1,
        stream=Fails(APIConnectionError, requests=1, delivered=TWO_PIECES),
    ),
    Scenario(
        "caller_slower_than_the_read_timeout",
        "The whole answer arrives in one write; the caller spends 0.2 s on each piece, 0.8 s "
        "in all, longer than the 0.5 s read timeout: the answer is delivered whole (the wait "
        "for a line counts the server's silence, not the caller's time).",
        then=Stream(STREAM, parts=[STREAM]),
        timeout=DRIP_TIMEOUT,
        consumer_pause=0.2,
        budget=2.0,
        stream=Ok(),
    ),
    Scenario(
        "stall_before_first_event_then_answer",
        "A stream that sends headers and stalls is retried; the second try answers.",
        (Stream(STREAM, stall_at=0),),
        max_retries=1,
        timeout=0.15,
        stream=Ok(requests=2, sleeps=(0.5,)),
    ),
    # -- a server that tries to exhaust its client: sizes -------------------------------------
    Scenario(
        "endless_line",
        "Two pieces, then `data: ` and bytes without a newline, without end: APIStreamError "
        "naming max_line_bytes (1 MiB here) after them, .partial holds them, not retried.",
        times(Flood(_after_two_pieces(b"data: "))),
        limits=SMALL,
        stream=Fails(APIStreamError, "max_line_bytes", delivered=TWO_PIECES),
    ),
    Scenario(
        "endless_line_first",
        "An endless line before any event: APIStreamError, not retried (the server's answer, "
        "not a dropped connection).",
        times(Flood(b"data: ")),
        limits=SMALL,
        stream=Fails(APIStreamError, "max_line_bytes"),
    ),
    Scenario(
        "endless_event",
        "Two pieces, then `data:` lines without the blank line that ends an event, without "
        "end: APIStreamError after them (an event's data is bounded like a line).",
        times(Flood(_after_two_pieces(), filler=b"data: 0123456789\n" * 4096)),
        limits=SMALL,
        stream=Fails(APIStreamError, "max_line_bytes", delivered=TWO_PIECES),
    ),
    Scenario(
        "huge_body_content_length",
        "An answer whose Content-Length (2 MiB) is past max_body_bytes (1 MiB here): "
        "APIResponseValidationError naming the limit, read no further, not retried (a "
        "stream request: a line past max_line_bytes, APIStreamError).",
        times(Flood(b'{"id": "', size=2 * MIB, length=True)),
        limits=SMALL,
        plain=Fails(APIResponseValidationError, "max_body_bytes"),
        stream=Fails(APIStreamError, "max_line_bytes"),
    ),
    Scenario(
        "huge_body_chunked",
        "A chunked answer without end: APIResponseValidationError at max_body_bytes (a "
        "stream request: APIStreamError at max_line_bytes).",
        times(Flood(b'{"id": "')),
        limits=SMALL,
        plain=Fails(APIResponseValidationError, "max_body_bytes"),
        stream=Fails(APIStreamError, "max_line_bytes"),
    ),
    Scenario(
        "endless_error_body",
        "A 503 whose chunked body never ends: max_error_body_bytes (256 KiB here) of it are "
        "kept, the rest is never read; InternalServerError quoting its start, retried as "
        "any 5xx.",
        times(Flood(b'{"error": {"message": "Overloaded ', status=503, headers=JSON)),
        limits=Limits(max_error_body_bytes=256 * 1024),
        **both(
            Fails(
                InternalServerError,
                "Overloaded",
                requests=3,
                sleeps=BACKOFF,
                max_message=1000,
                body_size=256 * 1024,
            )
        ),
    ),
    # -- compression bombs -----------------------------------------------------------------------
    *(
        Scenario(
            f"bomb_200_{coding}",
            f"A 200 body of {coding} that inflates without end ({ratio}): "
            "APIResponseValidationError at max_body_bytes (1 MiB here), in bounded memory, "
            "not retried.",
            times(Bomb(coding)),
            limits=SMALL,
            memory=BOMB_MEMORY,
            requires=module,
            plain=Fails(APIResponseValidationError, "max_body_bytes"),
        )
        for coding, module, ratio in CODINGS
    ),
    *(
        Scenario(
            f"bomb_500_{coding}",
            f"A 500 whose {coding} error body inflates without end: max_error_body_bytes "
            "(64 KiB by default) are decoded, the rest dropped; InternalServerError quoting "
            "its start, retried as any 5xx, in bounded memory.",
            times(Bomb(coding, 500, b'{"error": {"message": "Overloaded', b"!", JSON)),
            memory=BOMB_MEMORY,
            requires=module,
            **both(
                Fails(
                    InternalServerError,
                    "Overloaded",
                    requests=3,
                    sleeps=BACKOFF,
                    max_message=1000,
                    body_size=64 * 1024,
                )
            ),
        )
        for coding, module, _ in CODINGS
    ),
    Scenario(
        "bomb_429_gzip",
        "A 429 (Retry-After: 0) whose gzip body inflates without end: RateLimitError, "
        "retried as any 429, in bounded memory.",
        times(Bomb("gzip", 429, b'{"error": {"message": "Slow down', b"!", RETRY_NOW)),
        memory=BOMB_MEMORY,
        **both(
            Fails(RateLimitError, "Slow down", requests=3, sleeps=(0.0, 0.0), body_size=64 * 1024)
        ),
    ),
    *(
        Scenario(
            f"bomb_stream_{coding}",
            f"An event stream of {coding}: two pieces, then a line that inflates without "
            "end: APIStreamError at max_line_bytes (1 MiB here) after them, .partial holds "
            "them, in bounded memory, not retried.",
            times(Bomb(coding, prefix=_after_two_pieces(b"data: "), fill=b"x")),
            limits=SMALL,
            memory=BOMB_MEMORY,
            requires=module,
            stream=Fails(APIStreamError, "max_line_bytes", delivered=TWO_PIECES),
        )
        for coding, module, _ in CODINGS
    ),
    # -- drips: every read in time, the call never done ------------------------------------------
    Scenario(
        "drip_headers",
        "The status line, then a header byte every 0.4 s (inside the 0.5 s read timeout) "
        "without end: only the deadline (deadline, or stream_deadline, 1 s here) ends it: "
        "APITimeoutError within it, not retried.",
        times(Drip(b"X-Drip: 1\r\n", DRIP_EVERY, "headers")),
        timeout=DRIP_TIMEOUT,
        limits=DEADLINES,
        **both(Fails(APITimeoutError, "deadline")),
    ),
    Scenario(
        "drip_body",
        "Headers, then a body byte every 0.4 s without end: APITimeoutError at the deadline "
        "(1 s here), not retried.",
        times(Drip(b" ", DRIP_EVERY, "body", prefix=b"{")),
        timeout=DRIP_TIMEOUT,
        limits=DEADLINES,
        plain=Fails(APITimeoutError, "deadline"),
    ),
    Scenario(
        "drip_partial_line",
        "A stream sends a byte of its first line every 0.4 s and never ends the line: the "
        "wait for a complete line (the 0.5 s read timeout) ends it: APITimeoutError; "
        "nothing was delivered, so it is retried (max_retries=1).",
        times(Drip(b"x", DRIP_EVERY, prefix=b"data: "), 2),
        max_retries=1,
        timeout=DRIP_TIMEOUT,
        stream=Fails(APITimeoutError, "no complete line", requests=2, sleeps=(0.5,)),
    ),
    Scenario(
        "drip_partial_line_after_content",
        "Two pieces, then a byte of the next line every 0.4 s: APITimeoutError after the "
        "read timeout, .partial holds the pieces, not retried.",
        times(Drip(b"x", DRIP_EVERY, prefix=_after_two_pieces(b"data: "))),
        timeout=DRIP_TIMEOUT,
        stream=Fails(APITimeoutError, "no complete line", delivered=TWO_PIECES),
    ),
    Scenario(
        "keepalives_forever",
        "Two pieces, then `: keep-alive` every 0.3 s without end (a model that never "
        "finishes): comments reset the wait for a line, so only stream_deadline (1 s here) "
        "ends it: APITimeoutError after the pieces, not retried.",
        times(Drip(KEEPALIVE, KEEPALIVE_EVERY, unit=len(KEEPALIVE), prefix=_after_two_pieces())),
        timeout=DRIP_TIMEOUT,
        limits=DEADLINES,
        stream=Fails(APITimeoutError, "deadline", delivered=TWO_PIECES),
    ),
    Scenario(
        "thinking_keepalives",
        "A thinking model: `: keep-alive` comments (a stream) or blank lines (a plain body) "
        "every 0.3 s for 1.2 s, longer than the 0.5 s read timeout, then the answer: it "
        "succeeds.",
        then=ByMode(
            Stream(
                PLAIN_BODY,
                parts=[b"\n"] * 4 + [PLAIN_BODY],
                headers=JSON,
                pauses=THINKING,
            ),
            Stream(STREAM, parts=[KEEPALIVE] * 4 + STREAM_EVENTS, pauses=THINKING),
        ),
        timeout=DRIP_TIMEOUT,
        **both(Ok()),
    ),
    Scenario(
        "deadline_cuts_retries",
        "Every try times out (0.2 s) and max_retries=5, but the deadline (1 s here) comes "
        "first: after the second try the next backoff (1 s) would pass it, so "
        "APITimeoutError naming the deadline at once, after 2 requests and one 0.5 s wait.",
        times(Silence(), 6),
        max_retries=5,
        timeout=0.2,
        limits=DEADLINES,
        **both(Fails(APITimeoutError, "deadline", requests=2, sleeps=(0.5,))),
    ),
    # -- deep JSON ---------------------------------------------------------------------------------
    Scenario(
        "deep_json_200",
        "A 200 body of 100,000 `[`: APIResponseValidationError saying it nests too deep (a "
        "stream request: that it is not an event stream), never RecursionError.",
        times(Reply(200, deep_json(), JSON)),
        plain=Fails(APIResponseValidationError, "nested deeper"),
        stream=Fails(APIResponseValidationError, "not an event stream"),
    ),
    Scenario(
        "deep_json_chunk",
        "Two pieces, then a chunk of 100,000 `[`: APIResponseValidationError after them, "
        "never RecursionError.",
        times(Stream(_after_two_pieces(b"data: " + deep_json() + b"\n\n"))),
        stream=Fails(APIResponseValidationError, delivered=TWO_PIECES),
    ),
    Scenario(
        "deep_json_400",
        "A 400 body of 100,000 `[`: BadRequestError quoting its start, not retried.",
        times(Reply(400, deep_json(), JSON)),
        **both(Fails(BadRequestError, "[[[[", max_message=1000)),
    ),
    Scenario(
        "deep_error_body_echoes_key",
        "A 401 whose valid JSON body nests 900 deep and echoes the key: "
        "AuthenticationError with the server's words, the key scrubbed.",
        times(Reply(401, DEEP_ECHO, JSON)),
        **both(Fails(AuthenticationError, "Incorrect API key provided")),
    ),
    # -- the key, JSON-escaped ---------------------------------------------------------------------
    Scenario(
        "status_401_echoes_key_escaped",
        "A 401 whose body echoes the key JSON-escaped (`\\u0073\\u006b-…`): "
        "AuthenticationError, the key scrubbed from the message, the body and the "
        "response (json(), text, content).",
        times(Reply(401, _escaped_echo("Incorrect API key provided: "), JSON)),
        **both(Fails(AuthenticationError, "Incorrect API key provided")),
    ),
    Scenario(
        "status_500_echoes_key_escaped",
        "A 500 echoing the key JSON-escaped, on every try: InternalServerError after 3 "
        "requests, scrubbed.",
        times(Reply(500, _escaped_echo("Upstream rejected key "), JSON)),
        **both(Fails(InternalServerError, "Upstream rejected key", requests=3, sleeps=BACKOFF)),
    ),
    Scenario(
        "ok_status_error_object_echoes_key_escaped",
        "A 200 error object echoing the key JSON-escaped: a typed error, scrubbed.",
        times(Reply(200, _escaped_echo("bad key "), JSON)),
        plain=Fails(APIResponseValidationError, "bad key"),
        stream=Fails(APIStreamError, "bad key"),
    ),
    Scenario(
        "error_event_echoes_key_escaped",
        "An `event: error` echoing the key JSON-escaped: APIStreamError, scrubbed.",
        times(Stream(b"event: error\ndata: " + _escaped_echo("bad key ") + b"\n\n")),
        stream=Fails(APIStreamError, "bad key"),
    ),
]
