"""kb's benchmark suite: every workload through kb and as its floor, side by side, in one run.

    python bench/run.py [--scale smoke|small|large] [--markdown FILE]

`smoke` (1,000 incidents) is what CI runs; `small` has 10,000 incidents; `large` (100,000 incidents)
also runs `small` and reports how each workload grows. The `cli` workload (bench/cli_bench.py: each
everyday command as a whole process next to a bare sqlite3+json process) runs at `small` and
`large`, and on the seed portfolio (`kb seed`) with the first of them; not at `smoke`.
Exit status 1 when kb and a floor disagree about the work done (never because of time: timings
are reported, not asserted).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import cli_bench  # noqa: E402
from bench.prepare import CACHE, prepare  # noqa: E402
from bench.report import Row, compare, markdown, median, p95  # noqa: E402
from bench.scales import REPS, SCALES  # noqa: E402
from bench.workloads import WORKLOADS  # noqa: E402

LABELS = {
    "import": "bulk import (kb import of the export dir)",
    "silent": "silent-failure scan",
    "graph": "causal graph + root causes",
    "keystones": "keystones (kb graph keystones)",
    "recurring": "recurring chains (kb graph recurring)",
    "review": "quarterly review + markdown (floor: the silent scan alone)",
    "tui": "TUI first portfolio frame",
}


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def run_worker(name: str, side: str, data: Path, reps: int, code: str | None = None) -> dict[str, Any]:
    """One workload side in a fresh process; `code`: another checkout's kb answers it (`--compare`)."""
    cmd = [sys.executable, str(ROOT / "bench" / "worker.py"), name, side, str(data), str(reps)]
    env = {**os.environ, "KB_BENCH_CODE": code} if code else None
    out = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, env=env)
    if out.returncode != 0:
        tail = (out.stderr.strip().splitlines() or ["(no output)"])[-1]
        return {"error": tail}
    return json.loads(out.stdout.strip().splitlines()[-1])


def measure(name: str, data: Path, reps: int) -> tuple[dict[str, Any], dict[str, Any] | None]:
    floor_fn = WORKLOADS[name][1]
    if name == "tui":  # start-up is measured once per fresh process
        runs = [run_worker(name, "kb", data, 1) for _ in range(reps)]
        kb = _merge(runs)
        floor = _merge([run_worker(name, "floor", data, 1) for _ in range(reps)])
        return kb, floor
    kb = run_worker(name, "kb", data, reps)
    if name == "review":  # issue 6 asks for the review next to the silent-failure scan alone
        return kb, run_worker("silent", "kb", data, reps)
    floor = run_worker(name, "floor", data, reps) if floor_fn is not None else None
    return kb, floor


def measure_compare(
    name: str, data: Path, reps: int, code: str, code_data: Path
) -> tuple[dict[str, Any], dict[str, Any]]:
    """kb's side of a workload from this checkout and from `code`, rep by rep in turn (one worker
    process per rep), so both see the same moments of a shared machine."""
    ours: list[dict[str, Any]] = []
    theirs: list[dict[str, Any]] = []
    for _ in range(reps):
        ours.append(run_worker(name, "kb", data, 1))
        theirs.append(run_worker(name, "kb", code_data, 1, code))
    return _merge(ours), _merge(theirs)


def compare_rows(scale: str, results: dict[str, tuple[dict[str, Any], dict[str, Any]]], code: str) -> str:
    """The before-and-after table: this checkout against `code`, each workload's median."""
    n = f"{SCALES[scale].incidents // 1000}k"
    lines = [
        f"| workload @{n} | this checkout | {code} | this / that | within 10% |",
        "|---|---|---|---|---|",
    ]
    for name, (ours, theirs) in results.items():
        label = LABELS.get(name, name)
        if "times" not in ours or "times" not in theirs:
            why = ours.get("missing") or ours.get("error") or theirs.get("missing") or theirs.get("error")
            lines.append(f"| {label} | — | — | — | n/a ({why}) |")
            continue
        a, b = median(ours), median(theirs)
        lines.append(
            f"| {label} | {a:.3f} s, {ours['peak_kib'] // 1024} MiB | {b:.3f} s, {theirs['peak_kib'] // 1024} MiB "
            f"| {a / b:.2f}x | {'yes' if a <= 1.1 * b else 'NO'} |"
        )
    return "\n".join(lines)


