"""Peak RSS of one contender, in a fresh process: import it, make 200 calls and a stream.

``python -m benchmarks.probe KEY BASE_URL [CALLS] [CHUNKS]`` prints one JSON line with
``maxrss_kib`` and ``import_s``, the time its ``import_statement`` took, first thing in
this process (the quick run's import figure). KEY ``none`` measures the bare interpreter
with the probe loaded, the floor under every contender's figure.

On Linux the figure is ``VmHWM`` from ``/proc/self/status``, the high-water mark of this
address space: ``ru_maxrss`` survives fork and exec, so a child started by a bigger
runner reports the runner's size. Elsewhere it falls back to ``ru_maxrss``.
"""

from __future__ import annotations

import json
import resource
import sys
import time

from benchmarks.contenders import by_key


def main() -> None:
    key, base_url = sys.argv[1], sys.argv[2]
    calls = int(sys.argv[3]) if len(sys.argv) > 3 else 200
    chunks = int(sys.argv[4]) if len(sys.argv) > 4 else 2000
    seen = 0
    imported = 0.0
    if key != "none":
        contender = by_key(key)
        start = time.perf_counter()
        exec(contender.import_statement)
        imported = time.perf_counter() - start
        contender.open(base_url, chunks)
        for _ in range(calls):
            contender.small_call()
        seen = contender.stream_call()
        contender.close()
    result = {"maxrss_kib": peak_rss_kib(), "stream_chunks": seen, "import_s": imported}
    print(json.dumps(result))


def peak_rss_kib() -> int:
    """The peak resident set of this process, in KiB."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


if __name__ == "__main__":
    main()
