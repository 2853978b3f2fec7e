"""Fresh virtual environments with the built wheel installed, made by uv from PyPI.

``Environment.run`` runs code in isolated mode (``python -I``) from an empty folder, with
PATH and HOME only, so what it imports comes from the environment, never the checkout.
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Distributions:
    """The sdist and the wheel of one build."""

    sdist: Path
    wheel: Path

    @classmethod
    def in_folder(cls, folder: Path) -> Distributions:
        sdists = sorted(folder.glob("mixroute-*.tar.gz"))
        wheels = sorted(folder.glob("mixroute-*-py3-none-any.whl"))
        assert len(sdists) == 1, f"expected one sdist in {folder}, found {sdists}"
        assert len(wheels) == 1, f"expected one wheel in {folder}, found {wheels}"
        return cls(sdist=sdists[0], wheel=wheels[0])


def run(command: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
    """Run a command; a failure shows its output."""
    done = subprocess.run(command, capture_output=True, text=True, check=False, **kwargs)
    assert done.returncode == 0, f"{command}\n{done.stdout}\n{done.stderr}"
    return done


def build(folder: Path) -> Distributions:
    """Build the sdist, then the wheel from it, as ``make dist`` does."""
    run([sys.executable, "-m", "build", "--outdir", str(folder), str(ROOT)])
    return Distributions.in_folder(folder)


def minimal_env(**extra: str) -> dict[str, str]:
    """PATH and HOME only (no proxy, no key, no PYTHON* variable), plus ``extra``."""
    return {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(Path.home()), **extra}


@dataclass(frozen=True)
class Environment:
    """A virtual environment with the wheel installed, optionally with extras."""

    path: Path

    @classmethod
    def create(cls, path: Path, wheel: Path, extra: str) -> Environment:
        """``uv venv`` on this Python, then ``uv pip install 'mixroute[extra] @ <wheel>'``."""
        uv = [sys.executable, "-m", "uv"]
        env = {**os.environ, "UV_PYTHON_DOWNLOADS": "never"}
        run([*uv, "venv", "--quiet", "--python", sys.executable, str(path)], env=env)
        requirement = (
            f"mixroute[{extra}] @ {wheel.as_uri()}" if extra else f"mixroute @ {wheel.as_uri()}"
        )
        made = cls(path)
        run([*uv, "pip", "install", "--quiet", "--python", str(made.python), requirement], env=env)
        return made

    @property
    def python(self) -> Path:
        return self.path / "bin" / "python"

    def run(self, code: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        """Run ``code`` here, isolated from the checkout."""
        workdir = self.path / "work"
        workdir.mkdir(exist_ok=True)
        return subprocess.run(
            [str(self.python), "-I", "-c", code],
            capture_output=True,
            text=True,
            check=False,
            cwd=workdir,
            env=env if env is not None else minimal_env(),
            timeout=120,
        )

    def check(self, code: str, env: dict[str, str] | None = None) -> str:
        """Run ``code`` and return what it printed; a failure shows its traceback."""
        done = self.run(code, env)
        assert done.returncode == 0, f"{code}\n--- stdout\n{done.stdout}\n--- stderr\n{done.stderr}"
        return done.stdout

    def distributions(self) -> set[str]:
        """The normalised names of the distributions installed here."""
        code = (
            "import importlib.metadata as m, re\n"
            "names = {re.sub(r'[-_.]+', '-', d.metadata['Name']).lower() for d in m.distributions()}\n"
            "print('\\n'.join(sorted(names)))"
        )
        return set(self.check(code).split())
