"""A real forward proxy (proxy.py, from PyPI) on 127.0.0.1, and a record of what it carried.

proxy.py runs in a child process of its own (its acceptors are processes too, so running
it inside the test process would fork a process that has threads). Every request it
handles is a line of its access log, which is how a test knows a request went through it:

* a plain ``http://`` request: ``127.0.0.1:51234 - POST 127.0.0.1:43210/v1/chat/completions
  - 200 OK - 524 bytes - 3.10ms``, written when the exchange ends;
* a tunnel for ``https://``: ``127.0.0.1:51236 - CONNECT 127.0.0.1:43211 - 2285 bytes -
  26.72ms``, written when the tunnel closes (so once the client closed its connection).

proxy.py tunnels to any host and port, loopback and ports other than 443 included; it
adds ``Via: 1.1 proxy.py v…`` to the plain requests it forwards, and ``--basic-auth
user:password`` makes it answer ``407`` to requests without those credentials.

>>> with ForwardProxy() as proxy:  # doctest: +SKIP
...     mark = proxy.mark()
...     ...  # a request through proxy.url to 127.0.0.1:43210
...     proxy.wait_for("CONNECT", "127.0.0.1:43210", since=mark)
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

__all__ = ["START_LIMIT", "ForwardProxy", "ProxiedRequest"]

START_LIMIT = 30.0
"""The longest proxy.py may take to start (it imports in about a second)."""

_ACCESS_LINE = re.compile(
    r"access_log:\d+ - (?P<client>\S+) - (?P<method>[A-Z]+) (?P<target>[^/\s]+)(?P<path>/\S*)?"
)


@dataclass(frozen=True)
class ProxiedRequest:
    """One line of the proxy's access log."""

    client: str  # the client's address as the proxy saw it, "127.0.0.1:51234"
    method: str  # "CONNECT" for a tunnel, else the forwarded request's method
    target: str  # "host:port" the proxy connected to
    path: str  # the forwarded request's path ("" for a tunnel)


class ForwardProxy:
    """proxy.py on an ephemeral port of 127.0.0.1; use it as a context manager.

    Args:
        extra_args: more proxy.py flags, ``"--basic-auth", "user:password"`` say.

    Attributes:
        url: ``http://127.0.0.1:PORT``, the value for ``HTTP_PROXY`` and friends.

    """

    def __init__(self, *extra_args: str) -> None:
        self._extra_args = extra_args
        self._dir = Path(tempfile.mkdtemp(prefix="forward-proxy-"))
        self._log = self._dir / "access.log"
        self._process: subprocess.Popen[bytes] | None = None
        self.port = 0
        self.url = ""

    # -- observing ---------------------------------------------------------------------------

    def mark(self) -> int:
        """Where the access log ends now: pass it as ``since`` to see only what comes next."""
        return self._log.stat().st_size if self._log.exists() else 0

    def requests(self, since: int = 0) -> list[ProxiedRequest]:
        """The requests the proxy logged after ``since`` (a :meth:`mark`)."""
        if not self._log.exists():
            return []
        with self._log.open("rb") as log:
            log.seek(since)
            text = log.read().decode("utf-8", errors="replace")
        found = []
        for line in text.splitlines():
            match = _ACCESS_LINE.search(line)
            if match:
                found.append(
                    ProxiedRequest(
                        match["client"], match["method"], match["target"], match["path"] or ""
                    )
                )
        return found

    def wait_for(
        self, method: str, target: str, *, since: int = 0, limit: float = 5.0
    ) -> list[ProxiedRequest]:
        """Wait (bounded) until a ``method`` request to ``target`` is logged; return the matches.

        Returns an empty list when none was logged within ``limit`` seconds.
        """
        deadline = time.monotonic() + limit
        while True:
            found = [
                request
                for request in self.requests(since)
                if request.method == method and request.target == target
            ]
            if found or time.monotonic() >= deadline:
                return found
            time.sleep(0.01)

    # -- running -----------------------------------------------------------------------------

    def start(self) -> ForwardProxy:
        port_file = self._dir / "port"
        command = [
            sys.executable,
            "-m",
            "proxy",
            "--hostname",
            "127.0.0.1",
            "--port",
            "0",
            "--port-file",
            str(port_file),
            "--num-acceptors",
            "1",
            "--num-workers",
            "1",
            "--log-level",
            "INFO",
            "--log-file",
            str(self._log),
            *self._extra_args,
        ]
        # The proxy itself must not use a proxy from the test's environment.
        environ = {k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy")}
        self._process = subprocess.Popen(
            command,
            env=environ,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,  # its acceptor processes share its group, ended with it
        )
        try:
            self.port = self._wait_for_port(port_file)
            self.url = f"http://127.0.0.1:{self.port}"
            self._wait_until_serving()
        except BaseException:
            self.stop()
            raise
        return self

    def _wait_for_port(self, port_file: Path) -> int:
        deadline = time.monotonic() + START_LIMIT
        while time.monotonic() < deadline:
            assert self._process is not None
            if self._process.poll() is not None:
                raise RuntimeError(f"proxy.py exited with {self._process.returncode} at start")
            with contextlib.suppress(FileNotFoundError, ValueError):
                return int(port_file.read_text().strip())
            time.sleep(0.02)
        raise TimeoutError("proxy.py did not write its port file")

    def _wait_until_serving(self) -> None:
        # A request to a closed port through the proxy: the 502 proves its acceptor runs.
        deadline = time.monotonic() + START_LIMIT
        with socket.create_connection(("127.0.0.1", self.port), timeout=START_LIMIT) as sock:
            sock.sendall(b"GET http://127.0.0.1:1/ HTTP/1.1\r\nHost: 127.0.0.1:1\r\n\r\n")
            head = b""
            while b"\r\n" not in head and time.monotonic() < deadline:
                sock.settimeout(max(deadline - time.monotonic(), 0.01))
                data = sock.recv(1024)
                if not data:
                    break
                head += data
        if not head.startswith(b"HTTP/1.1 "):
            raise RuntimeError(f"proxy.py answered {head[:80]!r} to its readiness check")

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                # The group is the one this process leads: its acceptors, nothing else.
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait(10)
        shutil.rmtree(self._dir, ignore_errors=True)

    def __enter__(self) -> ForwardProxy:
        return self.start()

    def __exit__(
        self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
