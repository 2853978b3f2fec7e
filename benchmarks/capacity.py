"""The server's own capacity, seen through a minimal stdlib-socket client.

These figures bound what the server and loopback TCP cost: whatever a real client takes
beyond them is the client's. The socket client sends precomputed request bytes and
parses only ``content-length`` or the chunked terminator, so its numbers are a lower
bound on the server's capacity (a faster client would see more), and are what the
README sets against the raw httpx figures.
"""

from __future__ import annotations

import asyncio
import json
import socket
import statistics
import time

_SMALL = json.dumps(
    {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "Say hello."}]}
).encode()


def _request(port: int, body: bytes) -> bytes:
    return (
        b"POST /v1/chat/completions HTTP/1.1\r\n"
        b"host: 127.0.0.1:%d\r\n"
        b"content-type: application/json\r\n"
        b"authorization: Bearer sk-bench\r\n"
        b"content-length: %d\r\n\r\n" % (port, len(body))
    ) + body


def _content_length(head: bytes) -> int:
    for line in head.split(b"\r\n"):
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return int(value)
    raise ValueError("no content-length")


def small_latency(port: int, calls: int) -> float:
    """Median seconds of one small call on one keep-alive connection, sequentially."""
    request = _request(port, _SMALL)
    times = []
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        buffer = b""
        for _ in range(calls):
            start = time.perf_counter()
            sock.sendall(request)
            while b"\r\n\r\n" not in buffer:
                buffer += sock.recv(65536)
            end = buffer.index(b"\r\n\r\n") + 4
            total = end + _content_length(buffer[:end])
            while len(buffer) < total:
                buffer += sock.recv(65536)
            buffer = buffer[total:]
            times.append(time.perf_counter() - start)
    return statistics.median(times)


def stream_per_chunk(port: int, chunks: int, runs: int) -> float:
    """Median seconds per chunk to receive a whole ``chunks``-event stream (no parsing)."""
    body = json.dumps(
        {
            "model": "gpt-4o-mini",
            "messages": [{"role": "user", "content": "Say hello."}],
            "stream": True,
            "max_tokens": chunks,
        }
    ).encode()
    request = _request(port, body)
    times = []
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        for _ in range(runs + 1):  # the first run warms the server's cache
            start = time.perf_counter()
            sock.sendall(request)
            tail = b""
            while not tail.endswith(b"\r\n0\r\n\r\n"):
                data = sock.recv(262144)
                if not data:
                    raise ConnectionError("the server closed the stream")
                tail = (tail + data)[-16:]
            times.append(time.perf_counter() - start)
    return statistics.median(times[1:]) / chunks


async def _throughput(port: int, requests: int, in_flight: int) -> float:
    request = _request(port, _SMALL)
    per_connection = requests // in_flight

    async def worker() -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        for _ in range(per_connection):
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            await reader.readexactly(_content_length(head))
        writer.close()
        await writer.wait_closed()

    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(in_flight)))
    return per_connection * in_flight / (time.perf_counter() - start)


def throughput(port: int, requests: int, in_flight: int) -> float:
    """Small requests per second with ``in_flight`` keep-alive connections busy at once."""
    return asyncio.run(_throughput(port, requests, in_flight))


def measure(port: int, chunks: int, quick: bool, in_flight: int = 50) -> dict[str, float]:
    """The three capacity figures the runner reports (async with ``in_flight`` connections)."""
    return {
        "small_call_ms": small_latency(port, 300 if quick else 2000) * 1e3,
        "stream_chunk_us": stream_per_chunk(port, chunks, 3 if quick else 9) * 1e6,
        "async_rps": throughput(port, 2000 if quick else 10000, in_flight),
    }
