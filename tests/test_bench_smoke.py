"""The benchmark suite's smoke scale runs end to end and kb agrees with every floor.

Nothing here looks at timings (they belong to bench/); this checks that every workload completes
and does the same work as its floor, e.g. kb search finds exactly the incidents ripgrep finds.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
WORKLOAD_ROWS = (
    "bulk import",
    "kb search, median",
    "kb search, p95",
    "silent-failure scan",
    "causal graph + root causes",
    "keystones (kb graph keystones)",
    "recurring chains (kb graph recurring)",
    "quarterly review + markdown",
    "TUI first portfolio frame",
)


# ripgrep is the search floor; the `ripgrep` wheel of the test extra provides it (tests/external.py)
@pytest.mark.ripgrep
def test_smoke_scale_completes_and_agrees_with_every_floor(tmp_path: Path) -> None:
    env = {**os.environ, "KB_BENCH_CACHE": str(tmp_path / "cache"), "KB_DB": str(tmp_path / "unused.sqlite")}
    out = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "run.py"), "--scale", "smoke"],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=600,
    )
    assert out.returncode == 0, out.stdout + out.stderr[-3000:]
    assert "consistency: kb and every floor agree" in out.stdout
    table = [line for line in out.stdout.splitlines() if line.startswith("| ")]
    assert len(table) == 1 + len(WORKLOAD_ROWS)  # header plus one row per workload line
    for label, line in zip(WORKLOAD_ROWS, table[1:], strict=True):
        assert line.startswith(f"| {label}"), line
        assert "error" not in line and "n/a" not in line, line
