"""One rule for when an incident happened (started, else detected), in every place that asks.

An incident known only by its detection day must land in the same period whether the question is
`kb incident list --since`, `kb search --since`, the causal graph's quarter or the quarterly review.
Expected values are worked out by hand from the three incidents below.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.conftest import Run

# INC-0001: only detected, on 2026-02-10 (in 2026Q1, after 2026-01-01)
# INC-0002: started 2025-12-20, detected 2026-01-05: happened in 2025Q4, before 2026-01-01
# INC-0003: started 2026-03-01: in 2026Q1
DOC = """
projects:
  - slug: churn
    name: Churn scorer
    stage: production
    owner: dana
incidents:
  - id: INC-0001
    project: churn
    title: Drift noticed in review
    kind: degradation
    detected_at: 2026-02-10
    detected_by: review
    summary: drift
    modes:
      - code: drift.distribution-shift
        role: primary
    causes:
      - id: c1
        statement: the input distribution moved
        mode: drift.distribution-shift
        trigger: true
  - id: INC-0002
    project: churn
    title: Drift started before the new year
    kind: degradation
    started_at: 2025-12-20
    detected_at: 2026-01-05
    detected_by: review
    summary: drift
    modes:
      - code: drift.distribution-shift
        role: primary
    causes:
      - id: c1
        statement: the input distribution moved
        mode: drift.distribution-shift
        trigger: true
  - id: INC-0003
    project: churn
    title: Drift in March
    kind: degradation
    started_at: 2026-03-01
    detected_at: 2026-03-02
    detected_by: review
    summary: drift
    modes:
      - code: drift.distribution-shift
        role: primary
    causes:
      - id: c1
        statement: the input distribution moved
        mode: drift.distribution-shift
        trigger: true
"""


def _load(run: Run, tmp_path: Path) -> None:
    doc = tmp_path / "incidents.yaml"
    doc.write_text(DOC, encoding="utf-8")
    run.ok("import", str(doc))


def _json(run: Run, *args: str) -> Any:
    return json.loads(run.ok(*args).stdout)


def test_a_detected_only_incident_is_placed_alike_everywhere(run: Run, tmp_path: Path) -> None:
    _load(run, tmp_path)

    listed = _json(run, "incident", "list", "--since", "2026-01-01", "--json")
    assert sorted(r["id"] for r in listed) == ["INC-0001", "INC-0003"]

    hits = _json(run, "search", "drift", "--since", "2026-01-01", "--json")
    assert sorted(h["id"] for h in hits) == ["INC-0001", "INC-0003"]

    report = _json(run, "graph", "root-causes", "--quarter", "2026Q1", "--json")
    assert report["total_incidents"] == 2  # INC-0001 (detected in Q1) and INC-0003

    review = json.loads(run.ok("review", "2026Q1", "--live", "--format", "json").stdout)
    assert review["summary"]["incidents_opened"] == 2
    assert [c["incidents"] for c in review["scorecard"] if c["slug"] == "churn"] == [2]
    assert review["summary"]["detection"]["review"] == 2


def test_the_previous_quarter_holds_the_incident_that_started_then(run: Run, tmp_path: Path) -> None:
    _load(run, tmp_path)
    report = _json(run, "graph", "root-causes", "--quarter", "2025Q4", "--json")
    assert report["total_incidents"] == 1  # INC-0002 started 2025-12-20
    review = json.loads(run.ok("review", "2025Q4", "--live", "--format", "json").stdout)
    assert review["summary"]["incidents_opened"] == 1


def test_lists_order_an_incident_by_the_same_time(run: Run, tmp_path: Path) -> None:
    """Newest first by started-else-detected: INC-0003 (2026-03-01), INC-0001 (detected 2026-02-10),
    INC-0002 (2025-12-20). Ordered by started_at alone, the detected-only INC-0001 would come last."""
    _load(run, tmp_path)
    listed = _json(run, "incident", "list", "--json")
    assert [r["id"] for r in listed] == ["INC-0003", "INC-0001", "INC-0002"]


def test_a_projects_last_incident_counts_a_detected_only_one(run: Run, tmp_path: Path) -> None:
    """`kb project list` (and the TUI's portfolio) name a project's latest incident by the same time: a
    second project whose only incident was detected on 2026-04-02 (start unknown) last had one then, as
    the incidents_with_modes view (m007) says; by started_at alone it had none."""
    _load(run, tmp_path)
    doc = tmp_path / "late.yaml"
    doc.write_text(
        "projects:\n  - {slug: fraud, name: Fraud, stage: production, owner: dana}\n"
        "incidents:\n  - {id: INC-0004, project: fraud, title: Seen late, kind: degradation,"
        " detected_at: 2026-04-02, detected_by: review, summary: late}\n",
        encoding="utf-8",
    )
    run.ok("import", str(doc))
    rows = {r["slug"]: r["last_incident"] for r in _json(run, "project", "list", "--json")}
    assert rows == {"churn": "2026-03-01", "fraud": "2026-04-02"}
