"""``support/warm_python.py``: a script run from the warm interpreter ends as ``python script``.

The runs that end well are covered by the markdown runner's tests
(``tests/test_markdown_blocks.py``: output, ``sys.exit``, threads and exit handlers). These
are the endings it leaves out: an uncaught exception (``KeyboardInterrupt`` too), and a
script that outlives its timeout.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from support.warm_python import run_script

RAISES = """\
print("before the error")


def divide(by):
    return 1 / by


divide(0)
"""


def script(folder: Path, source: str) -> Path:
    path = folder / "script.py"
    path.write_text(textwrap.dedent(source), encoding="utf-8")
    return path


def test_an_uncaught_exception_ends_the_script_as_the_interpreter_ends_it(tmp_path: Path) -> None:
    path = script(tmp_path, RAISES)
    env = dict(os.environ)

    warm = run_script(path, cwd=tmp_path, env=env, timeout=60)
    fresh = subprocess.run(
        [sys.executable, str(path)], cwd=tmp_path, env=env, capture_output=True, text=True
    )

    assert (warm.returncode, warm.stdout) == (1, "before the error\n")
    assert warm.stderr.startswith("Traceback (most recent call last):\n")
    assert f'File "{path}", line 8, in <module>' in warm.stderr
    assert f'File "{path}", line 5, in divide' in warm.stderr
    assert warm.stderr.endswith("ZeroDivisionError: division by zero\n")
    assert "warm_python" not in warm.stderr  # the traceback starts at the script's own frame
    assert (warm.returncode, warm.stdout, warm.stderr) == (
        fresh.returncode,
        fresh.stdout,
        fresh.stderr,
    )


def test_an_uncaught_keyboard_interrupt_ends_the_script_by_sigint(tmp_path: Path) -> None:
    path = script(tmp_path, 'print("stopping")\nraise KeyboardInterrupt\n')

    done = run_script(path, cwd=tmp_path, env=dict(os.environ), timeout=60)

    assert (done.returncode, done.stdout) == (-signal.SIGINT, "stopping\n")
    assert done.stderr.endswith("KeyboardInterrupt\n")


def test_a_script_past_its_timeout_is_killed_and_reported_as_timed_out(tmp_path: Path) -> None:
    pid_file = tmp_path / "pid"
    path = script(
        tmp_path,
        f"""\
        import os
        import time

        with open({str(pid_file)!r}, "w") as file:
            file.write(str(os.getpid()))
        print("started", flush=True)
        time.sleep(30)
        print("never printed")
        """,
    )

    started = time.monotonic()
    with pytest.raises(subprocess.TimeoutExpired) as caught:
        run_script(path, cwd=tmp_path, env=dict(os.environ), timeout=0.5)
    elapsed = time.monotonic() - started

    assert 0.5 <= elapsed < 10
    assert caught.value.timeout == 0.5
    assert caught.value.cmd == [sys.executable, str(path)]
    assert caught.value.output == "started\n"  # what it printed before it was killed
    assert "timed out after 0.5 seconds" in str(caught.value)
    with pytest.raises(ProcessLookupError):  # killed and reaped, not left running
        os.kill(int(pid_file.read_text()), 0)
    # The server goes on serving: the next script runs as usual.
    after = run_script(script(tmp_path, 'print("next")\n'), cwd=tmp_path, env={}, timeout=60)
    assert (after.returncode, after.stdout) == (0, "next\n")