def _merge(runs: list[dict[str, Any]]) -> dict[str, Any]:
    for r in runs:
        if "times" not in r:
            return r
    return {
        "times": [t for r in runs for t in r["times"]],
        "peak_kib": max(r["peak_kib"] for r in runs),
        "check": runs[-1]["check"],
    }


def rows_for(scale: str, results: dict[str, tuple[dict[str, Any], dict[str, Any] | None]]) -> list[Row]:
    n = f"{SCALES[scale].incidents // 1000}k"
    rows: list[Row] = []
    for name, (kb, floor) in results.items():
        problem = kb.get("missing") or kb.get("error")
        if problem:
            status = "n/a (not built yet)" if kb.get("missing") else f"error: {problem}"
            rows.append(Row(f"{LABELS.get(name, name)} @{n}", None, None, None, None, _target(name), status))
            continue
        fl_missing = floor.get("missing") or floor.get("error") if floor else None
        fl_t = None if (floor is None or fl_missing) else median(floor)
        fl_m = None if (floor is None or fl_missing) else floor["peak_kib"]
        if name == "search":
            for label, stat in (("median", median), ("p95", lambda r: p95(r["times"]))):
                kt = stat(kb)
                ft = stat(floor) if fl_t is not None else None
                met = _met(name, kt, ft) if ft is not None else f"n/a ({fl_missing})"
                rows.append(
                    Row(f"kb search, {label} of 100 queries @{n}", kt, kb["peak_kib"], ft, fl_m, _target(name), met)
                )
            continue
        kt = median(kb)
        rows.append(
            Row(
                f"{LABELS[name]} @{n}",
                kt,
                kb["peak_kib"],
                fl_t,
                fl_m,
                _target(name, scale),
                _met(name, kt, fl_t, scale, kb["peak_kib"]),
            )
        )
    return rows


def _target(name: str, scale: str = "large") -> str:
    return {
        "import": "≤ 3x floor",
        "search": "kb faster",
        "silent": "≤ 5x floor",
        "graph": "≤ 3x floor" + (f"; {_PORTFOLIO_TARGET}" if scale == "large" else ""),
        "keystones": _PORTFOLIO_TARGET,
        "recurring": _PORTFOLIO_TARGET,
        "review": "< 3 s at 2,000 projects",
        "tui": "≤ 1.5x floor and < 1.5 s",
    }[name]


# issue 20: each portfolio analysis at 100,000 incidents in under 3 s and under 1 GiB
_PORTFOLIO_TARGET = "< 3 s and < 1 GiB at 100k"


def _met(name: str, kt: float | None, ft: float | None, scale: str = "large", peak_kib: int | None = None) -> str:
    if kt is None:
        return "—"
    if name == "review":
        return "yes" if kt < 3 else "NO"
    in_budget = kt < 3 and peak_kib is not None and peak_kib < 1024 * 1024
    if name in ("keystones", "recurring"):
        return ("yes" if in_budget else "NO") if scale == "large" else "—"
    if name == "graph" and scale == "large" and not in_budget:
        return "NO"
    if ft is None:
        return "—"
    ratio = kt / ft
    ok = {
        "import": ratio <= 3,
        "search": ratio < 1,
        "silent": ratio <= 5,
        "graph": ratio <= 3,
        "tui": ratio <= 1.5 and kt < 1.5,
    }[name]
    return "yes" if ok else "NO"


def growth_rows(small: list[Row], large: list[Row]) -> list[Row]:
    out = []
    for s, lg in zip(small, large, strict=True):
        if s.kb_time is None or lg.kb_time is None:
            continue
        kb_g = lg.kb_time / s.kb_time
        fl_g = lg.floor_time / s.floor_time if s.floor_time and lg.floor_time else None
        label = "growth 10k→100k: " + s.workload.rsplit(" @", 1)[0]
        out.append(
            Row(
                label,
                kb_g,
                None,
                fl_g,
                None,
                "≈10x, ≤ linear",
                "yes" if kb_g <= 12 else "NO",
                ratio_text="growth" + (f"{kb_g / fl_g:.2f}x" if fl_g else "—"),
            )
        )
    return out


CLI_TARGETS = {"silent": (0.4, "< 0.4 s at the seed portfolio"), "--help": (0.1, "< 0.1 s")}


