"""Peak memory of `kb flags import` on a huge flag log: it must stream, not load the file whole.

Generates a flag log of the given size (default 200 MB) as an Unleash `{"events": [...]}` JSON
document and as a CSV, imports each into a fresh database in a child process, and prints the
child's peak resident set size (from os.wait4), the file size and the events read.

    python bench/flag_log_memory.py [--mb 200] [--dir /tmp/kb-bench]

Not run in CI (it writes ~1 GB and takes minutes); the number it prints is quoted in
docs/reliability.md.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

START = datetime(2024, 1, 1, tzinfo=UTC)
TYPES = ("feature-environment-enabled", "feature-environment-disabled")


def unleash_event(i: int) -> str:
    return json.dumps(
        {
            "id": i,
            "type": TYPES[i % 2],
            "createdAt": (START + timedelta(seconds=i)).strftime("%Y-%m-%dT%H:%M:%S.000Z"),
            "createdBy": f"user{i % 97}@example.com",
            "environment": "production",
            "project": "ml",
            "featureName": f"model-{i % 5000}-enabled",
            "data": None,
            "preData": None,
            "tags": [],
        }
    )


def csv_row(i: int) -> str:
    at = (START + timedelta(seconds=i)).strftime("%Y-%m-%dT%H:%M:%SZ")
    action = ("enabled", "disabled")[i % 2]
    return f"model-{i % 5000}-enabled,production,{action},{at},user{i % 97},bulk row {i}\n"


def write_unleash(path: Path, size: int) -> int:
    n = 0
    with path.open("w", encoding="utf-8") as fh:
        fh.write('{"version": 1, "events": [\n')
        written = 0
        while written < size:
            line = ("," if n else "") + unleash_event(n) + "\n"
            fh.write(line)
            written += len(line)
            n += 1
        fh.write("]}\n")
    return n


def write_csv(path: Path, size: int) -> int:
    n = 0
    with path.open("w", encoding="utf-8") as fh:
        fh.write("flag,environment,action,at,actor,comment\n")
        written = 0
        while written < size:
            row = csv_row(n)
            fh.write(row)
            written += len(row)
            n += 1
    return n


def measure(db: Path, log: Path, fmt: str) -> tuple[int, int, str]:
    """(exit status, peak RSS in KiB, last output line) of one import in a child process."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "kb", "--db", str(db), "flags", "import", str(log), "--format", fmt],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert proc.stdout is not None
    out = proc.stdout.read()
    _pid, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    return proc.returncode, usage.ru_maxrss, out.strip().splitlines()[-1] if out.strip() else ""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mb", type=int, default=200)
    ap.add_argument("--dir", default=None)
    args = ap.parse_args()
    root = Path(args.dir or tempfile.mkdtemp(prefix="kb-bench-"))
    root.mkdir(parents=True, exist_ok=True)
    size = args.mb * 1024 * 1024
    for fmt, writer, name in (("unleash", write_unleash, "unleash.json"), ("csv", write_csv, "flags.csv")):
        log = root / name
        events = writer(log, size)
        db = root / f"{fmt}.sqlite"
        for p in (db, Path(f"{db}-wal"), Path(f"{db}-shm")):
            p.unlink(missing_ok=True)
        subprocess.run([sys.executable, "-m", "kb", "--db", str(db), "init"], check=True, capture_output=True)
        code, peak_kib, line = measure(db, log, fmt)
        print(
            f"{fmt:8} file {log.stat().st_size / 2**20:7.1f} MiB, {events:,} events: exit {code}, "
            f"peak RSS {peak_kib / 1024:6.1f} MiB; {line}"
        )
        log.unlink()


if __name__ == "__main__":
    main()
