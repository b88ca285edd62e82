"""Root causes, keystones and recurring chains of all time at one scale: one fresh process per call.

    python bench/graph_scale.py DB [--code DIR ...]

Each analysis runs in its own process (`python -c`, with PYTHONPATH set to each `--code` checkout,
default this one, so a before-and-after pair runs interleaved on the same load): imports and the
taxonomy are paid by an untimed call on an empty quarter, then one cold call of all time is timed.
Prints one JSON line per call: code, analysis, wall and CPU seconds, peak resident memory (VmHWM,
interpreter and imports included) and a digest of the result, which must be equal across checkouts.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ANALYSES = ("root_causes", "keystones", "recurring_chains")

CHILD = """
import hashlib, json, sys, time
from pathlib import Path
from kb.service import KB
db, call = sys.argv[1], sys.argv[2]
with KB(db, actor="bench") as kb:
    fn = getattr(kb, call)
    fn(quarter="1990Q1")  # imports, taxonomy, empty window
    t, c = time.perf_counter(), time.process_time()
    found = fn()
    wall, cpu = time.perf_counter() - t, time.process_time() - c
items = found if isinstance(found, list) else found.items
digest = hashlib.sha256(json.dumps([i.model_dump() for i in items], sort_keys=True).encode()).hexdigest()[:12]
hwm = next(int(x.split()[1]) for x in Path("/proc/self/status").read_text().splitlines() if x.startswith("VmHWM:"))
out = {"call": call, "wall": round(wall, 2), "cpu": round(cpu, 2), "peak_mib": hwm // 1024, "digest": digest}
print(json.dumps(out))
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("db")
    ap.add_argument("--code", action="append", default=None, help="a checkout of kb to run (repeatable)")
    args = ap.parse_args()
    for call in ANALYSES:
        for code in args.code or [str(ROOT)]:
            env = {**os.environ, "PYTHONPATH": code}
            cmd = [sys.executable, "-c", CHILD, args.db, call]
            out = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=code)  # -c puts the cwd first
            line = (
                out.stdout.strip().splitlines()[-1] if out.returncode == 0 else json.dumps({"error": out.stderr[-300:]})
            )
            result = {"code": code, **json.loads(line), "load": os.getloadavg()[0]}
            print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
