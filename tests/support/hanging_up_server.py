"""A threaded server on 127.0.0.1 that closes an idle keep-alive connection when told.

For the tests of a pool that must not send on a connection the server has closed: the
first connection is answered once, then, on :attr:`HangingUpServer.hang_up`, closed with
a bare TCP FIN (no TLS close_notify, which asyncio's TLS layer takes longest to notice).
Threaded so that the FIN is sent while the test blocks its own event loop; whatever
arrives on that connection after the FIN is kept in ``after_fin``.

>>> with HangingUpServer(reply) as server:  # doctest: +SKIP
...     ...  # call, server.close_idle(), call again
>>> server.after_fin  # doctest: +SKIP
[b'']
"""

from __future__ import annotations

import socket
import ssl
import threading
from contextlib import suppress

__all__ = ["HangingUpServer"]


class HangingUpServer:
    """Answers every request with ``answer`` (a whole HTTP response); see the module."""

    def __init__(self, answer: bytes, tls: ssl.SSLContext | None = None) -> None:
        self.answer = answer
        self.tls = tls
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port: int = self.listener.getsockname()[1]
        self.hang_up = threading.Event()
        """Set it to have the first connection closed (or call :meth:`close_idle`)."""
        self.fin_sent = threading.Event()
        """Set once the first connection's FIN has gone out."""
        self.connections = 0
        """How many connections the client opened."""
        self.after_fin: list[bytes] = []
        """What arrived on the first connection after its FIN (``b""``: nothing)."""
        self.threads = [threading.Thread(target=self._accept, daemon=True)]
        self.threads[0].start()

    def close(self) -> None:
        """Stop listening and wait for the connections' threads."""
        self.listener.close()
        for thread in self.threads[1:]:
            thread.join(5)

    def close_idle(self, within: float = 5.0) -> bool:
        """Close the first connection; whether its FIN went out within ``within`` s.

        Waits on the server's thread rather than for a fixed time, so a loaded machine
        cannot have the next request sent before the FIN.
        """
        self.hang_up.set()
        return self.fin_sent.wait(within)

    def __enter__(self) -> HangingUpServer:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _accept(self) -> None:
        with suppress(OSError):  # the listener was closed
            while True:
                conn, _ = self.listener.accept()
                if self.tls is not None:
                    conn = self.tls.wrap_socket(conn, server_side=True)
                self.connections += 1
                first = self.connections == 1
                thread = threading.Thread(target=self._serve, args=(conn, first), daemon=True)
                self.threads.append(thread)
                thread.start()

    def _serve(self, conn: socket.socket, first: bool) -> None:
        with conn, suppress(OSError):
            conn.settimeout(5)
            while _read_request(conn):
                conn.sendall(self.answer)
                if first:
                    break
            if not first:
                return
            self.hang_up.wait(5)
            socket.socket.shutdown(conn, socket.SHUT_WR)  # TCP only: TLS stays readable
            self.fin_sent.set()
            received = b""
            with suppress(OSError):
                while piece := conn.recv(65536):
                    received += piece
            self.after_fin.append(received)


def _read_request(conn: socket.socket) -> bool:
    """Read one request with a ``Content-Length`` body; ``False`` when the client left."""
    data = b""
    while b"\r\n\r\n" not in data:
        piece = conn.recv(65536)
        if not piece:
            return False
        data += piece
    head, _, body = data.partition(b"\r\n\r\n")
    length = int(head.lower().split(b"content-length:")[1].split(b"\r\n")[0])
    while len(body) < length:
        body += conn.recv(65536)
    return True
