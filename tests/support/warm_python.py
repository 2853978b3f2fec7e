"""Runs a script as ``python script.py`` would, in a process forked from a warm interpreter.

A fresh interpreter spends two to three seconds importing LangChain, LlamaIndex and our
packages before a script's first line runs. :func:`run_script` instead asks a server (one
per test process, started on first use) that has imported :data:`PRELOAD` once to fork a
child for the script, so the script's imports of those find them already loaded.

The child is set up as the interpreter sets up ``python script.py``: the script's folder
first on ``sys.path``, ``sys.argv``, a ``__main__`` module of its own compiled without the
server's ``__future__`` flags, the given working folder and environment (``os.environ``
replaced, so subprocesses inherit it), stdin from ``/dev/null``, stdout and stderr to files
with the interpreter's buffering. It ends as the interpreter ends: ``SystemExit`` honoured,
an uncaught exception printed by ``sys.excepthook`` (exit 1), then non-daemon threads
joined, ``atexit`` handlers run and the streams flushed; last, an uncaught
``KeyboardInterrupt`` ends it by SIGINT. Each child is a fresh fork of a server that never
runs a script, so nothing a script does reaches the next one.

What differs from a fresh interpreter: the preloaded modules are in ``sys.modules`` even
when the script does not import them, and were imported in the server's environment (the
caller's, without ``MIXROUTE_*``: none of them reads a variable at import that a script's
environment would set differently); and the interpreter's last teardown (clearing modules,
which may print ``__del__`` complaints to stderr) does not happen. Where fork is not the
norm (anything but Linux), :func:`run_script` starts a fresh interpreter instead.
"""

from __future__ import annotations

import atexit
import contextlib
import importlib
import json
import os
import select
import signal
import subprocess
import sys
import tempfile
import threading
import traceback
import types
from functools import cache
from pathlib import Path
from typing import Any

__all__ = ["PRELOAD", "run_script"]

# What the documentation's blocks import most (each is also what a block waits for longest).
PRELOAD = (
    "httpx",
    "aiohttp",
    "pydantic",
    "mixroute",
    "langchain_core.messages",
    "langchain_core.tools",
    "langchain_mixroute",
    "langchain.agents",
    "llama_index.core",
    "llama_index.core.llms",
    "llama_index_mixroute",
    "llama_index.llms.mixroute",
)