def cli_rows(db: Path, label: str, reps: int) -> list[Row]:
    """Each everyday command as a whole process next to its floor (bench/cli_bench.py), one row each."""
    rows = []
    for r in cli_bench.measure(db, list(cli_bench.COMMANDS), reps):
        absolute = CLI_TARGETS.get(r["name"])
        if absolute is not None and (r["name"] != "silent" or label == "seed"):
            target, met = absolute[1], "yes" if r["kb"] < absolute[0] else "NO"
        else:
            target, met = "≤ 5x floor", "yes" if r["kb"] <= 5 * r["floor"] else "NO"
        rows.append(
            Row(
                f"`kb {r['name']}` (process) @{label}",
                r["kb"],
                r["kb_peak_kib"],
                r["floor"],
                r["floor_peak_kib"],
                target,
                met,
            )
        )
    return rows


def seed_db() -> Path:
    """The seed portfolio (`kb seed`: 18 projects), built once into the bench cache."""
    from kb.service import KB

    db = CACHE / "seed" / "kb.sqlite"
    if not db.exists():
        with KB(db, actor="bench") as handle:
            handle.seed()
    return db


def run_scale(scale: str, only: set[str] | None, with_seed: bool = False) -> tuple[list[Row], list[str]]:
    spec = SCALES[scale]
    data = prepare(scale, spec, log)
    results = {}
    problems = []
    cli: list[Row] = []
    if (only is None and scale != "smoke") or (only is not None and "cli" in only):
        reps = REPS[scale].get("cli", 5)
        if with_seed:
            log("[seed] cli ...")
            cli += cli_rows(seed_db(), "seed", reps)
        log(f"[{scale}] cli ...")
        cli += cli_rows(data / "kb.sqlite", f"{spec.incidents // 1000}k", reps)
    for name in WORKLOADS:
        if only and name not in only:
            continue
        log(f"[{scale}] {name} ...")
        t = time.perf_counter()
        results[name] = measure(name, data, REPS[scale][name])
        log(f"[{scale}] {name} done in {time.perf_counter() - t:.1f} s")
        problem = compare(name, *results[name])
        if problem:
            problems.append(f"[{scale}] {problem}")
    return rows_for(scale, results) + cli, problems


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    import sqlite3

    return (
        f"{os.cpu_count()} CPUs ({cpu}), {mem:.0f} GiB RAM, Python {platform.python_version()}, "
        f"SQLite {sqlite3.sqlite_version}, {platform.system()} {platform.release()}"
    )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scale", choices=sorted(SCALES), default="small")
    ap.add_argument("--only", default="", help="Comma-separated workloads (default: all).")
    ap.add_argument("--markdown", default=None, help="Also write the table to this file.")
    ap.add_argument(
        "--compare",
        metavar="DIR",
        help="time kb's side of each workload also with the kb in this checkout (e.g. `git archive REV | tar -x -C "
        "DIR`), rep by rep in turn, and print this checkout against it (no floors, no cli)",
    )
    ap.add_argument(
        "--compare-data",
        metavar="DIR",
        help="the data directory that checkout reads (a copy of the scale's cache whose kb.sqlite its schema "
        "accepts); default: the scale's own",
    )
    args = ap.parse_args(argv)
    only = {w for w in args.only.split(",") if w} or None
    t0 = time.perf_counter()
    if args.compare:
        scale = "smoke" if args.scale == "smoke" else args.scale
        data = prepare(scale, SCALES[scale], log)
        code_data = Path(args.compare_data) if args.compare_data else data
        results = {}
        for name in WORKLOADS:
            if only and name not in only:
                continue
            log(f"[{scale}] {name}: this checkout and {args.compare} in turn ...")
            results[name] = measure_compare(name, data, REPS[scale][name], args.compare, code_data)
        table = compare_rows(scale, results, args.compare)
        print(table)
        print(f"\nmachine: {machine()}; total {time.perf_counter() - t0:.0f} s")
        if args.markdown:
            Path(args.markdown).write_text(table + "\n")
        return 0
    rows, problems = run_scale("smoke" if args.scale == "smoke" else "small", only, with_seed=True)
    if args.scale == "large":
        large, more = run_scale("large", only)
        grow = [r for r in rows if "(process)" not in r.workload]
        rows = rows + large + growth_rows(grow, [r for r in large if "(process)" not in r.workload])
        problems += more
    table = markdown(rows)
    print(table)
    print(f"\nmachine: {machine()}; total {time.perf_counter() - t0:.0f} s")
    for p in problems:
        print(f"CONSISTENCY: {p}")
    print("consistency: " + ("kb and every floor agree" if not problems else f"{len(problems)} mismatches"))
    if args.markdown:
        Path(args.markdown).write_text(table + "\n")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
