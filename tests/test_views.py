"""The SQL views for the common questions (migration m007) and the Datasette metadata that names them.

Expected values are worked out by hand from the records the test writes.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import yaml

from tests.conftest import Run

ROOT = Path(__file__).resolve().parent.parent

DOC = """
projects:
  - {slug: alpha, name: Alpha, stage: production, owner: dana, feature_flags: [alpha-on], monitoring: none}
  - {slug: beta, stage: pilot, monitoring: outcomes}
incidents:
  - id: INC-0001
    project: alpha
    title: Alpha switched off
    kind: quiet-shutdown
    started_at: 2026-03-01
    modes:
      - {code: silent.quiet-shutdown, role: primary, confidence: known}
      - {code: integration.latency, role: contributing, confidence: potential}
    causes:
      - {id: c1, statement: latency past budget, mode: integration.latency, trigger: true}
    actions:
      - {title: load test, owner: dana, due: 2020-01-31, status: open, kind: prevent}
      - {title: announce it, status: done, kind: process}
  - id: INC-0002
    project: alpha
    title: Alpha again
    kind: degradation
    started_at: 2026-04-01
    duplicate_of: INC-0001
    actions:
      - {title: hidden with its duplicate, status: open, kind: mitigate}
  - id: INC-0003
    project: beta
    title: Beta drift
    kind: degradation
    status: resolved
    started_at: 2026-05-01
    actions:
      - {title: retrain, owner: lee, due: 2999-01-01, status: open, kind: mitigate}
"""


def _rows(db: Path, sql: str) -> list[dict[str, object]]:
    conn = sqlite3.connect(db)
    conn.row_factory = sqlite3.Row
    return [dict(r) for r in conn.execute(sql)]


def test_views_answer_the_common_questions(run: Run, db_path: Path, tmp_path: Path) -> None:
    (tmp_path / "doc.yaml").write_text(DOC)
    run.ok("import", str(tmp_path / "doc.yaml"))
    (tmp_path / "h.csv").write_text(
        "project,period,predictions,acted_on,overrides,quality,latency_p95_ms,cost,value,owner_confirmed,flag_on\n"
        "alpha,2026-03,100,60,1,,,,,true,true\nalpha,2026-04,100,0,0,,,,,false,false\n"
    )
    run.ok("health", "import", str(tmp_path / "h.csv"))

    inc = _rows(
        db_path, "SELECT id, project_name, primary_mode, modes, trigger_cause FROM incidents_with_modes ORDER BY id"
    )
    assert inc == [
        {
            "id": "INC-0001",
            "project_name": "Alpha",
            "primary_mode": "silent.quiet-shutdown",
            "modes": "silent.quiet-shutdown, integration.latency",
            "trigger_cause": "latency past budget",
        },
        {"id": "INC-0003", "project_name": "", "primary_mode": None, "modes": None, "trigger_cause": None},
    ]  # INC-0002 is a merged duplicate: left out

    acts = _rows(db_path, "SELECT incident_id, title, overdue FROM open_actions")
    assert acts == [
        {"incident_id": "INC-0001", "title": "load test", "overdue": 1},
        {"incident_id": "INC-0003", "title": "retrain", "overdue": 0},
    ]

    proj = {r["slug"]: r for r in _rows(db_path, "SELECT * FROM project_verdict_inputs")}
    assert (proj["alpha"]["incidents"], proj["alpha"]["open_incidents"], proj["alpha"]["quiet_shutdowns"]) == (1, 1, 1)
    assert (proj["alpha"]["last_health_period"], proj["alpha"]["acted_on"], proj["alpha"]["flag_on"]) == (
        "2026-04",
        0,
        0,
    )
    assert proj["alpha"]["open_actions"] == 1 and proj["alpha"]["last_incident"] == "2026-03-01"
    assert (proj["beta"]["incidents"], proj["beta"]["open_incidents"], proj["beta"]["last_health_period"]) == (
        1,
        0,
        None,
    )


def test_datasette_metadata_names_only_what_exists(run: Run, db_path: Path) -> None:
    run.ok("init")
    meta = yaml.safe_load((ROOT / "datasette" / "metadata.yaml").read_text())
    conn = sqlite3.connect(db_path)
    objects = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type IN ('table', 'view')")}
    for name, table in meta["databases"]["kb"]["tables"].items():
        assert name in objects, name
        cols = {r[1] for r in conn.execute(f"PRAGMA table_info({name})")}
        named = set(table.get("columns", {})) | set(table.get("facets", []))
        named |= {table[k] for k in ("label_column", "sort_desc") if k in table}
        assert named <= cols, (name, named - cols)
    for view in ("incidents_with_modes", "open_actions", "project_verdict_inputs"):
        assert view in meta["databases"]["kb"]["tables"]
