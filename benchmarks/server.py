"""A fast local OpenAI-compatible chat-completions server for the benchmarks (stdlib only).

Run by ``benchmarks/run.py`` as a subprocess, so it never shares a GIL with the client
being measured. It listens on 127.0.0.1 only, on an ephemeral port that it prints as the
first line of stdout (``PORT 43125``), speaks HTTP/1.1 with keep-alive (and pipelining),
and answers ``POST /v1/chat/completions``:

- without ``"stream": true``: a small ``chat.completion`` JSON body, Content-Length framed;
- with ``"stream": true``: SSE with N ``chat.completion.chunk`` events of about 220 bytes
  (N from ``max_tokens`` or ``max_completion_tokens``, else the ``x-bench-chunks`` header,
  else 2000; the first chunk also carries ``role``), then an empty delta with
  ``finish_reason: "stop"``, a usage-only chunk (no choices), and ``data: [DONE]``.

Every response is precomputed bytes (per N for streams), so a request costs the server one
header scan, one small ``json.loads`` and one ``transport.write``. Streams use chunked
transfer encoding with one SSE event per HTTP chunk, as a server that flushes every token
does: httpx yields, and a client decodes, one event at a time. The whole stream is handed
to the transport at once, so the kernel packs many events into each TCP segment and each
64 KiB read of the client (what a fast server on a fast link looks like).

It exits when its stdin closes (the runner holds the other end of that pipe, so the server
dies with the runner, even on a crash), on SIGTERM/SIGINT, or after ``--max-lifetime``
seconds (600 by default).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import signal
import sys

try:
    import resource
except ImportError:  # not on Windows
    resource = None  # type: ignore[assignment]

MODEL = "gpt-4o-mini"
CREATED = 1732000000
FINGERPRINT = "fp_0ba0d124f1"
DEFAULT_CHUNKS = 2000
MAX_CHUNKS = 1_000_000
WORDS = (
    " The", " quick", " brown", " fox", " jumps", " over", " the", " lazy", " dog", ",",
    " and", " then", " it", " rests", " under", " a", " tree", ".", " Streaming", " works",
)  # fmt: skip


def _compact(value: object) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()


def completion_body() -> bytes:
    """The non-streamed answer, in the documented ``chat.completion`` shape."""
    return _compact(
        {
            "id": "chatcmpl-bench-call-0001",
            "object": "chat.completion",
            "created": CREATED,
            "model": MODEL,
            "choices": [
                {
                    "index": 0,
                    "message": {
                        "role": "assistant",
                        "content": "Hello! How can I help you today?",
                        "refusal": None,
                    },
                    "logprobs": None,
                    "finish_reason": "stop",
                }
            ],
            "usage": {
                "prompt_tokens": 9,
                "completion_tokens": 9,
                "total_tokens": 18,
                "prompt_tokens_details": {"cached_tokens": 0},
                "completion_tokens_details": {"reasoning_tokens": 0},
            },
            "system_fingerprint": FINGERPRINT,
        }
    )


def _chunk(choices: list[object], usage: object = None) -> bytes:
    chunk: dict[str, object] = {
        "id": "chatcmpl-bench-stream-0001",
        "object": "chat.completion.chunk",
        "created": CREATED,
        "model": MODEL,
        "system_fingerprint": FINGERPRINT,
        "choices": choices,
    }
    if usage is not None:
        chunk["usage"] = usage
    return b"data: " + _compact(chunk) + b"\n\n"


def stream_events(n: int) -> list[bytes]:
    """The SSE events of a stream with ``n`` content chunks, ``[DONE]`` included."""
    events = []
    for i in range(n):
        delta: dict[str, object] = {"content": WORDS[i % len(WORDS)]}
        if i == 0:
            delta = {"role": "assistant", **delta}
        events.append(_chunk([{"index": 0, "delta": delta, "finish_reason": None}]))
    events.append(_chunk([{"index": 0, "delta": {}, "finish_reason": "stop"}]))
    usage = {"prompt_tokens": 9, "completion_tokens": n, "total_tokens": 9 + n}
    events.append(_chunk([], usage))
    events.append(b"data: [DONE]\n\n")
    return events


def _chunked(events: list[bytes]) -> bytes:
    """HTTP/1.1 chunked framing, one HTTP chunk per SSE event, then the last-chunk."""
    framed = [b"%x\r\n%s\r\n" % (len(event), event) for event in events]
    return b"".join(framed) + b"0\r\n\r\n"


_COMPLETION = completion_body()
_COMPLETION_RESPONSE = (
    b"HTTP/1.1 200 OK\r\n"
    b"content-type: application/json\r\n"
    b"content-length: %d\r\n"
    b"x-request-id: bench\r\n"
    b"\r\n" % len(_COMPLETION)
) + _COMPLETION
_STREAM_HEAD = (
    b"HTTP/1.1 200 OK\r\n"
    b"content-type: text/event-stream; charset=utf-8\r\n"
    b"cache-control: no-cache\r\n"
    b"transfer-encoding: chunked\r\n"
    b"x-request-id: bench\r\n"
    b"\r\n"
)
_JSON_HEAD = b"content-type: application/json\r\ncontent-length: %d\r\n\r\n"
_NOT_FOUND = b"HTTP/1.1 404 Not Found\r\n" + _JSON_HEAD
_BAD_REQUEST = b"HTTP/1.1 400 Bad Request\r\n" + _JSON_HEAD
_streams: dict[int, bytes] = {}


def stream_response(n: int) -> bytes:
    """The whole streamed response for ``n`` chunks, built once and cached."""
    response = _streams.get(n)
    if response is None:
        response = _streams[n] = _STREAM_HEAD + _chunked(stream_events(n))
    return response


def _error(head: bytes, message: str) -> bytes:
    body = _compact({"error": {"message": message, "type": "invalid_request_error"}})
    return head % len(body) + body


class ChatProtocol(asyncio.Protocol):
    """One connection: parse requests as they arrive (pipelined or not) and answer each."""

    def __init__(self) -> None:
        self.buffer = b""
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.buffer = self.buffer + data if self.buffer else data
        while self.transport is not None:
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            head = self.buffer[:end].decode("latin-1").split("\r\n")
            headers = {}
            for line in head[1:]:
                name, _, value = line.partition(":")
                headers[name.strip().lower()] = value.strip()
            length = int(headers.get("content-length", "0"))
            if len(self.buffer) < end + 4 + length:
                return
            body = self.buffer[end + 4 : end + 4 + length]
            self.buffer = self.buffer[end + 4 + length :]
            self.transport.write(self.answer(head[0], headers, body))
            if headers.get("connection", "").lower() == "close":
                self.transport.close()
                self.transport = None

    @staticmethod
    def answer(request_line: str, headers: dict[str, str], body: bytes) -> bytes:
        method, _, rest = request_line.partition(" ")
        path = rest.partition(" ")[0]
        if method != "POST" or path.partition("?")[0] != "/v1/chat/completions":
            return _error(_NOT_FOUND, f"No route for {method} {path}")
        try:
            request = json.loads(body)
        except ValueError:
            return _error(_BAD_REQUEST, "The body is not JSON.")
        if not isinstance(request, dict):
            return _error(_BAD_REQUEST, "The body is not a JSON object.")
        if not request.get("stream"):
            return _COMPLETION_RESPONSE
        n = (
            request.get("max_tokens")
            or request.get("max_completion_tokens")  # what langchain-openai sends
            or int(headers.get("x-bench-chunks", DEFAULT_CHUNKS))
        )
        if not isinstance(n, int) or not 0 < n <= MAX_CHUNKS:
            return _error(_BAD_REQUEST, f"max_tokens must be 1..{MAX_CHUNKS}.")
        return stream_response(n)

    def connection_lost(self, exc: Exception | None) -> None:
        self.transport = None


async def serve(port: int, max_lifetime: float, watch_stdin: bool) -> None:
    loop = asyncio.get_running_loop()
    stop = loop.create_future()

    def finish() -> None:
        if not stop.done():
            stop.set_result(None)

    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, finish)
    loop.call_later(max_lifetime, finish)
    if watch_stdin:

        class _EOF(asyncio.Protocol):
            def connection_lost(self, exc: Exception | None) -> None:
                finish()

        await loop.connect_read_pipe(_EOF, sys.stdin)
    stream_response(DEFAULT_CHUNKS)  # warm the cache for the default stream
    # 1,000 clients connecting at once must not overflow the queue (the kernel caps it at
    # net.core.somaxconn): a dropped SYN is retried after a second and would be timed.
    server = await loop.create_server(ChatProtocol, "127.0.0.1", port, backlog=4096)
    bound = server.sockets[0].getsockname()[1]
    sys.stdout.write(f"PORT {bound}\n")
    sys.stdout.flush()
    await stop
    # No wait_closed(): from 3.12 it waits for clients that may keep idle connections open.
    server.close()


def raise_open_files(needed: int) -> int:
    """Raise this process's soft limit on open files to ``needed`` (at most the hard one).

    Returns the soft limit now in force. The many-streams measure holds 1,000 sockets at
    once, in the client and in the server; many systems start processes at 1,024.
    """
    if resource is None:
        return needed
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < needed:
        soft = needed if hard == resource.RLIM_INFINITY else min(needed, hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
    return soft


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port (default)")
    parser.add_argument("--max-lifetime", type=float, default=600.0, help="seconds")
    parser.add_argument(
        "--watch-stdin", action="store_true", help="exit when stdin closes (the runner's mode)"
    )
    args = parser.parse_args()
    raise_open_files(4096)  # room for 1,000 concurrent streams and more
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(args.port, args.max_lifetime, args.watch_stdin))


if __name__ == "__main__":
    main()