def run_script(
    script: Path, *, cwd: Path, env: dict[str, str], timeout: float
) -> subprocess.CompletedProcess[str]:
    """Run ``script`` as ``python script`` would; as :func:`subprocess.run` with text output.

    Raises :class:`subprocess.TimeoutExpired` (the script killed) after ``timeout`` seconds.
    """
    if sys.platform != "linux":
        return subprocess.run(
            [sys.executable, str(script)],
            cwd=cwd,
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    return _server().run(script, cwd=cwd, env=env, timeout=timeout)


class _Server:
    """The client side: one request (a JSON line) and one reply at a time."""

    def __init__(self) -> None:
        env = {k: v for k, v in os.environ.items() if not k.upper().startswith("MIXROUTE_")}
        self._process = subprocess.Popen(
            [sys.executable, __file__, *PRELOAD],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=env,
            text=True,
            bufsize=1,  # a line at a time
        )
        self._requests, self._replies = self._process.stdin, self._process.stdout
        self._lock = threading.Lock()
        atexit.register(self.close)

    def run(
        self, script: Path, *, cwd: Path, env: dict[str, str], timeout: float
    ) -> subprocess.CompletedProcess[str]:
        args = [sys.executable, str(script)]
        with tempfile.TemporaryDirectory() as folder:
            out, err = Path(folder) / "stdout", Path(folder) / "stderr"
            out.touch()
            err.touch()
            job = {"script": str(script), "cwd": str(cwd), "env": env, "timeout": timeout}
            reply = self._ask({**job, "stdout": str(out), "stderr": str(err)})
            # Decoded as subprocess.run(text=True) decodes: the locale's, newlines made \n.
            stdout, stderr = out.read_text(), err.read_text()
        if reply["timed_out"]:
            raise subprocess.TimeoutExpired(args, timeout, stdout, stderr)
        return subprocess.CompletedProcess(args, reply["returncode"], stdout, stderr)

    def _ask(self, job: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            with contextlib.suppress(BrokenPipeError):  # then the reply is empty
                print(json.dumps(job), file=self._requests)
            line = self._replies.readline()
        if not line:
            raise RuntimeError(f"the warm Python server exited ({self._process.wait()})")
        reply: dict[str, Any] = json.loads(line)
        return reply

    def close(self) -> None:
        """End the server: it exits when its stdin closes."""
        self._requests.close()
        self._process.wait()


@cache
def _server() -> _Server:
    return _Server()


# -- the server side (this file run as a script) --------------------------------------------


def _serve(preload: list[str]) -> None:
    sys.path.pop(0)  # this file's folder: in a child, the script's folder takes its place
    for name in preload:
        with contextlib.suppress(ImportError):  # the script's own import will say it
            importlib.import_module(name)
    requests, replies = sys.stdin.buffer, sys.stdout.buffer
    for line in requests:
        job = json.loads(line)
        pid = os.fork()
        if pid == 0:
            try:
                status = _child(job)
                if status < 0:  # ended by a signal, as the interpreter ends on Ctrl-C
                    signal.signal(-status, signal.SIG_DFL)
                    os.kill(os.getpid(), -status)
                os._exit(status)
            except BaseException:  # a fault of this file, not the script's: never serve on
                traceback.print_exc()
                os._exit(70)
        replies.write(json.dumps(_wait(pid, job["timeout"])).encode() + b"\n")
        replies.flush()


def _wait(pid: int, timeout: float) -> dict[str, Any]:
    """The child's exit code (negative: the signal), killing it after ``timeout``."""
    handle = os.pidfd_open(pid)
    try:
        finished, _, _ = select.select([handle], [], [], timeout)
    finally:
        os.close(handle)
    if not finished:
        os.kill(pid, signal.SIGKILL)
    _, status = os.waitpid(pid, 0)
    return {"returncode": os.waitstatus_to_exitcode(status), "timed_out": not finished}


def _child(job: dict[str, Any]) -> int:
    """Run the job's script as the interpreter runs one; its exit code (negative: a signal)."""
    script = job["script"]
    os.chdir(job["cwd"])
    os.environ.clear()
    os.environ.update(job["env"])
    _std_streams(job["stdout"], job["stderr"])
    sys.argv = [script]
    sys.path.insert(0, os.path.dirname(os.path.realpath(script)))
    main = types.ModuleType("__main__")
    main.__file__ = script
    sys.modules["__main__"] = main
    try:
        code = compile(Path(script).read_bytes(), script, "exec", dont_inherit=True)
        exec(code, main.__dict__)
        status = 0
    except SystemExit as exit:
        status = _exit_status(exit.code)
    except BaseException as error:
        # From the script's own frame on, as the interpreter shows it (not this function's).
        error.__traceback__ = error.__traceback__.tb_next if error.__traceback__ else None
        sys.excepthook(type(error), error, error.__traceback__)
        status = -signal.SIGINT if isinstance(error, KeyboardInterrupt) else 1
    threading._shutdown()  # what the interpreter calls at exit: joins non-daemon threads
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    return status


def _std_streams(stdout: str, stderr: str) -> None:
    """Point fds 0, 1 and 2 at /dev/null and the files; new ``sys`` streams on them."""
    for fd, path, flags in (
        (0, os.devnull, os.O_RDONLY),
        (1, stdout, os.O_WRONLY),
        (2, stderr, os.O_WRONLY),
    ):
        opened = os.open(path, flags)
        os.dup2(opened, fd)
        os.close(opened)
    # The server's own streams were made by the interpreter, for this environment.
    encoding, errors = sys.stdout.encoding, sys.stdout.errors
    sys.stdin = sys.__stdin__ = open(0, encoding=encoding, errors=errors, closefd=False)  # noqa: SIM115
    sys.stdout = sys.__stdout__ = open(1, "w", encoding=encoding, errors=errors, closefd=False)  # noqa: SIM115
    # stderr is line-buffered and never fails to encode, as the interpreter makes it.
    sys.stderr = sys.__stderr__ = open(  # noqa: SIM115
        2, "w", buffering=1, encoding=encoding, errors="backslashreplace", closefd=False
    )


def _exit_status(code: object) -> int:
    """The exit status ``SystemExit(code)`` gives, as the interpreter computes it."""
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    print(code, file=sys.stderr)
    return 1


if __name__ == "__main__":
    _serve(sys.argv[1:])
