"""One workload, one side, in a fresh process: prints its timings, peak memory and check as JSON.

A fresh process per measurement keeps imports, caches and memory of one side out of the other's
numbers; peak memory is the process's high-water resident set (VmHWM).
"""

from __future__ import annotations

import time

START = time.perf_counter()  # before any import, for the TUI start-up workloads

import json  # noqa: E402
import os  # noqa: E402
import resource  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.workloads import WORKLOADS  # noqa: E402

# `bench/run.py --compare DIR`: that checkout's kb (and kb_tui) answer the workload instead of this
# one's; the workloads themselves are this checkout's, already imported above
if os.environ.get("KB_BENCH_CODE"):
    sys.path.insert(0, os.environ["KB_BENCH_CODE"])


def peak_kib() -> int:
    """This process's peak resident set (VmHWM). ru_maxrss would carry over the parent's peak
    across fork+exec on Linux, charging run.py's memory to every worker."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def main() -> None:
    name, side, data, reps = sys.argv[1], sys.argv[2], Path(sys.argv[3]), int(sys.argv[4])
    fn = WORKLOADS[name][0 if side == "kb" else 1]
    assert fn is not None
    result = fn(data, START) if name == "tui" else fn(data, reps)
    result["peak_kib"] = peak_kib()
    print(json.dumps(result))


if __name__ == "__main__":
    main()
