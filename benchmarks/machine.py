"""The machine under the benchmarks: the server subprocess, CPU pinning, and its neighbours.

The server runs in its own process so it never shares a GIL with the client it serves; it
dies with this process. On Linux the runner pins the server and itself to different cores,
measures how busy the server was, and how much CPU other processes took during the run.
"""

from __future__ import annotations

import os
import platform
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SERVER = Path(__file__).with_name("server.py")


class Server:
    """The benchmark server in a subprocess; it dies with this process (its stdin closes)."""

    def __init__(self, pin: bool) -> None:
        self.process = subprocess.Popen(
            [sys.executable, str(SERVER), "--watch-stdin", "--max-lifetime", "3600"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            cwd=ROOT,
        )
        assert self.process.stdout is not None
        line = self.process.stdout.readline().decode()
        if not line.startswith("PORT "):
            self.stop()
            raise RuntimeError(f"the benchmark server did not start (said {line!r})")
        self.port = int(line.split()[1])
        self.base_url = f"http://127.0.0.1:{self.port}/v1"
        self.pinned = pin and _pin(self.process.pid)

    def cpu_seconds(self) -> float | None:
        """User + system CPU the server has used so far (Linux), for its busy share."""
        try:
            fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return None
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        if self.process.stdin is not None:
            self.process.stdin.close()
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.terminate()
            self.process.wait(timeout=5)


def _pin(server_pid: int) -> bool:
    """Server on one core, this process (and what it starts) on another, when there are two."""
    if not hasattr(os, "sched_setaffinity"):
        return False
    cpus = sorted(os.sched_getaffinity(0))
    if len(cpus) < 2:
        return False
    os.sched_setaffinity(server_pid, {cpus[-1]})
    os.sched_setaffinity(0, {cpus[0]})
    return True


@contextmanager
def busy(server: Server, phases: dict[str, float], name: str) -> Iterator[None]:
    """Record the share of wall time the server spent on the CPU during a phase."""
    cpu, start = server.cpu_seconds(), time.perf_counter()
    yield
    after = server.cpu_seconds()
    if cpu is not None and after is not None:
        phases[name] = round((after - cpu) / (time.perf_counter() - start), 3)


def machine_cpu() -> tuple[float, float, os.times_result] | None:
    """Busy CPU seconds of the whole machine (Linux), with a wall clock and our own times."""
    try:
        fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
    except OSError:
        return None
    user, nice, system, _idle, _iowait, irq, softirq = (int(x) for x in fields[:7])
    busy = (user + nice + system + irq + softirq) / os.sysconf("SC_CLK_TCK")
    return busy, time.perf_counter(), os.times()


def foreign_share(before: tuple[float, float, os.times_result] | None) -> float | None:
    """The share of all CPUs used by processes other than this run's since ``before``.

    Ours are this process and its waited-for children: the server, the import-time and
    memory subprocesses.
    """
    after = machine_cpu()
    if before is None or after is None:
        return None
    busy = after[0] - before[0]
    wall = after[1] - before[1]
    t0, t1 = before[2], after[2]
    ours = sum(t1[i] - t0[i] for i in range(4))  # user, system, children user, children system
    return max(0.0, (busy - ours) / (wall * (os.cpu_count() or 1)))


def wait_quiet(limit: float, timeout: float) -> float | None:
    """Wait until other processes use under ``limit`` of the CPUs over one second.

    Returns the last share seen (``None`` where ``/proc/stat`` is missing).
    """
    deadline = time.monotonic() + timeout
    while True:
        before = machine_cpu()
        time.sleep(1.0)
        share = foreign_share(before)
        if share is None or share < limit or time.monotonic() > deadline:
            return share
        say(f"waiting for a quiet machine: others use {share:.0%} of the CPUs")


def git_revision() -> str | None:
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", "mixroute"],
            cwd=ROOT,
            capture_output=True,
            text=True,
        ).stdout.strip()
    except OSError:
        return None
    return f"{head}{' + uncommitted changes in mixroute/' if dirty else ''}" or None


def describe() -> dict[str, Any]:
    import httpx

    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        import mixroute

        mixroute_version = mixroute.__version__
    except ImportError:
        mixroute_version = None
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "httpx": httpx.__version__,
        "httpcore": _version("httpcore"),
        "aiohttp": _version("aiohttp"),
        "mixroute": mixroute_version,
        "revision": git_revision(),
    }


def _version(distribution: str) -> str | None:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(distribution)
    except PackageNotFoundError:
        return None


def say(message: str) -> None:
    print(f"… {message}", file=sys.stderr, flush=True)
