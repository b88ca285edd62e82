"""How fast kb refuses hostile input (issue 14), each figure next to a floor and their ratio.

    python bench/hostile_bench.py [--mb 150] [--busy]

Each case runs the real `kb` in a child process and reports its wall time and peak RSS (os.wait4):
- an alias bomb (ten levels of ten aliases into `title`); floor: `kb import` of a one-line file;
- a 150 MB Unleash log with a syntax error on its second event; floor: the same tiny-file import;
- `kb search` with 8,000 repeated words over 2,000 incidents; floor: the same search with the word once;
- with --busy: a writer blocked by a lock held throughout; floor: the documented bound (30 s).
The figures are quoted in docs/reliability.md. Not run in CI (it writes 150 MB).
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EVENT = (
    '{"id": 1, "type": "feature-updated", "featureName": "f", "environment": "production",'
    ' "createdBy": "ann", "createdAt": "2026-01-01T00:00:00Z", "data": {"enabled": false}}'
)


def run(db: Path, *args: str) -> tuple[float, float, int, str]:
    """(seconds, peak RSS MiB, exit code, last stderr line) of one `kb` process."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "kb", "--db", str(db), *args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env=env,
    )
    assert proc.stderr is not None
    err = proc.stderr.read().decode(errors="replace")
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    lines = [ln for ln in err.splitlines() if ln.strip()]
    return seconds, usage.ru_maxrss / 1024, proc.returncode, (lines[-1] if lines else "")[:110]


def show(name: str, kb: tuple[float, float, int, str], floor: float, floor_name: str) -> None:
    s, rss, code, line = kb
    print(f"{name:<34} kb {s:7.2f} s  rss {rss:6.1f} MiB  exit {code}", end="")
    print(f"  | floor ({floor_name}) {floor:6.2f} s  ratio {s / floor:6.1f}")
    print(f"{'':<34} {line}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--mb", type=int, default=150)
    ap.add_argument("--busy", action="store_true")
    a = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="kb-hostile-") as tmp:
        d = Path(tmp)
        db = d / "kb.sqlite"
        run(db, "init")
        run(db, "project", "add", "p", "--owner", "ann")
        tiny = d / "tiny.yaml"
        tiny.write_text("project: p\ntitle: tiny\n", encoding="utf-8")
        floor = run(db, "import", str(tiny))[0]

        bomb = d / "bomb.yaml"
        lines = ["a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
        lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 10)]
        bomb.write_text("\n".join([*lines, "project: p", "title: *a9"]) + "\n", encoding="utf-8")
        show("alias bomb (10^10 strings)", run(db, "import", str(bomb)), floor, "tiny import")

        big = d / "big.json"
        with big.open("w", encoding="utf-8") as fh:
            fh.write('{"events": [' + EVENT + ",\n" + EVENT.replace('"type":', '"type"') + ",\n")
            block = ",\n".join([EVENT] * 10_000) + ",\n"
            while fh.tell() < a.mb << 20:
                fh.write(block)
            fh.write(EVENT + "]}")
        show(
            f"malformed {a.mb} MB flag log",
            run(db, "flags", "import", str(big), "--format", "unleash"),
            floor,
            "tiny import",
        )
        big.unlink()

        docs = d / "many.yaml"
        docs.write_text(
            "incidents:\n"
            + "".join(
                f"  - {{project: p, title: latency spike {i}, summary: {'latency ' * 200}}}\n" for i in range(2000)
            ),
            encoding="utf-8",
        )
        run(db, "import", str(docs))
        one = run(db, "search", "latency")
        show("search, 8,000 repeated words", run(db, "search", " ".join(["latency"] * 8000)), one[0], "one word")

        if a.busy:
            holder = sqlite3.connect(db, isolation_level=None)
            holder.execute("BEGIN IMMEDIATE")
            show("blocked writer (lock held)", run(db, "project", "add", "q"), 30.0, "documented bound")
            holder.execute("ROLLBACK")
            holder.close()


if __name__ == "__main__":
    main()
