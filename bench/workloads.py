"""Each workload twice: through kb, and as its floor (the same work with no kb around it).

Every function runs inside a fresh worker process (bench/worker.py), returns its timings in
seconds and a `check` value; run.py compares kb's check with the floor's to prove both did the
same work. Nothing here asserts on time.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sysconfig
import tempfile
import time
from collections import defaultdict
from datetime import date
from pathlib import Path
from typing import Any

Result = dict[str, Any]


def _spec(data: Path) -> dict[str, Any]:
    return json.loads((data / "spec.json").read_text())


def _as_of(data: Path) -> date:
    from kb.timeutil import parse_period

    return parse_period(_spec(data)["last_period"]).last_day


# --- bulk import -------------------------------------------------------------------------------


def import_kb(data: Path, reps: int) -> Result:
    """`kb import` of the export directory into a fresh database (KB.import_paths, one transaction)."""
    from kb.service import KB

    times, check = [], {}
    for _ in range(reps):
        tmp = Path(tempfile.mkdtemp())
        with KB(tmp / "kb.sqlite", actor="bench") as handle:
            t = time.perf_counter()
            handle.import_paths([str(data / "export")])
            times.append(time.perf_counter() - t)
            check = _table_counts(handle.db.conn)
        shutil.rmtree(tmp)
    return {"times": times, "check": check}


def import_floor(data: Path, reps: int) -> Result:
    """The same files read with the same loader (PyYAML's CSafeLoader) and sqlite-utils insert_all."""
    import sqlite3

    import yaml
    from sqlite_utils import Database

    times, check = [], {}
    files = sorted(p for p in (data / "export").rglob("*.yaml"))
    for _ in range(reps):
        tmp = Path(tempfile.mkdtemp())
        t = time.perf_counter()
        rows: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for f in files:
            doc = yaml.load(f.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader)
            _flatten(doc, rows)
        db = Database(sqlite3.connect(str(tmp / "floor.sqlite")))
        with db.conn:
            for table, items in rows.items():
                db[table].insert_all(items, batch_size=1000, alter=True)
        times.append(time.perf_counter() - t)
        check = _table_counts(db.conn)
        db.close()
        shutil.rmtree(tmp)
    return {"times": times, "check": check}


def _flatten(doc: dict[str, Any], rows: dict[str, list[dict[str, Any]]]) -> None:
    if doc.get("kind") == "project":
        rows["projects"].append({k: (json.dumps(v) if isinstance(v, list | dict) else v) for k, v in doc.items()})
        return
    iid = doc["id"]
    inc = {k: v for k, v in doc.items() if k not in ("modes", "causes", "actions", "timeline", "flag")}
    inc["tags"], inc["links"] = json.dumps(inc.get("tags", [])), json.dumps(inc.get("links", []))
    for k, v in (doc.get("flag") or {}).items():
        inc[f"flag_{k}"] = v
    rows["incidents"].append(inc)
    rows["classifications"] += [{"incident_id": iid, "pos": n, **m} for n, m in enumerate(doc.get("modes", []))]
    for n, c in enumerate(doc.get("causes", [])):
        rows["causes"].append(
            {
                "incident_id": iid,
                "cause_id": c["id"],
                "pos": n,
                "statement": c["statement"],
                "mode": c.get("mode"),
                "is_trigger": int(c.get("trigger", False)),
            }
        )
        rows["cause_links"] += [
            {"incident_id": iid, "cause_id": c["id"], "because_id": b, "pos": k}
            for k, b in enumerate(c.get("because", []))
        ]
    rows["actions"] += [{"incident_id": iid, "pos": n, **a} for n, a in enumerate(doc.get("actions", []))]
    rows["timeline"] += [{"incident_id": iid, "pos": n, **e} for n, e in enumerate(doc.get("timeline", []))]


def _table_counts(conn: Any) -> dict[str, int]:
    tables = ("projects", "incidents", "classifications", "causes", "cause_links", "actions", "timeline")
    return {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in tables}


# --- search ------------------------------------------------------------------------------------


def _queries(data: Path) -> dict[str, list[str]]:
    return json.loads((data / "queries.json").read_text())


def search_kb(data: Path, reps: int) -> Result:
    """KB.search, as `kb search` calls it, per query; then the codename queries again with no limit."""
    from kb.service import KB

    q = _queries(data)
    times = []
    with KB(data / "kb.sqlite", actor="bench") as handle:
        handle.search("warm up")
        for _ in range(reps):
            for text in q["codenames"] + q["words"]:
                t = time.perf_counter()
                handle.search(text)
                times.append(time.perf_counter() - t)
        check = {name: sorted(h.id for h in handle.search(name, limit=100_000)) for name in q["codenames"]}
    return {"times": times, "check": check, "per_query": True}


def ripgrep() -> str | None:
    """The rg binary: on PATH, or beside this Python (the `ripgrep` wheel of kb's test extra puts it there)."""
    found = shutil.which("rg")
    if found:
        return found
    beside = Path(sysconfig.get_path("scripts")) / "rg"
    return str(beside) if beside.is_file() and os.access(beside, os.X_OK) else None


def search_floor(data: Path, reps: int) -> Result:
    """ripgrep over the `kb export` directory: whole words, case-insensitive, file names out."""
    rg = ripgrep()
    if rg is None:
        return {"missing": "rg (ripgrep) is not installed"}
    q = _queries(data)
    target = str(data / "export" / "incidents")
    times, check = [], {}
    for _ in range(reps):
        for text in q["codenames"] + q["words"]:
            t = time.perf_counter()
            out = subprocess.run([rg, "-l", "-i", "-w", "-F", text, target], capture_output=True, text=True)
            times.append(time.perf_counter() - t)
            if text in q["codenames"]:
                check[text] = sorted(Path(line).stem for line in out.stdout.splitlines())
    return {"times": times, "check": check, "per_query": True}


# --- silent-failure scan -----------------------------------------------------------------------


def silent_kb(data: Path, reps: int) -> Result:
    from kb.service import KB

    with KB(data / "kb.sqlite", actor="bench") as handle:
        if not hasattr(handle, "silent_scan"):
            return {"missing": "not built yet"}
        as_of = _as_of(data)
        handle.silent_scan(as_of=as_of)  # warm-up: lazy imports and the config are paid once per process
        times = []
        for _ in range(reps):
            t = time.perf_counter()
            verdicts = handle.silent_scan(as_of=as_of)
            times.append(time.perf_counter() - t)
    return {"times": times, "check": {"projects": len(verdicts)}}


def silent_floor(data: Path, reps: int) -> Result:
    """One SQL statement reading the rows the detector reads (projects, mapped flag events, health,
    incidents, overdue open actions), fetched into Python tuples."""
    import sqlite3

    as_of = _as_of(data)
    next_day = date.fromordinal(as_of.toordinal() + 1).isoformat()
    sql = """
        SELECT 'p', slug, owner, stage, monitoring, baseline, outcome_lag_days, launched_on, NULL, NULL, NULL, NULL
          FROM projects WHERE stage != 'retired'
        UNION ALL SELECT 'f', pf.project, e.flag_key, e.environment, e.action, e.state_to, e.at, e.actor, e.comment,
          e.id, NULL, NULL FROM flag_events e JOIN project_flags pf ON pf.flag_key = e.flag_key WHERE e.at < :end
        UNION ALL SELECT 'h', project, period, period_start, period_end, predictions, acted_on, overrides, quality,
          cost, value, owner_confirmed FROM health WHERE period_end <= :end_day
        UNION ALL SELECT 'i', id, project, started_at, detected_at, detected_by, flag_at, NULL, NULL, NULL, NULL, NULL
          FROM incidents WHERE duplicate_of IS NULL
        UNION ALL SELECT 'a', a.incident_id, i.project, a.title, a.owner, a.due, NULL, NULL, NULL, NULL, NULL, NULL
          FROM actions a JOIN incidents i ON i.id = a.incident_id
          WHERE a.status = 'open' AND a.due IS NOT NULL AND a.due < :asof AND i.duplicate_of IS NULL
    """
    conn = sqlite3.connect(str(data / "kb.sqlite"))
    times, n = [], 0
    conn.execute(sql, {"end": f"{next_day}T00:00:00.000000Z", "end_day": next_day, "asof": str(as_of)}).fetchall()
    for _ in range(reps):
        t = time.perf_counter()
        rows = conn.execute(
            sql, {"end": f"{next_day}T00:00:00.000000Z", "end_day": next_day, "asof": str(as_of)}
        ).fetchall()
        times.append(time.perf_counter() - t)
        n = sum(1 for r in rows if r[0] == "p")
    conn.close()
    return {"times": times, "check": {"projects": n}}


# --- causal graph + root causes ----------------------------------------------------------------


def graph_kb(data: Path, reps: int) -> Result:
    from kb.service import KB

    with KB(data / "kb.sqlite", actor="bench") as handle:
        if not hasattr(handle, "root_causes"):
            return {"missing": "not built yet"}
        handle.root_causes()  # warm-up: lazy imports and the taxonomy are paid once per process
        times = []
        for _ in range(reps):
            _cold(handle)
            t = time.perf_counter()
            report = handle.root_causes()
            times.append(time.perf_counter() - t)
    top = [[it.code, it.incidents] for it in report.items]
    return {"times": times, "check": {"incidents": report.total_incidents, "ranking": top, "nodes": 0}}


def graph_floor(data: Path, reps: int) -> Result:
    """Plain SQL tuples into a networkx MultiDiGraph, then the same root-condition count per mode."""
    import sqlite3

    import networkx as nx

    from kb.taxonomy import load_taxonomy

    tax = load_taxonomy()

    def resolve(code: str) -> str:
        return tax.resolve(code) or code

    def role(code: str) -> str:
        mode = tax.modes.get(code)
        return mode.causal_role if mode is not None else "condition"

    conn = sqlite3.connect(str(data / "kb.sqlite"))
    times, check = [], {}
    for _ in range(reps + 1):  # the first pass is the warm-up, as on kb's side
        t = time.perf_counter()
        incidents = conn.execute("SELECT id, severity FROM incidents WHERE duplicate_of IS NULL").fetchall()
        live = "incident_id IN (SELECT id FROM incidents WHERE duplicate_of IS NULL)"
        causes = conn.execute(f"SELECT incident_id, cause_id, mode, is_trigger FROM causes WHERE {live}").fetchall()
        links = conn.execute(f"SELECT incident_id, cause_id, because_id FROM cause_links WHERE {live}").fetchall()
        classes = conn.execute(f"SELECT incident_id, code FROM classifications WHERE {live}").fetchall()
        g: nx.MultiDiGraph[str] = nx.MultiDiGraph()
        g.add_edges_from((f"i:{i}", f"c:{i}/{c}") for i, c, _m, _t in causes)
        g.add_edges_from((f"c:{i}/{c}", f"c:{i}/{b}") for i, c, b in links)
        g.add_edges_from((f"c:{i}/{c}", f"m:{m}") for i, c, m, _t in causes if m)
        g.add_edges_from((f"i:{i}", f"m:{m}") for i, m in classes)
        # root causes: per incident, the condition-role causes with no condition-role cause below them
        # (networkx descendants over the because edges); with none, its classified conditions
        cond = {(i, c): resolve(m) for i, c, m, _t in causes if m and role(resolve(m)) == "condition"}
        up: dict[str, set[str]] = defaultdict(set)
        for (i, c), m in cond.items():
            below = nx.descendants(g, f"c:{i}/{c}")
            if not any(n.startswith("c:") and (i, n.split("/", 1)[1]) in cond for n in below):
                up[i].add(m)
        with_cond = {i for i, _c in cond}
        for i, m in classes:
            if i not in with_cond and role(resolve(m)) == "condition":
                up[i].add(resolve(m))
        weight: dict[str, float] = defaultdict(float)
        count: dict[str, int] = defaultdict(int)
        sev = dict(incidents)
        for i, modes in up.items():
            for m in modes:
                weight[m] += 6 - sev[i]
                count[m] += 1
        ranking = sorted(weight, key=lambda m: (-weight[m], -count[m], m))
        times.append(time.perf_counter() - t)
        check = {"incidents": len(incidents), "ranking": [[m, count[m]] for m in ranking]}
        check["nodes"] = 0 if g.number_of_nodes() else "empty graph"  # kb's side reports 0 too
    conn.close()
    times = times[1:]
    return {"times": times, "check": check}


def _analysis_kb(data: Path, reps: int, call: str) -> Result:
    """One portfolio analysis of all time, timed through KB (the `kb graph keystones` / `recurring` call)."""
    from kb.service import KB

    with KB(data / "kb.sqlite", actor="bench") as handle:
        fn = getattr(handle, call)
        fn()  # warm-up: lazy imports and the taxonomy are paid once per process
        times = []
        for _ in range(reps):
            _cold(handle)
            t = time.perf_counter()
            found = fn()
            times.append(time.perf_counter() - t)
    return {"times": times, "check": {"items": len(found)}}


def keystones_kb(data: Path, reps: int) -> Result:
    return _analysis_kb(data, reps, "keystones")


def recurring_kb(data: Path, reps: int) -> Result:
    return _analysis_kb(data, reps, "recurring_chains")


def _cold(handle: Any) -> None:
    """Forget any graph an older KB kept for its analyses (KB.drop_graph_cache, gone since the analyses
    read rows and keep nothing), so a before-and-after run times cold calls on both sides."""
    drop = getattr(handle, "drop_graph_cache", None)
    if drop is not None:
        drop()


# --- quarterly review --------------------------------------------------------------------------


def review_kb(data: Path, reps: int) -> Result:
    from kb.service import KB

    with KB(data / "kb.sqlite", actor="bench") as handle:
        if not hasattr(handle, "review"):
            return {"missing": "not built yet"}
        from kb.review.render import to_markdown

        quarter = _spec(data)["last_period"]
        to_markdown(handle.review(quarter=quarter))  # warm-up: lazy imports, templates
        times, size = [], 0
        for _ in range(reps):
            _cold(handle)
            t = time.perf_counter()
            text = to_markdown(handle.review(quarter=quarter))
            times.append(time.perf_counter() - t)
            size = len(text)
    return {"times": times, "check": {"chars": size}}


# --- TUI ---------------------------------------------------------------------------------------


def tui_kb(data: Path, start: float) -> Result:
    """Seconds from process start to the portfolio table holding rows (headless)."""
    import asyncio
    import importlib.util

    if importlib.util.find_spec("kb_tui.app") is None:
        return {"missing": "not built yet"}
    from textual.widgets import DataTable

    from kb_tui.app import KBApp

    async def main() -> tuple[float, int]:
        app = KBApp(data / "kb.sqlite", as_of=_as_of(data))
        async with app.run_test(size=(160, 48)) as pilot:
            while True:
                tables = app.screen.query(DataTable)
                if tables and tables.first().row_count > 0:
                    return time.perf_counter() - start, tables.first().row_count
                await pilot.pause(0.005)

    took, rows = asyncio.run(main())
    return {"times": [took], "check": {"rows": rows}}


def tui_floor(data: Path, start: float) -> Result:
    """Seconds from process start to an empty Textual app running headless."""
    import asyncio

    from textual.app import App

    async def main() -> float:
        async with App().run_test(size=(160, 48)):
            return time.perf_counter() - start

    return {"times": [asyncio.run(main())], "check": {}}


WORKLOADS = {
    "import": (import_kb, import_floor),
    "search": (search_kb, search_floor),
    "silent": (silent_kb, silent_floor),
    "graph": (graph_kb, graph_floor),
    "keystones": (keystones_kb, None),
    "recurring": (recurring_kb, None),
    "review": (review_kb, None),
    "tui": (tui_kb, tui_floor),
}
