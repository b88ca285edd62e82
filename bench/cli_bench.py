"""Everyday commands as whole processes, each next to its floor, in one run (issue 20).

    python bench/cli_bench.py DB [--reps 5] [--only "incident show,silent"] [--json] [--before DIR] [--terminal]

kb's side is `python -m kb --db DB <command>` in a fresh process; the floor is a bare Python
process that opens the same SQLite file, runs the query the command answers and prints JSON
(`python -c ...` with only sqlite3 and json imported). Times are wall-clock medians over `reps`
whole processes; peak memory is the child's resident high-water mark (ru_maxrss of the waited
child, which on Linux is its own). The machine is shared, so read the ratio, measured in the same
run, rather than the absolute times. Nothing here asserts on time.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sqlite3
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent

# the floors' queries: what each command reads, with no kb around it
_INCIDENT = "SELECT * FROM incidents WHERE id = :incident"
_CHILDREN = (
    "SELECT * FROM classifications WHERE incident_id = :incident ORDER BY pos",
    "SELECT * FROM causes WHERE incident_id = :incident ORDER BY pos",
    "SELECT * FROM cause_links WHERE incident_id = :incident ORDER BY pos",
    "SELECT * FROM actions WHERE incident_id = :incident ORDER BY pos",
    "SELECT * FROM timeline WHERE incident_id = :incident ORDER BY pos",
)
FLOORS: dict[str, tuple[str, ...]] = {
    "incident show": (_INCIDENT, *_CHILDREN),
    "incident list": (
        "SELECT id, project, title, kind, severity, status, started_at, detected_at, detected_by, postmortem, "
        "announced, duplicate_of FROM incidents WHERE duplicate_of IS NULL "
        "ORDER BY coalesce(started_at, '') DESC, id DESC",
    ),
    "search": (
        "SELECT i.id, i.project, i.title, snippet(incident_text_fts, -1, '[', ']', '…', 12) FROM incident_text_fts "
        "JOIN incident_text t ON t.rowid = incident_text_fts.rowid JOIN incidents i ON i.id = t.incident_id "
        "WHERE incident_text_fts MATCH :query ORDER BY rank LIMIT 20",
    ),
    "incident history": (
        "SELECT seq, at, actor, op, changes FROM changelog WHERE entity = 'incident' AND entity_id = :incident "
        "ORDER BY seq",
    ),
    "taxonomy list": (
        "SELECT code, count(DISTINCT incident_id) FROM (SELECT incident_id, code FROM classifications "
        "UNION SELECT incident_id, mode FROM causes WHERE mode IS NOT NULL) JOIN incidents i ON i.id = incident_id "
        "WHERE i.duplicate_of IS NULL GROUP BY code",
    ),
    "taxonomy show": (
        "SELECT id, project, title, started_at FROM incidents WHERE duplicate_of IS NULL AND "
        "(id IN (SELECT incident_id FROM classifications WHERE code = :mode) OR "
        "id IN (SELECT incident_id FROM causes WHERE mode = :mode)) ORDER BY coalesce(started_at, '') DESC",
    ),
    "flags list": (
        "SELECT f.id, f.event_key, f.source, f.flag_key, f.environment, f.action, f.state_from, f.state_to, f.at, "
        "f.actor, f.comment, pf.project FROM flag_events f LEFT JOIN project_flags pf ON pf.flag_key = f.flag_key "
        "ORDER BY f.at, f.id",
    ),
    "flags unmapped": (
        "SELECT flag_key, count(*) FROM flag_events WHERE flag_key NOT IN (SELECT flag_key FROM project_flags) "
        "GROUP BY flag_key",
    ),
    "health show": ("SELECT * FROM health WHERE project = :project ORDER BY period_start",),
    "silent": (
        "SELECT project, period_start, predictions, acted_on, overrides, quality, owner_confirmed, flag_on "
        "FROM health ORDER BY project, period_start",
        "SELECT project, started_at, detected_at, detected_by, kind FROM incidents WHERE duplicate_of IS NULL",
        "SELECT pf.project, f.at, f.state_to FROM flag_events f JOIN project_flags pf ON pf.flag_key = f.flag_key",
    ),
    "--help": (),
}

COMMANDS: dict[str, tuple[str, ...]] = {
    "incident show": ("incident", "show", "{incident}"),
    "incident list": ("incident", "list"),
    "search": ("search", "{query}"),
    "incident history": ("incident", "history", "{incident}"),
    "taxonomy list": ("taxonomy", "list"),
    "taxonomy show": ("taxonomy", "show", "{mode}"),
    "flags list": ("flags", "list"),
    "flags unmapped": ("flags", "unmapped"),
    "health show": ("health", "show", "{project}"),
    "silent": ("silent",),
    "--help": ("--help",),
}

FLOOR_SCRIPT = """
import json, sqlite3, sys
db, params, *sqls = json.loads(sys.argv[1])
conn = sqlite3.connect(db)
print(json.dumps([conn.execute(sql, params).fetchall() for sql in sqls]))
"""


def pick_params(db: Path) -> dict[str, str]:
    """An incident with causes and history, a mode with incidents, a project with health rows."""
    conn = sqlite3.connect(f"{db.resolve().as_uri()}?mode=ro", uri=True)
    try:
        incident = conn.execute(
            "SELECT incident_id FROM causes GROUP BY incident_id ORDER BY count(*) DESC, incident_id LIMIT 1"
        ).fetchone()[0]
        mode = conn.execute("SELECT code FROM classifications GROUP BY code ORDER BY count(*) DESC LIMIT 1").fetchone()[
            0
        ]
        project = conn.execute("SELECT project FROM health GROUP BY project ORDER BY project LIMIT 1").fetchone()
    finally:
        conn.close()
    return {"incident": incident, "mode": mode, "project": project[0] if project else "", "query": "latency"}


def _run(cmd: list[str], env: dict[str, str]) -> tuple[float, int, int]:
    """Wall time, exit status and peak resident KiB of one child process, run in the checkout its
    PYTHONPATH names (`python -m` puts the working directory first on sys.path)."""
    t = time.perf_counter()
    cwd = env.get("PYTHONPATH") or ROOT
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env, cwd=cwd)
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    elapsed = time.perf_counter() - t
    err = proc.stderr.read().decode() if proc.stderr else ""
    if proc.returncode not in (0, 2):  # kb silent exits 2 only with --fail-on
        raise RuntimeError(f"{' '.join(cmd)} failed: {err.strip()[-300:]}")
    return elapsed, proc.returncode, usage.ru_maxrss


def kb_cmd(name: str, db: Path, params: dict[str, str]) -> list[str]:
    args = [a.format(**params) for a in COMMANDS[name]]
    if name == "--help":
        return [sys.executable, "-m", "kb", *args]
    return [sys.executable, "-m", "kb", "--db", str(db), *args]


def floor_cmd(name: str, db: Path, params: dict[str, str]) -> list[str]:
    sqls = FLOORS[name]
    if not sqls:  # kb --help: a bare interpreter is the floor
        return [sys.executable, "-c", "print('')"]
    used = {k: v for k, v in params.items() if any(f":{k}" in s for s in sqls)}
    return [sys.executable, "-c", FLOOR_SCRIPT, json.dumps([str(db), used, *sqls])]


def measure(
    db: Path, names: list[str], reps: int, before: Path | None = None, terminal: bool = False
) -> list[dict[str, Any]]:
    """Medians of `reps` interleaved runs of each command and its floor (and of the same command
    from the checkout `before`, when given, in the same rounds).

    `terminal`: kb draws as for a terminal (TTY_COMPATIBLE=1: panels, tables and colours, the form a
    person at a terminal sees) although its output is a pipe; by default it writes what a pipe gets.

    kb's modules are compiled to bytecode first, as installing a wheel does (a checkout run with
    PYTHONDONTWRITEBYTECODE set would otherwise compile every module on every start), and each
    command runs once untimed, as it has on any machine after its first use (the file in the page
    cache, the taxonomy's parsed copy in the user cache).
    """
    import compileall

    compileall.compile_dir(ROOT / "kb", quiet=1)
    params = pick_params(db)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "KB_ACTOR": "bench", "COLUMNS": "120"}
    if terminal:
        env["TTY_COMPATIBLE"] = "1"
    old_env = None
    if before is not None:
        compileall.compile_dir(before / "kb", quiet=1)
        old_env = {**env, "PYTHONPATH": str(before)}
    out = []
    for name in names:
        kb_times, fl_times, old_times, kb_peak, fl_peak = [], [], [], 0, 0
        _run(kb_cmd(name, db, params), env)
        _run(floor_cmd(name, db, params), env)
        if old_env is not None:
            _run(kb_cmd(name, db, params), old_env)
        for _ in range(reps):  # interleaved, so every side sees the same moments of a noisy machine
            t, _, peak = _run(kb_cmd(name, db, params), env)
            kb_times.append(t)
            kb_peak = max(kb_peak, peak)
            t, _, peak = _run(floor_cmd(name, db, params), env)
            fl_times.append(t)
            fl_peak = max(fl_peak, peak)
            if old_env is not None:
                old_times.append(_run(kb_cmd(name, db, params), old_env)[0])
        row = {
            "command": "kb " + " ".join(COMMANDS[name]).format(**params),
            "name": name,
            "kb": statistics.median(kb_times),
            "floor": statistics.median(fl_times),
            "kb_peak_kib": kb_peak,
            "floor_peak_kib": fl_peak,
        }
        if old_times:
            row["before"] = statistics.median(old_times)
        out.append(row)
    return out


def table(rows: list[dict[str, Any]]) -> str:
    before = any("before" in r for r in rows)
    lines = [
        "| command |"
        + (" before | before ratio |" if before else "")
        + " kb median | kb peak mem | floor median | floor peak mem | ratio |",
        "|---|" + ("---|---|" if before else "") + "---|---|---|---|---|",
    ]
    for r in rows:
        old = f" {r['before'] * 1000:.0f} ms | {r['before'] / r['floor']:.1f}x |" if before else ""
        lines.append(
            f"| `{r['command']}` |{old} {r['kb'] * 1000:.0f} ms | {r['kb_peak_kib'] / 1024:.0f} MiB | "
            f"{r['floor'] * 1000:.0f} ms | {r['floor_peak_kib'] / 1024:.0f} MiB | {r['kb'] / r['floor']:.1f}x |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("db", type=Path)
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--only", default="", help="Comma-separated command names (default: all).")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--before", type=Path, default=None, help="also time kb from this checkout, in the same rounds")
    ap.add_argument("--terminal", action="store_true", help="kb draws as for a terminal (TTY_COMPATIBLE=1)")
    args = ap.parse_args(argv)
    names = [n for n in args.only.split(",") if n] or list(COMMANDS)
    rows = measure(args.db, names, args.reps, args.before, args.terminal)
    print(json.dumps(rows, indent=1) if args.json else table(rows))
    return 0


if __name__ == "__main__":
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    sys.exit(main())
