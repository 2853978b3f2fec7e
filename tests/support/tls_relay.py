"""An ``https://`` front for a plain HTTP server on 127.0.0.1: TLS in, the same bytes out.

Put it before the reliability suite's fault server to get an HTTPS gateway that still
records every request and counts its connections. It keeps a count of its own (TLS
connections accepted, and still open) and the client address of each.

>>> with TLSRelay(fault_server_port, server_context) as relay:  # doctest: +SKIP
...     client = MixrouteClient(base_url=relay.base_url)
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
import threading
from types import TracebackType

__all__ = ["TLSRelay"]

_LIMIT = 10.0  # the longest a handshake or a connection to the server may take


class TLSRelay:
    """Terminates TLS on an ephemeral port and relays each connection to ``target_port``.

    Attributes:
        base_url: ``https://127.0.0.1:PORT/v1``.
        connections_opened: TLS connections accepted so far.
        open_connections: how many of them are still open.
        clients: the client address (``"127.0.0.1:51234"``) of each accepted connection.

    """

    def __init__(self, target_port: int, context: ssl.SSLContext, host: str = "127.0.0.1") -> None:
        self._target_port = target_port
        self._context = context
        self._host = host
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._lock = threading.Lock()
        self.port = 0
        self.connections_opened = 0
        self.open_connections = 0
        self.clients: list[str] = []

    @property
    def base_url(self) -> str:
        return f"https://{self._host}:{self.port}/v1"

    async def _relay(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        peer = writer.get_extra_info("peername")
        with self._lock:
            self.connections_opened += 1
            self.open_connections += 1
            self.clients.append(f"{peer[0]}:{peer[1]}")
        upstream: asyncio.StreamWriter | None = None
        try:
            up_reader, upstream = await asyncio.wait_for(
                asyncio.open_connection("127.0.0.1", self._target_port), _LIMIT
            )
            await asyncio.gather(_pipe(reader, upstream), _pipe(up_reader, writer))
        except (OSError, TimeoutError):
            pass
        finally:
            self._tasks.discard(task)
            for side in (upstream, writer):
                if side is not None:
                    side.close()
            with self._lock:
                self.open_connections -= 1

    def start(self) -> TLSRelay:
        self._thread.start()

        async def listen() -> asyncio.Server:
            return await asyncio.start_server(
                self._relay,
                self._host,
                0,
                ssl=self._context,
                ssl_handshake_timeout=_LIMIT,
                ssl_shutdown_timeout=_LIMIT,
            )

        self._server = asyncio.run_coroutine_threadsafe(listen(), self._loop).result(5)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    def stop(self) -> None:
        async def shutdown() -> None:
            assert self._server is not None
            self._server.close()
            for task in list(self._tasks):
                task.cancel()
            await asyncio.gather(*self._tasks, return_exceptions=True)

        if self._server is not None:
            asyncio.run_coroutine_threadsafe(shutdown(), self._loop).result(5)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)
        self._loop.close()

    def __enter__(self) -> TLSRelay:
        return self.start()

    def __exit__(
        self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Copy ``reader`` to ``writer`` until the end, then pass the end on (half-close)."""
    with contextlib.suppress(OSError):
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
        if writer.can_write_eof():
            writer.write_eof()
        else:  # TLS cannot half-close: the whole connection ends
            writer.close()
